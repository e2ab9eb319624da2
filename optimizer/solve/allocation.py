"""Who may serve whom, before any route: vehicles of closed depots, stock rationed by grade, fair weights, and
the locality-first depot assignment (the stages 1 to 3 of :mod:`optimizer.solve.coordinator`)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from optimizer.scenario import DemandPoint, Depot, Scenario
from optimizer.scenario.model import GRADES, PRIORITY_OF_GRADE
from optimizer.scenario.model import Vehicle as FleetVehicle
from optimizer.solve import routing
from optimizer.solve.assignment import Assignment, assign_depots

#: Weight of a ward's first kilogram against its last (stop weights run from this down to 1).
FAIR_WEIGHT_RANGE = 16.0


@dataclass(frozen=True)
class StockFlow:
    """Stock of ``depot`` assigned to a point of another locality (the locality's own stock fell short)."""

    depot: int
    point_id: str
    kg: dict[str, float]
    reason_code: str = "stock_short"


def grade_of(scenario: Scenario, point: DemandPoint) -> str:
    zone = scenario.zones_by_ward.get(point.ward_id)
    return zone.grade if zone is not None else "green"


# --------------------------------------------------------------------------------------------------
# Fleet and stock
# --------------------------------------------------------------------------------------------------


def moved_homes(scenario: Scenario, time_s: np.ndarray, close: Sequence[str], idle: bool) -> dict[str, int | None]:
    """Home depot index of each vehicle after closures: moved to the nearest open depot of its locality."""
    index = {d.id: j for j, d in enumerate(scenario.depots)}
    closed = set(close)
    homes: dict[str, int | None] = {}
    for v in scenario.vehicles():
        j = index[v.home_depot]
        if v.home_depot not in closed:
            homes[v.id] = j
            continue
        locality = scenario.depots[j].locality
        options = [(float(time_s[j, k]), k) for k, d in enumerate(scenario.depots)
                   if d.id not in closed and d.locality == locality and math.isfinite(time_s[j, k])]
        homes[v.id] = None if idle or not options else min(options)[1]
    return homes


def _window(v: FleetVehicle, scenario: Scenario) -> tuple[int, int]:
    """The vehicle's shift within the operating day and outside the curfew."""
    t = scenario.time
    start, end = max(v.shift_start_s, t.operating_start_s), min(v.shift_end_s, t.operating_end_s)
    for a, b in t.curfew_intervals():
        if a <= start < b:
            start = b
        if a < end <= b:
            end = a
    return start, max(start, end)


def routing_vehicles(scenario: Scenario, homes: Mapping[str, int | None]) -> list[routing.Vehicle]:
    out = []
    for v in scenario.vehicles():
        home = homes[v.id]
        if home is None:
            continue
        start, end = _window(v, scenario)
        out.append(routing.Vehicle(
            id=v.id, capacity_kg=v.capacity_kg, depot=home, profile=v.profile, shift_start_s=start,
            shift_end_s=end, max_duration_s=v.max_duration_s, cost_per_km=v.cost_per_km_vnd / 1000.0,
            cost_per_hour=v.cost_per_hour_vnd / 1000.0, fixed_cost=v.fixed_cost_vnd / 1000.0,
            max_trips=v.max_trips, max_reach_m=None if v.max_reach_km is None else v.max_reach_km * 1000.0,
        ))
    return out


def ration_stock(scenario: Scenario, points: Sequence[DemandPoint]) -> dict[str, dict[str, float]]:
    """Grade → commodity → share of demand the province's stock covers, red first (max-min fair in a grade)."""
    left = dict(scenario.stock_kg())
    shares: dict[str, dict[str, float]] = {}
    for grade in sorted(GRADES, key=lambda g: -PRIORITY_OF_GRADE[g]):
        need: dict[str, float] = defaultdict(float)
        for p in points:
            if grade_of(scenario, p) == grade:
                for c, kg in p.demand_kg.items():
                    need[c] += kg
        shares[grade] = {}
        for c in scenario.commodities:
            have = left.get(c, 0.0)
            share = 1.0 if need[c] <= have else max(0.0, have / need[c])
            shares[grade][c] = share
            left[c] = max(0.0, have - share * need[c])
    return shares


def rationed(points: Sequence[DemandPoint], scenario: Scenario, shares) -> list[DemandPoint]:
    out = []
    for p in points:
        grade = grade_of(scenario, p)
        cut = {c: kg * shares[grade].get(c, 1.0) for c, kg in p.demand_kg.items()}
        out.append(p if cut == p.demand_kg else dataclasses.replace(p, demand_kg=cut))
    return out


def fair_weights(points: Sequence[DemandPoint]) -> dict[str, float]:
    """Point id → stop weight: within a ward, points in id order, weighted by how much of the ward comes
    before them (the first kilograms weigh :data:`FAIR_WEIGHT_RANGE`, the last 1)."""
    by_ward: dict[str, list[DemandPoint]] = defaultdict(list)
    for p in points:
        by_ward[p.ward_id].append(p)
    weights = {}
    for members in by_ward.values():
        total = math.fsum(p.total_kg for p in members) or 1.0
        before = 0.0
        for p in sorted(members, key=lambda p: p.id):
            middle = (before + p.total_kg / 2) / total
            weights[p.id] = float(FAIR_WEIGHT_RANGE ** (1.0 - middle))
            before += p.total_kg
    return weights


# --------------------------------------------------------------------------------------------------
# Assignment, locality first
# --------------------------------------------------------------------------------------------------


def servable(problem: routing.RoutingProblem, vehicles: Sequence[routing.Vehicle], stop: routing.Stop) -> bool:
    """Whether any of ``vehicles`` may enter the stop's zone, has a road to it and has it within reach."""
    for v in vehicles:
        if stop.allowed_profiles is not None and v.profile not in stop.allowed_profiles:
            continue
        home = problem.depots[v.depot].location
        there = float(problem.time_s[v.profile][home, stop.location])
        back = float(problem.time_s[v.profile][stop.location, home])
        if math.isfinite(there + back) and routing.within_reach(problem, v, stop.location):
            return True
    return False


def _allowed_depots(problem: routing.RoutingProblem, depots: Sequence[Depot], points: Sequence[DemandPoint],
                    *, own_locality: bool, lenders: bool) -> np.ndarray:
    """``(depots, points)``: whether the depot may serve the point.

    The depot's own vehicles must be able to serve it (zone rule, road, reach), or with ``lenders`` any vehicle
    of the depot's locality working from it (reach still counted from its home); with ``own_locality`` the
    depot must be in the point's locality.
    """
    fleets: dict[int, list[routing.Vehicle]] = defaultdict(list)
    for v in problem.vehicles:
        if lenders:
            for j, depot in enumerate(depots):
                if depot.locality == depots[v.depot].locality:
                    home = v.reach_from if v.reach_from is not None else problem.depots[v.depot].location
                    fleets[j].append(dataclasses.replace(v, depot=j, reach_from=home))
        else:
            fleets[v.depot].append(v)
    allowed = np.zeros((len(depots), len(points)), dtype=bool)
    for k, (stop, point) in enumerate(zip(problem.stops, points)):
        for j, depot in enumerate(depots):
            if own_locality and depot.locality != point.locality:
                continue
            # A depot without vehicles may still serve: lent vehicles load there.
            allowed[j, k] = not fleets[j] or servable(problem, fleets[j], stop)
    return allowed


def assign_locality_first(
    scenario: Scenario, problem: routing.RoutingProblem, points: Sequence[DemandPoint], truck_s: np.ndarray, *,
    level: Literal["point", "ward"], max_depots: int | None, close: Sequence[str], seed: int, node_limit: int,
    deadline: float,
) -> tuple[Assignment, dict[str, int], list[StockFlow]]:
    """Assign priority by priority (red first), each within the stock the higher ones left, in three passes:
    whole wards to depots of their own locality whose own vehicles can serve them; then single points to any
    depot of their own locality (wards that fit no depot's remaining stock whole; the depot's stock may then
    go out with vehicles lent to it); then single points to any locality's remaining stock.

    With ``max_depots``, the depots the first pass opens are the only ones the later passes may use.
    Returns the passes merged into one :class:`Assignment`, each point's depot index and the stock flows.
    """
    depots = list(scenario.depots)
    index = {d.id: j for j, d in enumerate(depots)}
    steps: list[tuple[Literal["point", "ward"], np.ndarray]] = [
        (level, _allowed_depots(problem, depots, points, own_locality=True, lenders=False)),
        ("point", _allowed_depots(problem, depots, points, own_locality=True, lenders=True)),
        ("point", _allowed_depots(problem, depots, points, own_locality=False, lenders=True)),
    ]
    depot_of: dict[str, int] = {}
    stock = depots
    parts: list[Assignment] = []
    shut = list(close)
    for priority in sorted({p.priority for p in points}, reverse=True):
        for pass_level, allowed in steps:
            left = [k for k, p in enumerate(points)
                    if p.priority == priority and p.id not in depot_of and p.total_kg > 0]
            if not left:
                break
            done = assign_depots(stock, [points[k] for k in left], np.where(allowed, truck_s, np.inf)[:, left],
                                 level=pass_level, max_depots=max_depots, close=shut,
                                 time_limit_s=max(1e-3, deadline - time.monotonic()), seed=seed,
                                 node_limit=node_limit)
            parts.append(done)
            if max_depots is not None and len(parts) == 1:
                shut = [d.id for d, is_open in zip(depots, _opened(done)) if not is_open]
            depot_of.update({p: index[d] for p, d in done.depot_of().items()})
            used = {(r.depot_id, r.commodity): r.load_kg for r in done.depots.itertuples()}
            stock = [dataclasses.replace(d, stock_kg={c: max(0.0, kg - used.get((d.id, c), 0.0))
                                                      for c, kg in d.stock_kg.items()}) for d in stock]
    if not parts:  # nothing to deliver: an empty assignment
        parts.append(assign_depots(depots, [], np.zeros((len(depots), 0)), level=level, close=shut,
                                   time_limit_s=1.0, seed=seed, node_limit=node_limit))
    flows = [StockFlow(depot=depot_of[p.id], point_id=p.id, kg=dict(p.demand_kg)) for p in points
             if p.id in depot_of and depots[depot_of[p.id]].locality != p.locality]
    return _merged(parts, depots), depot_of, flows


def _opened(assignment: Assignment) -> list[bool]:
    """Per depot (in order), whether the assignment opened it."""
    return assignment.depots.groupby("depot_id", sort=False)["open"].any().tolist()


def _merged(parts: Sequence[Assignment], depots: Sequence[Depot]) -> Assignment:
    """The passes as one assignment: every point's row from the pass that assigned it (else its last one), the
    depots' loads summed over the passes against their full stock, the solvers' figures added up."""
    rows = pd.concat([part.points for part in parts], ignore_index=True)
    assigned = rows[rows["depot_id"] != ""]
    left = rows[~rows["point_id"].isin(assigned["point_id"])].drop_duplicates("point_id", keep="last")
    unassigned = pd.concat([part.unassigned for part in parts], ignore_index=True)
    unassigned = unassigned[~unassigned["point_id"].isin(assigned["point_id"])].drop_duplicates("point_id",
                                                                                                keep="last")
    frame = parts[0].depots.drop(columns=["load_kg", "load_share", "open"]).copy()
    stock = {(d.id, c): kg for d in depots for c, kg in d.stock_kg.items()}
    frame["stock_kg"] = [stock.get((d, c), 0.0) for d, c in zip(frame["depot_id"], frame["commodity"])]
    loads = pd.concat([part.depots for part in parts]).groupby(["depot_id", "commodity"], sort=False)
    frame["load_kg"] = [round(float(loads["load_kg"].sum()[(d, c)]), 3)
                        for d, c in zip(frame["depot_id"], frame["commodity"])]
    frame["load_share"] = np.where(frame["stock_kg"] > 0, frame["load_kg"] / frame["stock_kg"].where(
        frame["stock_kg"] > 0, 1.0), np.nan)
    frame["open"] = [bool(loads["open"].any()[(d, c)]) for d, c in zip(frame["depot_id"], frame["commodity"])]
    objective = math.fsum(part.objective for part in parts)
    bound = math.fsum(part.best_bound for part in parts)
    return Assignment(
        level=parts[0].level, points=pd.concat([assigned, left], ignore_index=True),
        depots=frame[parts[0].depots.columns], unassigned=unassigned.reset_index(drop=True), objective=objective,
        best_bound=bound, gap=max(0.0, (objective - bound) / max(abs(objective), 1e-9)),
        status="OPTIMAL" if all(part.status == "OPTIMAL" for part in parts) else "FEASIBLE",
        solve_time_s=math.fsum(part.solve_time_s for part in parts),
        backend=", ".join(dict.fromkeys(part.backend for part in parts if part.backend)),
        cut_by_time_limit=any(part.cut_by_time_limit for part in parts),
    )
