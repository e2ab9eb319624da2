"""Depot assignment: which depot serves which drop point (or whole ward), within each depot's stock.

Builds the capacitated facility-location model of :mod:`optimizer.solve.facility` from scenario objects: the
cost of serving a point from a depot is the truck travel time depot → point (minutes) × the point's kg,
stock per commodity is the depot's capacity, and red/orange points carry larger penalties for being left
unassigned, so scarce stock goes to them first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.scenario import DemandPoint, Depot
from optimizer.solve.facility import solve_facility_location

#: Penalty multiplier per priority level (green 0 … red 3) for leaving a point unassigned: each level
#: outweighs every lower one, so stock shortages fall on green wards first.
PRIORITY_PENALTY_BASE = 20.0


@dataclass(frozen=True)
class Assignment:
    """Which depot serves which point, the depots' loads, and what could not be assigned.

    Attributes
    ----------
    level
        ``"point"`` (each drop point on its own) or ``"ward"`` (a whole ward on one depot).
    points
        One row per drop point: ``point_id``, ``ward_id``, ``ward``, ``locality``, ``depot_id`` (empty when
        unassigned), ``depot_name``, ``travel_min`` (truck, depot → point), one ``<commodity>_kg`` column per
        commodity and ``total_kg``.
    depots
        One row per depot and commodity: ``depot_id``, ``name``, ``commodity``, ``stock_kg``, ``load_kg``,
        ``load_share``, ``open``, ``closed_by_planner``.
    unassigned
        ``point_id``, ``ward_id``, ``ward``, ``total_kg``, ``reason``.
    objective, best_bound, gap, status, solve_time_s, backend
        The solver's figures (objective in kg·minutes plus penalties).
    cut_by_time_limit
        Whether the time limit ended the solve (rather than optimality or the node limit): the assignment may
        then differ on another run.
    """

    level: str
    points: pd.DataFrame
    depots: pd.DataFrame
    unassigned: pd.DataFrame
    objective: float
    best_bound: float
    gap: float
    status: str
    solve_time_s: float
    backend: str
    cut_by_time_limit: bool

    def depot_of(self) -> dict[str, str]:
        """Point id → depot id, for assigned points."""
        assigned = self.points[self.points["depot_id"] != ""]
        return dict(zip(assigned["point_id"], assigned["depot_id"]))


def commodities_of(depots: Sequence[Depot], points: Sequence[DemandPoint]) -> list[str]:
    """Commodities present in stock or demand, in a stable order (rice first)."""
    names = {c for d in depots for c in d.stock_kg} | {c for p in points for c in p.demand_kg}
    return sorted(names, key=lambda c: (c != "rice", c))


def assign_depots(
    depots: Sequence[Depot],
    points: Sequence[DemandPoint],
    travel_s: np.ndarray,
    *,
    level: Literal["point", "ward"] = "point",
    max_depots: int | None = None,
    close: Sequence[str] = (),
    force_open: Sequence[str] = (),
    fixed_cost: dict[str, float] | None = None,
    max_travel_s: float | None = None,
    time_limit_s: float = 30.0,
    node_limit: int | None = None,
    seed: int = 0,
) -> Assignment:
    """Assign every drop point (or ward) to one depot, minimising kg-weighted travel time.

    Parameters
    ----------
    depots, points
        From the scenario.
    travel_s
        ``(n_depots, n_points)`` truck travel time depot → point in seconds; ``np.inf`` where no road.
    level
        ``"point"`` or ``"ward"`` (a ward's points all share one depot, so its team deals with one warehouse).
    max_depots
        Open at most this many depots.
    close
        Depot ids closed for the day (e.g. staff infected): they serve nothing.
    force_open
        Depot ids that must be used.
    fixed_cost
        Depot id → cost of opening it, in kg·minutes.
    max_travel_s
        A depot farther than this from a point may not serve it.
    time_limit_s, node_limit, seed
        Solver limits: the node limit is the deterministic budget, so the same input and seed give the same
        assignment whenever the solve ends before the time limit, a safety cap (``cut_by_time_limit`` tells).

    Raises
    ------
    InputError
        Unknown depot ids in ``close``/``force_open``, or a matrix of the wrong shape.
    """
    depot_ids = [d.id for d in depots]
    unknown = [d for d in [*close, *force_open] if d not in depot_ids]
    if unknown:
        raise InputError(f"unknown depot id(s): {', '.join(unknown)} (known: {', '.join(depot_ids)})",
                         field="depot_id")
    travel_s = np.asarray(travel_s, dtype=float)
    if travel_s.shape != (len(depots), len(points)):
        raise InputError(f"travel matrix is {travel_s.shape}, expected ({len(depots)}, {len(points)})")
    commodities = commodities_of(depots, points)
    demand = np.array([[p.demand_kg.get(c, 0.0) for c in commodities] for p in points], dtype=float)
    demand = demand.reshape(len(points), len(commodities))
    stock = np.array([[d.stock_kg.get(c, 0.0) for c in commodities] for d in depots], dtype=float)
    total = demand.sum(axis=1)
    names_of_capacity = list(commodities)
    travel_min = travel_s.T / 60.0
    cost = travel_min * total[:, None]
    reachable = np.isfinite(travel_min)
    if max_travel_s is not None:
        reachable &= travel_s.T <= max_travel_s
    finite = np.where(reachable, cost, 0.0)
    worst = finite.max(axis=1) if finite.size else np.zeros(len(points))
    priority = np.array([p.priority for p in points], dtype=float)
    penalty = (10.0 * worst + 1.0 + total) * PRIORITY_PENALTY_BASE**priority
    groups = pd.factorize(pd.Series([p.ward_id for p in points]))[0] if level == "ward" else None
    index = {d: i for i, d in enumerate(depot_ids)}
    result = solve_facility_location(
        cost,
        demand,
        stock,
        fixed_cost=None if fixed_cost is None else np.array([fixed_cost.get(d, 0.0) for d in depot_ids]),
        max_open=max_depots,
        force_open=[index[d] for d in force_open],
        force_closed=[index[d] for d in close],
        reachable=reachable,
        groups=groups,
        unassigned_penalty=penalty,
        commodity_names=names_of_capacity,
        time_limit_s=time_limit_s,
        node_limit=node_limit,
        seed=seed,
    )
    chosen = result.depot_of_point
    names = {d.id: d.name for d in depots}
    point_rows = pd.DataFrame(
        {
            "point_id": [p.id for p in points],
            "ward_id": [p.ward_id for p in points],
            "ward": [p.ward_name for p in points],
            "locality": [p.locality for p in points],
            "depot_id": [depot_ids[j] if j >= 0 else "" for j in chosen],
            "depot_name": [names[depot_ids[j]] if j >= 0 else "" for j in chosen],
            "travel_min": [round(float(travel_min[i, j]), 1) if j >= 0 else np.nan for i, j in enumerate(chosen)],
            **{f"{c}_kg": demand[:, k] for k, c in enumerate(commodities)},
            "total_kg": total,
        }
    )
    load = result.flow.T @ demand  # (depots, commodities)
    closed = set(close)
    depot_rows = pd.DataFrame(
        [
            {
                "depot_id": d.id,
                "name": d.name,
                "commodity": c,
                "stock_kg": stock[j, k],
                "load_kg": round(float(load[j, k]), 3),
                "load_share": float(load[j, k] / stock[j, k]) if stock[j, k] > 0 else np.nan,
                "open": bool(result.open_depots[j]),
                "closed_by_planner": d.id in closed,
            }
            for j, d in enumerate(depots)
            for k, c in enumerate(names_of_capacity)
        ]
    )
    reasons = dict(result.unassigned)
    unassigned = pd.DataFrame(
        [
            {"point_id": points[i].id, "ward_id": points[i].ward_id, "ward": points[i].ward_name,
             "total_kg": float(total[i]), "reason": reasons[i]}
            for i in sorted(reasons)
        ],
        columns=["point_id", "ward_id", "ward", "total_kg", "reason"],
    )
    return Assignment(
        level=level,
        points=point_rows,
        depots=depot_rows,
        unassigned=unassigned,
        objective=result.objective,
        best_bound=result.best_bound,
        gap=result.gap,
        status=result.status,
        solve_time_s=result.solve_time_s,
        backend=result.backend,
        cut_by_time_limit=result.cut_by_time_limit,
    )
