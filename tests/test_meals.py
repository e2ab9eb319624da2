"""Quarantine camps' hot meals: the solver on small exact instances, the readers, and the day plan on real roads.

Every plan is checked by the independent :func:`checker.check_meals` (windows, ride time, van capacity and order,
kitchen capacity, every meal delivered or listed with a reason).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from checker import check_meals, road_travel_s

from optimizer.errors import InputError
from optimizer.plan import PlanOptions, run_plan
from optimizer.plan.meals import meal_frame
from optimizer.scenario import load_scenario
from optimizer.scenario.camps import parse_meal_windows
from optimizer.scenario.model import Camp, Kitchen
from optimizer.solve.meals import MealProblem, plan_meals

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "scenario"
MIN = 60
H = 3600
BREAKFAST, LUNCH = (6 * H, 7 * H), (10 * H + 30 * MIN, 11 * H + 30 * MIN)


def _problem(kitchens, camps, minutes):
    """A problem whose travel times are ``minutes`` (kitchens then camps; ``inf``: no road), 500 m a minute."""
    time_s = np.asarray(minutes, dtype=float) * MIN
    return MealProblem(kitchens=tuple(kitchens), camps=tuple(camps), time_s=time_s, dist_m=time_s / MIN * 500)


def _kitchen(kid="K1", *, meals=1000, vans=2, van=300, ride_min=45):
    return Kitchen(id=kid, name=kid, lon=109.19, lat=12.25, meals_per_service=meals, vans=vans,
                   van_capacity_meals=van, max_ride_s=ride_min * MIN, load_s=10 * MIN)


def _camp(cid, headcount, windows=(BREAKFAST, LUNCH)):
    return Camp(id=cid, name=cid, lon=109.2, lat=12.26, headcount=headcount, meal_windows_s=windows, service_s=10 * MIN)


def _planned(problem):
    """The result and its meals frame, checked against the problem's own travel times."""
    result = plan_meals(problem)
    frame = meal_frame(result)
    ids = [k.id for k in problem.kitchens] + [c.id for c in problem.camps]

    def travel_s(a, b):
        return problem.time_s[ids.index(a), ids.index(b)]

    assert check_meals(frame, problem.camps, problem.kitchens, travel_s) == []
    assert not result.cut_by_time_limit
    return result, frame


def test_meals_arrive_in_their_window_within_the_ride_and_vans_are_back_for_the_next_meal():
    problem = _problem([_kitchen()], [_camp("C1", 450)], [[0, 20], [20, 0]])
    result, frame = _planned(problem)
    assert result.meals_delivered == result.meals_needed == 900
    # 450 meals on 300-meal vans: a full van and the other with the rest, for each meal.
    assert sorted(frame["meals"]) == [150, 150, 300, 300] and frame["van_id"].nunique() == 2
    first = frame[frame["meal"] == 1].iloc[0]
    # The van leaves 20 min before the window opens (meals wait as little as possible), after 10 min of loading.
    assert (first["depart_s"], first["arrival_s"], first["ride_min"]) == (6 * H - 20 * MIN, 6 * H, 20.0)
    assert first["load"] == "05:30" and first["return_s"] == 6 * H + 10 * MIN + 20 * MIN
    assert set(frame["status"]) == {"delivered"}


def test_one_van_serves_two_nearby_camps_on_one_run_within_the_ride_time():
    # One van; camps 15 and 20 min from the kitchen, 5 min apart: both on one run (15 + 10 unloading + 5 = 30 min).
    problem = _problem([_kitchen(vans=1)], [_camp("A", 100), _camp("B", 150)],
                       [[0, 15, 20], [15, 0, 5], [20, 5, 0]])
    _, frame = _planned(problem)
    run = frame[frame["meal"] == 1].sort_values("seq")
    assert list(run["camp_id"]) == ["A", "B"] and list(run["ride_min"]) == [15.0, 30.0]
    # With a 25-minute ride limit the second camp cannot be on the same run, and there is no second van.
    tight = _problem([_kitchen(vans=1, ride_min=25)], [_camp("A", 100), _camp("B", 150)],
                     [[0, 15, 20], [15, 0, 5], [20, 5, 0]])
    _, frame = _planned(tight)
    short = frame[frame["status"] != "delivered"]
    assert set(short["reason_code"]) == {"kitchen_vans"} and short["meals"].sum() in (200, 300)


def test_the_rest_of_a_camp_rides_with_another_camp():
    # 280 + 120 meals on two 200-meal vans: a full van for the first camp, its 80 left with the 120 of the other.
    problem = _problem([_kitchen(vans=2, van=200)], [_camp("A", 280), _camp("B", 120)],
                       [[0, 10, 12], [10, 0, 4], [12, 4, 0]])
    _, frame = _planned(problem)
    assert set(frame["status"]) == {"delivered"}
    runs = frame[frame["meal"] == 1].groupby("van_id")["meals"].apply(sorted).tolist()
    assert sorted(runs) == [[80, 120], [200]]


def test_what_stops_a_meal_is_named():
    kitchens = [_kitchen("NEAR", meals=300), _kitchen("FAR", meals=1000)]
    camps = [_camp("BIG", 500), _camp("OFFROAD", 40), _camp("REMOTE", 60)]
    inf = np.inf
    minutes = [[0, 60, 10, inf, 50],  # NEAR: BIG at 10 min, REMOTE at 50 min (beyond the 45-min ride)
               [60, 0, 60, inf, 70],  # FAR: beyond the ride to BIG and REMOTE
               [10, 60, 0, inf, 40],
               [inf, inf, inf, 0, inf],
               [50, 70, 40, inf, 0]]
    result, frame = _planned(_problem(kitchens, camps, minutes))
    short = frame[frame["status"] != "delivered"].groupby(["camp_id", "reason_code"])["meals"].sum().to_dict()
    assert short == {("BIG", "kitchen_capacity"): 400, ("OFFROAD", "meal_unreachable"): 80,
                     ("REMOTE", "meal_ride_time"): 120}
    assert result.shares["BIG"] == {"NEAR": 300} and result.meals_delivered == 600


def test_a_kitchen_without_vans_cooks_for_nobody():
    kitchens = [_kitchen("NOVANS", vans=0), _kitchen("VANS", vans=1)]
    result, frame = _planned(_problem(kitchens, [_camp("C", 100)], [[0, 30, 5], [30, 0, 40], [5, 40, 0]]))
    assert result.shares["C"] == {"VANS": 100} and set(frame["status"]) == {"delivered"}
    alone = _problem([_kitchen("NOVANS", vans=0)], [_camp("C", 100)], [[0, 5], [5, 0]])
    _, frame = _planned(alone)
    assert set(frame["reason_code"]) == {"kitchen_vans"} and frame["meals"].sum() == 200


def test_a_camp_is_shared_between_kitchens_and_the_nearest_cooks_first():
    kitchens = [_kitchen("K1", meals=200, van=250), _kitchen("K2", meals=400, van=250)]
    result, frame = _planned(_problem(kitchens, [_camp("C", 500)], [[0, 30, 10], [30, 0, 25], [10, 25, 0]]))
    assert result.shares["C"] == {"K1": 200, "K2": 300}
    assert frame.groupby("kitchen_id")["meals"].sum().to_dict() == {"K1": 400, "K2": 600}


def test_a_van_late_back_from_breakfast_cannot_take_an_early_lunch():
    # Breakfast 06:00–07:00 then an "early lunch" 07:10–07:20 at a camp 40 min away: the van is back at 07:30.
    camp = _camp("C", 100, windows=((6 * H, 7 * H), (7 * H + 10 * MIN, 7 * H + 20 * MIN)))
    _, frame = _planned(_problem([_kitchen(vans=1)], [camp], [[0, 40], [40, 0]]))
    lunch = frame[frame["meal"] == 2]
    assert lunch["reason_code"].tolist() == ["kitchen_vans"] and lunch["meals"].sum() == 100
    _, frame = _planned(_problem([_kitchen(vans=2)], [camp], [[0, 40], [40, 0]]))
    assert set(frame["status"]) == {"delivered"} and frame["van_id"].nunique() == 2


def test_the_same_problem_gives_the_same_runs():
    camps = [_camp(f"C{k}", 80 + 37 * k) for k in range(6)]
    rng = np.random.default_rng(3)
    minutes = rng.uniform(3, 20, size=(8, 8))
    minutes = (minutes + minutes.T) / 2
    np.fill_diagonal(minutes, 0)
    problem = _problem([_kitchen("K1", vans=3), _kitchen("K2", vans=2)], camps, minutes)
    first, frame = _planned(problem)
    again = plan_meals(problem)
    assert first.runs == again.runs and first.short == again.short
    assert frame["meals"].sum() == first.meals_needed


# ------------------------------------------------------------------------------------------- reading


def test_meal_windows_are_read_in_order():
    assert parse_meal_windows("06:00-07:00; 10:30–11:30") == (BREAKFAST, LUNCH)
    for bad in ("06:00", "07:00-06:00", "06:00-08:00;07:00-09:00", ""):
        with pytest.raises(ValueError):
            parse_meal_windows(bad)


def _example_copy(tmp_path):
    """A copy of the example scenario folder, to edit."""
    folder = tmp_path / "s"
    folder.mkdir()
    for path in EXAMPLE.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def test_bad_camp_and_kitchen_rows_are_named(tmp_path):
    folder = _example_copy(tmp_path)
    (folder / "camps.csv").write_text(
        "id,name,lon,lat,headcount,kind,meals\n"
        "A,Trại A,109.20,12.27,0,hotel,06:00-07:00\n"
        "B,Trại B,12.27,109.20,100,tent,06:00-07:00\n"
        "C,Trại C,109.20,12.27,100,dormitory,18:30-19:30\n"
        "D,Trại D,109.20,12.27,100,military,11:00-10:00\n", encoding="utf-8")
    (folder / "kitchens.csv").write_text(
        "id,name,lon,lat,meals_per_service,vans,van_capacity_meals\n"
        "K,Bếp,109.19,12.25,500,two,0\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(folder)
    problems = {(Path(p.file).name, p.row, p.field) for p in caught.value.problems}
    assert {("camps.csv", 2, "headcount"), ("camps.csv", 3, "kind"), ("camps.csv", 3, "lon/lat"),
            ("camps.csv", 4, "meals"), ("camps.csv", 5, "meals"), ("kitchens.csv", 2, "vans"),
            ("kitchens.csv", 2, "van_capacity_meals")} <= problems
    assert "curfew" in str(caught.value)
    (folder / "kitchens.csv").unlink()
    (folder / "camps.csv").write_text("id,name,lon,lat,headcount\nA,Trại A,109.20,12.27,10\n", encoding="utf-8")
    with pytest.raises(InputError, match="kitchens"):
        load_scenario(folder)


# ------------------------------------------------------------------------------------------- the day plan


@pytest.fixture(scope="module")
def example_plan():
    scenario = load_scenario(EXAMPLE)
    return scenario, run_plan(scenario, options=PlanOptions(effort=0.2, engine="ortools", workers=1))


def test_the_day_plan_feeds_every_camp_on_real_roads(example_plan):
    scenario, plan = example_plan
    meals = plan.meals
    assert check_meals(meals, scenario.camps, scenario.kitchens, road_travel_s(scenario)) == []
    assert set(meals["status"]) == {"delivered"}
    assert plan.kpis["meals_delivered"] == plan.kpis["meals_needed"] == 3 * (450 + 120)
    assert 0 < plan.kpis["longest_ride_min"] <= 45
    # The dormitory (450) is more than one van: its meals come in several loads, each within the window.
    dormitory = meals[(meals["camp_id"] == "CL-KTX-NTU") & (meals["meal"] == 2)]
    assert len(dormitory) >= 2 and dormitory["meals"].sum() == 450
    assert dormitory["arrival"].between("10:30", "11:30").all()


def test_the_plan_folder_has_the_meals_and_the_kitchens_run_sheet(tmp_path):
    out = tmp_path / "plan"
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "plan", str(EXAMPLE), "--out", str(out), "--quiet",
                           "--lang", "en"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode in (0, 1), done.stderr
    meals = pd.read_csv(out / "meals.csv", dtype={"ward_id": str})
    assert meals["meals"].sum() == 3 * (450 + 120) and (meals["status"] == "delivered").all()
    sheet = (out / "dispatch" / "meals.html").read_text(encoding="utf-8")
    assert "Khu cách ly – Khách sạn Thanh Bình" in sheet and "BEP-YENS" in sheet and "at most 45 min" in sheet
    assert "meals.html" in (out / "dispatch" / "index.html").read_text(encoding="utf-8")
    assert "camp meals: 1,710 of 1,710 delivered" in done.stdout
    assert "Quarantine camps" in (out / "map.html").read_text(encoding="utf-8")


def test_meals_beyond_the_ride_time_are_listed_and_the_plan_exits_partial(tmp_path):
    folder = _example_copy(tmp_path)
    # The hotel's kitchen is too far for hot meals once its longest ride is 3 minutes.
    (folder / "kitchens.csv").write_text(
        "id,name,lon,lat,meals_per_service,vans,van_capacity_meals,max_ride_min\n"
        "BEP-LAC-CANH,Bếp Lạc Cảnh,109.194535,12.256969,400,2,250,3\n", encoding="utf-8")
    out = tmp_path / "plan"
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "plan", str(folder), "--out", str(out), "--quiet",
                           "--lang", "en"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 1, done.stderr
    meals = pd.read_csv(out / "meals.csv")
    assert set(meals["reason_code"].dropna()) == {"meal_ride_time"}
    assert (meals["status"] == "not delivered").all() and meals["meals"].sum() == 3 * (450 + 120)
