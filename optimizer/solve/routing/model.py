"""The engine-neutral routing model: depots, stops, a mixed fleet and matrices in; trips and unserved
quantities out, as plain data (location indices into square per-profile time and distance matrices,
``np.inf`` for "no path").

Modelling choices
-----------------
Several depots
    Unless ``cross_depot`` is set, every stop belongs to the vehicles of its assigned depot (a stop with
    ``depot=None`` goes to the nearest depot that has vehicles), and each depot is solved as its own
    sub-problem. With ``cross_depot`` one joint problem lets any vehicle serve any stop.
Several trips per vehicle
    A vehicle with ``max_trips = k`` may reload at its home depot ``k - 1`` times; loading takes the
    depot's ``load_time_s`` and happens within the depot's opening hours. One route per vehicle covers its
    whole day, so fixed, hourly and duration limits apply once per vehicle.
Stops larger than a vehicle
    A stop whose demand exceeds what the largest vehicle able to serve it can carry is split into equal
    chunks (in whole grams and whole bags) that each fit that vehicle; every chunk is visited (or dropped)
    on its own. Delivered chunks add up to the demand; dropped chunks are reported as unserved quantity.
Priorities
    Every chunk may be dropped at a penalty. The penalties of one priority level exceed the sum of all
    penalties of the lower levels, so the search never keeps a lower-priority chunk at the price of dropping
    a higher-priority one.
Time
    Times are whole seconds since midnight of the planning day; travel times are rounded up, so a plan that
    is feasible for the solver is feasible with the exact matrix. ``tw_end_s`` is the latest start of
    service. A vehicle works (loads, drives, serves, waits) only within its shift (the curfew) and within
    ``max_duration_s``; loading and returns happen within the depot's opening hours.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from optimizer.clock import DAY_S
from optimizer.errors import Problem

#: Reasons an unserved stop may carry. ``'no stock'`` is set by callers that ration stock before routing.
REASONS = ("no stock", "no capacity", "outside shift", "time window", "unreachable", "zone restriction", "out of reach")
PRIORITIES = range(4)
#: Search engines of the sub-problems (:attr:`RoutingOptions.engine`): one engine, or the portfolio of both.
ENGINES = ("ortools", "pyvrp", "portfolio")

GRAMS_PER_KG = 1000


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
    weight
        Drop penalty relative to the other stops of its priority (1 to 16): when not everything can be
        served, heavier stops are kept first. Fair shares give a ward's first kilograms more weight than its
        last, so a shortage is spread over the wards of a grade.
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
    weight: float = 1.0


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
    max_reach_m
        Longest road distance (on its profile) from ``reach_from`` to a stop it may serve; ``None``: no limit.
    reach_from
        Location the reach is measured from: the vehicle's home depot, which differs from ``depot`` when the
        vehicle is lent to another depot; ``None``: the depot's location.
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
    max_reach_m: float | None = None
    reach_from: int | None = None


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
        Wall-clock safety cap of the whole solve. Searches stop on their deterministic budgets long before it
        on any ordinary machine; if it ends one, :attr:`RoutingResult.cut_by_time_limit` says so.
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
    effort
        Scales every default search budget (solutions per chunk, rounds of parts): 1 is the tuned default,
        less is faster, more searches longer. The budgets depend only on the problem's size and the options,
        so the same problem, options and seed give the same plan on any machine.
    solution_limit
        Explicit search budget (solutions the local search may visit) per sub-problem, split over the
        rounds when a large one is improved part by part; ``None`` derives it from the size and ``effort``;
        ``0`` means none, so only the time limit stops the search (for benchmarks; not reproducible).
    log_search
        Let OR-Tools log its search to stderr.
    engine
        Engine that searches every sub-problem: ``'ortools'`` (OR-Tools routing), ``'pyvrp'`` (PyVRP's
        iterated local search) or ``'portfolio'`` (both, the better checked routes kept per sub-problem; see
        :mod:`optimizer.solve.routing.portfolio`). ``first_solution``, ``metaheuristic``, ``log_search`` and
        ``balance`` concern OR-Tools only (the portfolio runs OR-Tools alone when balancing).
    workers
        Local processes that search sub-problems (and the portfolio's two engines) at once; 1 searches them
        in turn. The plan does not depend on it.
    dask_address
        A Dask scheduler address (``tcp://host:8786``): the searches run on that cluster instead.
    """

    time_limit_s: float = 600.0
    seed: int = 0
    cross_depot: bool = False
    balance: bool = False
    first_solution: str | None = None
    metaheuristic: str = "auto"
    effort: float = 1.0
    solution_limit: int | None = None
    log_search: bool = False
    engine: str = "ortools"
    workers: int = 1
    dask_address: str | None = None


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
        ``'solution limit'`` (every search ended by its deterministic budget: reproducible), ``'time limit'``
        (the safety cap cut a search short) or ``'nothing to search'``.
    cut_by_time_limit
        Whether the time limit ended any search (construction, improvement or part): the plan may then
        differ on another run.
    stats
        Totals.
    engines
        Per sub-problem, the engine whose routes were kept and why.
    """

    trips: list[Trip]
    unserved: list[Unserved]
    objective: float
    status: str
    solve_time_s: float
    strategy_used: str
    stopped_by: str
    cut_by_time_limit: bool
    stats: RoutingStats
    engines: tuple[EngineChoice, ...] = ()


@dataclass(frozen=True)
class EngineChoice:
    """Which engine's routes a sub-problem kept, and why.

    ``candidates`` maps each engine that searched to its figures: ``dropped_weight`` (drop penalty of what it
    left, :func:`penalty_weights`), ``cost``, ``kg`` served, ``faults`` found by the portfolio's check and
    ``cut_by_time_limit``.
    """

    depots: str
    engine: str
    reason: str
    candidates: dict[str, dict]


@dataclass(frozen=True)
class Route:
    """A vehicle's day as the solver found it.

    ``chunks`` lists chunk indices in visiting order, ``None`` marking a reload at the depot; ``times`` has
    the solver's time at the start (first loading), at each entry of ``chunks`` (start of service or of
    reloading) and at the end.
    """

    vehicle: int
    chunks: list[int | None]
    times: list[int]


class Searched(NamedTuple):
    """What an engine's search of one sub-problem found: routes, the strategy used, whether the clock cut it."""

    routes: list[Route]
    strategy: str
    cut: bool


@dataclass(frozen=True)
class Chunk:
    """A part of a stop's demand that one visit delivers, with the vehicles able to deliver it."""

    stop: int
    kg: float
    grams: int
    bags: int
    service_s: int
    vehicles: tuple[int, ...]
    reason: str | None


def faults(problem: RoutingProblem, options: RoutingOptions) -> list[Problem]:
    """Every inconsistency of the problem and of the engine-neutral options."""
    found: list[Problem] = []

    def need(ok: bool, message: str, where: str) -> None:
        if not ok:
            found.append(Problem(message, field=where))

    size = _matrix_faults(problem, need)

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
        need(1.0 <= s.weight <= 16.0, "weight must be 1 to 16", f"stops[{i}].weight")
    for i, v in enumerate(problem.vehicles):
        need(0 <= v.depot < len(problem.depots), "no such depot", f"vehicles[{i}].depot")
        need(v.capacity_kg > 0, "capacity must be positive", f"vehicles[{i}].capacity_kg")
        need(v.capacity_bags is None or v.capacity_bags >= 0, "negative bag capacity", f"vehicles[{i}].capacity_bags")
        need(v.shift_start_s <= v.shift_end_s, "shift ends before it starts", f"vehicles[{i}].shift_start_s")
        need(v.max_duration_s is None or v.max_duration_s >= 0, "negative duration", f"vehicles[{i}].max_duration_s")
        need(min(v.cost_per_km, v.cost_per_hour, v.fixed_cost) >= 0, "negative cost", f"vehicles[{i}].cost_per_km")
        need(v.max_trips >= 1, "max_trips must be at least 1", f"vehicles[{i}].max_trips")
        need(v.max_reach_m is None or v.max_reach_m > 0, "reach must be positive", f"vehicles[{i}].max_reach_m")
        need(v.reach_from is None or 0 <= v.reach_from < size, "location outside the matrices",
             f"vehicles[{i}].reach_from")
    need(options.time_limit_s > 0, "time limit must be positive", "options.time_limit_s")
    need(options.effort > 0, "effort must be positive", "options.effort")
    need(options.solution_limit is None or options.solution_limit >= 0, "negative limit", "options.solution_limit")
    need(options.engine in ENGINES, f"unknown engine, use one of {ENGINES}", "options.engine")
    need(options.workers >= 1, "must be at least 1", "options.workers")
    return found


def _matrix_faults(problem: RoutingProblem, need: Callable[[bool, str, str], None]) -> int:
    """Check the matrices of every profile the fleet uses; the number of locations all of them cover."""
    size = None
    for profile in sorted({v.profile for v in problem.vehicles}):
        for name, matrices in (("time_s", problem.time_s), ("dist_m", problem.dist_m)):
            matrix = matrices.get(profile)
            need(matrix is not None, f"no matrix for profile '{profile}'", f"{name}[{profile}]")
            if matrix is None:
                continue
            matrix = np.asarray(matrix, dtype=float)
            need(matrix.ndim == 2 and matrix.shape[0] == matrix.shape[1], "matrix is not square", f"{name}[{profile}]")
            need(bool(not np.isnan(matrix).any() and (matrix >= 0).all()), "negative or NaN entries", f"{name}[{profile}]")
            size = matrix.shape[0] if size is None else min(size, matrix.shape[0])
        if profile in problem.time_s and profile in problem.dist_m:
            same = bool(np.array_equal(np.isinf(problem.time_s[profile]), np.isinf(problem.dist_m[profile])))
            need(same, "time and distance matrices disagree on unreachable pairs", f"dist_m[{profile}]")
    return size or 0


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


def ceil_s(seconds: float) -> int:
    """Round a travel time up to whole seconds, forgiving float noise in integral values."""
    return math.ceil(seconds - 1e-6)


def _direct_trip(problem: RoutingProblem, vehicle: Vehicle, stop: Stop, service_s: int) -> str | None:
    """Why a dedicated depot-stop-depot trip of ``vehicle`` cannot serve ``stop``, or None if it can.

    Returns ``'outside shift'`` when the round trip does not fit the shift, depot hours or duration limit
    even ignoring the stop's window, and ``'time window'`` when it only misses the window.
    """
    depot = problem.depots[vehicle.depot]
    to_stop = ceil_s(_travel(problem, vehicle.profile, depot.location, stop.location))
    back = ceil_s(_travel(problem, vehicle.profile, stop.location, depot.location))
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


def make_chunks(problem: RoutingProblem, cross_depot: bool) -> list[Chunk]:
    """Split every stop into chunks that one vehicle can carry and list who can serve each."""
    chunks: list[Chunk] = []
    for s, stop in enumerate(problem.stops):
        grams = math.ceil(stop.demand_kg * GRAMS_PER_KG - 1e-6)
        if grams == 0 and stop.bags == 0:
            continue
        depot = None if cross_depot else _depot_of(problem, stop)
        candidates = [i for i, v in enumerate(problem.vehicles) if cross_depot or v.depot == depot]
        reason = "no capacity"
        tests = ((_zone_allows, "zone restriction"), (_reaches, "unreachable"), (_within_reach, "out of reach"))
        for test, failure in tests:
            if candidates:
                passed = [i for i in candidates if test(problem, problem.vehicles[i], stop)]
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
            chunks.append(Chunk(s, stop.demand_kg, grams, stop.bags, _service_s(stop, stop.demand_kg), (), reason))
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
            chunks.append(Chunk(s, kg, g, b, service, able, None if able else "no capacity"))
    return chunks


def _zone_allows(problem: RoutingProblem, vehicle: Vehicle, stop: Stop) -> bool:
    """Whether the vehicle's profile may enter the stop's zone."""
    return stop.allowed_profiles is None or vehicle.profile in stop.allowed_profiles


def _reaches(problem: RoutingProblem, vehicle: Vehicle, stop: Stop) -> bool:
    """Whether the vehicle's profile has a path from its depot to the stop and back."""
    depot = problem.depots[vehicle.depot].location
    there = _travel(problem, vehicle.profile, depot, stop.location)
    return math.isfinite(there + _travel(problem, vehicle.profile, stop.location, depot))


def within_reach(problem: RoutingProblem, vehicle: Vehicle, location: int) -> bool:
    """Whether ``location`` is within the vehicle's reach of its home (road distance on its profile)."""
    if vehicle.max_reach_m is None:
        return True
    home = problem.depots[vehicle.depot].location if vehicle.reach_from is None else vehicle.reach_from
    return float(problem.dist_m[vehicle.profile][home, location]) <= vehicle.max_reach_m


def _within_reach(problem: RoutingProblem, vehicle: Vehicle, stop: Stop) -> bool:
    return within_reach(problem, vehicle, stop.location)


def capacity_grams(vehicle: Vehicle) -> int:
    """Capacity in whole grams, rounded down so that the solver never overloads."""
    return math.floor(vehicle.capacity_kg * GRAMS_PER_KG + 1e-6)


def _chunks_needed(grams: int, bags: int, vehicle: Vehicle) -> int:
    """Chunks of a stop needed when every chunk must fit ``vehicle`` (0: it cannot carry any)."""
    count = max(1, math.ceil(grams / capacity_grams(vehicle)))
    if bags and vehicle.capacity_bags is not None:
        if vehicle.capacity_bags == 0:
            return 0
        count = max(count, math.ceil(bags / vehicle.capacity_bags))
    return count


def _fits(vehicle: Vehicle, grams: int, bags: int) -> bool:
    """Whether one chunk fits the vehicle."""
    return grams <= capacity_grams(vehicle) and (vehicle.capacity_bags is None or bags <= vehicle.capacity_bags)


def _split(total: int, count: int) -> list[int]:
    """``total`` in ``count`` integer parts as equal as possible."""
    base, extra = divmod(total, count)
    return [base + (k < extra) for k in range(count)]


def sub_problems(
    problem: RoutingProblem, chunks: list[Chunk], cross_depot: bool, rng: np.random.Generator | None
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


def penalty_weights(sub_chunks: list[Chunk], problem: RoutingProblem) -> list[int]:
    """Drop penalty of each chunk in units of "the cost of serving it alone".

    Within a priority level the weight is 16 to 32 times the level's base, growing with the chunk's
    weight, times the stop's own weight (1 to 16); each level's base makes its lightest chunk outweigh all
    lower-priority chunks together.
    """
    heaviest = max(1, max(c.grams for c in sub_chunks))
    priority = [problem.stops[c.stop].priority for c in sub_chunks]
    weights = [0] * len(sub_chunks)
    base, lower_total = 1, 0
    for level in sorted(set(priority)):
        members = [k for k, p in enumerate(priority) if p == level]
        for k in members:
            size = 16 + round(16 * sub_chunks[k].grams / heaviest)
            weights[k] = base * round(size * problem.stops[sub_chunks[k].stop].weight)
        lower_total += sum(weights[k] for k in members)
        base = -(-(lower_total + 1) // 16)
    return weights
