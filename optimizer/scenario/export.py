"""Writing a scenario folder, the format a planner edits in a spreadsheet.

:func:`export_scenario` writes a :class:`~optimizer.scenario.model.Scenario` as the files that
:func:`optimizer.scenario.io.load_scenario` reads back to the same scenario; the folder format is described in
:mod:`optimizer.scenario.io`.

See Also
--------
optimizer.scenario.io : reading a scenario folder and its format.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import shapely.geometry
import tomli_w

from optimizer.clock import format_hhmm
from optimizer.files import write_text_atomically
from optimizer.scenario.camps import (
    CAMP_COLUMNS,
    CAMP_OPTIONAL,
    KITCHEN_COLUMNS,
    KITCHEN_OPTIONAL,
    format_meal_windows,
)
from optimizer.scenario.io import CREW_COLUMNS, NO_LIMIT
from optimizer.scenario.model import (
    CAMPS_FILE,
    CLOSURES_FILE,
    CLOSURES_GEOJSON,
    COMMODITIES,
    DEFAULT_REACH_KM,
    DEPOTS_FILE,
    FLEET_FILE,
    KITCHENS_FILE,
    POINTS_FILE,
    SCENARIO_FILE,
    ZONES_FILE,
    DemandPoint,
    Scenario,
    VehicleType,
    Zone,
)
from optimizer.tables import read_number

__all__ = ["export_scenario"]

#: :class:`~optimizer.scenario.model.VehicleType` fields of the ``fleet.csv`` crew columns, in the same order.
_CREW_FIELDS = ("drivers", "plates", "phones")


def _fmt(value: Any) -> str:
    """Numbers as a spreadsheet shows them, exactly round-tripping (``repr`` for non-integers).

    A decimal that would read as ambiguous (``998.125`` looks like 998,125 written with a thousands
    separator; :func:`~optimizer.tables.read_number`) gets a trailing zero: ``998.1250``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        return text + "0" if read_number(text, decimal_comma=False)[1] else text
    return str(value)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_fmt(v) for v in row])
    return buffer.getvalue()


def _reach_cell(vehicle_type: VehicleType) -> float | str | None:
    """``max_reach_km`` as written: the km, ``none`` for no limit where the profile has one, else empty."""
    if vehicle_type.max_reach_km is not None:
        return vehicle_type.max_reach_km
    return NO_LIMIT if DEFAULT_REACH_KM.get(vehicle_type.profile) is not None else None


def _per_vehicle(values: tuple[str, ...], count: int) -> str:
    """A crew cell: one value per vehicle separated by ``;`` (empty when none is given)."""
    if not any(values):
        return ""
    return ";".join(values[k] if k < len(values) else "" for k in range(count))


def _priority_cell(point: DemandPoint, zones: dict[str, Zone]) -> int | None:
    """The point's priority where it differs from its zone's, else empty (so the loaded file follows zones.csv)."""
    zone = zones.get(point.ward_id, Zone(point.ward_id))
    return None if point.priority == zone.priority else point.priority


def _scenario_toml(scenario: Scenario) -> str:
    t, r, p = scenario.time, scenario.settings.ration, scenario.settings.points
    data = {
        "name": scenario.name,
        "date": scenario.date.isoformat(),
        "description": scenario.description,
        "time": {
            "operating_start": format_hhmm(t.operating_start_s),
            "operating_end": format_hhmm(t.operating_end_s),
            "curfew_start": format_hhmm(t.curfew_start_s),
            "curfew_end": format_hhmm(t.curfew_end_s),
            "service_min": t.service_s / 60,
            "service_s_per_kg": t.service_s_per_kg,
        },
        "ration": dataclasses.asdict(r),
        "demand": {**dataclasses.asdict(p), "road_classes": list(p.road_classes)},
    }
    header = (
        "# Scenario of one planning day (see optimizer/scenario/ and data/README.md).\n"
        "# Times HH:MM; ration in kg; [demand] shapes the drop points generated from the census\n"
        "# (ignored when demand_points.csv is present).\n"
    )
    return header + tomli_w.dumps(data)


def _camp_files(scenario: Scenario) -> dict[str, str]:
    """``camps.csv`` and ``kitchens.csv`` (none when the scenario has no camps)."""
    if not scenario.camps and not scenario.kitchens:
        return {}
    return {
        CAMPS_FILE: _csv_text(
            [*CAMP_COLUMNS, *CAMP_OPTIONAL],
            [[c.id, c.name, c.lon, c.lat, c.headcount, c.kind, format_meal_windows(c.meal_windows_s),
              c.service_s / 60, c.ward_id, c.contact, c.phone] for c in scenario.camps]),
        KITCHENS_FILE: _csv_text(
            [*KITCHEN_COLUMNS, *KITCHEN_OPTIONAL],
            [[k.id, k.name, k.lon, k.lat, k.meals_per_service, k.vans, k.van_capacity_meals, k.max_ride_s / 60,
              k.load_s / 60, k.phone] for k in scenario.kitchens]),
    }


def export_scenario(
    scenario: Scenario,
    folder: str | Path,
    *,
    demand_points: Sequence[DemandPoint] | None = None,
) -> Path:
    """Write the scenario as editable files (UTF-8 with BOM, so Excel shows Vietnamese names).

    Every file is written to a temporary file in ``folder`` and renamed over the old one, so no file is
    ever half-written. Optional files the scenario does not have (``demand_points.csv``, closures) are
    removed from the folder, so loading it back gives the same scenario.

    Parameters
    ----------
    demand_points
        Drop points to write to ``demand_points.csv`` when the scenario has none of its own, e.g. the generated
        ones (:func:`optimizer.demand.drop_points`), for a planner to edit. Planner points are always written.

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(folder)
    commodities = scenario.commodities
    files: dict[str, str] = {SCENARIO_FILE: _scenario_toml(scenario)}
    files[DEPOTS_FILE] = _csv_text(
        ["id", "name", "kind", "locality", "lon", "lat", "approximate", "open", "close", "load_time_min",
         *[f"stock_{c}_kg" for c in commodities]],
        [[d.id, d.name, d.kind, d.locality, d.lon, d.lat, d.approximate, format_hhmm(d.open_s), format_hhmm(d.close_s),
          d.load_time_s / 60, *[d.stock_kg.get(c, 0.0) for c in commodities]] for d in scenario.depots],
    )
    crew = {column: attr for column, attr in zip(CREW_COLUMNS, _CREW_FIELDS)
            if any(getattr(v, attr) for v in scenario.vehicle_types)}
    files[FLEET_FILE] = _csv_text(
        ["id", "name", "profile", "capacity_kg", "count", "home_depot", "shift_start", "shift_end", "max_trips",
         "max_duration_h", "cost_per_km_vnd", "cost_per_hour_vnd", "fixed_cost_vnd", "max_reach_km", *crew],
        [[v.id, v.name, v.profile, v.capacity_kg, v.count, v.home_depot, format_hhmm(v.shift_start_s),
          format_hhmm(v.shift_end_s), v.max_trips, None if v.max_duration_s is None else v.max_duration_s / 3600,
          v.cost_per_km_vnd, v.cost_per_hour_vnd, v.fixed_cost_vnd, _reach_cell(v),
          *[_per_vehicle(getattr(v, attr), v.count) for attr in crew.values()]] for v in scenario.vehicle_types],
    )
    files[ZONES_FILE] = _csv_text(
        ["ward_id", "ward_name", "grade", "forbidden_profiles"],
        [[z.ward_id, z.ward_name, z.grade, ";".join(z.forbidden_profiles)] for z in scenario.zones],
    )
    points = scenario.demand_points
    if points is None and demand_points is not None:
        points = tuple(demand_points)
    if points is not None:
        zones = scenario.zones_by_ward
        point_commodities = list(dict.fromkeys(c for p in points for c in p.demand_kg)) or list(COMMODITIES)
        contacts = [c for c in ("contact", "phone") if any(getattr(p, c) for p in points)]
        files[POINTS_FILE] = _csv_text(
            ["id", "ward_id", "ward_name", "locality", "name", "lon", "lat",
             *[f"demand_{c}_kg" for c in point_commodities], "tw_start", "tw_end", "service_min", "service_s_per_kg",
             "priority", "approximate", *contacts],
            [[p.id, p.ward_id, p.ward_name, p.locality, p.name, p.lon, p.lat,
              *[p.demand_kg.get(c, 0.0) for c in point_commodities], format_hhmm(p.tw_start_s), format_hhmm(p.tw_end_s),
              p.service_s / 60, p.service_s_per_kg, _priority_cell(p, zones), p.approximate,
              *[getattr(p, c) for c in contacts]] for p in points],
        )
    plain = [c for c in scenario.closures if c.kind != "polygon"]
    polygons = [c for c in scenario.closures if c.kind == "polygon"]
    if plain:
        files[CLOSURES_FILE] = _csv_text(["kind", "value", "profiles", "label"],
                                         [[c.kind, c.value, ";".join(c.profiles), c.label] for c in plain])
    if polygons:
        collection = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"label": c.label, "profiles": ";".join(c.profiles)},
                 "geometry": shapely.geometry.mapping(c.value)}
                for c in polygons
            ],
        }
        files[CLOSURES_GEOJSON] = json.dumps(collection, ensure_ascii=False, indent=1)
    files.update(_camp_files(scenario))

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        encoding = "utf-8-sig" if name.endswith(".csv") else "utf-8"
        write_text_atomically(folder / name, text, encoding=encoding)
    for name in (POINTS_FILE, CLOSURES_FILE, CLOSURES_GEOJSON, CAMPS_FILE, KITCHENS_FILE):
        if name not in files and (folder / name).exists():
            (folder / name).unlink()
    return folder

