"""A lockdown period planned day after day with the real planner: the example's five days (cycles, a ward
regraded red, a depot closed for a day, vehicles lent, a resupply), carry-over from drivers' reports, a stock
that runs out, independent periods in parallel, the CLI's folder, and the first days of the default period."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pandas as pd
import pytest
from checker import check_day_frames, check_meals, road_travel_s
from click.testing import CliRunner

import cli
from optimizer.errors import InputError
from optimizer.period import Calendar, default_calendar, plan_period, read_calendar, run_periods
from optimizer.plan import PlanOptions
from optimizer.scenario import load_scenario

OPTIONS = PlanOptions(effort=0.2, engine="ortools", workers=1)
CALENDAR = "examples/period/calendar.toml"


@pytest.fixture(scope="module")
def example():
    return load_scenario("examples/scenario")


@pytest.fixture(scope="module")
def open_roads(example):
    """The example without its closures: a checkpoint there cuts one drop point off for good."""
    return dataclasses.replace(example, closures=())


@pytest.fixture(scope="module")
def period(open_roads):
    return plan_period(open_roads, read_calendar(CALENDAR, scenario=open_roads), options=OPTIONS)


def test_every_day_is_a_valid_plan_of_the_points_due(period):
    assert [p.date for p in period.plans] == [d.isoformat() for d in period.calendar.dates]
    for plan, day in zip(period.plans, period.days.itertuples()):
        assert check_day_frames(plan) == [], plan.date
        assert len(plan.stops) == day.points_due
        assert plan.stops["demand_kg"].sum() == pytest.approx(day.due_kg, abs=1.0)
    # red wards (cycle of one day) are due every day; the others' points alternate (two days of rations each)
    red = period.wards["ward"] == "Phường Vĩnh Hải"  # red from the first day
    assert (period.wards[red]["points_due"] == period.wards[red]["points"]).all()
    other = period.wards[period.wards["ward"] == "Phường Vĩnh Phước"]
    assert (other["points_due"] < other["points"]).all() and (other["points_due"] > 0).all()


def test_the_camps_get_their_hot_meals_every_day(period, open_roads):
    travel_s = road_travel_s(open_roads)
    for plan in period.plans:
        assert check_meals(plan.meals, open_roads.camps, open_roads.kitchens, travel_s) == [], plan.date
    assert (period.days["meals_needed"] == 3 * (450 + 120)).all()
    assert (period.days["meals_delivered"] == period.days["meals_needed"]).all()


def test_fleet_and_stock_suffice_so_no_ration_runs_out_and_the_promise_holds(period):
    assert period.wards["short_kg"].sum() == 0
    assert (period.wards["days_since_delivery"] < period.calendar.max_days_without).all()
    assert period.wards_without_food().empty
    delivered = period.days["delivered_kg"].sum()
    assert delivered >= 0.98 * period.days["due_kg"].sum()
    # over the period the people of every ward were fed every day: their share so far stays 100 %
    assert (period.wards["share_to_date"] == 1.0).all()


def test_stock_is_carried_from_one_evening_to_the_next_morning(period, open_roads):
    days = period.days
    opening = sum(sum(d.stock_kg.values()) for d in open_roads.depots)
    assert days["stock_start_kg"].iloc[0] == pytest.approx(opening)
    for k in range(1, len(days)):
        assert days["stock_start_kg"].iloc[k] == pytest.approx(days["stock_end_kg"].iloc[k - 1] +
                                                               days["resupply_kg"].iloc[k])
        assert days["stock_end_kg"].iloc[k] == pytest.approx(days["stock_start_kg"].iloc[k] -
                                                             days["delivered_kg"].iloc[k], abs=2.0)
    # restock every morning after the first, plus 5 t of reserve rice at Co.opmart on 29/07
    assert days.set_index("date")["resupply_kg"].to_dict()["2021-07-29"] == pytest.approx(opening + 5000)
    coop = period.stock[(period.stock["depot_id"] == "COOP-NT")].set_index("date")
    plan = period.plans[3]
    morning = float(plan.depots.set_index("depot_id").at["COOP-NT", "stock_kg"])
    assert morning == pytest.approx(coop.loc["2021-07-28", ["rice_kg", "food_bag_kg"]].sum() + 4200 + 5000)


def test_the_calendar_changes_hold_on_their_days(period):
    wards = period.wards.set_index(["date", "ward"])
    assert wards.at[("2021-07-26", "Phường Ngọc Hiệp"), "zone"] == "yellow"
    assert wards.at[("2021-07-27", "Phường Ngọc Hiệp"), "zone"] == "red"
    # a red ward is on a one-day cycle from then on: its points are due every day
    red = period.wards[(period.wards["ward"] == "Phường Ngọc Hiệp") & (period.wards["date"] >= "2021-07-28")]
    assert (red["points_due"] == red["points"]).all()
    closed = period.plans[2].depots.set_index("depot_id")
    assert bool(closed.at["CHO-VINH-HAI", "closed"])
    assert "CHO-VINH-HAI" not in set(period.plans[2].routes["depot_id"])
    assert "CHO-VINH-HAI" in set(period.plans[3].routes["depot_id"])  # open again the next day
    lent = {v for p in period.plans[3:] for v in p.routes["vehicle_id"]}
    assert not {v for p in period.plans[:3] for v in p.routes["vehicle_id"] if v.startswith("QD-")}
    assert any(v.startswith("QD-") for v in lent) or period.plans[3].kpis["vehicles_used"] > 0


def test_what_drivers_report_undelivered_is_due_first_the_next_day(open_roads, tmp_path, period):
    calendar = read_calendar(CALENDAR, scenario=open_roads).with_days(2)
    first = period.plans[0].routes
    failed = first.iloc[0]
    partial = first[first["stop_id"] != failed["stop_id"]].iloc[0]
    pd.DataFrame([
        {"vehicle_id": failed["vehicle_id"], "trip": failed["trip"], "stop_id": failed["stop_id"], "status": "failed",
         "rice_kg": "", "food_bag_kg": "", "note": "đường ngập"},
        {"vehicle_id": partial["vehicle_id"], "trip": partial["trip"], "stop_id": partial["stop_id"],
         "status": "done", "rice_kg": round(partial["rice_kg"] / 2), "food_bag_kg": partial["food_bag_kg"], "note": ""},
    ]).to_csv(tmp_path / "2021-07-26.csv", index=False)
    again = plan_period(open_roads, calendar, options=OPTIONS, delivered_dir=tmp_path)
    assert again.plans[0].routes.equals(period.plans[0].routes)  # the same day planned again
    second = again.plans[1].stops.set_index("stop_id")
    for stop in (failed["stop_id"], partial["stop_id"]):
        assert stop in second.index
        assert second.at[stop, "priority"] > period.plans[0].stops.set_index("stop_id").at[stop, "priority"] or \
            second.at[stop, "priority"] == 3
    lost = float(first[first["stop_id"] == failed["stop_id"]]["quantity_kg"].sum()) + round(partial["rice_kg"] / 2)
    day1 = again.days.iloc[0]
    assert day1["delivered_kg"] == pytest.approx(period.days.iloc[0]["delivered_kg"] - lost, abs=2.0)
    # what did not arrive went back to stock
    assert day1["stock_end_kg"] == pytest.approx(period.days.iloc[0]["stock_end_kg"] + lost, abs=2.0)
    assert again.days.iloc[1]["carried_points"] >= 2
    assert again.days.iloc[0]["reports"].endswith("2021-07-26.csv")


def test_a_report_that_does_not_match_its_day_is_refused_by_file_row_and_field(open_roads, tmp_path):
    calendar = read_calendar(CALENDAR, scenario=open_roads).with_days(1)
    (tmp_path / "2021-07-26.csv").write_text("vehicle_id,trip,stop_id,status\nGT-2.5T-NT-01,1,DP-NOWHERE,done\n",
                                             encoding="utf-8")
    with pytest.raises(InputError) as info:
        plan_period(open_roads, calendar, options=OPTIONS, delivered_dir=tmp_path)
    [problem] = info.value.problems
    assert problem.file.endswith("2021-07-26.csv") and problem.row == 2 and problem.field == "stop_id"


def test_when_stock_runs_out_the_wards_going_without_are_listed_with_the_limit(open_roads):
    scarce = dataclasses.replace(open_roads, depots=tuple(
        dataclasses.replace(d, stock_kg={c: kg * 0.4 for c, kg in d.stock_kg.items()}) for d in open_roads.depots))
    calendar = Calendar(start=open_roads.date, days=4, cycle_days=2, max_days_without=3, restock_share=0.2)
    result = plan_period(scarce, calendar, options=OPTIONS)
    hungry = result.wards_without_food()
    assert len(hungry) >= 1
    assert (hungry["days"] >= 1).all() and (hungry["short_kg"] > 0).all()
    assert hungry["reasons"].str.contains("stock").all()
    # the days frame says so too: less delivered than due, and hardly any rice left in the evenings
    assert (result.days["delivered_kg"] < result.days["due_kg"] - 1).any()
    rice_need = sum(p.demand_kg["rice"] for p in scarce.demand_points)
    evenings = result.stock.groupby("date")["rice_kg"].sum()
    assert (evenings.iloc[1:] < 0.2 * rice_need).all()


def test_a_day_with_nothing_due_is_a_day_without_routes(open_roads):
    one = dataclasses.replace(open_roads, demand_points=open_roads.demand_points[:1])
    result = plan_period(one, Calendar(start=one.date, days=3, cycle_days=3), options=OPTIONS)
    assert list(result.days["points_due"]) == [1, 0, 0]
    assert len(result.plans[0].routes) > 0 and result.plans[1].routes.empty and result.plans[2].routes.empty
    assert result.wards["short_kg"].sum() == 0  # three days of rations on the first day
    assert list(result.wards["days_since_delivery"]) == [0, 1, 2]


def test_independent_periods_in_parallel_give_the_serial_figures(open_roads, period):
    calendar = read_calendar(CALENDAR, scenario=open_roads).with_days(2)
    lean = dataclasses.replace(calendar, restock_share=0.5)
    both = run_periods([(open_roads, calendar), (open_roads, lean)], options=OPTIONS, workers=2)
    pd.testing.assert_frame_equal(both[0].days.drop(columns=["reports"]),
                                  period.days.iloc[:2].drop(columns=["reports"]))
    assert both[1].days["resupply_kg"].iloc[1] == pytest.approx(0.5 * both[0].days["resupply_kg"].iloc[1])


def test_periods_on_a_dask_cluster_give_the_serial_figures(open_roads, period):
    distributed = pytest.importorskip("distributed")
    calendar = read_calendar(CALENDAR, scenario=open_roads).with_days(2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        [on_dask] = run_periods([(open_roads, calendar)], options=OPTIONS, dask_address=cluster.scheduler_address)
    pd.testing.assert_frame_equal(on_dask.wards, period.wards[period.wards["day"] <= 2].reset_index(drop=True))


def test_cli_writes_one_plan_folder_per_day_and_the_period_files(tmp_path):
    """The example as it is: its checkpoint cuts one drop point of Vĩnh Phước off, whose people go without."""
    out = tmp_path / "period"
    result = CliRunner().invoke(cli.main, ["period", "examples/scenario", "--calendar", CALENDAR, "--days", "2",
                                           "--engine", "ortools", "--effort", "0.2", "--workers", "1",
                                           "--out", str(out), "--quiet"])
    assert result.exit_code == 1, result.output  # partial: someone went without
    assert "went without: Phường Vĩnh Phước" in result.output and "closed_road" in result.output
    for day in ("2021-07-26", "2021-07-27"):
        for name in ("routes.csv", "plan.json", "map.html", "dispatch/index.html", "plan.xlsx"):
            assert (out / day / name).is_file(), (day, name)
    for name in ("period.csv", "days.csv", "stock.csv", "without_food.csv", "period.json", "period_map.png",
                 "period_chart.png"):
        assert (out / name).stat().st_size > 0, name
    table = pd.read_csv(out / "period.csv", dtype={"ward_id": str})
    assert set(table["date"]) == {"2021-07-26", "2021-07-27"} and table["ward_id"].nunique() == 3
    summary = json.loads((out / "period.json").read_text(encoding="utf-8"))
    assert summary["promise_kept"] is True and summary["max_days_without"] == 3 and summary["short_kg"] > 0
    hungry = pd.read_csv(out / "without_food.csv", dtype={"ward_id": str})
    assert list(hungry["ward"]) == ["Phường Vĩnh Phước"] and hungry["reasons"].iloc[0] == "closed_road"
    assert "every ward received food at least every 3 days" in result.output
    assert (out / "period_map.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(out.glob(".*.lock")) and not list(out.glob(".*staging*"))  # nothing but the set


def test_cli_reports_a_bad_calendar_by_file_and_field(tmp_path):
    bad = tmp_path / "calendar.toml"
    bad.write_text('[period]\nstart = 2021-07-26\ndays = 3\n[[resupply]]\ndate = 2021-07-27\ndepot = "NOPE"\n'
                   'rice_kg = 10\n', encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["period", "examples/scenario", "--calendar", str(bad),
                                           "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "calendar.toml" in result.output and "NOPE" in result.output and "depot" in result.output
    assert not (tmp_path / "out").exists()


def test_the_default_period_keeps_every_ration_over_its_first_days():
    scenario = load_scenario(None)
    calendar = default_calendar(scenario).with_days(4)  # the 4th day regrades Phước Hải red
    result = plan_period(scenario, calendar, options=PlanOptions(effort=0.1, engine="ortools", workers=2))
    assert result.wards["short_kg"].sum() == 0
    assert (result.wards["days_since_delivery"] < calendar.max_days_without).all()
    assert result.days["delivered_kg"].sum() >= 0.99 * result.days["due_kg"].sum()
    assert dt.date.fromisoformat(result.days["date"].iloc[-1]) == dt.date(2021, 7, 29)
    phuoc_hai = result.wards[(result.wards["ward"] == "Phường Phước Hải")].set_index("date")
    assert phuoc_hai.at["2021-07-29", "zone"] == "red"
    # The default camp (600 people, three meals) is fed every day.
    assert (result.days["meals_needed"] == 1800).all() and (result.days["meals_delivered"] == 1800).all()
