"""What the teams hold in their hands: kilograms per commodity on every visit, loading lists that add up to the
routes, plan.xlsx, one GPX per vehicle, and a summary.csv people can read."""

from __future__ import annotations

import csv
import dataclasses
import math

import gpxpy
import openpyxl
import pandas as pd
import pytest
from plan_fixture import small_plan
from plan_scenarios import small_scenario

from optimizer.outputs.exports import SHEETS
from optimizer.outputs.loading import loading_frame, loading_html
from optimizer.outputs.report import write_outputs
from optimizer.outputs.summary import vehicle_days
from optimizer.plan import PlanOptions, run_plan

COMMODITIES = ["rice", "food_bag"]


@pytest.fixture(scope="module")
def day():
    # A third of each depot's stock, so that stock binds and the split must respect it.
    scenario = small_scenario()
    depots = tuple(dataclasses.replace(d, stock_kg={c: kg / 3 for c, kg in d.stock_kg.items()})
                   for d in scenario.depots)
    scenario = dataclasses.replace(scenario, depots=depots)
    return scenario, run_plan(scenario, options=PlanOptions(effort=0.5))


@pytest.fixture(scope="module")
def files(day, tmp_path_factory):
    out = tmp_path_factory.mktemp("exports") / "out"
    write_outputs(day[1], out)
    return out


def test_every_visit_splits_into_commodities_within_each_depots_stock(day):
    scenario, plan = day
    routes = plan.routes
    parts = routes[[f"{c}_kg" for c in COMMODITIES]]
    assert (parts >= 0).all().all() and all(pd.api.types.is_integer_dtype(parts[c]) for c in parts)
    assert list(parts.sum(axis=1)) == [round(q) for q in routes["quantity_kg"]], "whole kg adding up to the visit"
    assert plan.unserved["quantity_kg"].sum() > 0, "stock binds on this day"
    loaded = routes.groupby("depot_id")[[f"{c}_kg" for c in COMMODITIES]].sum()
    stock = {d.id: d.stock_kg for d in scenario.depots}
    for depot_id, row in loaded.iterrows():
        for c in COMMODITIES:
            assert row[f"{c}_kg"] <= stock[depot_id].get(c, 0.0) + 1e-6, (depot_id, c)
    # The split follows each point's mix (after rationing): what a point does not need, it does not get.
    mix = {p.id: p.demand_kg for p in scenario.demand_points}
    for row in routes.to_dict("records"):
        for c in COMMODITIES:
            if mix[row["stop_id"]].get(c, 0.0) == 0:
                assert row[f"{c}_kg"] == 0


def test_loading_lists_add_up_to_routes_csv_per_depot_and_commodity(files):
    routes = pd.read_csv(files / "routes.csv", encoding="utf-8-sig")
    loading = pd.read_csv(files / "loading.csv", encoding="utf-8-sig")
    for c in COMMODITIES:
        by_routes = routes.groupby("depot_id")[f"{c}_kg"].sum()
        by_lists = loading.groupby("depot_id")[f"{c}_kg"].sum()
        pd.testing.assert_series_equal(by_routes, by_lists, check_names=False, check_dtype=False)
    assert len(loading) == len(routes.groupby(["depot_id", "vehicle_id", "trip"]))
    assert (loading["stops"].sum(), loading["total_kg"].sum()) == (len(routes), pytest.approx(routes["quantity_kg"].sum()))
    sacks = loading["rice_units"] * 50 + loading["rice_loose_kg"]
    assert sacks.to_numpy() == pytest.approx(loading["rice_kg"].to_numpy())
    assert (loading["rice_loose_kg"] < 50).all() and (loading["food_bag_loose_kg"] < 5).all()


def test_loading_sheet_lists_every_trip_of_every_depot_in_words_of_its_language():
    plan = small_plan()
    vi, en = loading_html(plan, lang="vi"), loading_html(plan, lang="en")
    table = loading_frame(plan)
    for depot in table["depot_name"].unique():
        assert f"<h2>{depot}" in vi
    assert vi.count("<tr class='total'>") == table["depot_id"].nunique()
    row = table.iloc[0]
    assert f"{int(row['rice_units'])} bao 50 kg" in vi and f"{int(row['rice_units'])} sacks of 50 kg" in en
    assert "1.776 kg" in vi and "1,776 kg" in en, "Vietnamese and English number formats"
    assert vi.count("<thead>") == table["depot_id"].nunique(), "a header row that print repeats on every page"


def test_plan_xlsx_opens_with_named_sheets_frozen_headers_and_numbers(files):
    book = openpyxl.load_workbook(files / "plan.xlsx")
    assert book.sheetnames == list(SHEETS)
    routes = book["routes"]
    header = [c.value for c in routes[1]]
    assert {"vehicle_id", "quantity_kg", "rice_kg", "food_bag_kg"} <= set(header)
    assert routes.freeze_panes == "A2" and routes.auto_filter.ref.startswith("A1:")
    column = header.index("quantity_kg") + 1
    cell = routes.cell(row=2, column=column)
    assert isinstance(cell.value, (int, float)) and cell.number_format == "#,##0"
    csv_rows = pd.read_csv(files / "routes.csv", encoding="utf-8-sig")
    assert routes.max_row == len(csv_rows) + 1
    vehicles = book["vehicles"]
    assert vehicles.max_row - 1 == csv_rows["vehicle_id"].nunique()


def test_each_vehicle_has_a_gpx_with_its_stops_and_a_track_per_trip(day, files):
    routes = day[1].routes
    gpx_files = sorted((files / "gpx").glob("*.gpx"))
    assert len(gpx_files) == routes["vehicle_id"].nunique()
    for path in gpx_files:
        doc = gpxpy.parse(path.read_text(encoding="utf-8"))
        vehicle_id = doc.tracks[0].name
        mine = routes[routes["vehicle_id"] == vehicle_id]
        assert len(doc.waypoints) == len(mine)
        assert [w.name.split(" ", 1)[1] for w in doc.waypoints] == list(mine.sort_values(["trip", "seq"])["name"])
        assert len(doc.tracks[0].segments) == mine["trip"].nunique()
        assert all(len(s.points) >= 2 for s in doc.tracks[0].segments)
        first = doc.waypoints[0]
        assert (first.latitude, first.longitude) == pytest.approx(
            (mine.sort_values(["trip", "seq"]).iloc[0]["lat"], mine.sort_values(["trip", "seq"]).iloc[0]["lon"]))


def test_summary_csv_is_tidy_and_has_a_row_per_vehicle(day, files):
    plan = day[1]
    with open(files / "summary.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for column, value in row.items():
            if value and column.endswith("_kg"):
                assert value.lstrip("-").isdigit(), (column, value)
            if value and column.endswith("_pct"):
                assert len(value.split(".")[-1]) <= 1 and 0 <= float(value) <= 100, (column, value)
    vehicles = [r for r in rows if r["level"] == "vehicle"]
    frame = vehicle_days(plan)
    assert [r["id"] for r in vehicles] == list(frame["vehicle_id"])
    assert sum(int(r["delivered_kg"]) for r in vehicles) == pytest.approx(plan.routes["quantity_kg"].sum(),
                                                                          abs=len(vehicles))
    for r in vehicles:
        assert int(r["trips"]) >= 1 and r["leave"] < r["back"]
        assert float(r["hours"]) == pytest.approx((_minutes(r["back"]) - _minutes(r["leave"])) / 60, abs=0.06)
    assert not math.isnan(frame["km"].sum()) and frame["km"].sum() == pytest.approx(plan.kpis["km"], rel=1e-3)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)
