"""Census → daily need per ward → drop points, on the real shipped data and truck network."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict

import numpy as np
import pytest
import shapely

from optimizer import datasets
from optimizer.demand import drop_points, generate_drop_points, network_digest, points_per_ward, ward_daily_demand
from optimizer.network import Closure, load_network, to_metric
from optimizer.scenario import PointSettings, RationSettings, Settings, TimeSettings, default_scenario


@pytest.fixture(scope="module")
def network():
    return load_network(profile="truck")


@pytest.fixture(scope="module")
def table():
    return ward_daily_demand(datasets.read_wards(), Settings())


@pytest.fixture(scope="module")
def points():
    # The default scenario's points (cached): generated on the shipped truck network with seed 0.
    return drop_points(default_scenario())


def _raw_census() -> dict[str, dict]:
    """The census file read directly, without the project's readers."""
    data = json.loads(datasets.WARDS_FILE.read_text(encoding="utf-8"))
    return {str(f["properties"]["gso_commune_id_2009"]): f["properties"] for f in data["features"]}


# ---- ward demand ---------------------------------------------------------------------------------


def test_population_and_households_match_census_file(table):
    raw = _raw_census()
    assert len(table) == len(raw) == 67
    for row in table.itertuples():
        props = raw[row.ward_id]
        households = sum(int(v or 0) for k, v in props.items() if k.startswith("hh_"))
        assert row.population_2019 == props["pop2019"], row.ward_name
        assert row.households_2019 == households, row.ward_name
        assert row.ward_name == props["ward_vn"]
        assert row.locality == props["locality"]
    assert table["population_2019"].sum() == sum(p["pop2019"] for p in raw.values()) == 782_881


def test_ration_arithmetic_by_hand_for_phuong_vinh_hai(table):
    row = table.set_index("ward_id").loc["5110101"]
    assert row["ward_name"] == "Phường Vĩnh Hải"
    # Census 2019: 24,570 people; households 647 + 1,175 + 1,509 + 1,842 + 1,535 (urban, 1 to 5+ people).
    assert row["population_2019"] == 24_570
    assert row["households_2019"] == 647 + 1175 + 1509 + 1842 + 1535 == 6_708
    rice = 24_570 * 15 / 30  # 15 kg per person per month, 30 days
    bags = 6_708 * 5 / 7  # 5 kg non-rice bag per household per week
    assert rice == 12_285.0
    assert row["rice_kg_day"] == pytest.approx(rice, abs=1e-9)
    assert row["food_bag_kg_day"] == pytest.approx(4_791.428571428571, abs=1e-6)
    assert row["food_bag_kg_day"] == pytest.approx(bags, abs=1e-9)
    assert row["total_kg_day"] == pytest.approx(rice + bags, abs=1e-9)


def test_coverage_share_and_norms_scale_the_need():
    wards = datasets.read_wards()
    full = ward_daily_demand(wards, RationSettings())
    half = ward_daily_demand(wards, RationSettings(coverage_share=0.5, food_bag_kg_per_household_week=14))
    assert half["people_covered"].sum() == pytest.approx(full["population_2019"].sum() / 2)
    assert half["rice_kg_day"].sum() == pytest.approx(full["rice_kg_day"].sum() / 2)
    assert half["food_bag_kg_day"].sum() == pytest.approx(full["households_2019"].sum() * 0.5 * 14 / 7)


def test_default_demand_per_locality(table):
    by_locality = table.groupby("locality")[["rice_kg_day", "food_bag_kg_day"]].sum()
    assert by_locality.loc["Nha Trang", "rice_kg_day"] == pytest.approx(422_601 / 2)
    assert by_locality.loc["Ninh Hoa", "rice_kg_day"] == pytest.approx(230_049 / 2)
    assert by_locality.loc["Van Ninh", "rice_kg_day"] == pytest.approx(130_231 / 2)
    assert table["total_kg_day"].sum() == pytest.approx(782_881 / 2 + 210_382 * 5 / 7)


# ---- drop points ---------------------------------------------------------------------------------


def test_total_number_of_points_in_range(points):
    assert 1_000 <= len(points) <= 2_000
    assert len({p.id for p in points}) == len(points)
    assert set(points_per_ward(points)) == set(datasets.read_wards()["ward_id"])  # every ward has a point


def test_points_inside_their_ward_and_on_the_truck_network(points, network):
    wards = datasets.read_wards().set_index("ward_id")
    node_xy = {(x, y) for x, y in zip(network.nodes["x"], network.nodes["y"])}
    approximate_nodes = network.nodes[network.nodes["approximate"]]
    real = [p for p in points if not p.approximate]
    assert len(real) > 900
    for p in real:
        assert (p.lon, p.lat) in node_xy, p.id  # exactly a node of the truck network
        assert shapely.contains_xy(wards.loc[p.ward_id].geometry, p.lon, p.lat), p.id
    snapped = network.snap([p.lon for p in points], [p.lat for p in points])
    assert snapped.distance_m[[not p.approximate for p in points]].max() < 1e-6
    # Approximate points sit on the commune's access node (an approximate node at its representative point).
    ax, ay = to_metric(approximate_nodes["x"], approximate_nodes["y"])
    for p in (p for p in points if p.approximate):
        px, py = to_metric([p.lon], [p.lat])
        assert np.hypot(ax - px[0], ay - py[0]).min() < 1e-6, p.id
        assert "gần đúng" in p.name


def test_approximate_only_where_there_are_no_osm_roads(points):
    by_locality = defaultdict(set)
    for p in points:
        by_locality[p.locality].add(p.approximate)
    assert by_locality["Nha Trang"] == {False}  # every Nha Trang ward has OSM roads
    assert by_locality["Ninh Hoa"] == {True}
    assert by_locality["Van Ninh"] == {True}


def test_ward_sums_preserved_exactly(points, table):
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    for p in points:
        for commodity, kg in p.demand_kg.items():
            assert kg >= 0
            sums[(p.ward_id, commodity)].append(kg)
    for row in table.itertuples():
        assert math.fsum(sums[(row.ward_id, "rice")]) == pytest.approx(row.rice_kg_day, abs=1e-6)
        assert math.fsum(sums[(row.ward_id, "food_bag")]) == pytest.approx(row.food_bag_kg_day, abs=1e-6)


def test_point_size_and_count_follow_the_parameters(points, table):
    params = PointSettings()
    assert max(p.total_kg for p in points) <= params.max_point_kg + 1e-6
    counts = points_per_ward(points)
    totals = table.set_index("ward_id")
    for ward_id, n in counts.items():
        assert n >= math.ceil(totals.loc[ward_id, "total_kg_day"] / params.max_point_kg - 1e-9)
        if totals.loc[ward_id, "locality"] == "Nha Trang":
            # Bounded by households (one point per ~100) unless the weight cap needs more.
            by_households = math.ceil(totals.loc[ward_id, "households_2019"] / params.households_per_point)
            assert n <= max(by_households, math.ceil(totals.loc[ward_id, "total_kg_day"] / params.max_point_kg))
    # More residential road and people → more points: Phước Đồng (124 km) vs Xương Huân (3 km).
    assert counts["5110149"] > 5 * counts["5110113"]


def test_points_carry_zone_priority_window_and_service(points):
    scenario = default_scenario()
    for p in points[:200] + points[-50:]:
        assert p.priority == scenario.zone(p.ward_id).priority
        assert (p.tw_start_s, p.tw_end_s) == (6 * 3600, 18 * 3600)
    assert {p.priority for p in points} == {0, 1, 2, 3}
    p = points[0]
    assert p.service_s == 300 and p.service_s_per_kg == 0.1
    assert p.service_time_s == pytest.approx(300 + 0.1 * p.total_kg)


def test_generation_is_deterministic_for_a_seed(network):
    wards = datasets.read_wards()
    some = wards[wards["ward_id"].isin(["5110101", "5110125", "5110149", "5110301"])]
    table = ward_daily_demand(some, Settings())
    a = generate_drop_points(table, network, Settings(), seed=3)
    b = generate_drop_points(table, network, Settings(), seed=3)
    c = generate_drop_points(table, network, Settings(), seed=4)
    assert a == b
    assert [(p.lon, p.lat) for p in a] != [(p.lon, p.lat) for p in c]
    assert [p.id for p in a] == [p.id for p in c]  # same counts, other places
    # Order of wards does not change a ward's points.
    reversed_points = generate_drop_points(table.iloc[::-1], network, Settings(), seed=3)
    assert sorted(reversed_points, key=lambda p: p.id) == sorted(a, key=lambda p: p.id)


def test_service_time_and_window_come_from_time_settings(network):
    wards = datasets.read_wards()
    table = ward_daily_demand(wards[wards["ward_id"] == "5110113"], Settings())
    time = TimeSettings(operating_start_s=7 * 3600, operating_end_s=16 * 3600, service_s=600, service_s_per_kg=0.2)
    pts = generate_drop_points(table, network, Settings(), time=time, zones={"5110113": "red"})
    assert pts and all(p.tw_start_s == 7 * 3600 and p.tw_end_s == 16 * 3600 for p in pts)
    assert all(p.priority == 3 and p.service_s == 600 and p.service_s_per_kg == 0.2 for p in pts)
    # Five minutes to ten: 600 s + 0.2 s/kg.
    assert pts[0].service_time_s == pytest.approx(600 + 0.2 * pts[0].total_kg)


def test_drop_points_are_cached_by_network_content(network, points):
    scenario = default_scenario()
    closed = load_network(profile="truck", closures=[Closure("name", "Trần Phú", ("truck",), "")])
    # Closures only mark edges closed: the same content, the same digest, the same cached points.
    assert network_digest(closed) == network_digest(network)
    assert drop_points(scenario, closed) == drop_points(scenario, network) == points
    changed = dataclasses.replace(scenario, settings=dataclasses.replace(
        scenario.settings, points=dataclasses.replace(scenario.settings.points, seed=7)))
    assert drop_points(changed, network) != points


def test_generated_points_follow_a_regrade_of_their_zone(points):
    scenario = default_scenario()
    assert scenario.zone("5110113").grade == "yellow"
    zones = tuple(dataclasses.replace(z, grade="red") if z.ward_id == "5110113" else z for z in scenario.zones)
    regraded = drop_points(dataclasses.replace(scenario, zones=zones))
    assert {p.priority for p in regraded if p.ward_id == "5110113"} == {3}
    assert {p.priority for p in points if p.ward_id == "5110113"} == {1}
    # Only the priority changes: the same points in the same places.
    assert [dataclasses.replace(p, priority=0) for p in regraded] == [dataclasses.replace(p, priority=0) for p in points]
