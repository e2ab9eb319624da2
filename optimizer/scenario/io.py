"""Reading a scenario folder, the format a planner edits in a spreadsheet.

:func:`load_scenario` reads a folder (``None`` gives the embedded default "Khánh Hòa — 26/07/2021 (Chỉ thị
16)", :func:`optimizer.scenario.default.default_scenario`); :func:`optimizer.scenario.export.export_scenario`
writes one. Tables are read with :mod:`optimizer.tables`; the content is checked by
:func:`optimizer.scenario.validate.check_scenario`.

Scenario folder
---------------
All text files are UTF-8 (a byte-order mark, as Excel's "CSV UTF-8" writes it, is fine; a file saved
as Windows-1258 / Latin-1 is rejected with a message naming it). CSV files may use ``,`` or ``;`` as the
delimiter (``;`` is what Excel writes in a Vietnamese locale; ``1,5`` is then read as 1.5). A number that
looks written with thousands separators is ambiguous: ``55.000`` or ``1.500`` is read as 55 or 1.5, a quoted
``"1,500"`` in a ``,`` file as 1500, ``12.500.000`` as 12500000, and one warning per file lists them (file, row,
column, how each was read); ``load_scenario(..., strict=True)`` (``--strict``) makes them errors. Write plain
numbers (``55000``, ``1.5``) to be safe. Times of
day are ``HH:MM`` (``HH:MM:SS`` and ``24:00`` accepted). Column names are case-insensitive; columns whose
name starts with ``note``, ``comment``, ``ghi chu`` / ``ghi_chu`` or ``_`` are ignored, any other unknown
column is an error (it is usually a typo).

``scenario.toml``
    ``name``, ``date`` (``YYYY-MM-DD``), ``description`` and three optional tables::

        [time]      operating_start = "06:00"   operating_end = "18:00"
                    curfew_start = "19:00"      curfew_end = "06:00"   (equal values: no curfew)
                    service_min = 5             service_s_per_kg = 0.1
        [ration]    rice_kg_per_person_month = 15   days_per_month = 30
                    food_bag_kg_per_household_week = 5   coverage_share = 1.0
        [demand]    households_per_point = 100   points_per_road_km = 2   max_point_kg = 1500
                    min_residential_km = 1.0     road_classes = ["residential", ...]   seed = 0

``depots.csv`` (required)
    ``id, name, kind, locality, lon, lat, approximate, open, close, load_time_min`` and one
    ``stock_<commodity>_kg`` column per commodity (at least ``stock_rice_kg`` and ``stock_food_bag_kg``).
    ``kind`` is supermarket, market, mall, warehouse or mobile (default warehouse); ``locality`` (Nha Trang,
    Ninh Hoa, Van Ninh; Vietnamese spelling accepted) is derived from the coordinates when empty.
``fleet.csv`` (required)
    One row per vehicle type: ``id, name, profile, capacity_kg, count, home_depot, shift_start, shift_end,
    max_trips, max_duration_h, cost_per_km_vnd, cost_per_hour_vnd, fixed_cost_vnd, max_reach_km``. ``count``
    vehicles ``<id>-01``, ``<id>-02``, ... are made of each row (:meth:`Scenario.vehicles`).
    ``max_reach_km`` is the longest road distance from the home depot the vehicles drive (greater than 0);
    empty: the profile's default (:data:`~optimizer.scenario.model.DEFAULT_REACH_KM`: motorbike 6 km, truck
    no limit); ``none``: no limit. Optional ``driver``, ``plate`` and ``phone`` are shown on the dispatch
    sheets: for a row with ``count`` above 1, one value per vehicle separated by ``;`` in vehicle order
    (``Nguyễn Văn An;Trần Bình;`` for three vehicles, the third without a driver; in a ``;``-delimited file
    the spreadsheet quotes such a cell). A different number of values is an error. Format phone columns as
    text in a spreadsheet so that the leading 0 stays.
``zones.csv`` (optional; wards not listed are green)
    ``ward_id`` (GSO commune code), ``ward_name`` (informative), ``grade`` (green, yellow, orange, red) and
    ``forbidden_profiles`` (e.g. ``motorbike``; several separated by ``;`` or ``|``).
``demand_points.csv`` (optional)
    A planner's own drop points, replacing the ones generated from the census: ``id, ward_id, name, lon,
    lat``, one ``demand_<commodity>_kg`` column per commodity, and optionally ``tw_start, tw_end,
    service_min, service_s_per_kg, priority, approximate, contact, phone`` (``contact`` and ``phone``: who
    receives the goods there, shown on the dispatch sheets); ``ward_name`` and ``locality`` are informative
    (derived from ``ward_id``). The priority follows the ward's grade in ``zones.csv`` (red 3 … green 0):
    leave ``priority`` empty. A value that differs from the zone's overrides it, and loading warns once,
    listing every such point; the export writes an empty cell where the priority is the zone's.
``closures.csv`` (optional)
    ``kind`` (``osm_id`` or ``name``), ``value``, ``profiles`` (empty: all), ``label``.
``closures.geojson`` (optional)
    Polygon closures, one per feature; properties ``label`` (or ``name``) and ``profiles``.
``camps.csv``, ``kitchens.csv`` (optional)
    Quarantine camps (headcount, meal windows) and the kitchens with vans that cook their hot meals; read by
    :mod:`optimizer.scenario.camps`.

Row numbers
    Problems name the file, the row and the column. Rows are counted as a spreadsheet shows them: the
    header is row 1, the first data row is row 2. For ``scenario.toml`` the row is the line number (when
    known) and the field the dotted key (``time.operating_start``).

Bad input never stops at the first problem: :func:`load_scenario` collects every problem of every file
and raises one :class:`~optimizer.errors.InputError` listing them. A stock or a fleet too small for the
demand is not an error: :func:`optimizer.demand.shortfall` reports the kilograms short.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import shapely
import shapely.geometry

from optimizer import datasets
from optimizer.clock import parse_hhmm
from optimizer.errors import InputError, Problem
from optimizer.network import Closure
from optimizer.scenario.camps import check_camps, read_camps, read_kitchens
from optimizer.scenario.default import default_scenario
from optimizer.scenario.model import (
    CAMPS_FILE,
    CLOSURES_FILE,
    CLOSURES_GEOJSON,
    COMMODITIES,
    DEFAULT_REACH_KM,
    DEPOTS_FILE,
    FLEET_FILE,
    KITCHENS_FILE,
    LOCALITY_CODES,
    POINTS_FILE,
    SCENARIO_FILE,
    ZONES_FILE,
    DemandPoint,
    Depot,
    PointSettings,
    RationSettings,
    Scenario,
    Settings,
    TimeSettings,
    VehicleType,
    Zone,
    complete_zones,
)
from optimizer.scenario.validate import check_scenario
from optimizer.tables import (
    Row,
    capped_list,
    decode_text,
    fold_text,
    parse_number,
    parse_toml,
    read_csv_table,
    split_words,
    ward_id_text,
)

__all__ = ["load_scenario"]

_LOCALITY_BY_FOLD = {fold_text(code): code for code in LOCALITY_CODES}
_LOCALITY_BY_FOLD.update({fold_text(vn): code for code, vn in datasets.LOCALITIES.items()})


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------

_TOML_KEYS = {
    "": {"name", "date", "description", "time", "ration", "demand"},
    "time": {"operating_start", "operating_end", "curfew_start", "curfew_end", "service_min", "service_s_per_kg"},
    "ration": {"rice_kg_per_person_month", "days_per_month", "food_bag_kg_per_household_week", "coverage_share"},
    "demand": {"households_per_point", "points_per_road_km", "max_point_kg", "min_residential_km",
               "road_classes", "seed"},
}

DEPOT_COLUMNS = ["id", "name", "lon", "lat", "open", "close"]
DEPOT_OPTIONAL = ["kind", "locality", "approximate", "load_time_min"]
#: Optional ``fleet.csv`` columns naming each vehicle's crew, one value per vehicle separated by ``;``.
CREW_COLUMNS = ("driver", "plate", "phone")
FLEET_COLUMNS = ["id", "profile", "capacity_kg", "count", "home_depot", "shift_start", "shift_end"]
FLEET_OPTIONAL = ["name", "max_trips", "max_duration_h", "cost_per_km_vnd", "cost_per_hour_vnd", "fixed_cost_vnd",
                  "max_reach_km", *CREW_COLUMNS]
#: A ``max_reach_km`` cell meaning no limit (an empty cell is the profile's default).
NO_LIMIT = "none"
#: Points listed by name in the warning about explicit priorities; the rest are counted.
MAX_LISTED_PRIORITIES = 20
ZONE_COLUMNS = ["ward_id", "grade"]
ZONE_OPTIONAL = ["ward_name", "forbidden_profiles"]
POINT_COLUMNS = ["id", "ward_id", "lon", "lat"]
POINT_OPTIONAL = ["name", "ward_name", "locality", "tw_start", "tw_end", "service_min", "service_s_per_kg",
                  "priority", "approximate", "contact", "phone"]
CLOSURE_COLUMNS = ["kind", "value"]
CLOSURE_OPTIONAL = ["profiles", "label"]


def _read_toml(path: Path, problems: list[Problem]) -> dict:
    file = str(path)
    if not path.exists():
        problems.append(Problem("file not found (every scenario folder needs one)", file))
        return {}
    text = decode_text(path.read_bytes(), file, problems)
    raw = None if text is None else parse_toml(text, file, problems)
    if raw is None:
        return {}
    for key, value in raw.items():
        if key not in _TOML_KEYS[""]:
            problems.append(Problem(f"unknown key '{key}' (known: {', '.join(sorted(_TOML_KEYS['']))})", file, None, key))
        elif key in ("time", "ration", "demand"):
            if not isinstance(value, dict):
                problems.append(Problem(f"'{key}' must be a table [{key}]", file, None, key))
                continue
            for sub in value:
                if sub not in _TOML_KEYS[key]:
                    problems.append(
                        Problem(f"unknown key (known: {', '.join(sorted(_TOML_KEYS[key]))})", file, None, f"{key}.{sub}")
                    )
    return raw


@dataclass(frozen=True)
class _TomlSettings:
    """The values of ``scenario.toml`` with their problems recorded in ``problems``."""

    raw: dict
    file: str
    problems: list[Problem]

    def bad(self, key: str, message: str) -> None:
        """Record a problem of the dotted key ``key``."""
        self.problems.append(Problem(message, self.file, None, key))

    def table(self, key: str) -> dict:
        """The table ``[key]`` (empty when absent or not a table)."""
        value = self.raw.get(key, {})
        return value if isinstance(value, dict) else {}

    def number(self, section: str, key: str, default: float, *, positive: bool = True,
               maximum: float | None = None, integer: bool = False) -> float:
        """``[section] key``: a number (greater than 0 when ``positive``, else 0 or more); ``default`` if bad."""
        value = self.table(section).get(key, default)
        message = ""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            message = f"must be a number, got {value!r}"
        elif integer and value != int(value):
            message = f"must be a whole number, got {value!r}"
        elif (positive and value <= 0) or (not positive and value < 0):
            message = f"must be {'greater than 0' if positive else '0 or more'}, got {value!r}"
        elif maximum is not None and value > maximum:
            message = f"must be {maximum:g} or less, got {value!r}"
        if message:
            self.bad(f"{section}.{key}", message)
            return default
        return value

    def clock(self, key: str, default: int) -> int:
        """``[time] key``: a time of day in seconds since midnight; ``default`` when absent or bad."""
        value = self.table("time").get(key)
        if value is None:
            return default
        if isinstance(value, dt.time):
            return value.hour * 3600 + value.minute * 60 + value.second
        try:
            return parse_hhmm(str(value))
        except ValueError as exc:
            self.bad(f"time.{key}", str(exc))
            return default


def _toml_header(toml: _TomlSettings) -> tuple[str, dt.date, str]:
    """``name``, ``date`` and ``description``."""
    name = toml.raw.get("name", "")
    if not isinstance(name, str) or not name.strip():
        toml.bad("name", "a scenario name (text) is needed")
        name = str(name or "")
    date = _toml_date(toml)
    description = toml.raw.get("description", "")
    if not isinstance(description, str):
        toml.bad("description", "must be text")
        description = str(description)
    return name.strip(), date, description


def _toml_date(toml: _TomlSettings) -> dt.date:
    date_raw = toml.raw.get("date")
    if isinstance(date_raw, dt.datetime):
        return date_raw.date()
    if isinstance(date_raw, dt.date):
        return date_raw
    if isinstance(date_raw, str):
        try:
            return dt.date.fromisoformat(date_raw.strip())
        except ValueError:
            toml.bad("date", f"'{date_raw}' is not a date YYYY-MM-DD")
    else:
        toml.bad("date", "a date YYYY-MM-DD is needed")
    return dt.date(2021, 7, 26)


def _toml_time(toml: _TomlSettings) -> TimeSettings:
    """The ``[time]`` table."""
    base = TimeSettings()
    time = TimeSettings(
        operating_start_s=toml.clock("operating_start", base.operating_start_s),
        operating_end_s=toml.clock("operating_end", base.operating_end_s),
        curfew_start_s=toml.clock("curfew_start", base.curfew_start_s),
        curfew_end_s=toml.clock("curfew_end", base.curfew_end_s),
        service_s=int(round(60 * toml.number("time", "service_min", base.service_s / 60, positive=False))),
        service_s_per_kg=float(toml.number("time", "service_s_per_kg", base.service_s_per_kg, positive=False)),
    )
    if time.operating_end_s <= time.operating_start_s:
        toml.bad("time.operating_end", "the operating window must end after it starts")
    return time


def _toml_ration(toml: _TomlSettings) -> RationSettings:
    """The ``[ration]`` table."""
    r = RationSettings()
    return RationSettings(
        rice_kg_per_person_month=float(toml.number("ration", "rice_kg_per_person_month", r.rice_kg_per_person_month,
                                                   positive=False)),
        days_per_month=float(toml.number("ration", "days_per_month", r.days_per_month, maximum=31)),
        food_bag_kg_per_household_week=float(
            toml.number("ration", "food_bag_kg_per_household_week", r.food_bag_kg_per_household_week, positive=False)
        ),
        coverage_share=float(toml.number("ration", "coverage_share", r.coverage_share, positive=False, maximum=1.0)),
    )


def _toml_points(toml: _TomlSettings) -> PointSettings:
    """The ``[demand]`` table."""
    p = PointSettings()
    classes = toml.table("demand").get("road_classes", list(p.road_classes))
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) and c for c in classes):
        toml.bad("demand.road_classes", "must be a non-empty list of OSM road classes")
        classes = list(p.road_classes)
    return PointSettings(
        households_per_point=float(toml.number("demand", "households_per_point", p.households_per_point)),
        points_per_road_km=float(toml.number("demand", "points_per_road_km", p.points_per_road_km)),
        max_point_kg=float(toml.number("demand", "max_point_kg", p.max_point_kg)),
        min_residential_km=float(toml.number("demand", "min_residential_km", p.min_residential_km, positive=False)),
        road_classes=tuple(classes),
        seed=int(toml.number("demand", "seed", p.seed, positive=False, integer=True)),
    )


def _locality_of(lon: float, lat: float) -> str:
    """Locality of the ward containing the point (nearest ward within the buffered area)."""
    wards = datasets.read_wards()
    point = shapely.Point(lon, lat)
    inside = wards[wards.geometry.contains(point)]
    if len(inside):
        return str(inside.iloc[0]["locality"])
    distances = wards.geometry.distance(point)
    return str(wards.loc[distances.idxmin(), "locality"])


def _read_depots(folder: Path, problems: list[Problem], strict: bool) -> list[tuple[Depot, int]]:
    table = read_csv_table(folder / DEPOTS_FILE, problems=problems, required=DEPOT_COLUMNS, optional=DEPOT_OPTIONAL,
                           prefixes=("stock_",), strict=strict)
    if table is None:
        return []
    stock_columns = [c for c in table.columns if c.startswith("stock_")]
    for column in stock_columns:
        if not (column.endswith("_kg") and len(column) > len("stock__kg")):
            problems.append(Problem("stock columns are named stock_<commodity>_kg", table.file, 1, column))
    for commodity in COMMODITIES:
        if f"stock_{commodity}_kg" not in table.columns:
            problems.append(Problem(f"missing column 'stock_{commodity}_kg'", table.file, 1, f"stock_{commodity}_kg"))
    stock_columns = [c for c in stock_columns if c.endswith("_kg") and len(c) > len("stock__kg")]
    depots = []
    for row in table.iter_rows(problems):
        depot_id = row.identifier("id")
        name = row.text("name", default=depot_id)
        lon = row.number("lon", thousands=False)
        lat = row.number("lat", thousands=False)
        stock = {c[len("stock_"):-len("_kg")]: row.number(c, required=False, default=0.0) for c in stock_columns}
        open_s = row.time("open")
        close_s = row.time("close")
        load_min = row.number("load_time_min", required=False, default=20.0, minimum=0, maximum=24 * 60)
        approximate = row.flag("approximate")
        kind = fold_text(row.text("kind", default="warehouse"))
        locality_raw = row.text("locality")
        locality = ""
        if locality_raw:
            locality = _LOCALITY_BY_FOLD.get(fold_text(locality_raw), "")
            if not locality:
                row.problem(f"unknown locality '{locality_raw}' (use Nha Trang, Ninh Hoa or Van Ninh)", "locality")
        if row.bad:
            continue
        depots.append((
            Depot(id=depot_id, name=name, lon=float(lon), lat=float(lat), stock_kg={k: float(v) for k, v in stock.items()},
                  open_s=int(open_s), close_s=int(close_s), load_time_s=int(round(load_min * 60)),
                  approximate=approximate, locality=locality, kind=kind),
            row.line,
        ))
    return depots


def _reach_km(row: Row, profile: str) -> float | None:
    """``max_reach_km``: empty gives the profile's default, ``none`` no limit."""
    raw = row.text("max_reach_km")
    if not raw:
        return DEFAULT_REACH_KM.get(profile)
    if fold_text(raw) == NO_LIMIT:
        return None
    return row.number("max_reach_km", strictly_positive=True)


def _crew(row: Row, count: float) -> dict[str, tuple[str, ...]]:
    """The ``driver``/``plate``/``phone`` cells as one value per vehicle (a problem when the number of values
    separated by ``;`` is not ``count``)."""
    crew = {}
    for column in CREW_COLUMNS:
        raw = row.text(column)
        values = tuple(v.strip() for v in raw.split(";")) if raw else ()
        if values and math.isfinite(count) and len(values) != count:
            row.problem(f"{len(values)} value(s) for {count:g} vehicle(s): give one per vehicle, separated by ';', "
                        "in vehicle order", column)
        crew[column] = values
    return crew


def _read_fleet(folder: Path, problems: list[Problem], strict: bool) -> list[tuple[VehicleType, int]]:
    table = read_csv_table(folder / FLEET_FILE, problems=problems, required=FLEET_COLUMNS, optional=FLEET_OPTIONAL,
                           strict=strict)
    if table is None:
        return []
    fleet = []
    for row in table.iter_rows(problems):
        vt_id = row.identifier("id")
        profile = row.text("profile", required=True).lower()
        capacity = row.number("capacity_kg")
        count = row.number("count", integer=True)
        home = row.identifier("home_depot")
        start = row.time("shift_start")
        end = row.time("shift_end")
        trips = row.number("max_trips", required=False, default=1, integer=True)
        duration_h = row.number("max_duration_h", required=False, default=None)
        costs = [row.number(c, required=False, default=0.0) for c in
                 ("cost_per_km_vnd", "cost_per_hour_vnd", "fixed_cost_vnd")]
        reach_km = _reach_km(row, profile)
        crew = _crew(row, count)
        if row.bad:
            continue
        fleet.append((
            VehicleType(
                id=vt_id, name=row.text("name", default=vt_id), profile=profile, capacity_kg=float(capacity),
                count=int(count), home_depot=home, shift_start_s=int(start), shift_end_s=int(end),
                max_trips=int(trips),
                max_duration_s=None if duration_h is None else int(round(duration_h * 3600)),
                cost_per_km_vnd=float(costs[0]), cost_per_hour_vnd=float(costs[1]), fixed_cost_vnd=float(costs[2]),
                max_reach_km=reach_km, drivers=crew["driver"], plates=crew["plate"], phones=crew["phone"],
            ),
            row.line,
        ))
    return fleet


def _read_zones(folder: Path, problems: list[Problem], strict: bool) -> list[tuple[Zone, int]]:
    table = read_csv_table(folder / ZONES_FILE, problems=problems, required=ZONE_COLUMNS, optional=ZONE_OPTIONAL,
                           must_exist=False, strict=strict)
    if table is None:
        return []
    zones = []
    for row in table.iter_rows(problems):
        ward_id = ward_id_text(row.identifier("ward_id"))
        grade = fold_text(row.text("grade", required=True))
        forbidden = split_words(row.text("forbidden_profiles"))
        if row.bad:
            continue
        zones.append((Zone(ward_id=ward_id, grade=grade, forbidden_profiles=forbidden, ward_name=row.text("ward_name")),
                      row.line))
    return zones


def _read_points(
    folder: Path, time: TimeSettings, problems: list[Problem], strict: bool
) -> list[tuple[DemandPoint, bool, int]] | None:
    """The planner's points, each with whether its priority came from the file, and its row."""
    table = read_csv_table(folder / POINTS_FILE, problems=problems, required=POINT_COLUMNS, optional=POINT_OPTIONAL,
                           prefixes=("demand_",), must_exist=False, strict=strict)
    if table is None:
        return None
    demand_columns = [c for c in table.columns if c.startswith("demand_")]
    for column in demand_columns:
        if not (column.endswith("_kg") and len(column) > len("demand__kg")):
            problems.append(Problem("demand columns are named demand_<commodity>_kg", table.file, 1, column))
    demand_columns = [c for c in demand_columns if c.endswith("_kg") and len(c) > len("demand__kg")]
    if not demand_columns:
        problems.append(Problem("no demand_<commodity>_kg column (e.g. demand_rice_kg)", table.file, 1, "demand_rice_kg"))
        return []
    wards = datasets.read_wards()
    ward_names = dict(zip(wards["ward_id"], wards["ward_vn"].astype(str)))
    ward_localities = dict(zip(wards["ward_id"], wards["locality"].astype(str)))
    out = []
    for row in table.iter_rows(problems):
        point_id = row.identifier("id")
        ward_id = ward_id_text(row.identifier("ward_id"))
        lon = row.number("lon", thousands=False)
        lat = row.number("lat", thousands=False)
        demand = {c[len("demand_"):-len("_kg")]: row.number(c, required=False, default=0.0) for c in demand_columns}
        tw_start = row.time("tw_start", default=time.operating_start_s)
        tw_end = row.time("tw_end", default=time.operating_end_s)
        service_min = row.number("service_min", required=False, default=time.service_s / 60)
        per_kg = row.number("service_s_per_kg", required=False, default=time.service_s_per_kg)
        priority_raw = row.cells.get("priority", "")
        priority = row.number("priority", required=False, default=0, integer=True)
        approximate = row.flag("approximate")
        if row.bad:
            continue
        known = ward_id in ward_names
        out.append(
            (
                DemandPoint(
                    id=point_id, ward_id=ward_id,
                    ward_name=ward_names[ward_id] if known else row.text("ward_name"),
                    locality=ward_localities[ward_id] if known else row.text("locality"),
                    name=row.text("name", default=point_id), lon=float(lon), lat=float(lat),
                    demand_kg={k: float(v) for k, v in demand.items()}, tw_start_s=int(tw_start), tw_end_s=int(tw_end),
                    service_s=int(round(service_min * 60)), service_s_per_kg=float(per_kg), priority=int(priority),
                    approximate=approximate, contact=row.text("contact"), phone=row.text("phone"),
                ),
                bool(priority_raw),
                row.line,
            )
        )
    return out


def _read_closures(folder: Path, problems: list[Problem], strict: bool) -> list[tuple[Closure, int]]:
    closures: list[tuple[Closure, int]] = []
    table = read_csv_table(folder / CLOSURES_FILE, problems=problems, required=CLOSURE_COLUMNS, optional=CLOSURE_OPTIONAL,
                           must_exist=False, strict=strict)
    for row in table.iter_rows(problems) if table else ():
        kind = row.text("kind", required=True).lower()
        value: Any = row.text("value", required=True)
        if kind == "osm_id" and value:
            parsed = parse_number(value, decimal_comma=False)
            if parsed is None or parsed != int(parsed):
                row.problem(f"'{value}' is not an OSM way id", "value")
            else:
                value = int(parsed)
        elif kind == "polygon":
            row.problem("polygon closures go in closures.geojson", "kind")
        elif kind and kind != "name":
            row.problem(f"unknown closure kind '{kind}' (use osm_id or name)", "kind")
        if row.bad:
            continue
        closure_kind: Literal["osm_id", "name"] = "osm_id" if kind == "osm_id" else "name"
        closures.append((Closure(closure_kind, value, split_words(row.text("profiles")), row.text("label")),
                         row.line))

    path = folder / CLOSURES_GEOJSON
    if path.exists():
        file = str(path)
        text = decode_text(path.read_bytes(), file, problems)
        if text is not None:
            try:
                data = json.loads(text)
                features = data["features"] if data.get("type") == "FeatureCollection" else [data]
            except (json.JSONDecodeError, AttributeError, KeyError, TypeError) as exc:
                problems.append(Problem(f"not a GeoJSON FeatureCollection ({exc})", file))
                features = []
            for number, feature in enumerate(features, start=1):
                try:
                    geom = shapely.geometry.shape(feature["geometry"])
                    props = feature.get("properties") or {}
                except Exception as exc:  # shapely raises several types for malformed geometry
                    problems.append(Problem(f"feature {number} has no readable geometry ({exc})", file, number,
                                            "geometry"))
                    continue
                if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
                    problems.append(Problem("closure geometry must be a Polygon or MultiPolygon", file, number, "geometry"))
                    continue
                if not geom.is_valid:
                    geom = shapely.make_valid(geom)
                profiles = props.get("profiles") or ""
                profiles = split_words(profiles if isinstance(profiles, str) else ";".join(map(str, profiles)))
                label = str(props.get("label") or props.get("name") or "")
                closures.append((Closure("polygon", geom, profiles, label), number))
    return closures


def _without_follow_on(checks: list[Problem], read: list[Problem], scenario: Scenario) -> list[Problem]:
    """``checks`` less the problems that a file already reported as unusable causes in other files.

    A depots.csv that is missing, empty, header-only or has a bad header gives no depots; every fleet row's
    home depot would then be "unknown" — those lines say nothing new and bury the one that matters.
    """
    depots_file = scenario.file_label(DEPOTS_FILE)
    if scenario.depots or not any(p.file == depots_file for p in read):
        return checks
    return [p for p in checks if p.field != "home_depot"]


def _points_following_zones(
    points_read: Sequence[tuple[DemandPoint, bool, int]], zones: dict[str, Zone], file: str
) -> tuple[DemandPoint, ...]:
    """The points with their zone's priority, unless the file gives another (then one warning lists them all).

    Parameters
    ----------
    points_read
        ``(point, priority given in the file, row)`` of :func:`_read_points`.
    zones
        Ward id → zone (a point of an unknown ward keeps its priority: the check reports the ward).
    file
        ``demand_points.csv`` of the folder, for the warning.
    """
    points, overridden = [], []
    for point, explicit, row in points_read:
        zone = zones.get(point.ward_id)
        if zone is None or (explicit and point.priority == zone.priority):
            points.append(point)
        elif explicit:
            points.append(point)
            overridden.append(f"row {row}, point '{point.id}': priority {point.priority}, zone {zone.grade} "
                              f"{zone.priority}")
        else:
            points.append(dataclasses.replace(point, priority=zone.priority))
    if overridden:
        warnings.warn(
            f"{file}: {len(overridden)} point(s) have a priority other than their ward's zone in {ZONES_FILE}; "
            f"the explicit priority is used (empty the cell to follow the zone): "
            f"{capped_list(overridden, MAX_LISTED_PRIORITIES)}",
            UserWarning, stacklevel=3,
        )
    return tuple(points)


def load_scenario(path: str | Path | None = None, *, strict: bool = False) -> Scenario:
    """Load a scenario folder (or its ``scenario.toml``); ``None`` gives the embedded default.

    A drop point's priority is its ward's zone's (``zones.csv``); an explicit ``priority`` cell that differs
    overrides it, with one ``UserWarning`` listing every such point. Numbers that look written with thousands
    separators (``55.000`` in a ``,`` file) are read as :func:`optimizer.tables.read_number` says, with one
    ``UserWarning`` per file listing them.

    Parameters
    ----------
    path
        The folder, its ``scenario.toml``, or ``None``.
    strict
        Ambiguous numbers are problems (each naming file, row and column) instead of a warning.

    Raises
    ------
    InputError
        Listing every problem of every file (file, row, column): missing columns, unknown ids, bad
        numbers or times, coordinates outside the three localities, duplicate ids, files not in UTF-8, ...
    """
    if path is None:
        return default_scenario()
    folder = Path(path)
    if folder.is_file() and folder.name == SCENARIO_FILE:
        folder = folder.parent
    if not folder.exists():
        raise InputError("scenario folder not found", file=folder)
    if not folder.is_dir():
        raise InputError("a scenario is a folder holding scenario.toml, depots.csv, fleet.csv, ...", file=folder)
    problems: list[Problem] = []
    raw = _read_toml(folder / SCENARIO_FILE, problems)
    toml = _TomlSettings(raw, str(folder / SCENARIO_FILE), problems)
    name, date, description = _toml_header(toml)
    time = _toml_time(toml)
    settings = Settings(ration=_toml_ration(toml), points=_toml_points(toml))
    depots = _read_depots(folder, problems, strict)
    fleet = _read_fleet(folder, problems, strict)
    zones_read = _read_zones(folder, problems, strict)
    points_read = _read_points(folder, time, problems, strict)
    closures = _read_closures(folder, problems, strict)
    camps = read_camps(folder, problems, strict=strict)
    kitchens = read_kitchens(folder, problems, strict=strict)
    problems += check_camps(camps, kitchens, time, camps_file=str(folder / CAMPS_FILE),
                            kitchens_file=str(folder / KITCHENS_FILE))
    plain = [(c, r) for c, r in closures if c.kind != "polygon"]
    polygons = [(c, r) for c, r in closures if c.kind == "polygon"]

    zones = complete_zones([z for z, _ in zones_read])
    depot_list = [d if d.locality else dataclasses.replace(d, locality=_locality_of(d.lon, d.lat)) for d, _ in depots]
    points = None
    if points_read is not None:
        points = _points_following_zones(points_read, {z.ward_id: z for z in zones}, str(folder / POINTS_FILE))
    rows = {
        DEPOTS_FILE: tuple(r for _, r in depots),
        FLEET_FILE: tuple(r for _, r in fleet),
        ZONES_FILE: tuple(r for _, r in zones_read),
        POINTS_FILE: tuple(r for *_, r in points_read or ()),
        CLOSURES_FILE: tuple(r for _, r in plain),
        CLOSURES_GEOJSON: tuple(r for _, r in polygons),
        CAMPS_FILE: tuple(r for _, r in camps),
        KITCHENS_FILE: tuple(r for _, r in kitchens),
    }
    scenario = Scenario(
        name=name, date=date, description=description, settings=settings, time=time, depots=tuple(depot_list),
        vehicle_types=tuple(v for v, _ in fleet), demand_points=points, zones=tuple(zones),
        closures=tuple(c for c, _ in plain + polygons), camps=tuple(c for c, _ in camps),
        kitchens=tuple(k for k, _ in kitchens), source=folder, source_rows=rows,
    )
    problems.extend(_without_follow_on(check_scenario(scenario), problems, scenario))
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    return scenario
