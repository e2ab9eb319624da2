"""The PyVRP engine of the router: one PyVRP instance per sub-problem, searched by PyVRP's iterated local search.

Modelling
---------
Depots
    Every depot of the sub-problem's fleet becomes two PyVRP depots at its location: a *loading* depot, where
    routes start and reload, whose service duration is the depot's ``load_time_s`` and whose window
    ``[open_s, close_s - load_time_s]`` bounds the start of every loading; and an *end* depot without service,
    open ``[open_s, close_s]``, where routes return. Loading thus takes its time at the first loading and at
    every reload, exactly as in the engine-neutral model.
Several trips per vehicle
    A vehicle with ``max_trips = k`` may reload at its loading depot ``k - 1`` times (``reload_depots``,
    ``max_reloads``); a reload empties every load dimension.
Chunks
    Every chunk is a client delivering its grams (and bags, as a second load dimension, when the fleet limits
    bags), with the chunk's service time and its stop's window. Grams count in load units of a power of ten
    that divides every capacity of the fleet (up to a thousandth of the smallest): chunks round up to whole
    units, capacities stay exact, so no trip is overloaded.
Priorities
    The priority levels are searched in turn, highest first. A search makes the chunks of its level optional
    clients (``required=False``) whose prize is their weight from
    :func:`~optimizer.solve.routing.model.penalty_weights` times a unit above the cost of serving a chunk
    with a dedicated vehicle; the chunks that the searches of higher levels served become required clients,
    and the search starts from their plan. So a chunk is never dropped to serve one of lower priority, and
    each search sees prizes of one level only (a range of 32), which PyVRP's penalties can handle.
Penalties
    PyVRP relaxes capacity, time windows and duration with adaptive penalties and keeps only the best
    *feasible* solution. The first penalty lets an overload by the largest chunk cost half the smallest
    prize, so the search passes through overloads to plans with one more trip; the ceiling makes one unit of
    excess (a load unit, a second) outweigh any prize, and updates come ten times as often as PyVRP's default.
Vehicles and restrictions
    Vehicles become vehicle types (identical vehicles share one) with their shift as the type's window,
    ``max_duration_s`` as shift duration and integer costs (one power-of-ten scale for all). Which vehicles
    may serve a chunk (zones, paths, reach, capacity) is modelled with routing profiles: clients at one
    location with different allowed vehicles get locations of their own, and every vehicle profile sees the
    edges into and out of the locations it may not serve as longer than the horizon (and costly). Vehicles
    with the same matrix profile, cost per km and forbidden locations share a PyVRP profile, whose distance
    matrix carries the scaled distance cost itself.
Time
    Travel times are rounded up to whole seconds as in the OR-Tools engine; "no path" becomes an edge longer
    than the horizon. ``RoutingOptions.balance`` and the OR-Tools search settings do not apply here.
Determinism
    Each level's search stops after ``_ITERATIONS_PER_CHUNK * effort`` iterations per chunk it adds (or
    ``RoutingOptions.solution_limit`` iterations) with PyVRP's seed ``RoutingOptions.seed``, so the plan does
    not depend on the machine; the time limit is only a safety cap, and a search it ends is reported as cut.
    Should a search find no feasible plan, its infeasible routes are left out (their chunks go unserved).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pyvrp import (
    Activity,
    ActivityType,
    Client,
    Location,
    PenaltyParams,
    ProblemData,
    Solution,
    SolveParams,
    VehicleType,
    solve,
)
from pyvrp import Depot as PyvrpDepot
from pyvrp import Route as PyvrpRoute
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

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

#: Iterations of a level's search per chunk it adds (times ``RoutingOptions.effort``), and the least number
#: of iterations of any search. Sized on the default day (288 chunks in four levels: about 6 s with both
#: cores busy).
_ITERATIONS_PER_CHUNK = 10
_MIN_ITERATIONS = 200
#: Largest scaled cost of one edge, and the largest total prize (int64 is about 9.2e18).
_MAX_ARC_COST = 1e4
_MAX_TOTAL_PRIZE = 1e17
#: Registrations of solutions between two updates of PyVRP's adaptive penalties (PyVRP: 500): the penalties
#: span a wide range here and must cross it within small budgets.
_UPDATE_EVERY = 50
#: Load units per chunk at most: a load unit is the largest power of ten of grams dividing every capacity
#: of the fleet that leaves this many units in the smallest capacity.
_LOAD_UNITS = 1000
STRATEGY = "pyvrp iterated local search"
#: PyVRP's "no limit" of a route's duration.
_UNLIMITED = int(np.iinfo(np.int64).max)


def solve_sub_problem(
    problem: RoutingProblem,
    chunks: list[Chunk],
    chunk_ids: list[int],
    vehicle_ids: list[int],
    options: RoutingOptions,
    deadline: float,
) -> Searched:
    """Search one sub-problem priority level by priority level, each within its budget or until ``deadline``.

    The highest level goes first; every later search must keep the chunks served so far (they become
    required clients, starting from the previous plan) and adds the chunks of its own level as optional
    clients, so a chunk is never dropped for one of lower priority.
    """
    priority = {c: problem.stops[chunks[c].stop].priority for c in chunk_ids}
    routes: list[Route] = []
    cut = False
    for level in sorted(set(priority.values()), reverse=True):
        kept = [c for r in routes for c in r.chunks if c is not None]
        active = kept + [c for c in chunk_ids if priority[c] == level]
        instance = _Instance(problem, chunks, active, vehicle_ids, len(kept))
        budget = _budget(options, len(active) - len(kept))
        clock = MaxRuntime(max(0.0, deadline - time.monotonic()))
        stop = MultipleCriteria([MaxIterations(budget), clock]) if budget else clock
        params = SolveParams(penalty=instance.penalties)
        start = instance.solution(routes) if routes else None
        result = solve(instance.data, stop, seed=options.seed, collect_stats=False, params=params,
                       initial_solution=start)
        routes = instance.routes(result.best)
        # Without a budget only the clock ends the search.
        cut |= not budget or result.num_iterations < budget
    return Searched(routes, STRATEGY, cut)


def _budget(options: RoutingOptions, added: int) -> int:
    """Iterations of the search of a level that adds ``added`` chunks (``solution_limit`` if given)."""
    if options.solution_limit is not None:
        return options.solution_limit
    return max(_MIN_ITERATIONS, round(options.effort * _ITERATIONS_PER_CHUNK * added))


@dataclass
class _Penalties(PenaltyParams):
    """PyVRP's penalty parameters with a chosen initial penalty instead of the midpoint of the bounds."""

    initial: float = 1.0

    def midpoint_penalties(self, data: ProblemData) -> tuple[list[float], float, float]:
        """The initial penalties of excess load (per dimension), time warp and excess distance."""
        return [self.initial] * data.num_load_dimensions, self.initial, self.initial


def _gram_unit(capacities: list[int]) -> int:
    """Grams per load unit: a power of ten dividing every capacity, with about :data:`_LOAD_UNITS` units or
    more in the smallest. Chunks round up to whole units, capacities stay exact, so nothing is overloaded."""
    unit = 1
    while min(capacities) // (10 * unit) >= _LOAD_UNITS and all(c % (10 * unit) == 0 for c in capacities):
        unit *= 10
    return unit


class _Instance:
    """The PyVRP data of one sub-problem and the way back from its solutions to routes.

    PyVRP locations are the depots' locations, then one per distinct (stop location, vehicles allowed) of
    the chunks; PyVRP depots are a loading and an end depot per depot of the fleet.
    """

    def __init__(
        self, problem: RoutingProblem, chunks: list[Chunk], chunk_ids: list[int], vehicle_ids: list[int], kept: int
    ) -> None:
        self.problem, self.chunk_ids = problem, chunk_ids
        fleet = [problem.vehicles[v] for v in vehicle_ids]
        depot_ids = sorted({v.depot for v in fleet})
        depots = [problem.depots[d] for d in depot_ids]
        sub = [chunks[c] for c in chunk_ids]
        places: list[tuple[int, frozenset[int] | None]] = [(d.location, None) for d in depots]
        index: dict[tuple[int, frozenset[int] | None], int] = {}
        client_place = []
        for chunk in sub:
            key = (problem.stops[chunk.stop].location, frozenset(chunk.vehicles) & frozenset(vehicle_ids))
            client_place.append(index.setdefault(key, len(places)))
            if client_place[-1] == len(places):
                places.append(key)
        self.location = np.array([p[0] for p in places], dtype=np.int64)
        self.horizon = max(min(v.shift_end_s, problem.depots[v.depot].close_s) for v in fleet) + 1

        self.gram_unit = _gram_unit([capacity_grams(v) for v in fleet])
        grams = [-(-c.grams // self.gram_unit) for c in sub]
        # The first ``kept`` chunks were served by the searches of higher priorities and must stay.
        weights = [0] * kept + penalty_weights(sub[kept:], problem)
        scale, unit = self._scale(fleet, weights)
        prizes = [unit * w for w in weights]
        self.penalties: PenaltyParams = PenaltyParams()
        if any(prizes) and any(v.max_trips > 1 for v in fleet):
            # Overloading by the largest chunk first costs half the smallest prize, so the search can pass
            # through such overloads to a plan with one more trip; at most one unit of excess outweighs any prize.
            # Without reloads there is no further trip to reach, and PyVRP's own penalties search better
            # (X instances, 30 s: 0.99 % and 1.40 % against 1.61 % and 2.16 % above the best known).
            least = min(p for p in prizes if p)
            self.penalties = _Penalties(
                initial=least / (2 * max(1, *grams)), max_penalty=2.0 * max(prizes), solutions_between_updates=_UPDATE_EVERY
            )
        # Which PyVRP profile each vehicle travels on: its matrices, its cost per km and what it may not serve.
        profile_of: dict[tuple[str, float, tuple[int, ...]], int] = {}
        vehicle_profile = []
        for v, vehicle in zip(vehicle_ids, fleet):
            barred = tuple(n for n, (_, able) in enumerate(places) if able is not None and v not in able)
            vehicle_profile.append(profile_of.setdefault((vehicle.profile, vehicle.cost_per_km, barred), len(profile_of)))
        # PyVRP's stubs type the matrices as ``ndarray[int]``, which no real array satisfies.
        durations: list[Any] = []
        distances: list[Any] = []
        for (name, per_km, barred) in profile_of:
            duration, distance = self._matrices(name, scale * per_km / 1000, list(barred))
            durations.append(duration)
            distances.append(distance)

        bags = any(c.bags for c in sub) and any(v.capacity_bags is not None for v in fleet)
        pyvrp_depots = []
        for k, d in enumerate(depots):
            last_load = max(d.open_s, d.close_s - d.load_time_s)
            pyvrp_depots.append(PyvrpDepot(k, tw_early=d.open_s, tw_late=last_load, service_duration=d.load_time_s))
            pyvrp_depots.append(PyvrpDepot(k, tw_early=d.open_s, tw_late=d.close_s))
        clients = []
        for chunk, load, place, prize in zip(sub, grams, client_place, prizes):
            stop = problem.stops[chunk.stop]
            clients.append(Client(
                place, delivery=[load, chunk.bags] if bags else [load], service_duration=chunk.service_s,
                tw_early=stop.tw_start_s, tw_late=min(stop.tw_end_s, self.horizon), prize=prize, required=not prize,
            ))
        types, self.type_vehicles = self._vehicle_types(fleet, vehicle_ids, vehicle_profile, depot_ids, scale, bags, sub)
        self.data = ProblemData(
            [Location(0.0, 0.0) for _ in places], clients, pyvrp_depots, types, distances, durations
        )

    def _scale(self, fleet: list[Vehicle], weights: list[int]) -> tuple[float, int]:
        """The power of ten that turns costs into integers, and the prize of a chunk of weight 1.

        The prize unit exceeds the cost of serving a chunk with a dedicated vehicle; the scale is as fine as
        the largest edge cost allows but coarse enough that all prizes together stay below
        :data:`_MAX_TOTAL_PRIZE`.
        """
        arc = max(v.cost_per_km * self._max_dist(v.profile) / 1000 for v in fleet)
        hours = max(v.cost_per_hour for v in fleet) * self.horizon / 3600
        fixed = max(v.fixed_cost for v in fleet)
        serve = 2 * (fixed + 2 * arc + hours) + 1e-9
        largest = max(arc, hours, fixed, 1e-9)
        scale = min(_MAX_ARC_COST / largest, _MAX_TOTAL_PRIZE / (serve * max(1, sum(weights))))
        scale = 10.0 ** math.floor(math.log10(scale))
        return scale, max(1, math.ceil(scale * serve))

    def _grid(self, matrices: Mapping[str, np.ndarray], profile: str) -> np.ndarray:
        """The sub-problem's locations' part of a per-profile matrix."""
        return np.asarray(matrices[profile], dtype=float)[np.ix_(self.location, self.location)]

    def _max_dist(self, profile: str) -> float:
        """Longest finite distance between the sub-problem's locations on ``profile``."""
        dist = self._grid(self.problem.dist_m, profile)
        finite = dist[np.isfinite(dist)]
        return float(finite.max()) if finite.size else 0.0

    def _matrices(self, profile: str, cost_per_m: float, barred: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Whole-second durations and scaled distance costs; no path and barred locations are prohibitive."""
        travel = self._grid(self.problem.time_s, profile)
        dist = self._grid(self.problem.dist_m, profile)
        finite = np.isfinite(travel) & np.isfinite(dist)
        duration = np.ceil(np.where(finite, travel, 0.0) - 1e-6).clip(min=0).astype(np.int64)
        cost = np.rint(cost_per_m * np.where(finite, dist, 0.0)).astype(np.int64)
        blocked = ~finite
        blocked[barred, :] = blocked[:, barred] = True
        np.fill_diagonal(blocked, False)
        duration[blocked] = self.horizon + 1
        cost[blocked] = 10 * int(cost.max(initial=0)) + 1
        return duration, cost

    def _vehicle_types(
        self,
        fleet: list[Vehicle],
        vehicle_ids: list[int],
        vehicle_profile: list[int],
        depot_ids: list[int],
        scale: float,
        bags: bool,
        sub: list[Chunk],
    ) -> tuple[list[VehicleType], list[list[int]]]:
        """One vehicle type per group of identical vehicles (on the same PyVRP profile), and their vehicles."""
        groups: dict[tuple[Vehicle, int], list[int]] = {}
        for v, vehicle, profile in zip(vehicle_ids, fleet, vehicle_profile):
            groups.setdefault((replace(vehicle, id=""), profile), []).append(v)
        types = []
        for (vehicle, profile), members in groups.items():
            depot = self.problem.depots[vehicle.depot]
            load = 2 * depot_ids.index(vehicle.depot)
            capacity = [capacity_grams(vehicle) // self.gram_unit]
            if bags:
                capacity.append(sum(c.bags for c in sub) if vehicle.capacity_bags is None else vehicle.capacity_bags)
            duration = _UNLIMITED if vehicle.max_duration_s is None else vehicle.max_duration_s
            types.append(VehicleType(
                len(members), capacity, start_depot=load, end_depot=load + 1, fixed_cost=round(scale * vehicle.fixed_cost),
                tw_early=max(vehicle.shift_start_s, depot.open_s), tw_late=min(vehicle.shift_end_s, depot.close_s),
                unit_distance_cost=1, unit_duration_cost=round(scale * vehicle.cost_per_hour / 3600), profile=profile,
                shift_duration=duration, reload_depots=[load] if vehicle.max_trips > 1 else [],
                max_reloads=vehicle.max_trips - 1,
            ))
        return types, list(groups.values())

    def solution(self, routes: list[Route]) -> Solution:
        """The PyVRP solution that drives ``routes``, whose chunks come first in this instance."""
        client = {c: k for k, c in enumerate(self.chunk_ids)}
        type_of = {v: t for t, members in enumerate(self.type_vehicles) for v in members}
        visits = []
        for route in routes:
            load = self.data.vehicle_type(type_of[route.vehicle]).start_depot
            activities = [Activity(ActivityType.DEPOT, load) if c is None else Activity(ActivityType.CLIENT, client[c])
                          for c in route.chunks]
            visits.append(PyvrpRoute(self.data, activities, type_of[route.vehicle]))
        return Solution(self.data, visits)

    def routes(self, solution: Solution) -> list[Route]:
        """The feasible routes of ``solution`` that deliver something, in problem indices.

        Times are the start of the first loading, of each service or reload, and the return.
        """
        unused = [iter(members) for members in self.type_vehicles]
        routes = []
        for route in solution.routes():
            vehicle = next(unused[route.vehicle_type()])
            # The best solution is feasible; should the search have found none, infeasible routes are left out.
            if not route.is_feasible():
                continue
            schedule = route.schedule()
            sequence = [self.chunk_ids[a.idx] if a.is_client() else None for a in schedule[1:-1]]
            if all(c is None for c in sequence):
                continue
            routes.append(Route(vehicle, sequence, [a.start_time for a in schedule]))
        return routes
