"""The binding limit of every unserved kilogram, found by relaxation.

For each point left (partly) unserved, the limits of :data:`optimizer.solve.reasons.REASON_CODES` are lifted
one at a time, in that order, and the first whose lifting alone lets some vehicle serve the point is its
reason. "Serve" is tested with a dedicated round trip from the vehicle's depot (not by re-solving the day),
against what the vehicle has left at the end of the plan:

* ``stock``: the stock rationing cut the point (the province's stock of a commodity is short);
* ``unreachable`` / ``closed_road``: no vehicle has a road to it, even (``unreachable``) or only until
  (``closed_road``) the day's closures are lifted;
* ``zone_access``: the vehicles with a road to it are all barred by the zone's rule;
* ``reach``: the allowed vehicles with a road to it all have it beyond their reach;
* ``time_window`` / ``shift``: even an idle vehicle's whole shift has no round trip that meets the point's
  window (``time_window``) or fits at all (``shift``);
* ``trip_cap``: a vehicle that could serve it still has the time after its last trip, but not a trip;
* ``shift``: a vehicle with trips left would have the time if its shift ran to the end of the day (no
  curfew);
* ``vehicles``: every vehicle that could serve it is out of both trips and time: only more vehicles help.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from optimizer.clock import DAY_S
from optimizer.scenario import DemandPoint
from optimizer.solve import routing
from optimizer.solve.coordinator import DayResult, VehicleDay

__all__ = ["Diagnosis", "diagnose"]


@dataclass(frozen=True)
class Diagnosis:
    """Kilograms of a point left unserved by one binding limit."""

    point_id: str
    kg: float
    code: str


def diagnose(result: DayResult, points: Sequence[DemandPoint], *,
             reachable_without_closures: Iterable[str] = ()) -> list[Diagnosis]:
    """One row per point and binding limit (a point cut by rationing and by routing has two rows).

    Parameters
    ----------
    result
        The day's plan (:func:`optimizer.solve.coordinator.plan_day`).
    points
        The same points, with their full demand.
    reachable_without_closures
        Ids of points some depot reaches when the day's road closures are lifted.
    """
    problem = result.problem
    opened = set(reachable_without_closures)
    rows = []
    for k, point in enumerate(points):
        left = result.unserved.get(point.id, 0.0)
        if left <= 1e-6:
            continue
        rationed = min(left, result.rationed_kg.get(point.id, 0.0))
        if rationed > 1e-6:
            rows.append(Diagnosis(point.id, rationed, "stock"))
        if left - rationed > 1e-6:
            code = _limit(problem, result, problem.stops[k], point.id in opened)
            rows.append(Diagnosis(point.id, left - rationed, code))
    return rows


def _limit(problem: routing.RoutingProblem, result: DayResult, stop: routing.Stop, opens: bool) -> str:
    fleet = list(problem.vehicles)
    roads = [v for v in fleet if _round_trip_s(problem, v, v.depot, stop) is not None]
    if not roads:
        return "closed_road" if opens else "unreachable"
    allowed = [v for v in roads if stop.allowed_profiles is None or v.profile in stop.allowed_profiles]
    if not allowed:
        return "zone_access"
    able = [v for v in allowed if routing.within_reach(problem, v, stop.location)]
    if not able:
        return "reach"
    if not any(_fits(problem, v, v.depot, stop, v.shift_start_s, v.shift_end_s, window=False) for v in able):
        return "shift"
    if not any(_fits(problem, v, v.depot, stop, v.shift_start_s, v.shift_end_s, window=True) for v in able):
        return "time_window"
    if stop.id not in result.depot_of_point:
        return "stock"
    states = [result.states[v.id] for v in able]
    if any(s.trips_left < 1 and _fits_after(problem, s, stop, s.vehicle.shift_end_s) for s in states):
        return "trip_cap"
    if any(s.trips_left >= 1 and _fits_after(problem, s, stop, DAY_S) for s in states):
        return "shift"
    return "vehicles"


def _round_trip_s(problem: routing.RoutingProblem, v: routing.Vehicle, depot: int, stop: routing.Stop):
    at = problem.depots[depot].location
    there = float(problem.time_s[v.profile][at, stop.location])
    back = float(problem.time_s[v.profile][stop.location, at])
    return (there, back) if math.isfinite(there + back) else None


def _fits(problem: routing.RoutingProblem, v: routing.Vehicle, depot: int, stop: routing.Stop, start_s: float,
          end_s: float, *, window: bool) -> bool:
    """Whether a dedicated trip from ``depot`` loading no earlier than ``start_s`` is back by ``end_s``."""
    legs = _round_trip_s(problem, v, depot, stop)
    if legs is None:
        return False
    d = problem.depots[depot]
    load = max(start_s, d.open_s)
    arrive = load + d.load_time_s + legs[0]
    if window:
        arrive = max(arrive, stop.tw_start_s)
        if arrive > stop.tw_end_s:
            return False
    kg = min(stop.demand_kg, v.capacity_kg)
    back = arrive + stop.service_s + stop.service_s_per_kg * kg + legs[1]
    return back <= end_s and load + d.load_time_s <= d.close_s


def _fits_after(problem: routing.RoutingProblem, state: VehicleDay, stop: routing.Stop, end_s: float) -> bool:
    """Whether the vehicle, from where it ended the plan, could still make a dedicated trip by ``end_s``."""
    v = state.vehicle
    start = max(state.free_from_s, v.shift_start_s)
    if state.base != state.home:
        # A lent vehicle must still drive home.
        end_s -= float(problem.time_s[v.profile][problem.depots[state.base].location,
                                                 problem.depots[state.home].location])
    return _fits(problem, v, state.base, stop, start, end_s, window=True)
