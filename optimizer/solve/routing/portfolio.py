"""Searching the sub-problems: each engine's search as a self-contained job, run here, in local processes or on
a Dask cluster, and the portfolio that runs both engines and keeps the better checked routes.

Every sub-problem is cut out of the day's problem before it is searched (its own depots, stops, vehicles and
the matrices over their locations only), so a job is small to send and means the same wherever it runs. Both
engines stop on deterministic budgets, so the plan is the same in one process, in several or on a cluster.

The portfolio compares the engines' routes on one scale: first the drop penalty of what they leave
(:func:`~optimizer.solve.routing.model.penalty_weights`: a higher priority outweighs everything below it),
then the cost (fixed, per km and per working hour), and it keeps only routes that pass :func:`route_faults`.
On a tie OR-Tools' routes are kept. OR-Tools alone searches when the options ask for a feature PyVRP lacks
(``balance``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import numpy as np

from optimizer.parallel import run_jobs
from optimizer.solve.routing import ortools, pyvrp
from optimizer.solve.routing.model import (
    Chunk,
    EngineChoice,
    Route,
    RoutingOptions,
    RoutingProblem,
    Searched,
    capacity_grams,
    penalty_weights,
)

#: The engines that search a sub-problem.
SEARCHES: dict[str, Callable[..., Searched]] = {"ortools": ortools.solve_sub_problem,
                                                "pyvrp": pyvrp.solve_sub_problem}


@dataclasses.dataclass(frozen=True)
class _Cut:
    """A sub-problem cut out of the day: its problem and chunks, and the day's indices of its vehicles and
    chunks (to map routes back)."""

    problem: RoutingProblem
    chunks: list[Chunk]
    vehicle_ids: list[int]
    chunk_ids: list[int]


def restrict(problem: RoutingProblem, chunks: Sequence[Chunk], chunk_ids: Sequence[int],
             vehicle_ids: Sequence[int]) -> _Cut:
    """The sub-problem of ``chunk_ids`` served by ``vehicle_ids``, as a problem of its own (same order of
    vehicles and chunks, locations renumbered, matrices cut to them)."""
    vehicles = [problem.vehicles[v] for v in vehicle_ids]
    depot_ids = sorted({v.depot for v in vehicles})
    stop_ids = list(dict.fromkeys(chunks[c].stop for c in chunk_ids))
    locations = list(dict.fromkeys(
        [problem.depots[d].location for d in depot_ids]
        + [v.reach_from for v in vehicles if v.reach_from is not None]
        + [problem.stops[s].location for s in stop_ids]))
    place = {loc: k for k, loc in enumerate(locations)}
    depot_at = {d: k for k, d in enumerate(depot_ids)}
    stop_at = {s: k for k, s in enumerate(stop_ids)}
    vehicle_at = {v: k for k, v in enumerate(vehicle_ids)}
    grid = np.ix_(locations, locations)
    sub = RoutingProblem(
        depots=[dataclasses.replace(problem.depots[d], location=place[problem.depots[d].location]) for d in depot_ids],
        stops=[dataclasses.replace(problem.stops[s], location=place[problem.stops[s].location],
                                   depot=_renumbered(depot_at, problem.stops[s].depot)) for s in stop_ids],
        vehicles=[dataclasses.replace(v, depot=depot_at[v.depot],
                                      reach_from=None if v.reach_from is None else place[v.reach_from])
                  for v in vehicles],
        time_s={p: np.asarray(m)[grid] for p, m in problem.time_s.items()},
        dist_m={p: np.asarray(m)[grid] for p, m in problem.dist_m.items()},
    )
    sub_chunks = [dataclasses.replace(chunks[c], stop=stop_at[chunks[c].stop],
                                      vehicles=tuple(vehicle_at[v] for v in chunks[c].vehicles if v in vehicle_at))
                  for c in chunk_ids]
    return _Cut(sub, sub_chunks, list(vehicle_ids), list(chunk_ids))


def _renumbered(index: dict[int, int], value: int | None) -> int | None:
    return None if value is None else index.get(value)


def _search_job(engine: str, cut: _Cut, options: RoutingOptions, left_s: float) -> Searched:
    """One engine's search of one cut sub-problem (module level: runs in pool and Dask workers)."""
    everything = list(range(len(cut.chunks)))
    return SEARCHES[engine](cut.problem, cut.chunks, everything, list(range(len(cut.vehicle_ids))), options,
                            time.monotonic() + left_s)


def _engines(options: RoutingOptions) -> tuple[tuple[str, ...], str]:
    """The engines to run and why."""
    if options.engine != "portfolio":
        return (options.engine,), f"engine '{options.engine}' chosen"
    if options.balance:
        return ("ortools",), "balance asked: OR-Tools only (PyVRP has no route balancing)"
    return ("ortools", "pyvrp"), ""


def search_all(problem: RoutingProblem, chunks: list[Chunk], groups: Sequence[tuple[list[int], list[int]]],
               options: RoutingOptions, deadline: float) -> tuple[list[Searched], list[EngineChoice]]:
    """Search every sub-problem with the options' engine (or both, for the portfolio), in the options'
    processes or cluster; the routes use the day's indices."""
    engines, why = _engines(options)
    cuts = [restrict(problem, chunks, c, v) for c, v in groups]
    jobs = [(engine, cut, options) for cut in cuts for engine in engines]
    if options.workers <= 1 and options.dask_address is None:
        # In turn: each search may use what the earlier ones left of the safety cap.
        found = [_search_job(*job, max(0.0, deadline - time.monotonic())) for job in jobs]
    else:
        left_s = max(0.0, deadline - time.monotonic())
        found = run_jobs(_search_job, [(*job, left_s) for job in jobs], workers=options.workers,
                         dask_address=options.dask_address, name="routing")
    searched, choices = [], []
    for k, cut in enumerate(cuts):
        candidates = dict(zip(engines, found[k * len(engines):(k + 1) * len(engines)]))
        engine, reason, scores = _choose(cut, candidates, why)
        best = candidates[engine]
        searched.append(best._replace(routes=[_mapped(r, cut) for r in best.routes]))
        depots = ", ".join(dict.fromkeys(d.id for d in cut.problem.depots))
        choices.append(EngineChoice(depots=depots, engine=engine, reason=reason, candidates=scores))
    return searched, choices


def _mapped(route: Route, cut: _Cut) -> Route:
    return Route(cut.vehicle_ids[route.vehicle], [None if c is None else cut.chunk_ids[c] for c in route.chunks],
                 list(route.times))


def _choose(cut: _Cut, candidates: dict[str, Searched], why: str) -> tuple[str, str, dict[str, dict]]:
    """The engine whose routes to keep, why, and every candidate's figures."""
    weights = penalty_weights(cut.chunks, cut.problem)
    scores: dict[str, dict] = {}
    for engine, found in candidates.items():
        served = {c for r in found.routes for c in r.chunks if c is not None}
        wrong = [f for r in found.routes for f in route_faults(cut.problem, cut.chunks, r)]
        scores[engine] = {
            "dropped_weight": sum(w for c, w in enumerate(weights) if c not in served),
            "cost": round(_cost(cut.problem, cut.chunks, found.routes), 2),
            "kg": round(sum(cut.chunks[c].kg for c in served), 1),
            "faults": wrong[:3],
            "cut_by_time_limit": found.cut,
        }
    valid = [e for e in candidates if not scores[e]["faults"]] or list(candidates)
    best = min(valid, key=lambda e: (scores[e]["dropped_weight"], scores[e]["cost"], e != "ortools"))
    if why:
        return best, why, scores
    other = next(e for e in candidates if e != best)
    if scores[other]["faults"]:
        reason = f"{other}'s routes failed the check ({scores[other]['faults'][0]})"
    elif scores[best]["dropped_weight"] < scores[other]["dropped_weight"]:
        reason = f"leaves less undelivered ({scores[best]['kg']:,.0f} kg against {scores[other]['kg']:,.0f} kg)"
    elif scores[best]["cost"] < scores[other]["cost"]:
        reason = f"same deliveries at a lower cost ({scores[best]['cost']:,.0f} against {scores[other]['cost']:,.0f})"
    else:
        reason = "same deliveries and cost: OR-Tools kept"
    return best, reason, scores


def _path(problem: RoutingProblem, chunks: Sequence[Chunk], route: Route) -> list[int]:
    """Locations a route passes: its depot, the stops (the depot again at each reload) and the depot."""
    depot = problem.depots[problem.vehicles[route.vehicle].depot].location
    return [depot, *(depot if c is None else problem.stops[chunks[c].stop].location for c in route.chunks), depot]


def _cost(problem: RoutingProblem, chunks: Sequence[Chunk], routes: Sequence[Route]) -> float:
    """Fixed, distance and working-time cost of the routes."""
    total = 0.0
    for route in routes:
        vehicle = problem.vehicles[route.vehicle]
        dist = problem.dist_m[vehicle.profile]
        path = _path(problem, chunks, route)
        metres = sum(float(dist[a, b]) for a, b in zip(path, path[1:]))
        total += (vehicle.fixed_cost + vehicle.cost_per_km * metres / 1000
                  + vehicle.cost_per_hour * (route.times[-1] - route.times[0]) / 3600)
    return total


def route_faults(problem: RoutingProblem, chunks: Sequence[Chunk], route: Route) -> list[str]:
    """What is wrong with an engine's route: a chunk its vehicle may not serve, an overloaded trip, too many
    trips, a service outside the stop's window, time running backwards or past the end of the shift.

    A guard of the portfolio against an engine's fault, not the full check (``tests/checker.py`` is that).
    """
    vehicle = problem.vehicles[route.vehicle]
    wrong = []
    trips: list[list[int]] = [[]]
    for c in route.chunks:
        if c is None:
            trips.append([])
        else:
            trips[-1].append(c)
    trips = [t for t in trips if t]
    if len(trips) > vehicle.max_trips:
        wrong.append(f"{vehicle.id}: {len(trips)} trips, at most {vehicle.max_trips}")
    limit = capacity_grams(vehicle)
    for trip in trips:
        grams, bags = sum(chunks[c].grams for c in trip), sum(chunks[c].bags for c in trip)
        if grams > limit or (vehicle.capacity_bags is not None and bags > vehicle.capacity_bags):
            wrong.append(f"{vehicle.id}: a trip carries {grams / 1000:,.1f} kg, {bags} bags")
    for c, at in zip(route.chunks, route.times[1:-1]):
        if c is None:
            continue
        stop = problem.stops[chunks[c].stop]
        if route.vehicle not in chunks[c].vehicles:
            wrong.append(f"{vehicle.id} may not serve {stop.id}")
        if not stop.tw_start_s <= at <= stop.tw_end_s:
            wrong.append(f"{vehicle.id} serves {stop.id} at {at} s, outside its window")
    if any(b < a for a, b in zip(route.times, route.times[1:])) or route.times[-1] > vehicle.shift_end_s:
        wrong.append(f"{vehicle.id}: times run backwards or past the end of the shift")
    return wrong
