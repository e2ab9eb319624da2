"""Road network on the real shipped data: noding, one-way streets, closures, corridor, snapping, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from optimizer import datasets
from optimizer.errors import InputError
from optimizer.network import (
    Closure,
    NetworkSettings,
    build_base_network,
    haversine_m,
    load_network,
    load_network_settings,
    travel_matrix,
)
from optimizer.network.build import _osm_edges

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"

GO_MARKET = (109.16994, 12.25635)
COOPMART = (109.18209, 12.24274)
VAN_GIA = (109.22828, 12.69626)


def _path_edges(network, a, b):
    snapped = network.snap([a[0], b[0]], [a[1], b[1]])
    matrix = travel_matrix(network, snapped.node)
    return matrix, matrix.leg_edges(0, 1)


def test_one_way_street_is_only_traversed_forwards(truck_network):
    # Trần Phú (OSM way 53651211) is the one-way sea-front boulevard, tagged oneway=F.
    edges = truck_network.edges[truck_network.edges["osm_id"] == 53651211]
    assert len(edges) >= 1
    roads = datasets.read_geofabrik_roads()
    way = roads[roads["osm_id"] == 53651211].geometry.iloc[0]
    for geom in edges.geometry:
        # Each edge runs in the digitised direction of the way: its start comes before its end along it.
        assert way.project(shapely.Point(geom.coords[0])) < way.project(shapely.Point(geom.coords[-1]))
    edge = edges.iloc[0]
    matrix = travel_matrix(truck_network, np.array([edge["u"], edge["v"]]))
    assert matrix.time_s[0, 1] == pytest.approx(edge["time_s"], abs=0.1)
    # Going back against the one-way needs a detour on other streets.
    assert matrix.time_s[1, 0] > edge["time_s"] + 1
    assert 53651211 not in set(matrix.leg_edges(1, 0)["osm_id"])


def test_two_way_street_has_both_directions(truck_network):
    edges = truck_network.edges
    two_way = edges[edges["fclass"] == "residential"].iloc[0]
    back = edges[(edges["u"] == two_way["v"]) & (edges["v"] == two_way["u"])]
    assert len(back) >= 1


def test_path_between_named_places_is_plausible(truck_network):
    matrix, legs = _path_edges(truck_network, GO_MARKET, COOPMART)
    straight = float(haversine_m(GO_MARKET[0], GO_MARKET[1], COOPMART[0], COOPMART[1]))
    road = matrix.dist_m[0, 1]
    assert 1.0 * straight < road < 2.0 * straight
    assert road == pytest.approx(legs["length_m"].sum(), rel=1e-3)
    # Between 2 and 30 minutes across town at lockdown truck speeds.
    assert 120 < matrix.time_s[0, 1] < 1800
    assert not legs["approximate"].any()
    geometry = matrix.leg_geometry(0, 1)
    assert geometry.coords[0] == pytest.approx(tuple(truck_network.nodes.iloc[matrix.nodes[0]][["x", "y"]]))


def test_closing_a_road_changes_the_path_and_avoids_it(truck_network):
    _, legs = _path_edges(truck_network, GO_MARKET, COOPMART)
    used = legs[legs["name"] != ""]["name"].value_counts()
    busiest = used.index[0]
    closed = load_network(profile="truck", closures=[Closure("name", busiest)])
    matrix, new_legs = _path_edges(closed, GO_MARKET, COOPMART)
    assert busiest not in set(new_legs["name"])
    assert not new_legs.index.isin(closed.edges.index[closed.edges["closed"]]).any()
    assert matrix.time_s[0, 1] >= travel_matrix(truck_network, matrix.nodes).time_s[0, 1]


def test_closure_by_osm_id_and_polygon(truck_network):
    way_id = int(truck_network.edges["osm_id"].iloc[0])
    by_id = load_network(profile="truck", closures=[Closure("osm_id", way_id)])
    assert by_id.edges.loc[by_id.edges["closed"], "osm_id"].eq(way_id).all()
    box = shapely.box(109.185, 12.240, 109.190, 12.245)
    by_polygon = load_network(profile="truck", closures=[Closure("polygon", box, label="Chốt phong tỏa")])
    closed = by_polygon.edges[by_polygon.edges["closed"]]
    assert len(closed) > 0 and shapely.intersects(closed.geometry.values, box).all()
    # A closure for motorbikes only leaves the truck network open.
    moto_only = load_network(profile="truck", closures=[Closure("polygon", box, profiles=("motorbike",))])
    assert not moto_only.edges["closed"].any()


def test_closure_naming_unknown_road_is_an_error():
    with pytest.raises(InputError, match="Đường Không Có"):
        load_network(profile="truck", closures=[Closure("name", "Đường Không Có")])


def test_van_gia_is_reached_from_nha_trang_only_through_approximate_edges(truck_network):
    matrix, legs = _path_edges(truck_network, GO_MARKET, VAN_GIA)
    assert np.isfinite(matrix.time_s[0, 1])
    assert legs["approximate"].any()
    assert set(legs.loc[legs["approximate"], "source"]) <= {"corridor", "corridor_link", "access"}
    # The corridor is the only way north: closing Quốc lộ 1A cuts Vạn Giã off.
    cut = load_network(profile="truck", closures=[Closure("name", "Quốc lộ 1A")])
    snapped = cut.snap([GO_MARKET[0], VAN_GIA[0]], [GO_MARKET[1], VAN_GIA[1]])
    cut_matrix = travel_matrix(cut, snapped.node)
    assert not np.isfinite(cut_matrix.time_s[0, 1])
    assert [0, 1] in cut_matrix.unreachable_pairs().tolist()


def test_approximate_km_reported_and_every_commune_reached(truck_network):
    info = truck_network.info()
    assert info["approximate_km"] > 100
    assert info["coverage"]["Ninh Hòa"]["wards_with_nodes"] == 27
    assert info["coverage"]["Vạn Ninh"]["wards_with_nodes"] == 13
    assert info["coverage"]["Ninh Hòa"]["approximate_km"] == info["coverage"]["Ninh Hòa"]["road_km"]
    assert truck_network.edges.loc[truck_network.edges["source"] != "osm", "approximate"].all()
    assert not truck_network.edges.loc[truck_network.edges["source"] == "osm", "approximate"].any()


def test_truck_profile_excludes_footways_motorbike_keeps_them(truck_network, motorbike_network):
    assert not truck_network.edges["fclass"].isin(["footway", "path", "steps", "pedestrian", "cycleway"]).any()
    assert motorbike_network.edges["fclass"].isin(["footway", "path"]).any()
    assert not motorbike_network.edges["fclass"].eq("steps").any()
    settings = NetworkSettings().with_excluded("truck", ["track"])
    no_track = load_network(profile="truck", settings=settings)
    assert not no_track.edges["fclass"].eq("track").any()


def test_profile_network_is_strongly_connected(truck_network):
    from scipy.sparse import csgraph

    count, _ = csgraph.connected_components(truck_network.adjacency(), directed=True, connection="strong")
    assert count == 1


def test_speed_table_and_maxspeed(truck_network):
    edges = truck_network.edges[truck_network.edges["source"] == "osm"]
    speed = edges["length_m"] / edges["time_s"] * 3.6
    assert speed.max() <= 60 + 1e-6
    residential = edges[edges["fclass"] == "residential"]
    assert set(np.round(residential["speed_kph"], 3)) <= {18.0, 25.0, 5.0, 20.0, 30.0}


def test_settings_file_overrides_speeds(tmp_path):
    config = tmp_path / "speeds.toml"
    config.write_text('[speeds_kph.residential]\nurban = 9\nrural = 9\n', encoding="utf-8")
    settings = load_network_settings(config)
    assert settings.speed_for("residential", rural=False) == 9
    slow = load_network(profile="truck", settings=settings)
    residential = slow.edges[(slow.edges["fclass"] == "residential") & (slow.edges["speed_kph"] > 0)]
    assert residential["speed_kph"].max() <= 9
    bad = tmp_path / "bad.toml"
    bad.write_text('[speeds_kph.residential]\nurban = -3\n', encoding="utf-8")
    with pytest.raises(InputError, match="speeds_kph.residential.urban"):
        load_network_settings(bad)


def test_bridge_does_not_meet_the_road_underneath():
    # A bridge (layer 1) passes over a road at a shared interior vertex, and joins its approach at its ends.
    lines = [
        shapely.LineString([(109.0, 12.0), (109.001, 12.0), (109.002, 12.0)]),  # bridge
        shapely.LineString([(109.001, 11.999), (109.001, 12.0), (109.001, 12.001)]),  # road below
        shapely.LineString([(109.002, 12.0), (109.003, 12.0)]),  # approach road
    ]
    roads = gpd.GeoDataFrame(
        {"osm_id": [1, 2, 3], "fclass": ["primary", "residential", "primary"], "name": ["Cầu", "Dưới", "Tiếp"],
         "ref": "", "oneway": "B", "maxspeed": 0, "layer": [1, 0, 0], "bridge": ["T", "F", "F"], "tunnel": "F"},
        geometry=lines, crs=4326,
    )
    edges, _ = _osm_edges(roads, NetworkSettings())
    bridge_nodes = set(edges.loc[edges["osm_id"] == 1, ["u", "v"]].to_numpy().ravel())
    below_nodes = set(edges.loc[edges["osm_id"] == 2, ["u", "v"]].to_numpy().ravel())
    approach_nodes = set(edges.loc[edges["osm_id"] == 3, ["u", "v"]].to_numpy().ravel())
    assert not bridge_nodes & below_nodes
    assert bridge_nodes & approach_nodes
    # Without the bridge tag the two roads cross at the shared vertex.
    roads.loc[0, ["bridge", "layer"]] = ["F", 0]
    edges, _ = _osm_edges(roads, NetworkSettings())
    crossing = set(edges.loc[edges["osm_id"] == 1, ["u", "v"]].to_numpy().ravel())
    assert crossing & set(edges.loc[edges["osm_id"] == 2, ["u", "v"]].to_numpy().ravel())


def test_pbf_and_xml_of_the_same_area_give_the_same_graph():
    with pytest.warns(UserWarning, match="does not reach"):
        from_pbf = load_network(profile="truck", osm=TEST_DATA / "aguascalientes.osm.pbf", use_cache=False)
    with pytest.warns(UserWarning, match="does not reach"):
        from_xml = load_network(profile="truck", osm=TEST_DATA / "aguascalientes.osm.bz2", use_cache=False)
    assert len(from_pbf.nodes) == len(from_xml.nodes) > 100
    assert len(from_pbf.edges) == len(from_xml.edges)

    def signature(net):
        start = np.round(shapely.get_coordinates(shapely.get_point(net.edges.geometry.values, 0)), 7)
        end = np.round(shapely.get_coordinates(shapely.get_point(net.edges.geometry.values, -1)), 7)
        return sorted(zip(net.edges["osm_id"], map(tuple, start), map(tuple, end)))

    assert signature(from_pbf) == signature(from_xml)


def test_points_in_the_sea_and_far_from_roads_are_errors(truck_network):
    with pytest.raises(InputError) as raised:
        truck_network.snap([109.40, 109.19], [12.20, 12.243], labels=["Biển Đông", "Chợ Xóm Mới"])
    message = str(raised.value)
    assert "Biển Đông" in message and "outside" in message
    assert "Chợ Xóm Mới" not in message
    # Ninh Tây, in the hills west of Ninh Hòa, is inside the localities but far from any mapped road.
    with pytest.raises(InputError, match=r"Ninh Tây hills .* m from the nearest truck road"):
        truck_network.snap([108.914], [12.501], labels=["Ninh Tây hills"])
    ok = truck_network.snap([GO_MARKET[0]], [GO_MARKET[1]])
    assert ok.distance_m[0] < 200


def test_cache_gives_the_same_network(tmp_path, monkeypatch):
    monkeypatch.setenv("KHFOOD_CACHE", str(tmp_path))
    fresh = load_network(profile="truck")
    assert any(tmp_path.glob("network-*/edges.parquet"))
    cached = load_network(profile="truck")
    assert len(fresh.edges) == len(cached.edges)
    assert np.allclose(fresh.edges["time_s"].to_numpy(), cached.edges["time_s"].to_numpy())
    assert shapely.equals(fresh.edges.geometry.values, cached.edges.geometry.values).all()


def test_bad_data_files_give_one_clear_error(tmp_path):
    empty = tmp_path / "roads.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        build_base_network(osm=empty)
    corrupt = tmp_path / "roads.gpkg"
    corrupt.write_bytes(b"not a geopackage at all")
    with pytest.raises(InputError, match="roads.gpkg"):
        datasets.read_geofabrik_roads(corrupt)
    no_roads = tmp_path / "buildings.osm"
    no_roads.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="12.2" lon="109.1"/>'
        '<node id="2" lat="12.21" lon="109.11"/><way id="5"><nd ref="1"/><nd ref="2"/>'
        '<tag k="building" v="yes"/></way></osm>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="buildings.osm"):
        build_base_network(osm=no_roads)


def test_cli_reports_errors_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "network", "info", "--close-name", "Đường Không Có"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 2
    assert "Đường Không Có" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "network", "info", "--json"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert '"approximate_km"' in result.stdout


def test_to_networkx_gives_the_planner_travel_times(truck_network):
    """networkx's Dijkstra on the exported graph agrees with the planner's own matrix."""
    graph = truck_network.to_networkx()
    assert graph.number_of_nodes() == len(truck_network.nodes)
    assert graph.number_of_edges() == int((~truck_network.edges["closed"]).sum())
    nodes = truck_network.snap([GO_MARKET[0], COOPMART[0]], [GO_MARKET[1], COOPMART[1]]).node
    matrix = travel_matrix(truck_network, nodes)
    seconds = nx.shortest_path_length(graph, int(nodes[0]), int(nodes[1]), weight="time_s")
    assert seconds == pytest.approx(matrix.time_s[0, 1], abs=1.0)  # the matrix rounds each edge to 0.01 s
