"""The day as a coordinator runs it: stock rationed fairly, wards assigned locality first, routes tested, idle
vehicles lent where food is still waiting.

Stages, each deterministic:

1. **Closed depots.** A closed depot serves nothing; its vehicles move to the nearest open depot of the same
   locality (by truck time), or stay idle with ``idle_closed``.
2. **Stock.** When the province's stock of a commodity cannot cover the day, red wards are served in full,
   then orange, yellow and green; the grade where the stock runs out gets one common share in every ward
   (the max-min fair share: every ward of the grade is cut alike). The rest is unserved for ``stock``.
3. **Locality first.** Each ward goes to a depot of its own locality within that depot's stock and within
   reach of its vehicles (:func:`optimizer.solve.assignment.assign_depots`, no fleet estimate); only what
   the locality's stock cannot cover goes, in a second pass, to another locality's remaining stock.
4. **Routes.** Every depot's points are routed with its own vehicles. Stops carry fair weights: a ward's
   first kilograms weigh more than its last, so a shortage of vehicle time is spread over the wards of a
   grade instead of emptying a few of them.
5. **Lending.** A depot whose vehicles could not carry all its points gets vehicles that still have shift
   time and trips: first from its own locality; from another locality only once nothing is left in the
   lender's own locality that it could serve. A lent vehicle drives to the depot, loads its stock there and
   returns home before its shift ends. Rounds repeat until one delivers nothing more, so no depot's spare
   vehicles and stock could still serve a point left unserved (up to the routing's own search).

Stages 1 to 3 are :mod:`optimizer.solve.allocation`. Every loan and every stock flow into another locality is
returned as a :class:`Loan` or :class:`~optimizer.solve.allocation.StockFlow` with its reason code
(:data:`optimizer.solve.reasons.TRANSFER_REASONS`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from optimizer.scenario import DemandPoint, Scenario
from optimizer.solve import routing
from optimizer.solve.allocation import (
    FAIR_WEIGHT_RANGE,
    StockFlow,
    assign_locality_first,
    fair_weights,
    grade_of,
    moved_homes,
    ration_stock,
    rationed,
    routing_vehicles,
    servable,
)
from optimizer.solve.assignment import Assignment

__all__ = ["DEFAULT_TIME_LIMIT_S", "PlanOptions", "DayResult", "Loan", "VehicleDay", "assign_day", "plan_day"]

#: A lent vehicle must have at least this long at the other depot to be worth sending.
MIN_LOAN_S = 45 * 60
#: Lenders per depot and round: enough capacity for this multiple of the depot's unserved kilograms.
LEND_CAPACITY_FACTOR = 1.5
MAX_LENDERS = 12
#: Passes with common shares (the first at the share the all-or-nothing plan reached) and the least rise of a
#: share worth another pass.
FAIR_PASSES = 3
FAIR_STEP = 0.005
#: Rounds of lending per phase (a round that delivers less than a kilogram ends the phase earlier).
MAX_ROUNDS = 4


#: The product's one default time limit (seconds) of the whole solve, assignment and routing together. It is
#: a safety cap: every search stops on a deterministic budget long before it on an ordinary machine.
DEFAULT_TIME_LIMIT_S = 600.0


@dataclass(frozen=True, kw_only=True)
class PlanOptions:
    """How to plan the day.

    Attributes
    ----------
    time_limit_s
        Safety cap of the whole solve (assignment, routes and lending together). The searches
        stop on deterministic budgets (``assignment_nodes``, ``effort``), so the same scenario, options and
        seed give the same plan on a quiet or a busy machine; :attr:`Plan.cut_by_time_limit` says when the
        cap fired instead.
    effort
        Scales the routing's search budgets (see :class:`optimizer.solve.routing.RoutingOptions`): 1 is the
        tuned default, less plans faster.
    seed
        The same scenario and seed give the same plan.
    level
        Depot assignment per ``ward`` (a ward team deals with one warehouse; solves in seconds) or per drop
        ``point`` (finer, but the day-sized model rarely finishes: see ``assignment_nodes``).
    assignment_nodes
        Deterministic budget of the assignment's branch and bound (nodes), so the same day gives the same
        assignment.
    max_depots, close_depots
        Assignment options (see :func:`optimizer.solve.assignment.assign_depots`).
    idle_closed
        Vehicles of a closed depot stay idle instead of moving to the nearest open depot of its locality.
    lend
        Lend vehicles with time and trips left to depots whose own vehicles could not serve all their points
        (own locality first); off, every depot works with its own vehicles only.
    fair_shares
        When the routes cannot serve a grade of a locality in full, plan the day again delivering the same
        share at every point of that grade (partial deliveries), so no ward of the grade is left at 0 %.
    balance
        Even out route durations across vehicles.
    engine
        Routing engine of the sub-problems: ``'ortools'``, ``'pyvrp'`` or ``'portfolio'`` (both, the better
        routes kept per sub-problem; see :attr:`optimizer.solve.routing.RoutingOptions.engine`).
    workers, dask_address
        Local processes that search the routing sub-problems at once, or a Dask scheduler to search them
        on; the plan does not depend on either.
    """

    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    effort: float = 1.0
    seed: int = 0
    level: Literal["point", "ward"] = "ward"
    assignment_nodes: int = 500
    max_depots: int | None = None
    close_depots: tuple[str, ...] = ()
    idle_closed: bool = False
    lend: bool = True
    fair_shares: bool = True
    balance: bool = False
    engine: str = "ortools"
    workers: int = 1
    dask_address: str | None = None


@dataclass(frozen=True)
class Loan:
    """A vehicle sent from one depot to another for the rest of its shift.

    ``depart_s`` it leaves ``from_depot``, ``arrive_s`` it is at ``to_depot`` (indices into the depots) ready
    to load, and it is due back home by ``home_by_s``.
    """

    vehicle_id: str
    from_depot: int
    to_depot: int
    depart_s: int
    arrive_s: int
    home_by_s: int
    reason_code: str


@dataclass
class VehicleDay:
    """Where a vehicle is and what it has left, between rounds."""

    vehicle: routing.Vehicle
    home: int
    locality: str
    base: int
    free_from_s: int
    first_load_s: int | None = None
    trips: int = 0

    @property
    def trips_left(self) -> int:
        return self.vehicle.max_trips - self.trips


@dataclass(frozen=True)
class DayResult:
    """The day's routes and everything a coordinator needs to sign them.

    Attributes
    ----------
    problem
        The whole day as one routing problem: every depot, every point (demand after stock rationing, by
        location ``n_depots + k`` for point ``k``), every vehicle at its home (after closed depots moved).
    trips
        Every trip of every round, in vehicle order, trips renumbered by time; ``trip.depot`` is where the
        vehicle loaded (another depot than its home when lent).
    delivered_kg
        Point id → kilograms delivered.
    unserved
        Point id → kilograms not delivered (rationing included).
    engine_reasons
        Point id → the routing's own reason for the part it left (``'no stock'`` for rationed stock).
    assignment
        The locality-first depot assignment (its ``points`` frame names each point's depot).
    depot_of_point
        Point id → depot index after both assignment passes.
    loans, stock_flows
        Vehicles lent and stock sent into other localities.
    moved
        Vehicle id → (closed depot index, new depot index) for vehicles of closed depots.
    rationed_share
        Grade → commodity → share of the demand the stock covers (1.0 where it covers all).
    served_points
        The points with their demand after rationing (what the routes carry, per commodity).
    closed_depots
        Ids of the depots closed for the day.
    rationed_kg
        Point id → kilograms the stock rationing cut.
    fair_share
        (locality, grade) → the share delivered at every point of a grade the routes could not serve in full
        (the day is then planned a second time with those shares).
    rounds
        Figures of each routing round (name, kg delivered, seconds).
    cut_by_time_limit, stopped_by, strategy, solve_time_s
        The routing searches' figures over all rounds.
    """

    problem: routing.RoutingProblem
    trips: list[routing.Trip]
    delivered_kg: dict[str, float]
    unserved: dict[str, float]
    engine_reasons: dict[str, str]
    assignment: Assignment
    depot_of_point: dict[str, int]
    loans: list[Loan]
    stock_flows: list[StockFlow]
    moved: dict[str, tuple[int, int]]
    rationed_share: dict[str, dict[str, float]]
    served_points: list[DemandPoint] = field(default_factory=list)
    closed_depots: tuple[str, ...] = ()
    rationed_kg: dict[str, float] = field(default_factory=dict)
    fair_share: dict[tuple[str, str], float] = field(default_factory=dict)
    rounds: list[dict] = field(default_factory=list)
    cut_by_time_limit: bool = False
    stopped_by: str = "nothing to search"
    strategy: str = ""
    solve_time_s: float = 0.0
    states: dict[str, VehicleDay] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Routing rounds
# --------------------------------------------------------------------------------------------------


@dataclass
class _Rounds:
    """Mutable state of the routing rounds."""

    problem: routing.RoutingProblem
    options: PlanOptions
    deadline: float
    states: dict[str, VehicleDay]
    remaining: dict[int, float]  # stop index → kg left
    depot_of: dict[int, int]  # stop index → depot index
    trips: list[routing.Trip] = field(default_factory=list)
    loans: list[Loan] = field(default_factory=list)
    rounds: list[dict] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    cut: bool = False
    searched: bool = False
    strategies: list[str] = field(default_factory=list)
    weights: dict[int, float] = field(default_factory=dict)  # stop index → weight overriding the stop's
    report: Callable[[str], None] = lambda name: None  # told each round's name as it starts

    def solve(self, name: str, stops: list[int], fleet: list[routing.Vehicle]) -> list[routing.Trip]:
        """Route ``stops`` (remaining kg) with ``fleet``; book the trips and what is left."""
        started = time.monotonic()
        self.report(name)
        sub = routing.RoutingProblem(
            depots=self.problem.depots,
            stops=[dataclasses.replace(self.problem.stops[s], demand_kg=self.remaining[s], depot=self.depot_of[s],
                                       weight=self.weights.get(s, self.problem.stops[s].weight))
                   for s in stops],
            vehicles=fleet, time_s=self.problem.time_s, dist_m=self.problem.dist_m,
        )
        left_s = max(1e-3, self.deadline - time.monotonic())
        result = routing.solve(sub, routing.RoutingOptions(
            time_limit_s=left_s, seed=self.options.seed, balance=self.options.balance, effort=self.options.effort,
            engine=self.options.engine, workers=self.options.workers, dask_address=self.options.dask_address,
        ))
        self.cut |= result.cut_by_time_limit
        self.searched |= result.stopped_by != "nothing to search"
        self.strategies.append(result.strategy_used)
        position = {sub.stops[k].id: s for k, s in enumerate(stops)}
        for trip in result.trips:
            for visit in trip.visits:
                self.remaining[position[visit.stop_id]] -= visit.quantity_kg
        for item in result.unserved:
            self.reasons[position[item.stop_id]] = item.reason
        self.trips += result.trips
        kg = sum(t.load_kg for t in result.trips)
        self.rounds.append({"round": name, "stops": len(stops), "vehicles": len(fleet),
                            "kg": round(kg, 1), "seconds": round(time.monotonic() - started, 2),
                            "engines": [dataclasses.asdict(c) for c in result.engines]})
        return result.trips

    def book(self, trips: Sequence[routing.Trip]) -> None:
        """Advance the vehicles that drove ``trips``."""
        for trip in trips:
            state = self.states[trip.vehicle_id]
            state.trips += 1
            state.base = trip.depot
            state.free_from_s = max(state.free_from_s, trip.end_s)
            if state.first_load_s is None or trip.load_start_s < state.first_load_s:
                state.first_load_s = trip.load_start_s

    def open_stops(self, depot: int) -> list[int]:
        return [s for s, kg in self.remaining.items() if kg > 1e-6 and self.depot_of[s] == depot]


def _travel_s(problem: routing.RoutingProblem, profile: str, a: int, b: int) -> float:
    """Whole seconds from depot ``a`` to depot ``b`` (``inf`` without a road, e.g. behind a closure)."""
    seconds = float(problem.time_s[profile][problem.depots[a].location, problem.depots[b].location])
    return float(routing.ceil_s(seconds)) if math.isfinite(seconds) else math.inf


def _lent(state: VehicleDay, problem: routing.RoutingProblem, to: int) -> tuple[routing.Vehicle, int, int] | None:
    """The vehicle as it would work at depot ``to`` for the rest of its shift: (vehicle, leaves, due home)."""
    v, depot = state.vehicle, problem.depots[to]
    if state.trips_left < 1:
        return None
    go_s = _travel_s(problem, v.profile, state.base, to)
    back_s = _travel_s(problem, v.profile, to, state.home)
    if not math.isfinite(go_s + back_s):
        return None
    go, back = int(go_s), int(back_s)
    leave = max(state.free_from_s, v.shift_start_s)
    start = max(leave + go, depot.open_s)
    end = v.shift_end_s - back
    if v.max_duration_s is not None:
        end = min(end, (state.first_load_s if state.first_load_s is not None else start) + v.max_duration_s - back)
    end = min(end, depot.close_s)
    if end - start < MIN_LOAN_S:
        return None
    lent = dataclasses.replace(v, depot=to, shift_start_s=start, shift_end_s=end, max_duration_s=None,
                               max_trips=state.trips_left, fixed_cost=0.0,
                               reach_from=problem.depots[state.home].location)
    return lent, leave, end + back


def _may_leave(state: VehicleDay, rounds: _Rounds, localities: Sequence[str]) -> bool:
    """A vehicle leaves its locality only when nothing left there is within its zone rules and reach."""
    problem = rounds.problem
    home_vehicle = dataclasses.replace(state.vehicle, depot=state.home, reach_from=None)
    for s, kg in rounds.remaining.items():
        if kg > 1e-6 and localities[s] == state.locality and servable(problem, [home_vehicle], problem.stops[s]):
            return False
    return True


def _lend_round(rounds: _Rounds, depot_localities: Sequence[str], localities: Sequence[str], phase: str) -> float:
    """One round of lending to every depot with points left; the kilograms it delivered."""
    problem = rounds.problem
    assigned: dict[int, float] = defaultdict(float)
    for s, d in rounds.depot_of.items():
        assigned[d] += max(problem.stops[s].demand_kg, rounds.remaining[s])
    # Highest priority first; within it the depot that has served the smallest share of its points, so
    # spare vehicles go where the shortage is deepest.
    needy = sorted(
        {rounds.depot_of[s] for s, kg in rounds.remaining.items() if kg > 1e-6},
        key=lambda d: (-max(problem.stops[s].priority for s in rounds.open_stops(d)),
                       -sum(rounds.remaining[s] for s in rounds.open_stops(d)) / max(assigned[d], 1e-9), d),
    )
    delivered = 0.0
    for d in needy:
        stops = rounds.open_stops(d)
        want = sum(rounds.remaining[s] for s in stops)
        offers = []
        for vid in sorted(rounds.states):
            state = rounds.states[vid]
            same = state.locality == depot_localities[d]
            if (phase == "same") != same or (not same and not _may_leave(state, rounds, localities)):
                continue
            lent = _lent(state, problem, d)
            if lent is not None and any(servable(problem, [lent[0]], problem.stops[s]) for s in stops):
                offers.append((_travel_s(problem, state.vehicle.profile, state.base, d), vid, lent))
        offers.sort(key=lambda o: (o[0], o[1]))
        chosen: list[tuple[str, tuple[routing.Vehicle, int, int]]] = []
        capacity = 0.0
        for _, vid, lent in offers:
            if capacity >= LEND_CAPACITY_FACTOR * want or len(chosen) >= MAX_LENDERS:
                break
            chosen.append((vid, lent))
            capacity += lent[0].capacity_kg * lent[0].max_trips
        if not chosen:
            continue
        trips = rounds.solve(f"lend {phase} → depot {problem.depots[d].id}", stops, [lent[0] for _, lent in chosen])
        used = {t.vehicle_id for t in trips}
        for vid, (vehicle, leave, home_by) in chosen:
            state = rounds.states[vid]
            if vid in used and state.base != d:
                code = "same_locality" if phase == "same" else "own_locality_served"
                rounds.loans.append(Loan(vid, state.base, d, leave, vehicle.shift_start_s, home_by, code))
        rounds.book(trips)
        delivered += sum(t.load_kg for t in trips)
    return delivered


# --------------------------------------------------------------------------------------------------
# The day
# --------------------------------------------------------------------------------------------------


def _day_problem(scenario: Scenario, points: Sequence[DemandPoint], time_s: Mapping[str, np.ndarray],
                 dist_m: Mapping[str, np.ndarray], options: PlanOptions,
                 fair_share: Mapping[tuple[str, str], float] | None = None):
    """The day as one routing problem (vehicles at their homes after closures), the rationed points and shares.

    ``fair_share`` maps (locality, grade) to the share of every such point's (rationed) demand to deliver.
    """
    depots = list(scenario.depots)
    n = len(depots)
    homes = moved_homes(scenario, time_s["truck"], options.close_depots, options.idle_closed)
    shares = ration_stock(scenario, points)
    served_points = rationed(points, scenario, shares)
    weights = fair_weights(points)
    scale = [(fair_share or {}).get((p.locality, grade_of(scenario, p)), 1.0)
             for p in served_points]
    stops = [routing.Stop(
        id=p.id, location=n + k, demand_kg=p.total_kg * scale[k], tw_start_s=p.tw_start_s, tw_end_s=p.tw_end_s,
        service_s=p.service_s, service_s_per_kg=p.service_s_per_kg, priority=p.priority,
        allowed_profiles=scenario.allowed_profiles(p.ward_id), weight=weights[p.id],
    ) for k, p in enumerate(served_points)]
    problem = routing.RoutingProblem(
        depots=[routing.Depot(id=d.id, location=j, open_s=d.open_s, close_s=d.close_s, load_time_s=d.load_time_s)
                for j, d in enumerate(depots)],
        stops=stops, vehicles=routing_vehicles(scenario, homes), time_s=time_s, dist_m=dist_m,
    )
    return problem, served_points, shares, homes


def assign_day(scenario: Scenario, points: Sequence[DemandPoint], time_s: Mapping[str, np.ndarray],
               dist_m: Mapping[str, np.ndarray], options: PlanOptions) -> tuple[Assignment, dict[str, int],
                                                                                list[StockFlow]]:
    """Only the locality-first assignment: the first pass's :class:`Assignment`, every point's depot index
    after both passes, and the stock sent into other localities."""
    problem, served_points, _, _ = _day_problem(scenario, points, time_s, dist_m, options)
    n = len(scenario.depots)
    return _assign(scenario, problem, served_points, np.asarray(time_s["truck"])[:n, n:], options,
                   time.monotonic() + options.time_limit_s)


def _assign(scenario: Scenario, problem: routing.RoutingProblem, points: Sequence[DemandPoint],
            truck_s: np.ndarray, options: PlanOptions, deadline: float) -> tuple[Assignment, dict[str, int],
                                                                                  list[StockFlow]]:
    return assign_locality_first(scenario, problem, points, truck_s, level=options.level,
                                 max_depots=options.max_depots, close=options.close_depots, seed=options.seed,
                                 node_limit=options.assignment_nodes, deadline=deadline)


def plan_day(scenario: Scenario, points: Sequence[DemandPoint], time_s: Mapping[str, np.ndarray],
             dist_m: Mapping[str, np.ndarray], options: PlanOptions,
             progress: Callable[[int, int, str], None] | None = None) -> DayResult:
    """Plan the day's deliveries as described in the module docstring.

    Parameters
    ----------
    scenario
        The day (depots, fleet, zones, times).
    points
        Its drop points (:func:`optimizer.demand.drop_points`).
    time_s, dist_m
        Per vehicle profile, square matrices over the depots (first, in scenario order) and then the points.
    options
        :class:`PlanOptions`.
    progress
        Optional ``progress(passes_done, passes_at_most, round_name)``, called as each routing round starts.
    """
    started = time.monotonic()
    deadline = started + options.time_limit_s
    passes = 1 + (FAIR_PASSES if options.fair_shares else 0)
    report = progress or (lambda done, total, name: None)
    result = _plan_once(scenario, points, time_s, dist_m, options, deadline, {}, lambda name: report(0, passes, name))
    shares = {key: got for key, (got, short) in _groups(scenario, result).items() if short}
    used: dict[tuple[str, str], float] = {}
    for k in range(FAIR_PASSES if shares and options.fair_shares else 0):
        # Deliver one common share at every point of each short grade; the next pass tries the share the
        # last one reached after topping up, and is kept only if no short grade's smallest ward share falls.
        def fair_round(name: str, done: int = k + 1) -> None:
            report(done, passes, f"fair shares: {name}")

        candidate = _plan_once(scenario, points, time_s, dist_m, options, deadline, shares, fair_round)
        if used and any(_smallest(scenario, candidate, key) < _smallest(scenario, result, key) - 1e-6
                        for key in shares):
            break
        result, used = candidate, dict(shares)
        reached = {key: got for key, (got, _) in _groups(scenario, result).items() if key in shares}
        shares = {key: max(share, reached[key]) for key, share in shares.items()}
        if all(shares[key] <= used[key] + FAIR_STEP for key in shares):
            break
    return dataclasses.replace(result, solve_time_s=time.monotonic() - started, fair_share=used)


def _groups(scenario: Scenario, result: DayResult) -> dict[tuple[str, str], tuple[float, bool]]:
    """(locality, grade) → (share of its demand after rationing delivered, whether the routes left some)."""
    wanted: dict[tuple[str, str], float] = defaultdict(float)
    got: dict[tuple[str, str], float] = defaultdict(float)
    for point in result.served_points:
        key = (point.locality, grade_of(scenario, point))
        wanted[key] += point.total_kg
        got[key] += result.delivered_kg.get(point.id, 0.0)
    return {key: (got[key] / kg, got[key] < kg * (1 - 1e-3)) for key, kg in sorted(wanted.items()) if kg > 0}


def _smallest(scenario: Scenario, result: DayResult, key: tuple[str, str]) -> float:
    """The smallest ward share of a (locality, grade) group."""
    wanted: dict[str, float] = defaultdict(float)
    got: dict[str, float] = defaultdict(float)
    for point in result.served_points:
        if (point.locality, grade_of(scenario, point)) == key:
            wanted[point.ward_id] += point.total_kg
            got[point.ward_id] += result.delivered_kg.get(point.id, 0.0)
    return min((got[w] / kg for w, kg in wanted.items() if kg > 0), default=1.0)


def _plan_once(scenario: Scenario, points: Sequence[DemandPoint], time_s: Mapping[str, np.ndarray],
               dist_m: Mapping[str, np.ndarray], options: PlanOptions, deadline: float,
               fair_share: Mapping[tuple[str, str], float], report: Callable[[str], None]) -> DayResult:
    """Assignment, routes with own vehicles, lending rounds (``report`` is told each round's name)."""
    started = time.monotonic()
    depots = list(scenario.depots)
    n = len(depots)
    problem, served_points, shares, homes = _day_problem(scenario, points, time_s, dist_m, options, fair_share)
    ids = [d.id for d in depots]
    moved = {v.id: (ids.index(v.home_depot), homes[v.id]) for v in scenario.vehicles()
             if homes[v.id] is not None and homes[v.id] != ids.index(v.home_depot)}
    assignment, depot_of, flows = _assign(scenario, problem, served_points, np.asarray(time_s["truck"])[:n, n:],
                                          options, deadline)
    index_of = {p.id: k for k, p in enumerate(points)}
    localities = [p.locality for p in points]
    rounds = _Rounds(
        problem=problem, options=options, deadline=deadline,
        states={v.id: VehicleDay(vehicle=v, home=v.depot, locality=depots[v.depot].locality, base=v.depot,
                                 free_from_s=v.shift_start_s) for v in problem.vehicles},
        remaining={index_of[p]: problem.stops[index_of[p]].demand_kg for p in depot_of},
        depot_of={index_of[p]: j for p, j in depot_of.items()}, report=report,
    )
    first = rounds.solve("own vehicles", sorted(rounds.remaining), list(problem.vehicles))
    rounds.book(first)
    depot_localities = [d.locality for d in depots]
    _lend_rounds(rounds, depot_localities, localities, options)
    if fair_share:
        _top_up(rounds, served_points, scenario)
        _lend_rounds(rounds, depot_localities, localities, options)
    result = _result(points, problem, rounds, assignment, depot_of, flows, moved, shares, started)
    rationed = {p.id: p.total_kg - q.total_kg for p, q in zip(points, served_points) if p.total_kg - q.total_kg > 1e-6}
    return dataclasses.replace(result, served_points=served_points, closed_depots=tuple(options.close_depots),
                               cut_by_time_limit=result.cut_by_time_limit or assignment.cut_by_time_limit,
                               rationed_kg=rationed)


def _lend_rounds(rounds: _Rounds, depot_localities: Sequence[str], localities: Sequence[str],
                 options: PlanOptions) -> None:
    for phase in ("same", "other") if options.lend else ():
        for _ in range(MAX_ROUNDS):
            if _lend_round(rounds, depot_localities, localities, phase) < 1.0:
                break


def _top_up(rounds: _Rounds, served_points: Sequence[DemandPoint], scenario: Scenario) -> None:
    """After the equal shares are served, offer the rest of every point to vehicles still free; the wards
    with the smallest share weigh most, so the smallest share rises first."""
    delivered: dict[int, float] = defaultdict(float)
    for s in range(len(served_points)):
        if s in rounds.depot_of:
            delivered[s] = rounds.problem.stops[s].demand_kg - rounds.remaining[s]
    share: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for s, point in enumerate(served_points):
        share[point.ward_id][0] += delivered.get(s, 0.0)
        share[point.ward_id][1] += point.total_kg
    for s in list(rounds.remaining):
        point = served_points[s]
        rounds.remaining[s] = point.total_kg - delivered[s]
        got, wanted = share[point.ward_id]
        rounds.weights[s] = float(FAIR_WEIGHT_RANGE ** (1.0 - (got / wanted if wanted else 1.0)))


def _result(points, problem, rounds: _Rounds, assignment, depot_of, flows, moved, shares, started) -> DayResult:
    trips = _renumbered(rounds.trips)
    delivered: dict[str, float] = defaultdict(float)
    for trip in trips:
        for visit in trip.visits:
            delivered[visit.stop_id] += visit.quantity_kg
    unserved, reasons = {}, {}
    for k, p in enumerate(points):
        left = p.total_kg - delivered.get(p.id, 0.0)
        if left > 1e-6:
            unserved[p.id] = left
            reasons[p.id] = ("no stock" if p.id not in depot_of
                             else rounds.reasons.get(k, "no capacity"))
    cut = rounds.cut
    return DayResult(
        problem=problem, trips=trips, delivered_kg=dict(delivered), unserved=unserved, engine_reasons=reasons,
        assignment=assignment, depot_of_point=depot_of, loans=rounds.loans, stock_flows=flows, moved=moved,
        rationed_share=shares, rounds=rounds.rounds, cut_by_time_limit=cut,
        stopped_by="time limit" if cut else ("solution limit" if rounds.searched else "nothing to search"),
        strategy=", ".join(dict.fromkeys(s for s in rounds.strategies if s != "none")),
        solve_time_s=time.monotonic() - started, states=rounds.states,
    )


def _renumbered(trips: Sequence[routing.Trip]) -> list[routing.Trip]:
    """All rounds' trips in vehicle order, each vehicle's trips by time and numbered from 1."""
    by_vehicle: dict[str, list[routing.Trip]] = defaultdict(list)
    for trip in trips:
        by_vehicle[trip.vehicle_id].append(trip)
    out = []
    for vid in sorted(by_vehicle):
        for number, trip in enumerate(sorted(by_vehicle[vid], key=lambda t: t.load_start_s), start=1):
            out.append(dataclasses.replace(trip, trip=number))
    return out
