"""Vehicle routing core: depots, stops, a mixed fleet and matrices in; trips and unserved quantities out.

The model is built on the OR-Tools routing library and works on plain data only (location indices into
square per-profile time and distance matrices, ``np.inf`` for "no path").

Modelling choices
-----------------
Several depots
    Unless ``cross_depot`` is set, every stop belongs to the vehicles of its assigned depot (a stop with
    ``depot=None`` goes to the nearest depot that has vehicles), and each depot is solved as its own
    sub-problem, one after another, each getting a share of the time limit proportional to its size. With
    ``cross_depot`` one joint model lets any vehicle serve any stop.
Several trips per vehicle
    A vehicle with ``max_trips = k`` gets ``k - 1`` optional *reload* nodes at its home depot, usable by that
    vehicle only. The load dimension counts kilograms delivered since the last loading; a reload node has a
    demand of minus the vehicle's capacity and a slack that lets the count restart at zero (the OR-Tools
    ``cvrp_reload`` technique). A reload node takes the depot's ``load_time_s`` and must happen within the
    depot's opening hours, so one route per vehicle covers its whole day and fixed, hourly and duration
    limits apply once per vehicle.
Stops larger than a vehicle
    A stop whose demand exceeds what the largest vehicle able to serve it can carry is split into equal
    chunks (in whole grams and whole bags) that each fit that vehicle; every chunk is an optional node of its
    own. Delivered chunks add up to the demand; dropped chunks are reported as unserved quantity.
Priorities
    Every chunk may be dropped at a penalty. The penalties of one priority level exceed the sum of all
    penalties of the lower levels, so the search never keeps a lower-priority chunk at the price of dropping
    a higher-priority one; within a level a heavier chunk costs more to drop, and every penalty exceeds the
    cost of serving the chunk with a dedicated vehicle.
Time
    Times are whole seconds since midnight of the planning day; travel times are rounded up, so a plan that
    is feasible for the solver is feasible with the exact matrix. ``tw_end_s`` is the latest start of
    service. A vehicle works (loads, drives, serves, waits) only within its shift (the curfew) and within
    ``max_duration_s``; loading and returns happen within the depot's opening hours. An infinite matrix entry
    becomes a travel time longer than any shift, which the time dimension rejects.
Search
    A construction heuristic (parallel savings for single trips without binding windows, else parallel
    cheapest insertion; the others follow if it finds nothing or drops every stop) gives the first plan,
    and a metaheuristic improves it: by default OR-Tools' iterated local search with ruin and recreate
    (SISR string removals, cheapest insertion, simulated-annealing acceptance) when the stops have no
    binding time windows, guided local search when they have or when balancing (each measured best on
    those cases). Large sub-problems are improved part by part: a few neighbouring routes at a time, each
    part solved as a model of its own from the current routes, because both searches slow down with the
    model's size.
Determinism
    A search stopped by the wall clock is not reproducible, so each search also stops after a number of
    solutions (``RoutingOptions.solution_limit``), by default derived from the sub-problem's size and its
    fixed share of the time limit so that one core normally reaches it in about half that time; the time
    limit is only a safety cap, and :attr:`RoutingResult.stopped_by` says which limit ended the search (a
    slow machine may hit the cap, and then the plan may differ between runs). OR-Tools routing has no
    random seed: ``seed=0`` keeps the given order of stops and vehicles (the canonical plan) and any other
    seed permutes both before building the model, which steers the construction heuristics and the local
    search to a different, equally valid plan.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2

from optimizer.clock import DAY_S
from optimizer.errors import InputError, Problem

#: Reasons an unserved stop may carry. ``'no stock'`` is set by callers that ration stock before routing.
REASONS = ("no stock", "no capacity", "outside shift", "time window", "unreachable", "zone restriction")
PRIORITIES = range(4)

_GRAMS_PER_KG = 1000
_FirstSolution = routing_enums_pb2.FirstSolutionStrategy.Value
#: Construction heuristics tried in order until one yields a plan (PATH_CHEAPEST_ARC can find nothing on
#: tightly windowed instances such as Solomon R101; ALL_UNPERFORMED always succeeds and leaves the rest to
#: the local search).
_FALLBACK_STRATEGIES = (
    "PARALLEL_CHEAPEST_INSERTION", "PARALLEL_SAVINGS", "SAVINGS", "PATH_CHEAPEST_ARC", "ALL_UNPERFORMED"
)


@dataclass(frozen=True)
class _SearchTuning:
    """How one metaheuristic is sized, measured on one core.

    ``rate`` and ``rate_power`` give the solutions it accepts per second on a model of ``n`` nodes
    (``rate / n ** rate_power``), from which the deterministic budgets follow; each reload node counts as
    ``reload_weight`` nodes. Sub-problems with more than ``parts_above`` chunks are improved part by part,
    each part having about ``part_nodes`` stops and a budget of about ``part_seconds`` of search.
    """

    rate: float
    rate_power: int
    reload_weight: int
    parts_above: int
    part_nodes: int
    part_seconds: float


#: Guided local search: measured from 37 to 1,000 nodes. Iterated local search (one solution per ruin and
#: recreate): about 670 per second on 100 nodes and 150 on 400; a reload node, optional and mostly unused,
#: is tried again at every reinsertion and costs about three stops (measured on the default day's
#: multi-trip depots). Part sizes tuned on the X instances (parts of 50, 80, 100, 120 and 200 stops, 0.7 to
#: 3 s each: 80 stops and 1 s gave the lowest mean gap).
_TUNING = {
    "guided_local_search": _SearchTuning(
        rate=3e5, rate_power=2, reload_weight=1, parts_above=80, part_nodes=50, part_seconds=1.0
    ),
    "ruin_recreate": _SearchTuning(
        rate=7e4, rate_power=1, reload_weight=3, parts_above=100, part_nodes=80, part_seconds=1.0
    ),
}
METAHEURISTICS = ("auto", *_TUNING)
#: Penalty weight of guided local search relative to the mean arc cost (OR-Tools default 0.1; tuned on the
#: X and Solomon benchmarks).
_GLS_LAMBDA = 0.2
#: String removals per ruin: the average number of visits removed and the longest string, both as
#: suggested by Christiaens and Vanden Berghe (2020).
_RUIN_VISITS = 10
_RUIN_STRING = 10
_RUIN_BYPASS = 0.01
#: Largest scaled arc cost and largest total penalty; both keep every sum far from int64 overflow.
_MAX_ARC_COST = 1e9
_MAX_TOTAL_PENALTY = 1e17


@dataclass(frozen=True)
class Depot:
    """A warehouse where vehicles load and start and end their day.

    Parameters
    ----------
    id
        Unique name.
    location
        Index into the matrices.
    open_s, close_s
        Opening hours: every loading and every return happens within them.
    load_time_s
        Time to load a vehicle before each trip.
    """

    id: str
    location: int
    open_s: int = 0
    close_s: int = DAY_S
    load_time_s: int = 0


@dataclass(frozen=True)
class Stop:
    """A drop point to deliver to.

    Parameters
    ----------
    id
        Unique name.
    location
        Index into the matrices.
    demand_kg
        Quantity to deliver; may exceed every vehicle's capacity (the stop is then split).
    bags
        Optional second capacity dimension (food bags), checked against ``Vehicle.capacity_bags``.
    tw_start_s, tw_end_s
        Earliest and latest start of service.
    service_s, service_s_per_kg
        Service time of one visit: ``service_s + service_s_per_kg * kg delivered in that visit``.
    priority
        0 (green) to 3 (red); a higher priority is never dropped to serve a lower one.
    depot
        Index of the depot whose vehicles serve the stop; ``None`` lets the nearest depot serve it (ignored
        with ``RoutingOptions.cross_depot``).
    allowed_profiles
        Vehicle profiles allowed in the stop's zone (e.g. ``{'motorbike'}`` in a lockdown zone); ``None``
        allows all.
    """

    id: str
    location: int
    demand_kg: float
    bags: int = 0
    tw_start_s: int = 0
    tw_end_s: int = DAY_S
    service_s: int = 0
    service_s_per_kg: float = 0.0
    priority: int = 0
    depot: int | None = None
    allowed_profiles: frozenset[str] | None = None


@dataclass(frozen=True)
class Vehicle:
    """One vehicle of the fleet.

    Parameters
    ----------
    id
        Unique name.
    capacity_kg
        Load limit of one trip.
    depot
        Index of the home depot, where every trip starts and ends.
    profile
        Key of the matrices the vehicle travels on (``'truck'``, ``'motorbike'``).
    capacity_bags
        Bag limit of one trip; ``None`` for no limit.
    shift_start_s, shift_end_s
        The vehicle works only in between (the curfew is outside).
    max_duration_s
        Longest working day from first loading to last return; ``None`` for the whole shift.
    cost_per_km, cost_per_hour, fixed_cost
        Cost of distance driven, of working time (first loading to last return) and of using the vehicle.
    max_trips
        Trips per day; the vehicle reloads at its depot between trips.
    """

    id: str
    capacity_kg: float
    depot: int
    profile: str = "truck"
    capacity_bags: int | None = None
    shift_start_s: int = 0
    shift_end_s: int = DAY_S
    max_duration_s: int | None = None
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    fixed_cost: float = 0.0
    max_trips: int = 1


@dataclass(frozen=True, eq=False)
class RoutingProblem:
    """Everything the router needs, as plain data.

    Parameters
    ----------
    depots, stops, vehicles
        The depots, the stops to deliver to and the fleet.
    time_s, dist_m
        Per vehicle profile, square travel-time (seconds) and distance (metres) matrices over locations;
        ``np.inf`` marks a pair without a path (in both matrices alike).
    """

    depots: Sequence[Depot]
    stops: Sequence[Stop]
    vehicles: Sequence[Vehicle]
    time_s: Mapping[str, np.ndarray]
    dist_m: Mapping[str, np.ndarray]


@dataclass(frozen=True, kw_only=True)
class RoutingOptions:
    """How to search.

    Parameters
    ----------
    time_limit_s
        Wall-clock cap of the whole solve (split over the depots' sub-problems).
    seed
        0 for the canonical plan; another value permutes stops and vehicles to get a different plan.
    cross_depot
        Let any vehicle serve any stop, in one joint model.
    balance
        Even out route durations: the latest return of a sub-problem's fleet is charged as if every
        vehicle worked that long.
    first_solution
        Name of an OR-Tools ``FirstSolutionStrategy`` to start with (the fallbacks follow if it finds
        nothing); ``None`` picks parallel savings for single-trip problems without binding windows, else
        parallel cheapest insertion.
    metaheuristic
        ``'ruin_recreate'`` (iterated local search with string removals), ``'guided_local_search'``, or
        ``'auto'``: guided local search for sub-problems whose stops have time windows or when balancing,
        else ruin and recreate.
    solution_limit
        Deterministic search budget (solutions the local search may visit) per sub-problem, split over the
        rounds when a large one is improved part by part; ``None`` derives it from the sub-problem's size
        and share of the time limit; ``0`` means none, so only the time limit stops the search (for
        benchmarks; not reproducible).
    log_search
        Let OR-Tools log its search to stderr.
    """

    time_limit_s: float = 30.0
    seed: int = 0
    cross_depot: bool = False
    balance: bool = False
    first_solution: str | None = None
    metaheuristic: str = "auto"
    solution_limit: int | None = None
    log_search: bool = False


@dataclass(frozen=True)
class Visit:
    """One delivery of (part of) a stop's demand.

    ``arrival_s`` is when the vehicle gets there, ``start_s`` when service starts (after waiting for the
    window), ``load_kg`` what is on board on arrival, and the legs are from the previous visit or the depot.
    """

    stop_id: str
    location: int
    arrival_s: int
    start_s: int
    departure_s: int
    quantity_kg: float
    bags: int
    load_kg: float
    leg_time_s: float
    leg_dist_m: float


@dataclass(frozen=True)
class Trip:
    """One loading at the depot followed by a tour back to it.

    ``load_start_s`` is when loading starts, ``start_s`` when the vehicle leaves loaded and ``end_s`` when it
    is back; ``trip`` counts the vehicle's trips from 1 and ``depot`` is the depot's index.
    """

    vehicle_id: str
    trip: int
    depot: int
    load_start_s: int
    start_s: int
    end_s: int
    visits: tuple[Visit, ...]
    return_leg_time_s: float
    return_leg_dist_m: float

    @property
    def load_kg(self) -> float:
        """Kilograms loaded for this trip."""
        return sum(v.quantity_kg for v in self.visits)

    @property
    def dist_m(self) -> float:
        """Distance of the whole tour."""
        return sum(v.leg_dist_m for v in self.visits) + self.return_leg_dist_m


class Unserved(NamedTuple):
    """Quantity of a stop left undelivered, and why (one of :data:`REASONS`)."""

    stop_id: str
    quantity_kg: float
    reason: str


@dataclass(frozen=True)
class RoutingStats:
    """Totals of a plan."""

    km: float
    hours: float
    vehicles_used: int
    trips: int
    kg_delivered: float


@dataclass(frozen=True)
class RoutingResult:
    """A plan.

    Attributes
    ----------
    trips
        In vehicle order, then trip order.
    unserved
        One row per stop not fully delivered.
    objective
        Cost of the plan: fixed costs of used vehicles, cost per km and per working hour.
    status
        ``'complete'`` (every stop fully served), ``'partial'`` or ``'empty'`` (nothing served).
    solve_time_s
        Wall-clock time of the solve.
    strategy_used
        First-solution strategy and metaheuristic that produced the plan, such as ``'PARALLEL_SAVINGS +
        ruin_recreate'`` (one per sub-problem, comma-separated if they differ).
    stopped_by
        ``'solution limit'`` (reproducible), ``'time limit'`` (the cap cut a search short: not reproducible)
        or ``'nothing to search'``.
    stats
        Totals.
    """

    trips: list[Trip]
    unserved: list[Unserved]
    objective: float
    status: str
    solve_time_s: float
    strategy_used: str
    stopped_by: str
    stats: RoutingStats


@dataclass(frozen=True)
class _Route:
    """A vehicle's day as the solver found it.

    ``chunks`` lists chunk indices in visiting order, ``None`` marking a reload at the depot; ``times`` has
    the solver's time at the start (first loading), at each entry of ``chunks`` (start of service or of
    reloading) and at the end.
    """

    vehicle: int
    chunks: list[int | None]
    times: list[int]


@dataclass(frozen=True)
class _Chunk:
    """A part of a stop's demand that one visit delivers, with the vehicles able to deliver it."""

    stop: int
    kg: float
    grams: int
    bags: int
    service_s: int
    vehicles: tuple[int, ...]
    reason: str | None


def solve(problem: RoutingProblem, options: RoutingOptions | None = None) -> RoutingResult:
    """Plan the trips that deliver the stops' demand.

    Parameters
    ----------
    problem
        Depots, stops, fleet and matrices.
    options
        Search settings; defaults to :class:`RoutingOptions`.

    Returns
    -------
    RoutingResult
        Trips, unserved quantities with reasons, cost and statistics.

    Raises
    ------
    InputError
        If the problem is inconsistent (bad indices, missing matrices, reversed windows ...).
    """
    options = options or RoutingOptions()
    started = time.monotonic()
    _validate(problem, options)
    chunks = _make_chunks(problem, options.cross_depot)
    rng = np.random.default_rng(options.seed) if options.seed else None
    groups = _sub_problems(problem, chunks, options.cross_depot, rng)
    sizes = [len(c) for c, _ in groups]

    routes: list[_Route] = []
    strategies: list[str] = []
    stopped_by: list[str] = []
    for k, (chunk_ids, vehicle_ids) in enumerate(groups):
        # Time left rolls over to later sub-problems; the budget uses the fixed share to stay reproducible.
        remaining = options.time_limit_s - (time.monotonic() - started)
        # Budgets take about half of a share, so a sub-problem may also use what the later ones should
        # leave over: one slower than estimated is not cut short while time is left.
        later = options.time_limit_s * sum(sizes[k + 1 :]) / sum(sizes)
        cap = max(remaining * sizes[k] / sum(sizes[k:]), remaining - 0.5 * later)
        share = options.time_limit_s * sizes[k] / sum(sizes)
        found, strategy, stopped = _Model(problem, chunks, chunk_ids, vehicle_ids, options).solve(cap, share)
        routes += found
        strategies.append(strategy)
        stopped_by.append(stopped)
    trips = _trips(problem, chunks, sorted(routes, key=lambda r: r.vehicle))
    served = {c for r in routes for c in r.chunks if c is not None}
    unserved = _unserved(problem, chunks, served, trips)
    return _result(problem, trips, unserved, strategies, stopped_by, time.monotonic() - started)


def _validate(problem: RoutingProblem, options: RoutingOptions) -> None:
    """Raise :class:`InputError` listing every inconsistency of the problem."""
    found: list[Problem] = []

    def need(ok: bool, message: str, where: str) -> None:
        if not ok:
            found.append(Problem(message, field=where))

    profiles = {v.profile for v in problem.vehicles}
    size = None
    for profile in sorted(profiles):
        for name, matrices in (("time_s", problem.time_s), ("dist_m", problem.dist_m)):
            matrix = matrices.get(profile)
            need(matrix is not None, f"no matrix for profile '{profile}'", f"{name}[{profile}]")
            if matrix is None:
                continue
            matrix = np.asarray(matrix, dtype=float)
            need(matrix.ndim == 2 and matrix.shape[0] == matrix.shape[1], "matrix is not square", f"{name}[{profile}]")
            need(not np.isnan(matrix).any() and (matrix >= 0).all(), "negative or NaN entries", f"{name}[{profile}]")
            size = matrix.shape[0] if size is None else min(size, matrix.shape[0])
        if profile in problem.time_s and profile in problem.dist_m:
            same = np.array_equal(np.isinf(problem.time_s[profile]), np.isinf(problem.dist_m[profile]))
            need(same, "time and distance matrices disagree on unreachable pairs", f"dist_m[{profile}]")
    size = size or 0

    def check_ids(items: Sequence, kind: str) -> None:
        ids = [item.id for item in items]
        need(len(set(ids)) == len(ids), "ids are not unique", f"{kind}.id")

    check_ids(problem.depots, "depots")
    check_ids(problem.stops, "stops")
    check_ids(problem.vehicles, "vehicles")
    for i, d in enumerate(problem.depots):
        need(0 <= d.location < size, "location outside the matrices", f"depots[{i}].location")
        need(d.open_s <= d.close_s, "opens after it closes", f"depots[{i}].open_s")
        need(d.load_time_s >= 0, "negative load time", f"depots[{i}].load_time_s")
    for i, s in enumerate(problem.stops):
        need(0 <= s.location < size, "location outside the matrices", f"stops[{i}].location")
        need(s.demand_kg >= 0 and s.bags >= 0, "negative demand", f"stops[{i}].demand_kg")
        need(s.tw_start_s <= s.tw_end_s, "window ends before it starts", f"stops[{i}].tw_start_s")
        need(s.service_s >= 0 and s.service_s_per_kg >= 0, "negative service time", f"stops[{i}].service_s")
        need(s.priority in PRIORITIES, "priority must be 0 to 3", f"stops[{i}].priority")
        need(s.depot is None or 0 <= s.depot < len(problem.depots), "no such depot", f"stops[{i}].depot")
    for i, v in enumerate(problem.vehicles):
        need(0 <= v.depot < len(problem.depots), "no such depot", f"vehicles[{i}].depot")
        need(v.capacity_kg > 0, "capacity must be positive", f"vehicles[{i}].capacity_kg")
        need(v.capacity_bags is None or v.capacity_bags >= 0, "negative bag capacity", f"vehicles[{i}].capacity_bags")
        need(v.shift_start_s <= v.shift_end_s, "shift ends before it starts", f"vehicles[{i}].shift_start_s")
        need(v.max_duration_s is None or v.max_duration_s >= 0, "negative duration", f"vehicles[{i}].max_duration_s")
        need(min(v.cost_per_km, v.cost_per_hour, v.fixed_cost) >= 0, "negative cost", f"vehicles[{i}].cost_per_km")
        need(v.max_trips >= 1, "max_trips must be at least 1", f"vehicles[{i}].max_trips")
    need(options.time_limit_s > 0, "time limit must be positive", "options.time_limit_s")
    known = {name for name in _FirstSolution.keys() if name not in ("UNSET", "AUTOMATIC")}
    need(options.first_solution in known | {None}, "unknown first-solution strategy", "options.first_solution")
    need(options.metaheuristic in METAHEURISTICS, f"unknown metaheuristic, use one of {METAHEURISTICS}",
         "options.metaheuristic")
    need(options.solution_limit is None or options.solution_limit >= 0, "negative limit", "options.solution_limit")
    if found:
        raise InputError(found)


def _travel(problem: RoutingProblem, profile: str, a: int, b: int) -> float:
    """Travel time from location ``a`` to ``b`` on ``profile`` (inf without a path)."""
    return float(problem.time_s[profile][a, b])


def _depot_of(problem: RoutingProblem, stop: Stop) -> int | None:
    """The stop's depot, or for ``depot=None`` the depot with vehicles nearest by a round trip."""
    if stop.depot is not None:
        return stop.depot
    best, best_time = None, math.inf
    for v in problem.vehicles:
        loc = problem.depots[v.depot].location
        round_trip = _travel(problem, v.profile, loc, stop.location) + _travel(problem, v.profile, stop.location, loc)
        if best is None or round_trip < best_time:
            best, best_time = v.depot, round_trip
    return best


def _service_s(stop: Stop, kg: float) -> int:
    """Service time of a visit delivering ``kg``, rounded up to a whole second."""
    return math.ceil(stop.service_s + stop.service_s_per_kg * kg - 1e-9)


def _ceil_s(seconds: float) -> int:
    """Round a travel time up to whole seconds, forgiving float noise in integral values."""
    return math.ceil(seconds - 1e-6)


def _direct_trip(problem: RoutingProblem, vehicle: Vehicle, stop: Stop, service_s: int) -> str | None:
    """Why a dedicated depot-stop-depot trip of ``vehicle`` cannot serve ``stop``, or None if it can.

    Returns ``'outside shift'`` when the round trip does not fit the shift, depot hours or duration limit
    even ignoring the stop's window, and ``'time window'`` when it only misses the window.
    """
    depot = problem.depots[vehicle.depot]
    to_stop = _ceil_s(_travel(problem, vehicle.profile, depot.location, stop.location))
    back = _ceil_s(_travel(problem, vehicle.profile, stop.location, depot.location))
    first_load = max(vehicle.shift_start_s, depot.open_s)
    last_load = depot.close_s - depot.load_time_s
    day_end = min(vehicle.shift_end_s, depot.close_s)
    limit = math.inf if vehicle.max_duration_s is None else vehicle.max_duration_s

    def fits(tw_start: float, tw_end: float) -> bool:
        # Loading as late as the window allows avoids waiting, which only helps the duration limit.
        load = min(max(first_load, tw_start - to_stop - depot.load_time_s), last_load)
        if load < first_load:
            return False
        start = max(load + depot.load_time_s + to_stop, tw_start)
        end = start + service_s + back
        return start <= tw_end and end <= day_end and end - load <= limit

    if not fits(-math.inf, math.inf):
        return "outside shift"
    return None if fits(stop.tw_start_s, stop.tw_end_s) else "time window"


def _make_chunks(problem: RoutingProblem, cross_depot: bool) -> list[_Chunk]:
    """Split every stop into chunks that one vehicle can carry and list who can serve each."""
    chunks: list[_Chunk] = []
    for s, stop in enumerate(problem.stops):
        grams = math.ceil(stop.demand_kg * _GRAMS_PER_KG - 1e-6)
        if grams == 0 and stop.bags == 0:
            continue
        depot = None if cross_depot else _depot_of(problem, stop)
        candidates = [i for i, v in enumerate(problem.vehicles) if cross_depot or v.depot == depot]
        reason = "no capacity"
        for test, failure in (
            (lambda v: stop.allowed_profiles is None or v.profile in stop.allowed_profiles, "zone restriction"),
            (lambda v: _reaches(problem, v, stop), "unreachable"),
        ):
            if candidates:
                passed = [i for i in candidates if test(problem.vehicles[i])]
                reason = reason if passed else failure
                candidates = passed
        # Number of chunks each vehicle would need (its capacity bounds the chunk size).
        needs = {i: _chunks_needed(grams, stop.bags, problem.vehicles[i]) for i in candidates}
        candidates = [i for i in candidates if needs[i]]
        misses = {}
        for i in candidates:
            kg = stop.demand_kg / needs[i]
            misses[i] = _direct_trip(problem, problem.vehicles[i], stop, _service_s(stop, kg))
        feasible = [i for i in candidates if misses[i] is None]
        if candidates and not feasible:
            reason = "time window" if "time window" in misses.values() else "outside shift"
        if not feasible:
            chunks.append(_Chunk(s, stop.demand_kg, grams, stop.bags, _service_s(stop, stop.demand_kg), (), reason))
            continue
        count = min(needs[i] for i in feasible)
        split_grams = _split(grams, count)
        split_bags = _split(stop.bags, count)
        kgs = [stop.demand_kg * g / grams if grams else 0.0 for g in split_grams]
        kgs[-1] = stop.demand_kg - sum(kgs[:-1])
        for kg, g, b in zip(kgs, split_grams, split_bags):
            service = _service_s(stop, kg)
            able = tuple(
                i for i in feasible
                if _fits(problem.vehicles[i], g, b)
                and _direct_trip(problem, problem.vehicles[i], stop, service) is None
            )
            chunks.append(_Chunk(s, kg, g, b, service, able, None if able else "no capacity"))
    return chunks


def _reaches(problem: RoutingProblem, vehicle: Vehicle, stop: Stop) -> bool:
    """Whether the vehicle's profile has a path from its depot to the stop and back."""
    depot = problem.depots[vehicle.depot].location
    there = _travel(problem, vehicle.profile, depot, stop.location)
    return math.isfinite(there + _travel(problem, vehicle.profile, stop.location, depot))


def _grams(vehicle: Vehicle) -> int:
    """Capacity in whole grams, rounded down so that the solver never overloads."""
    return math.floor(vehicle.capacity_kg * _GRAMS_PER_KG + 1e-6)


def _chunks_needed(grams: int, bags: int, vehicle: Vehicle) -> int:
    """Chunks of a stop needed when every chunk must fit ``vehicle`` (0: it cannot carry any)."""
    count = max(1, math.ceil(grams / _grams(vehicle)))
    if bags and vehicle.capacity_bags is not None:
        if vehicle.capacity_bags == 0:
            return 0
        count = max(count, math.ceil(bags / vehicle.capacity_bags))
    return count


def _fits(vehicle: Vehicle, grams: int, bags: int) -> bool:
    """Whether one chunk fits the vehicle."""
    return grams <= _grams(vehicle) and (vehicle.capacity_bags is None or bags <= vehicle.capacity_bags)


def _split(total: int, count: int) -> list[int]:
    """``total`` in ``count`` integer parts as equal as possible."""
    base, extra = divmod(total, count)
    return [base + (k < extra) for k in range(count)]


def _sub_problems(
    problem: RoutingProblem, chunks: list[_Chunk], cross_depot: bool, rng: np.random.Generator | None
) -> list[tuple[list[int], list[int]]]:
    """Chunk and vehicle indices of each independent sub-problem (one per depot, or one joint)."""
    servable = [c for c, chunk in enumerate(chunks) if chunk.vehicles]
    # Vehicles that can serve nothing stay out: some could not even load within their shift.
    vehicles = sorted({v for c in servable for v in chunks[c].vehicles})
    if rng is not None:
        servable = [int(c) for c in rng.permutation(servable)]
        vehicles = [int(v) for v in rng.permutation(vehicles)]
    if cross_depot:
        groups = [(servable, vehicles)]
    else:
        groups = []
        for d in range(len(problem.depots)):
            fleet = [v for v in vehicles if problem.vehicles[v].depot == d]
            # Chunks list only vehicles of their own depot, so the first one tells the depot.
            mine = [c for c in servable if problem.vehicles[chunks[c].vehicles[0]].depot == d]
            groups.append((mine, fleet))
    return [(c, v) for c, v in groups if c and v]


class _Model:
    """The OR-Tools model of one sub-problem.

    Nodes are laid out as: the depots of the sub-problem's vehicles, then the chunks, then the reload nodes
    (``max_trips - 1`` per vehicle).
    """

    def __init__(
        self,
        problem: RoutingProblem,
        chunks: list[_Chunk],
        chunk_ids: list[int],
        vehicle_ids: list[int],
        options: RoutingOptions,
    ) -> None:
        self.problem, self.chunks, self.options = problem, chunks, options
        self.chunk_ids, self.vehicle_ids = chunk_ids, vehicle_ids
        fleet = [problem.vehicles[v] for v in vehicle_ids]
        depot_ids = sorted({v.depot for v in fleet})
        depot_node = {d: n for n, d in enumerate(depot_ids)}
        self.first_chunk_node = len(depot_ids)
        first_reload = self.first_chunk_node + len(chunk_ids)
        self.reload_owner = [k for k, v in enumerate(fleet) for _ in range(v.max_trips - 1)]
        depots = [problem.depots[d] for d in depot_ids]
        sub_chunks = [chunks[c] for c in chunk_ids]
        reload_depots = [problem.depots[fleet[k].depot] for k in self.reload_owner]

        self.location = np.array(
            [d.location for d in depots]
            + [problem.stops[c.stop].location for c in sub_chunks]
            + [d.location for d in reload_depots],
            dtype=np.int64,
        )
        service = np.array(
            [d.load_time_s for d in depots]
            + [c.service_s for c in sub_chunks]
            + [d.load_time_s for d in reload_depots],
            dtype=np.int64,
        )
        grams = [0] * len(depots) + [c.grams for c in sub_chunks] + [-_grams(fleet[k]) for k in self.reload_owner]
        n_nodes = len(self.location)
        starts = [depot_node[v.depot] for v in fleet]
        self.manager = pywrapcp.RoutingIndexManager(n_nodes, len(fleet), starts, starts)
        self.routing = pywrapcp.RoutingModel(self.manager)
        routing, manager = self.routing, self.manager

        day_end = [min(v.shift_end_s, problem.depots[v.depot].close_s) for v in fleet]
        self.horizon = max(day_end) + 1
        # Windows narrower than the fleet's working day change which construction and metaheuristic work
        # best; a window equal to the operating day (the scenario's default) binds no more than the shifts.
        day_start = min(max(v.shift_start_s, problem.depots[v.depot].open_s) for v in fleet)
        self.windowed = any(
            (stop := problem.stops[c.stop]).tw_start_s > day_start or stop.tw_end_s < self.horizon - 1
            for c in sub_chunks
        )
        if options.metaheuristic == "auto":
            # Balancing charges the latest return, which one reinsertion at a time cannot lower.
            guided = self.windowed or options.balance
            self.metaheuristic = "guided_local_search" if guided else "ruin_recreate"
        else:
            self.metaheuristic = options.metaheuristic
        self.tuning = _TUNING[self.metaheuristic]
        profiles = sorted({v.profile for v in fleet})
        transit = {p: self._time_matrix(p, service) for p in profiles}
        time_callbacks = {p: routing.RegisterTransitMatrix(transit[p].tolist()) for p in profiles}
        routing.AddDimensionWithVehicleTransits(
            [time_callbacks[v.profile] for v in fleet], self.horizon, self.horizon, False, "time"
        )
        self.time = routing.GetDimensionOrDie("time")

        scale, penalty = self._cost_scale(fleet, sub_chunks, profiles)
        cost_callbacks: dict[tuple[str, float], int] = {}
        for k, v in enumerate(fleet):
            key = (v.profile, v.cost_per_km)
            if key not in cost_callbacks:
                cost_callbacks[key] = routing.RegisterTransitMatrix(self._cost_matrix(v, scale).tolist())
            routing.SetArcCostEvaluatorOfVehicle(cost_callbacks[key], k)
            routing.SetFixedCostOfVehicle(round(scale * v.fixed_cost), k)
            if v.cost_per_hour:
                # Only when needed: any span cost switches on slower LP-based schedule filters.
                self.time.SetSpanCostCoefficientForVehicle(round(scale * v.cost_per_hour / 3600), k)
            if v.max_duration_s is not None:
                self.time.SetSpanUpperBoundForVehicle(v.max_duration_s, k)
            depot = problem.depots[v.depot]
            first_load = max(v.shift_start_s, depot.open_s)
            self.time.CumulVar(routing.Start(k)).SetRange(first_load, day_end[k] - depot.load_time_s)
            self.time.CumulVar(routing.End(k)).SetRange(first_load, day_end[k])
            # Tight reported schedules: return as early as possible, then load as late as possible.
            routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(routing.End(k)))
            routing.AddVariableMaximizedByFinalizer(self.time.CumulVar(routing.Start(k)))
        if options.balance:
            self.time.SetGlobalSpanCostCoefficient(max(1, round(scale * self._balance_rate(fleet, profiles))))

        self._add_capacity(routing.RegisterUnaryTransitVector(grams), [_grams(v) for v in fleet], "load")
        bags = [0] * len(depots) + [c.bags for c in sub_chunks]
        if any(bags) and any(v.capacity_bags is not None for v in fleet):
            unlimited = sum(bags)
            capacity = [unlimited if v.capacity_bags is None else v.capacity_bags for v in fleet]
            bags += [-capacity[k] for k in self.reload_owner]
            self._add_capacity(routing.RegisterUnaryTransitVector(bags), capacity, "bags")

        position = {v: k for k, v in enumerate(vehicle_ids)}
        for n, (c, chunk) in enumerate(zip(chunk_ids, sub_chunks), start=self.first_chunk_node):
            index = manager.NodeToIndex(n)
            stop = problem.stops[chunk.stop]
            self.time.CumulVar(index).SetRange(stop.tw_start_s, min(stop.tw_end_s, self.horizon))
            # SetAllowedVehiclesForIndex has no working Python binding in OR-Tools 9.15; the vehicle
            # variable's domain (-1: dropped) says the same.
            routing.VehicleVar(index).SetValues([-1, *(position[v] for v in chunk.vehicles if v in position)])
            routing.AddDisjunction([index], penalty[n - self.first_chunk_node])
        for n, (k, depot) in enumerate(zip(self.reload_owner, reload_depots), start=first_reload):
            index = manager.NodeToIndex(n)
            self.time.CumulVar(index).SetRange(depot.open_s, depot.close_s - depot.load_time_s)
            routing.VehicleVar(index).SetValues([-1, k])
            routing.AddDisjunction([index], 0)

    def _time_matrix(self, profile: str, service: np.ndarray) -> np.ndarray:
        """Service at the origin plus travel, in whole seconds; no path costs more than the horizon."""
        travel = np.asarray(self.problem.time_s[profile], dtype=float)[np.ix_(self.location, self.location)]
        finite = np.isfinite(travel)
        whole = np.ceil(np.where(finite, travel, 0.0) - 1e-6).clip(min=0).astype(np.int64)
        return np.where(finite, whole + service[:, None], self.horizon + 1)

    def _cost_matrix(self, vehicle: Vehicle, scale: float) -> np.ndarray:
        """Scaled distance cost; arcs without a path (already infeasible in time) get a high cost."""
        dist = np.asarray(self.problem.dist_m[vehicle.profile], dtype=float)[np.ix_(self.location, self.location)]
        finite = np.isfinite(dist)
        cost = np.rint(scale * vehicle.cost_per_km / 1000 * np.where(finite, dist, 0.0)).astype(np.int64)
        return np.where(finite, cost, 10 * int(cost.max()) + 1)

    def _max_dist(self, profile: str) -> float:
        """Longest finite distance between the sub-problem's nodes on ``profile``."""
        dist = np.asarray(self.problem.dist_m[profile], dtype=float)[np.ix_(self.location, self.location)]
        finite = dist[np.isfinite(dist)]
        return float(finite.max()) if finite.size else 0.0

    def _balance_rate(self, fleet: list[Vehicle], profiles: list[str]) -> float:
        """Cost per second of the latest return when balancing: the fleet's total cost rate."""
        speed = {}
        for p in profiles:
            travel = np.asarray(self.problem.time_s[p], dtype=float)[np.ix_(self.location, self.location)]
            dist = np.asarray(self.problem.dist_m[p], dtype=float)[np.ix_(self.location, self.location)]
            ok = np.isfinite(travel) & (travel > 0)
            speed[p] = float(dist[ok].sum() / travel[ok].sum()) if ok.any() else 0.0
        return sum(v.cost_per_hour / 3600 + v.cost_per_km * speed[v.profile] / 1000 for v in fleet)

    def _cost_scale(
        self, fleet: list[Vehicle], sub_chunks: list[_Chunk], profiles: list[str]
    ) -> tuple[float, list[int]]:
        """Pick the power of ten that turns costs into integers, and the drop penalty of every chunk.

        The scale is as fine as the largest arc cost allows, but coarse enough that all penalties together
        stay below :data:`_MAX_TOTAL_PENALTY`.
        """
        max_dist = {p: self._max_dist(p) for p in profiles}
        arc = max(v.cost_per_km * max_dist[v.profile] / 1000 for v in fleet)
        hours = max(v.cost_per_hour for v in fleet) * self.horizon / 3600
        fixed = max(v.fixed_cost for v in fleet)
        balance = self._balance_rate(fleet, profiles) * self.horizon if self.options.balance else 0.0
        # A dedicated vehicle costs at most this much, so any penalty above it keeps a servable chunk.
        serve = 2 * (fixed + 2 * arc + hours + balance) + 1e-9
        weights = _penalty_weights(sub_chunks, self.problem)
        largest = max(arc, hours, fixed, balance, 1e-9)
        scale = min(_MAX_ARC_COST / largest, _MAX_TOTAL_PENALTY / (serve * sum(weights)))
        scale = 10.0 ** math.floor(math.log10(scale))
        unit = max(1, math.ceil(scale * serve))
        return scale, [unit * w for w in weights]

    def _add_capacity(self, callback: int, capacity: list[int], name: str) -> None:
        """A per-trip capacity dimension whose count restarts at zero at the vehicle's reload nodes."""
        routing = self.routing
        slack = max(capacity) if self.reload_owner else 0
        routing.AddDimensionWithVehicleCapacity(callback, slack, capacity, True, name)
        dimension = routing.GetDimensionOrDie(name)
        if self.reload_owner:
            # Only reload nodes may discard the count; elsewhere slack would just waste capacity.
            for n in range(self.first_chunk_node + len(self.chunk_ids)):
                if n >= self.first_chunk_node:
                    dimension.SlackVar(self.manager.NodeToIndex(n)).SetValue(0)
            for k in range(len(self.vehicle_ids)):
                dimension.SlackVar(routing.Start(k)).SetValue(0)

    def _parameters(self, strategy: str, time_limit_s: float, solution_limit: int) -> object:
        """Search parameters: the given construction, then the model's metaheuristic within the limits."""
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(_FirstSolution, strategy)
        if self.metaheuristic == "ruin_recreate":
            self._ruin_recreate(params)
        else:
            params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
            params.guided_local_search_lambda_coefficient = _GLS_LAMBDA
            # Let the operators that pay off on this instance run more often.
            params.use_multi_armed_bandit_concatenate_operators = True
        params.use_full_propagation = False
        params.time_limit.FromNanoseconds(max(1, int(time_limit_s * 1e9)))
        if solution_limit:
            params.solution_limit = solution_limit
        params.log_search = self.options.log_search
        return params

    @staticmethod
    def _ruin_recreate(params: object) -> None:
        """Iterated local search: remove strings of nearby visits, reinsert them by cheapest insertion and
        accept the result by simulated annealing (temperatures from the mean arc cost), as in SISR."""
        params.use_iterated_local_search = True
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        ils = params.iterated_local_search_parameters
        ils.perturbation_strategy = routing_ils_pb2.PerturbationStrategy.RUIN_AND_RECREATE
        # Many cheap ruin-and-recreate steps beat few that each end in a full local search.
        ils.improve_perturbed_solution = False
        recreate = ils.ruin_recreate_parameters
        ruin = recreate.ruin_strategies.add().sisr
        ruin.avg_num_removed_visits, ruin.max_removed_sequence_size = _RUIN_VISITS, _RUIN_STRING
        ruin.bypass_factor = _RUIN_BYPASS
        recreate.recreate_strategy.heuristic = _FirstSolution.LOCAL_CHEAPEST_INSERTION
        annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
        annealing.cooling_schedule_strategy = routing_ils_pb2.CoolingScheduleStrategy.EXPONENTIAL
        annealing.automatic_temperatures = True
        ils.best_solution_acceptance_strategy.greedy_descent.SetInParent()

    def _solutions_per_second(self) -> float:
        """What the metaheuristic reaches on one core for this model's size."""
        size = len(self.location) + (self.tuning.reload_weight - 1) * len(self.reload_owner)
        return self.tuning.rate / size**self.tuning.rate_power

    def _solution_budget(self, time_share_s: float) -> int:
        """Deterministic budget of local-search solutions for a sub-problem given ``time_share_s``.

        About half of what one core reaches in that time (so the budget, not the clock, normally ends the
        search), and at most 50 per node, which lets small problems stop once they have converged.
        """
        if self.options.solution_limit is not None:
            return self.options.solution_limit
        return max(1, min(int(0.5 * time_share_s * self._solutions_per_second()), 50 * len(self.location)))

    def _strategies(self) -> list[str]:
        """Construction heuristics in the order they are tried."""
        if self.options.first_solution:
            first = self.options.first_solution
        else:
            # Savings merges whole trips and finds nothing to merge once trips are chained by reloads.
            savings = not self.windowed and not self.reload_owner
            first = "PARALLEL_SAVINGS" if savings else "PARALLEL_CHEAPEST_INSERTION"
        return [first] + [s for s in _FALLBACK_STRATEGIES if s != first]

    def solve(self, time_limit_s: float, time_share_s: float) -> tuple[list[_Route], str, str]:
        """Search and return the routes, the strategy that built the first plan and what stopped the search.

        The construction heuristics are tried in turn, each in a search stopped at its first solution.
        The metaheuristic then improves the first plan: on the whole model, or for large sub-problems
        part by part (:meth:`_improve_by_parts`). ``time_limit_s`` caps the wall clock; ``time_share_s``,
        the sub-problem's fixed share of the options' limit, sizes the deterministic budget.
        """
        deadline = time.monotonic() + max(time_limit_s, 0.0)
        first, routes = None, []
        for strategy in self._strategies():
            remaining = max(deadline - time.monotonic(), 0.01)
            found = self.routing.SolveWithParameters(self._parameters(strategy, remaining / 2, 1))
            if found is not None:
                first, routes = found, self._routes(found)
            # A plan that drops every stop (savings does so when no pair of stops shares a trip) is only
            # kept when no other construction does better.
            if routes:
                break
        if first is None:
            return [], "none", "time limit"
        if len(self.chunk_ids) > self.tuning.parts_above and routes and not self.options.balance:
            # Balancing charges the fleet's latest return, which no part sees: it keeps the whole model.
            routes, finished = self._improve_by_parts(routes, deadline, time_share_s)
        else:
            routes, finished = self.improve(first, deadline, self._solution_budget(time_share_s))
        return routes, f"{strategy} + {self.metaheuristic}", "solution limit" if finished else "time limit"

    def improve(self, start: pywrapcp.Assignment, deadline: float, budget: int) -> tuple[list[_Route], bool]:
        """The metaheuristic from ``start``; the routes found and whether the budget (not the clock) ended it."""
        if budget:
            # Neither search stops by itself, and guided local search makes no move at all when every
            # change is worse (tiny or fully constrained models): give it a few times what its budget
            # normally takes.
            expected_s = budget / self._solutions_per_second()
            deadline = min(deadline, time.monotonic() + 0.2 + 4 * expected_s)
        if self.metaheuristic == "ruin_recreate":
            # Iterated local search builds its own first solution: lock it to ``start``'s routes, which
            # cheapest insertion then completes with nothing better to add.
            params = self._parameters("LOCAL_CHEAPEST_INSERTION", max(deadline - time.monotonic(), 0.01), budget)
            self.routing.ApplyLocksToAllVehicles(self._index_routes(start), False)
            best = self.routing.SolveWithIteratedLocalSearch(params)
        else:
            params = self._parameters("ALL_UNPERFORMED", max(deadline - time.monotonic(), 0.01), budget)
            best = self.routing.SolveFromAssignmentWithParameters(start, params)
        return self._routes(best or start), best is not None and time.monotonic() < deadline

    def _index_routes(self, solution: pywrapcp.Assignment) -> list[list[int]]:
        """The visits of every vehicle in ``solution``, as routing indices."""
        routing = self.routing
        routes = []
        for k in range(len(self.vehicle_ids)):
            route, index = [], solution.Value(routing.NextVar(routing.Start(k)))
            while not routing.IsEnd(index):
                route.append(index)
                index = solution.Value(routing.NextVar(index))
            routes.append(route)
        return routes

    def start_from(self, routes: list[_Route]) -> pywrapcp.Assignment | None:
        """An assignment of this model that drives ``routes`` (whose vehicles and chunks it must contain)."""
        node = {c: self.first_chunk_node + i for i, c in enumerate(self.chunk_ids)}
        reloads: list[list[int]] = [[] for _ in self.vehicle_ids]
        first_reload = self.first_chunk_node + len(self.chunk_ids)
        for n, k in enumerate(self.reload_owner, start=first_reload):
            reloads[k].append(n)
        position = {v: k for k, v in enumerate(self.vehicle_ids)}
        plans: list[list[int]] = [[] for _ in self.vehicle_ids]
        for route in routes:
            k = position[route.vehicle]
            spare = iter(reloads[k])
            plans[k] = [self.manager.NodeToIndex(next(spare) if c is None else node[c]) for c in route.chunks]
        self.routing.CloseModelWithParameters(self._parameters("ALL_UNPERFORMED", 1.0, 1))
        return self.routing.ReadAssignmentFromRoutes(plans, True)

    def _improve_by_parts(
        self, routes: list[_Route], deadline: float, time_share_s: float
    ) -> tuple[list[_Route], bool]:
        """Improve a large plan by re-optimising a few neighbouring routes at a time.

        Both metaheuristics slow down with the size of the model, so on hundreds of stops they make few moves
        in the time available. Each round takes the routes nearest to a seed route (about
        ``tuning.part_nodes`` stops, plus two unused vehicles and the nearest dropped chunks), solves them as a
        model of their own starting from the current routes, and keeps the result, which is never worse.
        Seeds go round the routes in vehicle order; the number of rounds and each round's budget follow from
        the time share (or an explicit ``solution_limit``, split over the rounds), so the outcome is
        reproducible; with ``solution_limit=0`` rounds go on until the deadline.
        """
        row = {c: i for i, c in enumerate(self.chunk_ids)}
        near = self._chunk_times()
        limit = self.options.solution_limit
        tuning = self.tuning
        rounds = max(1, int(0.5 * time_share_s / tuning.part_seconds))
        for turn in itertools.count() if limit == 0 else range(rounds):
            if time.monotonic() >= deadline:
                return routes, False
            current = {r.vehicle: r for r in routes}
            used = sorted(current, key=self.vehicle_ids.index)
            seed = [row[c] for c in current[used[turn % len(used)]].chunks if c is not None]
            to_seed = near[seed].min(axis=0)
            closeness = {v: min(to_seed[row[c]] for c in current[v].chunks if c is not None) for v in used}
            chosen: list[int] = []
            for v in sorted(used, key=lambda v: (closeness[v], self.vehicle_ids.index(v))):
                if sum(len(current[u].chunks) for u in chosen) >= tuning.part_nodes:
                    break
                chosen.append(v)
            fleet = [v for v in self.vehicle_ids if v in chosen] + [v for v in self.vehicle_ids if v not in current][:2]
            served = {c for r in routes for c in r.chunks if c is not None}
            dropped = [c for c in self.chunk_ids if c not in served and set(self.chunks[c].vehicles) & set(fleet)]
            dropped = sorted(dropped, key=lambda c: to_seed[row[c]])[: tuning.part_nodes]
            part_chunks = [c for v in chosen for c in current[v].chunks if c is not None] + dropped
            # A part keeps its parent's metaheuristic even if its own windows would pick the other one.
            same_search = replace(self.options, metaheuristic=self.metaheuristic)
            part = _Model(self.problem, self.chunks, part_chunks, fleet, same_search)
            start = part.start_from([current[v] for v in chosen])
            if start is None:
                continue
            if limit:
                budget = max(1, limit // rounds)
            else:
                budget = max(10, int(tuning.part_seconds * part._solutions_per_second()))
            found, _ = part.improve(start, deadline, budget)
            routes = [r for r in routes if r.vehicle not in fleet] + found
        return routes, True

    def _chunk_times(self) -> np.ndarray:
        """Symmetric travel time between the chunks, on the fastest profile of the fleet."""
        locations = [self.problem.stops[self.chunks[c].stop].location for c in self.chunk_ids]
        profiles = {self.problem.vehicles[v].profile for v in self.vehicle_ids}
        grid = np.ix_(locations, locations)
        times = np.min([np.asarray(self.problem.time_s[p], dtype=float)[grid] for p in profiles], axis=0)
        return np.minimum(times, times.T)

    def _routes(self, solution: pywrapcp.Assignment) -> list[_Route]:
        """The routes of the vehicles that deliver something, in problem indices."""
        routing = self.routing
        first_reload = self.first_chunk_node + len(self.chunk_ids)
        routes = []
        for k, (v, visits) in enumerate(zip(self.vehicle_ids, self._index_routes(solution))):
            nodes = [self.manager.IndexToNode(index) for index in visits]
            sequence = [self.chunk_ids[n - self.first_chunk_node] if n < first_reload else None for n in nodes]
            if all(c is None for c in sequence):  # reloads alone deliver nothing
                continue
            times = [solution.Value(self.time.CumulVar(i)) for i in (routing.Start(k), *visits, routing.End(k))]
            routes.append(_Route(v, sequence, times))
        return routes


def _penalty_weights(sub_chunks: list[_Chunk], problem: RoutingProblem) -> list[int]:
    """Drop penalty of each chunk in units of "the cost of serving it alone".

    Within a priority level the weight is 16 to 32 times the level's base, growing with the chunk's
    weight; each level's base makes its lightest chunk outweigh all lower-priority chunks together.
    """
    heaviest = max(1, max(c.grams for c in sub_chunks))
    priority = [problem.stops[c.stop].priority for c in sub_chunks]
    weights = [0] * len(sub_chunks)
    base, lower_total = 1, 0
    for level in sorted(set(priority)):
        members = [k for k, p in enumerate(priority) if p == level]
        for k in members:
            weights[k] = base * (16 + round(16 * sub_chunks[k].grams / heaviest))
        lower_total += sum(weights[k] for k in members)
        base = -(-(lower_total + 1) // 16)
    return weights


def _trips(problem: RoutingProblem, chunks: list[_Chunk], routes: list[_Route]) -> list[Trip]:
    """Turn solver routes into trips with arrival, service and departure times and loads on board."""
    trips = []
    for route in routes:
        vehicle = problem.vehicles[route.vehicle]
        depot = problem.depots[vehicle.depot]
        time_m, dist_m = problem.time_s[vehicle.profile], problem.dist_m[vehicle.profile]
        # Each trip: load start, then (chunk, service start) pairs; reload entries close a trip.
        legs: list[tuple[int, list[tuple[_Chunk, int]]]] = [(route.times[0], [])]
        for chunk, at in zip(route.chunks, route.times[1:-1]):
            if chunk is None:
                legs.append((at, []))
            else:
                legs[-1][1].append((chunks[chunk], at))
        number = 0
        for load_start, served in legs:
            if not served:
                continue
            number += 1
            start = load_start + depot.load_time_s
            total = sum(c.kg for c, _ in served)
            visits, here, departure, delivered = [], depot.location, start, 0.0
            for chunk, service_start in served:
                stop = problem.stops[chunk.stop]
                leg_time = float(time_m[here, stop.location])
                visits.append(
                    Visit(
                        stop_id=stop.id,
                        location=stop.location,
                        arrival_s=departure + _ceil_s(leg_time),
                        start_s=service_start,
                        departure_s=service_start + chunk.service_s,
                        quantity_kg=chunk.kg,
                        bags=chunk.bags,
                        load_kg=total - delivered,
                        leg_time_s=leg_time,
                        leg_dist_m=float(dist_m[here, stop.location]),
                    )
                )
                here, departure, delivered = stop.location, service_start + chunk.service_s, delivered + chunk.kg
            back = float(time_m[here, depot.location])
            trips.append(
                Trip(
                    vehicle_id=vehicle.id,
                    trip=number,
                    depot=vehicle.depot,
                    load_start_s=load_start,
                    start_s=start,
                    end_s=departure + _ceil_s(back),
                    visits=tuple(visits),
                    return_leg_time_s=back,
                    return_leg_dist_m=float(dist_m[here, depot.location]),
                )
            )
    return trips


def _unserved(problem: RoutingProblem, chunks: list[_Chunk], served: set[int], trips: list[Trip]) -> list[Unserved]:
    """One row per stop with undelivered chunks: the missing quantity and the first reason found."""
    delivered: dict[str, float] = {}
    for trip in trips:
        for visit in trip.visits:
            delivered[visit.stop_id] = delivered.get(visit.stop_id, 0.0) + visit.quantity_kg
    missing: dict[int, str] = {}
    for c, chunk in enumerate(chunks):
        if c not in served:
            missing.setdefault(chunk.stop, chunk.reason or "no capacity")
    rows = []
    for s, reason in sorted(missing.items()):
        stop = problem.stops[s]
        rows.append(Unserved(stop.id, stop.demand_kg - delivered.get(stop.id, 0.0), reason))
    return rows


def _result(
    problem: RoutingProblem,
    trips: list[Trip],
    unserved: list[Unserved],
    strategies: list[str],
    stopped_by: list[str],
    elapsed_s: float,
) -> RoutingResult:
    """Cost, status and totals of the plan."""
    vehicles = {v.id: v for v in problem.vehicles}
    day: dict[str, tuple[int, int]] = {}
    km = 0.0
    objective = 0.0
    for trip in trips:
        first, last = day.get(trip.vehicle_id, (trip.load_start_s, trip.end_s))
        day[trip.vehicle_id] = (min(first, trip.load_start_s), max(last, trip.end_s))
        km += trip.dist_m / 1000
        objective += vehicles[trip.vehicle_id].cost_per_km * trip.dist_m / 1000
    hours = 0.0
    for vehicle_id, (first, last) in day.items():
        hours += (last - first) / 3600
        objective += vehicles[vehicle_id].fixed_cost + vehicles[vehicle_id].cost_per_hour * (last - first) / 3600
    if not unserved:
        status = "complete"
    else:
        status = "partial" if trips else "empty"
    if not stopped_by:
        stopped = "nothing to search"
    else:
        stopped = "time limit" if "time limit" in stopped_by else "solution limit"
    return RoutingResult(
        trips=trips,
        unserved=unserved,
        objective=objective,
        status=status,
        solve_time_s=elapsed_s,
        strategy_used=", ".join(dict.fromkeys(strategies)) or "none",
        stopped_by=stopped,
        stats=RoutingStats(
            km=km,
            hours=hours,
            vehicles_used=len(day),
            trips=len(trips),
            kg_delivered=sum(t.load_kg for t in trips),
        ),
    )
