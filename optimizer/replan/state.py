"""The day as it stands at the re-plan time: what the earlier plan and the reports say has been done, what each
vehicle is doing, what is due again and what stock is left.

The rules (issue 16):

* a visit reported ``done`` is done (with the reported kilograms, else the planned ones); a visit the plan
  finished before the re-plan time and that nobody reported otherwise is taken as done as planned;
* a visit reported ``refused`` or ``failed`` delivered nothing: its kilograms are due again, with the report's
  reason, and its load goes back to the depot's stock;
* a vehicle on a trip at the re-plan time keeps its next stop (the load is on board); the rest of that trip's
  stops stay on board too (:attr:`VehicleState.tail`) and are re-sequenced from the next stop
  (:mod:`optimizer.replan.rest`);
* a trip that has not started loading is cancelled: its stops are planned again, its stock stays at the depot;
* a vehicle that broke down is out from that time: its visits after it are due again, and the load on board
  is lost for the day (it is not counted as stock);
* received stock adds to the depot; a closed depot hands out nothing more.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.plan.model import MEAL_COLUMNS, Plan
from optimizer.replan.reports import Delivery, Event

#: How much more than planned a reported weight may be (a scale's rounding) before it is refused.
KG_TOLERANCE = 0.5

#: Status of a kept visit in :attr:`DayState.kept`.
KEPT_STATUSES = ("done", "reported", "next")


@dataclass(frozen=True)
class EarlierPlan:
    """A plan folder read back: the frames of ``plan.json`` (full precision) and the legs of ``routes.geojson``."""

    folder: Path
    title: str
    date: str
    settings: dict
    routes: pd.DataFrame
    stops: pd.DataFrame
    depots: pd.DataFrame
    transfers: pd.DataFrame
    legs: gpd.GeoDataFrame
    meals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MEAL_COLUMNS))

    @property
    def commodities(self) -> list[str]:
        """Commodities of the routes' ``<commodity>_kg`` columns, in their order."""
        at = list(self.routes.columns).index("quantity_kg") + 1
        return [c.removesuffix("_kg") for c in self.routes.columns[at:] if str(c).endswith("_kg")
                and c not in ("load_kg", "capacity_kg")]

    def planned(self) -> list[tuple[str, int, str]]:
        """``(vehicle_id, trip, stop_id)`` of every visit."""
        return list(zip(self.routes["vehicle_id"], self.routes["trip"].astype(int), self.routes["stop_id"]))


def earlier_plan(plan: Plan, folder: str | Path = "") -> EarlierPlan:
    """A plan in memory as the plan a re-plan replaces (``folder``: where its files are, for the record)."""
    return EarlierPlan(folder=Path(folder), title=plan.title, date=plan.date, settings=plan.settings,
                       routes=plan.routes.copy(), stops=plan.stops.copy(), depots=plan.depots.copy(),
                       transfers=plan.transfers.copy(), legs=plan.legs.copy(), meals=plan.meals.copy())


def read_plan(folder: str | Path) -> EarlierPlan:
    """Read a plan folder written by ``cli.py plan`` (or an earlier re-plan).

    Raises
    ------
    InputError
        The folder, ``plan.json`` or ``routes.geojson`` is missing or unreadable (naming the file).
    """
    folder = Path(folder)
    path = folder / "plan.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        routes = pd.DataFrame(data["routes"])
        stops, depots = pd.DataFrame(data["stops"]), pd.DataFrame(data["depots"])
        transfers = pd.DataFrame(data.get("transfers") or [])
        meals = pd.DataFrame(data.get("meals") or [], columns=MEAL_COLUMNS)
        settings, title, date = data["settings"], data["title"], data["date"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError([Problem(f"not a plan folder's plan.json ({exc})", str(path))]) from None
    if not len(routes):
        routes = pd.DataFrame(columns=["vehicle_id", "trip", "seq", "stop_id", "arrival_s", "departure_s",
                                       "quantity_kg", "depot_id"])
    try:
        features = gpd.read_file(folder / "routes.geojson")
    except Exception as exc:  # pyogrio raises several types for a missing or broken file
        raise InputError([Problem(f"unreadable ({exc})", str(folder / "routes.geojson"))]) from None
    legs = features[features["feature"] == "leg"].copy()
    for column in ("trip", "seq"):
        legs[column] = legs[column].astype(int)
    return EarlierPlan(folder=folder, title=title, date=date, settings=settings, routes=routes, stops=stops,
                       depots=depots, transfers=transfers, legs=legs, meals=meals)


@dataclass(frozen=True)
class TripTimes:
    """When one trip of the earlier plan loads, leaves and is back."""

    vehicle_id: str
    trip: int
    depot_id: str
    load_start_s: int
    start_s: int
    end_s: int


def trip_times(plan: EarlierPlan) -> dict[tuple[str, int], TripTimes]:
    """Every trip's loading start, departure and return, from its visits, its legs and the depot's loading time."""
    load_min = plan.settings.get("depot_load_min", {})
    legs = plan.legs.set_index(["vehicle_id", "trip", "seq"])["leg_min"]
    out = {}
    for (vehicle_id, trip), visits in plan.routes.groupby(["vehicle_id", "trip"], sort=False):
        visits = visits.sort_values("seq")
        first, last = visits.iloc[0], visits.iloc[-1]
        start = int(first["arrival_s"] - round(float(first["leg_min"]) * 60))
        back_min = float(legs.get((vehicle_id, int(trip), int(last["seq"]) + 1), 0.0))
        out[(vehicle_id, int(trip))] = TripTimes(
            vehicle_id=vehicle_id, trip=int(trip), depot_id=str(first["depot_id"]),
            load_start_s=start - round(float(load_min.get(first["depot_id"], 0.0)) * 60), start_s=start,
            end_s=int(last["departure_s"]) + math.ceil(back_min * 60))
    return out


@dataclass(frozen=True)
class TailStop:
    """A stop of a trip in progress after its next stop: its load is on board (``kg`` whole kilograms per
    commodity, ``quantity_kg`` the exact total)."""

    stop_id: str
    kg: dict[str, float]
    seq: int
    quantity_kg: float


@dataclass(frozen=True)
class VehicleState:
    """What a vehicle is doing at the re-plan time.

    ``status``: ``free`` (at a depot, or not started), ``on_trip`` (its next stop kept, ``tail`` on board),
    ``broken`` (out for the rest of the day) or ``finished`` (no trips left). ``free_s`` is when it can load
    again at ``depot_id`` (for a vehicle on a trip: when the trip ends as planned, before re-sequencing);
    ``trips_used`` counts the trips it has started; ``first_load_s`` is when its day began (``None``: not yet).
    """

    vehicle_id: str
    status: str
    free_s: int
    depot_id: str
    trips_used: int
    first_load_s: int | None
    trip: int = 0
    next_stop: str = ""
    next_departure_s: int = 0
    tail: tuple[TailStop, ...] = ()
    broken_s: int | None = None


@dataclass(frozen=True)
class DayState:
    """The day at ``at_s``.

    Attributes
    ----------
    kept
        Visits of the earlier plan that stand (its routes' rows, delivered kilograms per commodity as reported),
        with ``status`` (:data:`KEPT_STATUSES`): done as planned, reported done, or the next stop of a trip in
        progress.
    vehicles
        Per vehicle of the earlier plan's fleet, :class:`VehicleState`.
    due_again
        ``stop_id``, ``vehicle_id``, ``trip``, ``kg``, ``reason``: visits of the earlier plan that will not
        happen as planned (refused, failed, breakdown, cancelled trips).
    stock_kg
        Per depot and commodity, what is left to load from the re-plan time on.
    lost_kg
        Per vehicle that broke down, the kilograms on board (not counted as stock).
    closed_depots
        Depots closed by an event.
    """

    at_s: int
    kept: pd.DataFrame
    vehicles: dict[str, VehicleState]
    due_again: pd.DataFrame
    stock_kg: dict[str, dict[str, float]]
    lost_kg: dict[str, float] = field(default_factory=dict)
    closed_depots: tuple[str, ...] = ()


def _reports_by_visit(deliveries: Sequence[Delivery]) -> dict[tuple[str, int, str], Delivery]:
    return {(d.vehicle_id, d.trip, d.stop_id): d for d in deliveries}


def visit_kg(row: Mapping, commodities: Sequence[str], report: Delivery | None) -> dict[str, float]:
    """Kilograms per commodity a visit delivered: as reported (a commodity not reported: as planned), never more
    than the vehicle carried for the stop."""
    planned = {c: float(row[f"{c}_kg"]) for c in commodities}
    if report is None:
        return planned
    over = [c for c in commodities if report.kg.get(c, 0.0) > planned[c] + KG_TOLERANCE]
    if over:
        c = over[0]
        raise InputError([Problem(f"{report.kg[c]:g} kg reported, but the plan loaded {planned[c]:g} kg of {c} for "
                                  f"{report.stop_id} on this trip", "delivered.csv", report.row, f"{c}_kg")])
    return {c: float(report.kg.get(c, planned[c])) for c in commodities}


def day_state(plan: EarlierPlan, *, at_s: int, deliveries: Sequence[Delivery] = (), events: Sequence[Event] = (),
              stock_kg: Mapping[str, Mapping[str, float]], fleet: Iterable[str]) -> DayState:
    """The day at ``at_s`` from the earlier plan, the delivery reports and the events (rules: module docstring).

    Parameters
    ----------
    plan
        The earlier plan.
    at_s
        Re-plan time, seconds since midnight.
    deliveries, events
        Reports and events (:mod:`optimizer.replan.reports`); events after ``at_s`` other than added vehicles
        are the caller's to refuse.
    stock_kg
        Each depot's stock per commodity at the start of the day (the scenario's).
    fleet
        Every vehicle id of the day's fleet.
    """
    commodities = plan.commodities
    reports = _reports_by_visit(deliveries)
    broken = {e.vehicle_id: e.time_s for e in events if e.kind == "breakdown"}
    times = trip_times(plan)
    stock = {d: {c: float(kg.get(c, 0.0)) for c in commodities} for d, kg in stock_kg.items()}
    for event in events:
        if event.kind == "stock_received":
            for c, kg in event.kg.items():
                stock[event.depot_id][c] = stock[event.depot_id].get(c, 0.0) + kg
    kept, due, lost = [], [], {}
    vehicles = {}
    by_vehicle = {v: g for v, g in plan.routes.groupby("vehicle_id", sort=False)}
    for vehicle_id in fleet:
        rows = by_vehicle.get(vehicle_id)
        trips = [] if rows is None else [(int(t), g.sort_values("seq")) for t, g in rows.groupby("trip")]
        walk = _Walk(vehicle_id, at_s, broken.get(vehicle_id), reports, commodities, times)
        for trip, visits in trips:
            walk.trip(trip, visits)
        vehicles[vehicle_id] = walk.state()
        kept += walk.kept
        due += walk.due
        if walk.lost_kg:
            lost[vehicle_id] = walk.lost_kg
        for depot, loaded in walk.loaded.items():
            for c, value in loaded.items():
                stock[depot][c] = stock[depot].get(c, 0.0) - value
    columns = [*plan.routes.columns, "status"]
    return DayState(
        at_s=at_s, kept=pd.DataFrame(kept, columns=columns),
        vehicles=vehicles,
        due_again=pd.DataFrame(due, columns=["stop_id", "vehicle_id", "trip", "kg", "reason"]),
        stock_kg={d: {c: max(0.0, kg) for c, kg in s.items()} for d, s in stock.items()}, lost_kg=lost,
        closed_depots=tuple(e.depot_id for e in events if e.kind == "depot_closed"),
    )


class _Walk:
    """Walks one vehicle's trips in order, sorting each visit into kept, due again or on board."""

    def __init__(self, vehicle_id: str, at_s: int, broken_s: int | None, reports: Mapping, commodities: Sequence[str],
                 times: Mapping[tuple[str, int], TripTimes]) -> None:
        self.vehicle_id, self.at_s, self.broken_s = vehicle_id, at_s, broken_s
        self.reports, self.commodities, self.times = reports, commodities, times
        self.kept: list[dict] = []
        self.due: list[dict] = []
        self.loaded: dict[str, dict[str, float]] = {}
        self.lost_kg = 0.0
        self.trips_used = 0
        self.first_load_s: int | None = None
        self.free_s, self.depot_id = 0, ""
        self.current: dict = {}

    @property
    def _cut_s(self) -> int:
        """Visits ending by this time have happened (the breakdown cuts the day short)."""
        return self.at_s if self.broken_s is None else min(self.at_s, self.broken_s)

    def trip(self, trip: int, visits: pd.DataFrame) -> None:
        times = self.times[(self.vehicle_id, trip)]
        if times.load_start_s >= self._cut_s:
            for row in visits.to_dict("records"):
                if (self.vehicle_id, trip, row["stop_id"]) not in self.reports:
                    self._due(row, trip, float(row["quantity_kg"]), "trip not started: planned again")
                    continue
                self._settle(row, trip)  # reported though not started as planned: the report stands
            return
        self.trips_used, self.depot_id = trip, times.depot_id
        self.first_load_s = times.load_start_s if self.first_load_s is None else self.first_load_s
        self.free_s = times.end_s
        rows = visits.to_dict("records")
        for k, row in enumerate(rows):
            report = self.reports.get((self.vehicle_id, trip, row["stop_id"]))
            if report is not None or row["departure_s"] <= self._cut_s:
                self._settle(row, trip)
                continue
            if self.broken_s is not None:
                self._due(row, trip, float(row["quantity_kg"]), "vehicle broke down")
                self.lost_kg += float(row["quantity_kg"])
                self._load(times.depot_id, _planned_kg(row, self.commodities))
                continue
            self._keep(row, trip, "next")
            self.current = {"trip": trip, "next": row, "tail": rows[k + 1:]}
            return
        self.current = {}

    def _settle(self, row: dict, trip: int) -> None:
        """A visit that happened (or was reported): kept when delivered, due again when not."""
        report = self.reports.get((self.vehicle_id, trip, row["stop_id"]))
        self._load(str(row["depot_id"]), _planned_kg(row, self.commodities))
        if report is not None and report.status != "done":
            reason = f"{report.status}" + (f": {report.note}" if report.note else "")
            self._due(row, trip, float(row["quantity_kg"]), reason)
            self._load(str(row["depot_id"]), {c: -kg for c, kg in _planned_kg(row, self.commodities).items()})
            return
        if report is None or not report.kg:
            self.kept.append({**row, "status": "done" if report is None else "reported"})
            return
        kg = visit_kg(row, self.commodities, report)  # as reported: what was not handed over goes back
        short = {c: _planned_kg(row, self.commodities)[c] - kg[c] for c in self.commodities}
        self._load(str(row["depot_id"]), {c: -v for c, v in short.items()})
        self.kept.append({**row, **{f"{c}_kg": kg[c] for c in self.commodities},
                          "quantity_kg": math.fsum(kg.values()), "status": "reported"})

    def _keep(self, row: dict, trip: int, status: str) -> None:
        self._load(str(row["depot_id"]), _planned_kg(row, self.commodities))
        self.kept.append({**row, "status": status})

    def _due(self, row: dict, trip: int, kg: float, reason: str) -> None:
        self.due.append({"stop_id": row["stop_id"], "vehicle_id": self.vehicle_id, "trip": trip, "kg": kg,
                         "reason": reason})

    def _load(self, depot: str, kg: Mapping[str, float]) -> None:
        slot = self.loaded.setdefault(depot, {})
        for c, value in kg.items():
            slot[c] = slot.get(c, 0.0) + value

    def state(self) -> VehicleState:
        if self.broken_s is not None and self.broken_s <= self.at_s:
            return VehicleState(self.vehicle_id, "broken", self.broken_s, self.depot_id, self.trips_used,
                                self.first_load_s, broken_s=self.broken_s)
        if self.current:
            tail = []
            for row in self.current["tail"]:
                self._load(str(row["depot_id"]), _planned_kg(row, self.commodities))
                tail.append(TailStop(str(row["stop_id"]), _planned_kg(row, self.commodities), int(row["seq"]),
                                     float(row["quantity_kg"])))
            nxt = self.current["next"]
            return VehicleState(self.vehicle_id, "on_trip", self.free_s, self.depot_id, self.trips_used,
                                self.first_load_s, trip=self.current["trip"], next_stop=str(nxt["stop_id"]),
                                next_departure_s=int(nxt["departure_s"]), tail=tuple(tail))
        return VehicleState(self.vehicle_id, "free", max(self.free_s, self.at_s), self.depot_id, self.trips_used,
                            self.first_load_s)


def _planned_kg(row: Mapping, commodities: Sequence[str]) -> dict[str, float]:
    return {c: float(row[f"{c}_kg"]) for c in commodities}
