"""The daily plan: validate → network → demand → assignment, routes and lending → diagnosis, as one pipeline.

:class:`Plan` (:mod:`~optimizer.plan.model`) is the plain-data result every output (CSV, JSON, GeoJSON,
dispatch sheets, maps) is made from; renderers and reports read it and never solve. :mod:`~optimizer.plan.pipeline`
runs the day (:func:`run_plan`), :mod:`~optimizer.plan.validation` holds the checks that need the road network.
"""

from optimizer.plan.model import (
    DEPOT_COLUMNS,
    LEG_COLUMNS,
    MEAL_COLUMNS,
    ROUTE_COLUMNS,
    STOP_COLUMNS,
    TRANSFER_COLUMNS,
    UNSERVED_COLUMNS,
    VEHICLE_COLUMNS,
    WARD_COLUMNS,
    Plan,
    cross_locality,
    fairness_by_grade,
    meal_kpis,
    transfers_by_locality,
)
from optimizer.plan.pipeline import STAGES, plan_assignment, run_plan
from optimizer.plan.validation import ValidationReport, validate_scenario
from optimizer.solve.coordinator import DEFAULT_TIME_LIMIT_S, PlanOptions

__all__ = [
    "DEFAULT_TIME_LIMIT_S", "DEPOT_COLUMNS", "LEG_COLUMNS", "MEAL_COLUMNS", "ROUTE_COLUMNS", "STAGES", "STOP_COLUMNS",
    "TRANSFER_COLUMNS", "UNSERVED_COLUMNS", "VEHICLE_COLUMNS", "WARD_COLUMNS", "Plan", "PlanOptions", "ValidationReport",
    "cross_locality", "fairness_by_grade", "meal_kpis", "plan_assignment", "run_plan", "transfers_by_locality",
    "validate_scenario",
]
