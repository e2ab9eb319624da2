"""The day's key figures, defined once for every output (map title, CLI summary, what-if comparison).

:func:`plan_kpis` reads a :class:`~optimizer.plan.Plan`: everything visible in its frames is taken from the
frames (so a hand-built or edited plan gets consistent figures); what only the solver knew (vehicle-hours
including loading, vehicles available, solver status) is read from ``plan.kpis`` as the pipeline recorded it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optimizer.plan import Plan


@dataclass(frozen=True)
class PlanKpis:
    """Key figures of a plan.

    Attributes
    ----------
    demand_kg, delivered_kg, unserved_kg
        Demand of every drop point, kg loaded onto vehicles for them (``routes.quantity_kg``), kg not served.
    served_share
        ``delivered_kg / demand_kg`` (NaN when there is no demand).
    drop_points, unserved_points, depots
        Drop points of the day, drop points not fully served, depots.
    vehicles_used, vehicles_available
        Vehicles that drive; vehicles the plan could use (``None`` when the plan does not record it).
    trips, km, vehicle_hours
        Trips driven, km driven (every leg, returns included), hours on duty from the start of loading to the
        return (NaN when the plan does not record it).
    approximate_legs
        Legs using approximate (non-OSM) roads.
    served_share_by_zone, served_share_by_locality
        Zone / locality code → served share (NaN where it has no demand); only those with drop points.
    unserved_kg_by_reason
        Reason code (``no stock``, ``time window``…, the text before any ``:``) → kg.
    load_kg_by_depot
        Depot id → kg loaded there (every depot, 0 when none).
    stock_transfers_kg
        Depot id → kg to bring in before loading (pooled depots loading more than their stock).
    assignment, routing
        Solver figures recorded by the pipeline (status, gap, solve time, ``stopped_by``…), empty when absent.
    """

    demand_kg: float
    delivered_kg: float
    unserved_kg: float
    served_share: float
    drop_points: int
    unserved_points: int
    depots: int
    vehicles_used: int
    vehicles_available: int | None
    trips: int
    km: float
    vehicle_hours: float
    approximate_legs: int
    served_share_by_zone: Mapping[str, float] = field(default_factory=dict)
    served_share_by_locality: Mapping[str, float] = field(default_factory=dict)
    unserved_kg_by_reason: Mapping[str, float] = field(default_factory=dict)
    load_kg_by_depot: Mapping[str, float] = field(default_factory=dict)
    stock_transfers_kg: Mapping[str, float] = field(default_factory=dict)
    assignment: Mapping[str, Any] = field(default_factory=dict)
    routing: Mapping[str, Any] = field(default_factory=dict)


def _number(frame: pd.DataFrame | None, column: str) -> pd.Series:
    if frame is None or column not in frame.columns:
        return pd.Series(dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").fillna(0.0)


def _share(delivered: float, demand: float) -> float:
    return delivered / demand if demand > 0 else float("nan")


def _served_by(stops: pd.DataFrame, key: str) -> dict[str, float]:
    if stops is None or key not in stops.columns or not len(stops):
        return {}
    frame = pd.DataFrame({"key": stops[key].astype(str), "demand": _number(stops, "demand_kg"),
                          "delivered": _number(stops, "delivered_kg")})
    sums = frame.groupby("key", sort=True)[["demand", "delivered"]].sum()
    return {str(k): _share(float(row.delivered), float(row.demand)) for k, row in sums.iterrows()}


def _trips(routes: pd.DataFrame | None) -> int:
    if routes is None or not len(routes) or not {"vehicle_id", "trip"} <= set(routes.columns):
        return 0
    return int(len(routes[["vehicle_id", "trip"]].drop_duplicates()))


def plan_kpis(plan: Plan) -> PlanKpis:
    """The key figures of ``plan`` (see :class:`PlanKpis`); never solves."""
    routes, stops, unserved, legs, depots = plan.routes, plan.stops, plan.unserved, plan.legs, plan.depots
    recorded = plan.kpis or {}
    demand = float(_number(stops, "demand_kg").sum())
    delivered = float(_number(routes, "quantity_kg").sum())
    reasons: dict[str, float] = {}
    if unserved is not None and len(unserved):
        codes = unserved["reason"].astype(str).str.split(":").str[0].str.strip()
        reasons = {str(k): float(v) for k, v in _number(unserved, "quantity_kg").groupby(codes).sum().items()}
    loads: dict[str, float] = {}
    transfers: dict[str, float] = {}
    if depots is not None and len(depots):
        by_depot = (_number(routes, "quantity_kg").groupby(routes["depot_id"].astype(str)).sum()
                    if routes is not None and len(routes) else pd.Series(dtype=float))
        for depot_id, stock in zip(depots["depot_id"].astype(str), _number(depots, "stock_kg")):
            loads[depot_id] = float(by_depot.get(depot_id, 0.0))
            if loads[depot_id] > stock + 1e-6:
                transfers[depot_id] = loads[depot_id] - float(stock)
    available = recorded.get("vehicles_available")
    return PlanKpis(
        demand_kg=demand,
        delivered_kg=delivered,
        unserved_kg=float(_number(unserved, "quantity_kg").sum()),
        served_share=_share(delivered, demand),
        drop_points=0 if stops is None else int(len(stops)),
        unserved_points=0 if unserved is None or not len(unserved) else int(unserved["stop_id"].nunique()),
        depots=0 if depots is None else int(len(depots)),
        vehicles_used=0 if routes is None or not len(routes) else int(routes["vehicle_id"].nunique()),
        vehicles_available=None if available is None else int(available),
        trips=_trips(routes),
        km=float(_number(legs, "leg_km").sum()),
        vehicle_hours=float(recorded.get("hours", float("nan"))),
        approximate_legs=int(_number(legs, "approximate").astype(bool).sum()),
        served_share_by_zone=_served_by(stops, "zone"),
        served_share_by_locality=_served_by(stops, "locality"),
        unserved_kg_by_reason=reasons,
        load_kg_by_depot=loads,
        stock_transfers_kg=transfers,
        assignment=dict(recorded.get("assignment", {})),
        routing=dict(recorded.get("routing", {})),
    )
