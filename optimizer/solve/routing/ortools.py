"""The OR-Tools engine of the router: one routing model per sub-problem, its construction and its search.

Modelling
---------
Several depots
    Each sub-problem is solved as its own model, one after another.
Several trips per vehicle
    A vehicle with ``max_trips = k`` gets ``k - 1`` optional *reload* nodes at its home depot, usable by that
    vehicle only. The load dimension counts kilograms delivered since the last loading; a reload node has a
    demand of minus the vehicle's capacity and a slack that lets the count restart at zero (the OR-Tools
    ``cvrp_reload`` technique). A reload node takes the depot's ``load_time_s`` and must happen within the
    depot's opening hours, so one route per vehicle covers its whole day and fixed, hourly and duration
    limits apply once per vehicle.
Chunks
    Every chunk is an optional node of its own (a disjunction).
Priorities
    Within a priority level a heavier chunk costs more to drop, and every penalty exceeds the cost of
    serving the chunk with a dedicated vehicle.
Time
    An infinite matrix entry becomes a travel time longer than any shift, which the time dimension rejects.
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
    A search stopped by the wall clock is not reproducible, so every search stops on a deterministic budget
    fixed before it starts from the sizes and the options, never from the clock: a construction at its first
    solution (the next construction runs only when one finds nothing or drops every stop), an improvement
    after ``solutions_per_chunk`` solutions per chunk of its model (times ``RoutingOptions.effort``, or
    ``RoutingOptions.solution_limit``), large sub-problems after ``passes * chunks / part_nodes`` rounds of
    parts, and every search also after a stall guard of branches and failures. The time limit is only a
    safety cap, passed to OR-Tools together with the budget (the large-neighbourhood sub-searches, which
    OR-Tools cuts after 100 ms by default, also get the cap); when it ends a search the result says so
    (:attr:`RoutingResult.cut_by_time_limit`), and then the plan may differ between runs. (The annealing
    temperature of iterated local search follows the larger of the solutions' and the clock's progress
    towards their limits; with the cap far above a search's running time, the solutions' progress leads.)
    OR-Tools routing has no random seed: ``seed=0`` keeps the given order of stops and vehicles (the
    canonical plan) and any other seed permutes both before building the model, which steers the
    construction heuristics and the local search to a different, equally valid plan.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2
from ortools.constraint_solver.routing_parameters_pb2 import RoutingSearchParameters

from optimizer.errors import Problem
from optimizer.solve.routing.model import (
    Chunk,
    Route,
    RoutingOptions,
    RoutingProblem,
    Searched,
    Vehicle,
    capacity_grams,
    penalty_weights,
)

_FirstSolution = routing_enums_pb2.FirstSolutionStrategy.Value
_FAIL_TIMEOUT = routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL_TIMEOUT
#: "No limit" for the stall guard's time and solution counts (the search parameters carry both).
_NO_TIME_MS = 10**12
_NO_LIMIT = 2**62
#: Construction heuristics tried in order until one yields a plan (PATH_CHEAPEST_ARC can find nothing on
#: tightly windowed instances such as Solomon R101; ALL_UNPERFORMED always succeeds and leaves the rest to
#: the local search).
_FALLBACK_STRATEGIES = (
    "PARALLEL_CHEAPEST_INSERTION", "PARALLEL_SAVINGS", "SAVINGS", "PATH_CHEAPEST_ARC", "ALL_UNPERFORMED"
)


@dataclass(frozen=True)
class _SearchTuning:
    """How one metaheuristic's deterministic budget is sized.

    A search on a whole sub-problem may visit ``solutions_per_chunk`` solutions per chunk (times
    :attr:`RoutingOptions.effort`). Sub-problems with more than ``parts_above`` chunks are improved part by
    part instead, each part having about ``part_nodes`` stops and its own budget by the same rule; the rounds
    go ``passes`` times round the sub-problem (``passes * chunks / part_nodes`` rounds, times the effort).
    """

    solutions_per_chunk: float
    parts_above: int
    part_nodes: int
    passes: float


#: Part sizes tuned on the X instances (parts of 50, 80, 100, 120 and 200 stops: 80 gave the lowest mean gap
#: for ruin and recreate, 50 for guided local search). Solutions per chunk and passes sized on the default
#: day (1,171 chunks in ten depots: about 20 s of routing on a quiet core, 55 s with both cores busy, a plan
#: no worse than the earlier clock-driven search's).
_TUNING = {
    "guided_local_search": _SearchTuning(solutions_per_chunk=3.0, parts_above=80, part_nodes=50, passes=1.25),
    "ruin_recreate": _SearchTuning(solutions_per_chunk=3.0, parts_above=100, part_nodes=80, passes=1.25),
}
#: Least budget of any search, so that tiny sub-problems still converge.
_MIN_SOLUTIONS = 100
#: Stall guard: a search also stops after this many branches or failures per solution of its budget (guided
#: local search never stops by itself when no move is feasible; a normal search needs fewer than ten).
_WORK_PER_SOLUTION = 1000
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


def option_faults(options: RoutingOptions) -> list[Problem]:
    """The options this engine does not know: construction and metaheuristic names."""
    found = []
    known = {name for name in _FirstSolution.keys() if name not in ("UNSET", "AUTOMATIC")}
    if options.first_solution not in known | {None}:
        found.append(Problem("unknown first-solution strategy", field="options.first_solution"))
    if options.metaheuristic not in METAHEURISTICS:
        found.append(Problem(f"unknown metaheuristic, use one of {METAHEURISTICS}", field="options.metaheuristic"))
    return found


def solve_sub_problem(
    problem: RoutingProblem,
    chunks: list[Chunk],
    chunk_ids: list[int],
    vehicle_ids: list[int],
    options: RoutingOptions,
    deadline: float,
) -> Searched:
    """Build the model of one sub-problem and search it until its budget, or ``deadline`` at the latest."""
    return _Model(problem, chunks, chunk_ids, vehicle_ids, options).solve(deadline)


class _Model:
    """The OR-Tools model of one sub-problem.

    Nodes are laid out as: the depots of the sub-problem's vehicles, then the chunks, then the reload nodes
    (``max_trips - 1`` per vehicle).
    """

    def __init__(
        self,
        problem: RoutingProblem,
        chunks: list[Chunk],
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
        grams = [0] * len(depots) + [c.grams for c in sub_chunks] + [-capacity_grams(fleet[k]) for k in self.reload_owner]
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

        self._add_capacity(routing.RegisterUnaryTransitVector(grams), [capacity_grams(v) for v in fleet], "load")
        bags = [0] * len(depots) + [c.bags for c in sub_chunks]
        if any(bags) and any(v.capacity_bags is not None for v in fleet):
            unlimited = sum(bags)
            capacity = [unlimited if v.capacity_bags is None else v.capacity_bags for v in fleet]
            bags += [-capacity[k] for k in self.reload_owner]
            self._add_capacity(routing.RegisterUnaryTransitVector(bags), capacity, "bags")

        position = {v: k for k, v in enumerate(vehicle_ids)}
        for n, chunk in enumerate(sub_chunks, start=self.first_chunk_node):
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
        self, fleet: list[Vehicle], sub_chunks: list[Chunk], profiles: list[str]
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
        weights = penalty_weights(sub_chunks, self.problem)
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

    def _parameters(self, strategy: str, deadline: float, solution_limit: int) -> RoutingSearchParameters:
        """Search parameters: the given construction, then the model's metaheuristic within the limits.

        The clock is only a safety cap: the search and its large-neighbourhood sub-searches (the schedule
        finalisers, by default cut after 100 ms) get all the time left until ``deadline``.
        """
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
        left_ns = max(1, int((deadline - time.monotonic()) * 1e9))
        params.time_limit.FromNanoseconds(left_ns)
        params.lns_time_limit.FromNanoseconds(left_ns)
        if solution_limit:
            params.solution_limit = solution_limit
        params.log_search = self.options.log_search
        return params

    @staticmethod
    def _ruin_recreate(params: RoutingSearchParameters) -> None:
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

    def budget(self, chunks: int) -> int:
        """Deterministic budget (solutions) of one search over ``chunks`` chunks, fixed before it starts."""
        if self.options.solution_limit is not None:
            return self.options.solution_limit
        return max(_MIN_SOLUTIONS, round(self.options.effort * self.tuning.solutions_per_chunk * chunks))

    def _strategies(self) -> list[str]:
        """Construction heuristics in the order they are tried."""
        if self.options.first_solution:
            first = self.options.first_solution
        else:
            # Savings merges whole trips and finds nothing to merge once trips are chained by reloads.
            savings = not self.windowed and not self.reload_owner
            first = "PARALLEL_SAVINGS" if savings else "PARALLEL_CHEAPEST_INSERTION"
        return [first] + [s for s in _FALLBACK_STRATEGIES if s != first]

    def solve(self, deadline: float) -> Searched:
        """Search and return the routes, the strategy that built the first plan and whether the clock cut it.

        The construction heuristics are tried in turn, each in a search stopped at its first solution; the
        next one only runs when the previous one found nothing or dropped every stop, which does not depend
        on the machine. The metaheuristic then improves the first plan: on the whole model, or for large
        sub-problems part by part (:meth:`_improve_by_parts`), each search within its deterministic budget.
        ``deadline`` (``time.monotonic()``) is the safety cap: a search it ends is recorded as cut.
        """
        first, routes, cut = None, list[Route](), False
        for strategy in self._strategies():
            found = self.routing.SolveWithParameters(self._parameters(strategy, deadline, 1))
            cut = self._cut(deadline)
            if found is not None:
                first, routes = found, self._routes(found)
            # A plan that drops every stop (savings does so when no pair of stops shares a trip) is only
            # kept when no other construction does better.
            if routes or cut:
                break
        if first is None:
            return Searched([], "none", cut=True)
        if len(self.chunk_ids) > self.tuning.parts_above and routes and not self.options.balance:
            # Balancing charges the fleet's latest return, which no part sees: it keeps the whole model.
            routes, cut_later = self._improve_by_parts(routes, deadline)
        else:
            routes, cut_later = self.improve(first, deadline, self.budget(len(self.chunk_ids)))
        return Searched(routes, f"{strategy} + {self.metaheuristic}", cut=cut or cut_later)

    def _cut(self, deadline: float) -> bool:
        """Whether the search just ended by the safety cap rather than by its budget."""
        return time.monotonic() >= deadline or self.routing.status() == _FAIL_TIMEOUT

    def improve(self, start: pywrapcp.Assignment, deadline: float, budget: int) -> tuple[list[Route], bool]:
        """The metaheuristic from ``start`` within ``budget`` solutions; the routes and whether the cap cut it."""
        if budget:
            work = _WORK_PER_SOLUTION * budget
            self.routing.AddSearchMonitor(self.routing.solver().Limit(_NO_TIME_MS, work, work, _NO_LIMIT, True, True))
        # OR-Tools' ruin-and-recreate can loop without end (past every limit) on a model of a single visit,
        # where there is nothing to ruin: such a model gets the local search from ``start`` instead.
        if self.metaheuristic == "ruin_recreate" and len(self.chunk_ids) > 1:
            # Iterated local search builds its own first solution: lock it to ``start``'s routes, which
            # cheapest insertion then completes with nothing better to add.
            params = self._parameters("LOCAL_CHEAPEST_INSERTION", deadline, budget)
            self.routing.ApplyLocksToAllVehicles(self._index_routes(start), False)
            best = self.routing.SolveWithIteratedLocalSearch(params)
        else:
            params = self._parameters("ALL_UNPERFORMED", deadline, budget)
            if params.use_iterated_local_search:  # the single visit: a descent to the local optimum
                params.use_iterated_local_search = False
                params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
            best = self.routing.SolveFromAssignmentWithParameters(start, params)
        # Without a budget only the clock ends the search.
        return self._routes(best or start), not budget or self._cut(deadline)

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

    def start_from(self, routes: list[Route]) -> pywrapcp.Assignment | None:
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
        self.routing.CloseModelWithParameters(self._parameters("ALL_UNPERFORMED", time.monotonic() + 1.0, 1))
        return self.routing.ReadAssignmentFromRoutes(plans, True)

    def _improve_by_parts(self, routes: list[Route], deadline: float) -> tuple[list[Route], bool]:
        """Improve a large plan by re-optimising a few neighbouring routes at a time; also whether the cap cut it.

        Both metaheuristics slow down with the size of the model, so on hundreds of stops they make few moves
        in the time available. Each round takes the routes nearest to a seed route (about
        ``tuning.part_nodes`` stops, plus two unused vehicles and the nearest dropped chunks), solves them as a
        model of their own starting from the current routes, and keeps the result, which is never worse.
        Seeds go round the routes in vehicle order. The number of rounds follows from the sub-problem's size
        and each round's budget from its part's size (an explicit ``solution_limit`` is split over the
        rounds), so the outcome is reproducible; with ``solution_limit=0`` rounds go on until the deadline.
        """
        limit = self.options.solution_limit
        tuning = self.tuning
        rounds = max(1, math.ceil(self.options.effort * tuning.passes * len(self.chunk_ids) / tuning.part_nodes))
        for turn in itertools.count() if limit == 0 else range(rounds):
            if time.monotonic() >= deadline:
                return routes, True
            part, chosen = self._part(routes, turn)
            start = part.start_from(chosen)
            if start is None:
                continue
            budget = max(1, limit // rounds) if limit else part.budget(len(part.chunk_ids))
            found, cut = part.improve(start, deadline, budget)
            routes = [r for r in routes if r.vehicle not in part.vehicle_ids] + found
            if cut:
                return routes, True
        return routes, False

    def _part(self, routes: list[Route], turn: int) -> tuple[_Model, list[Route]]:
        """The model of round ``turn``'s part and the current routes it starts from."""
        row = {c: i for i, c in enumerate(self.chunk_ids)}
        tuning = self.tuning
        current = {r.vehicle: r for r in routes}
        used = sorted(current, key=self.vehicle_ids.index)
        seed = [row[c] for c in current[used[turn % len(used)]].chunks if c is not None]
        to_seed = self._near[seed].min(axis=0)
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
        # A part keeps its parent's metaheuristic even if its own windows would pick the other one; its budget
        # follows its size (without a budget, time-bound, the first part would take all the time there is).
        same_search = replace(self.options, metaheuristic=self.metaheuristic, solution_limit=None)
        return _Model(self.problem, self.chunks, part_chunks, fleet, same_search), [current[v] for v in chosen]

    @cached_property
    def _near(self) -> np.ndarray:
        """Symmetric travel time between the chunks, on the fastest profile of the fleet."""
        locations = [self.problem.stops[self.chunks[c].stop].location for c in self.chunk_ids]
        profiles = {self.problem.vehicles[v].profile for v in self.vehicle_ids}
        grid = np.ix_(locations, locations)
        times = np.min([np.asarray(self.problem.time_s[p], dtype=float)[grid] for p in profiles], axis=0)
        return np.minimum(times, times.T)

    def _routes(self, solution: pywrapcp.Assignment) -> list[Route]:
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
            routes.append(Route(v, sequence, times))
        return routes
