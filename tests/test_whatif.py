"""What-if variants: each change does exactly what it says, comparisons come from the plans, and the plans
do not depend on how (serially, in local processes, on a Dask cluster) they were run.

The base is a reduced day built through the what-if API itself: two Nha Trang wards served from three
depots (about 75 drop points), small enough for every search to end by its deterministic solution limit.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from cli import whatif as command
from optimizer import whatif as W
from optimizer.demand import demand_by_locality, drop_points, shortfall
from optimizer.errors import InputError
from optimizer.plan import PlanOptions
from optimizer.scenario import PRIORITY_OF_GRADE, export_scenario, load_scenario
from optimizer.solve.reasons import TRANSFER_REASONS

from plan_fixture import LENT_VEHICLE, small_plan

WARDS = ("Phường Vĩnh Hải", "Phường Xương Huân")
VINH_HAI, XUONG_HUAN = "5110101", "5110113"
DEPOTS = ("MM-MEGA", "GO-NT", "COOP-NT")
ROAD = "Đường 2 tháng 4"  # the main north–south road the base routes use
# Every search stops on its deterministic budget (sized from the problem and the effort, never the clock); the
# reduced effort keeps them well within the default time limit, a safety cap, even on a loaded machine.
OPTIONS = PlanOptions(seed=0, effort=0.5)


@pytest.fixture(scope="module")
def small():
    return W.derive(load_scenario(None), W.Restrict(wards=WARDS, depots=DEPOTS), name="Nha Trang (2 phường)")


VARIANTS = [
    W.Variant("GO đóng cửa", (W.CloseDepot("GO-NT"),)),
    W.Variant("chốt 2/4", (W.CloseRoad.by_name(ROAD, label="Chốt đường 2/4"),)),
    W.Variant("Vĩnh Hải +50%", (W.ScaleDemand(1.5, ward=VINH_HAI),)),
    W.Variant("Xương Huân đỏ", (W.Regrade("Xương Huân", "red"),)),
    W.Variant("bớt 4 xe GTVT", (W.SetFleet("GT-2.5T-NT", delta=-4),)),
]


@pytest.fixture(scope="module")
def serial(small):
    return W.run_variants(small, VARIANTS, options=OPTIONS, workers=1)


def _same_plans(a, b, names):
    for name in names:
        pa, pb = a.plans[name], b.plans[name]
        pd.testing.assert_frame_equal(pa.routes, pb.routes)
        pd.testing.assert_frame_equal(pa.stops, pb.stops)
        pd.testing.assert_frame_equal(pa.unserved, pb.unserved)
        pd.testing.assert_series_equal(pd.Series(W.plan_figures(pa)), pd.Series(W.plan_figures(pb)))


# ------------------------------------------------------------------------------------------- changes


def test_base_is_reduced_and_searches_end_by_their_solution_limits(serial, small):
    assert list(serial.plans) == [W.BASE] + [v.name for v in VARIANTS]
    assert set(serial.plans[W.BASE].stops["ward_id"]) == {VINH_HAI, XUONG_HUAN}
    assert [d.id for d in small.depots] == list(DEPOTS)
    assert (serial.table["assignment_status"] == "OPTIMAL").all()
    assert (serial.table["routing_stopped_by"] == "solution limit").all()
    assert not any(plan.cut_by_time_limit for plan in serial.plans.values())


def test_closed_depot_serves_nothing_and_its_vehicles_move_to_an_open_depot(serial, small):
    base, plan = serial.plans[W.BASE], serial.plans["GO đóng cửa"]
    assert base.depots.set_index("depot_id").loc["GO-NT", "load_kg"] > 0  # the closure matters
    assert not (plan.routes["depot_id"] == "GO-NT").any()
    moved = plan.routes[plan.routes["vehicle_id"].str.startswith("GT-2.5T-NT")]
    assert "GO-NT" not in set(moved["home_depot_id"])
    go = plan.depots.set_index("depot_id").loc["GO-NT"]
    assert go["load_kg"] == 0 and go["stock_kg"] == 0 and bool(go["closed"]) and go["vehicles"] == 0
    assert not (plan.stops["depot_id"] == "GO-NT").any()
    assert plan.kpis["depots_open"] == base.kpis["depots_open"] - 1
    # The fleet stays: GO's vehicles now load at the nearest open depot of Nha Trang.
    assert plan.kpis["vehicles_available"] == base.kpis["vehicles_available"]
    assert serial.options["GO đóng cửa"].close_depots == ("GO-NT",)


def test_blocked_road_is_in_the_network_and_absent_from_every_leg(serial):
    base, plan = serial.plans[W.BASE], serial.plans["chốt 2/4"]
    assert plan.settings["closures"] == ["Chốt đường 2/4"]
    closed = plan.closed_roads
    assert len(closed) > 0 and base.closed_roads.empty
    folded = closed["name"].str.casefold()
    assert (folded == ROAD.casefold()).all()

    def overlap_m(legs):
        roads = shapely.union_all(closed.to_crs(32649).geometry.values)
        return shapely.length(shapely.intersection(legs.to_crs(32649).geometry.values, roads))

    assert overlap_m(base.legs).max() > 100  # the base routes use the road ...
    assert overlap_m(plan.legs).max() < 1.0  # ... the variant's never do


def test_demand_scaled_by_one_and_a_half_per_ward(serial):
    base, plan = serial.plans[W.BASE], serial.plans["Vĩnh Hải +50%"]
    b = base.stops.groupby("ward_id")["demand_kg"].sum()
    v = plan.stops.groupby("ward_id")["demand_kg"].sum()
    assert v[VINH_HAI] == pytest.approx(1.5 * b[VINH_HAI], rel=1e-9)
    assert v[XUONG_HUAN] == pytest.approx(b[XUONG_HUAN], rel=1e-12)
    # the same points, only their demand changes
    assert plan.stops["stop_id"].tolist() == base.stops["stop_id"].tolist()
    ratio = (plan.stops.set_index("stop_id")["demand_kg"] / base.stops.set_index("stop_id")["demand_kg"])
    assert np.allclose(ratio[plan.stops.set_index("stop_id")["ward_id"] == VINH_HAI], 1.5)


def test_regrade_changes_zone_and_priority(serial):
    base, plan = serial.plans[W.BASE], serial.plans["Xương Huân đỏ"]
    before = base.stops[base.stops["ward_id"] == XUONG_HUAN]
    after = plan.stops[plan.stops["ward_id"] == XUONG_HUAN]
    assert set(before["zone"]) != {"red"}
    assert set(after["zone"]) == {"red"}
    assert set(after["priority"]) == {PRIORITY_OF_GRADE["red"]}
    assert plan.wards.set_index("ward_id").loc[XUONG_HUAN, "zone"] == "red"
    scenario = serial.scenarios["Xương Huân đỏ"]
    assert scenario.zone(XUONG_HUAN).forbidden_profiles == ("motorbike",)
    untouched = plan.stops[plan.stops["ward_id"] == VINH_HAI]
    assert untouched["priority"].tolist() == base.stops[base.stops["ward_id"] == VINH_HAI]["priority"].tolist()


def test_removing_vehicles_reduces_vehicles_available(serial):
    base, plan = serial.plans[W.BASE], serial.plans["bớt 4 xe GTVT"]
    assert plan.kpis["vehicles_available"] == base.kpis["vehicles_available"] - 4
    row = serial.table.set_index("variant")
    assert row.loc["bớt 4 xe GTVT", "vehicles_available"] == row.loc[W.BASE, "vehicles_available"] - 4
    go = plan.depots.set_index("depot_id").loc["GO-NT", "vehicles"]
    assert go == base.depots.set_index("depot_id").loc["GO-NT", "vehicles"] - 4


# ------------------------------------------------------------------------------------- comparison


def test_comparison_is_computed_from_the_plans_frames(serial):
    table = serial.table.set_index("variant")
    for name, plan in serial.plans.items():
        row = table.loc[name]
        assert row["km"] == pytest.approx(plan.legs["leg_km"].sum(), abs=0.06)
        assert row["delivered_kg"] == pytest.approx(plan.routes["quantity_kg"].sum(), abs=0.1)
        assert row["trips"] == plan.kpis["trips"]
        assert row["vehicles_used"] == plan.routes["vehicle_id"].nunique()
        yellow = plan.stops[plan.stops["zone"] == "yellow"]
        if yellow["demand_kg"].sum() > 0:
            assert row["served_share:yellow"] == pytest.approx(
                yellow["delivered_kg"].sum() / yellow["demand_kg"].sum(), abs=1e-4)
        loads = plan.routes.groupby("depot_id")["quantity_kg"].sum()
        for depot in plan.depots["depot_id"]:
            assert row[f"load_kg:{depot}"] == pytest.approx(loads.get(depot, 0.0), abs=0.1)
        given = plan.unserved["reason_code"].astype(object)
        codes = given.where(given.notna(), plan.unserved["reason"].str.split(":").str[0])
        unserved = plan.unserved.groupby(codes)["quantity_kg"].sum()
        for reason, kg in unserved.items():
            assert row[f"unserved_kg:{reason}"] == pytest.approx(kg, abs=0.1)
    assert table.loc["GO đóng cửa", "load_kg:GO-NT"] == 0
    assert table.loc[W.BASE, "km_vs_base"] == 0
    wards = serial.wards()
    assert set(wards["variant"]) == set(serial.plans)
    depots = serial.depots()
    assert depots.loc[(depots["variant"] == "GO đóng cửa") & (depots["depot_id"] == "GO-NT"), "trips"].item() == 0


def test_write_outputs_atomically(serial, tmp_path):
    out = serial.write(tmp_path / "cmp", maps=True, offline=True)
    table = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig")
    assert table["variant"].tolist() == list(serial.plans)
    assert (out / "comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for path in serial.map_files():
        assert (out / path).stat().st_size > 1000
    assert not list(out.glob(".staging-*"))
    assert (out / "comparison_wards.csv").exists() and (out / "comparison_depots.csv").exists()
    assert (out / "flows.csv").exists()


def test_flows_between_localities_in_the_comparison(tmp_path):
    lent = small_plan()
    kept = dataclasses.replace(lent, transfers=lent.transfers.iloc[:0])
    comparison = W.compare({W.BASE: kept, "xe Nha Trang cho Ninh Hòa": lent})
    transfer = lent.transfers.iloc[0]
    flows = comparison.flows("vi")
    assert flows["variant"].tolist() == ["xe Nha Trang cho Ninh Hòa"]
    row = flows.iloc[0]
    assert (row["kind"], row["vehicle_id"], row["from_locality"], row["to_locality"]) == (
        "vehicle", LENT_VEHICLE, "Nha Trang", "Ninh Hoa")
    assert (row["kg"], row["rice_kg"], row["food_bag_kg"]) == (transfer["kg"], transfer["rice_kg"],
                                                               transfer["food_bag_kg"])
    assert row["reason"] == TRANSFER_REASONS["own_locality_served"].vi and bool(row["cross_locality"])
    assert comparison.flows("en").iloc[0]["reason"] == TRANSFER_REASONS["own_locality_served"].en
    table = comparison.table.set_index("variant")
    assert table.loc[W.BASE, "transfers_kg:Nha Trang → Ninh Hoa"] == 0
    assert table.loc["xe Nha Trang cho Ninh Hòa", "transfers_kg:Nha Trang → Ninh Hoa"] == transfer["kg"]
    assert table.loc[W.BASE, "depots_open"] == 3
    assert table.loc[W.BASE, "min_share:green"] == pytest.approx(lent.kpis["fairness_by_grade"]["green"]["min_share"],
                                                                 abs=1e-4)
    text = comparison.flow_text("vi")
    assert text.splitlines()[0] == f"{W.BASE}: –"
    assert "Nha Trang → Ninh Hòa: 1.300 kg (gạo" in text and TRANSFER_REASONS["own_locality_served"].vi in text
    depots = comparison.depots().set_index(["variant", "depot_id"])
    assert depots.loc[("xe Nha Trang cho Ninh Hòa", "D3"), "lent_out"] == 1
    assert depots.loc[("xe Nha Trang cho Ninh Hòa", "D4"), "lent_in"] == 1
    assert depots.loc[(W.BASE, "D2"), "closed"] and depots.loc[(W.BASE, "D3"), "lent_out"] == 0
    out = comparison.write(tmp_path / "cmp", maps=False, lang="en")
    written = pd.read_csv(out / "flows.csv", encoding="utf-8-sig")
    assert written[["variant", "from_locality", "to_locality", "kg", "rice_kg", "food_bag_kg"]].values.tolist() == [
        ["xe Nha Trang cho Ninh Hòa", "Nha Trang", "Ninh Hoa", transfer["kg"], transfer["rice_kg"],
         transfer["food_bag_kg"]]]
    assert written["reason"].tolist() == [TRANSFER_REASONS["own_locality_served"].en]


# ------------------------------------------------------------------------------------ parallelism

SUBSET = ["GO đóng cửa", "Vĩnh Hải +50%"]


def test_parallel_run_gives_the_serial_numbers(serial, small):
    subset = [v for v in VARIANTS if v.name in SUBSET]
    parallel = W.run_variants(small, subset, options=OPTIONS, workers=2)
    _same_plans(serial, parallel, [W.BASE, *SUBSET])


def test_dask_local_cluster_gives_the_serial_numbers(serial, small):
    distributed = pytest.importorskip("distributed")
    subset = [v for v in VARIANTS if v.name in SUBSET]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        on_dask = W.run_variants(small, subset, options=OPTIONS, dask_address=cluster.scheduler_address)
    _same_plans(serial, on_dask, [W.BASE, *SUBSET])


# ------------------------------------------------------------------------------------------- files

FULL_TOML = """
[[variant]]
name = "GO! đóng cửa"
close_depots = ["GO-NT"]

[[variant]]
name = "Chốt"
close_roads = [{ name = "Quốc lộ 1A" }, { polygon = "checkpoint.geojson" },
               { bbox = [109.150, 12.405, 109.166, 12.418], label = "Chốt QL1A" }]

[[variant]]
name = "Ninh Hòa +50%"
scale_demand = [{ locality = "Ninh Hòa", factor = 1.5 }]

[[variant]]
name = "mọi thứ"
description = "every kind of change"
cut_stock = [{ depot = "MM-MEGA", factor = 0.5 }, { depot = "COOP-NT", kg = 1000, commodity = "rice" }]
regrade = [{ ward = "Phường Vĩnh Hải", grade = "yellow" }, { ward = "5110113", grade = "orange" }]
fleet = [{ type = "QS-5T-NT", count = 2 }, { type = "GT-2.5T-NT", add = 3 }]
scale_fleet = { factor = 2, profile = "motorbike" }
add_vehicles = [{ id = "QD-5T", like = "QS-5T-NT", count = 4, home_depot = "GO-NT" }]
time = { curfew_start = "17:00", curfew_end = "06:00" }
ration = { rice_kg_per_person_month = 12 }
"""

CHECKPOINT = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name": "Chốt Ninh Ích"},
    "geometry": {"type": "Polygon", "coordinates": [[[109.150, 12.405], [109.166, 12.405], [109.166, 12.418],
                                                     [109.150, 12.418], [109.150, 12.405]]]}}]}


@pytest.fixture()
def variant_file(tmp_path):
    (tmp_path / "checkpoint.geojson").write_text(json.dumps(CHECKPOINT), encoding="utf-8")
    path = tmp_path / "variants.toml"
    path.write_text(FULL_TOML, encoding="utf-8")
    return path


def test_toml_file_gives_typed_changes_that_apply(variant_file):
    base = load_scenario(None)
    variants = W.load_variants(variant_file, base=base)
    assert [v.name for v in variants] == ["GO! đóng cửa", "Chốt", "Ninh Hòa +50%", "mọi thứ"]
    closures = variants[1].changes
    assert [c.closure.kind for c in closures] == ["name", "polygon", "polygon"]
    assert closures[1].closure.label == "Chốt Ninh Ích"  # the GeoJSON's name, relative to the TOML file

    scenario, options = variants[0].apply(base, PlanOptions())
    assert options.close_depots == ("GO-NT",) and scenario.depot("GO-NT").stock_kg == {"rice": 0.0, "food_bag": 0.0}
    assert scenario.name.endswith("GO! đóng cửa") and base.depot("GO-NT").stock_kg["rice"] > 0

    scenario, _ = variants[2].apply(base)
    by_locality = demand_by_locality(scenario)
    base_by_locality = demand_by_locality(base)
    assert sum(by_locality["Ninh Hoa"].values()) == pytest.approx(1.5 * sum(base_by_locality["Ninh Hoa"].values()),
                                                                  rel=1e-9)
    assert sum(by_locality["Nha Trang"].values()) == pytest.approx(sum(base_by_locality["Nha Trang"].values()),
                                                                   rel=1e-9)

    scenario, _ = variants[3].apply(base)
    counts = {vt.id: vt.count for vt in scenario.vehicle_types}
    base_counts = {vt.id: vt.count for vt in base.vehicle_types}
    assert counts["QS-5T-NT"] == 2 and counts["GT-2.5T-NT"] == base_counts["GT-2.5T-NT"] + 3
    assert counts["XM-101"] == 2 * base_counts["XM-101"] and counts["QD-5T"] == 4
    assert scenario.depot("MM-MEGA").stock_kg["rice"] == base.depot("MM-MEGA").stock_kg["rice"] * 0.5
    assert scenario.depot("COOP-NT").stock_kg["rice"] == base.depot("COOP-NT").stock_kg["rice"] - 1000
    assert scenario.zone(VINH_HAI).grade == "yellow" and scenario.zone(VINH_HAI).forbidden_profiles == ()
    assert scenario.zone(XUONG_HUAN).grade == "orange"
    assert scenario.time.curfew_start_s == 17 * 3600 and scenario.time.operating_end_s == 17 * 3600
    assert all(vt.shift_end_s <= 17 * 3600 for vt in scenario.vehicle_types)
    assert scenario.settings.ration.rice_kg_per_person_month == 12
    assert shortfall(scenario).demand_kg["rice"] == pytest.approx(shortfall(base).demand_kg["rice"] * 12 / 15)


@pytest.mark.parametrize("toml, field, message", [
    ('[[variant]]\nname = "A"\nclose_depot = ["GO-NT"]\n', "close_depot", "unknown key 'close_depot'"),
    ('[[variant]]\nname = "A"\nclose_depots = ["NOPE"]\n', "close_depots", "unknown depot 'NOPE'"),
    ('[[variant]]\nname = "A"\nscale_demand = [{ locality = "Hà Nội", factor = 2 }]\n', "scale_demand.locality",
     "unknown locality"),
    ('[[variant]]\nname = "A"\nscale_demand = [{ ward = "Phường Nowhere", factor = 2 }]\n', "scale_demand.ward",
     "unknown ward"),
    ('[[variant]]\nname = "A"\nscale_demand = [{ ward = "Vạn Thạnh", factor = 2 }]\n', "scale_demand.ward",
     "ambiguous"),
    ('[[variant]]\nname = "A"\nscale_demand = [{ factor = 2, extra = 1 }]\n', "scale_demand[0].extra",
     "unknown key 'extra'"),
    ('[[variant]]\nname = "A"\nregrade = [{ ward = "5110101", grade = "purple" }]\n', "regrade[0].grade",
     "unknown grade"),
    ('[[variant]]\nname = "A"\nfleet = [{ type = "NOPE", count = 1 }]\n', "fleet.type", "unknown vehicle type"),
    ('[[variant]]\nname = "A"\nclose_roads = [{ name = "Đường Không Có" }]\n', "close_roads", "matches no road"),
    ('[[variant]]\nname = "A"\nclose_roads = [{ polygon = "missing.geojson" }]\n', "close_roads[0].polygon",
     "file not found"),
    ('[[variant]]\nname = "A"\ntime = { curfew_start = "25:99" }\n', "time.curfew_start", "not a time"),
    ('[[variant]]\nname = "A"\nration = { rice_kg = 10 }\n', "ration.rice_kg", "unknown key"),
    ('[[variant]]\nclose_depots = ["GO-NT"]\n', "name", "needs a name"),
    ('[[variants]]\nname = "A"\n', "variants", "unknown top-level key"),
])
def test_bad_variant_file_names_file_variant_and_field(tmp_path, toml, field, message):
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        W.load_variants(path, base=load_scenario(None))
    text = str(caught.value)
    assert str(path) in text, text
    assert f"field '{field}'" in text, text
    assert message in text, text
    if "[[variant]]" in toml and "name =" in toml:
        assert "variant 'A'" in text, text


def test_every_problem_of_a_variant_file_is_reported_in_one_pass(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("""
[[variant]]
name = "A"
close_depots = ["NOPE"]
scale_demand = [{ factor = "lots" }]
colour = "red"

[[variant]]
name = "B"
fleet = [{ type = "NOPE-TYPE", count = 1 }]
""", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        W.load_variants(path, base=load_scenario(None))
    found = {(p.field, p.message.split(": ", 1)[1].split(" (")[0]) for p in caught.value.problems}
    assert found == {
        ("close_depots", "unknown depot 'NOPE'"),
        ("scale_demand[0].factor", "expected a number, got 'lots'"),
        ("colour", "unknown key 'colour'"),
        ("fleet.type", "unknown vehicle type 'NOPE-TYPE'"),
    }, caught.value.problems
    assert all(p.file == str(path) for p in caught.value.problems)


def test_not_toml_and_duplicate_names(tmp_path):
    path = tmp_path / "v.toml"
    path.write_text("[[variant]\nname=", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        W.load_variants(path)
    path.write_text('[[variant]]\nname = "A"\n[[variant]]\nname = "A"\n', encoding="utf-8")
    with pytest.raises(InputError, match="used twice"):
        W.load_variants(path)
    with pytest.raises(InputError, match="not found"):
        W.load_variants(tmp_path / "nope.toml")


# ------------------------------------------------------------------------------------------ sweeps


def test_sweeps_build_the_expected_variants():
    base = load_scenario(None)
    closures = W.depot_closure_sweep(base)
    assert [v.tag_dict["closed_depot"] for v in closures] == [d.id for d in base.depots]
    assert len(W.depot_closure_sweep(base, min_stock_kg=50_000)) == 4
    demand = W.demand_sweep((0, 0.5, 1.0), locality="Ninh Hoa")
    assert [v.tag_dict["demand_factor"] for v in demand] == [1.0, 1.5, 2.0]
    grid = W.demand_fleet_grid((1.0, 1.5, 2.0), (1.0, 1.5, 2.0))
    assert len(grid) == 9 and len({v.name for v in grid}) == 9
    scenario, _ = grid[-1].apply(W.derive(base, W.Restrict(localities=("Van Ninh",))))
    assert {vt.id: vt.count for vt in scenario.vehicle_types} == {"QS-5T-VN": 10, "GT-2.5T-VN": 6}
    assert [d.id for d in scenario.depots] == ["KHO-VAN-GIA"]
    assert {p.locality for p in scenario.demand_points} == {"Van Ninh"}
    fleet = W.fleet_sweep((0.5,))[0].apply(base)[0]
    assert {vt.id: vt.count for vt in fleet.vehicle_types}["QS-5T-VN"] == 3  # 2.5 rounds half up


def test_derive_refuses_a_depot_closure():
    with pytest.raises(ValueError, match="plan options"):
        W.derive(load_scenario(None), W.CloseDepot("GO-NT"))


# --------------------------------------------------------------------------------------------- CLI


def test_cli_writes_the_comparison_and_reports_bad_input(small, tmp_path):
    folder = export_scenario(dataclasses.replace(small, name="Nhỏ"), tmp_path / "small", demand_points=drop_points(small))
    variants = tmp_path / "v.toml"
    variants.write_text('[[variant]]\nname = "GO đóng cửa"\nclose_depots = ["GO-NT"]\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(command, [str(folder), "--variant", str(variants), "--out", str(out),
                                          "--time-limit", "30", "--workers", "2", "--offline"])
    assert result.exit_code == 0, result.output
    assert "GO đóng cửa" in result.output and "base" in result.output
    assert (out / "comparison.csv").exists() and (out / "comparison.png").exists()
    assert (out / "flows.csv").exists() and "Điều chuyển giữa các địa phương:" in result.output
    assert len(list((out / "maps").glob("*.html"))) == 2

    variants.write_text('[[variant]]\nname = "X"\nclose_depots = ["NOPE"]\n', encoding="utf-8")
    result = CliRunner().invoke(command, [str(folder), "--variant", str(variants), "--out", str(out)])
    assert result.exit_code == 2
    assert "unknown depot 'NOPE'" in result.output and "variant 'X'" in result.output


def test_toml_inline_polygon_native_times_and_new_vehicle_type():
    base = load_scenario(None)
    (variant,) = W.parse_variants("""
[[variant]]
name = "B"
close_roads = { polygon = [[109.150, 12.405], [109.166, 12.405], [109.166, 12.418]], profiles = ["truck"] }
time = { curfew_start = 18:00:00, shift_end = "17:00", types = ["QS-5T-NT"] }
add_vehicles = { id = "THUE-3T", capacity_kg = 3000, count = 2, home_depot = "COOP-NT", max_trips = 2 }
scale_fleet = 2
""", file="inline.toml")
    scenario, _ = variant.apply(base)
    assert scenario.closures[-1].kind == "polygon" and scenario.closures[-1].profiles == ("truck",)
    assert scenario.time.curfew_start_s == 18 * 3600
    types = {vt.id: vt for vt in scenario.vehicle_types}
    assert types["QS-5T-NT"].shift_end_s == 17 * 3600
    assert types["GT-2.5T-NT"].shift_end_s == base.vehicle_types[3].shift_end_s
    new = types["THUE-3T"]
    assert (new.capacity_kg, new.count, new.max_trips, new.profile) == (3000, 2, 2, "truck")
    assert types["QS-5T-NT"].count == 2 * base.vehicle_types[0].count  # scale_fleet before add_vehicles


def test_vehicle_figures_of_a_lent_vehicle_driving_to_the_depot_and_home():
    """A lent vehicle's trip has two legs into a depot (back to where it loaded, then home): one row, home last."""
    plan = small_plan()
    legs = plan.legs
    own = legs[legs["vehicle_id"] == LENT_VEHICLE]
    home = plan.routes.loc[plan.routes["vehicle_id"] == LENT_VEHICLE, "home_depot_id"].iloc[0]
    depot = own["to_id"].iloc[-1]
    drives = legs.iloc[[own.index[0], own.index[-1]]].copy()
    drives[["seq", "from_id", "to_id", "leg_min"]] = [[0, home, depot, 30.0], [own["seq"].max() + 1, depot, home, 45.0]]
    lent = dataclasses.replace(plan, legs=pd.concat([legs, drives], ignore_index=True))
    before = W.vehicle_figures(plan).set_index("vehicle_id").loc[LENT_VEHICLE]
    after = W.vehicle_figures(lent).set_index("vehicle_id").loc[LENT_VEHICLE]
    assert after["hours"] == pytest.approx(before["hours"] + 45 / 60, abs=0.02)
    assert after["start"] == before["start"]
