"""The example files in ``examples/`` load with the real readers and say what ``docs/scenario-format.md`` says."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from optimizer.network import load_network
from optimizer.plan import PlanOptions, validate_scenario
from optimizer.replan import reports
from optimizer.scenario import camps as camps_io
from optimizer.scenario import io as scenario_io
from optimizer.scenario import load_scenario
from optimizer.whatif import load_variants
from optimizer.whatif import variants as variant_io

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "scenario"
VARIANTS = ROOT / "examples" / "variants.toml"
DOC = ROOT / "docs" / "scenario-format.md"


def _documented() -> dict[str, set[str]]:
    """Heading (file name or section) → the names in the first column of its tables (keys, columns)."""
    sections: dict[str, set[str]] = {}
    current = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#+ (?:`([^`]+)`|(.+))", line)
        if heading:
            current = heading[1] or heading[2].strip()
            sections.setdefault(current, set())
        elif line.startswith("| `"):
            sections[current].update(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return sections


@pytest.fixture(scope="module")
def example():
    return load_scenario(EXAMPLE)


def test_every_column_the_readers_know_is_documented():
    doc = _documented()
    expected = {
        "depots.csv": scenario_io.DEPOT_COLUMNS + scenario_io.DEPOT_OPTIONAL + ["stock_rice_kg", "stock_food_bag_kg"],
        "fleet.csv": scenario_io.FLEET_COLUMNS + scenario_io.FLEET_OPTIONAL,
        "zones.csv": scenario_io.ZONE_COLUMNS + scenario_io.ZONE_OPTIONAL,
        "demand_points.csv": scenario_io.POINT_COLUMNS + scenario_io.POINT_OPTIONAL + ["demand_rice_kg"],
        "closures.csv": scenario_io.CLOSURE_COLUMNS + scenario_io.CLOSURE_OPTIONAL,
        "camps.csv": camps_io.CAMP_COLUMNS + camps_io.CAMP_OPTIONAL,
        "kitchens.csv": camps_io.KITCHEN_COLUMNS + camps_io.KITCHEN_OPTIONAL,
        "delivered.csv": reports.DELIVERED_COLUMNS + reports.DELIVERED_OPTIONAL + ["rice_kg", "note"],
        "events.csv": reports.EVENT_COLUMNS + reports.EVENT_OPTIONAL + ["rice_kg", "note"],
        "requests.csv": reports.REQUEST_COLUMNS + reports.REQUEST_OPTIONAL + ["rice_kg", "note"],
    }
    for file, columns in expected.items():
        assert set(columns) <= doc[file], f"{file}: not documented: {set(columns) - doc[file]}"
    toml_keys = {key if table == "" else f"[{table}] {key}" for table, keys in scenario_io._TOML_KEYS.items()
                 for key in keys if key not in scenario_io._TOML_KEYS}
    assert toml_keys <= doc["scenario.toml"], toml_keys - doc["scenario.toml"]
    # The variant keys, each also in the order they are applied, and the keys of add_vehicles.
    assert set(variant_io._VARIANT_KEYS) <= doc["Variant files"]
    assert set(variant_io._ADD_VEHICLE_KEYS) <= doc["Variant files"]
    table = [line.split("|")[1].strip(" `") for line in DOC.read_text(encoding="utf-8").split("## Variant files")[1]
             .splitlines() if line.startswith("| `")]
    applied = [key for key in table if key in variant_io._PARSERS]
    assert applied[: len(variant_io._PARSERS)] == list(variant_io._PARSERS)


def test_example_files_use_only_documented_columns():
    doc = _documented()
    for path in sorted(EXAMPLE.glob("*.csv")):
        columns = set(pd.read_csv(path, encoding="utf-8-sig", nrows=0).columns)
        assert columns <= doc[path.name], f"{path.name}: {columns - doc[path.name]}"


def test_example_scenario_loads_as_described(example):
    assert example.name.startswith("Ví dụ")
    assert [d.id for d in example.depots] == ["GO-NT", "COOP-NT", "CHO-VINH-HAI", "VM-CENTRE"]
    assert {d.locality for d in example.depots} == {"Nha Trang"}
    assert example.depot("GO-NT").stock_kg == {"rice": 5000.0, "food_bag": 1500.0}
    assert example.depot("GO-NT").load_time_s == 20 * 60
    vehicles = example.vehicles()
    assert len(vehicles) == 9 and vehicles[0].id == "GT-2.5T-NT-01"
    motorbikes = [vt for vt in example.vehicle_types if vt.profile == "motorbike"]
    assert [vt.max_reach_km for vt in motorbikes] == [6.0]  # empty max_reach_km: the profile's default
    assert example.zone("5110101").grade == "red" and not example.zone("5110101").allows("motorbike")
    assert example.zone("5110107").grade == "yellow"
    points = example.demand_points
    assert len(points) == 36 and {p.ward_id for p in points} == {"5110101", "5110103", "5110107"}
    # Empty priority cells follow the ward's zone; empty windows are the operating window.
    assert {p.priority for p in points if p.ward_id == "5110101"} == {3}
    assert {(p.tw_start_s, p.tw_end_s) for p in points} == {(6 * 3600, 18 * 3600)}
    kinds = sorted((c.kind, c.profiles) for c in example.closures)
    assert kinds == [("name", ("truck",)), ("polygon", ("truck", "motorbike"))]
    # Two camps (ward from the position, three meal windows each) and two kitchens with their vans.
    camps = {c.id: c for c in example.camps}
    assert camps["CL-KTX-NTU"].ward_id == "5110105" and camps["CL-KTX-NTU"].kind == "dormitory"
    assert camps["CL-KS-THANH-BINH"].meal_windows_s[1] == (11 * 3600, 12 * 3600)
    assert [(k.id, k.van_ids(), k.max_ride_s) for k in example.kitchens][0] == (
        "BEP-LAC-CANH", ["BEP-LAC-CANH-V01", "BEP-LAC-CANH-V02"], 45 * 60)


def test_example_closures_match_roads_and_points_are_reachable(example):
    validate_scenario(example, network=load_network(profile="truck")).raise_if_problems()


def test_example_variants_change_what_they_say(example):
    variants = {v.name: v for v in load_variants(VARIANTS, base=example)}
    assert list(variants) == ["Chợ Vĩnh Hải đóng cửa", "Ngọc Hiệp phong tỏa", "Thêm 3 xe tải quân đội",
                              "Tất cả cùng lúc"]

    closed, options = variants["Chợ Vĩnh Hải đóng cửa"].apply(example, PlanOptions())
    assert options.close_depots == ("CHO-VINH-HAI",)
    assert set(closed.depot("CHO-VINH-HAI").stock_kg.values()) == {0.0}
    assert closed.depot("GO-NT").stock_kg == example.depot("GO-NT").stock_kg

    sealed, _ = variants["Ngọc Hiệp phong tỏa"].apply(example)
    assert sealed.zone("5110107").grade == "red" and not sealed.zone("5110107").allows("motorbike")
    assert {p.priority for p in sealed.demand_points if p.ward_id == "5110107"} == {3}

    more, _ = variants["Thêm 3 xe tải quân đội"].apply(example)
    added = [vt for vt in more.vehicle_types if vt.id == "QD-2.5T"]
    assert len(added) == 1 and added[0].count == 3 and added[0].capacity_kg == 2500
    assert added[0].home_depot == "GO-NT" and added[0].profile == "truck"
    assert len(more.vehicles()) == len(example.vehicles()) + 3

    scenario, options = variants["Tất cả cùng lúc"].apply(example)
    assert options.close_depots == ("CHO-VINH-HAI",)
    assert scenario.zone("5110107").grade == "red"
    assert len(scenario.vehicles()) == len(example.vehicles()) + 3
