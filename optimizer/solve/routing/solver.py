"""The routing solve: validate, split the stops into chunks and sub-problems, search each sub-problem with
the chosen engine (OR-Tools, PyVRP or the portfolio of both), and turn its routes into trips, unserved quantities and totals."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from optimizer.errors import InputError
from optimizer.solve.routing.model import (
    Chunk,
    Route,
    RoutingOptions,
    RoutingProblem,
    RoutingResult,
    RoutingStats,
    Searched,
    Trip,
    Unserved,
    Visit,
    ceil_s,
    faults,
    make_chunks,
    sub_problems,
)
from optimizer.solve.routing.ortools import option_faults
from optimizer.solve.routing.portfolio import search_all
from optimizer.solve.routing.split import split_large


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
    wrong = faults(problem, options) + option_faults(options)
    if wrong:
        raise InputError(wrong)
    chunks = make_chunks(problem, options.cross_depot)
    rng = np.random.default_rng(options.seed) if options.seed else None
    groups = sub_problems(problem, chunks, options.cross_depot, rng)
    if not options.cross_depot:  # a joint model stays one, as asked
        groups = split_large(problem, chunks, groups)
    # One safety cap for the whole solve: a sub-problem may use whatever the earlier ones left.
    deadline = started + options.time_limit_s
    searched, engines = search_all(problem, chunks, groups, options, deadline)
    routes = [r for s in searched for r in s.routes]
    trips = _trips(problem, chunks, sorted(routes, key=lambda r: r.vehicle))
    served = {c for r in routes for c in r.chunks if c is not None}
    unserved = _unserved(problem, chunks, served, trips)
    result = _result(problem, trips, unserved, searched, time.monotonic() - started)
    return dataclasses.replace(result, engines=tuple(engines))


def _trips(problem: RoutingProblem, chunks: list[Chunk], routes: list[Route]) -> list[Trip]:
    """Turn solver routes into trips with arrival, service and departure times and loads on board."""
    trips = []
    for route in routes:
        vehicle = problem.vehicles[route.vehicle]
        depot = problem.depots[vehicle.depot]
        time_m, dist_m = problem.time_s[vehicle.profile], problem.dist_m[vehicle.profile]
        # Each trip: load start, then (chunk, service start) pairs; reload entries close a trip.
        legs: list[tuple[int, list[tuple[Chunk, int]]]] = [(route.times[0], [])]
        for c, at in zip(route.chunks, route.times[1:-1]):
            if c is None:
                legs.append((at, []))
            else:
                legs[-1][1].append((chunks[c], at))
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
                        arrival_s=departure + ceil_s(leg_time),
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
                    end_s=departure + ceil_s(back),
                    visits=tuple(visits),
                    return_leg_time_s=back,
                    return_leg_dist_m=float(dist_m[here, depot.location]),
                )
            )
    return trips


def _unserved(problem: RoutingProblem, chunks: list[Chunk], served: set[int], trips: list[Trip]) -> list[Unserved]:
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
    searched: list[Searched],
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
    cut = any(s.cut for s in searched)
    if not searched:
        stopped = "nothing to search"
    else:
        stopped = "time limit" if cut else "solution limit"
    return RoutingResult(
        trips=trips,
        unserved=unserved,
        objective=objective,
        status=status,
        solve_time_s=elapsed_s,
        strategy_used=", ".join(dict.fromkeys(s.strategy for s in searched)) or "none",
        stopped_by=stopped,
        cut_by_time_limit=cut,
        stats=RoutingStats(
            km=km,
            hours=hours,
            vehicles_used=len(day),
            trips=len(trips),
            kg_delivered=sum(t.load_kg for t in trips),
        ),
    )
