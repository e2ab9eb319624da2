"""Re-plan the day from what happened: delivery reports, events and hotline requests at a time of day.

::

    from optimizer.replan import read_plan, plan_scenario, replan

    earlier = read_plan("output/2021-07-26")
    again = replan(earlier, scenario=plan_scenario(earlier), at_s=parse_hhmm("11:00"),
                   deliveries=read_delivered("delivered.csv", planned=earlier.planned()))
    again.plan, again.changes

:mod:`.reports` reads the three input files, :mod:`.state` works out the day as it stands, :mod:`.rest` finishes
the trips in progress and makes the rest of the day a day of its own, :mod:`.pipeline` plans it with the morning
pipeline and :mod:`.merge` makes one complete plan of the day again.
"""

from optimizer.replan.merge import CHANGE_COLUMNS
from optimizer.replan.pipeline import Replan, plan_options, plan_scenario, replan
from optimizer.replan.reports import (
    Delivery,
    Event,
    Request,
    read_delivered,
    read_events,
    read_requests,
    request_points,
)
from optimizer.replan.state import DayState, EarlierPlan, earlier_plan, read_plan

__all__ = [
    "CHANGE_COLUMNS", "DayState", "Delivery", "EarlierPlan", "earlier_plan", "Event", "Replan", "Request", "plan_options",
    "plan_scenario", "read_delivered", "read_events", "read_plan", "read_requests", "replan", "request_points",
]
