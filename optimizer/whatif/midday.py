"""What-if during the day: an incident at a time of day (a truck breaks down, a ward is sealed, a road closed,
hotline requests), re-planned from the morning plan (:func:`optimizer.replan.replan`) and compared with it::

    from optimizer import whatif as W

    incidents = [W.breakdown(morning, at="10:00", capacity_kg=5000), W.sealed("Phường Vĩnh Hải", at="11:00")]
    replans = W.run_incidents(morning, scenario, incidents, options=PlanOptions(effort=0.5))
    W.compare({"as planned": morning, **{name: r.plan for name, r in replans.items()}}).table
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from optimizer import datasets
from optimizer.clock import parse_hhmm
from optimizer.parallel import run_jobs
from optimizer.plan import Plan, PlanOptions
from optimizer.replan import Event, Replan, Request, earlier_plan, replan
from optimizer.replan.state import EarlierPlan, trip_times
from optimizer.scenario.model import Scenario
from optimizer.whatif.changes import Change, ChangeError, CloseRoad, _resolve_ward, derive, materialise


@dataclass(frozen=True)
class Incident:
    """Something that happens during the day, and from when.

    Attributes
    ----------
    name
        How the comparison names it ("5 t truck breaks down at 10:00").
    at
        Re-plan time ``HH:MM``.
    changes
        Changes of the day from ``at`` on (:class:`~optimizer.whatif.changes.CloseRoad`,
        :class:`~optimizer.whatif.changes.Regrade`, ...).
    events, requests
        Events and hotline requests (:mod:`optimizer.replan.reports`).
    """

    name: str
    at: str
    changes: tuple[Change, ...] = ()
    events: tuple[Event, ...] = ()
    requests: tuple[Request, ...] = ()


def breakdown(plan: Plan | EarlierPlan, *, at: str, capacity_kg: float = 5000.0, vehicle_id: str | None = None) -> Incident:
    """A vehicle breaks down at ``at``: ``vehicle_id``, or among the vehicles on a trip of ``plan`` at that time
    with stops still ahead (the case that loses a load on board) the first (by id) of the capacity nearest
    ``capacity_kg``."""
    at_s = parse_hhmm(at)
    if vehicle_id is None:
        earlier = plan if isinstance(plan, EarlierPlan) else earlier_plan(plan)
        started = {(t.vehicle_id, t.trip) for t in trip_times(earlier).values() if t.load_start_s <= at_s}
        ahead = plan.routes[plan.routes["departure_s"] > at_s]
        on_trip = sorted({v for v, t in zip(ahead["vehicle_id"], ahead["trip"]) if (v, int(t)) in started})
        if not on_trip:
            raise ChangeError(f"no vehicle is on a trip with stops ahead at {at}", "breakdown.at")
        capacity = dict(zip(plan.routes["vehicle_id"], plan.routes["capacity_kg"]))
        vehicle_id = min(on_trip, key=lambda v: (abs(capacity[v] - capacity_kg), v))
    return Incident(f"{vehicle_id} breaks down at {at}", at,
                    events=(Event("breakdown", at_s, 0, vehicle_id=vehicle_id, note="what-if"),))


def sealed(ward: str, *, at: str) -> Incident:
    """A ward is sealed at ``at``: every road crossing its boundary is closed to every vehicle."""
    ward_id = _resolve_ward(ward, "sealed.ward")
    wards = datasets.read_wards()
    row = wards[wards["ward_id"].astype(str) == ward_id].iloc[0]
    return Incident(f"{row['ward_vn']} sealed at {at}", at,
                    changes=(CloseRoad.by_polygon(row.geometry, label=f"{row['ward_vn']} sealed at {at}"),))


def replan_incident(plan: Plan, scenario: Scenario, incident: Incident, *,
                    options: PlanOptions | None = None) -> Replan:
    """Re-plan ``plan`` (made from ``scenario``) after ``incident``."""
    day = derive(materialise(scenario), *incident.changes) if incident.changes else scenario
    return replan(earlier_plan(plan), scenario=day, at_s=parse_hhmm(incident.at), events=incident.events,
                  requests=incident.requests, options=options)


def run_incidents(plan: Plan, scenario: Scenario, incidents: Sequence[Incident], *,
                  options: PlanOptions | None = None, workers: int = 1, dask_address=None) -> dict[str, Replan]:
    """Re-plan ``plan`` after each incident, in up to ``workers`` processes or on a Dask cluster; keyed by name."""
    names = [i.name for i in incidents]
    if len(set(names)) != len(names):
        raise ChangeError("incident names are not unique", "incident.name")
    jobs = [(plan, scenario, incident, options) for incident in incidents]
    done = run_jobs(_replan_job, jobs, workers=workers, dask_address=dask_address, name="incident")
    return dict(zip(names, done))


def _replan_job(plan: Plan, scenario: Scenario, incident: Incident, options: PlanOptions | None) -> Replan:
    return replan_incident(plan, scenario, incident, options=options)

