"""A planning day as plain data: depots and their stock, the fleet, zones, drop points, closures, settings.

Every later module works on the frozen objects defined here (:class:`Scenario` and its parts); none re-reads
the raw files. Reading the scenario folder is :mod:`optimizer.scenario.io`, writing it
:mod:`optimizer.scenario.export`, the checks that need no road network :mod:`optimizer.scenario.validate`, the
embedded default day :mod:`optimizer.scenario.default`.
The census demand and the generated drop points of a scenario are :mod:`optimizer.demand`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from optimizer import datasets
from optimizer.clock import DAY_S
from optimizer.network import Closure

__all__ = [
    "COMMODITIES", "GRADES", "PRIORITY_OF_GRADE", "DEPOT_KINDS", "VEHICLE_PROFILES", "LOCALITY_CODES",
    "DEFAULT_REACH_KM", "MAX_VEHICLES_PER_TYPE", "MAX_TRIPS", "SCENARIO_FILE", "DEPOTS_FILE", "FLEET_FILE", "ZONES_FILE", "POINTS_FILE",
    "CLOSURES_FILE", "CLOSURES_GEOJSON", "CAMPS_FILE", "KITCHENS_FILE", "CAMP_KINDS", "DEFAULT_MEAL_WINDOWS",
    "Depot", "Camp", "Kitchen", "VehicleType", "Vehicle", "DemandPoint", "Zone", "TimeSettings", "RationSettings",
    "PointSettings", "Settings", "Scenario", "complete_zones",
]

#: Commodities every scenario has (a planner may add more as extra ``stock_<c>_kg`` columns).
COMMODITIES = ("rice", "food_bag")
#: Zone grades of Decision 2686/QĐ-BCĐQG (31 May 2021), lowest risk first.
GRADES = ("green", "yellow", "orange", "red")
#: Delivery priority of a zone grade (higher is served first).
PRIORITY_OF_GRADE = {"green": 0, "yellow": 1, "orange": 2, "red": 3}
#: What a depot is.
DEPOT_KINDS = ("supermarket", "market", "mall", "warehouse", "mobile")
#: Vehicle profiles of the road network (``optimizer.network.settings``).
VEHICLE_PROFILES = ("truck", "motorbike")
#: Longest road distance (km) from its home depot a vehicle of a profile drives when ``fleet.csv`` leaves
#: ``max_reach_km`` empty; ``None``: no limit (the whole province). Motorbikes of volunteers and shippers
#: serve the neighbourhood of their store.
DEFAULT_REACH_KM: dict[str, float | None] = {"motorbike": 6.0, "truck": None}
#: ``Nha Trang``, ``Ninh Hoa``, ``Van Ninh`` (ASCII codes; Vietnamese names in ``datasets.LOCALITIES``).
LOCALITY_CODES = tuple(datasets.LOCALITIES)

#: Upper bounds that keep a typo (``count = 1e9``) from exhausting memory.
MAX_VEHICLES_PER_TYPE = 10_000
MAX_TRIPS = 100

#: Files of a scenario folder (also the keys of :attr:`Scenario.source_rows`).
SCENARIO_FILE = "scenario.toml"
DEPOTS_FILE = "depots.csv"
FLEET_FILE = "fleet.csv"
ZONES_FILE = "zones.csv"
POINTS_FILE = "demand_points.csv"
CLOSURES_FILE = "closures.csv"
CLOSURES_GEOJSON = "closures.geojson"
CAMPS_FILE = "camps.csv"
KITCHENS_FILE = "kitchens.csv"

#: What a quarantine camp is (the Hà Tĩnh conclusion of 2 August 2021 mobilises hotels, dormitories and
#: military sites).
CAMP_KINDS = ("hotel", "dormitory", "military", "other")
#: Breakfast, lunch and dinner (seconds since midnight) of a camp that gives no windows.
DEFAULT_MEAL_WINDOWS = ((6 * 3600, 7 * 3600), (10 * 3600 + 1800, 11 * 3600 + 1800), (16 * 3600 + 1800, 17 * 3600 + 1800))


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
class Camp:
    """A quarantine camp: people held there get hot meals delivered within each meal's window.

    Attributes
    ----------
    id, name, kind
        Unique id, display name, one of :data:`CAMP_KINDS`.
    lon, lat
        WGS84 position (the gate where meals are handed over).
    headcount
        People to feed (one meal each per window).
    meal_windows_s
        ``(start, end)`` of each meal of the day, seconds since midnight, in order: a meal must arrive
        within its window.
    service_s
        Time to hand the meals over at the gate.
    ward_id, locality
        Where it lies (from its position when the file leaves them empty).
    contact, phone
        Who receives the meals, for the kitchens' run sheets.
    """

    id: str
    name: str
    lon: float
    lat: float
    headcount: int
    meal_windows_s: tuple[tuple[int, int], ...] = DEFAULT_MEAL_WINDOWS
    kind: str = "other"
    service_s: int = 600
    ward_id: str = ""
    locality: str = ""
    contact: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Kitchen:
    """A kitchen cooking hot meals for the camps, with its own vans.

    Attributes
    ----------
    id, name
        Unique id and display name.
    lon, lat
        WGS84 position.
    meals_per_service
        Meals it cooks for one meal service (breakfast, lunch or dinner).
    vans, van_capacity_meals
        Its vans (road profile ``truck``) and the meals one carries.
    max_ride_s
        Longest time from leaving the kitchen to handing a meal over (hot meals: 45 minutes).
    load_s
        Time to load a van before it leaves.
    locality, phone
        Where it lies; the kitchen's phone, for the camps.
    """

    id: str
    name: str
    lon: float
    lat: float
    meals_per_service: int
    vans: int
    van_capacity_meals: int
    max_ride_s: int = 45 * 60
    load_s: int = 600
    locality: str = ""
    phone: str = ""

    def van_ids(self) -> list[str]:
        """``<id>-V01`` … for the kitchen's vans."""
        return [f"{self.id}-V{k:02d}" for k in range(1, self.vans + 1)]


@dataclass(frozen=True)
class VehicleType:
    """A row of the fleet: ``count`` identical vehicles based at one depot.

    Costs are in VND. ``max_duration_s`` is the longest working day (first loading to last return).
    ``max_reach_km`` is the longest road distance from the home depot a vehicle drives (``None``: no limit);
    a loaded ``fleet.csv`` without one gives the profile's :data:`DEFAULT_REACH_KM`. ``drivers``, ``plates``
    and ``phones`` (optional, for the dispatch sheets) name the vehicles' drivers, number plates and phone
    numbers in vehicle order; a vehicle beyond the end of a tuple (a what-if adding vehicles) has none.
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
    max_reach_km: float | None = None
    drivers: tuple[str, ...] = ()
    plates: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

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
    """One vehicle (a :class:`VehicleType` expanded by :meth:`Scenario.vehicles`).

    ``max_reach_km`` is the longest road distance from the home depot the vehicle drives (``None``: no limit);
    ``driver``, ``plate`` and ``phone`` are shown on its dispatch sheet ('' when not given).
    """

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
    max_reach_km: float | None = None
    driver: str = ""
    plate: str = ""
    phone: str = ""


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
        From the ward's zone: red 3, orange 2, yellow 1, green 0 (a planner's ``demand_points.csv`` may
        override it; :func:`~optimizer.scenario.io.load_scenario` warns when it does).
    approximate
        Placed at a commune's representative point / access node (no real roads there).
    contact, phone
        Who receives the goods there and their phone number, for the dispatch sheets ('' when not given).
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
    contact: str = ""
    phone: str = ""

    @property
    def total_kg(self) -> float:
        """Kilograms of all commodities."""
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
        """Delivery priority of the grade (:data:`PRIORITY_OF_GRADE`)."""
        return PRIORITY_OF_GRADE.get(self.grade, 0)

    def allows(self, profile: str) -> bool:
        """Vehicles of ``profile`` may enter the ward."""
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
        """Curfew start and end differ."""
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


#: Rice leaves the warehouses in sacks of this many kilograms (the loading lists count them).
RICE_SACK_KG = 50.0


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
        """Daily rice per person."""
        return self.rice_kg_per_person_month / self.days_per_month

    @property
    def food_bag_kg_per_household_day(self) -> float:
        """Daily food bag per household."""
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
        (:func:`optimizer.demand.drop_points`).
    zones
        One :class:`Zone` per ward (all 67 wards; ones not listed in ``zones.csv`` are green).
    closures
        Roads blocked that day (:class:`optimizer.network.Closure`).
    camps, kitchens
        Quarantine camps and the kitchens cooking their meals (none: no meal runs).
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
    camps: tuple[Camp, ...] = ()
    kitchens: tuple[Kitchen, ...] = ()
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
        """The depot with this id (``KeyError`` when there is none)."""
        for depot in self.depots:
            if depot.id == depot_id:
                return depot
        raise KeyError(depot_id)

    @property
    def zones_by_ward(self) -> dict[str, Zone]:
        """Ward id → zone."""
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
            for k, vid in enumerate(vt.vehicle_ids()):
                out.append(
                    Vehicle(
                        id=vid, type_id=vt.id, name=vt.name, profile=vt.profile, capacity_kg=vt.capacity_kg,
                        home_depot=vt.home_depot, shift_start_s=vt.shift_start_s, shift_end_s=vt.shift_end_s,
                        max_trips=vt.max_trips, max_duration_s=vt.max_duration_s,
                        cost_per_km_vnd=vt.cost_per_km_vnd, cost_per_hour_vnd=vt.cost_per_hour_vnd,
                        fixed_cost_vnd=vt.fixed_cost_vnd, max_reach_km=vt.max_reach_km,
                        driver=_nth(vt.drivers, k), plate=_nth(vt.plates, k), phone=_nth(vt.phones, k),
                    )
                )
        return out

    # ---- supply -------------------------------------------------------------------------------

    def stock_kg(self) -> dict[str, float]:
        """Commodity → kg in all depots."""
        return {c: math.fsum(d.stock_kg.get(c, 0.0) for d in self.depots) for c in self.commodities}

    def stock_by_locality(self) -> dict[str, dict[str, float]]:
        """Locality → commodity → kg in the locality's depots."""
        out = {loc: {c: 0.0 for c in self.commodities} for loc in LOCALITY_CODES}
        for depot in self.depots:
            row = out.setdefault(depot.locality, {c: 0.0 for c in self.commodities})
            for commodity, kg in depot.stock_kg.items():
                row[commodity] = row.get(commodity, 0.0) + kg
        return out

    def fleet_capacity_kg_per_day(self) -> float:
        """Σ capacity × count × max_trips."""
        return float(math.fsum(vt.capacity_kg_per_day for vt in self.vehicle_types))

    # ---- rows of the files the scenario was read from ----------------------------------------

    def file_label(self, name: str) -> str:
        """The path of file ``name`` of the scenario's folder (the bare name for a scenario built in code)."""
        return str(self.source / name) if self.source else name

    def row_numbers(self, name: str, count: int, *, first: int = 2) -> list[int]:
        """Spreadsheet rows of the ``count`` objects read from file ``name``.

        The rows recorded at loading when they match; otherwise the rows the exported file would have
        (object ``i`` on row ``i + 2``; feature ``i`` of a GeoJSON file is number ``i + 1``, ``first=1``).
        """
        recorded = self.source_rows.get(name) if self.source_rows else None
        if recorded is not None and len(recorded) == count:
            return list(recorded)
        return list(range(first, first + count))


def _nth(values: tuple[str, ...], k: int) -> str:
    """The ``k``-th value ('' past the end)."""
    return values[k] if k < len(values) else ""


def complete_zones(zones: Sequence[Zone]) -> list[Zone]:
    """The listed zones (names filled in) followed by green zones for the census wards not listed."""
    wards = datasets.read_wards()
    names = dict(zip(wards["ward_id"], wards["ward_vn"]))
    listed = {z.ward_id for z in zones}
    out = [dataclasses.replace(z, ward_name=z.ward_name or names.get(z.ward_id, "")) for z in zones]
    out += [Zone(ward_id=w, grade="green", ward_name=names[w]) for w in wards["ward_id"] if w not in listed]
    return out
