"""Cluster first, route second: a depot's sub-problem that is too large for one search is cut in two halves
of nearby stops, each with a share of the depot's fleet, until every part is small enough.

Both engines slow down faster than linearly with the size of a model (OR-Tools' construction inserts every
stop into every route; its moves and PyVRP's granular neighbourhoods grow with the stops), so a
province-sized day with thousands of stops per depot would not finish. Halves are made by travel time: the
stop farthest from the depot and the stop farthest from that one pull the other stops to the nearer of the
two, and the halves are cut at the median (in chunks), whole stops together. Each half gets, per vehicle
profile, a share of the vehicles in proportion to its kilograms, so a zone that only trucks may enter keeps
trucks. The cut depends only on the matrices and the order of the stops and vehicles: the same problem gives
the same parts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optimizer.solve.routing.model import Chunk, RoutingProblem

#: Largest sub-problem searched as one (chunks). The default day's largest depot has under 300 chunks, and
#: searches of that size take seconds; a part never gets fewer chunks than half of this.
MAX_CHUNKS = 300

#: Stand-in for "no path" when comparing travel times.
_FAR = 1e9

Group = tuple[list[int], list[int]]


def split_large(problem: RoutingProblem, chunks: Sequence[Chunk], groups: Sequence[Group], *,
                max_chunks: int = MAX_CHUNKS) -> list[Group]:
    """The sub-problems (chunk ids, vehicle ids) with every one above ``max_chunks`` chunks cut into parts."""
    parts: list[Group] = []
    for chunk_ids, vehicle_ids in groups:
        parts += _halves(problem, chunks, list(chunk_ids), list(vehicle_ids), max_chunks)
    return parts


def _halves(problem: RoutingProblem, chunks: Sequence[Chunk], chunk_ids: list[int], vehicle_ids: list[int],
            max_chunks: int) -> list[Group]:
    if len(chunk_ids) <= max_chunks or len(vehicle_ids) < 2:
        return [(chunk_ids, vehicle_ids)]
    near, far = _two_sides(problem, chunks, chunk_ids, vehicle_ids)
    if not near or not far:  # one stop holds every chunk
        return [(chunk_ids, vehicle_ids)]
    kg = [sum(chunks[c].kg for c in side) for side in (near, far)]
    fleet_near: list[int] = []
    by_profile: dict[str, list[int]] = {}
    for v in vehicle_ids:
        by_profile.setdefault(problem.vehicles[v].profile, []).append(v)
    for members in by_profile.values():
        fleet_near += members[:round(len(members) * kg[0] / max(sum(kg), 1e-9))]
    fleet_far = [v for v in vehicle_ids if v not in fleet_near]
    if not fleet_near:
        fleet_near, fleet_far = fleet_far[:1], fleet_far[1:]
    elif not fleet_far:
        fleet_near, fleet_far = fleet_near[:-1], fleet_near[-1:]
    keep = set(fleet_near)
    fleet_near = [v for v in vehicle_ids if v in keep]
    return (_halves(problem, chunks, near, fleet_near, max_chunks)
            + _halves(problem, chunks, far, fleet_far, max_chunks))


def _two_sides(problem: RoutingProblem, chunks: Sequence[Chunk], chunk_ids: list[int],
               vehicle_ids: list[int]) -> tuple[list[int], list[int]]:
    """The chunks nearer the stop farthest from the depot, and the others, cut at the median in chunks."""
    profiles = [problem.vehicles[v].profile for v in vehicle_ids]
    profile = max(dict.fromkeys(profiles), key=profiles.count)
    time_s = np.asarray(problem.time_s[profile], dtype=float)
    stops = list(dict.fromkeys(chunks[c].stop for c in chunk_ids))
    places = np.array([problem.stops[s].location for s in stops])
    depot = problem.depots[problem.vehicles[vehicle_ids[0]].depot].location

    def both_ways(origin: int) -> np.ndarray:
        seconds = time_s[origin, places] + time_s[places, origin]
        return np.where(np.isfinite(seconds), seconds, _FAR)

    a = places[int(np.argmax(both_ways(depot)))]
    b = places[int(np.argmax(both_ways(a)))]
    pull = both_ways(a) - both_ways(b)
    order = sorted(range(len(stops)), key=lambda k: (pull[k], k))
    per_stop: dict[int, list[int]] = {}
    for c in chunk_ids:
        per_stop.setdefault(chunks[c].stop, []).append(c)
    near: list[int] = []
    for k in order:
        if len(near) >= len(chunk_ids) / 2:
            break
        near += per_stop[stops[k]]
    taken = set(near)
    return [c for c in chunk_ids if c in taken], [c for c in chunk_ids if c not in taken]
