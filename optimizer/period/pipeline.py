"""Plan a lockdown period day after day: each day's due points, stock carried over, outcomes fed forward.

:func:`plan_period` plans the days in order. Each morning: the calendar's changes in force that day are applied
to the base scenario (zones regraded, depots closed, roads closed, fleet), the depots hold the stock carried
from the evening before plus the restock and the resupply of the day, and the drop points due that day
(:mod:`optimizer.period.cycles`) are planned by the ordinary day planner (:func:`optimizer.plan.run_plan`). In
the evening what each point received — as planned, or as the drivers reported in a ``delivered.csv`` of that
day — is booked: what it holds, what its people could not eat, when it is next due, and each ward's days
without supply. :func:`run_periods` plans independent periods (what-if sweeps) in local processes or on Dask.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.parallel import run_jobs
from optimizer.period.calendar import Calendar
from optimizer.period.cycles import Due, PeriodState, due_points
from optimizer.plan import Plan, PlanOptions, run_plan
from optimizer.replan.reports import Delivery, read_delivered
from optimizer.replan.state import earlier_plan, visit_kg
from optimizer.scenario.model import PRIORITY_OF_GRADE, DemandPoint, Scenario
from optimizer.whatif import materialise

__all__ = ["WARD_DAY_COLUMNS", "DAY_COLUMNS", "PeriodResult", "plan_period", "run_periods", "delivered_file"]

#: Columns of :attr:`PeriodResult.wards` (``period.csv``): one row per ward and day.
WARD_DAY_COLUMNS = ["date", "day", "ward_id", "ward", "locality", "zone", "points", "points_due", "need_kg",
                    "due_kg", "delivered_kg", "unserved_kg", "short_kg", "days_without_food", "days_since_delivery",
                    "share_to_date", "priority_raised", "reason_code"]
#: Columns of :attr:`PeriodResult.days` (``days.csv``): one row per day.
DAY_COLUMNS = ["date", "day", "points_due", "carried_points", "need_kg", "due_kg", "delivered_kg", "unserved_kg",
               "short_kg", "stock_start_kg", "resupply_kg", "stock_end_kg", "km", "trips", "vehicles_used",
               "worst_ward", "worst_ward_days", "worst_ward_share", "meals_needed", "meals_delivered",
               "cut_by_time_limit", "changes", "reports"]


@dataclass
class PeriodResult:
    """A planned period.

    Attributes
    ----------
    calendar
        What was planned.
    plans
        One day plan per day, in order (``Plan.stops`` holds the points due that day).
    wards
        Ward × day (:data:`WARD_DAY_COLUMNS`): need, due, delivered, unserved, what people could not eat
        (``short_kg``), days in a row without food, days since the last delivery, the share of the ward's need
        eaten so far, and the reason code of what was left (the most kilograms).
    days
        One row per day (:data:`DAY_COLUMNS`), with the worst ward of the day (most days without supply, then
        the lowest share so far).
    stock
        Depot × day: stock in the morning (after restock and resupply) and in the evening, per commodity.
    """

    calendar: Calendar
    plans: list[Plan]
    wards: pd.DataFrame
    days: pd.DataFrame
    stock: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def wards_without_food(self) -> pd.DataFrame:
        """Wards whose people went without food on some day: days, kilograms and the reasons (binding limits)."""
        short = self.wards[self.wards["short_kg"] > 0]
        if not len(short):
            return pd.DataFrame(columns=["ward_id", "ward", "locality", "days", "short_kg", "first", "last",
                                         "reasons"])
        grouped = short.groupby(["ward_id", "ward", "locality"], sort=False)
        table = grouped.agg(days=("date", "count"), short_kg=("short_kg", "sum"), first=("date", "min"),
                            last=("date", "max")).reset_index()
        reasons = self.wards[self.wards["reason_code"] != ""].groupby("ward_id")["reason_code"].agg(
            lambda codes: ", ".join(sorted(set(codes))))
        table["reasons"] = table["ward_id"].map(reasons).fillna("")
        return table.sort_values(["days", "short_kg"], ascending=False, ignore_index=True)

    @property
    def longest_without(self) -> pd.Series:
        """Ward id → the most days it went without a delivery during the period."""
        return self.wards.groupby("ward_id")["days_since_delivery"].max()


def delivered_file(folder: str | Path | None, day: dt.date) -> Path | None:
    """``<folder>/<YYYY-MM-DD>.csv``: the drivers' reports of that day, when there is one."""
    if folder is None:
        return None
    path = Path(folder) / f"{day.isoformat()}.csv"
    return path if path.is_file() else None


# --------------------------------------------------------------------------------------------------
# One day
# --------------------------------------------------------------------------------------------------


def _day_scenario(base: Scenario, calendar: Calendar, k: int, options: PlanOptions) -> tuple[Scenario, PlanOptions]:
    """The base day with the calendar's changes in force on day ``k``, dated and titled."""
    date = calendar.dates[k]
    scenario, day_options = calendar.day_variant(date).apply(base, options)
    first, last = calendar.dates[0], calendar.dates[-1]
    title = (f"{base.name.split(' — ')[0]} — {date:%d/%m/%Y} (ngày {k + 1}/{calendar.days}, "
             f"đợt {first:%d/%m}–{last:%d/%m/%Y})")
    return dataclasses.replace(scenario, name=title, date=date), day_options


def _with_stock_and_points(scenario: Scenario, options: PlanOptions, stock: Mapping[str, Mapping[str, float]],
                           due: Sequence[Due]) -> Scenario:
    """The day's scenario holding the carried stock (a closed depot: none that day) and the due points (on a day
    when none is due, every point with nothing to deliver: a day plan without routes)."""
    closed = set(options.close_depots)
    depots = tuple(dataclasses.replace(d, stock_kg={c: 0.0 if d.id in closed else kg for c, kg in stock[d.id].items()})
                   for d in scenario.depots)
    points = tuple(d.point for d in due) or tuple(
        dataclasses.replace(p, demand_kg=dict.fromkeys(p.demand_kg, 0.0)) for p in scenario.demand_points or ())
    return dataclasses.replace(scenario, depots=depots, demand_points=points)


def _handed_over(plan: Plan, reports: Sequence[Delivery], commodities: Sequence[str]
                 ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """What each visit handed over — as planned, or as reported (refused and failed visits: nothing, the load goes
    back to its depot) — summed per point (what it received) and per loading depot (what left its stock)."""
    by_visit = {(r.vehicle_id, r.trip, r.stop_id): r for r in reports}
    received: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    taken: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in plan.routes.to_dict("records"):
        report = by_visit.get((row["vehicle_id"], int(row["trip"]), row["stop_id"]))
        if report is not None and report.status != "done":
            continue
        for commodity, kg in visit_kg(row, commodities, report).items():
            received[row["stop_id"]][commodity] += kg
            taken[str(row["depot_id"])][commodity] += kg
    return {k: dict(v) for k, v in received.items()}, {k: dict(v) for k, v in taken.items()}


# --------------------------------------------------------------------------------------------------
# The period
# --------------------------------------------------------------------------------------------------


@dataclass
class _Books:
    """Rows of the period's tables as the days are booked."""

    wards: list[dict] = field(default_factory=list)
    days: list[dict] = field(default_factory=list)
    stock: list[dict] = field(default_factory=list)
    eaten_kg: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    short_kg: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    hungry_days: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _restock(calendar: Calendar, base: Scenario, stock: dict[str, dict[str, float]], k: int) -> float:
    """Add the morning's restock (after the first day) and resupply; returns the kilograms added."""
    added = 0.0
    if k > 0 and calendar.restock_share:
        for depot in base.depots:
            for c, kg in depot.stock_kg.items():
                stock[depot.id][c] = stock[depot.id].get(c, 0.0) + kg * calendar.restock_share
                added += kg * calendar.restock_share
    for resupply in calendar.resupply_on(calendar.dates[k]):
        for c, kg in resupply.kg.items():
            stock[resupply.depot][c] = stock[resupply.depot].get(c, 0.0) + kg
            added += kg
    return added


def _reason_by_ward(plan: Plan) -> dict[str, str]:
    """Ward id → the reason code of the most kilograms left that day."""
    if not len(plan.unserved):
        return {}
    kg = plan.unserved.groupby(["ward_id", "reason_code"])["quantity_kg"].sum().reset_index()
    kg = kg.sort_values(["ward_id", "quantity_kg", "reason_code"], ascending=[True, False, True])
    return kg.drop_duplicates("ward_id").set_index("ward_id")["reason_code"].astype(str).to_dict()


def _book_wards(books: _Books, state: PeriodState, scenario: Scenario, k: int, date: dt.date, due: Sequence[Due],
                received: Mapping[str, Mapping[str, float]], evening: Mapping[str, Mapping[str, float]],
                reasons: Mapping[str, str]) -> list[dict]:
    due_by_point = {d.point.id: d for d in due}
    rows: dict[str, dict] = {}
    for pid, ps in state.points.items():
        point = ps.point
        row = rows.setdefault(point.ward_id, {
            "date": date.isoformat(), "day": k + 1, "ward_id": point.ward_id, "ward": point.ward_name,
            "locality": point.locality, "zone": scenario.zone(point.ward_id).grade, "points": 0, "points_due": 0,
            "need_kg": 0.0, "due_kg": 0.0, "delivered_kg": 0.0, "short_kg": 0.0, "priority_raised": 0})
        row["points"] += 1
        row["need_kg"] += point.total_kg
        row["delivered_kg"] += sum(received.get(pid, {}).values())
        row["short_kg"] += evening[pid]["short_kg"]
        if pid in due_by_point:
            row["points_due"] += 1
            row["due_kg"] += due_by_point[pid].point.total_kg
            row["priority_raised"] += int(due_by_point[pid].raised)
    out = []
    for ward_id, row in rows.items():
        books.eaten_kg[ward_id] += row["need_kg"] - row["short_kg"]
        books.short_kg[ward_id] += row["short_kg"]
        books.hungry_days[ward_id] = books.hungry_days[ward_id] + 1 if row["short_kg"] > 0 else 0
        eaten, short = books.eaten_kg[ward_id], books.short_kg[ward_id]
        row.update(unserved_kg=max(0.0, row["due_kg"] - row["delivered_kg"]),
                   days_without_food=books.hungry_days[ward_id],
                   days_since_delivery=state.days_without(ward_id, k + 1) - 1,
                   share_to_date=eaten / (eaten + short) if eaten + short else 1.0,
                   reason_code=reasons.get(ward_id, "") if row["due_kg"] - row["delivered_kg"] > 1.0 else "")
        out.append({c: row[c] for c in WARD_DAY_COLUMNS})
    books.wards += out
    return out


def _worst(rows: Sequence[Mapping]) -> Mapping:
    """The ward longest without supply, then the lowest share of its need so far, then the most left today."""
    return min(rows, key=lambda r: (-r["days_since_delivery"], r["share_to_date"], -r["unserved_kg"], r["ward_id"]))


def _book_day(books: _Books, plan: Plan, k: int, date: dt.date, due: Sequence[Due], ward_rows: Sequence[Mapping],
              stock_start: float, added: float, stock_end: float, changes: str, reports: Path | None) -> None:
    worst = _worst(ward_rows)
    frame = pd.DataFrame(ward_rows)
    books.days.append({
        "date": date.isoformat(), "day": k + 1, "points_due": len(due), "carried_points": sum(d.carried for d in due),
        "need_kg": float(frame["need_kg"].sum()), "due_kg": float(frame["due_kg"].sum()),
        "delivered_kg": float(frame["delivered_kg"].sum()), "unserved_kg": float(frame["unserved_kg"].sum()),
        "short_kg": float(frame["short_kg"].sum()), "stock_start_kg": stock_start, "resupply_kg": added,
        "stock_end_kg": stock_end, "km": float(plan.kpis.get("km", 0.0)), "trips": int(plan.kpis.get("trips", 0)),
        "vehicles_used": int(plan.kpis.get("vehicles_used", 0)), "worst_ward": f"{worst['ward']} ({worst['ward_id']})",
        "worst_ward_days": int(worst["days_since_delivery"]), "worst_ward_share": float(worst["share_to_date"]),
        "meals_needed": int(plan.kpis.get("meals_needed", 0)), "meals_delivered": int(plan.kpis.get("meals_delivered", 0)),
        "cut_by_time_limit": bool(plan.cut_by_time_limit), "changes": changes, "reports": str(reports or "")})


def _zone_rules(calendar: Calendar, day: Scenario
                ) -> tuple[Callable[[DemandPoint], int], Callable[[DemandPoint], int]]:
    """A point's cycle and zone priority on ``day`` (its ward's grade that day)."""
    def cycle_of(point: DemandPoint) -> int:
        return calendar.cycle_of(day.zone(point.ward_id).grade)

    def priority_of(point: DemandPoint) -> int:
        return PRIORITY_OF_GRADE.get(day.zone(point.ward_id).grade, 0)

    return cycle_of, priority_of


def _take(stock: dict[str, dict[str, float]], taken: Mapping[str, Mapping[str, float]]) -> None:
    for depot_id, kg in taken.items():
        for c, out in kg.items():
            stock[depot_id][c] = max(0.0, stock[depot_id].get(c, 0.0) - out)


def _total(stock: Mapping[str, Mapping[str, float]]) -> float:
    return math.fsum(kg for by_commodity in stock.values() for kg in by_commodity.values())


def plan_period(scenario: Scenario, calendar: Calendar, *, options: PlanOptions | None = None,
                delivered_dir: str | Path | None = None, strict: bool = False,
                on_day: Callable[[Plan], None] | None = None, progress: Callable[..., None] | None = None
                ) -> PeriodResult:
    """Plan every day of ``calendar`` for ``scenario``'s province (see the module docstring).

    Parameters
    ----------
    scenario
        The base day: depots with their opening stock, fleet, zones, drop points and their daily need.
    calendar
        Days, cycles, changes and resupply (:func:`~optimizer.period.calendar.read_calendar`).
    options
        Options of every day plan (the same seed every day: the same inputs give the same period).
    delivered_dir
        Folder of the drivers' reports, ``<YYYY-MM-DD>.csv`` per day (the columns of a re-plan's
        ``delivered.csv``): a day with a report books what was reported instead of the plan.
    strict
        Ambiguous numbers in the reports are errors.
    on_day
        Called with each day's plan as soon as it is made (e.g. :class:`~optimizer.period.report.DayWriter`).
    progress
        ``progress(stage, done, total, detail)`` as each day starts.

    Raises
    ------
    InputError
        A report that does not match its day's plan (file, row, field), or a day the planner refuses.
    """
    options = options or PlanOptions()
    base = materialise(scenario)
    state = PeriodState.start(base.demand_points or (), _zone_rules(calendar, base)[0],
                              max_days_without=calendar.max_days_without)
    stock = {d.id: dict(d.stock_kg) for d in base.depots}
    books, plans = _Books(), []
    for k, date in enumerate(calendar.dates):
        if progress:
            progress("period", k, calendar.days, date.isoformat())
        day, day_options = _day_scenario(base, calendar, k, options)
        cycle_of, priority_of = _zone_rules(calendar, day)
        added = _restock(calendar, base, stock, k)
        stock_start = _total(stock)
        due = due_points(state, k, cycle_of=cycle_of, priority_of=priority_of)
        plan = run_plan(_with_stock_and_points(day, day_options, stock, due), options=day_options)
        reports_path = delivered_file(delivered_dir, date)
        reports = read_delivered(reports_path, planned=earlier_plan(plan).planned(), commodities=base.commodities,
                                 strict=strict) if reports_path else []
        received, taken = _handed_over(plan, reports, base.commodities)
        _take(stock, taken)
        evening = state.settle(k, received, {d.point.id: d.point.demand_kg for d in due}, cycle_of)
        rows = _book_wards(books, state, day, k, date, due, received, evening, _reason_by_ward(plan))
        _book_day(books, plan, k, date, due, rows, stock_start, added, _total(stock),
                  calendar.day_variant(date).description, reports_path)
        books.stock += [{"date": date.isoformat(), "depot_id": d, **{f"{c}_kg": kg for c, kg in by_c.items()}}
                        for d, by_c in stock.items()]
        plans.append(plan)
        if on_day is not None:
            on_day(plan)
    if progress:
        progress("period", calendar.days, calendar.days, "done")
    return PeriodResult(calendar=calendar, plans=plans, wards=pd.DataFrame(books.wards, columns=WARD_DAY_COLUMNS),
                        days=pd.DataFrame(books.days, columns=DAY_COLUMNS), stock=pd.DataFrame(books.stock),
                        settings={"engine": options.engine, "effort": options.effort, "seed": options.seed})


def _plan_one(scenario: Scenario, calendar: Calendar, options: PlanOptions) -> PeriodResult:
    return plan_period(scenario, calendar, options=dataclasses.replace(options, workers=1, dask_address=None))


def run_periods(periods: Sequence[tuple[Scenario, Calendar]], *, options: PlanOptions | None = None,
                workers: int = 1, dask_address: str | None = None) -> list[PeriodResult]:
    """Plan independent periods (e.g. a what-if sweep over calendars) in up to ``workers`` local processes or
    on the Dask scheduler at ``dask_address``; each period is planned exactly as :func:`plan_period` would."""
    options = options or PlanOptions()
    return run_jobs(_plan_one, [(s, c, options) for s, c in periods], workers=workers, dask_address=dask_address,
                    name="period")
