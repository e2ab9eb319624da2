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

from optimizer.plan import TRANSFER_COLUMNS, Plan, fairness_by_grade, transfers_by_locality


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
    depots_open, depots_closed
        Depots open for the day, depots closed (``depots.closed``).
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
        Reason code (:data:`optimizer.solve.reasons.REASON_CODES`; for a row without code, its text before any
        ``:``) → kg.
    load_kg_by_depot
        Depot id → kg loaded there (every depot, 0 when none).
    transfers_kg
        ``"<from locality> → <to locality>"`` → kg carried across localities (:attr:`Plan.transfers` rows
        whose localities differ).
    fairness_by_grade
        Zone grade (green to red) → ``{"min_share", "mean_share", "spread"}`` over the wards with demand: the
        smallest ward share served, the mean ward share and the spread (largest minus smallest).
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
    depots_open: int
    depots_closed: int
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
    transfers_kg: Mapping[str, float] = field(default_factory=dict)
    fairness_by_grade: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
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


def reason_codes(unserved: pd.DataFrame) -> pd.Series:
    """The reason code of every unserved row: ``reason_code`` where given, else the ``reason`` text before any ``:``."""
    text = unserved["reason"].astype(str).str.split(":").str[0].str.strip()
    if "reason_code" not in unserved.columns:
        return text
    codes = unserved["reason_code"]
    return codes.where(codes.notna() & (codes.astype(str) != ""), text).astype(str)


def closed_depots(depots: pd.DataFrame | None) -> pd.Series:
    """Boolean series: the depot is closed for the day (False where the plan does not say)."""
    if depots is None:
        return pd.Series(dtype=bool)
    if "closed" not in depots.columns:
        return pd.Series(False, index=depots.index, dtype=bool)
    return depots["closed"].eq(True)


def commodity_columns(transfers: pd.DataFrame | None) -> list[str]:
    """The ``<commodity>_kg`` columns of :attr:`Plan.transfers`, in order."""
    if transfers is None:
        return []
    return [c for c in transfers.columns if c.endswith("_kg") and c not in TRANSFER_COLUMNS]


def plan_kpis(plan: Plan) -> PlanKpis:
    """The key figures of ``plan`` (see :class:`PlanKpis`); never solves."""
    routes, stops, unserved, legs, depots = plan.routes, plan.stops, plan.unserved, plan.legs, plan.depots
    recorded = plan.kpis or {}
    demand = float(_number(stops, "demand_kg").sum())
    delivered = float(_number(routes, "quantity_kg").sum())
    reasons: dict[str, float] = {}
    if unserved is not None and len(unserved):
        codes = reason_codes(unserved)
        reasons = {str(k): float(v) for k, v in _number(unserved, "quantity_kg").groupby(codes).sum().items()}
    loads: dict[str, float] = {}
    if depots is not None and len(depots):
        by_depot = (_number(routes, "quantity_kg").groupby(routes["depot_id"].astype(str)).sum()
                    if routes is not None and len(routes) else pd.Series(dtype=float))
        loads = {d: float(by_depot.get(d, 0.0)) for d in depots["depot_id"].astype(str)}
    closed = int(closed_depots(depots).sum())
    available = recorded.get("vehicles_available")
    return PlanKpis(
        demand_kg=demand,
        delivered_kg=delivered,
        unserved_kg=float(_number(unserved, "quantity_kg").sum()),
        served_share=_share(delivered, demand),
        drop_points=0 if stops is None else int(len(stops)),
        unserved_points=0 if unserved is None or not len(unserved) else int(unserved["stop_id"].nunique()),
        depots=0 if depots is None else int(len(depots)),
        depots_open=(0 if depots is None else int(len(depots))) - closed,
        depots_closed=closed,
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
        transfers_kg=transfers_by_locality(plan.transfers),
        fairness_by_grade=fairness_by_grade(plan.wards),
        assignment=dict(recorded.get("assignment", {})),
        routing=dict(recorded.get("routing", {})),
    )
