"""The rest of the day as a day of its own: the trips in progress finished from their next stop, then a
scenario of what is still due, the stock left and each vehicle from when and where it is free.

A trip in progress keeps its next stop; the stops after it are re-sequenced from there (their load is on board:
it was packed for them) by a small OR-Tools search with a fixed budget. A stop the vehicle can no longer reach
in time, or whose zone now forbids it, leaves the trip: its load goes back to the depot and the stop is due
again. The vehicle is then free at its depot when it is back.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.clock import format_hhmm
from optimizer.replan.reports import Event
from optimizer.replan.state import DayState, TailStop, VehicleState
from optimizer.scenario.model import DemandPoint, Depot, Scenario, Vehicle, VehicleType

#: Safety cap of one tail's search. Tails are a handful of stops: the cheapest-arc start improved to a local
#: optimum (greedy descent, which stops by itself, so the result does not depend on the clock) is enough.
TAIL_TIME_LIMIT_S = 5
#: A leg without a path, in the tail's integer matrix (longer than any day).
NO_PATH_S = 10 * 86_400
#: Less than this is left over from rounding, not a delivery still due.
MIN_DUE_KG = 1.0


@dataclass(frozen=True)
class TailVisit:
    """One stop of a trip in progress after its next stop, as re-sequenced."""

    stop_id: str
    kg: dict[str, float]
    quantity_kg: float
    arrival_s: int
    start_s: int
    departure_s: int
    leg_time_s: float
    leg_dist_m: float
    location: int


@dataclass(frozen=True)
class Tail:
    """A trip in progress from its next stop back to its depot (``escaped``: cut off by a new closure, it drives
    back on the roads as they were and its legs come from the matrices without that closure)."""

    vehicle_id: str
    trip: int
    depot_id: str
    visits: tuple[TailVisit, ...]
    end_s: int
    return_leg_time_s: float
    return_leg_dist_m: float
    from_location: int
    depot_location: int
    dropped: tuple[tuple[TailStop, str], ...]
    escaped: bool = False


def finish_tails(state: DayState, *, vehicles: Mapping[str, Vehicle], points: Mapping[str, DemandPoint],
                 depots: Mapping[str, Depot], located, scenario: Scenario, escape=None) -> dict[str, Tail]:
    """Re-sequence every trip in progress from its next stop.

    Parameters
    ----------
    located
        Matrices over ``located.depots`` then ``located.points`` (:func:`optimizer.plan.pipeline.locate`),
        which hold every depot of a trip in progress, every next stop and every stop on board.
    escape
        The same places on the roads without closures (``None`` when there are none): how a vehicle cut off at
        its next stop gets back.
    """
    index = {p.id: k for k, p in enumerate([*located.depots, *located.points])}
    out = {}
    for vid, vs in state.vehicles.items():
        if vs.status != "on_trip":
            continue
        vehicle = vehicles[vid]
        matrix = located.matrices[vehicle.profile]
        allowed = [s for s in vs.tail if scenario.zone(points[s.stop_id].ward_id).allows(vehicle.profile)]
        barred = [(s, f"zone now closed to {vehicle.profile}") for s in vs.tail if s not in allowed]
        depot = depots[vs.depot_id]
        latest = min(vehicle.shift_end_s, depot.close_s)
        if escape is not None and not np.isfinite(matrix.time_s[index[vs.next_stop], index[vs.depot_id]]):
            # Cut off at its next stop by a closure: the vehicle leaves the way it came (checkpoints let vehicles
            # out) and takes the rest of its load back.
            cut_off = [(s, "cut off by a road closure") for s in vs.tail]
            out[vid] = dataclasses.replace(_sequence(vs, [], cut_off, escape.matrices[vehicle.profile], index,
                                                     points, latest), escaped=True)
            continue
        out[vid] = _sequence(vs, allowed, barred, matrix, index, points, latest)
    return out


def _sequence(vs: VehicleState, stops: Sequence[TailStop], barred: list, matrix, index: Mapping[str, int],
              points: Mapping[str, DemandPoint], latest_s: int) -> Tail:
    """The best order of ``stops`` from the next stop back to the depot, dropping what cannot be reached in time."""
    start, end = index[vs.next_stop], index[vs.depot_id]
    nodes = [start, *(index[s.stop_id] for s in stops), end]
    time = np.asarray(matrix.time_s)[np.ix_(nodes, nodes)]
    service = [0] + [round(points[s.stop_id].service_s + points[s.stop_id].service_s_per_kg * s.quantity_kg)
                     for s in stops] + [0]
    order = _search(time, service, [points[s.stop_id] for s in stops], vs.next_departure_s, latest_s)
    visits, here, clock = [], start, vs.next_departure_s
    for k in order:
        stop, point = stops[k - 1], points[stops[k - 1].stop_id]
        where = nodes[k]
        leg = float(matrix.time_s[here, where])
        arrival = clock + math.ceil(leg)
        begin = max(arrival, point.tw_start_s)
        departure = begin + service[k]
        visits.append(TailVisit(stop.stop_id, stop.kg, stop.quantity_kg, arrival, begin, departure, leg,
                                float(matrix.dist_m[here, where]), where))
        here, clock = where, departure
    kept = set(order)
    dropped = [*barred, *((s, "cannot be reached in time from the trip in progress")
                          for k, s in enumerate(stops, start=1) if k not in kept)]
    back = float(matrix.time_s[here, end])
    return Tail(vehicle_id=vs.vehicle_id, trip=vs.trip, depot_id=vs.depot_id, visits=tuple(visits),
                end_s=clock + math.ceil(back), return_leg_time_s=back, return_leg_dist_m=float(matrix.dist_m[here, end]),
                from_location=start, depot_location=end, dropped=tuple(dropped))


def _search(time: np.ndarray, service: Sequence[int], points: Sequence[DemandPoint], depart_s: int,
            latest_s: int) -> list[int]:
    """Node order (1…n) of a one-vehicle search from node 0 to node n+1 within the stops' windows."""
    n = len(time)
    if n == 2:
        return []
    cost = np.where(np.isfinite(time), np.ceil(time), NO_PATH_S).astype(np.int64) + np.asarray(service)[:, None]
    manager = pywrapcp.RoutingIndexManager(n, 1, [0], [n - 1])
    model = pywrapcp.RoutingModel(manager)
    callback = model.RegisterTransitMatrix(cost.tolist())
    model.SetArcCostEvaluatorOfAllVehicles(callback)
    model.AddDimension(callback, 86_400, 2 * 86_400, False, "time")
    clock = model.GetDimensionOrDie("time")
    clock.CumulVar(model.Start(0)).SetValue(depart_s)
    clock.CumulVar(model.End(0)).SetMax(max(depart_s, latest_s))
    for k, point in enumerate(points, start=1):
        node = manager.NodeToIndex(k)
        clock.CumulVar(node).SetRange(point.tw_start_s, max(point.tw_start_s, point.tw_end_s))
        model.AddDisjunction([node], NO_PATH_S * 10)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.time_limit.seconds = TAIL_TIME_LIMIT_S
    solution = model.SolveWithParameters(params)
    if solution is None:
        return []
    order, node = [], solution.Value(model.NextVar(model.Start(0)))
    while not model.IsEnd(node):
        order.append(manager.IndexToNode(node))
        node = solution.Value(model.NextVar(node))
    return order


# --------------------------------------------------------------------------------------------------
# The rest of the day as a scenario
# --------------------------------------------------------------------------------------------------


def rest_points(points: Sequence[DemandPoint], *, delivered: Mapping[str, Mapping[str, float]],
                delivered_kg: Mapping[str, float], scenario: Scenario, at_s: int) -> list[DemandPoint]:
    """Every drop point with what it still needs (its zone's priority as the zone stands now), from ``at_s`` on.

    ``delivered`` holds whole kilograms per commodity and ``delivered_kg`` the exact total per stop: what is left
    is the exact total, split over the commodities still short.
    """
    out = []
    for point in points:
        got = delivered.get(point.id, {})
        short = {c: max(0.0, kg - got.get(c, 0.0)) for c, kg in point.demand_kg.items()}
        total = max(0.0, point.total_kg - delivered_kg.get(point.id, 0.0))
        if total < MIN_DUE_KG or not math.fsum(short.values()):
            continue
        left = {c: total * kg / math.fsum(short.values()) for c, kg in short.items()}
        zone = scenario.zones_by_ward.get(point.ward_id)
        out.append(dataclasses.replace(
            point, demand_kg=left, priority=zone.priority if zone is not None else point.priority,
            tw_start_s=max(point.tw_start_s, at_s), tw_end_s=max(point.tw_end_s, at_s)))
    return out


def rest_fleet(scenario: Scenario, state: DayState, tails: Mapping[str, Tail], events: Sequence[Event],
               *, at_s: int) -> tuple[VehicleType, ...]:
    """One fleet row per vehicle still able to work: from its depot, when it is free, with the trips and working
    time it has left; vehicles added by events from their time on."""
    rows = []
    for vehicle in scenario.vehicles():
        vs = state.vehicles.get(vehicle.id)
        if vs is None or vs.status == "broken":
            continue
        free = tails[vehicle.id].end_s if vehicle.id in tails else max(vs.free_s, at_s, vehicle.shift_start_s)
        trips = vehicle.max_trips - vs.trips_used
        duration = vehicle.max_duration_s
        if duration is not None and vs.first_load_s is not None:
            duration -= free - vs.first_load_s
        if trips <= 0 or free >= vehicle.shift_end_s or (duration is not None and duration <= 0):
            continue
        rows.append(VehicleType(
            id=vehicle.id, name=vehicle.name, profile=vehicle.profile, capacity_kg=vehicle.capacity_kg, count=1,
            home_depot=vs.depot_id or vehicle.home_depot, shift_start_s=free, shift_end_s=vehicle.shift_end_s,
            max_trips=trips, max_duration_s=duration, cost_per_km_vnd=vehicle.cost_per_km_vnd,
            cost_per_hour_vnd=vehicle.cost_per_hour_vnd, fixed_cost_vnd=vehicle.fixed_cost_vnd,
            max_reach_km=vehicle.max_reach_km, drivers=(vehicle.driver,), plates=(vehicle.plate,),
            phones=(vehicle.phone,)))
    rows += [_added(event, scenario, at_s) for event in events if event.kind == "vehicle_added"]
    return tuple(rows)


def _added(event: Event, scenario: Scenario, at_s: int) -> VehicleType:
    """A vehicle added by an event, priced like the fleet's nearest row of its profile."""
    like = min((vt for vt in scenario.vehicle_types if vt.profile == event.profile),
               key=lambda vt: abs(vt.capacity_kg - event.capacity_kg), default=None)
    end = max(vt.shift_end_s for vt in scenario.vehicle_types) if like is None else like.shift_end_s
    return VehicleType(
        id=event.vehicle_id, name=event.note or f"{event.profile} {event.capacity_kg:g} kg (added {format_hhmm(event.time_s)})",
        profile=event.profile, capacity_kg=event.capacity_kg, count=1, home_depot=event.depot_id,
        shift_start_s=max(event.time_s, at_s), shift_end_s=end, max_trips=event.max_trips,
        cost_per_km_vnd=like.cost_per_km_vnd if like else 0.0, cost_per_hour_vnd=like.cost_per_hour_vnd if like else 0.0,
        fixed_cost_vnd=like.fixed_cost_vnd if like else 0.0, max_reach_km=like.max_reach_km if like else None)


def rest_depots(scenario: Scenario, stock_kg: Mapping[str, Mapping[str, float]]) -> tuple[Depot, ...]:
    """The depots with the stock left."""
    return tuple(dataclasses.replace(d, stock_kg={c: round(float(kg), 3) for c, kg in stock_kg[d.id].items()})
                 for d in scenario.depots)
