"""Every unserved kilogram names the limit that binds it, on a real three-ward cut of the default day where one
limit at a time is made to bind: stock, the trip cap, the zone's access rule, the vehicles' reach."""

from __future__ import annotations

import dataclasses

import pytest
from plan_scenarios import SMALL_WARDS, small_scenario

from optimizer.plan import PlanOptions, run_plan
from optimizer.solve.reasons import REASON_CODES

OPTIONS = PlanOptions(seed=0, effort=0.3)
#: Ngọc Hiệp (yellow), one of the three wards.
NGOC_HIEP = "5110107"


def _codes(plan) -> dict[str, float]:
    assert set(plan.unserved["reason_code"]) <= set(REASON_CODES)
    return plan.unserved.groupby("reason_code")["quantity_kg"].sum().to_dict()


def test_short_rice_is_rationed_red_first_and_alike_within_the_grade():
    scenario = small_scenario()
    need = sum(p.demand_kg["rice"] for p in scenario.demand_points)
    red = sum(p.demand_kg["rice"] for p in scenario.demand_points if p.priority == 3)
    # Enough rice for the red ward and a third of the rest, spread over the three depots.
    rice = red + (need - red) / 3
    depots = tuple(dataclasses.replace(d, stock_kg={**d.stock_kg, "rice": rice / len(scenario.depots)})
                   for d in scenario.depots)
    plan = run_plan(dataclasses.replace(scenario, depots=depots), options=OPTIONS)
    codes = _codes(plan)
    assert codes.get("stock", 0) >= 0.9 * (need - rice)
    wards = plan.wards[plan.wards["ward_id"].isin(SMALL_WARDS)].set_index("ward_id")
    assert wards.loc["5110101", "served_share"] == pytest.approx(1.0, abs=1e-6)  # Vĩnh Hải is red
    yellow = wards[wards["zone"] == "yellow"]["served_share"]
    assert yellow.max() < 1.0 and yellow.min() >= 0.8 * yellow.mean()


def test_one_trip_a_day_binds_the_trip_cap():
    scenario = small_scenario(fleet_scale=0.3)
    fleet = tuple(dataclasses.replace(vt, max_trips=1) for vt in scenario.vehicle_types)
    plan = run_plan(dataclasses.replace(scenario, vehicle_types=fleet), options=OPTIONS)
    codes = _codes(plan)
    assert max(codes, key=codes.get) == "trip_cap"
    assert plan.routes.groupby("vehicle_id")["trip"].max().max() == 1


def test_a_ward_closed_to_trucks_is_unserved_for_the_zone_rule():
    scenario = small_scenario()
    zones = tuple(dataclasses.replace(z, forbidden_profiles=("truck",)) if z.ward_id == NGOC_HIEP else z
                  for z in scenario.zones)
    plan = run_plan(dataclasses.replace(scenario, zones=zones), options=OPTIONS)
    unserved = plan.unserved.set_index("stop_id")
    ngoc_hiep = plan.stops[plan.stops["ward_id"] == NGOC_HIEP]
    assert not plan.routes["ward_id"].eq(NGOC_HIEP).any()
    assert set(unserved.loc[ngoc_hiep["stop_id"], "reason_code"]) == {"zone_access"}


def test_points_beyond_every_vehicles_reach_are_unserved_for_reach():
    scenario = small_scenario()
    fleet = tuple(dataclasses.replace(vt, max_reach_km=1.0) for vt in scenario.vehicle_types)
    plan = run_plan(dataclasses.replace(scenario, vehicle_types=fleet), options=OPTIONS)
    codes = _codes(plan)
    assert codes.get("reach", 0) > 0
    # What is delivered lies within a kilometre's drive of the vehicle's home, so most of the day is left.
    assert plan.kpis["served_share"] < 0.8
