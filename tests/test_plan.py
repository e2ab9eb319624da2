"""The daily pipeline on a real three-ward cut of the default day: plan rows obey the rules, outputs are complete."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from plan_scenarios import small_scenario

from optimizer.demand import drop_points
from optimizer.errors import InputError
from optimizer.outputs.kpis import plan_kpis
from optimizer.outputs.report import write_outputs, write_route_files
from optimizer.plan import LEG_COLUMNS, ROUTE_COLUMNS, PlanOptions, plan_assignment, run_plan
from optimizer.scenario import export_scenario

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = PlanOptions(time_limit_s=12, seed=0)


@pytest.fixture(scope="module")
def scenario():
    return small_scenario()


@pytest.fixture(scope="module")
def plan(scenario):
    return run_plan(scenario, options=OPTIONS)


def test_every_trip_respects_capacity_and_loads_add_up(plan):
    at = ROUTE_COLUMNS.index("quantity_kg") + 1
    assert list(plan.routes.columns) == ROUTE_COLUMNS[:at] + ["rice_kg", "food_bag_kg"] + ROUTE_COLUMNS[at:]
    assert len(plan.routes) > 0
    for (vehicle, trip), rows in plan.routes.groupby(["vehicle_id", "trip"]):
        rows = rows.sort_values("seq")
        assert rows["quantity_kg"].sum() <= rows["capacity_kg"].iloc[0] + 1e-6
        # What is on board on arrival drops by exactly what was delivered at the previous stop.
        on_board = rows["load_kg"].to_numpy()
        delivered = rows["quantity_kg"].to_numpy()
        assert on_board[0] == pytest.approx(delivered.sum(), abs=0.01)
        assert np.allclose(on_board[1:], on_board[:-1] - delivered[:-1], atol=0.01)
        assert (rows["arrival_s"].diff().dropna() > 0).all()


def test_delivered_plus_unserved_equals_demand_per_point(plan, scenario):
    demand = {p.id: p.total_kg for p in scenario.demand_points}
    delivered = plan.routes.groupby("stop_id")["quantity_kg"].sum()
    unserved = plan.unserved.groupby("stop_id")["quantity_kg"].sum()
    for stop_id, kg in demand.items():
        assert delivered.get(stop_id, 0.0) + unserved.get(stop_id, 0.0) == pytest.approx(kg, abs=0.01)
    assert plan.unserved["reason"].str.len().gt(0).all()
    assert plan.kpis["delivered_kg"] == pytest.approx(plan.routes["quantity_kg"].sum(), abs=0.5)


def test_every_wards_demand_is_fully_delivered(plan, scenario):
    # The three-ward day has enough stock and fleet: every ward must get all it needs.
    assert plan.unserved.empty
    for ward_id in {p.ward_id for p in scenario.demand_points}:
        wanted = sum(p.total_kg for p in scenario.demand_points if p.ward_id == ward_id)
        got = plan.routes.loc[plan.routes["ward_id"] == ward_id, "quantity_kg"].sum()
        assert got == pytest.approx(wanted, abs=0.05)
    assert plan.kpis["served_share"] == pytest.approx(1.0)


def test_deliveries_happen_inside_the_operating_window(plan, scenario):
    start, end = scenario.time.operating_start_s, scenario.time.operating_end_s
    assert plan.routes["arrival_s"].min() >= start
    assert plan.routes["departure_s"].max() <= end


def test_legs_follow_the_roads(plan):
    assert list(plan.legs.columns) == LEG_COLUMNS
    # Road-following lines have more vertices than a straight segment on most legs.
    vertex_counts = shapely.get_num_coordinates(plan.legs.geometry.values)
    assert np.median(vertex_counts) > 2
    # Drives of lent vehicles between depots are legs too, outside the trips' tours.
    depots = set(plan.depots["depot_id"])
    tours = plan.legs[~(plan.legs["from_id"].isin(depots) & plan.legs["to_id"].isin(depots))]
    per_trip = tours.groupby(["vehicle_id", "trip"]).size()
    stops_per_trip = plan.routes.groupby(["vehicle_id", "trip"]).size()
    assert (per_trip == stops_per_trip + 1).all()  # one leg to each stop and one back to the depot


def test_ward_summary_matches_points(plan, scenario):
    wards = plan.wards.set_index("ward_id")
    for ward_id in {p.ward_id for p in scenario.demand_points}:
        expected = sum(p.total_kg for p in scenario.demand_points if p.ward_id == ward_id)
        assert wards.loc[ward_id, "demand_kg"] == pytest.approx(expected, rel=1e-9)


def test_plan_kpis_agree_with_the_pipelines_figures(plan):
    k, recorded = plan_kpis(plan), plan.kpis
    assert (k.trips, k.vehicles_used, k.drop_points, k.depots, k.approximate_legs) == (
        recorded["trips"], recorded["vehicles_used"], recorded["drop_points"], recorded["depots"],
        recorded["approximate_legs"])
    assert round(k.km, 1) == recorded["km"] and round(k.delivered_kg, 1) == recorded["delivered_kg"]
    assert round(k.demand_kg, 1) == recorded["demand_kg"] and round(k.unserved_kg, 1) == recorded["unserved_kg"]
    assert k.served_share == pytest.approx(recorded["served_share"], abs=1e-4)
    assert k.vehicle_hours == recorded["hours"] and k.vehicles_available == recorded["vehicles_available"]
    assert {z: round(v, 4) for z, v in k.served_share_by_zone.items()} == recorded["served_share_by_zone"]
    assert {r: round(v, 1) for r, v in k.unserved_kg_by_reason.items()} == recorded["unserved_kg_by_reason"]
    assert k.routing["stopped_by"] == recorded["routing"]["stopped_by"]


def test_a_closed_depot_serves_nothing(scenario):
    closed = run_plan(scenario, options=PlanOptions(time_limit_s=8, close_depots=("GO-NT",)))
    assert "GO-NT" not in set(closed.routes["depot_id"])
    assert closed.depots.set_index("depot_id").loc["GO-NT", "load_kg"] == 0
    assert not (closed.stops["depot_id"] == "GO-NT").any()


def test_same_seed_gives_the_same_plan(scenario):
    options = PlanOptions(seed=3, effort=0.5)
    first = run_plan(scenario, options=options)
    assert not first.cut_by_time_limit and first.kpis["cut_by_time_limit"] is False
    second = run_plan(scenario, options=options)
    pd.testing.assert_frame_equal(first.routes, second.routes)


def test_ward_level_assignment_never_splits_a_ward(scenario):
    assignment = plan_assignment(scenario, options=PlanOptions(time_limit_s=10, level="ward"))
    assigned = assignment.points[assignment.points["depot_id"] != ""]
    assert (assigned.groupby("ward_id")["depot_id"].nunique() == 1).all()
    load = assignment.depots.set_index(["depot_id", "commodity"])
    assert (load["load_kg"] <= load["stock_kg"] + 1e-6).all()


def test_outputs_are_complete_and_readable(plan, tmp_path):
    written = write_outputs(plan, tmp_path / "out", lang="vi")
    for name in ["plan.json", "routes.csv", "unserved.csv", "summary.csv", "routes.geojson", "dispatch/index.html"]:
        assert name in written and written[name].exists()
    routes = pd.read_csv(tmp_path / "out" / "routes.csv", encoding="utf-8-sig")
    assert len(routes) == len(plan.routes)
    assert (tmp_path / "out" / "routes.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel-friendly BOM
    data = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert data["settings"]["options"]["seed"] == 0 and data["kpis"]["trips"] == plan.kpis["trips"]
    sheet = next((tmp_path / "out" / "dispatch").glob("GT-*.html")).read_text(encoding="utf-8")
    assert "LỆNH ĐIỀU XE" in sheet and "Giờ đến" in sheet
    assert not list(tmp_path.glob(".out.staging-*")) and not list(tmp_path.glob(".out.old-*"))


def test_a_failure_while_writing_leaves_no_partial_files(plan, tmp_path):
    out = tmp_path / "out"
    write_route_files(plan, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(staging):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_outputs(plan, out, extra=broken)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_invalid_scenario_stops_before_solving(scenario):
    import dataclasses

    bad_point = dataclasses.replace(scenario.demand_points[0], lon=109.45, lat=12.20)  # in the sea
    broken = dataclasses.replace(scenario, demand_points=(bad_point, *scenario.demand_points[1:]))
    with pytest.raises(InputError, match="outside"):
        run_plan(broken, options=OPTIONS)


def test_cli_route_and_exit_codes(tmp_path, scenario):
    folder = export_scenario(scenario, tmp_path / "scenario", demand_points=drop_points(scenario))
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "route", str(folder), "--time-limit", "6", "--out", str(tmp_path / "r")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode in (0, 1), result.stderr
    assert (result.returncode == 1) == (len(pd.read_csv(tmp_path / "r" / "unserved.csv")) > 0)
    routes = pd.read_csv(tmp_path / "r" / "routes.csv", encoding="utf-8-sig")
    for column in ["vehicle_id", "trip", "seq", "stop_id", "ward", "lat", "lon", "arrival", "departure",
                   "quantity_kg", "load_kg", "capacity_kg"]:
        assert column in routes.columns
    missing = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "route", str(tmp_path / "nowhere")], capture_output=True, text=True,
        cwd=ROOT,
    )
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_cli_assign_writes_the_assignment_and_respects_a_closed_depot(tmp_path, scenario):
    folder = export_scenario(scenario, tmp_path / "scenario", demand_points=drop_points(scenario))
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "assign", str(folder), "--close", "GO-NT", "--time-limit", "5",
         "--out", str(tmp_path / "a")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode in (0, 1), result.stderr
    assignment = pd.read_csv(tmp_path / "a" / "assignment.csv", encoding="utf-8-sig", dtype={"ward_id": str})
    assert len(assignment) == len(scenario.demand_points)
    assert "GO-NT" not in set(assignment["depot_id"].dropna())
    load = pd.read_csv(tmp_path / "a" / "depot_load.csv", encoding="utf-8-sig")
    assert (load["load_kg"] <= load["stock_kg"] + 1e-6).all()
