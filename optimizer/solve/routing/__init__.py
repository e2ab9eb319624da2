"""Vehicle routing: depots, stops, a mixed fleet and matrices in; trips and unserved quantities out.

:mod:`~optimizer.solve.routing.model` holds the engine-neutral data model (what goes in and comes out, its
validation, the split of stops into chunks and sub-problems), :mod:`~optimizer.solve.routing.ortools` the
OR-Tools engine that searches each sub-problem, and :mod:`~optimizer.solve.routing.solver` the solve that
joins them. Callers use this package: ``from optimizer.solve import routing; routing.solve(...)``.
"""

from optimizer.solve.routing.model import (
    PRIORITIES,
    REASONS,
    Depot,
    RoutingOptions,
    RoutingProblem,
    RoutingResult,
    RoutingStats,
    Stop,
    Trip,
    Unserved,
    Vehicle,
    Visit,
    ceil_s,
    within_reach,
)
from optimizer.solve.routing.ortools import METAHEURISTICS
from optimizer.solve.routing.solver import solve

__all__ = [
    "METAHEURISTICS",
    "PRIORITIES",
    "REASONS",
    "Depot",
    "RoutingOptions",
    "RoutingProblem",
    "RoutingResult",
    "RoutingStats",
    "Stop",
    "Trip",
    "Unserved",
    "Vehicle",
    "Visit",
    "ceil_s",
    "solve",
    "within_reach",
]
