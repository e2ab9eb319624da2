"""A lockdown period as plain data: its days, delivery cycles, the changes of each day and the resupply.

A calendar is a TOML file (documented in ``docs/scenario-format.md``, "Period calendar")::

    [period]
    start = 2021-07-26          # first day (default: the scenario's date)
    days = 14                   # number of days (``--days`` overrides it)
    cycle_days = 3              # a drop point receives this many days of rations per delivery
    cycle_days_red = 2          # … in a red zone (default: cycle_days)
    max_days_without = 3        # N: every ward receives food at least every N days
    restock_share = 1.0         # each morning after the first, every depot receives this share of its
                                # scenario stock from its usual suppliers

    [[day]]                     # changes from `date` for `days` days (default: to the end of the period)
    date = 2021-07-31
    days = 2
    note = "Chợ Xóm Mới closed for disinfection"
    close_depots = ["CHO-XOM-MOI"]      # and regrade, close_roads, fleet, scale_fleet, add_vehicles, time,
                                        # written as in a what-if variant file

    [[resupply]]                # kilograms arriving at a depot in the morning of `date`
    date = 2021-08-02
    depot = "KHO-NINH-HOA"
    rice_kg = 150000
    note = "national reserve rice"

Changes that would move or resize the drop points (``scale_demand``, ``ration``, ``restrict``) and ``cut_stock``
(the period carries stock itself) are not calendar keys. :func:`default_calendar` is the embedded
26 July – 8 August 2021 period (``data/default_period.toml``; illustrative, see ``data/README.md``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer import datasets
from optimizer.errors import InputError, Problem
from optimizer.plan import PlanOptions
from optimizer.scenario.model import Scenario
from optimizer.tables import parse_toml, read_text_file
from optimizer.whatif import Change, Variant
from optimizer.whatif.changes import ChangeError
from optimizer.whatif.variants import parse_changes

__all__ = ["CALENDAR_KEYS", "DayChanges", "Resupply", "Calendar", "parse_calendar", "read_calendar",
           "default_calendar", "MAX_DAYS"]

#: Variant keys a ``[[day]]`` of a calendar may hold.
CALENDAR_KEYS = ("time", "regrade", "close_depots", "fleet", "scale_fleet", "add_vehicles", "close_roads")
#: Longest period (a typo ``days = 1400`` would plan for hours).
MAX_DAYS = 92
#: Variant keys a calendar refuses, and why.
_NOT_IN_CALENDAR = {
    "scale_demand": "the period's need is the scenario's ration for every day",
    "ration": "the period's need is the scenario's ration for every day",
    "restrict": "plan a period of the restricted scenario instead",
    "cut_stock": "the period carries stock itself: write a [[resupply]] or lower restock_share",
}
_PERIOD_KEYS = ("start", "days", "cycle_days", "cycle_days_red", "max_days_without", "restock_share")


@dataclass(frozen=True)
class DayChanges:
    """The changes of a ``[[day]]`` table: in force from ``start`` for ``days`` days (``None``: to the end)."""

    start: dt.date
    days: int | None
    changes: tuple[Change, ...]
    note: str = ""
    index: int = 0

    def holds_on(self, day: dt.date) -> bool:
        """Whether the changes are in force on ``day``."""
        return self.start <= day and (self.days is None or day < self.start + dt.timedelta(days=self.days))

    def describe(self) -> str:
        return self.note or "; ".join(c.describe() for c in self.changes)


@dataclass(frozen=True)
class Resupply:
    """Kilograms per commodity arriving at a depot in the morning of ``date``."""

    date: dt.date
    depot: str
    kg: dict[str, float]
    note: str = ""


@dataclass(frozen=True)
class Calendar:
    """A period: its days, cycles, changes and resupply (see the module docstring for each field)."""

    start: dt.date
    days: int
    cycle_days: int = 3
    cycle_days_red: int | None = None
    max_days_without: int = 3
    restock_share: float = 1.0
    changes: tuple[DayChanges, ...] = ()
    resupply: tuple[Resupply, ...] = ()
    source: str = ""

    @property
    def dates(self) -> list[dt.date]:
        """Every day of the period."""
        return [self.start + dt.timedelta(days=k) for k in range(self.days)]

    def cycle_of(self, grade: str) -> int:
        """Ration days a delivery brings in a zone of ``grade``."""
        return self.cycle_days_red if grade == "red" and self.cycle_days_red else self.cycle_days

    def day_variant(self, day: dt.date) -> Variant:
        """The changes in force on ``day``, in calendar order."""
        held = [d for d in self.changes if d.holds_on(day)]
        return Variant(name=day.isoformat(), changes=tuple(c for d in held for c in d.changes),
                       description="; ".join(d.describe() for d in held), source=self.source)

    def resupply_on(self, day: dt.date) -> list[Resupply]:
        return [r for r in self.resupply if r.date == day]

    def with_days(self, days: int) -> Calendar:
        """The same calendar over ``days`` days."""
        return dataclasses.replace(self, days=days)


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


@dataclass
class _Reader:
    file: str
    problems: list[Problem]

    def bad(self, where: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(f"{where}: {message}" if where else message, self.file, None, field_name))

    def date(self, value: Any, where: str, field_name: str) -> dt.date | None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.bad(where, field_name, f"'{value}' is not a day YYYY-MM-DD")
            return None

    def whole(self, value: Any, where: str, field_name: str, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.bad(where, field_name, f"expected a whole number from {low} to {high}, got {value!r}")
            return None
        return value

    def text(self, value: Any, where: str, field_name: str) -> str:
        if not isinstance(value, str):
            self.bad(where, field_name, f"expected text, got {value!r}")
            return ""
        return value

    def tables(self, raw: Any, name: str) -> Iterator[tuple[int, dict]]:
        """The ``[[name]]`` tables with their numbers (from 1); anything else is a problem."""
        for index, item in enumerate(raw if isinstance(raw, list) else [raw], start=1):
            if isinstance(item, dict):
                yield index, item
            else:
                self.bad(f"{name} #{index}", name, f"expected a [[{name}]] table")

    def unknown(self, raw: dict, allowed: Sequence[str], where: str) -> None:
        for key in raw:
            if key not in allowed:
                self.bad(where, key, f"unknown key '{key}' (known: {', '.join(allowed)})")


def _period(reader: _Reader, raw: Any, scenario: Scenario) -> dict[str, Any]:
    if not isinstance(raw, dict):
        reader.bad("", "period", "write the settings as a [period] table")
        return {}
    reader.unknown(raw, _PERIOD_KEYS, "[period]")
    out: dict[str, Any] = {"start": scenario.date}
    if "start" in raw:
        out["start"] = reader.date(raw["start"], "[period]", "start") or scenario.date
    for key, low, high in (("days", 1, MAX_DAYS), ("cycle_days", 1, 31), ("cycle_days_red", 1, 31),
                           ("max_days_without", 1, 31)):
        if key in raw:
            value = reader.whole(raw[key], "[period]", key, low, high)
            if value is not None:
                out[key] = value
    if "restock_share" in raw:
        share = raw["restock_share"]
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 10:
            reader.bad("[period]", "restock_share", f"expected a share from 0 to 10, got {share!r}")
        else:
            out["restock_share"] = float(share)
    return out


def _days(reader: _Reader, raw: Any, folder: Path) -> list[DayChanges]:
    out = []
    for index, item in reader.tables(raw, "day"):
        where = f"day #{index}"
        start = reader.date(item.get("date"), where, "date") if "date" in item else None
        if start is not None:
            where = f"day {start.isoformat()} (#{index})"
        for key in set(item) & set(_NOT_IN_CALENDAR):
            reader.bad(where, key, f"'{key}' is not a calendar key: {_NOT_IN_CALENDAR[key]}")
        reader.unknown({k: v for k, v in item.items() if k not in _NOT_IN_CALENDAR},
                       ("date", "days", "note", *CALENDAR_KEYS), where)
        if start is None:
            if "date" not in item:
                reader.bad(where, "date", "every [[day]] needs a date")
            continue
        days = reader.whole(item["days"], where, "days", 1, MAX_DAYS) if "days" in item else None
        changes = parse_changes(item, keys=CALENDAR_KEYS, file=reader.file, where=where, folder=folder,
                                problems=reader.problems)
        if not changes:
            reader.bad(where, "day", f"no change (give one of {', '.join(CALENDAR_KEYS)})")
        out.append(DayChanges(start=start, days=days, changes=tuple(changes),
                              note=reader.text(item.get("note", ""), where, "note"), index=index))
    return out


def _resupply(reader: _Reader, raw: Any, scenario: Scenario) -> list[Resupply]:
    depots = {d.id for d in scenario.depots}
    kg_keys = [f"{c}_kg" for c in scenario.commodities]
    out = []
    for index, item in reader.tables(raw, "resupply"):
        where = f"resupply #{index}"
        reader.unknown(item, ("date", "depot", "note", *kg_keys), where)
        day = reader.date(item.get("date"), where, "date")
        depot = reader.text(item.get("depot"), where, "depot")
        if depot and depot not in depots:
            reader.bad(where, "depot", f"unknown depot '{depot}' (known: {', '.join(sorted(depots))})")
        kg = {}
        for key in kg_keys:
            value = item.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                reader.bad(where, key, f"expected kilograms (0 or more), got {value!r}")
            elif value:
                kg[key.removesuffix("_kg")] = float(value)
        if not kg:
            reader.bad(where, "resupply", f"no kilograms (give one of {', '.join(kg_keys)})")
        if day is not None and depot in depots and kg:
            out.append(Resupply(date=day, depot=depot, kg=kg, note=reader.text(item.get("note", ""), where, "note")))
    return out


def parse_calendar(text: str, *, scenario: Scenario, file: str | Path = "<calendar>",
                   folder: str | Path | None = None) -> Calendar:
    """A calendar from TOML text (see the module docstring), checked against ``scenario``.

    Raises
    ------
    InputError
        Every problem of the file at once, each naming the file, the table (``[period]``, ``day 2021-07-31
        (#2)``, ``resupply #1``) and the field; also a change that does not fit the scenario (unknown depot,
        ward, vehicle type) and a day or resupply outside the period.
    """
    file = str(file)
    problems: list[Problem] = []
    raw = parse_toml(text, file, problems)
    if raw is None:
        raise InputError(problems)
    reader = _Reader(file, problems)
    reader.unknown(raw, ("period", "day", "resupply"), "")
    settings = _period(reader, raw.get("period", {}), scenario)
    settings.setdefault("days", 14)
    calendar = Calendar(**settings, source=file,
                        changes=tuple(_days(reader, raw.get("day", []), Path(folder or Path(file).parent))),
                        resupply=tuple(_resupply(reader, raw.get("resupply", []), scenario)))
    problems += _outside(calendar) + _misfits(calendar, scenario)
    if problems:
        raise InputError(problems)
    return calendar


def _outside(calendar: Calendar) -> list[Problem]:
    """Days and resupply dated outside the period (a typo in a date would otherwise do nothing)."""
    first, last = calendar.dates[0], calendar.dates[-1]
    out = [Problem(f"day {d.start.isoformat()} (#{d.index}): outside the period {first} – {last}", calendar.source,
                   None, "date") for d in calendar.changes if not first <= d.start <= last]
    out += [Problem(f"resupply of {r.depot} on {r.date.isoformat()}: outside the period {first} – {last}",
                    calendar.source, None, "date") for r in calendar.resupply if not first <= r.date <= last]
    return out


def _misfits(calendar: Calendar, scenario: Scenario) -> list[Problem]:
    """Changes that do not fit the scenario (unknown depot, ward, vehicle type), each applied once to it."""
    out = []
    for day in calendar.changes:
        for change in day.changes:
            try:
                change.apply(scenario, PlanOptions())
            except ChangeError as exc:
                out.append(Problem(f"day {day.start.isoformat()} (#{day.index}): {exc}", calendar.source, None,
                                   exc.field))
    return out


def read_calendar(path: str | Path, *, scenario: Scenario) -> Calendar:
    """Read a calendar TOML file (see :func:`parse_calendar`).

    Raises
    ------
    InputError
        The file is missing, not UTF-8 or not TOML, or any of the problems :func:`parse_calendar` finds.
    """
    path = Path(path)
    return parse_calendar(read_text_file(path, what="calendar file"), scenario=scenario, file=path,
                          folder=path.parent)


def default_calendar(scenario: Scenario) -> Calendar:
    """The embedded period 26 July – 8 August 2021 for the default day's scenario
    (``data/default_period.toml``)."""
    return read_calendar(datasets.DEFAULT_PERIOD_FILE, scenario=scenario)
