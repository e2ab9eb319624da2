"""The three files a re-plan reads: what the drivers reported (``delivered.csv``), what happened (``events.csv``)
and what the hotline asked for (``requests.csv``).

Each reader checks every row and raises one :class:`~optimizer.errors.InputError` listing every problem by file,
spreadsheet row and column (the conventions of :mod:`optimizer.tables`: UTF-8, ``,``/``;``/tab, ``HH:MM``
times, ``note*`` columns kept as notes). The columns are documented in ``docs/scenario-format.md``
("Re-plan files"); ``examples/replan/`` has one of each for the default day.

:func:`request_points` turns the hotline's requests into drop points of the rest of the day.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from optimizer import datasets
from optimizer.clock import format_hhmm
from optimizer.errors import InputError, Problem
from optimizer.network import Closure
from optimizer.scenario.model import COMMODITIES, PRIORITY_OF_GRADE, VEHICLE_PROFILES, DemandPoint, Scenario
from optimizer.tables import Row, Table, fold_text, read_csv_table, split_words, ward_id_text

__all__ = ["STATUSES", "EVENT_KINDS", "DELIVERED_COLUMNS", "DELIVERED_OPTIONAL", "EVENT_COLUMNS", "EVENT_OPTIONAL",
           "REQUEST_COLUMNS", "REQUEST_OPTIONAL", "Delivery", "Event", "Request", "read_delivered", "read_events",
           "read_requests", "request_points"]

#: What a driver reports of a stop.
STATUSES = ("done", "refused", "failed")
#: What may happen during the day.
EVENT_KINDS = ("breakdown", "vehicle_added", "depot_closed", "stock_received", "road_closed")
#: Status words a driver may write (after :func:`~optimizer.tables.fold_text`), Vietnamese included.
_STATUS_WORDS = {"done": "done", "xong": "done", "da giao": "done", "refused": "refused", "tu choi": "refused",
                 "failed": "failed", "that bai": "failed", "khong giao duoc": "failed"}

DELIVERED_COLUMNS = ["vehicle_id", "trip", "stop_id", "status"]
DELIVERED_OPTIONAL = ["time"]
EVENT_COLUMNS = ["time", "kind"]
EVENT_OPTIONAL = ["vehicle_id", "last_stop", "lat", "lon", "depot_id", "profile", "capacity_kg", "max_trips",
                  "road_kind", "road", "profiles"]
REQUEST_COLUMNS = ["id"]
REQUEST_OPTIONAL = ["ward_id", "ward", "lat", "lon", "priority", "tw_start", "tw_end", "name", "contact", "phone"]


@dataclass(frozen=True)
class Delivery:
    """A driver's report of one visit of the plan.

    Attributes
    ----------
    vehicle_id, trip, stop_id
        The visit (as ``routes.csv`` of the plan names it).
    status
        ``done``, ``refused`` (nobody took it) or ``failed`` (could not get there).
    time_s
        When, seconds since midnight (``None``: not said).
    kg
        Kilograms handed over per commodity, for ``done`` (a commodity not given: as planned).
    note
        The driver's words (the reason of a refusal).
    row
        Spreadsheet row of ``delivered.csv``.
    """

    vehicle_id: str
    trip: int
    stop_id: str
    status: str
    time_s: int | None
    kg: dict[str, float]
    note: str
    row: int


@dataclass(frozen=True)
class Event:
    """Something that happened during the day (one row of ``events.csv``).

    Attributes
    ----------
    kind
        One of :data:`EVENT_KINDS`.
    time_s
        When, seconds since midnight.
    row
        Spreadsheet row of ``events.csv`` (0 when made by code).
    vehicle_id
        The broken-down vehicle, or the id of an added one.
    stop_id, lat, lon
        Where a vehicle broke down (its last stop, or a position), for the record.
    depot_id
        The depot closed, receiving stock, or an added vehicle's depot.
    kg
        Stock received per commodity.
    profile, capacity_kg, max_trips
        An added vehicle.
    closure
        A closed road (from the re-plan time on).
    note
        Free text (an added vehicle's name).
    """

    kind: str
    time_s: int
    row: int
    vehicle_id: str = ""
    stop_id: str = ""
    lat: float | None = None
    lon: float | None = None
    depot_id: str = ""
    kg: dict[str, float] = field(default_factory=dict)
    profile: str = ""
    capacity_kg: float = 0.0
    max_trips: int = 1
    closure: Closure | None = None
    note: str = ""


@dataclass(frozen=True)
class Request:
    """A household or group the hotline adds to the rest of the day.

    Attributes
    ----------
    id
        Unique id (``HL-001``); not a drop point's id.
    ward_id
        The ward (GSO code); '' when the position says it.
    lon, lat
        Position (``None``: the ward's road point).
    kg
        Kilograms per commodity.
    priority
        ``None``: the ward's zone's.
    tw_start_s, tw_end_s
        Window (``None``: from the re-plan time / to the end of the operating day).
    name, contact, phone, note
        For the dispatch sheets.
    row
        Spreadsheet row of ``requests.csv``.
    """

    id: str
    ward_id: str
    lon: float | None
    lat: float | None
    kg: dict[str, float]
    priority: int | None
    tw_start_s: int | None
    tw_end_s: int | None
    name: str
    contact: str
    phone: str
    note: str
    row: int


def _table(path: str | Path, *, required: Sequence[str], optional: Sequence[str], strict: bool,
           problems: list[Problem]) -> Table | None:
    return read_csv_table(Path(path), required=required, optional=optional, problems=problems, strict=strict)


def _kg(row: Row, commodities: Iterable[str]) -> dict[str, float]:
    """The ``<commodity>_kg`` cells that are filled."""
    out = {}
    for c in commodities:
        value = row.number(f"{c}_kg", required=False, default=None, minimum=0)
        if value is not None:
            out[c] = float(value)
    return out


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise InputError(list(dict.fromkeys(problems)))


# ------------------------------------------------------------------------------------------- delivered.csv

def read_delivered(path: str | Path, *, planned: Iterable[tuple[str, int, str]],
                   commodities: Sequence[str] = COMMODITIES, strict: bool = False) -> list[Delivery]:
    """Read ``delivered.csv``: one row per visit a driver reports.

    Parameters
    ----------
    path
        The file.
    planned
        ``(vehicle_id, trip, stop_id)`` of every visit of the plan (:meth:`EarlierPlan.planned`).
    commodities
        The day's commodities (``<commodity>_kg`` columns).
    strict
        Ambiguous numbers are errors.

    Raises
    ------
    InputError
        Every bad row: an unknown status, a visit that is not in the plan, the same visit reported twice,
        kilograms on a stop that refused or failed.
    """
    problems: list[Problem] = []
    table = _table(path, required=DELIVERED_COLUMNS, optional=[*DELIVERED_OPTIONAL, *(f"{c}_kg" for c in commodities)],
                   strict=strict, problems=problems)
    visits = set(planned)
    seen: dict[tuple[str, int, str], int] = {}
    out = []
    for row in table.iter_rows(problems) if table else ():
        delivery = _delivery(row, commodities)
        if row.bad or delivery is None:
            continue
        key = (delivery.vehicle_id, delivery.trip, delivery.stop_id)
        if key not in visits:
            row.problem(f"{delivery.vehicle_id} trip {delivery.trip} has no stop {delivery.stop_id} in the plan",
                        "stop_id")
        elif key in seen:
            row.problem(f"this visit is already reported in row {seen[key]}", "stop_id")
        else:
            seen[key] = row.line
            out.append(delivery)
    _raise(problems)
    return out


def _delivery(row: Row, commodities: Sequence[str]) -> Delivery | None:
    vehicle_id, stop_id = row.identifier("vehicle_id"), row.identifier("stop_id")
    trip = row.number("trip", integer=True, minimum=1)
    raw = row.text("status", required=True)
    status = _STATUS_WORDS.get(fold_text(raw))
    if raw and status is None:
        row.problem(f"unknown status '{raw}' (use {', '.join(STATUSES)})", "status")
    time_s = row.time("time", default=-1)
    kg = _kg(row, commodities)
    if status in ("refused", "failed") and any(v > 0 for v in kg.values()):
        row.problem(f"a {status} stop delivered nothing: leave the kilograms empty, or report 'done' with what was "
                    "handed over", f"{next(c for c, v in kg.items() if v > 0)}_kg")
    if row.bad or status is None:
        return None
    return Delivery(vehicle_id=vehicle_id, trip=int(trip), stop_id=stop_id, status=status,
                    time_s=None if time_s < 0 else time_s, kg=kg, note=row.text("note"), row=row.line)


# ------------------------------------------------------------------------------------------- events.csv

def read_events(path: str | Path, *, vehicles: Iterable[str], depots: Iterable[str],
                commodities: Sequence[str] = COMMODITIES, strict: bool = False) -> list[Event]:
    """Read ``events.csv``: one row per thing that happened (:data:`EVENT_KINDS`).

    Parameters
    ----------
    path
        The file.
    vehicles, depots
        Ids of the scenario's vehicles and depots.
    commodities
        The day's commodities (``<commodity>_kg`` columns of ``stock_received``).
    strict
        Ambiguous numbers are errors.

    Raises
    ------
    InputError
        Every bad row: an unknown kind, vehicle or depot, a cell the kind needs left empty, an added vehicle
        whose id is taken.
    """
    problems: list[Problem] = []
    table = _table(path, required=EVENT_COLUMNS, optional=[*EVENT_OPTIONAL, *(f"{c}_kg" for c in commodities)],
                   strict=strict, problems=problems)
    known = _Known(set(vehicles), set(depots), commodities)
    out = []
    for row in table.iter_rows(problems) if table else ():
        event = _event(row, known)
        if not row.bad and event is not None:
            out.append(event)
            known.vehicles.add(event.vehicle_id)
    _raise(problems)
    return out


@dataclass
class _Known:
    vehicles: set[str]
    depots: set[str]
    commodities: Sequence[str]

    def depot(self, row: Row) -> str:
        depot_id = row.identifier("depot_id")
        if depot_id and depot_id not in self.depots:
            row.problem(f"unknown depot '{depot_id}'", "depot_id")
        return depot_id


def _event(row: Row, known: _Known) -> Event | None:
    time_s = row.time("time")
    raw = row.text("kind", required=True)
    kind = fold_text(raw).replace(" ", "_")
    if raw and kind not in EVENT_KINDS:
        row.problem(f"unknown kind '{raw}' (use {', '.join(EVENT_KINDS)})", "kind")
        return None
    base = Event(kind=kind, time_s=time_s, row=row.line, note=row.text("note"))
    if kind == "breakdown":
        return _breakdown(row, base, known)
    if kind == "vehicle_added":
        return _vehicle_added(row, base, known)
    if kind == "depot_closed":
        return dataclasses.replace(base, depot_id=known.depot(row))
    if kind == "stock_received":
        kg = _kg(row, known.commodities)
        if not any(v > 0 for v in kg.values()):
            row.problem("stock received needs kilograms", f"{known.commodities[0]}_kg")
        return dataclasses.replace(base, depot_id=known.depot(row), kg=kg)
    if kind == "road_closed":
        return dataclasses.replace(base, closure=_closure(row))
    return None


def _breakdown(row: Row, base: Event, known: _Known) -> Event:
    vehicle_id = row.identifier("vehicle_id")
    if vehicle_id and vehicle_id not in known.vehicles:
        row.problem(f"unknown vehicle '{vehicle_id}'", "vehicle_id")
    lat = row.number("lat", required=False, default=None, thousands=False)
    lon = row.number("lon", required=False, default=None, thousands=False)
    if (lat is None) != (lon is None):
        row.problem("give both lat and lon, or neither", "lat" if lat is None else "lon")
    return dataclasses.replace(base, vehicle_id=vehicle_id, stop_id=row.text("last_stop"), lat=lat,
                               lon=lon)


def _vehicle_added(row: Row, base: Event, known: _Known) -> Event:
    vehicle_id = row.text("vehicle_id", default=f"ADD-{row.line}")
    if vehicle_id in known.vehicles:
        row.problem(f"vehicle id '{vehicle_id}' is taken: give the added vehicle an id of its own", "vehicle_id")
    profile = row.text("profile", required=True).lower()
    if profile and profile not in VEHICLE_PROFILES:
        row.problem(f"unknown profile '{profile}' (use {', '.join(VEHICLE_PROFILES)})", "profile")
    capacity = row.number("capacity_kg", strictly_positive=True)
    trips = row.number("max_trips", required=False, default=1, integer=True, minimum=1)
    return dataclasses.replace(base, vehicle_id=vehicle_id, depot_id=known.depot(row), profile=profile,
                               capacity_kg=float(capacity), max_trips=int(trips))


def _closure(row: Row) -> Closure | None:
    road_kind = row.text("road_kind", required=True).lower()
    road = row.text("road", required=True)
    profiles = split_words(row.text("profiles"))
    if any(p not in VEHICLE_PROFILES for p in profiles):
        row.problem(f"unknown profile in '{row.text('profiles')}' (use {', '.join(VEHICLE_PROFILES)})", "profiles")
    if road_kind == "name":
        return Closure("name", road, profiles, row.text("note"))
    if road_kind == "osm_id":
        way = row.number("road", integer=True, thousands=False)
        return None if math.isnan(way) else Closure("osm_id", int(way), profiles, row.text("note"))
    if road_kind:
        row.problem(f"unknown road kind '{road_kind}' (use osm_id or name)", "road_kind")
    return None


# ------------------------------------------------------------------------------------------- requests.csv

def read_requests(path: str | Path, *, scenario: Scenario, strict: bool = False) -> list[Request]:
    """Read ``requests.csv``: one row per hotline request to add to the rest of the day.

    A request is placed by ``lat``/``lon`` or by its ward (``ward_id`` or the ward's name in ``ward``);
    its ward is the one containing the position when only the position is given.

    Parameters
    ----------
    path
        The file.
    scenario
        The day (its commodities and drop points).
    strict
        Ambiguous numbers are errors.

    Raises
    ------
    InputError
        Every bad row: a duplicate id or a drop point's id, no position nor ward, an unknown ward, a position
        outside the three localities or in another ward than the one given, nothing asked, a window that
        ends before it starts.
    """
    problems: list[Problem] = []
    commodities = scenario.commodities
    table = _table(path, required=REQUEST_COLUMNS, optional=[*REQUEST_OPTIONAL, *(f"{c}_kg" for c in commodities)],
                   strict=strict, problems=problems)
    taken = {p.id for p in scenario.demand_points or ()}
    seen: dict[str, int] = {}
    out = []
    for row in table.iter_rows(problems) if table else ():
        request = _request(row, commodities)
        if request is not None and (request.id in taken or request.id.startswith("DP-")):
            row.problem(f"'{request.id}' is a drop point's id: give the request an id of its own (HL-001)", "id")
        elif request is not None and request.id in seen:
            row.problem(f"id '{request.id}' is already used in row {seen[request.id]}", "id")
        if not row.bad and request is not None:
            seen[request.id] = row.line
            out.append(request)
    _raise(problems)
    return out


def _request(row: Row, commodities: Sequence[str]) -> Request | None:
    request_id = row.identifier("id")
    lat = row.number("lat", required=False, default=None, thousands=False)
    lon = row.number("lon", required=False, default=None, thousands=False)
    if (lat is None) != (lon is None):
        row.problem("give both lat and lon, or neither", "lat" if lat is None else "lon")
    kg = _kg(row, commodities)
    if not row.bad and not any(v > 0 for v in kg.values()):
        row.problem(f"nothing asked: give {' or '.join(f'{c}_kg' for c in commodities)}", f"{commodities[0]}_kg")
    priority = row.number("priority", required=False, default=None, integer=True, minimum=0,
                          maximum=max(PRIORITY_OF_GRADE.values()))
    start = row.time("tw_start", default=-1)
    end = row.time("tw_end", default=-1)
    if start >= 0 and end >= 0 and end <= start:
        row.problem(f"the window ends at {format_hhmm(end)}, not after it starts", "tw_end")
    ward_id = _request_ward(row, lon, lat)
    if row.bad:
        return None
    return Request(id=request_id, ward_id=ward_id, lon=lon, lat=lat, kg=kg,
                   priority=None if priority is None else int(priority), tw_start_s=None if start < 0 else start,
                   tw_end_s=None if end < 0 else end, name=row.text("name"), contact=row.text("contact"),
                   phone=row.text("phone"), note=row.text("note"), row=row.line)


def _request_ward(row: Row, lon: float | None, lat: float | None) -> str:
    """The request's ward: by id, by name, or the one containing its position (all that are given agree)."""
    wards = datasets.read_wards()
    named = ""
    if row.text("ward_id"):
        named = ward_id_text(row.text("ward_id"))
        if named not in set(wards["ward_id"]):
            row.problem(f"unknown ward id '{named}' (a GSO code of Nha Trang, Ninh Hòa or Vạn Ninh)", "ward_id")
            return ""
    elif row.text("ward"):
        try:
            named = datasets.ward_id_of(row.text("ward"))
        except ValueError as exc:
            row.problem(str(exc), "ward")
            return ""
    if lon is None or lat is None:
        if not named:
            row.problem("give the position (lat, lon) or the ward (ward_id or ward)", "ward_id")
        return named
    found = ward_at(lon, lat)
    if not found:
        row.problem(f"({lat:.5f}, {lon:.5f}) is outside Nha Trang, Ninh Hòa and Vạn Ninh", "lat")
    elif named and found != named:
        names = dict(zip(wards["ward_id"], wards["ward_vn"]))
        row.problem(f"the position is in {names[found]}, not in {names[named]}", "ward_id" if
                    row.text("ward_id") else "ward")
    return found


def ward_at(lon: float, lat: float) -> str:
    """Id of the ward containing the position ('' outside the three localities)."""
    wards = datasets.read_wards()
    inside = wards[wards.geometry.contains(shapely.Point(lon, lat))]
    return str(inside["ward_id"].iloc[0]) if len(inside) else ""


# ------------------------------------------------------------------------------------------- drop points

def request_points(requests: Sequence[Request], *, scenario: Scenario, network, at_s: int) -> list[DemandPoint]:
    """The requests as drop points of the rest of the day.

    A request with a position stays there; one with a ward only goes to the truck network's node nearest the
    ward's representative point (``approximate``). Its priority is its own or its ward's zone's; its window its
    own or from ``at_s`` to the end of the operating day; its unloading time the scenario's.

    Parameters
    ----------
    requests
        The requests (:func:`read_requests`).
    scenario
        The day as it stands (zones, time settings, commodities).
    network
        The truck network the day is planned on (closures included).
    at_s
        Re-plan time, seconds since midnight.

    Raises
    ------
    InputError
        A request outside the three localities or too far from a truck road, naming its row of
        ``requests.csv``.
    """
    wards = datasets.read_wards().set_index("ward_id")
    problems: list[Problem] = []
    out = []
    for request in requests:
        ward_id = request.ward_id or (ward_at(request.lon, request.lat)
                                       if request.lon is not None and request.lat is not None else "")
        if ward_id not in wards.index:
            problems.append(Problem("the request is outside Nha Trang, Ninh Hòa and Vạn Ninh", "requests.csv",
                                    request.row, "lat"))
            continue
        try:
            lon, lat, approximate = _position(request, wards.loc[ward_id].geometry, network)
        except InputError as exc:
            problems.append(Problem(exc.problems[0].message, "requests.csv", request.row,
                                    "lat" if request.lat is not None else "ward_id"))
            continue
        out.append(_point(request, ward_id, wards.loc[ward_id], lon, lat, approximate, scenario=scenario, at_s=at_s))
    _raise(problems)
    return out


def _position(request: Request, polygon, network) -> tuple[float, float, bool]:
    """Where the request is delivered, and whether that is approximate (checked against the network)."""
    if request.lon is not None and request.lat is not None:
        network.snap([request.lon], [request.lat], labels=[request.id])
        return float(request.lon), float(request.lat), False
    centre = polygon.representative_point()
    snapped = network.snap([centre.x], [centre.y], labels=[request.id], max_distance_m=np.inf)
    node = network.nodes.iloc[int(snapped.node[0])]
    return float(node["x"]), float(node["y"]), True


def _point(request: Request, ward_id: str, ward, lon: float, lat: float, approximate: bool, *, scenario: Scenario,
           at_s: int) -> DemandPoint:
    time = scenario.time
    name = request.name or f"Đường dây nóng {request.id}"
    return DemandPoint(
        id=request.id, ward_id=ward_id, ward_name=str(ward["ward_vn"]),
        locality=str(ward["locality"]),
        name=name + (" (vị trí gần đúng)" if approximate else ""), lon=lon, lat=lat,
        demand_kg={c: float(request.kg.get(c, 0.0)) for c in scenario.commodities},
        tw_start_s=at_s if request.tw_start_s is None else request.tw_start_s,
        tw_end_s=time.operating_end_s if request.tw_end_s is None else request.tw_end_s,
        service_s=time.service_s, service_s_per_kg=time.service_s_per_kg,
        priority=scenario.zone(ward_id).priority if request.priority is None else request.priority,
        approximate=approximate, contact=request.contact, phone=request.phone,
    )
