"""Re-plan a day from what happened: the earlier plan, the reports, the events and the hotline requests at a
time of day → the day as it stands (:mod:`.state`) → the trips in progress finished and the rest of the day as a
day of its own (:mod:`.rest`), planned by the same pipeline as the morning plan → one complete plan again
(:mod:`.merge`), with what changed for each vehicle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.clock import format_hhmm
from optimizer.demand import drop_points
from optimizer.errors import InputError, Problem
from optimizer.network import Closure, load_network
from optimizer.plan.model import Plan
from optimizer.plan.pipeline import locate, run_plan
from optimizer.replan.merge import changes_frame, merge_plans
from optimizer.replan.reports import Delivery, Event, Request, request_points
from optimizer.replan.rest import finish_tails, rest_depots, rest_fleet, rest_points
from optimizer.replan.state import DayState, EarlierPlan, day_state
from optimizer.scenario import load_scenario
from optimizer.scenario.model import Scenario
from optimizer.solve.coordinator import PlanOptions


@dataclass(frozen=True)
class Replan:
    """A re-plan: the complete new plan of the day, what changed per vehicle, and the day as it stood.

    Attributes
    ----------
    plan
        The whole day again (kept visits, trips in progress finished, the rest planned anew); its
        ``settings["replan"]`` says when and what it replaces.
    changes
        ``changes.csv`` (:data:`optimizer.replan.merge.CHANGE_COLUMNS`).
    state
        The day at the re-plan time (:class:`optimizer.replan.state.DayState`).
    rest
        The plan of the rest of the day alone (``None`` when nothing was left to plan).
    """

    plan: Plan
    changes: pd.DataFrame
    state: DayState
    rest: Plan | None


def plan_scenario(earlier: EarlierPlan, scenario_dir: str | Path | None = None, *, strict: bool = False) -> Scenario:
    """The scenario the earlier plan was made from: ``scenario_dir`` when given, else the folder recorded in its
    ``plan.json`` (or the embedded default day)."""
    if scenario_dir is None:
        source = earlier.settings.get("scenario_source", "embedded default")
        if source != "embedded default" and not Path(source).is_dir():
            raise InputError([Problem(f"the plan's scenario folder {source} is not there: give the scenario folder",
                                      str(earlier.folder / "plan.json"), field="settings.scenario_source")])
        scenario_dir = None if source == "embedded default" else Path(source)
    return load_scenario(scenario_dir, strict=strict)


def plan_options(earlier: EarlierPlan, **overrides) -> PlanOptions:
    """The earlier plan's options (as its ``plan.json`` records them), with ``overrides``."""
    recorded = earlier.settings.get("options", {})
    known = {f.name for f in dataclasses.fields(PlanOptions)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in recorded.items() if k in known}
    return PlanOptions(**{**values, **{k: v for k, v in overrides.items() if v is not None}})


def _check(earlier: EarlierPlan, scenario: Scenario, at_s: int, events: Sequence[Event]) -> None:
    problems = []
    if earlier.date != scenario.date.isoformat():
        problems.append(Problem(f"the plan is for {earlier.date}, the scenario for {scenario.date.isoformat()}",
                                str(earlier.folder / "plan.json"), field="date"))
    for event in events:
        if event.time_s > at_s and event.kind != "vehicle_added":
            problems.append(Problem(f"{event.kind} at {format_hhmm(event.time_s)} is after the re-plan time "
                                    f"{format_hhmm(at_s)}", "events.csv", event.row, "time"))
    if problems:
        raise InputError(problems)


def replan(earlier: EarlierPlan, *, scenario: Scenario, at_s: int, deliveries: Sequence[Delivery] = (),
           events: Sequence[Event] = (), requests: Sequence[Request] = (), closures: Sequence[Closure] = (),
           options: PlanOptions | None = None, progress=None) -> Replan:
    """Plan the rest of the day from ``at_s``, keeping what happened and what is under way.

    Parameters
    ----------
    earlier
        The plan being replaced (:func:`optimizer.replan.state.read_plan`).
    scenario
        The day as it stands now: the earlier plan's scenario with any zone regraded or road closed since
        (its drop points must be those of the plan: make them explicit before regrading a ward).
    at_s
        Re-plan time, seconds since midnight.
    deliveries, events, requests
        Delivery reports, events and hotline requests (:mod:`optimizer.replan.reports`).
    closures
        Roads closed since the morning (from ``at_s`` on; added to the events' ``road_closed``).
    options
        The planning options of the rest of the day (the earlier plan's, typically).
    progress
        As for :func:`optimizer.plan.run_plan`.

    Raises
    ------
    InputError
        A plan for another day, a stop of the plan that is not a drop point of the scenario, an event after
        ``at_s``, or anything the day's validation finds in the rest of the day.
    """
    options = options or PlanOptions()
    _check(earlier, scenario, at_s, events)
    closed = [*closures, *(e.closure for e in events if e.kind == "road_closed" and e.closure is not None)]
    now = dataclasses.replace(scenario, closures=(*scenario.closures, *closed), source_rows={})
    state = day_state(earlier, at_s=at_s, deliveries=deliveries, events=events,
                      stock_kg={d.id: d.stock_kg for d in scenario.depots}, fleet=[v.id for v in scenario.vehicles()])
    profiles = sorted({v.profile for v in now.vehicles()} | {"truck"}, key=lambda p: p != "truck")
    networks = {p: load_network(profile=p, closures=[c for c in now.closures if c.applies_to(p)]) for p in profiles}
    points = {p.id: p for p in drop_points(scenario)}
    missing = sorted(set(earlier.stops["stop_id"]) - set(points))
    if missing:
        raise InputError([Problem(f"{len(missing)} stop(s) of the plan are not drop points of the scenario "
                                  f"(e.g. {missing[0]}): re-plan with the plan's own scenario", str(earlier.folder),
                                  field="stops")])
    clash = [Problem(f"'{r.id}' is a drop point's id: give the request an id of its own", "requests.csv", r.row, "id")
             for r in requests if r.id in points]
    if clash:
        raise InputError(clash)
    on_board = {s.stop_id for v in state.vehicles.values() for s in v.tail} | {
        v.next_stop for v in state.vehicles.values() if v.next_stop}
    located = locate(list(now.depots), [points[s] for s in sorted(on_board)], networks, lambda *a, **k: None)
    escape = None
    if now.closures:  # a vehicle cut off at its next stop leaves the way it came: checkpoints let vehicles out
        escape = locate(list(now.depots), located.points, {p: load_network(profile=p) for p in profiles},
                        lambda *a, **k: None)
    tails = finish_tails(state, vehicles={v.id: v for v in now.vehicles()}, points=points,
                         depots={d.id: d for d in now.depots}, located=located, scenario=now, escape=escape)
    stock = {d: dict(kg) for d, kg in state.stock_kg.items()}
    for tail in tails.values():
        for stop, _ in tail.dropped:
            for c, kg in stop.kg.items():
                stock[tail.depot_id][c] = stock[tail.depot_id].get(c, 0.0) + kg
    delivered = _delivered(state, tails, earlier.commodities)
    extra = request_points(requests, scenario=now, network=networks["truck"], at_s=at_s) if requests else []
    rest_scenario = dataclasses.replace(
        # The camps' meal runs are not re-planned: the new plan keeps the earlier plan's (merge).
        now, name=f"{scenario.name} — {format_hhmm(at_s)}", camps=(), kitchens=(), depots=rest_depots(now, stock),
        vehicle_types=rest_fleet(now, state, tails, events, at_s=at_s),
        demand_points=tuple([*rest_points(list(points.values()), delivered=delivered, delivered_kg=_delivered_kg(state, tails),
                                         scenario=now, at_s=at_s),
                             *extra]))
    rest_options = dataclasses.replace(options, close_depots=tuple(sorted(
        {*options.close_depots, *state.closed_depots})))
    rest = run_plan(rest_scenario, options=rest_options, progress=progress) if rest_scenario.demand_points else None
    received: dict[str, float] = {}
    for event in events:
        if event.kind == "stock_received":
            received[event.depot_id] = received.get(event.depot_id, 0.0) + sum(event.kg.values())
    plan = merge_plans(earlier, state=state, tails=tails, rest=rest, scenario=now, located=located, escape=escape,
                       requests=extra, at_s=at_s, received=received)
    return Replan(plan=plan, changes=changes_frame(earlier, plan, state=state, tails=tails, at_s=at_s),
                  state=state, rest=rest)


def _delivered_kg(state: DayState, tails) -> dict[str, float]:
    """Kilograms each stop has had or has on board, exactly."""
    out = state.kept.groupby("stop_id")["quantity_kg"].sum().to_dict() if len(state.kept) else {}
    for tail in tails.values():
        for visit in tail.visits:
            out[visit.stop_id] = out.get(visit.stop_id, 0.0) + visit.quantity_kg
    return out


def _delivered(state: DayState, tails, commodities: Sequence[str]) -> dict[str, dict[str, float]]:
    """Kilograms per commodity each stop has had or has on board (kept visits and trips in progress)."""
    out: dict[str, dict[str, float]] = {}
    for row in state.kept.to_dict("records"):
        slot = out.setdefault(row["stop_id"], {})
        for c in commodities:
            slot[c] = slot.get(c, 0.0) + float(row[f"{c}_kg"])
    for tail in tails.values():
        for visit in tail.visits:
            slot = out.setdefault(visit.stop_id, {})
            for c, kg in visit.kg.items():
                slot[c] = slot.get(c, 0.0) + kg
    return out
