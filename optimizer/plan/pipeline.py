"""The day's pipeline: validate → network → demand → matrices → assignment, routes and lending
(:func:`optimizer.solve.coordinator.plan_day`) → the binding limit of what is left
(:func:`optimizer.solve.diagnosis.diagnose`) → the :class:`~optimizer.plan.model.Plan` frames.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer import datasets
from optimizer.clock import format_hhmm
from optimizer.demand import drop_points
from optimizer.network import load_network
from optimizer.network.matrix import travel_matrix
from optimizer.plan.meals import day_meals, meal_frame
from optimizer.plan.model import (
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
    meal_kpis,
    transfers_by_locality,
)
from optimizer.plan.validation import validate_scenario
from optimizer.scenario.model import RICE_SACK_KG
from optimizer.solve.coordinator import DayResult, PlanOptions, assign_day, plan_day
from optimizer.solve.diagnosis import diagnose
from optimizer.solve.reasons import reason_text

# --------------------------------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------------------------------

#: Stages reported to a progress callback, in order (``outputs`` is the caller's: writing the files).
STAGES = ("validate", "network", "demand", "matrix", "assignment", "routing", "diagnosis", "outputs")


def _silent(stage: str, done: int = 0, total: int = 0, detail: str = "") -> None:
    """The progress callback of a caller who wants none."""




@dataclass
class Located:
    """Depots then drop points as matrix locations, with each profile's matrix."""

    depots: list
    points: list
    matrices: dict  # profile -> TravelMatrix
    reachable: dict  # profile -> bool per location (snapped within the limit)


def locate(depots, points, networks: dict, step, *, workers: int | None = None) -> Located:
    """Snap depots then points on each profile's network and compute the travel matrices between them (a place
    farther from the network than the snap limit is unreachable on that profile)."""
    lon = np.array([d.lon for d in depots] + [p.lon for p in points])
    lat = np.array([d.lat for d in depots] + [p.lat for p in points])
    labels = [d.id for d in depots] + [p.id for p in points]
    matrices, reachable = {}, {}
    for done, (profile, network) in enumerate(networks.items()):
        step("matrix", done, len(networks), f"{profile}: snapping {len(labels):,} places, travel times")
        if profile == "truck":
            snapped = network.snap(lon, lat, labels=labels)  # validated: errors name the point
        else:
            snapped = network.snap(lon, lat, labels=labels, max_distance_m=np.inf, check_area=False)
        ok = snapped.distance_m <= network.settings.snap_max_distance_m
        matrix = travel_matrix(network, snapped.node, workers=workers)
        matrix.time_s[~ok, :] = np.inf
        matrix.time_s[:, ~ok] = np.inf
        matrix.dist_m[~ok, :] = np.inf
        matrix.dist_m[:, ~ok] = np.inf
        np.fill_diagonal(matrix.time_s, 0.0)
        np.fill_diagonal(matrix.dist_m, 0.0)
        matrices[profile], reachable[profile] = matrix, ok
    return Located(depots=list(depots), points=list(points), matrices=matrices, reachable=reachable)


@dataclass
class _Day:
    """A validated day ready for solving: networks, drop points and matrices."""

    networks: dict
    points: list
    located: Located


def _prepare(scenario, step) -> _Day:
    step("validate")
    profiles = sorted({v.profile for v in scenario.vehicles()} | {"truck"}, key=lambda p: p != "truck")
    networks = {}
    for done, profile in enumerate(profiles):
        step("network", done, len(profiles), profile)
        networks[profile] = load_network(profile=profile,
                                         closures=[c for c in scenario.closures if c.applies_to(profile)])
    validate_scenario(scenario, network=networks["truck"]).raise_if_problems()
    step("demand")
    points = drop_points(scenario, networks["truck"])
    located = locate(list(scenario.depots), points, networks, step)
    return _Day(networks=networks, points=points, located=located)


def _matrices(day: _Day) -> tuple[dict, dict]:
    located = day.located
    return ({p: m.time_s for p, m in located.matrices.items()}, {p: m.dist_m for p, m in located.matrices.items()})


def plan_assignment(scenario, *, options: PlanOptions | None = None, progress=None):
    """Only the depot assignment of the day (validate → network → demand → assignment), with the whole time limit.

    Returns the locality-first :class:`optimizer.solve.assignment.Assignment` (its first pass: each ward within
    its own locality's stock and its depots' reach).
    """
    options = options or PlanOptions()
    step = progress or _silent
    day = _prepare(scenario, step)
    step("assignment")
    time_s, dist_m = _matrices(day)
    return assign_day(scenario, day.points, time_s, dist_m, options)[0]


def run_plan(scenario, *, options: PlanOptions | None = None, progress=None) -> Plan:
    """Plan the scenario's day: validate, build networks, place demand, then assign, route and lend
    (:func:`optimizer.solve.coordinator.plan_day`), diagnose what is left, tabulate.

    Parameters
    ----------
    scenario
        A :class:`optimizer.scenario.Scenario` (e.g. ``load_scenario(None)`` for the embedded default).
    options
        :class:`PlanOptions`.
    progress
        Optional ``progress(stage, done=0, total=0, detail="")``: called as each stage of :data:`STAGES`
        starts and as it advances (``done`` of ``total`` steps, e.g. routing passes; 0 of 0 when it has no
        count), with a short ``detail`` such as the routing round.

    Raises
    ------
    InputError
        Everything the validation finds, before anything is solved.
    """
    options = options or PlanOptions()
    step = progress or _silent
    day = _prepare(scenario, step)
    step("assignment")
    time_s, dist_m = _matrices(day)
    result = plan_day(scenario, day.points, time_s, dist_m, options,
                      progress=lambda done, total, name: step("routing", done, total, name))
    step("diagnosis")
    opened = _reachable_without_closures(scenario, day, result)
    diagnosis = diagnose(result, day.points, reachable_without_closures=opened)
    plan = _tabulate(scenario, day, result, diagnosis, options)
    if scenario.camps:
        located = locate(list(scenario.kitchens), list(scenario.camps), {"truck": day.networks["truck"]}, _silent)
        meals = day_meals(scenario, located.matrices["truck"])
        plan.meals = meal_frame(meals)
        plan.kpis.update(meal_kpis(plan.meals))
        plan.cut_by_time_limit |= meals.cut_by_time_limit
        plan.kpis["cut_by_time_limit"] = plan.cut_by_time_limit
    return plan


def _reachable_without_closures(scenario, day: _Day, result: DayResult) -> set[str]:
    """Unserved points no vehicle reaches today that some depot reaches once the closures are lifted."""
    if not scenario.closures:
        return set()
    n = len(day.located.depots)
    cut = [k for k, p in enumerate(day.points) if p.id in result.unserved
           and all(not np.isfinite(m.time_s[:n, n + k]).any() for m in day.located.matrices.values())]
    if not cut:
        return set()
    network = load_network(profile="truck")
    places = list(day.located.depots) + [day.points[k] for k in cut]
    snapped = network.snap([p.lon for p in places], [p.lat for p in places], check_area=False,
                           max_distance_m=np.inf)
    matrix = travel_matrix(network, snapped.node)
    return {day.points[k].id for i, k in enumerate(cut) if np.isfinite(matrix.time_s[:n, n + i]).any()}


def _tabulate(scenario, day: _Day, result: DayResult, diagnosis, options: PlanOptions) -> Plan:
    """Turn the day's answer into the plan's frames."""
    located = day.located
    zone_of = {z.ward_id: z.grade for z in scenario.zones}
    routes, legs = _route_frames(scenario, located, result, zone_of)
    routes = _with_contacts(routes, located.points)
    stops = _stop_frame(located, result, zone_of)
    unserved = _unserved_frame(located, diagnosis, zone_of)
    depot_frame = _depot_frame(scenario, result, routes)
    transfers = _transfer_frame(scenario, result)
    wards = ward_frame(stops, zone_of)
    truck = day.networks["truck"]
    closed_roads = truck.edges[truck.edges["closed"]][["name", "osm_id", "geometry"]]
    base = truck.edges.drop_duplicates(subset=["osm_id", "geometry"])[["fclass", "name", "approximate", "geometry"]]
    kpis = _kpis(result, routes, legs, stops, unserved, depot_frame, transfers, wards)
    settings = {
        "scenario": scenario.name,
        "scenario_source": str(scenario.source) if scenario.source else "embedded default",
        "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.__dict__.items()},
        "closures": [c.describe() for c in scenario.closures],
        "network": truck.source,
        "curfew": _curfew(scenario.time),
        # for the vehicle timeline (outputs/timeline.py): each depot's loading time
        "depot_load_min": {d.id: d.load_time_s / 60 for d in scenario.depots},
        # for the loading lists (outputs/loading.py): kilograms in one unit of each commodity
        "unit_kg": {"rice": RICE_SACK_KG, "food_bag": scenario.settings.ration.food_bag_kg_per_household_week},
    }
    return Plan(
        title=scenario.name, date=scenario.date.isoformat(), routes=routes, stops=stops, depots=depot_frame,
        unserved=unserved, wards=wards, legs=legs, closed_roads=closed_roads, network_edges=base,
        transfers=transfers, kpis=kpis, settings=settings, cut_by_time_limit=result.cut_by_time_limit,
        vehicles=_vehicle_frame(scenario, result),
    )


def _curfew(time) -> dict[str, str] | None:
    """The curfew's hours for the sheets (``None`` when the scenario has none)."""
    if not time.has_curfew:
        return None
    return {"start": format_hhmm(time.curfew_start_s), "end": format_hhmm(time.curfew_end_s)}


def _vehicle_frame(scenario, result: DayResult) -> pd.DataFrame:
    """Every vehicle with its home depot (after closed depots' vehicles moved) and its crew."""
    home = {v.id: result.problem.depots[v.depot].id for v in result.problem.vehicles}
    return pd.DataFrame([
        {"vehicle_id": v.id, "name": v.name, "profile": v.profile, "capacity_kg": v.capacity_kg,
         "home_depot_id": home.get(v.id, v.home_depot), "driver": v.driver, "plate": v.plate, "phone": v.phone}
        for v in scenario.vehicles()
    ], columns=VEHICLE_COLUMNS)


def _with_contacts(routes: pd.DataFrame, points) -> pd.DataFrame:
    """The dispatch rows with each drop point's ``contact`` and ``phone``."""
    point_of = {p.id: p for p in points}
    return routes.assign(contact=[point_of[s].contact for s in routes["stop_id"]],
                         phone=[point_of[s].phone for s in routes["stop_id"]])


def _place_id(located: Located, location: int) -> str:
    n = len(located.depots)
    return located.depots[location].id if location < n else located.points[location - n].id


def _route_frames(scenario, located: Located, result: DayResult, zone_of) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Dispatch rows and road legs, including the drives of lent vehicles between depots."""
    depots, points = located.depots, located.points
    point_of = {p.id: p for p in points}
    vehicle_of = {v.id: v for v in scenario.vehicles()}
    arrivals = {}  # (vehicle id, trip number) → the loan that brought it to that trip's depot
    for loan in result.loans:
        first = min((t for t in result.trips if t.vehicle_id == loan.vehicle_id and t.depot == loan.to_depot
                     and t.load_start_s >= loan.arrive_s), key=lambda t: t.load_start_s)
        arrivals[(loan.vehicle_id, first.trip)] = loan
    route_rows, leg_rows = [], []

    def leg(vehicle, trip, seq, a, b, km, minutes) -> None:
        matrix = located.matrices[vehicle.profile]
        leg_rows.append({
            "vehicle_id": vehicle.id, "trip": trip, "seq": seq, "from_id": _place_id(located, a),
            "to_id": _place_id(located, b), "profile": vehicle.profile, "leg_km": km, "leg_min": minutes,
            "approximate": bool(matrix.leg_edges(a, b)["approximate"].any()), "geometry": matrix.leg_geometry(a, b),
        })

    def reposition(vehicle, trip, seq, a, b) -> None:
        matrix = located.matrices[vehicle.profile]
        leg(vehicle, trip, seq, a, b, float(matrix.dist_m[a, b]) / 1000, float(matrix.time_s[a, b]) / 60)

    for trip in result.trips:
        vehicle = vehicle_of[trip.vehicle_id]
        state = result.states[trip.vehicle_id]
        depot = depots[trip.depot]
        arrival = arrivals.get((trip.vehicle_id, trip.trip))
        if arrival is not None:
            reposition(vehicle, trip.trip, 0, arrival.from_depot, arrival.to_depot)
        previous = trip.depot
        for seq, visit in enumerate(trip.visits, start=1):
            point = point_of[visit.stop_id]
            matrix = located.matrices[vehicle.profile]
            route_rows.append({
                "vehicle_id": trip.vehicle_id, "vehicle_name": vehicle.name, "profile": vehicle.profile,
                "home_depot_id": depots[state.home].id, "depot_id": depot.id, "depot_name": depot.name,
                "trip": trip.trip, "seq": seq, "stop_id": point.id, "ward_id": point.ward_id,
                "ward": point.ward_name, "locality": point.locality, "zone": zone_of.get(point.ward_id, "green"),
                "name": point.name, "lat": point.lat, "lon": point.lon,
                "arrival": format_hhmm(visit.arrival_s, exact=False),
                "departure": format_hhmm(visit.departure_s, exact=False), "arrival_s": visit.arrival_s,
                "departure_s": visit.departure_s, "quantity_kg": round(visit.quantity_kg, 3),
                "load_kg": round(visit.load_kg, 3), "capacity_kg": vehicle.capacity_kg,
                "leg_km": round(visit.leg_dist_m / 1000, 3), "leg_min": round(visit.leg_time_s / 60, 2),
                "approximate_leg": bool(matrix.leg_edges(previous, visit.location)["approximate"].any()),
            })
            leg(vehicle, trip.trip, seq, previous, visit.location, visit.leg_dist_m / 1000, visit.leg_time_s / 60)
            previous = visit.location
        leg(vehicle, trip.trip, len(trip.visits) + 1, previous, trip.depot, trip.return_leg_dist_m / 1000,
            trip.return_leg_time_s / 60)
        last = max(t.trip for t in result.trips if t.vehicle_id == trip.vehicle_id)
        if trip.trip == last and trip.depot != state.home:
            reposition(vehicle, trip.trip, len(trip.visits) + 2, trip.depot, state.home)
    routes = pd.DataFrame(route_rows, columns=ROUTE_COLUMNS)
    routes = _with_commodities(routes, result, scenario)
    legs = gpd.GeoDataFrame(pd.DataFrame(leg_rows, columns=LEG_COLUMNS), geometry="geometry", crs=4326)
    return routes, legs


def _with_commodities(routes: pd.DataFrame, result: DayResult, scenario) -> pd.DataFrame:
    """``routes`` with one ``<commodity>_kg`` column per commodity after ``quantity_kg``, in whole kilograms that
    add up to the visit's rounded quantity: each visit carries its point's mix after rationing, and a kilogram
    rounded up goes to a commodity its loading depot still has, so no depot hands out more than its stock.
    (Whole kilograms: the loading lists and ``routes.csv`` then add up exactly.)"""
    commodities = list(scenario.commodities)
    mix = {p.id: p.demand_kg for p in result.served_points}
    left = {(d.id, c): float(d.stock_kg.get(c, 0.0)) for d in scenario.depots for c in commodities}
    split = np.zeros((len(routes), len(commodities)), dtype=np.int64)
    for row, (depot, stop, quantity) in enumerate(zip(routes["depot_id"], routes["stop_id"], routes["quantity_kg"])):
        need = [mix.get(stop, {}).get(c, 0.0) for c in commodities]
        total = math.fsum(need) or 1.0
        exact = [quantity * n / total for n in need]
        kg = [math.floor(x) for x in exact]
        extra = round(quantity) - sum(kg)
        for k in sorted(range(len(commodities)), key=lambda k: (kg[k] - exact[k], k)):
            if extra > 0 and left[(depot, commodities[k])] >= kg[k] + 1:
                kg[k] += 1
                extra -= 1
        for c, value in zip(commodities, kg):
            left[(depot, c)] -= value
        split[row] = kg
    at = routes.columns.get_loc("quantity_kg") + 1
    for k, c in enumerate(commodities):
        routes.insert(at + k, f"{c}_kg", split[:, k])
    return routes


def _stop_frame(located: Located, result: DayResult, zone_of) -> pd.DataFrame:
    depots = located.depots
    return pd.DataFrame([
        {"stop_id": p.id, "ward_id": p.ward_id, "ward": p.ward_name, "locality": p.locality,
         "zone": zone_of.get(p.ward_id, "green"), "priority": p.priority, "name": p.name, "lat": p.lat, "lon": p.lon,
         "demand_kg": p.total_kg, "delivered_kg": round(result.delivered_kg.get(p.id, 0.0), 3),
         "depot_id": depots[result.depot_of_point[p.id]].id if p.id in result.depot_of_point else "",
         "approximate": p.approximate}
        for p in located.points
    ], columns=STOP_COLUMNS)


def _unserved_frame(located: Located, diagnosis, zone_of) -> pd.DataFrame:
    point_of = {p.id: p for p in located.points}
    rows = []
    for item in diagnosis:
        p = point_of[item.point_id]
        rows.append({"stop_id": p.id, "ward_id": p.ward_id, "ward": p.ward_name, "locality": p.locality,
                     "zone": zone_of.get(p.ward_id, "green"), "lat": p.lat, "lon": p.lon,
                     "quantity_kg": round(item.kg, 3), "reason_code": item.code,
                     "reason": reason_text(item.code, "en")})
    return pd.DataFrame(rows, columns=UNSERVED_COLUMNS)


def _depot_frame(scenario, result: DayResult, routes: pd.DataFrame) -> pd.DataFrame:
    loads = routes.groupby("depot_id")["quantity_kg"].sum()
    based = Counter(result.problem.depots[v.depot].id for v in result.problem.vehicles)
    closed = set(result.closed_depots)
    return pd.DataFrame([
        {"depot_id": d.id, "name": d.name, "locality": d.locality, "lat": d.lat, "lon": d.lon,
         "stock_kg": float(sum(d.stock_kg.values())), "load_kg": round(float(loads.get(d.id, 0.0)), 3),
         "vehicles": int(based.get(d.id, 0)), "closed": d.id in closed, "approximate": d.approximate}
        for d in scenario.depots
    ], columns=DEPOT_COLUMNS)


def _commodities_of(result: DayResult, trips) -> dict[str, float]:
    """Kilograms per commodity that ``trips`` deliver (a visit carries its point's mix)."""
    mix = {p.id: p.demand_kg for p in result.served_points}
    out: dict[str, float] = {}
    for trip in trips:
        for visit in trip.visits:
            total = math.fsum(mix[visit.stop_id].values()) or 1.0
            for c, kg in mix[visit.stop_id].items():
                out[c] = out.get(c, 0.0) + visit.quantity_kg * kg / total
    return out


def _transfer_frame(scenario, result: DayResult) -> pd.DataFrame:
    """Vehicles lent to other depots and stock delivered into other localities, with their reasons."""
    depots = scenario.depots
    rows = []
    for loan in result.loans:
        trips = [t for t in result.trips if t.vehicle_id == loan.vehicle_id and t.depot == loan.to_depot
                 and t.load_start_s >= loan.arrive_s]
        rows.append({"kind": "vehicle", "vehicle_id": loan.vehicle_id, "from_depot": depots[loan.from_depot].id,
                     "from_locality": depots[loan.from_depot].locality, "to_depot": depots[loan.to_depot].id,
                     "to_locality": depots[loan.to_depot].locality, "depart": format_hhmm(loan.depart_s, exact=False),
                     "arrive": format_hhmm(loan.arrive_s, exact=False), "commodities": _commodities_of(result, trips),
                     "reason_code": loan.reason_code})
    locality_of = {p.id: p.locality for p in result.served_points}
    flows: dict[tuple[int, str], list[str]] = {}
    for flow in result.stock_flows:
        flows.setdefault((flow.depot, locality_of[flow.point_id]), []).append(flow.point_id)
    for (j, locality), ids in sorted(flows.items()):
        wanted = set(ids)
        trips = [dataclasses.replace(t, visits=tuple(v for v in t.visits if v.stop_id in wanted))
                 for t in result.trips if t.depot == j]
        rows.append({"kind": "stock", "vehicle_id": "", "from_depot": depots[j].id,
                     "from_locality": depots[j].locality, "to_depot": "", "to_locality": locality, "depart": "",
                     "arrive": "", "commodities": _commodities_of(result, trips), "reason_code": "stock_short"})
    commodities = list(scenario.commodities)
    frame = pd.DataFrame([
        {**{k: v for k, v in row.items() if k != "commodities"},
         "kg": round(math.fsum(row["commodities"].values()), 1),
         **{f"{c}_kg": round(row["commodities"].get(c, 0.0), 1) for c in commodities},
         "reason": reason_text(row["reason_code"], "en")}
        for row in rows
    ], columns=[*TRANSFER_COLUMNS, *(f"{c}_kg" for c in commodities), "reason_code", "reason"])
    return frame


def ward_frame(stops: pd.DataFrame, zone_of) -> gpd.GeoDataFrame:
    """Every ward with its zone, demand, kilograms delivered and share served (from the stops' frame)."""
    wards = datasets.read_wards()
    per_ward = stops.groupby("ward_id")[["demand_kg", "delivered_kg"]].sum()
    frame = gpd.GeoDataFrame({
        "ward_id": wards["ward_id"], "ward": wards["ward_vn"],
        "locality": wards["locality"].map(datasets.LOCALITIES),
        "zone": wards["ward_id"].map(lambda w: zone_of.get(w, "green")),
        "demand_kg": wards["ward_id"].map(per_ward["demand_kg"]).fillna(0.0),
        "delivered_kg": wards["ward_id"].map(per_ward["delivered_kg"]).fillna(0.0),
    }, geometry=wards.geometry.values, crs=4326)
    frame["served_share"] = np.where(frame["demand_kg"] > 0, frame["delivered_kg"] / frame["demand_kg"], 1.0)
    return frame[WARD_COLUMNS]


def _kpis(result: DayResult, routes, legs, stops, unserved, depot_frame, transfers, wards) -> dict:
    days: dict[str, tuple[int, int]] = {}
    for t in result.trips:
        first, last = days.get(t.vehicle_id, (t.load_start_s, t.end_s))
        days[t.vehicle_id] = (min(first, t.load_start_s), max(last, t.end_s))
    return {
        **frame_kpis(routes, legs, stops, unserved, depot_frame, transfers, wards),
        "vehicles_available": len(result.problem.vehicles),
        "vehicles_lent": len({loan.vehicle_id for loan in result.loans}),
        "trips": len(result.trips),
        "hours": round(sum(last - first for first, last in days.values()) / 3600, 1),
        "fair_share": {f"{locality} / {grade}": round(share, 4)
                       for (locality, grade), share in result.fair_share.items()},
        "assignment": {"level": result.assignment.level, "objective": result.assignment.objective,
                       "best_bound": result.assignment.best_bound, "gap": result.assignment.gap,
                       "status": result.assignment.status, "solve_time_s": round(result.assignment.solve_time_s, 2),
                       "backend": result.assignment.backend,
                       "cut_by_time_limit": result.assignment.cut_by_time_limit},
        "routing": {"rounds": result.rounds, "solve_time_s": round(result.solve_time_s, 2),
                    "strategy": result.strategy, "stopped_by": result.stopped_by,
                    "cut_by_time_limit": result.cut_by_time_limit},
        "cut_by_time_limit": result.cut_by_time_limit,
    }


def frame_kpis(routes: pd.DataFrame, legs: pd.DataFrame, stops: pd.DataFrame, unserved: pd.DataFrame,
               depot_frame: pd.DataFrame, transfers: pd.DataFrame, wards: pd.DataFrame) -> dict:
    """The plan's figures that its frames determine (``plan.kpis`` adds what only the solver knew)."""
    demand_kg = float(stops["demand_kg"].sum())
    delivered_kg = float(routes["quantity_kg"].sum())

    def served_by(key: str) -> dict[str, float]:
        share = {}
        for value, group in stops.groupby(key):
            wanted = group["demand_kg"].sum()
            share[str(value)] = round(float(group["delivered_kg"].sum() / wanted), 4) if wanted else 1.0
        return share

    return {
        "drop_points": len(stops),
        "depots": len(depot_frame),
        "depots_open": int((~depot_frame["closed"].astype(bool)).sum()),
        "vehicles_used": int(routes["vehicle_id"].nunique()),
        "km": round(float(legs["leg_km"].sum()), 1),
        "demand_kg": round(demand_kg, 1),
        "delivered_kg": round(delivered_kg, 1),
        "unserved_kg": round(float(unserved["quantity_kg"].sum()), 1),
        "served_share": round(delivered_kg / demand_kg, 4) if demand_kg else 1.0,
        "served_share_by_locality": served_by("locality"),
        "served_share_by_zone": served_by("zone"),
        "fairness_by_grade": fairness_by_grade(wards),
        "unserved_kg_by_reason": {str(k): round(float(v), 1)
                                  for k, v in unserved.groupby("reason_code")["quantity_kg"].sum().items()},
        "transfers_kg": transfers_by_locality(transfers),
        "approximate_legs": int(legs["approximate"].astype(bool).sum()),
    }
