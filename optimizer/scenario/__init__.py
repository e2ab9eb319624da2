"""A planning day as plain data, read from and written to the folder a planner edits.

:mod:`~optimizer.scenario.model` holds the frozen objects (:class:`Scenario` and its parts),
:mod:`~optimizer.scenario.io` reads the folder format, :mod:`~optimizer.scenario.export` writes it,
:mod:`~optimizer.scenario.validate` the checks that need no road network and
:mod:`~optimizer.scenario.default` the embedded default day. Demand and drop points
of a scenario are :mod:`optimizer.demand`; the checks on a network :func:`optimizer.plan.validate_scenario`.
"""

from optimizer.scenario.default import default_scenario, province_scenario
from optimizer.scenario.export import export_scenario
from optimizer.scenario.io import load_scenario
from optimizer.scenario.model import (
    COMMODITIES,
    DEFAULT_REACH_KM,
    DEPOT_KINDS,
    GRADES,
    PRIORITY_OF_GRADE,
    VEHICLE_PROFILES,
    DemandPoint,
    Depot,
    PointSettings,
    RationSettings,
    Scenario,
    Settings,
    TimeSettings,
    Vehicle,
    VehicleType,
    Zone,
    complete_zones,
)
from optimizer.scenario.validate import check_scenario

__all__ = [
    "COMMODITIES", "DEFAULT_REACH_KM", "DEPOT_KINDS", "GRADES", "PRIORITY_OF_GRADE", "VEHICLE_PROFILES",
    "Depot", "VehicleType", "Vehicle", "DemandPoint", "Zone", "TimeSettings", "RationSettings", "PointSettings",
    "Settings", "Scenario", "complete_zones",
    "load_scenario", "export_scenario", "default_scenario", "province_scenario", "check_scenario",
]
