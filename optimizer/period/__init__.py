"""A lockdown period, not one day: rolling day plans over weeks with delivery cycles, carry-over, stock carried
from day to day, resupply and fairness across days.

:mod:`.calendar` reads a period's calendar (days, cycles, each day's changes, resupply), :mod:`.cycles` decides
which drop points are due each day and books what they received, :mod:`.pipeline` plans the days in order
(:func:`plan_period`) or independent periods in parallel (:func:`run_periods`), :mod:`.report` writes a period's
files (one plan folder per day, ``period.csv``, ``days.csv``, the period map and chart)::

    from optimizer.period import default_calendar, plan_period

    period = plan_period(scenario, default_calendar(scenario), options=PlanOptions(effort=0.3))
    period.days[["date", "due_kg", "delivered_kg", "worst_ward", "worst_ward_days"]]
"""

from optimizer.period.calendar import Calendar, DayChanges, Resupply, default_calendar, parse_calendar, read_calendar
from optimizer.period.cycles import PeriodState, due_points, first_days
from optimizer.period.pipeline import DAY_COLUMNS, WARD_DAY_COLUMNS, PeriodResult, plan_period, run_periods

__all__ = ["Calendar", "DayChanges", "Resupply", "default_calendar", "parse_calendar", "read_calendar",
           "PeriodState", "due_points", "first_days", "PeriodResult", "plan_period", "run_periods",
           "WARD_DAY_COLUMNS", "DAY_COLUMNS"]
