"""Variant files: ``[[variant]]`` tables in TOML, read into :class:`~optimizer.whatif.changes.Variant`::

    [[variant]]
    name = "GO! đóng cửa"
    close_depots = ["GO-NT"]

    [[variant]]
    name = "Chốt QL1A"
    close_roads = [{ polygon = "checkpoint.geojson", label = "Chốt QL1A" }]

    [[variant]]
    name = "Nhu cầu +50% Ninh Hòa"
    scale_demand = [{ locality = "Ninh Hoa", factor = 1.5 }]

Every key of a ``[[variant]]`` (``name`` is required; ids are checked against the base scenario; a ward is a GSO
code or a name, with or without diacritics; a locality is Nha Trang, Ninh Hoa or Van Ninh)::

    name = "…"                 description = "…"
    close_depots = ["GO-NT", …]
    cut_stock    = [{ depot = "MM-MEGA", factor = 0.5 }, { depot = "COOP-NT", kg = 5000, commodity = "rice" }]
    close_roads  = [{ name = "Quốc lộ 1A" }, { osm_id = 123 }, { polygon = "checkpoint.geojson" },
                    { polygon = [[lon, lat], …] }, { bbox = [min_lon, min_lat, max_lon, max_lat] }]
                   # each may add profiles = ["truck"] and label = "…"; a GeoJSON path is relative to the TOML
    regrade      = [{ ward = "Phường Vĩnh Hải", grade = "red", forbidden_profiles = ["motorbike"] }]
    scale_demand = [{ factor = 1.2 }, { locality = "Ninh Hoa", factor = 1.5 }, { ward = "5110101", factor = 2 }]
    fleet        = [{ type = "QS-5T-NT", count = 4 }, { type = "GT-2.5T-NT", add = -3 }]
    scale_fleet  = 1.5   # or { factor = 1.5, profile = "truck", types = ["QS-5T-NT"] }
    add_vehicles = [{ id = "QD-5T", like = "QS-5T-NT", count = 5, home_depot = "GO-NT" }]
                   # without like: capacity_kg, home_depot and optionally name, profile, shift_start, shift_end,
                   # max_trips, max_duration_h, cost_per_km_vnd, cost_per_hour_vnd, fixed_cost_vnd,
                   # max_reach_km (default: the copied type's, or the profile's when profile is given)
    time         = { curfew_start = "17:00", curfew_end = "06:00", operating_start = "06:00",
                     operating_end = "17:00", shift_start = "06:00", shift_end = "16:30", types = ["…"] }
    ration       = { rice_kg_per_person_month = 12, days_per_month = 30, food_bag_kg_per_household_week = 5,
                     coverage_share = 0.8 }
    restrict     = { localities = ["Ninh Hoa"], wards = ["…"], depots = ["KHO-NINH-HOA"] }

The keys are applied in the order restrict, ration, time, regrade, scale_demand, close_depots, cut_stock, fleet,
scale_fleet, add_vehicles, close_roads, whatever their order in the file.

Each key has its own small parser (:data:`_PARSERS`). A file is read in one pass: every problem of every variant
(unknown keys, bad values and, given the base scenario, unknown ids and roads matching nothing) is reported in
one :class:`~optimizer.errors.InputError`, each naming the file, the variant and the field.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import shapely

from optimizer.clock import parse_hhmm
from optimizer.errors import InputError, Problem
from optimizer.network import Closure, RoadNetwork, closed_edge_mask, closures_from_geojson, load_network
from optimizer.plan import PlanOptions
from optimizer.scenario.model import DEFAULT_REACH_KM, GRADES, VEHICLE_PROFILES, Scenario, VehicleType
from optimizer.tables import parse_toml, read_text_file
from optimizer.whatif.changes import (
    BASE,
    RATION_FIELDS,
    AddVehicles,
    Change,
    ChangeError,
    CloseDepot,
    CloseRoad,
    CutStock,
    Regrade,
    Restrict,
    ScaleDemand,
    ScaleFleet,
    SetFleet,
    SetRation,
    SetTime,
    Variant,
    check_type,
)

# --------------------------------------------------------------------------------------------------
# Reading one [[variant]] table
# --------------------------------------------------------------------------------------------------


@dataclass
class _Reader:
    """Reads one table of changes, collecting problems that name the file, the table (``where``: ``variant 'name'
    (#2)``, ``day 2021-07-29 (#3)``) and the field."""

    file: str
    where: str
    folder: Path
    problems: list[Problem]

    def bad(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(f"{self.where}: {message}", self.file, None, field_name))

    def table(self, value: Any, field_name: str, allowed: Sequence[str], required: Sequence[str] = ()) -> dict | None:
        if not isinstance(value, dict):
            self.bad(field_name, f"expected a table {{ {', '.join(allowed)} }}, got {value!r}")
            return None
        unknown = [k for k in value if k not in allowed]
        for k in unknown:
            self.bad(f"{field_name}.{k}", f"unknown key '{k}' (known: {', '.join(allowed)})")
        missing = [k for k in required if k not in value]
        for k in missing:
            self.bad(f"{field_name}.{k}", "value is missing")
        return None if unknown or missing else value

    def tables(self, value: Any, field_name: str, allowed: Sequence[str], required: Sequence[str] = ()
               ) -> list[tuple[str, dict]]:
        """The valid tables of a table or a list of tables, each with its field name (``key[i]`` in a list)."""
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            name = f"{field_name}[{i}]" if isinstance(value, list) else field_name
            table = self.table(item, name, allowed, required)
            if table is not None:
                out.append((name, table))
        return out

    def number(self, value: Any, field_name: str, *, integer: bool = False) -> Any:
        """``value`` when it is a (whole) number, else ``None`` with a problem."""
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if not ok or isinstance(value, bool) or (not integer and not math.isfinite(value)):
            self.bad(field_name, f"expected {'a whole number' if integer else 'a number'}, got {value!r}")
            return None
        return value

    def text(self, value: Any, field_name: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.bad(field_name, f"expected text, got {value!r}")
            return None
        return str(value)

    def strings(self, value: Any, field_name: str) -> list[str]:
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            text = self.text(item, f"{field_name}[{i}]" if isinstance(value, list) else field_name)
            if text is not None:
                out.append(text)
        return out

    def clock(self, value: Any, field_name: str) -> int | None:
        """Seconds since midnight from ``"HH:MM"`` or a TOML time."""
        if not isinstance(value, bool):
            try:
                return parse_hhmm(str(value))
            except ValueError:
                pass
        self.bad(field_name, f"'{value}' is not a time HH:MM")
        return None


# --------------------------------------------------------------------------------------------------
# One parser per key: (reader, value, key) → the key's changes
# --------------------------------------------------------------------------------------------------


def _close_depots(reader: _Reader, value: Any, key: str) -> list[Change]:
    return [CloseDepot(d) for d in reader.strings(value, key)]


def _cut_stock(reader: _Reader, value: Any, key: str) -> list[Change]:
    out: list[Change] = []
    for f, spec in reader.tables(value, key, ("depot", "factor", "kg", "commodity"), ("depot",)):
        if ("factor" in spec) == ("kg" in spec):
            reader.bad(f, "give either factor or kg")
            continue
        factor = reader.number(spec["factor"], f"{f}.factor") if "factor" in spec else None
        kg = reader.number(spec["kg"], f"{f}.kg") if "kg" in spec else None
        if factor is not None or kg is not None:
            out.append(CutStock(str(spec["depot"]), factor=factor, cut_kg=kg, commodity=spec.get("commodity")))
    return out


def _road_by_name(reader: _Reader, value: Any, field_name: str, profiles: tuple[str, ...], label: str
                  ) -> list[Change]:
    text = reader.text(value, field_name)
    return [] if text is None else [CloseRoad.by_name(text, profiles=profiles, label=label)]


def _road_by_osm_id(reader: _Reader, value: Any, field_name: str, profiles: tuple[str, ...], label: str
                    ) -> list[Change]:
    osm_id = reader.number(value, field_name, integer=True)
    return [] if osm_id is None else [CloseRoad.by_osm_id(osm_id, profiles=profiles, label=label)]


def _road_by_bbox(reader: _Reader, value: Any, field_name: str, profiles: tuple[str, ...], label: str
                  ) -> list[Change]:
    if (not isinstance(value, list) or len(value) != 4
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)
            or not (value[0] < value[2] and value[1] < value[3])):
        reader.bad(field_name, "expected [min_lon, min_lat, max_lon, max_lat]")
        return []
    return [CloseRoad.by_bbox(*map(float, value), profiles=profiles, label=label)]


def _road_by_polygon(reader: _Reader, value: Any, field_name: str, profiles: tuple[str, ...], label: str
                     ) -> list[Change]:
    """A GeoJSON file (relative to the TOML file; one closure per polygon) or a list of ``[lon, lat]`` corners."""
    if isinstance(value, str):
        path = Path(value)
        if not path.is_absolute():
            path = reader.folder / path
        try:
            closures = closures_from_geojson(path, profiles=profiles)
        except InputError as exc:
            reader.bad(field_name, f"{value}: {exc}")
            return []
        return [CloseRoad(dataclasses.replace(c, label=label or c.label or path.stem)) for c in closures]
    try:
        polygon = shapely.Polygon([(float(x), float(y)) for x, y in value])
        if not polygon.is_valid or polygon.area <= 0:
            raise ValueError
    except (TypeError, ValueError):
        reader.bad(field_name, "expected a GeoJSON file name or a list of [lon, lat] corners")
        return []
    return [CloseRoad(Closure("polygon", polygon, profiles, label))]


_ROAD_PARSERS = {"name": _road_by_name, "osm_id": _road_by_osm_id, "polygon": _road_by_polygon,
                 "bbox": _road_by_bbox}


def _close_roads(reader: _Reader, value: Any, key: str) -> list[Change]:
    out: list[Change] = []
    for f, spec in reader.tables(value, key, (*_ROAD_PARSERS, "profiles", "label")):
        kinds = [k for k in _ROAD_PARSERS if k in spec]
        if len(kinds) != 1:
            reader.bad(f, f"give exactly one of {', '.join(_ROAD_PARSERS)}")
            continue
        profiles = tuple(reader.strings(spec.get("profiles", []), f"{f}.profiles"))
        for p in profiles:
            if p not in VEHICLE_PROFILES:
                reader.bad(f"{f}.profiles", f"unknown profile '{p}' (use {', '.join(VEHICLE_PROFILES)})")
        kind = kinds[0]
        out += _ROAD_PARSERS[kind](reader, spec[kind], f"{f}.{kind}", profiles, str(spec.get("label", "")))
    return out


def _regrade(reader: _Reader, value: Any, key: str) -> list[Change]:
    out: list[Change] = []
    for f, spec in reader.tables(value, key, ("ward", "grade", "forbidden_profiles"), ("ward", "grade")):
        forbidden = spec.get("forbidden_profiles")
        if forbidden is not None:
            forbidden = tuple(reader.strings(forbidden, f"{f}.forbidden_profiles"))
        if spec["grade"] not in GRADES:
            reader.bad(f"{f}.grade", f"unknown grade '{spec['grade']}' (use {', '.join(GRADES)})")
            continue
        out.append(Regrade(str(spec["ward"]), spec["grade"], forbidden))
    return out


def _scale_demand(reader: _Reader, value: Any, key: str) -> list[Change]:
    out: list[Change] = []
    for f, spec in reader.tables(value, key, ("ward", "locality", "factor"), ("factor",)):
        factor = reader.number(spec["factor"], f"{f}.factor")
        if "ward" in spec and "locality" in spec:
            reader.bad(f, "give a ward or a locality, not both")
        elif factor is not None:
            out.append(ScaleDemand(float(factor), ward=spec.get("ward"), locality=spec.get("locality")))
    return out


def _fleet(reader: _Reader, value: Any, key: str) -> list[Change]:
    out: list[Change] = []
    for f, spec in reader.tables(value, key, ("type", "count", "add"), ("type",)):
        if ("count" in spec) == ("add" in spec):
            reader.bad(f, "give either count or add")
            continue
        which = "count" if "count" in spec else "add"
        number = reader.number(spec[which], f"{f}.{which}", integer=True)
        if number is None:
            continue
        if which == "count" and number < 0:
            reader.bad(f"{f}.count", f"count must be 0 or more, got {number}")
            continue
        out.append(SetFleet(str(spec["type"]), count=number if which == "count" else None,
                            delta=number if which == "add" else None))
    return out


def _scale_fleet(reader: _Reader, value: Any, key: str) -> list[Change]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {"factor": value}
    out: list[Change] = []
    for f, spec in reader.tables(value, key, ("factor", "profile", "types"), ("factor",)):
        factor = reader.number(spec["factor"], f"{f}.factor")
        types = tuple(reader.strings(spec.get("types", []), f"{f}.types"))
        if factor is not None:
            out.append(ScaleFleet(float(factor), profile=spec.get("profile"), type_ids=types))
    return out


_ADD_VEHICLE_KEYS = ("id", "like", "name", "profile", "capacity_kg", "count", "home_depot", "shift_start",
                     "shift_end", "max_trips", "max_duration_h", "cost_per_km_vnd", "cost_per_hour_vnd",
                     "fixed_cost_vnd", "max_reach_km")


def _add_vehicles(reader: _Reader, value: Any, key: str) -> list[Change]:
    return [_AddVehiclesSpec(spec=tuple(spec.items()), field=f)
            for f, spec in reader.tables(value, key, _ADD_VEHICLE_KEYS, ("id", "count"))]


def _time(reader: _Reader, value: Any, key: str) -> list[Change]:
    spec = reader.table(value, key, ("curfew_start", "curfew_end", "operating_start", "operating_end",
                                     "shift_start", "shift_end", "types"))
    if spec is None:
        return []
    times = {k: reader.clock(v, f"{key}.{k}") for k, v in spec.items() if k != "types"}
    types = tuple(reader.strings(spec.get("types", []), f"{key}.types"))
    if None in times.values():
        return []
    return [SetTime(**{f"{k}_s": v for k, v in times.items()}, type_ids=types)]


def _ration(reader: _Reader, value: Any, key: str) -> list[Change]:
    spec = reader.table(value, key, RATION_FIELDS)
    if spec is None:
        return []
    numbers = {k: reader.number(v, f"{key}.{k}") for k, v in spec.items()}
    return [] if None in numbers.values() else [SetRation(**numbers)]


def _restrict(reader: _Reader, value: Any, key: str) -> list[Change]:
    spec = reader.table(value, key, ("localities", "wards", "depots"))
    if spec is None:
        return []
    depots = spec.get("depots")
    return [Restrict(localities=tuple(reader.strings(spec.get("localities", []), f"{key}.localities")),
                     wards=tuple(reader.strings(spec.get("wards", []), f"{key}.wards")),
                     depots=None if depots is None else tuple(reader.strings(depots, f"{key}.depots")))]


#: The parser of each change key, in the order the keys are applied (whatever their order in the file).
_PARSERS: dict[str, Callable[[_Reader, Any, str], list[Change]]] = {
    "restrict": _restrict,
    "ration": _ration,
    "time": _time,
    "regrade": _regrade,
    "scale_demand": _scale_demand,
    "close_depots": _close_depots,
    "cut_stock": _cut_stock,
    "fleet": _fleet,
    "scale_fleet": _scale_fleet,
    "add_vehicles": _add_vehicles,
    "close_roads": _close_roads,
}
_VARIANT_KEYS = ("name", "description", *_PARSERS)


def _clock(value: Any, field_name: str) -> int:
    if isinstance(value, bool):
        raise ChangeError(f"'{value}' is not a time HH:MM", field_name)
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return parse_hhmm(str(value))
    except ValueError as exc:
        raise ChangeError(str(exc), field_name) from None


@dataclass(frozen=True)
class _AddVehiclesSpec(Change):
    """``add_vehicles`` from TOML: resolved against the base when applied (``like`` copies a type)."""

    spec: tuple[tuple[str, Any], ...]
    field: str
    key: ClassVar[str] = "add_vehicles"

    def _template(self, scenario: Scenario, spec: dict[str, Any]) -> VehicleType:
        if "like" in spec:
            return check_type(scenario, str(spec["like"]), f"{self.field}.like")
        missing = [k for k in ("capacity_kg", "home_depot") if k not in spec]
        if missing:
            raise ChangeError(f"give 'like' (an existing type to copy) or {', '.join(missing)}", self.field)
        time = scenario.time
        return VehicleType(id="", name="", profile="truck", capacity_kg=1.0, count=0, home_depot="",
                           shift_start_s=time.operating_start_s, shift_end_s=time.operating_end_s)

    def _reach_km(self, spec: dict[str, Any], template: VehicleType) -> float | None:
        """``max_reach_km`` of the spec; else the profile's default when the spec gives a profile, else the template's."""
        if "max_reach_km" in spec:
            v = spec["max_reach_km"]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ChangeError(f"expected a number, got {v!r}", f"{self.field}.max_reach_km")
            return float(v)
        if "profile" in spec:
            return DEFAULT_REACH_KM.get(str(spec["profile"]))
        return template.max_reach_km

    def _vehicle_type(self, scenario: Scenario) -> VehicleType:
        spec = dict(self.spec)
        f = self.field
        template = self._template(scenario, spec)
        values: dict[str, Any] = {"id": str(spec["id"]), "name": str(spec.get("name", spec["id"]))}
        numbers = {"capacity_kg": float, "count": int, "max_trips": int, "cost_per_km_vnd": float,
                   "cost_per_hour_vnd": float, "fixed_cost_vnd": float}
        for k, kind in numbers.items():
            if k in spec:
                v = spec[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or (kind is int and not isinstance(v, int)):
                    raise ChangeError(f"expected {'a whole number' if kind is int else 'a number'}, got {v!r}",
                                      f"{f}.{k}")
                values[k] = kind(v)
        if "max_duration_h" in spec:
            values["max_duration_s"] = int(round(float(spec["max_duration_h"]) * 3600))
        values["max_reach_km"] = self._reach_km(spec, template)
        for k in ("shift_start", "shift_end"):
            if k in spec:
                values[f"{k}_s"] = _clock(spec[k], f"{f}.{k}")
        for k in ("profile", "home_depot"):
            if k in spec:
                values[k] = str(spec[k])
        return dataclasses.replace(template, **values)

    def apply(self, scenario, options):
        vt = self._vehicle_type(scenario)
        try:
            return AddVehicles(vt).apply(scenario, options)
        except ChangeError as exc:
            raise ChangeError(str(exc), exc.field.replace(AddVehicles.key, self.field, 1)) from None

    def describe(self):
        spec = dict(self.spec)
        return f"add {spec.get('count')} × {spec.get('id')}" + (f" like {spec['like']}" if "like" in spec else "")


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


def _parse_variant(raw: Any, file: str, folder: Path, index: int, problems: list[Problem]) -> Variant | None:
    """The variant of one ``[[variant]]`` table, with the changes that parsed (the others are in ``problems``)."""
    if not isinstance(raw, dict):
        problems.append(Problem(f"variant #{index}: expected a table", file, None, "variant"))
        return None
    name = raw.get("name")
    reader = _Reader(file, f"variant '{name if name is not None else f'#{index}'}' (#{index})", folder, problems)
    if not isinstance(name, str) or not name.strip():
        reader.bad("name", "every variant needs a name")
        name = f"#{index}"
    for key in raw:
        if key not in _VARIANT_KEYS:
            reader.bad(key, f"unknown key '{key}' (known: {', '.join(_VARIANT_KEYS)})")
    description = raw.get("description", "")
    if not isinstance(description, str):
        reader.bad("description", "expected text")
        description = ""
    changes = _changes(reader, raw)
    return Variant(name=name.strip(), changes=tuple(changes), description=description, source=file, index=index)


def _changes(reader: _Reader, raw: dict[str, Any]) -> list[Change]:
    """The changes of the keys of ``raw`` that have a parser, in the order they are applied."""
    return [change for key, parse in _PARSERS.items() if key in raw for change in parse(reader, raw[key], key)]


def parse_changes(raw: dict[str, Any], *, keys: Sequence[str], file: str, where: str, folder: Path,
                  problems: list[Problem]) -> list[Change]:
    """The changes of the ``keys`` (a subset of a variant's change keys) of one table of another file, e.g. a
    day of a period's calendar; each problem names ``file``, ``where`` and the field. Other keys are the
    caller's."""
    unknown = sorted(set(keys) - set(_PARSERS))
    if unknown:
        raise ValueError(f"no change key(s) {', '.join(unknown)}")
    return _changes(_Reader(file, where, folder, problems), {k: raw[k] for k in keys if k in raw})


def _variant_tables(raw: dict[str, Any], file: str, problems: list[Problem]) -> list[Any]:
    for key in raw:
        if key != "variant":
            problems.append(Problem(f"unknown top-level key '{key}' (write each variant as [[variant]])", file, None,
                                    key))
    items = raw.get("variant", [])
    if not isinstance(items, list):
        problems.append(Problem("write each variant as [[variant]]", file, None, "variant"))
        return []
    if not items and not problems:
        problems.append(Problem("no [[variant]] in the file", file, None, "variant"))
    return items


def parse_variants(text: str, *, file: str | Path = "<variants>", folder: str | Path | None = None,
                   base: Scenario | None = None) -> list[Variant]:
    """Variants from TOML text (see the module docstring).

    Parameters
    ----------
    text
        The TOML text.
    file
        Its name in messages.
    folder
        Where relative polygon files are (default: the folder of ``file``).
    base
        Also check every change against this scenario (ids, wards, roads) in the same pass.

    Raises
    ------
    InputError
        Every problem of the file, each naming the file, the variant and the field.
    """
    file = str(file)
    folder = Path(folder) if folder is not None else Path(file).parent
    problems: list[Problem] = []
    raw = parse_toml(text, file, problems)
    if raw is None:
        raise InputError(problems)
    parsed = [_parse_variant(item, file, folder, i, problems)
              for i, item in enumerate(_variant_tables(raw, file, problems), start=1)]
    variants = [v for v in parsed if v is not None]
    names = [v.name for v in variants]
    for name in sorted({n for n in names if names.count(n) > 1 or n == BASE}):
        problems.append(Problem(f"variant name '{name}' is used twice or is reserved ('{BASE}' is the base day)", file,
                                None, "name"))
    if base is not None:
        problems += _check(base, variants)[1]
    if problems:
        raise InputError(problems)
    return variants


def load_variants(path: str | Path, *, base: Scenario | None = None) -> list[Variant]:
    """Read a variant TOML file; with ``base``, also check every change against it (ids, wards, roads).

    Raises
    ------
    InputError
        Naming the file, the variant and the field of every problem found.
    """
    path = Path(path)
    return parse_variants(read_text_file(path, what="variant file"), file=path, folder=path.parent, base=base)


# --------------------------------------------------------------------------------------------------
# Checking against a base
# --------------------------------------------------------------------------------------------------


def check_variants(base: Scenario, variants: Sequence[Variant], *, options: PlanOptions | None = None
                   ) -> list[tuple[Scenario, PlanOptions]]:
    """Apply every variant to ``base`` and check its road closures against the networks; every problem of every
    variant is reported together. Returns the applied ``(scenario, options)`` pairs."""
    applied, problems = _check(base, variants, options)
    if problems:
        raise InputError(problems)
    return applied


def _check(base: Scenario, variants: Sequence[Variant], options: PlanOptions | None = None
           ) -> tuple[list[tuple[Scenario, PlanOptions]], list[Problem]]:
    """The applied variants that fit ``base`` and the problems of the others."""
    problems: list[Problem] = []
    applied = []
    networks: dict[str, RoadNetwork] = {}  # each profile's network is loaded once for all the variants
    for variant in variants:
        try:
            pair = variant.apply(base, options)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        closure_problems = _closure_problems(variant, pair[0], networks)
        problems += closure_problems
        if not closure_problems:
            applied.append(pair)
    return applied, problems


def _closure_problems(variant: Variant, scenario: Scenario, networks: dict[str, RoadNetwork]) -> list[Problem]:
    """Every closure must match a road of each profile network the plan will load (as run_plan does)."""
    profiles = sorted({v.profile for v in scenario.vehicles()} | {"truck"})
    problems = []
    for profile in profiles:
        closures = [c for c in scenario.closures if c.applies_to(profile)]
        if not closures:
            continue
        if profile not in networks:
            networks[profile] = load_network(profile=profile)
        for closure in closures:
            try:
                closed_edge_mask(networks[profile].edges, [closure], profile=profile)
            except InputError as exc:
                problems.append(Problem(f"{variant.where()}: {exc}", variant.source, None, CloseRoad.key))
    return problems
