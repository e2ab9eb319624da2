"""The changes a what-if variant makes to a base day, and the :class:`Variant` that lists them.

A :class:`Variant` is a name and a list of small typed changes (:class:`CloseDepot`, :class:`CutStock`,
:class:`CloseRoad`, :class:`Regrade`, :class:`ScaleDemand`, :class:`SetFleet`, :class:`ScaleFleet`,
:class:`AddVehicles`, :class:`SetTime`, :class:`SetRation`, :class:`Restrict`). Applying it to a base
:class:`~optimizer.scenario.model.Scenario` gives a new scenario (``dataclasses.replace``; no file is copied) and
the plan options to run it with; :func:`derive` gives just the scenario (e.g. a reduced base day).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import shapely

from optimizer import datasets
from optimizer.clock import DAY_S, format_hhmm
from optimizer.demand import drop_points
from optimizer.errors import InputError, Problem
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
from optimizer.tables import fold_text

#: Name of the unchanged base day in a comparison.
BASE = "base"
#: Profile a red (sealed) zone forbids when a regrade does not say (the embedded day's rule).
RED_FORBIDDEN = ("motorbike",)


class ChangeError(Exception):
    """A change that does not fit the scenario, and the field at fault; :meth:`Variant.apply` turns it into a
    :class:`~optimizer.errors.Problem` naming the file and the variant."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


# --------------------------------------------------------------------------------------------------
# Look-ups
# --------------------------------------------------------------------------------------------------


def _resolve_ward(value: Any, field_name: str) -> str:
    """A ward id (GSO commune code) from an id or a name (:func:`optimizer.datasets.ward_id_of`)."""
    try:
        return datasets.ward_id_of(value)
    except ValueError as exc:
        raise ChangeError(str(exc), field_name) from None


def _resolve_locality(value: Any, field_name: str) -> str:
    wanted = fold_text(value)
    for code, vietnamese in datasets.LOCALITIES.items():
        if wanted in (fold_text(code), fold_text(vietnamese)):
            return code
    raise ChangeError(f"unknown locality '{value}' (use Nha Trang, Ninh Hoa or Van Ninh)", field_name)


def _check_depot(scenario: Scenario, depot_id: str, field_name: str) -> None:
    known = [d.id for d in scenario.depots]
    if depot_id not in known:
        raise ChangeError(f"unknown depot '{depot_id}' (known: {', '.join(known)})", field_name)


def check_type(scenario: Scenario, type_id: str, field_name: str) -> VehicleType:
    """The scenario's vehicle type ``type_id``; :class:`ChangeError` on ``field_name`` when there is none."""
    for vt in scenario.vehicle_types:
        if vt.id == type_id:
            return vt
    known = ", ".join(vt.id for vt in scenario.vehicle_types)
    raise ChangeError(f"unknown vehicle type '{type_id}' (known: {known})", field_name)


def _replace(scenario: Scenario, **changes: Any) -> Scenario:
    """``dataclasses.replace`` that forgets the spreadsheet rows of a loaded folder (they no longer line up)."""
    changes.setdefault("source_rows", {})
    return dataclasses.replace(scenario, **changes)


# --------------------------------------------------------------------------------------------------
# Drop points made explicit
# --------------------------------------------------------------------------------------------------


def materialise(scenario: Scenario) -> Scenario:
    """The scenario with its drop points explicit (generated from the census on the truck network if needed).

    The points are those :func:`optimizer.plan.run_plan` would generate for the scenario (closures do not
    move drop points), so a materialised scenario plans the same day.
    """
    if scenario.demand_points is not None:
        return scenario
    return _replace(scenario, demand_points=tuple(drop_points(scenario)))


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
            raise ChangeError("give either factor or kg", self.key)
        if self.factor is not None and not (math.isfinite(self.factor) and self.factor >= 0):
            raise ChangeError(f"factor must be 0 or more, got {self.factor}", f"{self.key}.factor")
        if self.cut_kg is not None and not (math.isfinite(self.cut_kg) and self.cut_kg >= 0):
            raise ChangeError(f"kg must be 0 or more, got {self.cut_kg}", f"{self.key}.kg")
        depot = scenario.depot(self.depot_id)
        if self.commodity is not None and self.commodity not in depot.stock_kg:
            raise ChangeError(f"depot {self.depot_id} has no commodity '{self.commodity}' "
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
        if not hasattr(polygon, "geom_type"):
            polygon = shapely.Polygon([(float(x), float(y)) for x, y in polygon])
        return cls(Closure("polygon", polygon, tuple(profiles), label))

    @classmethod
    def by_bbox(cls, min_lon: float, min_lat: float, max_lon: float, max_lat: float, *,
                profiles: Sequence[str] = (), label: str = "") -> CloseRoad:
        return cls(Closure("polygon", shapely.box(min_lon, min_lat, max_lon, max_lat), tuple(profiles), label))

    def apply(self, scenario, options):
        closure = self.closure
        if closure.kind not in ("name", "osm_id", "polygon"):
            raise ChangeError(f"unknown closure kind '{closure.kind}' (use name, osm_id or polygon)", self.key)
        if closure.kind == "polygon":
            geom = closure.value
            if getattr(geom, "geom_type", None) not in ("Polygon", "MultiPolygon") or geom.is_empty:
                raise ChangeError("a closure polygon must be a non-empty Polygon or MultiPolygon", self.key)
        bad = [p for p in closure.profiles if p not in VEHICLE_PROFILES]
        if bad:
            raise ChangeError(f"unknown profile(s) {', '.join(bad)} (use {', '.join(VEHICLE_PROFILES)})",
                               f"{self.key}.profiles")
        return _replace(scenario, closures=(*scenario.closures, closure)), options

    def describe(self):
        return f"close {self.closure.describe()}"


@dataclass(frozen=True)
class Regrade(Change):
    """A ward's zone colour changes (green, yellow, orange, red), and with it the delivery priority.

    ``forbidden_profiles=None`` applies the embedded day's rule: a red (sealed) ward forbids motorbikes,
    other grades forbid nothing. The ward's drop points whose priority followed the old zone get the new
    zone's (generated points are placed again with it); a point whose priority differs from the old zone's
    (an explicit ``priority`` in ``demand_points.csv``) keeps it.
    """

    ward: str
    grade: str
    forbidden_profiles: tuple[str, ...] | None = None
    key: ClassVar[str] = "regrade"

    def apply(self, scenario, options):
        ward_id = _resolve_ward(self.ward, f"{self.key}.ward")
        if self.grade not in GRADES:
            raise ChangeError(f"unknown grade '{self.grade}' (use {', '.join(GRADES)})", f"{self.key}.grade")
        forbidden = self.forbidden_profiles
        if forbidden is None:
            forbidden = RED_FORBIDDEN if self.grade == "red" else ()
        bad = [p for p in forbidden if p not in VEHICLE_PROFILES]
        if bad:
            raise ChangeError(f"unknown profile(s) {', '.join(bad)}", f"{self.key}.forbidden_profiles")
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
            points = tuple(dataclasses.replace(p, priority=new.priority)
                           if p.ward_id == ward_id and p.priority == old.priority else p for p in points)
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
            raise ChangeError(f"factor must be 0 or more, got {self.factor!r}", f"{self.key}.factor")
        if self.ward is not None and self.locality is not None:
            raise ChangeError("give a ward or a locality, not both", self.key)
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
        vt = check_type(scenario, self.type_id, f"{self.key}.type")
        if (self.count is None) == (self.delta is None):
            raise ChangeError("give either count or add (a change of the count, negative to remove)", self.key)
        given = self.count if self.count is not None else self.delta
        if isinstance(given, bool) or not isinstance(given, int) or (self.count is not None and self.count < 0):
            which = "count" if self.count is not None else "add"
            raise ChangeError(f"{which} must be a whole number{' ≥ 0' if which == 'count' else ''}, got {given!r}",
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
            raise ChangeError(f"factor must be 0 or more, got {self.factor!r}", f"{self.key}.factor")
        if self.profile is not None and self.profile not in VEHICLE_PROFILES:
            raise ChangeError(f"unknown profile '{self.profile}'", f"{self.key}.profile")
        for type_id in self.type_ids:
            check_type(scenario, type_id, f"{self.key}.types")

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
            base = check_type(scenario, template, f"{cls.key}.like")
        except ChangeError as exc:
            raise InputError(str(exc), field=exc.field) from None
        fields = {"id": id, "count": count, "name": overrides.pop("name", f"{base.name} (+{count})")}
        if home_depot is not None:
            fields["home_depot"] = home_depot
        return cls(dataclasses.replace(base, **fields, **overrides))

    def apply(self, scenario, options):
        vt = self.vehicle_type
        if any(v.id == vt.id for v in scenario.vehicle_types):
            raise ChangeError(f"vehicle type '{vt.id}' already exists (use fleet to change its count)",
                               f"{self.key}.id")
        _check_depot(scenario, vt.home_depot, f"{self.key}.home_depot")
        if vt.profile not in VEHICLE_PROFILES:
            raise ChangeError(f"unknown profile '{vt.profile}'", f"{self.key}.profile")
        if not (math.isfinite(vt.capacity_kg) and vt.capacity_kg > 0):
            raise ChangeError(f"capacity must be greater than 0 kg, got {vt.capacity_kg}", f"{self.key}.capacity_kg")
        if vt.count < 0:
            raise ChangeError(f"count must be 0 or more, got {vt.count}", f"{self.key}.count")
        if vt.max_reach_km is not None and not (math.isfinite(vt.max_reach_km) and vt.max_reach_km > 0):
            raise ChangeError(f"reach must be greater than 0 km, got {vt.max_reach_km}", f"{self.key}.max_reach_km")
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
            if not 0 <= v <= DAY_S:
                raise ChangeError(f"{format_hhmm(v)} is not a time of day", f"{self.key}.{k[:-2]}")
        time = dataclasses.replace(old, **updates)
        start, end = _clip_to_curfew(time.operating_start_s, time.operating_end_s, time)
        if end <= start:
            raise ChangeError(f"the operating window {format_hhmm(time.operating_start_s)}–"
                               f"{format_hhmm(time.operating_end_s)} lies within the curfew", self.key)
        time = dataclasses.replace(time, operating_start_s=start, operating_end_s=end)
        for type_id in self.type_ids:
            check_type(scenario, type_id, f"{self.key}.types")
        types = []
        for vt in scenario.vehicle_types:
            s, e = vt.shift_start_s, vt.shift_end_s
            if not self.type_ids or vt.id in self.type_ids:
                s = self.shift_start_s if self.shift_start_s is not None else s
                e = self.shift_end_s if self.shift_end_s is not None else e
            s, e = _clip_to_curfew(s, e, time)
            if e <= s:
                raise ChangeError(f"the shift of {vt.id} ({format_hhmm(s)}–{format_hhmm(e)}) lies within the curfew "
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


RATION_FIELDS = tuple(f.name for f in dataclasses.fields(RationSettings))


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
        updates = {k: float(getattr(self, k)) for k in RATION_FIELDS if getattr(self, k) is not None}
        for k, v in updates.items():
            if not math.isfinite(v) or v < 0 or (k == "days_per_month" and v == 0) or (k == "coverage_share" and v > 1):
                raise ChangeError(f"bad value {v:g}", f"{self.key}.{k}")
        new = dataclasses.replace(old, **updates)
        settings = dataclasses.replace(scenario.settings, ration=new)
        points = scenario.demand_points
        if points is not None:
            old_rice = old.rice_kg_per_person_day * old.coverage_share
            old_bag = old.food_bag_kg_per_household_day * old.coverage_share
            if old_rice <= 0 or old_bag <= 0:
                raise ChangeError("the base ration is 0: explicit drop points cannot be rescaled", self.key)
            ratio = {"rice": new.rice_kg_per_person_day * new.coverage_share / old_rice,
                     "food_bag": new.food_bag_kg_per_household_day * new.coverage_share / old_bag}
            points = tuple(
                dataclasses.replace(p, demand_kg={c: kg * ratio.get(c, 1.0) for c, kg in p.demand_kg.items()})
                for p in points
            )
        return _replace(scenario, settings=settings, demand_points=points), options

    def describe(self):
        return "ration " + ", ".join(f"{k}={getattr(self, k):g}" for k in RATION_FIELDS
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
                raise ChangeError("no drop point is left", self.key)
        else:
            points = scenario.demand_points
        if self.depots is not None:
            keep = set(self.depots)
        elif localities:
            keep = {d.id for d in scenario.depots if d.locality in localities}
        else:
            keep = {d.id for d in scenario.depots}
        if not keep:
            raise ChangeError("no depot is left (list the depots)", f"{self.key}.depots")
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
    source, index
        The TOML file the variant came from and its position there (for error messages).
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
            Every change that does not fit the base (unknown depot, ward, vehicle type, ...), each naming the
            file, the variant and the field.
        """
        options = options or PlanOptions()
        scenario = base
        problems = []
        for change in self.changes:
            try:
                scenario, options = change.apply(scenario, options)
            except ChangeError as exc:  # skip the change and check the others: every problem is reported at once
                problems.append(Problem(f"{self.where()}: {exc}", self.source, None, exc.field))
        if problems:
            raise InputError(problems)
        if self.changes:
            scenario = _replace(scenario, name=f"{base.name} — {self.name}",
                                description=(self.description or "; ".join(c.describe() for c in self.changes)))
        return scenario, options

    def where(self) -> str:
        """How messages name the variant: ``variant 'name' (#index)``."""
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


