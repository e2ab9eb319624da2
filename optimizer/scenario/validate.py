"""Checks of a scenario that need no road network (also for scenarios built in code).

:func:`check_scenario` finds duplicates, unknown ids, values out of range, shifts running into the curfew
and coordinates outside the three localities, each named by file, row and column (the rows recorded at
loading, else the rows the exported file would have). The checks that need a network (reachability,
closures matching a road) are :func:`optimizer.plan.validate_scenario`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import shapely

from optimizer import datasets
from optimizer.clock import format_hhmm
from optimizer.errors import Problem
from optimizer.scenario.model import (
    CLOSURES_FILE,
    CLOSURES_GEOJSON,
    DEPOT_KINDS,
    DEPOTS_FILE,
    FLEET_FILE,
    GRADES,
    LOCALITY_CODES,
    MAX_TRIPS,
    MAX_VEHICLES_PER_TYPE,
    POINTS_FILE,
    PRIORITY_OF_GRADE,
    VEHICLE_PROFILES,
    ZONES_FILE,
    DemandPoint,
    Depot,
    Scenario,
    TimeSettings,
    VehicleType,
)

__all__ = ["check_scenario"]


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Problems of the scenario's content, in file order: depots, fleet, zones, drop points, closures.

    Parameters
    ----------
    scenario
        Loaded or built in code.

    Returns
    -------
    list[Problem]
        Empty when the scenario is consistent (its reachability on a network is not checked here).
    """
    ward_ids = set(datasets.read_wards()["ward_id"])
    return [
        *_check_depots(scenario),
        *_check_fleet(scenario),
        *_check_zones(scenario, ward_ids),
        *_check_points(scenario, ward_ids),
        *_check_closures(scenario),
    ]


def _outside_mask(items: Sequence[Depot | DemandPoint]) -> np.ndarray:
    """Items whose position is not finite or lies outside the three localities."""
    area = datasets.localities_area()
    lon = np.array([i.lon for i in items], dtype=float)
    lat = np.array([i.lat for i in items], dtype=float)
    finite = np.isfinite(lon) & np.isfinite(lat)
    inside = np.zeros(len(items), dtype=bool)
    if finite.any():
        inside[finite] = shapely.contains_xy(area, lon[finite], lat[finite])
    return ~inside


def _check_depots(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    f = scenario.file_label(DEPOTS_FILE)
    counts = Counter(d.id for d in scenario.depots)
    outside = _outside_mask(scenario.depots)
    rows = scenario.row_numbers(DEPOTS_FILE, len(scenario.depots))
    for row, d, is_outside in zip(rows, scenario.depots, outside):
        if counts[d.id] > 1:
            problems.append(Problem(f"duplicate depot id '{d.id}'", f, row, "id"))
        if not d.id:
            problems.append(Problem("value is missing", f, row, "id"))
        problems += [Problem(f"stock must be 0 kg or more, got {kg:g}", f, row, f"stock_{commodity}_kg")
                     for commodity, kg in d.stock_kg.items() if not math.isfinite(kg) or kg < 0]
        if is_outside:
            problems.append(
                Problem(f"depot '{d.id}' ({d.lat:.5f}, {d.lon:.5f}) is outside Nha Trang, Ninh Hòa and Vạn Ninh "
                        "(check that lon and lat are not swapped)", f, row, "lon/lat")
            )
        problems += _check_depot_fields(d, f, row)
    return problems


def _check_depot_fields(d: Depot, f: str, row: int) -> list[Problem]:
    problems: list[Problem] = []
    if d.close_s <= d.open_s:
        problems.append(Problem(f"closes ({format_hhmm(d.close_s)}) before it opens ({format_hhmm(d.open_s)})",
                                f, row, "close"))
    if d.load_time_s < 0:
        problems.append(Problem("load time must be 0 or more", f, row, "load_time_min"))
    if d.kind not in DEPOT_KINDS:
        problems.append(Problem(f"unknown kind '{d.kind}' (use {', '.join(DEPOT_KINDS)})", f, row, "kind"))
    if d.locality and d.locality not in LOCALITY_CODES:
        problems.append(Problem(f"unknown locality '{d.locality}'", f, row, "locality"))
    return problems


def _check_fleet(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    f = scenario.file_label(FLEET_FILE)
    depot_ids = {d.id for d in scenario.depots}
    counts = Counter(v.id for v in scenario.vehicle_types)
    expanded = Counter(vid for vt in scenario.vehicle_types if 0 <= vt.count <= MAX_VEHICLES_PER_TYPE
                       for vid in vt.vehicle_ids())
    for row, v in zip(scenario.row_numbers(FLEET_FILE, len(scenario.vehicle_types)), scenario.vehicle_types):
        if counts[v.id] > 1:
            problems.append(Problem(f"duplicate vehicle type id '{v.id}'", f, row, "id"))
        elif 0 <= v.count <= MAX_VEHICLES_PER_TYPE and any(expanded[i] > 1 for i in v.vehicle_ids()):
            problems.append(Problem(f"vehicle ids made from '{v.id}' clash with another row's", f, row, "id"))
        if v.home_depot not in depot_ids:
            problems.append(Problem(f"unknown home depot '{v.home_depot}' (not in {DEPOTS_FILE})", f, row, "home_depot"))
        problems += _check_vehicle_fields(v, f, row)
        problems += _check_shift(v, scenario.time, f, row)
    return problems


def _check_vehicle_fields(v: VehicleType, f: str, row: int) -> list[Problem]:
    problems: list[Problem] = []
    if v.profile not in VEHICLE_PROFILES:
        problems.append(Problem(f"unknown profile '{v.profile}' (use {', '.join(VEHICLE_PROFILES)})", f, row, "profile"))
    if not math.isfinite(v.capacity_kg) or v.capacity_kg <= 0:
        problems.append(Problem(f"capacity must be greater than 0 kg, got {v.capacity_kg:g}", f, row, "capacity_kg"))
    if not 0 <= v.count <= MAX_VEHICLES_PER_TYPE:
        problems.append(Problem(f"count must be 0–{MAX_VEHICLES_PER_TYPE}, got {v.count}", f, row, "count"))
    if not 1 <= v.max_trips <= MAX_TRIPS:
        problems.append(Problem(f"max_trips must be 1–{MAX_TRIPS}, got {v.max_trips}", f, row, "max_trips"))
    if v.max_reach_km is not None and not (math.isfinite(v.max_reach_km) and v.max_reach_km > 0):
        problems.append(Problem(f"reach must be greater than 0 km, got {v.max_reach_km:g}", f, row, "max_reach_km"))
    return problems


def _check_shift(v: VehicleType, time: TimeSettings, f: str, row: int) -> list[Problem]:
    """The shift (ends after it starts, outside the curfew), the maximum duration and the costs."""
    problems: list[Problem] = []
    if v.shift_end_s <= v.shift_start_s:
        problems.append(
            Problem(f"shift ends ({format_hhmm(v.shift_end_s)}) before it starts ({format_hhmm(v.shift_start_s)})",
                    f, row, "shift_end")
        )
    elif time.overlaps_curfew(v.shift_start_s, v.shift_end_s):
        curfew = f"{format_hhmm(time.curfew_start_s)}–{format_hhmm(time.curfew_end_s)}"
        starts_inside = any(a <= v.shift_start_s < b for a, b in time.curfew_intervals())
        problems.append(
            Problem(f"shift {format_hhmm(v.shift_start_s)}–{format_hhmm(v.shift_end_s)} runs into the curfew "
                    f"({curfew}: no vehicle on the road)", f, row, "shift_start" if starts_inside else "shift_end")
        )
    if v.max_duration_s is not None and v.max_duration_s <= 0:
        problems.append(Problem("max duration must be greater than 0 hours", f, row, "max_duration_h"))
    for column, value in (("cost_per_km_vnd", v.cost_per_km_vnd), ("cost_per_hour_vnd", v.cost_per_hour_vnd),
                          ("fixed_cost_vnd", v.fixed_cost_vnd)):
        if not math.isfinite(value) or value < 0:
            problems.append(Problem(f"cost must be 0 VND or more, got {value:g}", f, row, column))
    return problems


def _check_zones(scenario: Scenario, ward_ids: set[str]) -> list[Problem]:
    """Only the rows the planner listed are reported against ``zones.csv``."""
    problems: list[Problem] = []
    f = scenario.file_label(ZONES_FILE)
    zones = list(scenario.zones)
    zone_rows = scenario.row_numbers(ZONES_FILE, len(zones))
    recorded = scenario.source_rows.get(ZONES_FILE) if scenario.source_rows else None
    if recorded is not None and len(recorded) <= len(zones):
        # Loaded: the listed zones come first, then the green ones added for wards not listed.
        zones, zone_rows = zones[: len(recorded)], list(recorded)
    counts = Counter(z.ward_id for z in zones)
    for row, z in zip(zone_rows, zones):
        if z.ward_id not in ward_ids:
            problems.append(Problem(f"unknown ward id '{z.ward_id}' (GSO commune code of the 67 wards)", f, row, "ward_id"))
        elif counts[z.ward_id] > 1:
            problems.append(Problem(f"ward '{z.ward_id}' is listed twice", f, row, "ward_id"))
        if z.grade not in GRADES:
            problems.append(Problem(f"unknown grade '{z.grade}' (use {', '.join(GRADES)})", f, row, "grade"))
        problems += [Problem(f"unknown profile '{profile}'", f, row, "forbidden_profiles")
                     for profile in z.forbidden_profiles if profile not in VEHICLE_PROFILES]
    return problems


def _check_points(scenario: Scenario, ward_ids: set[str]) -> list[Problem]:
    """The planner's own drop points (generated points need no check)."""
    points = scenario.demand_points
    if points is None:
        return []
    problems: list[Problem] = []
    f = scenario.file_label(POINTS_FILE)
    counts = Counter(p.id for p in points)
    if not points:
        problems.append(Problem("no demand points (delete the file to generate them from the census)", f))
    outside = _outside_mask(points)
    for row, p, is_outside in zip(scenario.row_numbers(POINTS_FILE, len(points)), points, outside):
        if counts[p.id] > 1:
            problems.append(Problem(f"duplicate demand point id '{p.id}'", f, row, "id"))
        if p.ward_id not in ward_ids:
            problems.append(Problem(f"unknown ward id '{p.ward_id}' (GSO commune code of the 67 wards)", f, row,
                                    "ward_id"))
        problems += [Problem(f"demand must be 0 kg or more, got {kg:g}", f, row, f"demand_{commodity}_kg")
                     for commodity, kg in p.demand_kg.items() if not math.isfinite(kg) or kg < 0]
        if is_outside:
            problems.append(
                Problem(f"point '{p.id}' ({p.lat:.5f}, {p.lon:.5f}) is outside Nha Trang, Ninh Hòa and Vạn Ninh "
                        "(check that lon and lat are not swapped)", f, row, "lon/lat")
            )
        problems += _check_point_fields(p, f, row)
    return problems


def _check_point_fields(p: DemandPoint, f: str, row: int) -> list[Problem]:
    problems: list[Problem] = []
    if p.tw_end_s <= p.tw_start_s:
        problems.append(Problem(f"window ends ({format_hhmm(p.tw_end_s)}) before it starts "
                                f"({format_hhmm(p.tw_start_s)})", f, row, "tw_end"))
    if p.service_s < 0 or not math.isfinite(p.service_s_per_kg) or p.service_s_per_kg < 0:
        problems.append(Problem("service time must be 0 or more", f, row, "service_min"))
    if p.priority not in PRIORITY_OF_GRADE.values():
        problems.append(Problem(f"priority must be 0–3, got {p.priority}", f, row, "priority"))
    return problems


def _check_closures(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    f = scenario.file_label(CLOSURES_FILE)
    plain = [c for c in scenario.closures if c.kind != "polygon"]
    for row, c in zip(scenario.row_numbers(CLOSURES_FILE, len(plain)), plain):
        if c.kind not in ("osm_id", "name"):
            problems.append(Problem(f"unknown closure kind '{c.kind}'", f, row, "kind"))
        problems += [Problem(f"unknown profile '{profile}'", f, row, "profiles")
                     for profile in c.profiles if profile not in VEHICLE_PROFILES]
    polygons = [c for c in scenario.closures if c.kind == "polygon"]
    g = scenario.file_label(CLOSURES_GEOJSON)
    for row, c in zip(scenario.row_numbers(CLOSURES_GEOJSON, len(polygons), first=1), polygons):
        problems += [Problem(f"unknown profile '{profile}'", g, row, "profiles")
                     for profile in c.profiles if profile not in VEHICLE_PROFILES]
    return problems
