"""Delivery cycles and the period calendar, without the solver: which points are due, how much, what they hold,
and every problem of a calendar file by table and field."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

import pytest

from optimizer.errors import InputError
from optimizer.period import PeriodState, default_calendar, due_points, first_days, parse_calendar
from optimizer.period.cycles import KG_TOLERANCE
from optimizer.scenario import load_scenario
from optimizer.scenario.model import DemandPoint


def _point(pid: str, ward: str, kg: float, locality: str = "Nha Trang") -> DemandPoint:
    return DemandPoint(id=pid, ward_id=ward, ward_name=ward, locality=locality, name=pid, lon=109.0, lat=12.0,
                       demand_kg={"rice": kg * 0.7, "food_bag": kg * 0.3}, tw_start_s=21600, tw_end_s=64800,
                       service_s=300, service_s_per_kg=0.1)


POINTS = [_point(f"P{k:02d}", f"W{k % 5}", 100.0 + 37 * (k % 7), "Nha Trang" if k % 3 else "Ninh Hoa")
          for k in range(30)]


def _cycle(point: DemandPoint) -> int:
    return 2 if point.ward_id == "W0" else 3  # W0 is a red ward: a shorter cycle


def _run(days: int, deliver) -> tuple[PeriodState, list[dict], list[list]]:
    """Book ``days`` days where ``deliver(day, due)`` says what each due point receives."""
    state = PeriodState.start(POINTS, _cycle, max_days_without=3)
    evenings, dues = [], []
    for day in range(days):
        due = due_points(state, day, cycle_of=_cycle, priority_of=lambda p: 0)
        got = deliver(day, due)
        evenings.append(state.settle(day, got, {d.point.id: d.point.demand_kg for d in due}, _cycle))
        dues.append(due)
    return state, evenings, dues


def _everything(day, due):
    return {d.point.id: dict(d.point.demand_kg) for d in due}


def test_first_days_balance_each_locality_and_stay_within_the_cycle():
    first = first_days(POINTS, _cycle)
    assert all(0 <= first[p.id] < _cycle(p) for p in POINTS)
    horizon = 6
    for locality in ("Nha Trang", "Ninh Hoa"):
        load = [0.0] * horizon
        for p in POINTS:
            if p.locality == locality:
                for t in range(first[p.id], horizon, _cycle(p)):
                    load[t] += p.total_kg * _cycle(p)
        biggest = max(p.total_kg * _cycle(p) for p in POINTS if p.locality == locality)
        assert max(load) - min(load) <= biggest + 1e-6, (locality, load)
    # a ward's points alternate between delivery days
    w1 = [first[p.id] for p in POINTS if p.ward_id == "W1"]
    assert len(set(w1)) > 1


def test_everything_delivered_keeps_every_ration_and_the_promise():
    state, evenings, dues = _run(21, _everything)
    assert all(e["short_kg"] == 0 for evening in evenings for e in evening.values())
    daily = [sum(d.point.total_kg for d in due) for due in dues]
    need = sum(p.total_kg for p in POINTS)
    # the daily work averages the daily need (cycles regroup it, they do not add to it)
    assert sum(daily) / len(daily) == pytest.approx(need, rel=0.15)
    for due in dues:
        for d in due:
            assert d.point.total_kg == pytest.approx(_cycle(d.point) * _base(d.point.id).total_kg, abs=1e-6) or \
                d.point.total_kg < _cycle(d.point) * _base(d.point.id).total_kg
    # every ward got food at least every 3 days: the gap between two deliveries never exceeds 3 days
    delivered_days = defaultdict(list)
    for day, due in enumerate(dues):
        for d in due:
            delivered_days[d.point.ward_id].append(day)
    for ward, days in delivered_days.items():
        gaps = [b - a for a, b in zip([-1, *days], days)]
        assert max(gaps) <= 3, (ward, days)


def _base(pid: str) -> DemandPoint:
    return next(p for p in POINTS if p.id == pid)


def test_a_short_delivery_is_due_first_the_next_day_with_a_raised_priority():
    failed = {}

    def deliver(day, due):
        got = _everything(day, due)
        if day == 0:
            victim = due[0].point.id
            failed["id"] = victim
            failed["kg"] = sum(got[victim].values())
            got[victim] = {c: kg / 4 for c, kg in got[victim].items()}  # a quarter arrived
        return got

    state = PeriodState.start(POINTS, _cycle, max_days_without=3)
    due0 = due_points(state, 0, cycle_of=_cycle, priority_of=lambda p: 1)
    state.settle(0, deliver(0, due0), {d.point.id: d.point.demand_kg for d in due0}, _cycle)
    due1 = {d.point.id: d for d in due_points(state, 1, cycle_of=_cycle, priority_of=lambda p: 1)}
    victim = due1[failed["id"]]
    assert victim.carried and victim.raised and victim.point.priority == 2
    # it is topped up to a whole cycle again: it holds what a quarter of a cycle leaves after a day (if anything)
    base = _base(failed["id"])
    held = max(0.0, failed["kg"] / 4 - base.total_kg)
    assert victim.point.total_kg == pytest.approx(_cycle(base) * base.total_kg - held, abs=1e-6)
    assert all(not d.carried for pid, d in due1.items() if pid != failed["id"])


def test_nothing_delivered_means_going_without_and_a_forced_delivery_for_late_wards():
    state, evenings, dues = _run(4, lambda day, due: {})
    short = [sum(e["short_kg"] for e in evening.values()) for evening in evenings]
    assert short[0] > 0 and short[-1] > short[0]  # more points run out each day
    # day 3 (0-based 2 is the third morning): every ward has gone 3 days without supply, all its points are due
    assert {d.point.ward_id for d in dues[2]} == {p.ward_id for p in POINTS}
    assert all(d.raised for d in dues[3])
    # priority is capped at red's
    state = PeriodState.start(POINTS, _cycle, max_days_without=1)
    assert max(d.point.priority for d in due_points(state, 1, cycle_of=_cycle, priority_of=lambda p: 3)) == 3


def test_rounding_is_not_carry_over():
    def deliver(day, due):
        return {d.point.id: {c: kg - KG_TOLERANCE / 4 for c, kg in d.point.demand_kg.items()} for d in due}

    _, evenings, dues = _run(6, deliver)
    assert not any(d.carried for due in dues for d in due)


# --------------------------------------------------------------------------------------------------
# Calendar files
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example():
    return load_scenario("examples/scenario")


def test_the_default_calendar_is_the_documented_period():
    scenario = load_scenario(None)
    calendar = default_calendar(scenario)
    assert (calendar.dates[0], calendar.dates[-1]) == (dt.date(2021, 7, 26), dt.date(2021, 8, 8))
    closed = [d for d in calendar.dates if any(c.key == "close_depots" for c in calendar.day_variant(d).changes)]
    assert closed == [dt.date(2021, 7, 31), dt.date(2021, 8, 1)]
    regraded, _ = calendar.day_variant(dt.date(2021, 7, 29)).apply(scenario)
    assert [z.grade for z in regraded.zones if z.ward_name == "Phường Phước Hải"] == ["red"]
    assert sum(r.kg.get("rice", 0) for r in calendar.resupply) == 350_000
    assert calendar.cycle_of("red") == 2 and calendar.cycle_of("green") == 3


def test_a_calendar_lists_every_problem_by_table_and_field(example):
    text = """
[period]
start = 2021-07-26
days = 3
cycle_days = 0
colour = "blue"

[[day]]
date = 2021-07-27
scale_demand = [{ factor = 2 }]

[[day]]
date = 2021-09-01
close_depots = ["NO-SUCH-DEPOT"]

[[day]]
note = "no date"
regrade = [{ ward = "Atlantis", grade = "red" }]

[[resupply]]
date = 2021-07-27
depot = "GO-NT"
rice_kg = -5
"""
    with pytest.raises(InputError) as info:
        parse_calendar(text, scenario=example, file="calendar.toml")
    found = {(p.field, p.message.split(":")[0]) for p in info.value.problems}
    assert ("cycle_days", "[period]") in found
    assert ("colour", "[period]") in found
    assert ("scale_demand", "day 2021-07-27 (#1)") in found
    assert ("day", "day 2021-07-27 (#1)") in found  # no change left
    assert ("date", "day #3") in found
    assert ("rice_kg", "resupply #1") in found
    assert any(p.field == "date" and "outside the period" in p.message for p in info.value.problems)
    assert any("NO-SUCH-DEPOT" in p.message for p in info.value.problems)
    assert all(p.file == "calendar.toml" for p in info.value.problems)


def test_changes_hold_for_their_days_only(example):
    calendar = parse_calendar("""
[period]
start = 2021-07-26
days = 5
[[day]]
date = 2021-07-27
days = 2
close_depots = ["GO-NT"]
""", scenario=example)
    closed = [bool(calendar.day_variant(d).changes) for d in calendar.dates]
    assert closed == [False, True, True, False, False]
    assert dataclasses.replace(calendar, days=2).dates[-1] == dt.date(2021, 7, 27)
