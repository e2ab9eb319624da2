"""Vehicle routing: depots, stops, a mixed fleet and matrices in; trips and unserved quantities out.

:mod:`~optimizer.solve.routing.model` holds the engine-neutral data model (what goes in and comes out, its
validation, the split of stops into chunks and sub-problems), :mod:`~optimizer.solve.routing.ortools` and
:mod:`~optimizer.solve.routing.pyvrp` the two engines that can search each sub-problem (OR-Tools, the default,
and PyVRP), :mod:`~optimizer.solve.routing.portfolio` the jobs that run them (here, in processes or on Dask, one
engine or both) and :mod:`~optimizer.solve.routing.solver` the solve that joins them. Callers use this package: ``from optimizer.solve import routing; routing.solve(...)``.
"""

from optimizer.solve.routing.model import (
    ENGINES,
    PRIORITIES,
    REASONS,
    Depot,
    EngineChoice,
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
    "ENGINES",
    "METAHEURISTICS",
    "PRIORITIES",
    "REASONS",
    "Depot",
    "EngineChoice",
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
