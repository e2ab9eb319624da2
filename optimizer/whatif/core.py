"""What-if analyses: variants of a base day, planned side by side and compared.

A :class:`Variant` is a name and a list of small typed changes (:class:`CloseDepot`, :class:`CutStock`,
:class:`CloseRoad`, :class:`Regrade`, :class:`ScaleDemand`, :class:`SetFleet`, :class:`ScaleFleet`,
:class:`AddVehicles`, :class:`SetTime`, :class:`SetRation`, :class:`Restrict`). Applying it to a base
:class:`~optimizer.scenario.Scenario` gives a new scenario (``dataclasses.replace``; no file is copied) and
the plan options to run it with. Variants can also be written in a TOML file (:func:`load_variants`)::

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
                   # max_trips, max_duration_h, cost_per_km_vnd, cost_per_hour_vnd, fixed_cost_vnd
    time         = { curfew_start = "17:00", curfew_end = "06:00", operating_start = "06:00",
                     operating_end = "17:00", shift_start = "06:00", shift_end = "16:30", types = ["…"] }
    ration       = { rice_kg_per_person_month = 12, days_per_month = 30, food_bag_kg_per_household_week = 5,
                     coverage_share = 0.8 }
    restrict     = { localities = ["Ninh Hoa"], wards = ["…"], depots = ["KHO-NINH-HOA"] }

The keys are applied in the order restrict, ration, time, regrade, scale_demand, close_depots, cut_stock, fleet,
scale_fleet, add_vehicles, close_roads, whatever their order in the file.

:func:`run_variants` plans the base and every variant in parallel (local processes, or a Dask cluster) and
returns a :class:`Comparison`: one row per plan with km, hours, vehicles, trips, kilograms, the share of
demand served per locality and zone, unserved kilograms per reason and the depots' loads, all computed from
the plans' own frames; :meth:`Comparison.write` writes ``comparison.csv``, one map per variant and a chart.
Sweeps (:func:`depot_closure_sweep`, :func:`demand_sweep`, :func:`fleet_sweep`, :func:`demand_fleet_grid`)
build lists of variants.

Every plan uses the same options and seed; a plan does not depend on which process ran it or on how many
ran, as long as its searches end by their deterministic limits (``plan.kpis['routing']['stopped_by']`` is
``'solution limit'`` and the depot assignment is ``OPTIMAL``), not by the wall clock.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from optimizer import datasets
from optimizer.clock import format_hhmm, parse_hhmm
from optimizer.errors import InputError, OptimizerError, Problem
from optimizer.network import Closure
from optimizer.plan import PlanOptions
from optimizer.scenario.model import (
    GRADES,
    VEHICLE_PROFILES,
    RationSettings,
    Scenario,
    TimeSettings,
    VehicleType,
    Zone,
)

if TYPE_CHECKING:  # pragma: no cover
    from optimizer.plan import Plan

__all__ = [
    "BASE", "Change", "CloseDepot", "CutStock", "CloseRoad", "Regrade", "ScaleDemand", "SetFleet", "ScaleFleet",
    "AddVehicles", "SetTime", "SetRation", "Restrict", "Variant", "Comparison",
    "derive", "materialise", "load_variants", "parse_variants", "run_variants", "compare",
    "depot_closure_sweep", "demand_sweep", "fleet_sweep", "demand_fleet_grid", "plan_figures", "check_variants",
    "vehicle_figures", "travel_table",
]

#: Name of the unchanged base day in a comparison.
BASE = "base"
#: Profile a red (sealed) zone forbids when a regrade does not say (the embedded day's rule).
RED_FORBIDDEN = ("motorbike",)


class _ChangeError(Exception):
    """A change that does not fit the scenario; :meth:`Variant.apply` adds the file and the variant."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


# --------------------------------------------------------------------------------------------------
# Look-ups
# --------------------------------------------------------------------------------------------------


def _fold(text: Any) -> str:
    """Case- and diacritics-insensitive form of a name (``Ninh Hòa`` == ``ninh hoa``)."""
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip().casefold()


_WARD_PREFIXES = ("phuong ", "xa ", "thi tran ", "tt ", "p. ", "x. ")


def _ward_table() -> pd.DataFrame:
    wards = datasets.read_wards()
    return pd.DataFrame({"ward_id": wards["ward_id"].astype(str), "ward": wards["ward_vn"].astype(str),
                         "locality": wards["locality"].astype(str)})


def _resolve_ward(value: Any, field_name: str) -> str:
    """A ward id (GSO commune code) from an id or a name (``Phường Vĩnh Hải``, ``Vinh Hai``)."""
    table = _ward_table()
    text = str(value).strip()
    if text in set(table["ward_id"]):
        return text
    wanted = _fold(text)
    full = table[table["ward"].map(_fold) == wanted]
    if len(full) == 1:
        return str(full["ward_id"].iloc[0])

    def short(name: str) -> str:
        folded = _fold(name)
        for prefix in _WARD_PREFIXES:
            if folded.startswith(prefix):
                return folded[len(prefix):]
        return folded

    wanted_short = short(text)
    hits = table[table["ward"].map(short) == wanted_short]
    if len(hits) == 1:
        return str(hits["ward_id"].iloc[0])
    if len(hits) > 1:
        options = ", ".join(f"{r.ward} ({r.ward_id}, {r.locality})" for r in hits.itertuples())
        raise _ChangeError(f"ward '{value}' is ambiguous: {options}; give the ward id or the full name", field_name)
    raise _ChangeError(f"unknown ward '{value}' (a GSO commune code or a name of the 67 wards)", field_name)


def _resolve_locality(value: Any, field_name: str) -> str:
    wanted = _fold(value)
    for code, vietnamese in datasets.LOCALITIES.items():
        if wanted in (_fold(code), _fold(vietnamese)):
            return code
    raise _ChangeError(f"unknown locality '{value}' (use Nha Trang, Ninh Hoa or Van Ninh)", field_name)


def _check_depot(scenario: Scenario, depot_id: str, field_name: str) -> None:
    known = [d.id for d in scenario.depots]
    if depot_id not in known:
        raise _ChangeError(f"unknown depot '{depot_id}' (known: {', '.join(known)})", field_name)


def _check_type(scenario: Scenario, type_id: str, field_name: str) -> VehicleType:
    for vt in scenario.vehicle_types:
        if vt.id == type_id:
            return vt
    known = ", ".join(vt.id for vt in scenario.vehicle_types)
    raise _ChangeError(f"unknown vehicle type '{type_id}' (known: {known})", field_name)


def _clock(value: Any, field_name: str) -> int:
    if isinstance(value, bool):
        raise _ChangeError(f"'{value}' is not a time HH:MM", field_name)
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return parse_hhmm(str(value))
    except ValueError as exc:
        raise _ChangeError(str(exc), field_name) from None


def _replace(scenario: Scenario, **changes: Any) -> Scenario:
    """``dataclasses.replace`` that forgets the spreadsheet rows of a loaded folder (they no longer line up)."""
    if any(f.name == "source_rows" for f in dataclasses.fields(scenario)):
        changes.setdefault("source_rows", {})
    return dataclasses.replace(scenario, **changes)


# --------------------------------------------------------------------------------------------------
# Drop points made explicit
# --------------------------------------------------------------------------------------------------

_TRUCK_NETWORK = None
_POINTS_CACHE: dict[tuple, tuple] = {}


def _truck_network():
    """The shipped truck network without closures (loaded once per process)."""
    global _TRUCK_NETWORK
    if _TRUCK_NETWORK is None:
        from optimizer.network import load_network

        _TRUCK_NETWORK = load_network(profile="truck")
    return _TRUCK_NETWORK


def materialise(scenario: Scenario) -> Scenario:
    """The scenario with its drop points explicit (generated from the census on the truck network if needed).

    The points are those :func:`optimizer.plan.run_plan` would generate for the scenario (closures do not
    move drop points), so a materialised scenario plans the same day.
    """
    if scenario.demand_points is not None:
        return scenario
    key = (scenario.settings, scenario.time, scenario.zones)
    points = _POINTS_CACHE.get(key)
    if points is None:
        points = tuple(scenario.drop_points(_truck_network()))
        if len(_POINTS_CACHE) > 16:
            _POINTS_CACHE.clear()
        _POINTS_CACHE[key] = points
    return _replace(scenario, demand_points=points)


# --------------------------------------------------------------------------------------------------
# Changes
# --------------------------------------------------------------------------------------------------


class Change:
    """One edit of a scenario. ``apply`` returns the new scenario and plan options; ``describe`` says what."""

    #: Key of the change in a variant TOML file.
    key: ClassVar[str] = ""

    def apply(self, scenario: Scenario, options: PlanOptions) -> tuple[Scenario, PlanOptions]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class CloseDepot(Change):
    """A depot closes for the day (e.g. staff infected): its stock is 0, it serves nothing, its vehicles stay home.

    Recorded both in the scenario (stock 0) and in :attr:`PlanOptions.close_depots` (the assignment closes it
    and the plan leaves its vehicles out).
    """

    depot_id: str
    key: ClassVar[str] = "close_depots"

    def apply(self, scenario, options):
        _check_depot(scenario, self.depot_id, self.key)
        depots = tuple(dataclasses.replace(d, stock_kg={c: 0.0 for c in d.stock_kg}) if d.id == self.depot_id else d
                       for d in scenario.depots)
        closed = tuple(dict.fromkeys([*options.close_depots, self.depot_id]))
        return _replace(scenario, depots=depots), dataclasses.replace(options, close_depots=closed)

    def describe(self):
        return f"close depot {self.depot_id}"


@dataclass(frozen=True)
class CutStock(Change):
    """A depot's stock is cut: multiplied by ``factor``, or reduced by ``cut_kg`` (never below 0).

    ``commodity`` limits the cut to one commodity; otherwise ``factor`` applies to each commodity and
    ``cut_kg`` is taken from the commodities in proportion to their stock.
    """

    depot_id: str
    factor: float | None = None
    cut_kg: float | None = None
    commodity: str | None = None
    key: ClassVar[str] = "cut_stock"

    def apply(self, scenario, options):
        _check_depot(scenario, self.depot_id, self.key)
        if (self.factor is None) == (self.cut_kg is None):
            raise _ChangeError("give either factor or kg", self.key)
        if self.factor is not None and not (math.isfinite(self.factor) and self.factor >= 0):
            raise _ChangeError(f"factor must be 0 or more, got {self.factor}", f"{self.key}.factor")
        if self.cut_kg is not None and not (math.isfinite(self.cut_kg) and self.cut_kg >= 0):
            raise _ChangeError(f"kg must be 0 or more, got {self.cut_kg}", f"{self.key}.kg")
        depot = scenario.depot(self.depot_id)
        if self.commodity is not None and self.commodity not in depot.stock_kg:
            raise _ChangeError(f"depot {self.depot_id} has no commodity '{self.commodity}' "
                               f"(it has {', '.join(depot.stock_kg)})", f"{self.key}.commodity")
        names = [self.commodity] if self.commodity else list(depot.stock_kg)
        stock = dict(depot.stock_kg)
        if self.factor is not None:
            for c in names:
                stock[c] = stock[c] * self.factor
        else:
            total = math.fsum(stock[c] for c in names)
            for c in names:
                share = stock[c] / total if total > 0 else 0.0
                stock[c] = max(0.0, stock[c] - self.cut_kg * share)
        depots = tuple(dataclasses.replace(d, stock_kg=stock) if d.id == self.depot_id else d for d in scenario.depots)
        return _replace(scenario, depots=depots), options

    def describe(self):
        what = f"×{self.factor:g}" if self.factor is not None else f"−{self.cut_kg:,.0f} kg"
        return f"stock of {self.depot_id}{' ' + self.commodity if self.commodity else ''} {what}"


@dataclass(frozen=True)
class CloseRoad(Change):
    """A road is blocked: by name (or ref), by OSM way id, or every road crossing a polygon (a checkpoint, a
    new lockdown zone). Adds a :class:`~optimizer.network.Closure` to the scenario.

    Use the class methods :meth:`name`, :meth:`osm_id`, :meth:`polygon` and :meth:`bbox`.
    """

    closure: Closure
    key: ClassVar[str] = "close_roads"

    @classmethod
    def by_name(cls, name: str, *, profiles: Sequence[str] = (), label: str = "") -> CloseRoad:
        return cls(Closure("name", str(name), tuple(profiles), label))

    @classmethod
    def by_osm_id(cls, osm_id: int, *, profiles: Sequence[str] = (), label: str = "") -> CloseRoad:
        return cls(Closure("osm_id", int(osm_id), tuple(profiles), label))

    @classmethod
    def by_polygon(cls, polygon, *, profiles: Sequence[str] = (), label: str = "") -> CloseRoad:
        """``polygon``: a shapely (Multi)Polygon in EPSG:4326, or a list of ``(lon, lat)`` corners."""
        import shapely

        if not hasattr(polygon, "geom_type"):
            polygon = shapely.Polygon([(float(x), float(y)) for x, y in polygon])
        return cls(Closure("polygon", polygon, tuple(profiles), label))

    @classmethod
    def by_bbox(cls, min_lon: float, min_lat: float, max_lon: float, max_lat: float, *,
                profiles: Sequence[str] = (), label: str = "") -> CloseRoad:
        import shapely

        return cls(Closure("polygon", shapely.box(min_lon, min_lat, max_lon, max_lat), tuple(profiles), label))

    def apply(self, scenario, options):
        closure = self.closure
        if closure.kind not in ("name", "osm_id", "polygon"):
            raise _ChangeError(f"unknown closure kind '{closure.kind}' (use name, osm_id or polygon)", self.key)
        if closure.kind == "polygon":
            geom = closure.value
            if getattr(geom, "geom_type", None) not in ("Polygon", "MultiPolygon") or geom.is_empty:
                raise _ChangeError("a closure polygon must be a non-empty Polygon or MultiPolygon", self.key)
        bad = [p for p in closure.profiles if p not in VEHICLE_PROFILES]
        if bad:
            raise _ChangeError(f"unknown profile(s) {', '.join(bad)} (use {', '.join(VEHICLE_PROFILES)})",
                               f"{self.key}.profiles")
        return _replace(scenario, closures=(*scenario.closures, closure)), options

    def describe(self):
        return f"close {self.closure.describe()}"


@dataclass(frozen=True)
class Regrade(Change):
    """A ward's zone colour changes (green, yellow, orange, red), and with it the delivery priority.

    ``forbidden_profiles=None`` applies the embedded day's rule: a red (sealed) ward forbids motorbikes,
    other grades forbid nothing. Explicit drop points of the ward get the new priority.
    """

    ward: str
    grade: str
    forbidden_profiles: tuple[str, ...] | None = None
    key: ClassVar[str] = "regrade"

    def apply(self, scenario, options):
        ward_id = _resolve_ward(self.ward, f"{self.key}.ward")
        if self.grade not in GRADES:
            raise _ChangeError(f"unknown grade '{self.grade}' (use {', '.join(GRADES)})", f"{self.key}.grade")
        forbidden = self.forbidden_profiles
        if forbidden is None:
            forbidden = RED_FORBIDDEN if self.grade == "red" else ()
        bad = [p for p in forbidden if p not in VEHICLE_PROFILES]
        if bad:
            raise _ChangeError(f"unknown profile(s) {', '.join(bad)}", f"{self.key}.forbidden_profiles")
        old = scenario.zone(ward_id)
        new = Zone(ward_id=ward_id, grade=self.grade, forbidden_profiles=tuple(forbidden), ward_name=old.ward_name)
        zones = list(scenario.zones)
        index = next((i for i, z in enumerate(zones) if z.ward_id == ward_id), None)
        if index is None:
            zones.append(new)
        else:
            zones[index] = new
        points = scenario.demand_points
        if points is not None:
            points = tuple(dataclasses.replace(p, priority=new.priority) if p.ward_id == ward_id else p for p in points)
        return _replace(scenario, zones=tuple(zones), demand_points=points), options

    def describe(self):
        return f"ward {self.ward} → {self.grade}"


@dataclass(frozen=True)
class ScaleDemand(Change):
    """Demand of a ward, a locality, or everywhere (neither given) × ``factor`` (1.5 = +50 %).

    The drop points are made explicit first (:func:`materialise`) and their kilograms scaled, so the points
    stay where they were and only their demand changes.
    """

    factor: float
    ward: str | None = None
    locality: str | None = None
    key: ClassVar[str] = "scale_demand"

    def apply(self, scenario, options):
        if not (isinstance(self.factor, (int, float)) and math.isfinite(self.factor) and self.factor >= 0):
            raise _ChangeError(f"factor must be 0 or more, got {self.factor!r}", f"{self.key}.factor")
        if self.ward is not None and self.locality is not None:
            raise _ChangeError("give a ward or a locality, not both", self.key)
        wanted = None
        if self.ward is not None:
            wanted = ("ward_id", _resolve_ward(self.ward, f"{self.key}.ward"))
        elif self.locality is not None:
            wanted = ("locality", _resolve_locality(self.locality, f"{self.key}.locality"))
        scenario = materialise(scenario)
        factor = float(self.factor)
        points = tuple(
            dataclasses.replace(p, demand_kg={c: kg * factor for c, kg in p.demand_kg.items()})
            if wanted is None or getattr(p, wanted[0]) == wanted[1] else p
            for p in scenario.demand_points
        )
        return _replace(scenario, demand_points=points), options

    def describe(self):
        where = self.ward or self.locality or "all wards"
        return f"demand {where} ×{self.factor:g}"


@dataclass(frozen=True)
class SetFleet(Change):
    """Vehicles of one type removed or added: set ``count``, or change it by ``delta`` (never below 0)."""

    type_id: str
    count: int | None = None
    delta: int | None = None
    key: ClassVar[str] = "fleet"

    def apply(self, scenario, options):
        vt = _check_type(scenario, self.type_id, f"{self.key}.type")
        if (self.count is None) == (self.delta is None):
            raise _ChangeError("give either count or add (a change of the count, negative to remove)", self.key)
        given = self.count if self.count is not None else self.delta
        if isinstance(given, bool) or not isinstance(given, int) or (self.count is not None and self.count < 0):
            which = "count" if self.count is not None else "add"
            raise _ChangeError(f"{which} must be a whole number{' ≥ 0' if which == 'count' else ''}, got {given!r}",
                               f"{self.key}.{which}")
        count = self.count if self.count is not None else max(0, vt.count + self.delta)
        types = tuple(dataclasses.replace(v, count=count) if v.id == self.type_id else v
                      for v in scenario.vehicle_types)
        return _replace(scenario, vehicle_types=types), options

    def describe(self):
        if self.count is not None:
            return f"{self.type_id}: {self.count} vehicles"
        return f"{self.type_id}: {self.delta:+d} vehicles"


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


@dataclass(frozen=True)
class ScaleFleet(Change):
    """Every vehicle type's count × ``factor`` (rounded half up), or only one profile's or some types'."""

    factor: float
    profile: str | None = None
    type_ids: tuple[str, ...] = ()
    key: ClassVar[str] = "scale_fleet"

    def apply(self, scenario, options):
        if not (isinstance(self.factor, (int, float)) and math.isfinite(self.factor) and self.factor >= 0):
            raise _ChangeError(f"factor must be 0 or more, got {self.factor!r}", f"{self.key}.factor")
        if self.profile is not None and self.profile not in VEHICLE_PROFILES:
            raise _ChangeError(f"unknown profile '{self.profile}'", f"{self.key}.profile")
        for type_id in self.type_ids:
            _check_type(scenario, type_id, f"{self.key}.types")

        def scaled(vt: VehicleType) -> bool:
            return ((self.profile is None or vt.profile == self.profile)
                    and (not self.type_ids or vt.id in self.type_ids))

        types = tuple(dataclasses.replace(vt, count=_round_half_up(vt.count * self.factor)) if scaled(vt) else vt
                      for vt in scenario.vehicle_types)
        return _replace(scenario, vehicle_types=types), options

    def describe(self):
        which = self.profile or (", ".join(self.type_ids) if self.type_ids else "all vehicles")
        return f"fleet ({which}) ×{self.factor:g}"


@dataclass(frozen=True)
class AddVehicles(Change):
    """A new vehicle type (e.g. army trucks lent for the day). ``vehicle_type`` is a complete
    :class:`~optimizer.scenario.VehicleType`; :meth:`like` copies an existing type's figures."""

    vehicle_type: VehicleType
    key: ClassVar[str] = "add_vehicles"

    @classmethod
    def like(cls, scenario: Scenario, template: str, *, id: str, count: int, home_depot: str | None = None,
             **overrides: Any) -> AddVehicles:
        try:
            base = _check_type(scenario, template, f"{cls.key}.like")
        except _ChangeError as exc:
            raise InputError(str(exc), field=exc.field) from None
        fields = {"id": id, "count": count, "name": overrides.pop("name", f"{base.name} (+{count})")}
        if home_depot is not None:
            fields["home_depot"] = home_depot
        return cls(dataclasses.replace(base, **fields, **overrides))

    def apply(self, scenario, options):
        vt = self.vehicle_type
        if any(v.id == vt.id for v in scenario.vehicle_types):
            raise _ChangeError(f"vehicle type '{vt.id}' already exists (use fleet to change its count)",
                               f"{self.key}.id")
        _check_depot(scenario, vt.home_depot, f"{self.key}.home_depot")
        if vt.profile not in VEHICLE_PROFILES:
            raise _ChangeError(f"unknown profile '{vt.profile}'", f"{self.key}.profile")
        if not (math.isfinite(vt.capacity_kg) and vt.capacity_kg > 0):
            raise _ChangeError(f"capacity must be greater than 0 kg, got {vt.capacity_kg}", f"{self.key}.capacity_kg")
        if vt.count < 0:
            raise _ChangeError(f"count must be 0 or more, got {vt.count}", f"{self.key}.count")
        return _replace(scenario, vehicle_types=(*scenario.vehicle_types, vt)), options

    def describe(self):
        vt = self.vehicle_type
        return f"add {vt.count} × {vt.id} ({vt.capacity_kg:,.0f} kg, {vt.profile}) at {vt.home_depot}"


def _clip_to_curfew(start: int, end: int, time: TimeSettings) -> tuple[int, int]:
    for a, b in time.curfew_intervals():
        if a <= start < b:
            start = b
        if a < end <= b:
            end = a
    return start, end


@dataclass(frozen=True)
class SetTime(Change):
    """Curfew, operating window or shift hours change (seconds since midnight, or ``HH:MM`` in TOML).

    ``shift_start``/``shift_end`` apply to every vehicle type (or the listed ``type_ids``). After the change
    the operating window and every shift are clipped to lie outside the curfew (a 17:00 curfew ends a
    06:00–17:30 shift at 17:00); explicit drop points whose window was the old operating window get the new
    one.
    """

    curfew_start_s: int | None = None
    curfew_end_s: int | None = None
    operating_start_s: int | None = None
    operating_end_s: int | None = None
    shift_start_s: int | None = None
    shift_end_s: int | None = None
    type_ids: tuple[str, ...] = ()
    key: ClassVar[str] = "time"

    def apply(self, scenario, options):
        old = scenario.time
        updates = {k: getattr(self, k) for k in ("curfew_start_s", "curfew_end_s", "operating_start_s",
                                                  "operating_end_s") if getattr(self, k) is not None}
        for k, v in updates.items():
            if not 0 <= v <= 86_400:
                raise _ChangeError(f"{format_hhmm(v)} is not a time of day", f"{self.key}.{k[:-2]}")
        time = dataclasses.replace(old, **updates)
        start, end = _clip_to_curfew(time.operating_start_s, time.operating_end_s, time)
        if end <= start:
            raise _ChangeError(f"the operating window {format_hhmm(time.operating_start_s)}–"
                               f"{format_hhmm(time.operating_end_s)} lies within the curfew", self.key)
        time = dataclasses.replace(time, operating_start_s=start, operating_end_s=end)
        for type_id in self.type_ids:
            _check_type(scenario, type_id, f"{self.key}.types")
        types = []
        for vt in scenario.vehicle_types:
            s, e = vt.shift_start_s, vt.shift_end_s
            if not self.type_ids or vt.id in self.type_ids:
                s = self.shift_start_s if self.shift_start_s is not None else s
                e = self.shift_end_s if self.shift_end_s is not None else e
            s, e = _clip_to_curfew(s, e, time)
            if e <= s:
                raise _ChangeError(f"the shift of {vt.id} ({format_hhmm(s)}–{format_hhmm(e)}) lies within the curfew "
                                   "or ends before it starts", self.key)
            types.append(dataclasses.replace(vt, shift_start_s=s, shift_end_s=e))
        points = scenario.demand_points
        if points is not None:
            points = tuple(
                dataclasses.replace(p, tw_start_s=time.operating_start_s, tw_end_s=time.operating_end_s)
                if (p.tw_start_s, p.tw_end_s) == (old.operating_start_s, old.operating_end_s) else p
                for p in points
            )
        return _replace(scenario, time=time, vehicle_types=tuple(types), demand_points=points), options

    def describe(self):
        parts = []
        if self.curfew_start_s is not None or self.curfew_end_s is not None:
            parts.append("curfew " + "–".join(format_hhmm(v) if v is not None else "…"
                                              for v in (self.curfew_start_s, self.curfew_end_s)))
        if self.operating_start_s is not None or self.operating_end_s is not None:
            parts.append("operating " + "–".join(format_hhmm(v) if v is not None else "…"
                                                 for v in (self.operating_start_s, self.operating_end_s)))
        if self.shift_start_s is not None or self.shift_end_s is not None:
            parts.append("shifts " + "–".join(format_hhmm(v) if v is not None else "…"
                                              for v in (self.shift_start_s, self.shift_end_s)))
        return ", ".join(parts) or "time unchanged"


_RATION_FIELDS = tuple(f.name for f in dataclasses.fields(RationSettings))


@dataclass(frozen=True)
class SetRation(Change):
    """The relief norm changes (``settings.ration``: kg of rice per person a month, food bag per household a
    week, coverage share). Explicit drop points are rescaled per commodity by the same ratio."""

    rice_kg_per_person_month: float | None = None
    days_per_month: float | None = None
    food_bag_kg_per_household_week: float | None = None
    coverage_share: float | None = None
    key: ClassVar[str] = "ration"

    def apply(self, scenario, options):
        old = scenario.settings.ration
        updates = {k: float(getattr(self, k)) for k in _RATION_FIELDS if getattr(self, k) is not None}
        for k, v in updates.items():
            if not math.isfinite(v) or v < 0 or (k == "days_per_month" and v == 0) or (k == "coverage_share" and v > 1):
                raise _ChangeError(f"bad value {v:g}", f"{self.key}.{k}")
        new = dataclasses.replace(old, **updates)
        settings = dataclasses.replace(scenario.settings, ration=new)
        points = scenario.demand_points
        if points is not None:
            old_rice = old.rice_kg_per_person_day * old.coverage_share
            old_bag = old.food_bag_kg_per_household_day * old.coverage_share
            if old_rice <= 0 or old_bag <= 0:
                raise _ChangeError("the base ration is 0: explicit drop points cannot be rescaled", self.key)
            ratio = {"rice": new.rice_kg_per_person_day * new.coverage_share / old_rice,
                     "food_bag": new.food_bag_kg_per_household_day * new.coverage_share / old_bag}
            points = tuple(
                dataclasses.replace(p, demand_kg={c: kg * ratio.get(c, 1.0) for c, kg in p.demand_kg.items()})
                for p in points
            )
        return _replace(scenario, settings=settings, demand_points=points), options

    def describe(self):
        return "ration " + ", ".join(f"{k}={getattr(self, k):g}" for k in _RATION_FIELDS
                                     if getattr(self, k) is not None)


@dataclass(frozen=True)
class Restrict(Change):
    """Plan part of the day only: the drop points of some localities and/or wards, the depots listed (default:
    the depots in those localities, or all) and the vehicles based at them. For focused studies and fast
    tests."""

    localities: tuple[str, ...] = ()
    wards: tuple[str, ...] = ()
    depots: tuple[str, ...] | None = None
    key: ClassVar[str] = "restrict"

    def apply(self, scenario, options):
        localities = {_resolve_locality(x, f"{self.key}.localities") for x in self.localities}
        wards = {_resolve_ward(x, f"{self.key}.wards") for x in self.wards}
        for depot_id in self.depots or ():
            _check_depot(scenario, depot_id, f"{self.key}.depots")
        scenario = materialise(scenario)
        if localities or wards:
            points = tuple(p for p in scenario.demand_points if p.locality in localities or p.ward_id in wards)
            if not points:
                raise _ChangeError("no drop point is left", self.key)
        else:
            points = scenario.demand_points
        if self.depots is not None:
            keep = set(self.depots)
        elif localities:
            keep = {d.id for d in scenario.depots if d.locality in localities}
        else:
            keep = {d.id for d in scenario.depots}
        if not keep:
            raise _ChangeError("no depot is left (list the depots)", f"{self.key}.depots")
        depots = tuple(d for d in scenario.depots if d.id in keep)
        types = tuple(vt for vt in scenario.vehicle_types if vt.home_depot in keep)
        closed = tuple(d for d in options.close_depots if d in keep)
        return (_replace(scenario, demand_points=points, depots=depots, vehicle_types=types),
                dataclasses.replace(options, close_depots=closed))

    def describe(self):
        parts = [*self.localities, *self.wards]
        text = "only " + (", ".join(parts) if parts else "all wards")
        return text + (f" from {', '.join(self.depots)}" if self.depots is not None else "")


# --------------------------------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """A named list of changes of a base day.

    Attributes
    ----------
    name
        Shown in tables, maps and charts (unique within a comparison).
    changes
        Applied in order.
    description
        Free text.
    tags
        ``(key, value)`` pairs copied into the comparison table (sweeps set ``demand_factor``,
        ``fleet_factor``, ``closed_depot``), e.g. to pivot a grid.
    source
        The TOML file the variant came from (for error messages).
    """

    name: str
    changes: tuple[Change, ...] = ()
    description: str = ""
    tags: tuple[tuple[str, Any], ...] = ()
    source: str | None = None
    index: int | None = None

    def apply(self, base: Scenario, options: PlanOptions | None = None) -> tuple[Scenario, PlanOptions]:
        """The variant's scenario (named ``<base name> — <variant name>``) and the options to plan it with.

        Raises
        ------
        InputError
            A change that does not fit the base (unknown depot, ward, vehicle type, ...), naming the file, the
            variant and the field.
        """
        options = options or PlanOptions()
        scenario = base
        for change in self.changes:
            try:
                scenario, options = change.apply(scenario, options)
            except _ChangeError as exc:
                raise InputError(Problem(f"{self._where()}: {exc}", self.source, None, exc.field)) from None
        if self.changes:
            scenario = _replace(scenario, name=f"{base.name} — {self.name}",
                                description=(self.description or "; ".join(c.describe() for c in self.changes)))
        return scenario, options

    def _where(self) -> str:
        return f"variant '{self.name}'" + (f" (#{self.index})" if self.index is not None else "")

    def describe(self) -> str:
        return "; ".join(c.describe() for c in self.changes) or "unchanged"

    @property
    def tag_dict(self) -> dict[str, Any]:
        return dict(self.tags)


def derive(base: Scenario, *changes: Change, name: str | None = None) -> Scenario:
    """A scenario derived from ``base`` by ``changes`` (e.g. a reduced base day for a sweep).

    Depot closures need the plan options too: use :meth:`Variant.apply` for them.
    """
    if any(isinstance(c, CloseDepot) for c in changes):
        raise ValueError("a depot closure needs the plan options: use Variant(...).apply(base, options)")
    scenario, _ = Variant(name or "derived", tuple(changes)).apply(base)
    if name is not None:
        scenario = _replace(scenario, name=name)
    return scenario


# --------------------------------------------------------------------------------------------------
# TOML variant files
# --------------------------------------------------------------------------------------------------

_VARIANT_KEYS = ("name", "description", "close_depots", "cut_stock", "close_roads", "regrade", "scale_demand",
                 "fleet", "scale_fleet", "add_vehicles", "time", "ration", "restrict")
#: Order in which a variant's TOML keys are applied (whatever their order in the file).
_APPLY_ORDER = ("restrict", "ration", "time", "regrade", "scale_demand", "close_depots", "cut_stock", "fleet",
                "scale_fleet", "add_vehicles", "close_roads")


class _Reader:
    """Reads one ``[[variant]]`` table, collecting problems that name the file, the variant and the field."""

    def __init__(self, file: str, index: int, name: str, folder: Path, problems: list[Problem]):
        self.file, self.index, self.name, self.folder, self.problems = file, index, name, folder, problems

    def bad(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(f"variant '{self.name}' (#{self.index}): {message}", self.file, None, field_name))

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

    def tables(self, value: Any, field_name: str, allowed: Sequence[str], required: Sequence[str] = ()) -> list[dict]:
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            name = f"{field_name}[{i}]" if isinstance(value, list) else field_name
            table = self.table(item, name, allowed, required)
            if table is not None:
                out.append(table)
        return out

    def number(self, value: Any, field_name: str, *, integer: bool = False) -> float | int | None:
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
        try:
            return parse_hhmm(str(value)) if not isinstance(value, bool) else parse_hhmm("x")
        except ValueError:
            self.bad(field_name, f"'{value}' is not a time HH:MM")
            return None


def _polygon_closure(reader: _Reader, spec: dict, field_name: str, profiles: tuple, label: str) -> list[Change]:
    import shapely

    value = spec["polygon"]
    if isinstance(value, str):
        path = Path(value)
        if not path.is_absolute():
            path = reader.folder / path
        try:
            from optimizer.network import closures_from_geojson

            closures = closures_from_geojson(path, profiles=profiles)
        except InputError as exc:
            reader.bad(f"{field_name}.polygon", f"{value}: {exc}")
            return []
        return [CloseRoad(dataclasses.replace(c, label=label or c.label or f"{path.stem}")) for c in closures]
    try:
        coords = [(float(x), float(y)) for x, y in value]
        polygon = shapely.Polygon(coords)
        if not polygon.is_valid or polygon.area <= 0:
            raise ValueError
    except (TypeError, ValueError):
        reader.bad(f"{field_name}.polygon", "expected a GeoJSON file name or a list of [lon, lat] corners")
        return []
    return [CloseRoad(Closure("polygon", polygon, profiles, label))]


def _parse_variant(raw: Any, file: str, folder: Path, index: int, problems: list[Problem]) -> Variant | None:
    if not isinstance(raw, dict):
        problems.append(Problem(f"variant #{index}: expected a table", file, None, "variant"))
        return None
    name = raw.get("name")
    reader = _Reader(file, index, str(name) if name is not None else f"#{index}", folder, problems)
    if not isinstance(name, str) or not name.strip():
        reader.bad("name", "every variant needs a name")
        name = f"#{index}"
    before = len(problems)
    for key in raw:
        if key not in _VARIANT_KEYS:
            reader.bad(key, f"unknown key '{key}' (known: {', '.join(_VARIANT_KEYS)})")
    changes: dict[str, list[Change]] = {k: [] for k in _APPLY_ORDER}
    for key in _APPLY_ORDER:
        if key not in raw:
            continue
        value = raw[key]
        if key == "close_depots":
            changes[key] += [CloseDepot(d) for d in reader.strings(value, key)]
        elif key == "cut_stock":
            for i, spec in enumerate(reader.tables(value, key, ("depot", "factor", "kg", "commodity"), ("depot",))):
                f = f"{key}[{i}]"
                factor = reader.number(spec["factor"], f"{f}.factor") if "factor" in spec else None
                kg = reader.number(spec["kg"], f"{f}.kg") if "kg" in spec else None
                if ("factor" in spec) == ("kg" in spec):
                    reader.bad(f, "give either factor or kg")
                    continue
                changes[key].append(CutStock(str(spec["depot"]), factor=factor, cut_kg=kg,
                                             commodity=spec.get("commodity")))
        elif key == "close_roads":
            for i, spec in enumerate(reader.tables(value, key, ("name", "osm_id", "polygon", "bbox", "profiles",
                                                                "label"))):
                f = f"{key}[{i}]" if isinstance(value, list) else key
                kinds = [k for k in ("name", "osm_id", "polygon", "bbox") if k in spec]
                if len(kinds) != 1:
                    reader.bad(f, "give exactly one of name, osm_id, polygon, bbox")
                    continue
                profiles = tuple(reader.strings(spec.get("profiles", []), f"{f}.profiles"))
                for p in profiles:
                    if p not in VEHICLE_PROFILES:
                        reader.bad(f"{f}.profiles", f"unknown profile '{p}' (use {', '.join(VEHICLE_PROFILES)})")
                label = str(spec.get("label", ""))
                if "name" in spec:
                    text = reader.text(spec["name"], f"{f}.name")
                    if text is not None:
                        changes[key].append(CloseRoad.by_name(text, profiles=profiles, label=label))
                elif "osm_id" in spec:
                    osm_id = reader.number(spec["osm_id"], f"{f}.osm_id", integer=True)
                    if osm_id is not None:
                        changes[key].append(CloseRoad.by_osm_id(osm_id, profiles=profiles, label=label))
                elif "bbox" in spec:
                    box = spec["bbox"]
                    if (not isinstance(box, list) or len(box) != 4
                            or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in box)
                            or not (box[0] < box[2] and box[1] < box[3])):
                        reader.bad(f"{f}.bbox", "expected [min_lon, min_lat, max_lon, max_lat]")
                        continue
                    changes[key].append(CloseRoad.by_bbox(*map(float, box), profiles=profiles, label=label))
                else:
                    changes[key] += _polygon_closure(reader, spec, f, profiles, label)
        elif key == "regrade":
            for i, spec in enumerate(reader.tables(value, key, ("ward", "grade", "forbidden_profiles"),
                                                   ("ward", "grade"))):
                f = f"{key}[{i}]" if isinstance(value, list) else key
                forbidden = spec.get("forbidden_profiles")
                if forbidden is not None:
                    forbidden = tuple(reader.strings(forbidden, f"{f}.forbidden_profiles"))
                if spec["grade"] not in GRADES:
                    reader.bad(f"{f}.grade", f"unknown grade '{spec['grade']}' (use {', '.join(GRADES)})")
                    continue
                changes[key].append(Regrade(str(spec["ward"]), spec["grade"], forbidden))
        elif key == "scale_demand":
            for i, spec in enumerate(reader.tables(value, key, ("ward", "locality", "factor"), ("factor",))):
                f = f"{key}[{i}]" if isinstance(value, list) else key
                factor = reader.number(spec["factor"], f"{f}.factor")
                if factor is None:
                    continue
                if "ward" in spec and "locality" in spec:
                    reader.bad(f, "give a ward or a locality, not both")
                    continue
                changes[key].append(ScaleDemand(float(factor), ward=spec.get("ward"), locality=spec.get("locality")))
        elif key == "fleet":
            for i, spec in enumerate(reader.tables(value, key, ("type", "count", "add"), ("type",))):
                f = f"{key}[{i}]" if isinstance(value, list) else key
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
                changes[key].append(SetFleet(str(spec["type"]), count=number if which == "count" else None,
                                             delta=number if which == "add" else None))
        elif key == "scale_fleet":
            specs = [{"factor": value}] if isinstance(value, (int, float)) and not isinstance(value, bool) else \
                reader.tables(value, key, ("factor", "profile", "types"), ("factor",))
            for spec in specs:
                factor = reader.number(spec["factor"], f"{key}.factor")
                if factor is not None:
                    changes[key].append(ScaleFleet(float(factor), profile=spec.get("profile"),
                                                   type_ids=tuple(reader.strings(spec.get("types", []),
                                                                                 f"{key}.types"))))
        elif key == "add_vehicles":
            allowed = ("id", "like", "name", "profile", "capacity_kg", "count", "home_depot", "shift_start",
                       "shift_end", "max_trips", "max_duration_h", "cost_per_km_vnd", "cost_per_hour_vnd",
                       "fixed_cost_vnd")
            for i, spec in enumerate(reader.tables(value, key, allowed, ("id", "count"))):
                f = f"{key}[{i}]" if isinstance(value, list) else key
                changes[key].append(_AddVehiclesSpec(spec=tuple(spec.items()), field=f))
        elif key == "time":
            spec = reader.table(value, key, ("curfew_start", "curfew_end", "operating_start", "operating_end",
                                             "shift_start", "shift_end", "types"))
            if spec is not None:
                times = {k: reader.clock(v, f"{key}.{k}") for k, v in spec.items() if k != "types"}
                if None not in times.values():
                    changes[key].append(SetTime(**{f"{k}_s": v for k, v in times.items()},
                                                type_ids=tuple(reader.strings(spec.get("types", []), f"{key}.types"))))
        elif key == "ration":
            spec = reader.table(value, key, _RATION_FIELDS)
            if spec is not None:
                numbers = {k: reader.number(v, f"{key}.{k}") for k, v in spec.items()}
                if None not in numbers.values():
                    changes[key].append(SetRation(**numbers))
        elif key == "restrict":
            spec = reader.table(value, key, ("localities", "wards", "depots"))
            if spec is not None:
                depots = spec.get("depots")
                changes[key].append(Restrict(
                    localities=tuple(reader.strings(spec.get("localities", []), f"{key}.localities")),
                    wards=tuple(reader.strings(spec.get("wards", []), f"{key}.wards")),
                    depots=None if depots is None else tuple(reader.strings(depots, f"{key}.depots")),
                ))
    description = raw.get("description", "")
    if not isinstance(description, str):
        reader.bad("description", "expected text")
    if len(problems) > before:
        return None
    return Variant(name=name.strip(), changes=tuple(c for k in _APPLY_ORDER for c in changes[k]),
                   description=description, source=file, index=index)


@dataclass(frozen=True)
class _AddVehiclesSpec(Change):
    """``add_vehicles`` from TOML: resolved against the base when applied (``like`` copies a type)."""

    spec: tuple[tuple[str, Any], ...]
    field: str
    key: ClassVar[str] = "add_vehicles"

    def _vehicle_type(self, scenario: Scenario) -> VehicleType:
        spec = dict(self.spec)
        f = self.field
        if "like" in spec:
            template = _check_type(scenario, str(spec["like"]), f"{f}.like")
        else:
            missing = [k for k in ("capacity_kg", "home_depot") if k not in spec]
            if missing:
                raise _ChangeError(f"give 'like' (an existing type to copy) or {', '.join(missing)}", f)
            time = scenario.time
            template = VehicleType(id="", name="", profile="truck", capacity_kg=1.0, count=0, home_depot="",
                                   shift_start_s=time.operating_start_s, shift_end_s=time.operating_end_s)
        values: dict[str, Any] = {"id": str(spec["id"]), "name": str(spec.get("name", spec["id"]))}
        numbers = {"capacity_kg": float, "count": int, "max_trips": int, "cost_per_km_vnd": float,
                   "cost_per_hour_vnd": float, "fixed_cost_vnd": float}
        for k, kind in numbers.items():
            if k in spec:
                v = spec[k]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or (kind is int and not isinstance(v, int)):
                    raise _ChangeError(f"expected {'a whole number' if kind is int else 'a number'}, got {v!r}",
                                       f"{f}.{k}")
                values[k] = kind(v)
        if "max_duration_h" in spec:
            values["max_duration_s"] = int(round(float(spec["max_duration_h"]) * 3600))
        for k in ("shift_start", "shift_end"):
            if k in spec:
                values[f"{k}_s"] = _clock(spec[k], f"{f}.{k}")
        if "profile" in spec:
            values["profile"] = str(spec["profile"])
        if "home_depot" in spec:
            values["home_depot"] = str(spec["home_depot"])
        return dataclasses.replace(template, **values)

    def apply(self, scenario, options):
        vt = self._vehicle_type(scenario)
        try:
            return AddVehicles(vt).apply(scenario, options)
        except _ChangeError as exc:
            raise _ChangeError(str(exc), exc.field.replace(AddVehicles.key, self.field, 1)) from None

    def describe(self):
        spec = dict(self.spec)
        return f"add {spec.get('count')} × {spec.get('id')}" + (f" like {spec['like']}" if "like" in spec else "")


def parse_variants(text: str, *, file: str | Path = "<variants>", folder: str | Path | None = None) -> list[Variant]:
    """Variants from TOML text (see the module docstring); ``folder`` resolves relative polygon files."""
    file = str(file)
    folder = Path(folder) if folder is not None else Path(file).parent
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=file) from None
    problems: list[Problem] = []
    for key in raw:
        if key != "variant":
            problems.append(Problem(f"unknown top-level key '{key}' (write each variant as [[variant]])", file, None,
                                    key))
    items = raw.get("variant", [])
    if not isinstance(items, list):
        problems.append(Problem("write each variant as [[variant]]", file, None, "variant"))
        items = []
    if not items and not problems:
        problems.append(Problem("no [[variant]] in the file", file, None, "variant"))
    variants = [_parse_variant(item, file, folder, i, problems) for i, item in enumerate(items, start=1)]
    names = [v.name for v in variants if v is not None]
    for name in {n for n in names if names.count(n) > 1 or n == BASE}:
        problems.append(Problem(f"variant name '{name}' is used twice or is reserved ('{BASE}' is the base day)", file,
                                None, "name"))
    if problems:
        raise InputError(problems)
    return [v for v in variants if v is not None]


def load_variants(path: str | Path, *, base: Scenario | None = None) -> list[Variant]:
    """Read a variant TOML file; with ``base``, also check every change against it (ids, wards, roads).

    Raises
    ------
    InputError
        Naming the file, the variant and the field of every problem found.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("variant file not found", file=path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=path) from None
    variants = parse_variants(text, file=path, folder=path.parent)
    if base is not None:
        check_variants(base, variants)
    return variants


def check_variants(base: Scenario, variants: Sequence[Variant], options: PlanOptions | None = None
                   ) -> list[tuple[Scenario, PlanOptions]]:
    """Apply every variant to ``base`` and check its road closures against the networks; every problem of every
    variant is reported together. Returns the applied ``(scenario, options)`` pairs."""
    problems: list[Problem] = []
    applied = []
    for variant in variants:
        try:
            pair = variant.apply(base, options)
            _check_closures(variant, pair[0])
            applied.append(pair)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return applied


_NETWORKS: dict[str, Any] = {}


def _check_closures(variant: Variant, scenario: Scenario) -> None:
    """Every closure must match a road of each profile network the plan will load (as run_plan does)."""
    from optimizer.network import closed_edge_mask, load_network

    profiles = sorted({v.profile for v in scenario.vehicles()} | {"truck"})
    problems = []
    for profile in profiles:
        closures = [c for c in scenario.closures if c.applies_to(profile)]
        if not closures:
            continue
        if profile not in _NETWORKS:
            _NETWORKS[profile] = _truck_network() if profile == "truck" else load_network(profile=profile)
        for closure in closures:
            try:
                closed_edge_mask(_NETWORKS[profile].edges, [closure], profile=profile)
            except InputError as exc:
                problems.append(Problem(f"{variant._where()}: {exc}", variant.source, None, CloseRoad.key))
    if problems:
        raise InputError(problems)


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------


def _single_process_worker() -> None:
    """Pool initializer: mark the worker daemonic so the matrix code computes in-process (no nested pools)."""
    process = multiprocessing.current_process()
    try:
        process.daemon = True
    except (AssertionError, AttributeError):  # pragma: no cover - not a multiprocessing child
        pass


def _plan_one(name: str, scenario: Scenario, options: PlanOptions) -> Plan:
    """Plan one variant (module level: runs in pool and Dask workers)."""
    from optimizer.plan import run_plan

    process = multiprocessing.current_process()
    if process.name != "MainProcess" and not process.daemon:
        _single_process_worker()
    try:
        return run_plan(scenario, options=options)
    except OptimizerError as exc:
        raise InputError(f"variant '{name}': {exc}") from None
    except Exception as exc:  # a fault of the planner itself: keep its traceback, say which variant
        if hasattr(exc, "add_note"):
            exc.add_note(f"(while planning the what-if variant '{name}')")
        raise


def _pool_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def _run_local(jobs: list[tuple[str, Scenario, PlanOptions]], workers: int) -> list[Plan]:
    if workers <= 1 or len(jobs) <= 1:
        return [_plan_one(*job) for job in jobs]
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=_pool_context(),
                             initializer=_single_process_worker) as pool:
        futures = [pool.submit(_plan_one, *job) for job in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _run_dask(jobs: list[tuple[str, Scenario, PlanOptions]], address: Any) -> list[Plan]:
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise OptimizerError("running on a Dask cluster needs the 'distributed' package "
                             "(pip install 'dask[distributed]')") from exc
    import uuid

    if isinstance(address, Client):
        client, own = address, False
    else:
        address = getattr(address, "scheduler_address", address)
        try:
            client, own = Client(address, timeout="20s"), True
        except OSError as exc:
            raise OptimizerError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        run = uuid.uuid4().hex[:8]
        futures = [client.submit(_plan_one, *job, key=f"whatif-{run}-{i}", pure=False)
                   for i, job in enumerate(jobs)]
        return client.gather(futures)
    finally:
        if own:
            client.close()


def run_variants(
    base: Scenario,
    variants: Sequence[Variant],
    *,
    options: PlanOptions | None = None,
    workers: int | None = None,
    dask_address: Any = None,
    include_base: bool = True,
) -> Comparison:
    """Plan the base day and every variant, in parallel, and compare them.

    Parameters
    ----------
    base
        The base scenario.
    variants
        Variants of it (unique names; ``'base'`` is reserved).
    options
        Plan options for every plan (same seed and time limit). Keep the time limit high enough for the
        searches to end by their deterministic limits if plans must be reproducible across machines.
    workers
        Local processes (default: one per core, at most one per plan; 1 plans in this process). Each plan
        runs single-process inside its worker (the matrix code does not start its own pool there).
    dask_address
        A Dask scheduler address (``tcp://host:8786``), a ``distributed.Client`` or a cluster object: plans run
        on that cluster instead of local processes.
    include_base
        Plan the unchanged base day as the first row, named ``'base'``.

    Raises
    ------
    InputError
        A variant that does not fit the base, before anything is planned.
    """
    options = options or PlanOptions()
    names = [v.name for v in variants]
    dupes = sorted({n for n in names if names.count(n) > 1 or (include_base and n == BASE)})
    if dupes:
        raise InputError(f"variant names must be unique and not '{BASE}': {', '.join(dupes)}", field="name")
    applied = check_variants(base, variants, options)
    jobs = ([(BASE, base, options)] if include_base else []) + [
        (v.name, scenario, opts) for v, (scenario, opts) in zip(variants, applied)]
    all_variants = ([Variant(BASE, description=base.description or "")] if include_base else []) + list(variants)
    if dask_address is not None:
        plans = _run_dask(jobs, dask_address)
    else:
        workers = workers or max(1, min(os.cpu_count() or 1, len(jobs)))
        plans = _run_local(jobs, workers)
    return Comparison(
        plans=dict(zip([j[0] for j in jobs], plans)),
        variants={v.name: v for v in all_variants},
        scenarios={j[0]: j[1] for j in jobs},
        options={j[0]: j[2] for j in jobs},
    )


# --------------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------------


def _share(delivered: float, demand: float) -> float:
    return round(delivered / demand, 4) if demand > 0 else float("nan")


def plan_figures(plan: Plan) -> dict[str, Any]:
    """One comparison row computed from a plan's frames (``hours`` and ``vehicles_available`` from its KPIs:
    loading time and the vehicles of closed depots are not in the frames)."""
    routes, stops, unserved, legs = plan.routes, plan.stops, plan.unserved, plan.legs
    demand = float(stops["demand_kg"].sum())
    delivered = float(stops["delivered_kg"].sum())
    row: dict[str, Any] = {
        "km": round(float(legs["leg_km"].sum()), 1),
        "hours": plan.kpis.get("hours", float("nan")),
        "vehicles_used": int(routes["vehicle_id"].nunique()),
        "vehicles_available": plan.kpis.get("vehicles_available"),
        "trips": int(len(routes[["vehicle_id", "trip"]].drop_duplicates())),
        "drop_points": int(len(stops)),
        "demand_kg": round(demand, 1),
        "delivered_kg": round(delivered, 1),
        "unserved_kg": round(float(unserved["quantity_kg"].sum()), 1),
        "served_share": _share(delivered, demand),
    }
    for locality in datasets.LOCALITIES:
        part = stops[stops["locality"] == locality]
        row[f"served_share:{locality}"] = _share(float(part["delivered_kg"].sum()), float(part["demand_kg"].sum()))
    for zone in GRADES:
        part = stops[stops["zone"] == zone]
        row[f"served_share:{zone}"] = _share(float(part["delivered_kg"].sum()), float(part["demand_kg"].sum()))
    reasons = unserved["reason"].astype(str).str.split(":").str[0]
    for reason, kg in unserved.groupby(reasons)["quantity_kg"].sum().items():
        row[f"unserved_kg:{reason}"] = round(float(kg), 1)
    loads = routes.groupby("depot_id")["quantity_kg"].sum()
    for depot_id in plan.depots["depot_id"]:
        row[f"load_kg:{depot_id}"] = round(float(loads.get(depot_id, 0.0)), 1)
    row["routing_stopped_by"] = plan.kpis.get("routing", {}).get("stopped_by", "")
    row["assignment_status"] = plan.kpis.get("assignment", {}).get("status", "")
    return row


def vehicle_figures(plan: Plan) -> pd.DataFrame:
    """One row per vehicle that drove: ``vehicle_id, vehicle_name, profile, depot_id, trips, stops, kg,
    capacity_kg, load_share`` (kg over capacity × trips), ``km``, ``start``/``end`` (leaves the depot the
    first time, back the last time, ``HH:MM``) and ``hours`` on the road between them."""
    routes, legs = plan.routes, plan.legs
    columns = ["vehicle_id", "vehicle_name", "profile", "depot_id", "trips", "stops", "kg", "capacity_kg",
               "load_share", "km", "start", "end", "hours"]
    if routes.empty:
        return pd.DataFrame(columns=columns)
    first = routes[routes["seq"] == 1].set_index(["vehicle_id", "trip"])
    leave = first["arrival_s"] - first["leg_min"] * 60
    last = routes.sort_values("seq").groupby(["vehicle_id", "trip"]).tail(1).set_index(["vehicle_id", "trip"])
    back_legs = legs[legs["to_id"].isin(set(plan.depots["depot_id"]))].set_index(["vehicle_id", "trip"])
    back = last["departure_s"] + back_legs["leg_min"].reindex(last.index).fillna(0.0) * 60
    per_trip = pd.DataFrame({"leave": leave, "back": back})
    grouped = routes.groupby("vehicle_id", sort=False)
    out = pd.DataFrame({
        "vehicle_name": grouped["vehicle_name"].first(),
        "profile": grouped["profile"].first(),
        "depot_id": grouped["depot_id"].first(),
        "trips": grouped["trip"].nunique(),
        "stops": grouped.size(),
        "kg": grouped["quantity_kg"].sum().round(1),
        "capacity_kg": grouped["capacity_kg"].first(),
        "km": legs.groupby("vehicle_id")["leg_km"].sum().round(1),
    })
    out["load_share"] = (out["kg"] / (out["capacity_kg"] * out["trips"])).round(3)
    span = per_trip.groupby(level="vehicle_id").agg(leave=("leave", "min"), back=("back", "max"))
    out["start"] = span["leave"].map(lambda s: format_hhmm(int(round(s / 60)) * 60))
    out["end"] = span["back"].map(lambda s: format_hhmm(int(round(s / 60)) * 60))
    out["hours"] = ((span["back"] - span["leave"]) / 3600).round(2)
    return out.reset_index(names="vehicle_id")[columns]


def travel_table(scenario: Scenario, origins: Mapping[str, tuple[float, float]],
                 destinations: Mapping[str, tuple[float, float]], *, profile: str = "truck") -> pd.DataFrame:
    """Fastest road trips between places (name → ``(lon, lat)``) on the scenario's network, closures applied:
    one row per pair with ``km`` and ``minutes`` (NaN and ``reachable=False`` when no road leads there).

    For a road closure: compare ``travel_table(base, ...)`` with ``travel_table(variant_scenario, ...)`` to
    see the detour, or that there is none.
    """
    from optimizer.network.matrix import travel_matrix
    from optimizer.network import load_network

    network = load_network(profile=profile, closures=[c for c in scenario.closures if c.applies_to(profile)])
    names = [*origins, *destinations]
    lonlat = [*origins.values(), *destinations.values()]
    snapped = network.snap([p[0] for p in lonlat], [p[1] for p in lonlat], labels=names,
                           max_distance_m=np.inf, check_area=False)
    matrix = travel_matrix(network, snapped.node, keep_paths=False, workers=1)
    rows = []
    n = len(origins)
    for i, a in enumerate(origins):
        for j, b in enumerate(destinations):
            t, d = matrix.time_s[i, n + j], matrix.dist_m[i, n + j]
            ok = bool(np.isfinite(t))
            rows.append({"from": a, "to": b, "reachable": ok, "km": round(d / 1000, 2) if ok else np.nan,
                         "minutes": round(t / 60, 1) if ok else np.nan})
    return pd.DataFrame(rows)


_CHART_ZONE_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "orange": "#ef6c00", "red": "#c62828"}


@dataclass
class Comparison:
    """Plans of a base day and its variants, and the figures that compare them.

    Attributes
    ----------
    plans
        Variant name → :class:`~optimizer.plan.Plan`, the base (``'base'``) first.
    variants, scenarios, options
        What each plan was made from.
    """

    plans: dict[str, Plan]
    variants: dict[str, Variant] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    options: dict[str, PlanOptions] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.plans)

    def __repr__(self) -> str:
        return f"Comparison({len(self.plans)} plans: {', '.join(self.plans)})"

    def _repr_html_(self) -> str:  # a notebook shows the table, not the plans' frames
        return self.table.to_html(index=False, na_rep="")

    @property
    def table(self) -> pd.DataFrame:
        """One row per plan: ``variant``, ``changes``, the sweep tags, then :func:`plan_figures`' columns and,
        against the base when there is one, ``km_vs_base`` and ``delivered_kg_vs_base``."""
        rows = []
        tag_keys = list(dict.fromkeys(k for v in self.variants.values() for k, _ in v.tags))
        for name, plan in self.plans.items():
            variant = self.variants.get(name, Variant(name))
            row: dict[str, Any] = {"variant": name, "changes": variant.describe() if name != BASE else "—"}
            tags = variant.tag_dict
            for key in tag_keys:
                row[key] = tags.get(key)
            row.update(plan_figures(plan))
            rows.append(row)
        frame = pd.DataFrame(rows)
        fixed = [c for c in frame.columns if ":" not in c and c not in ("routing_stopped_by", "assignment_status")]
        shares = [c for c in frame.columns if c.startswith("served_share:")]
        reasons = sorted(c for c in frame.columns if c.startswith("unserved_kg:"))
        loads = [c for c in frame.columns if c.startswith("load_kg:")]
        frame = frame[fixed + shares + reasons + loads + ["routing_stopped_by", "assignment_status"]]
        for column in reasons + loads:
            frame[column] = frame[column].fillna(0.0)
        if BASE in self.plans:
            base = frame.loc[frame["variant"] == BASE].iloc[0]
            frame.insert(frame.columns.get_loc("km") + 1, "km_vs_base", (frame["km"] - base["km"]).round(1))
            frame.insert(frame.columns.get_loc("delivered_kg") + 1, "delivered_kg_vs_base",
                         (frame["delivered_kg"] - base["delivered_kg"]).round(1))
        return frame

    def wards(self) -> pd.DataFrame:
        """Long table: one row per plan and ward (``variant, ward_id, ward, locality, zone, demand_kg,
        delivered_kg, served_share``), with ``served_share_vs_base`` when there is a base."""
        frames = []
        for name, plan in self.plans.items():
            w = pd.DataFrame(plan.wards.drop(columns="geometry"))
            w.insert(0, "variant", name)
            frames.append(w)
        out = pd.concat(frames, ignore_index=True)
        out.loc[out["demand_kg"] <= 0, "served_share"] = np.nan
        if BASE in self.plans:
            base = out[out["variant"] == BASE].set_index("ward_id")["served_share"]
            out["served_share_vs_base"] = (out["served_share"] - out["ward_id"].map(base)).round(4)
        return out

    def depots(self) -> pd.DataFrame:
        """Long table: one row per plan and depot: stock, load, vehicles based there, vehicles used, trips and
        km driven by its vehicles."""
        frames = []
        for name, plan in self.plans.items():
            d = plan.depots[["depot_id", "name", "stock_kg", "load_kg", "vehicles"]].copy()
            routes = plan.routes
            used = routes.groupby("depot_id")["vehicle_id"].nunique()
            trips = routes[["depot_id", "vehicle_id", "trip"]].drop_duplicates().groupby("depot_id").size()
            depot_of_vehicle = routes.drop_duplicates("vehicle_id").set_index("vehicle_id")["depot_id"]
            legs = plan.legs.assign(depot_id=plan.legs["vehicle_id"].map(depot_of_vehicle))
            km = legs.groupby("depot_id")["leg_km"].sum()
            d["vehicles_used"] = d["depot_id"].map(used).fillna(0).astype(int)
            d["trips"] = d["depot_id"].map(trips).fillna(0).astype(int)
            d["km"] = d["depot_id"].map(km).fillna(0.0).round(1)
            d.insert(0, "variant", name)
            frames.append(d)
        return pd.concat(frames, ignore_index=True)

    def lost_service(self, variant: str, *, min_drop: float = 0.005) -> pd.DataFrame:
        """Wards whose served share in ``variant`` is lower than in the base by more than ``min_drop``."""
        if BASE not in self.plans:
            raise ValueError("the comparison has no base plan")
        w = self.wards()
        w = w[(w["variant"] == variant) & (w["served_share_vs_base"] < -min_drop)]
        return w.sort_values("served_share_vs_base").reset_index(drop=True)

    def pivot(self, index: str, columns: str, values: str = "served_share") -> pd.DataFrame:
        """A grid of one figure, e.g. ``pivot('demand_factor', 'fleet_factor')`` for a demand × fleet sweep."""
        table = self.table
        missing = [c for c in (index, columns, values) if c not in table.columns]
        if missing:
            raise KeyError(f"the comparison has no column(s) {', '.join(missing)}")
        table = table[table[index].notna() & table[columns].notna()]
        return table.pivot_table(index=index, columns=columns, values=values, aggfunc="first")

    def chart(self, path: str | Path | None = None, *, title: str | None = None):
        """Horizontal bars: share of demand served per zone for every plan (overall as a black tick).

        Returns the matplotlib Figure (also written as PNG to ``path`` when given).
        """
        from matplotlib.figure import Figure

        table = self.table
        zones = [z for z in GRADES if table[f"served_share:{z}"].notna().any()]
        n = len(table)
        # A plain Figure (no pyplot): no GUI backend is touched, and a notebook shows it as the cell's value.
        fig = Figure(figsize=(9, 1.5 + 0.22 * n * max(2, len(zones))), dpi=110)
        ax = fig.add_subplot(1, 1, 1)
        height = 0.8 / max(1, len(zones))
        y = np.arange(n)[::-1].astype(float)
        for k, zone in enumerate(zones):
            values = table[f"served_share:{zone}"].to_numpy(dtype=float) * 100
            ax.barh(y + 0.4 - height * (k + 0.5), np.nan_to_num(values), height=height,
                    color=_CHART_ZONE_COLOURS[zone], label=zone)
        ax.scatter(table["served_share"].to_numpy(dtype=float) * 100, y, marker="|", s=400, color="black",
                   zorder=3, label="overall")
        ax.set_yticks(y)
        ax.set_yticklabels([str(v) for v in table["variant"]])
        ax.set_xlim(0, 105)
        ax.set_xlabel("share of demand served (%) — by zone")
        ax.set_title(title or "What-if: share of demand served by zone")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09 - 0.5 / fig.get_figheight()), fontsize=8,
                  ncol=len(zones) + 1, frameon=False)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
        return fig

    def write(self, folder: str | Path, *, maps: bool = True, lang: str = "vi", offline: bool = False) -> Path:
        """Write ``comparison.csv``, ``comparison_wards.csv``, ``comparison_depots.csv``, ``comparison.png`` and
        ``maps/NN-<variant>.html`` (one map per plan) into ``folder``, all or nothing."""
        from optimizer.files import staged_folder

        folder = Path(folder)
        with staged_folder(folder) as staging:
            self.table.to_csv(staging / "comparison.csv", index=False, encoding="utf-8-sig")
            self.wards().to_csv(staging / "comparison_wards.csv", index=False, encoding="utf-8-sig")
            self.depots().to_csv(staging / "comparison_depots.csv", index=False, encoding="utf-8-sig")
            self.chart(staging / "comparison.png")
            if maps:
                from optimizer.outputs.webmap import render_map

                for path, plan in zip(self.map_files(), self.plans.values()):
                    render_map(plan, staging / path, lang=lang, offline=offline)
        return folder

    def map_files(self) -> list[str]:
        """Relative paths of the maps :meth:`write` writes, in plan order."""
        return [f"maps/{i:02d}-{_slug(name)}.html" for i, name in enumerate(self.plans)]


def _slug(name: str) -> str:
    text = _fold(name)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60] or "variant"


def compare(plans: Mapping[str, Plan], variants: Iterable[Variant] = ()) -> Comparison:
    """A comparison of plans made elsewhere (name → plan; name a base ``'base'`` to get ``*_vs_base``)."""
    return Comparison(plans=dict(plans), variants={v.name: v for v in variants})


# --------------------------------------------------------------------------------------------------
# Sweeps
# --------------------------------------------------------------------------------------------------


def depot_closure_sweep(base: Scenario, depots: Sequence[str] | None = None, *, min_stock_kg: float = 0.0
                        ) -> list[Variant]:
    """Every depot (or the listed ones) closed in turn; ``min_stock_kg`` skips small depots."""
    ids = list(depots) if depots is not None else [
        d.id for d in base.depots if math.fsum(d.stock_kg.values()) >= min_stock_kg]
    return [Variant(f"đóng {d}", (CloseDepot(d),), tags=(("closed_depot", d),)) for d in ids]


def _pct(factor: float) -> str:
    return f"{(factor - 1) * 100:+.0f}%"


def demand_sweep(increases: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0), *, ward: str | None = None,
                 locality: str | None = None) -> list[Variant]:
    """Demand +0 % … +100 % (``increases`` as fractions: 0.5 = +50 %) everywhere, in a locality or a ward."""
    where = f" {locality or ward}" if (locality or ward) else ""
    return [Variant(f"nhu cầu {_pct(1 + x)}{where}", (ScaleDemand(1.0 + x, ward=ward, locality=locality),),
                    tags=(("demand_factor", round(1.0 + x, 6)),)) for x in increases]


def fleet_sweep(factors: Sequence[float] = (0.75, 1.0, 1.25, 1.5), *, profile: str | None = None) -> list[Variant]:
    """Fleet size × each factor (every type's count, rounded half up)."""
    return [Variant(f"đội xe ×{f:g}", (ScaleFleet(f, profile=profile),), tags=(("fleet_factor", f),))
            for f in factors]


def demand_fleet_grid(demand_factors: Sequence[float], fleet_factors: Sequence[float], *,
                      locality: str | None = None, profile: str | None = None) -> list[Variant]:
    """Every pair of demand × fleet factors (tags ``demand_factor`` and ``fleet_factor`` for
    :meth:`Comparison.pivot`)."""
    out = []
    for d in demand_factors:
        for f in fleet_factors:
            out.append(Variant(
                f"nhu cầu {_pct(d)}, đội xe ×{f:g}",
                (ScaleDemand(d, locality=locality), ScaleFleet(f, profile=profile)),
                tags=(("demand_factor", d), ("fleet_factor", f)),
            ))
    return out
