"""Independent feasibility checker for routing plans.

It recomputes every constraint from the plan's rows and the problem's matrices and shares no code with
the solver: it only reads attributes of the problem and result objects, so a modelling error in the solver
cannot hide itself here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import networkx as nx

from optimizer.network import load_network

REASONS = {"no stock", "no capacity", "outside shift", "time window", "unreachable", "zone restriction",
           "out of reach"}
#: Slack for float sums of kilograms and for float travel times (solver times are whole seconds).
KG_TOL = 1e-6
S_TOL = 1e-6


def check_plan(problem: Any, result: Any, *, cross_depot: bool = False) -> list[str]:
    """List every way ``result`` violates ``problem`` (empty when the plan is feasible).

    Parameters
    ----------
    problem
        A routing problem (depots, stops, vehicles, per-profile ``time_s`` and ``dist_m`` matrices).
    result
        A routing result (trips of visits, unserved rows, objective).
    cross_depot
        Whether stops may be served from another depot than their assigned one.
    """
    errors: list[str] = []
    stops = {s.id: s for s in problem.stops}
    vehicles = {v.id: v for v in problem.vehicles}
    delivered_kg: dict[str, float] = defaultdict(float)
    delivered_bags: dict[str, int] = defaultdict(int)
    by_vehicle: dict[str, list[Any]] = defaultdict(list)

    for trip in result.trips:
        where = f"{trip.vehicle_id} trip {trip.trip}"
        vehicle = vehicles.get(trip.vehicle_id)
        if vehicle is None:
            errors.append(f"{where}: unknown vehicle")
            continue
        by_vehicle[vehicle.id].append(trip)
        errors += _check_trip(problem, vehicle, trip, stops, where, cross_depot)
        for visit in trip.visits:
            delivered_kg[visit.stop_id] += visit.quantity_kg
            delivered_bags[visit.stop_id] += visit.bags

    for vehicle_id, trips in by_vehicle.items():
        errors += _check_day(vehicles[vehicle_id], trips)

    unserved: dict[str, float] = {}
    for stop_id, quantity, reason in result.unserved:
        if stop_id in unserved:
            errors.append(f"{stop_id}: listed twice as unserved")
        unserved[stop_id] = quantity
        if reason not in REASONS:
            errors.append(f"{stop_id}: unknown reason {reason!r}")
        if quantity <= 0:
            errors.append(f"{stop_id}: unserved quantity {quantity} is not positive")
    for stop in problem.stops:
        total = delivered_kg.get(stop.id, 0.0) + unserved.get(stop.id, 0.0)
        if abs(total - stop.demand_kg) > KG_TOL * max(1.0, stop.demand_kg):
            errors.append(f"{stop.id}: delivered + unserved = {total} kg, demand {stop.demand_kg} kg")
        bags = delivered_bags.get(stop.id, 0)
        if bags > stop.bags or (stop.id not in unserved and bags != stop.bags):
            errors.append(f"{stop.id}: {bags} bags delivered of {stop.bags}")
    for stop_id in set(delivered_kg) - set(stops):
        errors.append(f"{stop_id}: delivered to an unknown stop")

    cost = plan_cost(problem, result)
    if abs(cost - result.objective) > 1e-6 * max(1.0, abs(cost)):
        errors.append(f"objective {result.objective} differs from the plan's cost {cost}")
    return errors


def _check_trip(problem: Any, vehicle: Any, trip: Any, stops: dict, where: str, cross_depot: bool) -> list[str]:
    """Violations inside one trip: depot, hours, shift, windows, travel times, loads and capacity."""
    errors = []
    if trip.depot != vehicle.depot:
        errors.append(f"{where}: runs from depot {trip.depot}, home depot is {vehicle.depot}")
    depot = problem.depots[vehicle.depot]
    time_m, dist_m = problem.time_s[vehicle.profile], problem.dist_m[vehicle.profile]
    if trip.load_start_s < max(depot.open_s, vehicle.shift_start_s):
        errors.append(f"{where}: loads at {trip.load_start_s}, before the depot opens or the shift starts")
    if trip.start_s < trip.load_start_s + depot.load_time_s:
        errors.append(f"{where}: leaves at {trip.start_s} before loading is done")
    if trip.load_start_s + depot.load_time_s > depot.close_s:
        errors.append(f"{where}: loading ends after the depot closes")
    if not trip.visits:
        errors.append(f"{where}: empty trip")
    total_kg = sum(v.quantity_kg for v in trip.visits)
    total_bags = sum(v.bags for v in trip.visits)
    if total_kg > vehicle.capacity_kg + KG_TOL * max(1.0, vehicle.capacity_kg):
        errors.append(f"{where}: carries {total_kg} kg, capacity {vehicle.capacity_kg} kg")
    if vehicle.capacity_bags is not None and total_bags > vehicle.capacity_bags:
        errors.append(f"{where}: carries {total_bags} bags, capacity {vehicle.capacity_bags}")

    here, departure, on_board = depot.location, trip.start_s, total_kg
    for visit in trip.visits:
        stop = stops.get(visit.stop_id)
        at = f"{where} at {visit.stop_id}"
        if stop is None:
            errors.append(f"{at}: unknown stop")
            continue
        if visit.location != stop.location:
            errors.append(f"{at}: location {visit.location}, stop is at {stop.location}")
        if stop.allowed_profiles is not None and vehicle.profile not in stop.allowed_profiles:
            errors.append(f"{at}: profile {vehicle.profile} not allowed in the stop's zone")
        reach = getattr(vehicle, "max_reach_m", None)
        if reach is not None:
            home = depot.location if vehicle.reach_from is None else vehicle.reach_from
            if float(dist_m[home, stop.location]) > reach:
                errors.append(f"{at}: {dist_m[home, stop.location]:.0f} m from home, reach {reach:.0f} m")
        if not cross_depot and stop.depot is not None and stop.depot != vehicle.depot:
            errors.append(f"{at}: stop belongs to depot {stop.depot}")
        leg = float(time_m[here, stop.location])
        if not math.isfinite(leg):
            errors.append(f"{at}: no {vehicle.profile} path from location {here}")
        elif visit.arrival_s < departure + leg - S_TOL:
            errors.append(f"{at}: arrives at {visit.arrival_s}, earliest {departure + leg}")
        if visit.leg_time_s != leg or visit.leg_dist_m != float(dist_m[here, stop.location]):
            errors.append(f"{at}: reported leg differs from the matrices")
        if visit.start_s < max(visit.arrival_s, stop.tw_start_s):
            errors.append(f"{at}: service starts at {visit.start_s}, before arrival or window")
        if visit.start_s > stop.tw_end_s:
            errors.append(f"{at}: service starts at {visit.start_s}, window ends {stop.tw_end_s}")
        service = stop.service_s + stop.service_s_per_kg * visit.quantity_kg
        if visit.departure_s < visit.start_s + service - S_TOL:
            errors.append(f"{at}: leaves at {visit.departure_s}, service needs {service} s from {visit.start_s}")
        if visit.quantity_kg <= 0 and visit.bags <= 0:
            errors.append(f"{at}: delivers nothing")
        if abs(visit.load_kg - on_board) > KG_TOL * max(1.0, on_board):
            errors.append(f"{at}: load on arrival {visit.load_kg} kg, expected {on_board} kg")
        here, departure, on_board = stop.location, visit.departure_s, on_board - visit.quantity_kg

    back = float(time_m[here, depot.location])
    if not math.isfinite(back):
        errors.append(f"{where}: no {vehicle.profile} path back to the depot")
    elif trip.end_s < departure + back - S_TOL:
        errors.append(f"{where}: back at {trip.end_s}, earliest {departure + back}")
    if trip.return_leg_time_s != back or trip.return_leg_dist_m != float(dist_m[here, depot.location]):
        errors.append(f"{where}: reported return leg differs from the matrices")
    if trip.end_s > depot.close_s:
        errors.append(f"{where}: back at {trip.end_s}, after the depot closes at {depot.close_s}")
    if trip.end_s > vehicle.shift_end_s:
        errors.append(f"{where}: back at {trip.end_s}, after the shift ends at {vehicle.shift_end_s}")
    return errors


def _check_day(vehicle: Any, trips: list[Any]) -> list[str]:
    """Violations across a vehicle's trips: numbering, overlap, trip count and working time."""
    errors = []
    trips = sorted(trips, key=lambda t: t.trip)
    if [t.trip for t in trips] != list(range(1, len(trips) + 1)):
        errors.append(f"{vehicle.id}: trips numbered {[t.trip for t in trips]}")
    if len(trips) > vehicle.max_trips:
        errors.append(f"{vehicle.id}: {len(trips)} trips, at most {vehicle.max_trips}")
    for before, after in zip(trips, trips[1:]):
        if after.load_start_s < before.end_s:
            errors.append(f"{vehicle.id}: trip {after.trip} loads before trip {before.trip} is back")
    duration = trips[-1].end_s - trips[0].load_start_s
    if vehicle.max_duration_s is not None and duration > vehicle.max_duration_s:
        errors.append(f"{vehicle.id}: works {duration} s, at most {vehicle.max_duration_s} s")
    return errors


def plan_cost(problem: Any, result: Any) -> float:
    """Fixed cost of each used vehicle, plus its cost per km driven and per hour from first loading to last return."""
    vehicles = {v.id: v for v in problem.vehicles}
    cost = 0.0
    day: dict[str, list[int]] = {}
    for trip in result.trips:
        vehicle = vehicles[trip.vehicle_id]
        metres = sum(v.leg_dist_m for v in trip.visits) + trip.return_leg_dist_m
        cost += vehicle.cost_per_km * metres / 1000
        span = day.setdefault(trip.vehicle_id, [trip.load_start_s, trip.end_s])
        span[0], span[1] = min(span[0], trip.load_start_s), max(span[1], trip.end_s)
    for vehicle_id, (first, last) in day.items():
        cost += vehicles[vehicle_id].fixed_cost + vehicles[vehicle_id].cost_per_hour * (last - first) / 3600
    return cost


# --------------------------------------------------------------------------------------------------
# Re-plans: the fixed part of the day, then the whole day's consistency, from the plans' own frames
# --------------------------------------------------------------------------------------------------


def _visit_key(row: Any) -> tuple:
    return (row["vehicle_id"], int(row["trip"]), int(row["seq"]), row["stop_id"])


def check_replan(earlier: Any, new: Any, *, at_s: int, not_delivered: set = frozenset(),
                 broken: dict | None = None) -> list[str]:
    """List every way a re-plan ``new`` (a plan's frames) breaks the fixed part of ``earlier`` or the day's rules.

    Parameters
    ----------
    earlier, new
        Objects with ``routes`` (dispatch rows: vehicle_id, trip, seq, stop_id, arrival_s, departure_s,
        quantity_kg, capacity_kg, leg_min, depot_id), ``stops`` (stop_id, demand_kg), ``depots`` (depot_id,
        stock_kg) and, for ``new``, ``settings["curfew"]``.
    at_s
        Re-plan time.
    not_delivered
        ``(vehicle_id, trip, stop_id)`` of visits reported refused or failed.
    broken
        Vehicle id → time of its breakdown.
    """
    broken = broken or {}
    errors: list[str] = []
    old = [r for _, r in earlier.routes.iterrows()]
    now = {_visit_key(r): r for _, r in new.routes.iterrows()}
    # 1. What happened stays: visits finished by the re-plan time (or the breakdown) and not reported otherwise.
    for r in old:
        cut = min(at_s, broken.get(r["vehicle_id"], at_s))
        key = _visit_key(r)
        if (r["vehicle_id"], int(r["trip"]), r["stop_id"]) in not_delivered:
            if key in now and now[key]["arrival_s"] == r["arrival_s"]:
                errors.append(f"{key}: reported not delivered, still in the plan as before")
            continue
        if r["departure_s"] <= cut:
            if key not in now or now[key]["arrival_s"] != r["arrival_s"] or now[key]["departure_s"] != r["departure_s"]:
                errors.append(f"{key}: done at {r['departure_s']} before {cut}, not kept as it was")
    # 2. A trip in progress keeps its next stop.
    trips: dict[tuple, list] = defaultdict(list)
    for r in old:
        trips[(r["vehicle_id"], int(r["trip"]))].append(r)
    for (vid, trip), rows in trips.items():
        rows.sort(key=lambda r: int(r["seq"]))
        started = rows[0]["arrival_s"] - rows[0]["leg_min"] * 60 <= at_s
        upcoming = [r for r in rows if r["departure_s"] > at_s]
        if vid in broken or not started or not upcoming or upcoming[0]["arrival_s"] > at_s + 86_400:
            continue
        nxt = upcoming[0]
        if (vid, trip, nxt["stop_id"]) in not_delivered:
            continue
        if _visit_key(nxt) not in now:
            errors.append(f"{vid} trip {trip}: next stop {nxt['stop_id']} at the re-plan time was not kept")
    # 3. Nothing new happens before the re-plan time; a broken vehicle does nothing after its breakdown.
    before = {_visit_key(r): r for r in old}
    for key, r in now.items():
        if key not in before or before[key]["arrival_s"] != r["arrival_s"]:
            if r["arrival_s"] < at_s:
                errors.append(f"{key}: new visit arrives at {r['arrival_s']}, before the re-plan time {at_s}")
        if key[0] in broken and r["arrival_s"] >= broken[key[0]]:
            errors.append(f"{key}: vehicle broke down at {broken[key[0]]}")
    errors += check_day_frames(new)
    return errors


def check_day_frames(plan: Any) -> list[str]:
    """A whole day's dispatch rows: order and timing per vehicle, capacity per trip, curfew, demand and stock."""
    errors: list[str] = []
    routes = plan.routes.sort_values(["vehicle_id", "trip", "seq"])
    for vid, rows in routes.groupby("vehicle_id"):
        previous = None
        for _, r in rows.iterrows():
            if r["departure_s"] < r["arrival_s"]:
                errors.append(f"{vid} {r['stop_id']}: leaves before it arrives")
            if previous is not None:
                same_trip = int(previous["trip"]) == int(r["trip"])
                gap = r["leg_min"] * 60 if same_trip else 0.0
                if r["arrival_s"] + 1 < previous["departure_s"] + gap:
                    errors.append(f"{vid} trip {r['trip']} {r['stop_id']}: arrives at {r['arrival_s']}, "
                                  f"earliest {previous['departure_s'] + gap}")
            previous = r
        for trip, visits in rows.groupby("trip"):
            if visits["quantity_kg"].sum() > visits["capacity_kg"].iloc[0] + 1.0:
                errors.append(f"{vid} trip {trip}: {visits['quantity_kg'].sum()} kg on a "
                              f"{visits['capacity_kg'].iloc[0]} kg vehicle")
    curfew = plan.settings.get("curfew")
    if curfew:
        start = sum(int(x) * m for x, m in zip(curfew["start"].split(":"), (3600, 60)))
        end = sum(int(x) * m for x, m in zip(curfew["end"].split(":"), (3600, 60)))
        late = routes[(routes["departure_s"] > start) | (routes["arrival_s"] < end)]
        errors += [f"{r.vehicle_id} {r.stop_id}: during the curfew" for r in late.itertuples()]
    delivered = routes.groupby("stop_id")["quantity_kg"].sum()
    demand = dict(zip(plan.stops["stop_id"], plan.stops["demand_kg"]))
    for stop, kg in delivered.items():
        if stop not in demand:
            errors.append(f"{stop}: delivered to an unknown stop")
        elif kg > demand[stop] + 1.0:
            errors.append(f"{stop}: {kg} kg delivered, demand {demand[stop]} kg")
    loaded = routes.groupby("depot_id")["quantity_kg"].sum()
    for depot, stock in zip(plan.depots["depot_id"], plan.depots["stock_kg"]):
        if loaded.get(depot, 0.0) > stock + 1.0:
            errors.append(f"depot {depot}: {loaded[depot]} kg loaded, stock {stock} kg")
    return errors


def road_travel_s(scenario: Any) -> Any:
    """``travel_s(a_id, b_id)`` between the scenario's kitchens and camps by networkx's Dijkstra on the open truck
    network (no closures: a lower bound of any day's drive), not the planner's matrices."""
    network = load_network(profile="truck")
    places = {p.id: p for p in (*scenario.kitchens, *scenario.camps)}
    ids = list(places)
    nodes = dict(zip(ids, network.snap([places[i].lon for i in ids], [places[i].lat for i in ids]).node))
    graph = network.to_networkx()
    seconds = {a: nx.single_source_dijkstra_path_length(graph, nodes[a], weight="time_s") for a in ids}
    return lambda a, b: seconds[a][nodes[b]]


def check_meals(meals: Any, camps: Any, kitchens: Any, travel_s: Any) -> list[str]:
    """The camps' hot meals (a plan's ``meals`` frame) against the camps and kitchens it was planned for.

    ``travel_s(a_id, b_id)`` is the drive in seconds between two places (kitchen or camp ids), computed by the
    caller on the road network. Checks: every camp's every meal is delivered or listed with a reason, in full
    and no more; each hand-over lies within its meal's window and within the kitchen's longest ride since the
    van left; each van leaves after loading, drives its legs in order (drive and hand-over time between camps),
    carries no more than it holds and is back before its next run; no kitchen cooks more than its meals per
    service.
    """
    errors: list[str] = []
    camp_of = {c.id: c for c in camps}
    kitchen_of = {k.id: k for k in kitchens}
    done = meals[meals["status"] == "delivered"]
    short = meals[meals["status"] != "delivered"]
    errors += [f"{r.camp_id} meal {r.meal}: not delivered without a reason" for r in short.itertuples()
               if not r.reason_code]
    for camp in camps:
        for meal, window in enumerate(camp.meal_windows_s, start=1):
            got = done[(done["camp_id"] == camp.id) & (done["meal"] == meal)]["meals"].sum()
            missing = short[(short["camp_id"] == camp.id) & (short["meal"] == meal)]["meals"].sum()
            if got + missing != camp.headcount:
                errors.append(f"{camp.id} meal {meal}: {got} delivered + {missing} listed, headcount {camp.headcount}")
            rows = done[(done["camp_id"] == camp.id) & (done["meal"] == meal)]
            errors += [f"{camp.id} meal {meal}: hands over at {r.arrival_s}, window {window}"
                       for r in rows.itertuples() if not window[0] <= r.arrival_s <= window[1]]
    for (van, meal), run in done.sort_values("seq").groupby(["van_id", "meal"]):
        kitchen = kitchen_of[run["kitchen_id"].iloc[0]]
        errors += _check_meal_run(f"{van} meal {meal}", run, kitchen, camp_of, travel_s)
    for van, runs in done.groupby("van_id"):
        firsts = runs.drop_duplicates("meal").sort_values("depart_s")
        for a, b in zip(firsts.itertuples(), firsts.iloc[1:].itertuples()):
            if b.depart_s - kitchen_of[b.kitchen_id].load_s < a.return_s - S_TOL:
                errors.append(f"{van}: loads for meal {b.meal} before it is back from meal {a.meal}")
    for (kitchen_id, meal), rows in done.groupby(["kitchen_id", "meal"]):
        if rows["meals"].sum() > kitchen_of[kitchen_id].meals_per_service:
            errors.append(f"{kitchen_id} meal {meal}: {rows['meals'].sum()} meals cooked, "
                          f"capacity {kitchen_of[kitchen_id].meals_per_service}")
    return errors


def _check_meal_run(where: str, run: Any, kitchen: Any, camp_of: dict, travel_s: Any) -> list[str]:
    errors = []
    if run["van_id"].iloc[0] not in kitchen.van_ids():
        errors.append(f"{where}: not a van of {kitchen.id}")
    if run["meals"].sum() > kitchen.van_capacity_meals:
        errors.append(f"{where}: {run['meals'].sum()} meals on a van for {kitchen.van_capacity_meals}")
    depart = run["depart_s"].iloc[0]
    here, ready = kitchen.id, depart
    for r in run.itertuples():
        earliest = ready + travel_s(here, r.camp_id)
        if r.arrival_s < earliest - 1:
            errors.append(f"{where} {r.camp_id}: hands over at {r.arrival_s}, earliest {earliest}")
        if r.arrival_s - depart > kitchen.max_ride_s + S_TOL:
            errors.append(f"{where} {r.camp_id}: {r.arrival_s - depart} s since leaving, at most {kitchen.max_ride_s}")
        here, ready = r.camp_id, r.arrival_s + camp_of[r.camp_id].service_s
    if run["return_s"].iloc[0] < ready + travel_s(here, kitchen.id) - 1:
        errors.append(f"{where}: back at {run['return_s'].iloc[0]} before it can be")
    return errors
