"""A planning day: depots and their stock, the fleet, zones, drop points, closures and settings.

Every later module works on the typed objects defined here (:class:`Scenario` and its parts); none
re-reads the raw CSV files. A scenario comes from a folder a planner edits in a spreadsheet, or from the
embedded default "Khánh Hòa — 26/07/2021 (Chỉ thị 16)" (:func:`default_scenario`, built in code from the
shipped census, POIs and road network; see ``data/README.md``).

Scenario folder
---------------
All text files are UTF-8 (a byte-order mark, as Excel's "CSV UTF-8" writes it, is fine; a file saved
as Windows-1258 / Latin-1 is rejected with a message naming it). CSV files may use ``,`` or ``;`` as the
delimiter (``;`` is what Excel writes in a Vietnamese locale; ``1,5`` is then read as 1.5). Times of
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
    max_trips, max_duration_h, cost_per_km_vnd, cost_per_hour_vnd, fixed_cost_vnd``. ``count`` vehicles
    ``<id>-01``, ``<id>-02``, ... are made of each row (:meth:`Scenario.vehicles`).
``zones.csv`` (optional; wards not listed are green)
    ``ward_id`` (GSO commune code), ``ward_name`` (informative), ``grade`` (green, yellow, orange, red) and
    ``forbidden_profiles`` (e.g. ``motorbike``; several separated by ``;`` or ``|``).
``demand_points.csv`` (optional)
    A planner's own drop points, replacing the ones generated from the census: ``id, ward_id, name, lon,
    lat``, one ``demand_<commodity>_kg`` column per commodity, and optionally ``tw_start, tw_end,
    service_min, service_s_per_kg, priority`` (default: the ward's zone), ``approximate``; ``ward_name`` and
    ``locality`` are informative (derived from ``ward_id``).
``closures.csv`` (optional)
    ``kind`` (``osm_id`` or ``name``), ``value``, ``profiles`` (empty: all), ``label``.
``closures.geojson`` (optional)
    Polygon closures, one per feature; properties ``label`` (or ``name``) and ``profiles``.

Row numbers
    Problems name the file, the row and the column. Rows are counted as a spreadsheet shows them: the
    header is row 1, the first data row is row 2. For ``scenario.toml`` the row is the line number (when
    known) and the field the dotted key (``time.operating_start``).

Bad input never stops at the first problem: :func:`load_scenario` collects every problem of every file
and raises one :class:`~optimizer.errors.InputError` listing them. A stock or a fleet too small for the
demand is not an error: :meth:`Scenario.shortfall` reports the kilograms short.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import io
import json
import math
import re
import tomllib
import unicodedata
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np
import shapely
import shapely.geometry

from optimizer import datasets
from optimizer.clock import DAY_S, format_hhmm, parse_hhmm
from optimizer.errors import InputError, Problem
from optimizer.files import write_text_atomically
from optimizer.network import Closure

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from optimizer.network import RoadNetwork

__all__ = [
    "COMMODITIES", "GRADES", "PRIORITY_OF_GRADE", "DEPOT_KINDS", "VEHICLE_PROFILES",
    "Depot", "VehicleType", "Vehicle", "DemandPoint", "Zone", "TimeSettings", "RationSettings",
    "PointSettings", "Settings", "Scenario", "Shortfall", "ValidationReport",
    "load_scenario", "default_scenario", "export_scenario", "validate_scenario",
    "parse_hhmm", "format_hhmm",
]

#: Commodities every scenario has (a planner may add more as extra ``stock_<c>_kg`` columns).
COMMODITIES = ("rice", "food_bag")
#: Zone grades of Decision 2686/QĐ-BCĐQG (31 May 2021), lowest risk first.
GRADES = ("green", "yellow", "orange", "red")
#: Delivery priority of a zone grade (higher is served first).
PRIORITY_OF_GRADE = {"green": 0, "yellow": 1, "orange": 2, "red": 3}
DEPOT_KINDS = ("supermarket", "market", "mall", "warehouse", "mobile")
#: Vehicle profiles of the road network (``optimizer.network.settings``).
VEHICLE_PROFILES = ("truck", "motorbike")
LOCALITY_CODES = tuple(datasets.LOCALITIES)

#: Upper bounds that keep a typo (``count = 1e9``) from exhausting memory.
MAX_VEHICLES_PER_TYPE = 10_000
MAX_TRIPS = 100

SCENARIO_FILE = "scenario.toml"
DEPOTS_FILE = "depots.csv"
FLEET_FILE = "fleet.csv"
ZONES_FILE = "zones.csv"
POINTS_FILE = "demand_points.csv"
CLOSURES_FILE = "closures.csv"
CLOSURES_GEOJSON = "closures.geojson"


# --------------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Depot:
    """A place where vehicles load: a supermarket, a closed market used as a distribution point, a warehouse.

    Attributes
    ----------
    id, name
        Unique id and display name (Vietnamese).
    lon, lat
        WGS84 position.
    stock_kg
        Commodity → kilograms available for the day (at least ``rice`` and ``food_bag``).
    open_s, close_s
        Loading hours, seconds since midnight.
    load_time_s
        Time to load one vehicle for one trip.
    approximate
        The position is not surveyed (e.g. the centre of a commune).
    locality
        ``Nha Trang``, ``Ninh Hoa`` or ``Van Ninh``.
    kind
        supermarket, market, mall, warehouse or mobile.
    """

    id: str
    name: str
    lon: float
    lat: float
    stock_kg: dict[str, float]
    open_s: int
    close_s: int
    load_time_s: int
    approximate: bool = False
    locality: str = ""
    kind: str = "warehouse"


@dataclass(frozen=True)
class VehicleType:
    """A row of the fleet: ``count`` identical vehicles based at one depot.

    Costs are in VND. ``max_duration_s`` is the longest working day (first loading to last return).
    """

    id: str
    name: str
    profile: str
    capacity_kg: float
    count: int
    home_depot: str
    shift_start_s: int
    shift_end_s: int
    max_trips: int = 1
    max_duration_s: int | None = None
    cost_per_km_vnd: float = 0.0
    cost_per_hour_vnd: float = 0.0
    fixed_cost_vnd: float = 0.0

    def vehicle_ids(self) -> list[str]:
        """``<id>-01`` … ``<id>-NN`` (three digits from 100 vehicles up)."""
        width = max(2, len(str(self.count)))
        return [f"{self.id}-{k:0{width}d}" for k in range(1, self.count + 1)]

    @property
    def capacity_kg_per_day(self) -> float:
        """All vehicles of the row, every trip full."""
        return self.capacity_kg * self.count * self.max_trips


@dataclass(frozen=True)
class Vehicle:
    """One vehicle (a :class:`VehicleType` expanded by :meth:`Scenario.vehicles`)."""

    id: str
    type_id: str
    name: str
    profile: str
    capacity_kg: float
    home_depot: str
    shift_start_s: int
    shift_end_s: int
    max_trips: int
    max_duration_s: int | None
    cost_per_km_vnd: float
    cost_per_hour_vnd: float
    fixed_cost_vnd: float


@dataclass(frozen=True)
class DemandPoint:
    """A neighbourhood collection point (drop point) and what it needs for the day.

    Attributes
    ----------
    id
        Unique id (generated: ``DP-<ward_id>-NN``).
    ward_id, ward_name, locality
        The ward/commune it serves.
    name
        Label for reports and maps (point number, street, ward).
    lon, lat
        Position (a node of the truck network when generated).
    demand_kg
        Commodity → kilograms for the day.
    tw_start_s, tw_end_s
        Delivery window (seconds since midnight).
    service_s, service_s_per_kg
        Unloading time: ``service_s + service_s_per_kg × kg unloaded``.
    priority
        From the ward's zone: red 3, orange 2, yellow 1, green 0.
    approximate
        Placed at a commune's representative point / access node (no real roads there).
    """

    id: str
    ward_id: str
    ward_name: str
    locality: str
    name: str
    lon: float
    lat: float
    demand_kg: dict[str, float]
    tw_start_s: int
    tw_end_s: int
    service_s: int
    service_s_per_kg: float
    priority: int = 0
    approximate: bool = False

    @property
    def total_kg(self) -> float:
        return float(math.fsum(self.demand_kg.values()))

    @property
    def service_time_s(self) -> float:
        """Time to unload the whole demand in one visit."""
        return self.service_s + self.service_s_per_kg * self.total_kg


@dataclass(frozen=True)
class Zone:
    """The epidemic grade of a ward and the vehicle profiles not allowed to enter it."""

    ward_id: str
    grade: str = "green"
    forbidden_profiles: tuple[str, ...] = ()
    ward_name: str = ""

    @property
    def priority(self) -> int:
        return PRIORITY_OF_GRADE.get(self.grade, 0)

    def allows(self, profile: str) -> bool:
        return profile not in self.forbidden_profiles


@dataclass(frozen=True)
class TimeSettings:
    """Operating window of deliveries, curfew, and the default unloading time of a drop point."""

    operating_start_s: int = 6 * 3600
    operating_end_s: int = 18 * 3600
    curfew_start_s: int = 19 * 3600
    curfew_end_s: int = 6 * 3600
    service_s: int = 300
    service_s_per_kg: float = 0.1

    @property
    def has_curfew(self) -> bool:
        return self.curfew_start_s % DAY_S != self.curfew_end_s % DAY_S

    def curfew_intervals(self) -> list[tuple[int, int]]:
        """The curfew as intervals within one day (a curfew over midnight gives two)."""
        if not self.has_curfew:
            return []
        start, end = self.curfew_start_s % DAY_S, self.curfew_end_s % DAY_S
        if start < end:
            return [(start, end)]
        return [(start, DAY_S), (0, end)]

    def overlaps_curfew(self, start_s: int, end_s: int) -> bool:
        """Whether ``[start_s, end_s]`` (same day) has any moment inside the curfew."""
        return any(start_s < b and end_s > a for a, b in self.curfew_intervals())


@dataclass(frozen=True)
class RationSettings:
    """The relief norm that turns people and households into kilograms a day.

    Attributes
    ----------
    rice_kg_per_person_month
        15 kg per person per month: the 2021 relief norm (national reserve rice).
    days_per_month
        30: daily rice = 15 / 30 = 0.5 kg per person.
    food_bag_kg_per_household_week
        Weekly household bag without its rice (noodles, oil, fish sauce, sugar, seasoning): the
        14–16 kg HCMC bag minus its 10 kg of rice, which the per-person rice norm already covers → 5 kg
        (assumption). Daily = 5 / 7 kg per household.
    coverage_share
        Share of people (and households) supplied; 1.0 = everyone.
    """

    rice_kg_per_person_month: float = 15.0
    days_per_month: float = 30.0
    food_bag_kg_per_household_week: float = 5.0
    coverage_share: float = 1.0

    @property
    def rice_kg_per_person_day(self) -> float:
        return self.rice_kg_per_person_month / self.days_per_month

    @property
    def food_bag_kg_per_household_day(self) -> float:
        return self.food_bag_kg_per_household_week / 7.0


@dataclass(frozen=True)
class PointSettings:
    """How a ward's need is split into drop points (see :mod:`optimizer.demand`).

    Attributes
    ----------
    households_per_point
        Target households served by one point (about one residential group, tổ dân phố).
    points_per_road_km
        At most this many points per km of residential road in the ward.
    max_point_kg
        No point needs more than this per day (1,500 kg: one load of the smallest van); wards get more
        points when their need requires it.
    min_residential_km
        A ward with less residential road than this places its points on all its roads instead.
    road_classes
        OSM classes counted as residential road.
    seed
        Seed of the placement (deterministic for a given seed).
    """

    households_per_point: float = 100.0
    points_per_road_km: float = 2.0
    max_point_kg: float = 1500.0
    min_residential_km: float = 1.0
    road_classes: tuple[str, ...] = ("residential", "living_street", "unclassified", "service")
    seed: int = 0


@dataclass(frozen=True)
class Settings:
    """Ration norm and drop-point parameters."""

    ration: RationSettings = field(default_factory=RationSettings)
    points: PointSettings = field(default_factory=PointSettings)


@dataclass(frozen=True)
class Shortfall:
    """Kilograms the stock or the fleet cannot cover (all figures per day; 0 = enough).

    Attributes
    ----------
    demand_kg, stock_kg, stock_short_kg
        Per commodity, over all localities.
    fleet_capacity_kg_per_day, demand_total_kg, fleet_short_kg
        Σ capacity × count × max_trips against the total demand.
    by_locality
        Locality → commodity → ``{"demand_kg", "stock_kg", "short_kg"}`` (stock of the depots in that
        locality; depots of one locality may still supply another).
    """

    demand_kg: dict[str, float]
    stock_kg: dict[str, float]
    stock_short_kg: dict[str, float]
    fleet_capacity_kg_per_day: float
    demand_total_kg: float
    fleet_short_kg: float
    by_locality: dict[str, dict[str, dict[str, float]]]

    @property
    def any(self) -> bool:
        return self.fleet_short_kg > 1e-6 or any(v > 1e-6 for v in self.stock_short_kg.values())

    def lines(self) -> list[str]:
        """Human-readable lines, one per shortage (empty when there is none)."""
        out = []
        for commodity, short in self.stock_short_kg.items():
            if short > 1e-6:
                out.append(
                    f"stock of {commodity} is {short:,.0f} kg short: demand {self.demand_kg.get(commodity, 0):,.0f} kg, "
                    f"stock {self.stock_kg.get(commodity, 0):,.0f} kg"
                )
        if self.fleet_short_kg > 1e-6:
            out.append(
                f"fleet is {self.fleet_short_kg:,.0f} kg/day short: capacity {self.fleet_capacity_kg_per_day:,.0f} kg/day "
                f"for a demand of {self.demand_total_kg:,.0f} kg/day"
            )
        for locality, row in self.by_locality.items():
            for commodity, figures in row.items():
                if figures["short_kg"] > 1e-6:
                    out.append(
                        f"{datasets.LOCALITIES.get(locality, locality)}: local stock of {commodity} is "
                        f"{figures['short_kg']:,.0f} kg short (must come from another locality)"
                    )
        return out

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Scenario:
    """One planning day.

    Attributes
    ----------
    name, date, description
        What the day is.
    settings, time
        Ration and drop-point parameters; operating window, curfew, service times.
    depots, vehicle_types
        Where food is and what carries it.
    demand_points
        A planner's own drop points, or ``None``: generated from the census
        (:meth:`drop_points`).
    zones
        One :class:`Zone` per ward (all 67 wards; ones not listed in ``zones.csv`` are green).
    closures
        Roads blocked that day (:class:`optimizer.network.Closure`).
    source
        Folder the scenario was loaded from (``None`` for the embedded default).
    """

    name: str
    date: dt.date
    description: str = ""
    settings: Settings = field(default_factory=Settings)
    time: TimeSettings = field(default_factory=TimeSettings)
    depots: tuple[Depot, ...] = ()
    vehicle_types: tuple[VehicleType, ...] = ()
    demand_points: tuple[DemandPoint, ...] | None = None
    zones: tuple[Zone, ...] = ()
    closures: tuple[Closure, ...] = ()
    source: Path | None = None
    #: File name → spreadsheet row of each object read from it (set by :func:`load_scenario`; problems
    #: found later name these rows). Not part of equality.
    source_rows: Mapping[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    # ---- look-ups -----------------------------------------------------------------------------

    @property
    def commodities(self) -> tuple[str, ...]:
        """``rice``, ``food_bag`` and any other commodity a depot stocks or a point needs."""
        seen = dict.fromkeys(COMMODITIES)
        for depot in self.depots:
            seen.update(dict.fromkeys(depot.stock_kg))
        for point in self.demand_points or ():
            seen.update(dict.fromkeys(point.demand_kg))
        return tuple(seen)

    def depot(self, depot_id: str) -> Depot:
        for depot in self.depots:
            if depot.id == depot_id:
                return depot
        raise KeyError(depot_id)

    @property
    def zones_by_ward(self) -> dict[str, Zone]:
        return {zone.ward_id: zone for zone in self.zones}

    def zone(self, ward_id: str) -> Zone:
        """The ward's zone (green without restrictions when not listed)."""
        return self.zones_by_ward.get(str(ward_id), Zone(str(ward_id)))

    def allowed_profiles(self, ward_id: str, profiles: Iterable[str] = VEHICLE_PROFILES) -> frozenset[str]:
        """Profiles that may enter the ward (for ``routing.Stop.allowed_profiles``)."""
        zone = self.zone(ward_id)
        return frozenset(p for p in profiles if zone.allows(p))

    def vehicles(self) -> list[Vehicle]:
        """Every vehicle, ids ``<type id>-01``…, in fleet order."""
        out = []
        for vt in self.vehicle_types:
            for vid in vt.vehicle_ids():
                out.append(
                    Vehicle(
                        id=vid, type_id=vt.id, name=vt.name, profile=vt.profile, capacity_kg=vt.capacity_kg,
                        home_depot=vt.home_depot, shift_start_s=vt.shift_start_s, shift_end_s=vt.shift_end_s,
                        max_trips=vt.max_trips, max_duration_s=vt.max_duration_s,
                        cost_per_km_vnd=vt.cost_per_km_vnd, cost_per_hour_vnd=vt.cost_per_hour_vnd,
                        fixed_cost_vnd=vt.fixed_cost_vnd,
                    )
                )
        return out

    # ---- demand -------------------------------------------------------------------------------

    def ward_demand(self) -> "gpd.GeoDataFrame":
        """Daily need per ward from the 2019 census (:func:`optimizer.demand.ward_daily_demand`)."""
        import optimizer.demand as demand

        return demand.ward_daily_demand(datasets.read_wards(), self.settings)

    def drop_points(self, network: "RoadNetwork | None" = None) -> list[DemandPoint]:
        """The day's drop points: the planner's own, or generated from the census on the truck network.

        Parameters
        ----------
        network
            Truck network to place generated points on; ``None`` loads the shipped one (cached).
        """
        if self.demand_points is not None:
            return list(self.demand_points)
        if network is None:
            return list(_generated_points(self.settings, self.time, self.zones))
        key = (self.settings, self.time, self.zones)
        entry = _POINTS_BY_NETWORK.get(id(network))
        if entry is None or entry[0]() is not network:
            entry = (weakref.ref(network), {})
            _POINTS_BY_NETWORK[id(network)] = entry
            weakref.finalize(network, _POINTS_BY_NETWORK.pop, id(network), None)
        if key not in entry[1]:
            import optimizer.demand as demand

            entry[1][key] = tuple(demand.generate_drop_points(
                self.ward_demand(), network, self.settings, time=self.time, zones=self.zones_by_ward,
                seed=self.settings.points.seed,
            ))
        return list(entry[1][key])

    def demand_by_locality(self) -> dict[str, dict[str, float]]:
        """Locality → commodity → kg/day (from the planner's points, else from the census; no network needed)."""
        out: dict[str, dict[str, float]] = {loc: {c: 0.0 for c in self.commodities} for loc in LOCALITY_CODES}
        if self.demand_points is not None:
            sums: dict[tuple[str, str], list[float]] = defaultdict(list)
            for point in self.demand_points:
                for commodity, kg in point.demand_kg.items():
                    sums[(point.locality, commodity)].append(kg)
            for (locality, commodity), values in sums.items():
                out.setdefault(locality, {c: 0.0 for c in self.commodities})[commodity] = math.fsum(values)
        else:
            table = self.ward_demand()
            for locality, group in table.groupby("locality"):
                out[locality]["rice"] = math.fsum(group["rice_kg_day"])
                out[locality]["food_bag"] = math.fsum(group["food_bag_kg_day"])
        return out

    def demand_kg(self) -> dict[str, float]:
        """Commodity → total kg/day."""
        by_locality = self.demand_by_locality()
        return {c: math.fsum(row.get(c, 0.0) for row in by_locality.values()) for c in self.commodities}

    # ---- supply -------------------------------------------------------------------------------

    def stock_kg(self) -> dict[str, float]:
        """Commodity → kg in all depots."""
        return {c: math.fsum(d.stock_kg.get(c, 0.0) for d in self.depots) for c in self.commodities}

    def stock_by_locality(self) -> dict[str, dict[str, float]]:
        out = {loc: {c: 0.0 for c in self.commodities} for loc in LOCALITY_CODES}
        for depot in self.depots:
            row = out.setdefault(depot.locality, {c: 0.0 for c in self.commodities})
            for commodity, kg in depot.stock_kg.items():
                row[commodity] = row.get(commodity, 0.0) + kg
        return out

    def fleet_capacity_kg_per_day(self) -> float:
        """Σ capacity × count × max_trips."""
        return float(math.fsum(vt.capacity_kg_per_day for vt in self.vehicle_types))

    def shortfall(self) -> Shortfall:
        """What the stock and the fleet cannot cover (a report, never an error)."""
        demand_loc = self.demand_by_locality()
        stock_loc = self.stock_by_locality()
        demand = {c: math.fsum(row.get(c, 0.0) for row in demand_loc.values()) for c in self.commodities}
        stock = self.stock_kg()
        total = math.fsum(demand.values())
        capacity = self.fleet_capacity_kg_per_day()
        by_locality = {}
        for locality in dict.fromkeys([*demand_loc, *stock_loc]):
            by_locality[locality] = {}
            for commodity in self.commodities:
                d = demand_loc.get(locality, {}).get(commodity, 0.0)
                s = stock_loc.get(locality, {}).get(commodity, 0.0)
                by_locality[locality][commodity] = {"demand_kg": d, "stock_kg": s, "short_kg": max(0.0, d - s)}
        return Shortfall(
            demand_kg=demand,
            stock_kg=stock,
            stock_short_kg={c: max(0.0, demand[c] - stock.get(c, 0.0)) for c in self.commodities},
            fleet_capacity_kg_per_day=capacity,
            demand_total_kg=total,
            fleet_short_kg=max(0.0, total - capacity),
            by_locality=by_locality,
        )


#: Generated points per network object (validation and planning ask for them on the same network).
_POINTS_BY_NETWORK: dict[int, tuple[weakref.ref, dict]] = {}


@functools.lru_cache(maxsize=8)
def _generated_points(settings: Settings, time: TimeSettings, zones: tuple[Zone, ...]) -> tuple[DemandPoint, ...]:
    """Drop points on the shipped truck network, cached per settings (the network is cached on disk)."""
    import optimizer.demand as demand
    from optimizer.network import load_network

    network = load_network(profile="truck")
    table = demand.ward_daily_demand(datasets.read_wards(), settings)
    return tuple(
        demand.generate_drop_points(table, network, settings, time=time, zones={z.ward_id: z for z in zones},
                                    seed=settings.points.seed)
    )


# --------------------------------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower-case ASCII form for tolerant matching of names (Ninh Hòa → ninh hoa)."""
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()


_LOCALITY_BY_FOLD = {_fold(code): code for code in LOCALITY_CODES}
_LOCALITY_BY_FOLD.update({_fold(vn): code for code, vn in datasets.LOCALITIES.items()})
_TRUE = {"true", "1", "yes", "y", "x", "co", "t"}
_FALSE = {"false", "0", "no", "n", "khong", "f", ""}
_IGNORED_PREFIXES = ("note", "comment", "ghi chu", "ghi_chu", "_")


def _decode(data: bytes, file: str, problems: list[Problem]) -> str | None:
    """UTF-8 text (BOM removed) or ``None`` with a problem naming the file and line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                f"file is not UTF-8 text (byte 0x{data[exc.start]:02X} at line {line}; it looks saved as "
                "Windows-1258/Latin-1): save it as 'CSV UTF-8' and load again",
                file, line, None,
            )
        )
        return None
    return unicodedata.normalize("NFC", text)


@dataclass
class _Table:
    file: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row, cells by column)
    decimal_comma: bool


def _read_csv(
    path: Path,
    problems: list[Problem],
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    prefixes: Sequence[str] = (),
    must_exist: bool = True,
) -> _Table | None:
    """Read one CSV file; record every structural problem; ``None`` when its rows cannot be used."""
    file = str(path)
    if not path.exists():
        if must_exist:
            problems.append(Problem("file not found", file))
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(f"cannot read file ({exc.strerror or exc})", file))
        return None
    text = _decode(data, file, problems)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem("file is empty (a header row is needed)", file, 1))
        return None
    first_line = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=lambda d: (first_line.count(d), d == ","))
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        problems.append(Problem(f"not a readable CSV file ({exc})", file))
        return None
    header = [h.strip().lower() for h in records[0]]
    ok = True
    seen: set[str] = set()
    columns: list[str] = []
    for name in header:
        if name in seen and name:
            problems.append(Problem(f"column '{name}' appears twice", file, 1, name))
            ok = False
        seen.add(name)
        columns.append(name)
    known = set(required) | set(optional)
    for name in columns:
        if not name or name in known or any(name.startswith(p) for p in prefixes):
            continue
        if name.startswith(_IGNORED_PREFIXES) or _fold(name).startswith(_IGNORED_PREFIXES):
            continue
        problems.append(
            Problem(
                f"unknown column '{name}' (expected {', '.join(list(required) + list(optional))}"
                + (f", {', '.join(p + '*' for p in prefixes)}" if prefixes else "")
                + "; prefix it with 'note' to keep it)",
                file, 1, name,
            )
        )
        ok = False
    for name in required:
        if name not in columns:
            problems.append(Problem(f"missing column '{name}'", file, 1, name))
            ok = False
    if not ok:
        return None
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(columns) and any(cell.strip() for cell in record[len(columns):]):
            problems.append(
                Problem(f"row has {len(record)} cells but the header has {len(columns)} columns", file, number)
            )
            continue
        cells = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(columns) if name}
        rows.append((number, cells))
    return _Table(file, columns, rows, decimal_comma=delimiter == ";")


class _Row:
    """Typed access to one CSV row; every bad cell becomes a problem and the row is marked bad."""

    def __init__(self, table: _Table, number: int, cells: dict[str, str], problems: list[Problem]):
        self.table, self.line, self.cells, self.problems = table, number, cells, problems
        self.bad = False

    def problem(self, message: str, column: str | None) -> None:
        self.problems.append(Problem(message, self.table.file, self.line, column))
        self.bad = True

    def text(self, column: str, *, required: bool = False, default: str = "") -> str:
        value = self.cells.get(column, "")
        if not value:
            if required:
                self.problem("value is missing", column)
            return default
        return value

    def number(
        self, column: str, *, required: bool = True, default: float | None = None, minimum: float | None = None,
        strictly_positive: bool = False, integer: bool = False, maximum: float | None = None,
    ) -> float | None:
        raw = self.cells.get(column, "")
        if not raw:
            if required:
                self.problem("value is missing", column)
            return default
        value = _parse_number(raw, self.table.decimal_comma)
        if value is None:
            self.problem(f"'{raw}' is not a number", column)
            return default
        if integer and value != int(value):
            self.problem(f"'{raw}' is not a whole number", column)
            return default
        if strictly_positive and value <= 0:
            self.problem(f"must be greater than 0, got {raw}", column)
            return default
        if minimum is not None and value < minimum:
            self.problem(f"must be {minimum:g} or more, got {raw}", column)
            return default
        if maximum is not None and value > maximum:
            self.problem(f"must be {maximum:g} or less, got {raw}", column)
            return default
        return int(value) if integer else value

    def time(self, column: str, *, default: int | None = None) -> int | None:
        raw = self.cells.get(column, "")
        if not raw:
            if default is None:
                self.problem("value is missing (a time HH:MM)", column)
            return default
        try:
            return parse_hhmm(raw)
        except ValueError as exc:
            self.problem(str(exc), column)
            return default

    def flag(self, column: str, *, default: bool = False) -> bool:
        raw = self.cells.get(column, "")
        if not raw:
            return default
        folded = _fold(raw)
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        self.problem(f"'{raw}' is not true/false", column)
        return default

    def identifier(self, column: str) -> str:
        raw = self.cells.get(column, "")
        if not raw:
            self.problem("value is missing", column)
            return ""
        return _ward_id_text(raw) if column == "ward_id" else raw


def _parse_number(raw: str, decimal_comma: bool) -> float | None:
    text = raw.strip().replace("\u00a0", "").replace(" ", "").replace("_", "")
    if "," in text:
        if not decimal_comma or "." in text:
            return None
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _ward_id_text(raw: str) -> str:
    """GSO codes as text; ``5110101.0`` (a spreadsheet turned it into a number) → ``5110101``."""
    text = str(raw).strip()
    match = re.fullmatch(r"(\d+)\.0*", text)
    return match[1] if match else text


def _split_profiles(raw: str) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[;,|\s]+", raw.strip().lower()) if p)


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
FLEET_COLUMNS = ["id", "profile", "capacity_kg", "count", "home_depot", "shift_start", "shift_end"]
FLEET_OPTIONAL = ["name", "max_trips", "max_duration_h", "cost_per_km_vnd", "cost_per_hour_vnd", "fixed_cost_vnd"]
ZONE_COLUMNS = ["ward_id", "grade"]
ZONE_OPTIONAL = ["ward_name", "forbidden_profiles"]
POINT_COLUMNS = ["id", "ward_id", "lon", "lat"]
POINT_OPTIONAL = ["name", "ward_name", "locality", "tw_start", "tw_end", "service_min", "service_s_per_kg",
                  "priority", "approximate"]
CLOSURE_COLUMNS = ["kind", "value"]
CLOSURE_OPTIONAL = ["profiles", "label"]


def _read_toml(path: Path, problems: list[Problem]) -> dict:
    file = str(path)
    if not path.exists():
        problems.append(Problem("file not found (every scenario folder needs one)", file))
        return {}
    text = _decode(path.read_bytes(), file, problems)
    if text is None:
        return {}
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        problems.append(Problem(f"not valid TOML: {exc}", file, int(match[1]) if match else None))
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


def _toml_settings(raw: dict, file: str, problems: list[Problem]) -> tuple[str, dt.date, str, TimeSettings, Settings]:
    def bad(key: str, message: str) -> None:
        problems.append(Problem(message, file, None, key))

    name = raw.get("name", "")
    if not isinstance(name, str) or not name.strip():
        bad("name", "a scenario name (text) is needed")
        name = str(name or "")
    date_raw = raw.get("date")
    date = dt.date(2021, 7, 26)
    if isinstance(date_raw, dt.datetime):
        date = date_raw.date()
    elif isinstance(date_raw, dt.date):
        date = date_raw
    elif isinstance(date_raw, str):
        try:
            date = dt.date.fromisoformat(date_raw.strip())
        except ValueError:
            bad("date", f"'{date_raw}' is not a date YYYY-MM-DD")
    else:
        bad("date", "a date YYYY-MM-DD is needed")
    description = raw.get("description", "")
    if not isinstance(description, str):
        bad("description", "must be text")
        description = str(description)

    def table(key: str) -> dict:
        value = raw.get(key, {})
        return value if isinstance(value, dict) else {}

    def number(section: str, key: str, default: float, *, positive: bool = True, maximum: float | None = None,
               integer: bool = False) -> float:
        value = table(section).get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            bad(f"{section}.{key}", f"must be a number, got {value!r}")
            return default
        if integer and value != int(value):
            bad(f"{section}.{key}", f"must be a whole number, got {value!r}")
            return default
        if (positive and value <= 0) or (not positive and value < 0):
            bad(f"{section}.{key}", f"must be {'greater than 0' if positive else '0 or more'}, got {value!r}")
            return default
        if maximum is not None and value > maximum:
            bad(f"{section}.{key}", f"must be {maximum:g} or less, got {value!r}")
            return default
        return value

    def clock(key: str, default: int) -> int:
        value = table("time").get(key)
        if value is None:
            return default
        if isinstance(value, dt.time):
            return value.hour * 3600 + value.minute * 60 + value.second
        try:
            return parse_hhmm(str(value))
        except ValueError as exc:
            bad(f"time.{key}", str(exc))
            return default

    base_time = TimeSettings()
    time = TimeSettings(
        operating_start_s=clock("operating_start", base_time.operating_start_s),
        operating_end_s=clock("operating_end", base_time.operating_end_s),
        curfew_start_s=clock("curfew_start", base_time.curfew_start_s),
        curfew_end_s=clock("curfew_end", base_time.curfew_end_s),
        service_s=int(round(60 * number("time", "service_min", base_time.service_s / 60, positive=False))),
        service_s_per_kg=float(number("time", "service_s_per_kg", base_time.service_s_per_kg, positive=False)),
    )
    if time.operating_end_s <= time.operating_start_s:
        bad("time.operating_end", "the operating window must end after it starts")
    r = RationSettings()
    ration = RationSettings(
        rice_kg_per_person_month=float(number("ration", "rice_kg_per_person_month", r.rice_kg_per_person_month,
                                              positive=False)),
        days_per_month=float(number("ration", "days_per_month", r.days_per_month, maximum=31)),
        food_bag_kg_per_household_week=float(
            number("ration", "food_bag_kg_per_household_week", r.food_bag_kg_per_household_week, positive=False)
        ),
        coverage_share=float(number("ration", "coverage_share", r.coverage_share, positive=False, maximum=1.0)),
    )
    p = PointSettings()
    classes = table("demand").get("road_classes", list(p.road_classes))
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) and c for c in classes):
        bad("demand.road_classes", "must be a non-empty list of OSM road classes")
        classes = list(p.road_classes)
    points = PointSettings(
        households_per_point=float(number("demand", "households_per_point", p.households_per_point)),
        points_per_road_km=float(number("demand", "points_per_road_km", p.points_per_road_km)),
        max_point_kg=float(number("demand", "max_point_kg", p.max_point_kg)),
        min_residential_km=float(number("demand", "min_residential_km", p.min_residential_km, positive=False)),
        road_classes=tuple(classes),
        seed=int(number("demand", "seed", p.seed, positive=False, integer=True)),
    )
    return name.strip(), date, description, time, Settings(ration=ration, points=points)


def _locality_of(lon: float, lat: float) -> str:
    """Locality of the ward containing the point (nearest ward within the buffered area)."""
    wards = datasets.read_wards()
    point = shapely.Point(lon, lat)
    inside = wards[wards.geometry.contains(point)]
    if len(inside):
        return str(inside.iloc[0]["locality"])
    distances = wards.geometry.distance(point)
    return str(wards.loc[distances.idxmin(), "locality"])


def _read_depots(folder: Path, problems: list[Problem]) -> list[tuple[Depot, int]]:
    table = _read_csv(folder / DEPOTS_FILE, problems, required=DEPOT_COLUMNS, optional=DEPOT_OPTIONAL,
                      prefixes=("stock_",))
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
    for number, cells in table.rows:
        row = _Row(table, number, cells, problems)
        depot_id = row.identifier("id")
        name = row.text("name", default=depot_id)
        lon = row.number("lon")
        lat = row.number("lat")
        stock = {c[len("stock_"):-len("_kg")]: row.number(c, required=False, default=0.0) for c in stock_columns}
        open_s = row.time("open")
        close_s = row.time("close")
        load_min = row.number("load_time_min", required=False, default=20.0, minimum=0, maximum=24 * 60)
        approximate = row.flag("approximate")
        kind = _fold(row.text("kind", default="warehouse"))
        locality_raw = row.text("locality")
        locality = ""
        if locality_raw:
            locality = _LOCALITY_BY_FOLD.get(_fold(locality_raw), "")
            if not locality:
                row.problem(f"unknown locality '{locality_raw}' (use Nha Trang, Ninh Hoa or Van Ninh)", "locality")
        if row.bad:
            continue
        depots.append((
            Depot(id=depot_id, name=name, lon=float(lon), lat=float(lat), stock_kg={k: float(v) for k, v in stock.items()},
                  open_s=int(open_s), close_s=int(close_s), load_time_s=int(round(load_min * 60)),
                  approximate=approximate, locality=locality, kind=kind),
            number,
        ))
    return depots


def _read_fleet(folder: Path, problems: list[Problem]) -> list[tuple[VehicleType, int]]:
    table = _read_csv(folder / FLEET_FILE, problems, required=FLEET_COLUMNS, optional=FLEET_OPTIONAL)
    if table is None:
        return []
    fleet = []
    for number, cells in table.rows:
        row = _Row(table, number, cells, problems)
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
        if row.bad:
            continue
        fleet.append((
            VehicleType(
                id=vt_id, name=row.text("name", default=vt_id), profile=profile, capacity_kg=float(capacity),
                count=int(count), home_depot=home, shift_start_s=int(start), shift_end_s=int(end),
                max_trips=int(trips),
                max_duration_s=None if duration_h is None else int(round(duration_h * 3600)),
                cost_per_km_vnd=float(costs[0]), cost_per_hour_vnd=float(costs[1]), fixed_cost_vnd=float(costs[2]),
            ),
            number,
        ))
    return fleet


def _read_zones(folder: Path, problems: list[Problem]) -> list[tuple[Zone, int]]:
    table = _read_csv(folder / ZONES_FILE, problems, required=ZONE_COLUMNS, optional=ZONE_OPTIONAL, must_exist=False)
    if table is None:
        return []
    zones = []
    for number, cells in table.rows:
        row = _Row(table, number, cells, problems)
        ward_id = row.identifier("ward_id")
        grade = _fold(row.text("grade", required=True))
        forbidden = _split_profiles(row.text("forbidden_profiles"))
        if row.bad:
            continue
        zones.append((Zone(ward_id=ward_id, grade=grade, forbidden_profiles=forbidden, ward_name=row.text("ward_name")),
                      number))
    return zones


def _read_points(
    folder: Path, time: TimeSettings, problems: list[Problem]
) -> list[tuple[DemandPoint, bool, int]] | None:
    """The planner's points, each with whether its priority came from the file, and its row."""
    table = _read_csv(folder / POINTS_FILE, problems, required=POINT_COLUMNS, optional=POINT_OPTIONAL,
                      prefixes=("demand_",), must_exist=False)
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
    for number, cells in table.rows:
        row = _Row(table, number, cells, problems)
        point_id = row.identifier("id")
        ward_id = row.identifier("ward_id")
        lon = row.number("lon")
        lat = row.number("lat")
        demand = {c[len("demand_"):-len("_kg")]: row.number(c, required=False, default=0.0) for c in demand_columns}
        tw_start = row.time("tw_start", default=time.operating_start_s)
        tw_end = row.time("tw_end", default=time.operating_end_s)
        service_min = row.number("service_min", required=False, default=time.service_s / 60)
        per_kg = row.number("service_s_per_kg", required=False, default=time.service_s_per_kg)
        priority_raw = cells.get("priority", "")
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
                    approximate=approximate,
                ),
                bool(priority_raw),
                number,
            )
        )
    return out


def _read_closures(folder: Path, problems: list[Problem]) -> list[tuple[Closure, int]]:
    closures: list[tuple[Closure, int]] = []
    table = _read_csv(folder / CLOSURES_FILE, problems, required=CLOSURE_COLUMNS, optional=CLOSURE_OPTIONAL,
                      must_exist=False)
    for number, cells in table.rows if table else ():
        row = _Row(table, number, cells, problems)
        kind = row.text("kind", required=True).lower()
        value: Any = row.text("value", required=True)
        if kind == "osm_id" and value:
            parsed = _parse_number(value, False)
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
        closures.append((Closure(kind, value, _split_profiles(row.text("profiles")), row.text("label")), number))

    path = folder / CLOSURES_GEOJSON
    if path.exists():
        file = str(path)
        text = _decode(path.read_bytes(), file, problems)
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
                profiles = _split_profiles(profiles if isinstance(profiles, str) else ";".join(map(str, profiles)))
                label = str(props.get("label") or props.get("name") or "")
                closures.append((Closure("polygon", geom, profiles, label), number))
    return closures


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load a scenario folder (or its ``scenario.toml``); ``None`` gives the embedded default.

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
    name, date, description, time, settings = _toml_settings(raw, str(folder / SCENARIO_FILE), problems)
    depots = _read_depots(folder, problems)
    fleet = _read_fleet(folder, problems)
    zones_read = _read_zones(folder, problems)
    points_read = _read_points(folder, time, problems)
    closures = _read_closures(folder, problems)
    plain = [(c, r) for c, r in closures if c.kind != "polygon"]
    polygons = [(c, r) for c, r in closures if c.kind == "polygon"]

    zones = _complete_zones([z for z, _ in zones_read])
    by_ward = {z.ward_id: z for z in zones}
    depot_list = [d if d.locality else dataclasses.replace(d, locality=_locality_of(d.lon, d.lat)) for d, _ in depots]
    points = None
    if points_read is not None:
        points = tuple(
            p if explicit or p.ward_id not in by_ward else dataclasses.replace(p, priority=by_ward[p.ward_id].priority)
            for p, explicit, _ in points_read
        )
    rows = {
        DEPOTS_FILE: tuple(r for _, r in depots),
        FLEET_FILE: tuple(r for _, r in fleet),
        ZONES_FILE: tuple(r for _, r in zones_read),
        POINTS_FILE: tuple(r for *_, r in points_read or ()),
        CLOSURES_FILE: tuple(r for _, r in plain),
        CLOSURES_GEOJSON: tuple(r for _, r in polygons),
    }
    scenario = Scenario(
        name=name, date=date, description=description, settings=settings, time=time, depots=tuple(depot_list),
        vehicle_types=tuple(v for v, _ in fleet), demand_points=points, zones=tuple(zones),
        closures=tuple(c for c, _ in plain + polygons), source=folder, source_rows=rows,
    )
    problems.extend(_check_model(scenario))
    if problems:
        raise InputError(_unique(problems))
    return scenario


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _complete_zones(zones: Sequence[Zone]) -> list[Zone]:
    """The listed zones (names filled in) followed by green zones for the wards not listed."""
    wards = datasets.read_wards()
    names = dict(zip(wards["ward_id"], wards["ward_vn"]))
    listed = {z.ward_id for z in zones}
    out = [dataclasses.replace(z, ward_name=z.ward_name or names.get(z.ward_id, "")) for z in zones]
    out += [Zone(ward_id=w, grade="green", ward_name=names[w]) for w in wards["ward_id"] if w not in listed]
    return out


# --------------------------------------------------------------------------------------------------
# Checks on the model (also for scenarios built in code)
# --------------------------------------------------------------------------------------------------


def _file(scenario: Scenario, name: str) -> str:
    return str(scenario.source / name) if scenario.source else name


def _rows(scenario: Scenario, name: str, n: int, *, first: int = 2) -> list[int]:
    """Spreadsheet rows of the ``n`` objects read from file ``name``.

    The rows recorded at loading when they match; otherwise the rows the exported file would have
    (object ``i`` on row ``i + 2``; feature ``i`` of a GeoJSON file is number ``i + 1``).
    """
    recorded = scenario.source_rows.get(name) if scenario.source_rows else None
    if recorded is not None and len(recorded) == n:
        return list(recorded)
    return list(range(first, first + n))


def _check_model(scenario: Scenario) -> list[Problem]:
    """Semantic problems: duplicates, unknown ids, ranges, curfew, coordinates outside the localities."""
    problems: list[Problem] = []
    wards = datasets.read_wards()
    ward_ids = set(wards["ward_id"])
    area = datasets.localities_area()
    time = scenario.time
    curfew = f"{format_hhmm(time.curfew_start_s)}–{format_hhmm(time.curfew_end_s)}"

    def outside_mask(items: Sequence[Depot | DemandPoint]) -> np.ndarray:
        lon = np.array([i.lon for i in items], dtype=float)
        lat = np.array([i.lat for i in items], dtype=float)
        finite = np.isfinite(lon) & np.isfinite(lat)
        inside = np.zeros(len(items), dtype=bool)
        if finite.any():
            inside[finite] = shapely.contains_xy(area, lon[finite], lat[finite])
        return ~inside

    # depots
    f = _file(scenario, DEPOTS_FILE)
    counts = Counter(d.id for d in scenario.depots)
    depot_outside = outside_mask(scenario.depots)
    for i, (row, d) in enumerate(zip(_rows(scenario, DEPOTS_FILE, len(scenario.depots)), scenario.depots)):
        if counts[d.id] > 1:
            problems.append(Problem(f"duplicate depot id '{d.id}'", f, row, "id"))
        if not d.id:
            problems.append(Problem("value is missing", f, row, "id"))
        for commodity, kg in d.stock_kg.items():
            if not math.isfinite(kg) or kg < 0:
                problems.append(Problem(f"stock must be 0 kg or more, got {kg:g}", f, row, f"stock_{commodity}_kg"))
        if depot_outside[i]:
            problems.append(
                Problem(f"depot '{d.id}' ({d.lat:.5f}, {d.lon:.5f}) is outside Nha Trang, Ninh Hòa and Vạn Ninh "
                        "(check that lon and lat are not swapped)", f, row, "lon/lat")
            )
        if d.close_s <= d.open_s:
            problems.append(Problem(f"closes ({format_hhmm(d.close_s)}) before it opens ({format_hhmm(d.open_s)})",
                                    f, row, "close"))
        if d.load_time_s < 0:
            problems.append(Problem("load time must be 0 or more", f, row, "load_time_min"))
        if d.kind not in DEPOT_KINDS:
            problems.append(Problem(f"unknown kind '{d.kind}' (use {', '.join(DEPOT_KINDS)})", f, row, "kind"))
        if d.locality and d.locality not in LOCALITY_CODES:
            problems.append(Problem(f"unknown locality '{d.locality}'", f, row, "locality"))

    # fleet
    f = _file(scenario, FLEET_FILE)
    depot_ids = {d.id for d in scenario.depots}
    counts = Counter(v.id for v in scenario.vehicle_types)
    expanded = Counter(vid for vt in scenario.vehicle_types if 0 <= vt.count <= MAX_VEHICLES_PER_TYPE
                       for vid in vt.vehicle_ids())
    for row, v in zip(_rows(scenario, FLEET_FILE, len(scenario.vehicle_types)), scenario.vehicle_types):
        if counts[v.id] > 1:
            problems.append(Problem(f"duplicate vehicle type id '{v.id}'", f, row, "id"))
        elif 0 <= v.count <= MAX_VEHICLES_PER_TYPE and any(expanded[i] > 1 for i in v.vehicle_ids()):
            problems.append(Problem(f"vehicle ids made from '{v.id}' clash with another row's", f, row, "id"))
        if v.home_depot not in depot_ids:
            problems.append(Problem(f"unknown home depot '{v.home_depot}' (not in {DEPOTS_FILE})", f, row, "home_depot"))
        if v.profile not in VEHICLE_PROFILES:
            problems.append(Problem(f"unknown profile '{v.profile}' (use {', '.join(VEHICLE_PROFILES)})", f, row, "profile"))
        if not math.isfinite(v.capacity_kg) or v.capacity_kg <= 0:
            problems.append(Problem(f"capacity must be greater than 0 kg, got {v.capacity_kg:g}", f, row, "capacity_kg"))
        if not 0 <= v.count <= MAX_VEHICLES_PER_TYPE:
            problems.append(Problem(f"count must be 0–{MAX_VEHICLES_PER_TYPE}, got {v.count}", f, row, "count"))
        if not 1 <= v.max_trips <= MAX_TRIPS:
            problems.append(Problem(f"max_trips must be 1–{MAX_TRIPS}, got {v.max_trips}", f, row, "max_trips"))
        if v.shift_end_s <= v.shift_start_s:
            problems.append(
                Problem(f"shift ends ({format_hhmm(v.shift_end_s)}) before it starts ({format_hhmm(v.shift_start_s)})",
                        f, row, "shift_end")
            )
        elif time.overlaps_curfew(v.shift_start_s, v.shift_end_s):
            problems.append(
                Problem(f"shift {format_hhmm(v.shift_start_s)}–{format_hhmm(v.shift_end_s)} runs into the curfew "
                        f"({curfew}: no vehicle on the road)", f, row,
                        "shift_start" if any(v.shift_start_s < b and v.shift_start_s >= a
                                             for a, b in time.curfew_intervals()) else "shift_end")
            )
        if v.max_duration_s is not None and v.max_duration_s <= 0:
            problems.append(Problem("max duration must be greater than 0 hours", f, row, "max_duration_h"))
        for column, value in (("cost_per_km_vnd", v.cost_per_km_vnd), ("cost_per_hour_vnd", v.cost_per_hour_vnd),
                              ("fixed_cost_vnd", v.fixed_cost_vnd)):
            if not math.isfinite(value) or value < 0:
                problems.append(Problem(f"cost must be 0 VND or more, got {value:g}", f, row, column))

    # zones (only the rows the planner listed are reported against zones.csv)
    f = _file(scenario, ZONES_FILE)
    zones = list(scenario.zones)
    zone_rows = _rows(scenario, ZONES_FILE, len(zones))
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
        for profile in z.forbidden_profiles:
            if profile not in VEHICLE_PROFILES:
                problems.append(Problem(f"unknown profile '{profile}'", f, row, "forbidden_profiles"))

    # demand points
    if scenario.demand_points is not None:
        f = _file(scenario, POINTS_FILE)
        counts = Counter(p.id for p in scenario.demand_points)
        if not scenario.demand_points:
            problems.append(Problem("no demand points (delete the file to generate them from the census)", f))
        point_outside = outside_mask(scenario.demand_points)
        point_rows = _rows(scenario, POINTS_FILE, len(scenario.demand_points))
        for i, (row, p) in enumerate(zip(point_rows, scenario.demand_points)):
            if counts[p.id] > 1:
                problems.append(Problem(f"duplicate demand point id '{p.id}'", f, row, "id"))
            if p.ward_id not in ward_ids:
                problems.append(Problem(f"unknown ward id '{p.ward_id}' (GSO commune code of the 67 wards)", f, row,
                                        "ward_id"))
            for commodity, kg in p.demand_kg.items():
                if not math.isfinite(kg) or kg < 0:
                    problems.append(Problem(f"demand must be 0 kg or more, got {kg:g}", f, row, f"demand_{commodity}_kg"))
            if point_outside[i]:
                problems.append(
                    Problem(f"point '{p.id}' ({p.lat:.5f}, {p.lon:.5f}) is outside Nha Trang, Ninh Hòa and Vạn Ninh "
                            "(check that lon and lat are not swapped)", f, row, "lon/lat")
                )
            if p.tw_end_s <= p.tw_start_s:
                problems.append(Problem(f"window ends ({format_hhmm(p.tw_end_s)}) before it starts "
                                        f"({format_hhmm(p.tw_start_s)})", f, row, "tw_end"))
            if p.service_s < 0 or not math.isfinite(p.service_s_per_kg) or p.service_s_per_kg < 0:
                problems.append(Problem("service time must be 0 or more", f, row, "service_min"))
            if p.priority not in PRIORITY_OF_GRADE.values():
                problems.append(Problem(f"priority must be 0–3, got {p.priority}", f, row, "priority"))

    # closures
    f = _file(scenario, CLOSURES_FILE)
    plain = [c for c in scenario.closures if c.kind != "polygon"]
    for row, c in zip(_rows(scenario, CLOSURES_FILE, len(plain)), plain):
        if c.kind not in ("osm_id", "name"):
            problems.append(Problem(f"unknown closure kind '{c.kind}'", f, row, "kind"))
        for profile in c.profiles:
            if profile not in VEHICLE_PROFILES:
                problems.append(Problem(f"unknown profile '{profile}'", f, row, "profiles"))
    polygons = [c for c in scenario.closures if c.kind == "polygon"]
    for row, c in zip(_rows(scenario, CLOSURES_GEOJSON, len(polygons), first=1), polygons):
        for profile in c.profiles:
            if profile not in VEHICLE_PROFILES:
                problems.append(Problem(f"unknown profile '{profile}'", _file(scenario, CLOSURES_GEOJSON), row, "profiles"))
    return problems


# --------------------------------------------------------------------------------------------------
# Validation report
# --------------------------------------------------------------------------------------------------


@dataclass
class ValidationReport:
    """Problems found and the day's figures.

    Attributes
    ----------
    problems
        Every problem (file, row, field); empty when the scenario is usable.
    summary
        ``depots``, ``stock_kg``, ``fleet``, ``demand_kg_per_day`` (per locality), ``points`` (count, per
        ward, approximate), ``approximate`` items and ``shortfall`` (see :meth:`Scenario.shortfall`).
    """

    problems: list[Problem]
    summary: dict

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_problems(self) -> None:
        if self.problems:
            raise InputError(self.problems)

    def text(self) -> str:
        """A short plain-text report for the CLI."""
        s = self.summary
        lines = [f"Scenario: {s['scenario']} ({s['date']})"]
        lines.append(f"Depots: {s['depots']['count']} ({s['depots']['approximate']} approximate)")
        lines.append("Stock: " + ", ".join(f"{c} {kg / 1000:,.1f} t" for c, kg in s["stock_kg"].items()))
        fl = s["fleet"]
        lines.append(f"Fleet: {fl['vehicles']} vehicles in {fl['vehicle_types']} rows, "
                     f"{fl['capacity_kg_per_day'] / 1000:,.1f} t/day")
        for locality, row in s["demand_kg_per_day"].items():
            lines.append(f"Demand {datasets.LOCALITIES.get(locality, locality)}: "
                         + ", ".join(f"{c} {kg / 1000:,.1f} t" for c, kg in row.items()) + " per day")
        if s.get("points"):
            lines.append(f"Drop points: {s['points']['count']} ({s['points']['approximate']} approximate) in "
                         f"{len(s['points']['per_ward'])} wards")
        lines += [f"Shortfall: {line}" for line in s["shortfall_lines"]] or ["Shortfall: none"]
        lines += [f"Problem: {p}" for p in self.problems]
        return "\n".join(lines)


def validate_scenario(scenario: Scenario, *, network: "RoadNetwork | None" = None) -> ValidationReport:
    """Check a scenario and summarise it.

    Parameters
    ----------
    scenario
        Loaded or built in code.
    network
        A truck (or motorbike) network: depots and drop points must then be within its snapping distance
        and every closure must match a road of it. Without a network only the other checks run, and
        generated drop points are placed on the shipped truck network (cached on disk).

    Returns
    -------
    ValidationReport
        Problems are returned, not raised (:meth:`ValidationReport.raise_if_problems`).
    """
    problems = _check_model(scenario)
    # Generated points always sit on the truck network (the shipped one unless a truck network is given).
    points = scenario.drop_points(network if network is not None and network.profile == "truck" else None)
    if network is not None:
        problems += _check_reachable(scenario, network, points)
    shortfall = scenario.shortfall()
    demand_loc = scenario.demand_by_locality()
    totals = {c: math.fsum(row.get(c, 0.0) for row in demand_loc.values()) for c in scenario.commodities}
    demand_summary = {loc: {**row, "total": math.fsum(row.values())} for loc, row in demand_loc.items()}
    demand_summary["total"] = {**totals, "total": math.fsum(totals.values())}
    vehicles = scenario.vehicles()
    per_ward = Counter(p.ward_id for p in points)
    summary = {
        "scenario": scenario.name,
        "date": scenario.date.isoformat(),
        "depots": {
            "count": len(scenario.depots),
            "approximate": sum(d.approximate for d in scenario.depots),
            "by_locality": dict(Counter(d.locality for d in scenario.depots)),
        },
        "stock_kg": scenario.stock_kg(),
        "fleet": {
            "vehicle_types": len(scenario.vehicle_types),
            "vehicles": len(vehicles),
            "by_profile": dict(Counter(v.profile for v in vehicles)),
            "capacity_kg_per_trip": math.fsum(v.capacity_kg for v in vehicles),
            "capacity_kg_per_day": scenario.fleet_capacity_kg_per_day(),
        },
        "demand_kg_per_day": demand_summary,
        "points": {
            "count": len(points),
            "approximate": sum(p.approximate for p in points),
            "generated": scenario.demand_points is None,
            "per_ward": dict(sorted(per_ward.items())),
            "by_locality": dict(Counter(p.locality for p in points)),
        },
        "approximate": {
            "depots": [d.id for d in scenario.depots if d.approximate],
            "points": sum(p.approximate for p in points),
            "wards_with_approximate_points": sorted({p.ward_id for p in points if p.approximate}),
        },
        "zones": dict(Counter(z.grade for z in scenario.zones)),
        "shortfall": shortfall.as_dict(),
        "shortfall_lines": shortfall.lines(),
    }
    return ValidationReport(problems=_unique(problems), summary=summary)


def _check_reachable(scenario: Scenario, network: "RoadNetwork", points: Sequence[DemandPoint]) -> list[Problem]:
    problems: list[Problem] = []
    limit = network.settings.snap_max_distance_m
    for file, items, label in ((DEPOTS_FILE, scenario.depots, "depot"),
                               (POINTS_FILE, points if scenario.demand_points is not None else (), "point")):
        if not items:
            continue
        lon = np.array([i.lon for i in items], dtype=float)
        lat = np.array([i.lat for i in items], dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            continue
        rows = _rows(scenario, file, len(items))
        snapped = network.snap(lon[ok], lat[ok], check_area=False, max_distance_m=math.inf)
        for index, distance in zip(np.flatnonzero(ok), snapped.distance_m):
            if distance > limit:
                item = items[index]
                problems.append(
                    Problem(f"{label} '{item.id}' ({item.lat:.5f}, {item.lon:.5f}) is {distance:,.0f} m from the "
                            f"nearest {network.profile} road (limit {limit:,.0f} m): unreachable",
                            _file(scenario, file), rows[index], "lon/lat")
                )
    if scenario.demand_points is None:
        # Generated points are nodes of the network they were placed on; report any that is not reachable.
        far = [p for p in points if not p.approximate]
        if far:
            snapped = network.snap([p.lon for p in far], [p.lat for p in far], check_area=False,
                                   max_distance_m=math.inf)
            for p, distance in zip(far, snapped.distance_m):
                if distance > limit:
                    problems.append(Problem(f"generated point '{p.id}' is {distance:,.0f} m from the network",
                                            "generated demand points", None, "lon/lat"))
    from optimizer.network import closed_edge_mask

    plain = [c for c in scenario.closures if c.kind != "polygon"]
    polygons = [c for c in scenario.closures if c.kind == "polygon"]
    located = [(c, _file(scenario, CLOSURES_FILE), row, "value")
               for c, row in zip(plain, _rows(scenario, CLOSURES_FILE, len(plain)))]
    located += [(c, _file(scenario, CLOSURES_GEOJSON), row, "geometry")
                for c, row in zip(polygons, _rows(scenario, CLOSURES_GEOJSON, len(polygons), first=1))]
    for closure, file, row, fieldname in located:
        if not closure.applies_to(network.profile):
            continue
        try:
            closed_edge_mask(network.edges, [closure], profile=network.profile)
        except InputError as exc:
            problems.append(Problem("; ".join(p.message for p in exc.problems), file, row, fieldname))
    return problems


# --------------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    """Numbers as a spreadsheet shows them, exactly round-tripping (``repr`` for non-integers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_fmt(v) for v in row])
    return buffer.getvalue()


def _scenario_toml(scenario: Scenario) -> str:
    import tomli_w

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
        "# Scenario of one planning day (see optimizer/scenario.py and data/README.md).\n"
        "# Times HH:MM; ration in kg; [demand] shapes the drop points generated from the census\n"
        "# (ignored when demand_points.csv is present).\n"
    )
    return header + tomli_w.dumps(data)


def export_scenario(
    scenario: Scenario,
    folder: str | Path,
    *,
    include_demand_points: bool = False,
    network: "RoadNetwork | None" = None,
) -> Path:
    """Write the scenario as editable files (UTF-8 with BOM, so Excel shows Vietnamese names).

    Every file is written to a temporary file in ``folder`` and renamed over the old one, so no file is
    ever half-written. Optional files the scenario does not have (``demand_points.csv``, closures) are
    removed from the folder, so loading it back gives the same scenario.

    Parameters
    ----------
    include_demand_points
        Also write generated drop points (placed on ``network``, default the shipped truck network) to
        ``demand_points.csv``, for a planner to edit. Planner points are always written.

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
    files[FLEET_FILE] = _csv_text(
        ["id", "name", "profile", "capacity_kg", "count", "home_depot", "shift_start", "shift_end", "max_trips",
         "max_duration_h", "cost_per_km_vnd", "cost_per_hour_vnd", "fixed_cost_vnd"],
        [[v.id, v.name, v.profile, v.capacity_kg, v.count, v.home_depot, format_hhmm(v.shift_start_s),
          format_hhmm(v.shift_end_s), v.max_trips, None if v.max_duration_s is None else v.max_duration_s / 3600,
          v.cost_per_km_vnd, v.cost_per_hour_vnd, v.fixed_cost_vnd] for v in scenario.vehicle_types],
    )
    files[ZONES_FILE] = _csv_text(
        ["ward_id", "ward_name", "grade", "forbidden_profiles"],
        [[z.ward_id, z.ward_name, z.grade, ";".join(z.forbidden_profiles)] for z in scenario.zones],
    )
    points = scenario.demand_points
    if points is None and include_demand_points:
        points = tuple(scenario.drop_points(network))
    if points is not None:
        point_commodities = list(dict.fromkeys(c for p in points for c in p.demand_kg)) or list(COMMODITIES)
        files[POINTS_FILE] = _csv_text(
            ["id", "ward_id", "ward_name", "locality", "name", "lon", "lat",
             *[f"demand_{c}_kg" for c in point_commodities], "tw_start", "tw_end", "service_min", "service_s_per_kg",
             "priority", "approximate"],
            [[p.id, p.ward_id, p.ward_name, p.locality, p.name, p.lon, p.lat,
              *[p.demand_kg.get(c, 0.0) for c in point_commodities], format_hhmm(p.tw_start_s), format_hhmm(p.tw_end_s),
              p.service_s / 60, p.service_s_per_kg, p.priority, p.approximate] for p in points],
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

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        encoding = "utf-8-sig" if name.endswith(".csv") else "utf-8"
        write_text_atomically(folder / name, text, encoding=encoding)
    for name in (POINTS_FILE, CLOSURES_FILE, CLOSURES_GEOJSON):
        if name not in files and (folder / name).exists():
            (folder / name).unlink()
    return folder


# --------------------------------------------------------------------------------------------------
# The embedded default
# --------------------------------------------------------------------------------------------------


@functools.cache
def default_scenario() -> Scenario:
    """"Khánh Hòa — 26/07/2021 (Chỉ thị 16)", built from the shipped data (see ``data/README.md``).

    Its drop points are generated from the census on the shipped truck network when first asked for
    (:meth:`Scenario.drop_points`).
    """
    from optimizer.scenario.default import build_default_scenario

    return build_default_scenario()
