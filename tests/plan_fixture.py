"""A small but real :class:`~optimizer.plan.Plan` on the shipped truck network, for renderer and report tests.

Three depots at real Nha Trang shops (one named ``<script>alert(1)</script>``, one closed for the day: its
vehicle ``V02`` moved to ``D1``) and a Ninh Hòa depot; three vehicles (one with two trips; ``V03`` of the
``<script>`` depot lent to the Ninh Hòa depot, one ``vehicle`` row of :attr:`Plan.transfers`), eleven served
stops at real road nodes (one named ``<img src=x onerror=alert(2)>``), one stop in Ninh Hòa reached over
approximate roads (dashed legs), one unserved stop (reason code ``vehicles``), the 67 real ward polygons with
zones, and the road "Yersin" closed. ``V01`` has a driver, plate and phone (:data:`CREW`), the first stop a
receiver and phone (:data:`CONTACT`), and the day a curfew (:data:`CURFEW`). Leg geometries come from
:meth:`optimizer.network.matrix.TravelMatrix.leg_geometry`, so every route follows the roads.

Use :func:`small_plan` (built once per process) or :func:`build_plan` with your own network.
"""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from optimizer import datasets
from optimizer.network import Closure, RoadNetwork, load_network
from optimizer.network.matrix import travel_matrix
from optimizer.plan import (
    DEPOT_COLUMNS,
    LEG_COLUMNS,
    ROUTE_COLUMNS,
    STOP_COLUMNS,
    TRANSFER_COLUMNS,
    UNSERVED_COLUMNS,
    VEHICLE_COLUMNS,
    WARD_COLUMNS,
    Plan,
    fairness_by_grade,
)
from optimizer.solve.reasons import REASONS, TRANSFER_REASONS

XSS_DEPOT = "<script>alert(1)</script>"
XSS_STOP = "<img src=x onerror=alert(2)>"
CLOSURE = Closure("name", "Yersin", label="Chốt kiểm soát đường Yersin")
TITLE = "Khánh Hòa — 26/07/2021 (Chỉ thị 16)"
DATE = "2021-07-26"

#: depot id, name, lon, lat, stock kg, locality; the first three (Nha Trang) choose the stops
DEPOTS = [
    ("D1", "Co.opmart Nha Trang", 109.18209, 12.24274, 20_000.0, "Nha Trang"),
    ("D2", "MM Mega Market", 109.13400, 12.25804, 15_000.0, "Nha Trang"),
    ("D3", XSS_DEPOT, 109.19415, 12.27897, 8_000.0, "Nha Trang"),
    ("D4", "Kho dự trữ Ninh Hòa", 109.12520, 12.49150, 6_000.0, "Ninh Hoa"),
]
#: the depot closed for the day (no vehicle, no load)
CLOSED_DEPOT = "D2"
#: vehicle id, name, home depot (after the closed depot's vehicles moved), loading depot, capacity kg, trips as
#: lists of stop indexes (into the chosen stops)
VEHICLES = [
    ("V01", "Xe tải 2,5 t — Đội Phước Hải", "D1", "D1", 2_500.0, [[0, 1, 2], [3, 4]]),
    ("V02", "Xe tải 3,5 t — Quân đoàn", "D1", "D1", 3_500.0, [[5, 6, 7, 8]]),
    ("V03", "Xe tải 5 t — Ninh Hòa", "D3", "D4", 5_000.0, [[9, 10]]),
]
#: crew of the vehicles that have one (``V01``: driver, plate, phone; the others: none)
CREW = {"V01": ("Nguyễn Văn An", "79C-123.45", "0905 123 456")}
#: index of the stop with a receiver and a phone, and who
CONTACT_STOP = 0
CONTACT = ("Tổ trưởng Lê Thị Bình", "0914 555 666")
#: curfew of the fixture day
CURFEW = {"start": "19:00", "end": "06:00"}
#: the vehicle lent by its home depot to another one, and the rice share of what it carries
LENT_VEHICLE = "V03"
RICE_SHARE = 0.75
#: index of the Ninh Hòa stop (approximate roads) and of the unserved stop
NINH_HOA_STOP = 10
UNSERVED_STOP = 11
ZONES = ("green", "yellow", "orange", "red")
SERVICE_S = 600
START_S = 7 * 3600


def _hhmm(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _ward_of(lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    wards = datasets.read_wards()
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    joined = gpd.sjoin(points, wards[["ward_id", "ward_vn", "locality", "geometry"]], predicate="within", how="left")
    return joined[~joined.index.duplicated()].sort_index()


def _pick_stop_nodes(network: RoadNetwork, rng: np.random.Generator) -> np.ndarray:
    """Eleven exact-road nodes spread over central Nha Trang and one approximate node in Ninh Hòa."""
    nodes = network.nodes
    wards = datasets.read_wards()
    central = shapely.box(109.165, 12.215, 109.215, 12.285)
    ok = (~nodes["approximate"]) & shapely.contains_xy(central, nodes["x"], nodes["y"])
    candidates = np.flatnonzero(ok.to_numpy())
    chosen = rng.choice(candidates, size=40, replace=False)
    ninh_hoa = shapely.union_all(wards.loc[wards["locality"] == "Ninh Hoa", "geometry"].values)
    approx = np.flatnonzero((nodes["approximate"] & shapely.contains_xy(ninh_hoa, nodes["x"], nodes["y"])).to_numpy())
    # The approximate node nearest to Ninh Hòa town (Phường Ninh Hiệp).
    target = np.array([109.128, 12.495])
    nearest = approx[np.argmin(np.hypot(nodes["x"].to_numpy()[approx] - target[0],
                                        nodes["y"].to_numpy()[approx] - target[1]))]
    return np.r_[chosen, nearest]


def build_plan(network: RoadNetwork | None = None, *, seed: int = 7) -> Plan:
    """Build the fixture plan on ``network`` (default: the shipped truck network with "Yersin" closed)."""
    network = network or load_network(profile="truck", closures=[CLOSURE])
    rng = np.random.default_rng(seed)
    depot_frame = pd.DataFrame(DEPOTS, columns=["depot_id", "name", "lon", "lat", "stock_kg", "locality"])
    depot_nodes = network.snap(depot_frame["lon"], depot_frame["lat"]).node
    pool = _pick_stop_nodes(network, rng)
    nodes = np.r_[depot_nodes, pool]
    matrix = travel_matrix(network, nodes, workers=1)
    n_depots = len(depot_nodes)
    # Keep candidates reachable both ways from every Nha Trang depot (the closure must not cut them off), then
    # take eleven Nha Trang stops and the Ninh Hòa one.
    reachable = [i for i in range(len(pool))
                 if np.isfinite(matrix.time_s[:3, n_depots + i]).all()
                 and np.isfinite(matrix.time_s[n_depots + i, :3]).all()]
    nha_trang = [i for i in reachable if i < len(pool) - 1][:11]
    picks = nha_trang[:NINH_HOA_STOP] + [len(pool) - 1] + nha_trang[NINH_HOA_STOP:UNSERVED_STOP]
    assert len(picks) == 12, "not enough reachable stop candidates"
    location = {("D", k): k for k in range(n_depots)}
    for s, i in enumerate(picks):
        location[("S", s)] = n_depots + i

    coords = network.nodes.iloc[nodes[[location[("S", s)] for s in range(12)]]]
    lon, lat = coords["x"].to_numpy(), coords["y"].to_numpy()
    wards_of = _ward_of(lon, lat)
    wards = datasets.read_wards()
    zone_of = {wid: ZONES[k % 4] for k, wid in enumerate(wards["ward_id"])}
    demand = np.round(rng.uniform(250, 900, size=12) / 10) * 10
    stop_ids = [f"S{s + 1:02d}" for s in range(12)]
    stop_names = [f"Điểm tập kết {s + 1} — {w}" for s, w in enumerate(wards_of["ward_vn"].fillna("?"))]
    stop_names[1] = XSS_STOP

    route_rows, leg_rows, transfer_rows = [], [], []
    delivered = np.zeros(12)
    depot_of_stop = [None] * 12
    depot_load = {d[0]: 0.0 for d in DEPOTS}
    depot_ids = [x[0] for x in DEPOTS]
    for vid, vname, home_id, depot_id, capacity, trips in VEHICLES:
        d = depot_ids.index(depot_id)
        clock = START_S
        if home_id != depot_id:  # lent: drive to the other depot, load there
            drive = float(matrix.time_s[location[("D", depot_ids.index(home_id))], location[("D", d)]])
            assert np.isfinite(drive), "the lent vehicle cannot reach its new depot"
            kg = float(sum(demand[s] for trip in trips for s in trip))
            rice = round(kg * RICE_SHARE / 10) * 10.0
            transfer_rows.append({
                "kind": "vehicle", "vehicle_id": vid, "from_depot": home_id,
                "from_locality": DEPOTS[depot_ids.index(home_id)][5], "to_depot": depot_id,
                "to_locality": DEPOTS[d][5], "depart": _hhmm(clock), "arrive": _hhmm(clock + drive), "kg": kg,
                "rice_kg": rice, "food_bag_kg": kg - rice, "reason_code": "own_locality_served",
                "reason": TRANSFER_REASONS["own_locality_served"].en,
            })
            clock += drive + 1800  # loading
        for trip_no, trip in enumerate(trips, start=1):
            load = float(sum(demand[s] for s in trip))
            depot_load[depot_id] += load
            here = location[("D", d)]
            sequence = [("S", s) for s in trip] + [("D", d)]
            from_id = depot_id
            for seq, key in enumerate(sequence, start=1):
                there = location[key]
                time_s = float(matrix.time_s[here, there])
                assert np.isfinite(time_s), f"{vid}: no road from {here} to {there}"
                dist_km = float(matrix.dist_m[here, there]) / 1000
                approximate = bool(matrix.leg_edges(here, there)["approximate"].any())
                to_id = stop_ids[key[1]] if key[0] == "S" else depot_id
                leg_rows.append({
                    "vehicle_id": vid, "trip": trip_no, "seq": seq, "from_id": from_id, "to_id": to_id,
                    "profile": "truck", "leg_km": round(dist_km, 3), "leg_min": round(time_s / 60, 1),
                    "approximate": approximate, "geometry": matrix.leg_geometry(here, there),
                })
                clock += time_s
                if key[0] == "S":
                    s = key[1]
                    arrival, departure = clock, clock + SERVICE_S
                    ward = wards_of.iloc[s]
                    route_rows.append({
                        "vehicle_id": vid, "vehicle_name": vname, "profile": "truck", "home_depot_id": home_id,
                        "depot_id": depot_id,
                        "depot_name": DEPOTS[d][1], "trip": trip_no, "seq": seq, "stop_id": stop_ids[s],
                        "ward_id": ward["ward_id"], "ward": ward["ward_vn"], "locality": ward["locality"],
                        "zone": zone_of.get(ward["ward_id"], "green"), "name": stop_names[s],
                        "lat": lat[s], "lon": lon[s], "arrival": _hhmm(arrival), "departure": _hhmm(departure),
                        "arrival_s": arrival, "departure_s": departure, "quantity_kg": demand[s],
                        "load_kg": load, "capacity_kg": capacity, "leg_km": round(dist_km, 3),
                        "leg_min": round(time_s / 60, 1), "approximate_leg": approximate,
                        **(dict(zip(("contact", "phone"), CONTACT)) if s == CONTACT_STOP else {}),
                    })
                    load -= demand[s]
                    delivered[s] = demand[s]
                    depot_of_stop[s] = depot_id
                    clock = departure
                else:
                    clock += 1800  # reloading
                here, from_id = there, to_id
    routes = pd.DataFrame(route_rows, columns=ROUTE_COLUMNS)
    # Each visit carries four fifths rice and one fifth food bags, as the pipeline's split does by the point's mix.
    rice = (routes["quantity_kg"] * 0.8).round(3)
    routes.insert(routes.columns.get_loc("quantity_kg") + 1, "rice_kg", rice)
    routes.insert(routes.columns.get_loc("rice_kg") + 1, "food_bag_kg", routes["quantity_kg"] - rice)
    legs = gpd.GeoDataFrame(pd.DataFrame(leg_rows, columns=LEG_COLUMNS), geometry="geometry", crs=4326)

    node_approx = network.nodes["approximate"].to_numpy()[nodes[[location[("S", s)] for s in range(12)]]]
    stops = pd.DataFrame({
        "stop_id": stop_ids, "ward_id": wards_of["ward_id"].to_numpy(), "ward": wards_of["ward_vn"].to_numpy(),
        "locality": wards_of["locality"].to_numpy(),
        "zone": [zone_of.get(w, "green") for w in wards_of["ward_id"]],
        "priority": [ZONES.index(zone_of.get(w, "green")) for w in wards_of["ward_id"]],
        "name": stop_names, "lat": lat, "lon": lon, "demand_kg": demand, "delivered_kg": delivered,
        "depot_id": depot_of_stop, "approximate": node_approx,
    }, columns=STOP_COLUMNS)
    u = UNSERVED_STOP
    unserved = pd.DataFrame([{
        "stop_id": stop_ids[u], "ward_id": stops.at[u, "ward_id"], "ward": stops.at[u, "ward"],
        "locality": stops.at[u, "locality"], "zone": stops.at[u, "zone"], "lat": lat[u], "lon": lon[u],
        "quantity_kg": demand[u], "reason_code": "vehicles", "reason": REASONS["vehicles"].en,
    }], columns=UNSERVED_COLUMNS)
    transfers = pd.DataFrame(transfer_rows, columns=TRANSFER_COLUMNS + ["rice_kg", "food_bag_kg", "reason_code",
                                                                        "reason"])

    depot_rows = []
    for (depot_id, name, _lon, _lat, stock, locality), node in zip(DEPOTS, depot_nodes):
        point = network.nodes.iloc[int(node)]
        depot_rows.append({
            "depot_id": depot_id, "name": name, "locality": locality, "lat": _lat, "lon": _lon, "stock_kg": stock,
            "load_kg": depot_load[depot_id], "vehicles": sum(v[2] == depot_id for v in VEHICLES),
            "closed": depot_id == CLOSED_DEPOT, "approximate": bool(point["approximate"]),
        })
    depots = pd.DataFrame(depot_rows, columns=DEPOT_COLUMNS)

    by_ward = stops.groupby("ward_id")[["demand_kg", "delivered_kg"]].sum()
    ward_frame = wards[["ward_id", "ward_vn", "locality", "geometry"]].rename(columns={"ward_vn": "ward"})
    ward_frame["zone"] = ward_frame["ward_id"].map(zone_of)
    ward_frame["demand_kg"] = ward_frame["ward_id"].map(by_ward["demand_kg"]).fillna(0.0)
    ward_frame["delivered_kg"] = ward_frame["ward_id"].map(by_ward["delivered_kg"]).fillna(0.0)
    ward_frame["served_share"] = np.where(ward_frame["demand_kg"] > 0,
                                          ward_frame["delivered_kg"] / ward_frame["demand_kg"].where(
                                              ward_frame["demand_kg"] > 0, 1.0), np.nan)
    ward_frame = gpd.GeoDataFrame(ward_frame[WARD_COLUMNS], geometry="geometry", crs=4326)

    closed = network.edges[network.edges["closed"]]
    closed_roads = gpd.GeoDataFrame({"label": [CLOSURE.describe()] * len(closed), "name": closed["name"].to_numpy()},
                                    geometry=closed.geometry.to_numpy(), crs=4326)
    network_edges = gpd.GeoDataFrame({"name": network.edges["name"].to_numpy(),
                                      "approximate": network.edges["approximate"].to_numpy()},
                                     geometry=network.edges.geometry.to_numpy(), crs=4326)
    kpis = {
        "km": float(legs["leg_km"].sum()), "vehicles_used": len(VEHICLES), "trips": int(sum(len(v[5]) for v in VEHICLES)),
        "kg_demand": float(demand.sum()), "kg_delivered": float(delivered.sum()),
        "served_share": float(delivered.sum() / demand.sum()), "depots_open": int((~depots["closed"]).sum()),
        "unserved_kg_by_reason": {"vehicles": float(demand[u])},
        "transfers_kg": {f"{r['from_locality']} → {r['to_locality']}": r["kg"] for r in transfer_rows},
        "fairness_by_grade": fairness_by_grade(ward_frame),
    }
    vehicles = pd.DataFrame([
        {"vehicle_id": vid, "name": vname, "profile": "truck", "capacity_kg": capacity, "home_depot_id": home_id,
         **dict(zip(("driver", "plate", "phone"), CREW.get(vid, ("", "", ""))))}
        for vid, vname, home_id, _, capacity, _ in VEHICLES
    ], columns=VEHICLE_COLUMNS)
    return Plan(title=TITLE, date=DATE, routes=routes, stops=stops, depots=depots, unserved=unserved,
                wards=ward_frame, legs=legs, closed_roads=closed_roads, network_edges=network_edges,
                transfers=transfers, vehicles=vehicles, kpis=kpis,
                settings={"source": "tests/plan_fixture.py", "seed": seed, "curfew": CURFEW,
                          "depot_load_min": {d[0]: 20.0 for d in DEPOTS}, "unit_kg": {"rice": 50.0, "food_bag": 5.0}})


@functools.cache
def small_plan() -> Plan:
    """:func:`build_plan` on the shipped truck network, built once per process (treat it as read-only)."""
    return build_plan()


def expected_legs() -> dict[str, int]:
    """Number of legs per vehicle in the fixture (each trip: one leg per stop plus the return)."""
    return {vid: sum(len(trip) + 1 for trip in trips) for vid, _, _, _, _, trips in VEHICLES}


def scaled_plan(base: Plan, *, vehicles: int = 40, stops: int = 1500, seed: int = 11) -> Plan:
    """A day-sized plan for size and speed checks: ``stops`` visits over ``vehicles`` vehicles.

    Visits are spread over the base plan's stops with a few hundred metres of jitter; each leg reuses one
    of the base plan's real road geometries (shifted to start at its origin), so the drawn line weight
    per leg is realistic (the base legs average several km, more than a dense city day's).
    """
    rng = np.random.default_rng(seed)
    base_routes = base.routes.reset_index(drop=True)
    geometries = list(base.legs.geometry)
    per_vehicle = np.array_split(np.arange(stops), vehicles)
    depots = base.depots[~base.depots["closed"]].reset_index(drop=True)
    route_rows, leg_rows, stop_rows = [], [], []
    for v, visits in enumerate(per_vehicle):
        vid = f"V{v + 1:02d}"
        depot = depots.iloc[v % len(depots)]
        trips = np.array_split(visits, 2 if len(visits) > 20 else 1)
        for trip_no, trip in enumerate(trips, start=1):
            here = np.array([depot["lon"], depot["lat"]])
            for seq, s in enumerate(list(trip) + [None], start=1):
                if s is None:
                    there = np.array([depot["lon"], depot["lat"]])
                else:
                    row = base_routes.iloc[s % len(base_routes)].to_dict()
                    there = np.array([row["lon"], row["lat"]]) + rng.normal(0, 0.003, 2)
                line = np.asarray(geometries[(v * 7 + seq) % len(geometries)].coords)
                line = line - line[0] + here
                line[-1] = there
                leg_rows.append({"vehicle_id": vid, "trip": trip_no, "seq": seq, "from_id": "", "to_id": "",
                                 "profile": "truck", "leg_km": 2.0, "leg_min": 6.0,
                                 "approximate": bool(seq % 17 == 0), "geometry": shapely.LineString(line)})
                if s is not None:
                    row.update(vehicle_id=vid, vehicle_name=f"Xe {vid}", home_depot_id=depot["depot_id"],
                               depot_id=depot["depot_id"],
                               depot_name=depot["name"], trip=trip_no, seq=seq, stop_id=f"P{s:04d}",
                               name=f"Điểm {s}", lon=there[0], lat=there[1])
                    route_rows.append(row)
                    stop_rows.append({"stop_id": f"P{s:04d}", "ward_id": row["ward_id"], "ward": row["ward"],
                                      "locality": row["locality"], "zone": row["zone"], "priority": 0,
                                      "name": row["name"], "lat": there[1], "lon": there[0],
                                      "demand_kg": row["quantity_kg"], "delivered_kg": row["quantity_kg"],
                                      "depot_id": depot["depot_id"], "approximate": False})
                here = there
    unserved = pd.concat([base.unserved] * 20, ignore_index=True)
    unserved["stop_id"] = [f"U{i:03d}" for i in range(len(unserved))]
    unserved["lat"] += rng.normal(0, 0.01, len(unserved))
    unserved["lon"] += rng.normal(0, 0.01, len(unserved))
    return Plan(
        title=base.title, date=base.date, routes=pd.DataFrame(route_rows, columns=ROUTE_COLUMNS),
        stops=pd.DataFrame(stop_rows, columns=STOP_COLUMNS), depots=base.depots, unserved=unserved,
        wards=base.wards, legs=gpd.GeoDataFrame(pd.DataFrame(leg_rows, columns=LEG_COLUMNS), geometry="geometry",
                                                crs=4326),
        closed_roads=base.closed_roads, network_edges=base.network_edges, kpis={}, settings={},
    )
