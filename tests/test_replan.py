"""Re-planning the embedded default day during the day (issue 16).

The morning plan is made once per module (reduced search effort: the rules, not the last kilogram, are under
test); each case re-plans it from a time of day with reports, events or requests, and every re-plan passes the
independent checker extended to the fixed part (``tests/checker.py``: ``check_replan``).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from checker import check_replan
from click.testing import CliRunner

from cli import replan as command
from optimizer.clock import parse_hhmm
from optimizer.errors import InputError
from optimizer.outputs.report import write_outputs
from optimizer.plan import PlanOptions, run_plan
from optimizer.replan import Delivery, Event, Request, earlier_plan, replan
from optimizer.replan.state import trip_times
from optimizer.scenario import load_scenario
from optimizer.solve.reasons import REASON_CODES
from optimizer.whatif import breakdown

OPTIONS = PlanOptions(effort=0.3)
TEN, ELEVEN = parse_hhmm("10:00"), parse_hhmm("11:00")


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(None)


@pytest.fixture(scope="module")
def morning(scenario):
    return run_plan(scenario, options=OPTIONS)


def _on_trip(plan, at_s: int) -> dict[str, int]:
    """Vehicle → the trip it is on at ``at_s``."""
    return {t.vehicle_id: t.trip for t in trip_times(earlier_plan(plan)).values() if t.load_start_s <= at_s < t.end_s}


def _done_before(plan, at_s: int, *, not_on: set[str]):
    """A visit finished before ``at_s`` by a vehicle not in ``not_on``, at a stop the plan serves in one visit."""
    once = plan.routes.groupby("stop_id")["stop_id"].transform("size") == 1
    rows = plan.routes[once & (plan.routes["departure_s"] <= at_s) & ~plan.routes["vehicle_id"].isin(not_on)]
    return rows.sort_values(["vehicle_id", "trip", "seq"])


@pytest.fixture(scope="module")
def at_ten(morning, scenario):
    """At 10:00 a 5 t truck on the road breaks down, one stop reports done, one refused its load."""
    broken = breakdown(morning, at="10:00", capacity_kg=5000).events[0].vehicle_id
    done = _done_before(morning, TEN, not_on={broken})
    refused, reported = done.iloc[0], done.iloc[-1]
    deliveries = [
        Delivery(vehicle_id=refused["vehicle_id"], trip=int(refused["trip"]), stop_id=refused["stop_id"],
                 status="refused", time_s=int(refused["arrival_s"]), kg={}, note="ward team absent", row=2),
        Delivery(vehicle_id=reported["vehicle_id"], trip=int(reported["trip"]), stop_id=reported["stop_id"],
                 status="done", time_s=int(reported["departure_s"]), kg={}, note="", row=3),
    ]
    events = [Event("breakdown", TEN, 2, vehicle_id=broken, note="engine")]
    again = replan(earlier_plan(morning), scenario=scenario, at_s=TEN, deliveries=deliveries, events=events,
                   options=OPTIONS)
    return again, broken, refused, reported


def test_the_re_plan_at_ten_passes_the_checker_with_its_fixed_part(morning, at_ten):
    again, broken, refused, _ = at_ten
    not_delivered = {(refused["vehicle_id"], int(refused["trip"]), refused["stop_id"])}
    assert check_replan(morning, again.plan, at_s=TEN, not_delivered=not_delivered, broken={broken: TEN}) == []


def test_a_breakdown_reassigns_the_vehicles_remaining_stops_or_lists_them(morning, at_ten):
    again, broken, _, _ = at_ten
    left = morning.routes[(morning.routes["vehicle_id"] == broken) & (morning.routes["departure_s"] > TEN)]
    assert len(left), "the broken truck had stops after 10:00"
    assert not len(again.plan.routes[(again.plan.routes["vehicle_id"] == broken)
                                     & (again.plan.routes["arrival_s"] >= TEN)])
    unserved = set(again.plan.unserved["stop_id"])
    served_after = set(again.plan.routes.loc[again.plan.routes["arrival_s"] >= TEN, "stop_id"])
    for stop in left["stop_id"]:
        assert stop in served_after or stop in unserved, stop
    reasons = again.plan.unserved.loc[again.plan.unserved["stop_id"].isin(left["stop_id"]), "reason_code"]
    assert set(reasons) <= set(REASON_CODES)
    assert again.plan.kpis["replan"]["vehicles_broken"] == [broken]
    assert again.plan.kpis["replan"]["lost_on_board_kg"] > 0  # it was on the road: its load is not stock
    removed = again.changes[(again.changes["vehicle_id"] == broken) & (again.changes["change"] == "removed")]
    assert set(left["stop_id"]) <= set(removed["stop_id"])


def test_a_delivered_stop_is_never_planned_again(morning, at_ten):
    again, _, refused, reported = at_ten
    plan = again.plan
    demand = dict(zip(plan.stops["stop_id"], plan.stops["demand_kg"]))
    before = plan.routes[plan.routes["arrival_s"] < TEN].groupby("stop_id")["quantity_kg"].sum()
    full = {s for s, kg in before.items() if kg >= demand[s] - 0.5 and s != refused["stop_id"]}
    assert reported["stop_id"] in full
    later = plan.routes[(plan.routes["arrival_s"] >= TEN) & plan.routes["stop_id"].isin(full)]
    assert later.empty, later[["vehicle_id", "stop_id", "arrival"]]


def test_a_refused_stop_comes_back_due_with_its_reason(at_ten):
    again, _, refused, _ = at_ten
    plan, stop = again.plan, refused["stop_id"]
    kept = plan.routes[(plan.routes["stop_id"] == stop) & (plan.routes["arrival_s"] == refused["arrival_s"])
                       & (plan.routes["vehicle_id"] == refused["vehicle_id"])]
    assert kept.empty  # the refused visit delivered nothing
    delivered = plan.routes.loc[plan.routes["stop_id"] == stop, "quantity_kg"].sum()
    short = plan.unserved.loc[plan.unserved["stop_id"] == stop, "quantity_kg"].sum()
    demand = float(plan.stops.loc[plan.stops["stop_id"] == stop, "demand_kg"].iloc[0])
    assert delivered + short == pytest.approx(demand, abs=1.0)
    assert plan.routes.loc[plan.routes["stop_id"] == stop, "arrival_s"].min() >= TEN or short > 0
    due = again.state.due_again
    assert due.loc[due["stop_id"] == stop, "reason"].iloc[0] == "refused: ward team absent"


def test_a_trip_in_progress_keeps_its_next_stop(morning, at_ten):
    again, broken, refused, _ = at_ten
    routes = morning.routes
    checked = 0
    for vehicle, trip in _on_trip(morning, TEN).items():
        if vehicle in (broken, refused["vehicle_id"]):
            continue
        upcoming = routes[(routes["vehicle_id"] == vehicle) & (routes["trip"] == trip)
                          & (routes["departure_s"] > TEN)].sort_values("seq")
        if upcoming.empty:
            continue
        nxt = upcoming.iloc[0]
        kept = again.plan.routes[(again.plan.routes["vehicle_id"] == vehicle)
                                 & (again.plan.routes["trip"] == nxt["trip"]) & (again.plan.routes["seq"] == nxt["seq"])]
        assert len(kept) == 1 and kept["stop_id"].iloc[0] == nxt["stop_id"], vehicle
        assert kept["arrival_s"].iloc[0] == nxt["arrival_s"]
        checked += 1
    assert checked >= 10


def test_an_event_after_the_re_plan_time_is_refused_with_its_row(morning, scenario):
    late = Event("depot_closed", ELEVEN, 4, depot_id=scenario.depots[0].id)
    with pytest.raises(InputError) as caught:
        replan(earlier_plan(morning), scenario=scenario, at_s=TEN, events=[late], options=OPTIONS)
    assert "events.csv" in str(caught.value) and "row 4" in str(caught.value) and "time" in str(caught.value)


@pytest.fixture(scope="module")
def at_eleven(morning, scenario):
    """At 11:00 the hotline adds a red-zone household in Phường Vĩnh Hải, and one in Vạn Ninh due by 11:05 (no
    vehicle can load and get there in five minutes)."""
    near = Request(id="HL-001", ward_id="5110101", lon=109.2003, lat=12.2765, kg={"rice": 60.0, "food_bag": 10.0},
                   priority=None, tw_start_s=None, tw_end_s=None, name="Hẻm 12 Đặng Tất", contact="", phone="",
                   note="elderly couple, no food", row=2)
    far = dataclasses.replace(near, id="HL-002", ward_id="", lon=109.2166, lat=12.7063, tw_end_s=parse_hhmm("11:05"),
                              name="Vạn Giã", note="must arrive before 11:05", row=3)
    return replan(earlier_plan(morning), scenario=scenario, at_s=ELEVEN, requests=[near, far], options=OPTIONS)


def test_a_red_zone_request_is_served_the_same_day_when_a_vehicle_can_reach_it(morning, at_eleven):
    plan = at_eleven.plan
    assert check_replan(morning, plan, at_s=ELEVEN) == []
    visit = plan.routes[plan.routes["stop_id"] == "HL-001"]
    assert visit["quantity_kg"].sum() == pytest.approx(70.0, abs=0.5)
    assert (visit["arrival_s"] >= ELEVEN).all()
    request = plan.stops[plan.stops["stop_id"] == "HL-001"].iloc[0]
    assert request["zone"] == "red" and request["priority"] == 3


def test_a_request_no_vehicle_can_reach_in_time_carries_the_binding_reason(at_eleven):
    plan = at_eleven.plan
    assert plan.routes[plan.routes["stop_id"] == "HL-002"].empty
    row = plan.unserved[plan.unserved["stop_id"] == "HL-002"]
    assert len(row) == 1 and row["reason_code"].iloc[0] == "time_window"


def test_the_command_line_writes_a_complete_replacing_set_and_the_same_one_twice(morning, tmp_path):
    """``cli.py replan`` on the morning's folder with the three files: every file of a plan plus changes.csv,
    sheets marked as replacing, and the same plan from the same inputs."""
    write_outputs(morning, tmp_path / "morning")
    done = _done_before(morning, TEN, not_on=set())
    refused = done.iloc[0]
    (tmp_path / "delivered.csv").write_text(
        "vehicle_id,trip,stop_id,status,note\n"
        f"{refused['vehicle_id']},{refused['trip']},{refused['stop_id']},từ chối,không có người nhận\n", encoding="utf-8")
    (tmp_path / "events.csv").write_text("time,kind,depot_id,rice_kg\n10:30,stock_received,COOP-NT,3000\n",
                                         encoding="utf-8")
    (tmp_path / "requests.csv").write_text("id,lat,lon,rice_kg,food_bag_kg\nHL-001,12.2765,109.2003,60,10\n",
                                           encoding="utf-8")
    runs = []
    for name in ("a", "b"):
        result = CliRunner().invoke(command, [str(tmp_path / "morning"), "--at", "11:00", "--delivered",
                                              str(tmp_path / "delivered.csv"), "--events", str(tmp_path / "events.csv"),
                                              "--requests", str(tmp_path / "requests.csv"), "--out",
                                              str(tmp_path / name), "--quiet", "--workers", "2"])
        assert result.exit_code in (0, 1), result.output  # 1: something is left unserved (listed)
        runs.append(pd.read_csv(tmp_path / name / "routes.csv"))
    out = tmp_path / "a"
    written = {p.name for p in (tmp_path / "morning").iterdir()} | {"changes.csv", "map.html"}  # + what plan adds
    assert written == {p.name for p in out.iterdir()}
    assert "re-planned at 11:00" in result.output
    sheet = next((out / "dispatch").glob("*.html")).read_text(encoding="utf-8")
    assert "THAY THẾ" in sheet and "11:00" in sheet
    assert "HL-001" in set(runs[0]["stop_id"])
    changes = pd.read_csv(out / "changes.csv")
    assert refused["stop_id"] in set(changes.loc[changes["change"] == "removed", "stop_id"])
    pd.testing.assert_frame_equal(runs[0], runs[1])  # same inputs and seed, same re-plan
