"""Tests of reading a planner's own OSM extract into the Geofabrik road layout."""

from __future__ import annotations

import bz2
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from optimizer.datasets import GEOFABRIK_COLUMNS, read_geofabrik_roads
from optimizer.errors import InputError
from optimizer.network.osm_io import read_osm_roads

DATA = Path(__file__).resolve().parent / "data"
AGUAS_PBF = DATA / "aguascalientes.osm.pbf"
AGUAS_XML = DATA / "aguascalientes.osm.bz2"
OAKLAND = DATA / "West-Oakland.osm.bz2"

# Nodes of the hand-written file: a 0.001° grid near Nha Trang, id = 100 + 10*row + col.
NODES = {100 + 10 * r + c: (109.19 + 0.001 * c, 12.24 + 0.001 * r) for r in range(4) for c in range(4)}

# way id -> (node ids, tags); node 999 is referenced but absent, as at an extract's edge.
WAYS: dict[int, tuple[list[int], dict[str, str]]] = {
    1: ([100, 101, 102], {"highway": "residential", "oneway": "yes", "name": "Đường Trần Phú", "ref": "QL1"}),
    2: ([110, 111], {"highway": "tertiary", "oneway": "-1", "maxspeed": "40;50"}),
    3: ([120, 121, 131, 130, 120], {"highway": "primary", "junction": "roundabout"}),
    4: ([102, 103], {"highway": "secondary", "maxspeed": "30 mph"}),
    5: ([112, 113], {"highway": "trunk", "bridge": "yes", "layer": "1", "maxspeed": "60 km/h"}),
    6: ([101, 111], {"highway": "footway", "footway": "sidewalk"}),
    7: ([122, 123, 133, 132, 122], {"building": "yes"}),
    8: ([103, 113], {"highway": "track", "tracktype": "grade2"}),
    9: ([113, 123], {"highway": "track"}),
    10: ([123, 133], {"highway": "road", "maxspeed": "VN:urban", "layer": "abc"}),
    11: ([100, 110], {"highway": "motorway"}),
    12: ([110, 120], {"highway": "motorway", "oneway": "no"}),
    13: ([130, 131], {"highway": "primary", "junction": "roundabout", "oneway": "no"}),
    14: ([131, 132], {"highway": "service", "covered": "yes", "tunnel": "no", "bridge": "no"}),
    15: ([132, 133], {"highway": "service", "tunnel": "building_passage", "layer": "-1"}),
    16: ([121, 122, 132, 131, 121], {"highway": "pedestrian", "area": "yes"}),
    17: ([101, 112], {"highway": "bus_stop"}),
    18: ([102, 113], {"highway": "proposed"}),
    19: ([111, 122], {"highway": "bridleway"}),
    20: ([100, 999], {"highway": "residential"}),
    21: ([111, 112], {"highway": "living_street", "oneway": "reversible"}),
}
KEPT = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 21]


def write_osm(path: Path, ways: dict[int, tuple[list[int], dict[str, str]]]) -> Path:
    """Write NODES and ``ways`` as OSM XML."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'  <node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>' for i, (lon, lat) in NODES.items()]
    for way_id, (refs, tags) in ways.items():
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hand_written(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = write_osm(tmp_path_factory.mktemp("osm") / "tiny.osm", WAYS)
    return read_osm_roads(path).set_index("osm_id")


@pytest.fixture(scope="module")
def aguas_pbf() -> gpd.GeoDataFrame:
    return read_osm_roads(AGUAS_PBF)


def test_hand_written_skips_non_roads_and_broken_ways(hand_written: pd.DataFrame) -> None:
    assert sorted(hand_written.index) == KEPT


@pytest.mark.parametrize(
    ("way_id", "oneway"),
    [(1, "F"), (2, "T"), (3, "F"), (4, "B"), (11, "F"), (12, "B"), (13, "B"), (21, "B")],
)
def test_oneway(hand_written: pd.DataFrame, way_id: int, oneway: str) -> None:
    assert hand_written.loc[way_id, "oneway"] == oneway


@pytest.mark.parametrize(("way_id", "kph"), [(1, 0), (2, 40), (4, 48), (5, 60), (10, 0)])
def test_maxspeed(hand_written: pd.DataFrame, way_id: int, kph: int) -> None:
    assert hand_written.loc[way_id, "maxspeed"] == kph


@pytest.mark.parametrize(
    ("way_id", "layer", "bridge", "tunnel"),
    [(5, 1, "T", "F"), (10, 0, "F", "F"), (14, 0, "F", "F"), (15, -1, "F", "T"), (1, 0, "F", "F")],
)
def test_layer_bridge_tunnel(hand_written: pd.DataFrame, way_id: int, layer: int, bridge: str, tunnel: str) -> None:
    row = hand_written.loc[way_id]
    assert (row["layer"], row["bridge"], row["tunnel"]) == (layer, bridge, tunnel)


@pytest.mark.parametrize(
    ("way_id", "fclass"),
    [(1, "residential"), (6, "footway"), (8, "track_grade2"), (9, "track"), (10, "unknown"), (11, "motorway")],
)
def test_fclass(hand_written: pd.DataFrame, way_id: int, fclass: str) -> None:
    assert hand_written.loc[way_id, "fclass"] == fclass


def test_attributes_and_geometry(hand_written: pd.DataFrame) -> None:
    first = hand_written.loc[1]
    assert (first["name"], first["ref"]) == ("Đường Trần Phú", "QL1")
    assert (hand_written.loc[2, "name"], hand_written.loc[2, "ref"]) == ("", "")
    expected = [NODES[n] for n in WAYS[1][0]]
    np.testing.assert_allclose(shapely.get_coordinates(first["geometry"]), expected, atol=1e-9)
    assert hand_written.loc[3, "geometry"].is_closed


def test_same_layout_as_geofabrik_reader(tmp_path: Path) -> None:
    roads = read_osm_roads(OAKLAND)
    assert list(roads.columns) == GEOFABRIK_COLUMNS + ["geometry"]
    assert roads.crs.to_epsg() == 4326
    assert set(roads.geom_type) == {"LineString"}
    # A Geofabrik GeoPackage written from our frame reads back identical through the shipped reader.
    gpkg = tmp_path / "roads.gpkg"
    roads.to_file(gpkg, layer="roads")
    pd.testing.assert_frame_equal(read_geofabrik_roads(gpkg), roads)


def test_west_oakland_plausible() -> None:
    roads = read_osm_roads(OAKLAND)
    assert len(roads) == 31
    assert roads["osm_id"].is_unique
    assert roads["fclass"].value_counts().to_dict() == {
        "residential": 9, "footway": 7, "service": 6, "secondary": 5, "unclassified": 3, "cycleway": 1,
    }
    assert (roads["oneway"] == "F").sum() == 8
    min_lon, min_lat, max_lon, max_lat = roads.total_bounds
    assert -122.32 < min_lon < max_lon < -122.28 and 37.80 < min_lat < max_lat < 37.82
    assert "Goss Street" in set(roads["name"])


def test_pbf_and_xml_give_identical_frames(aguas_pbf: gpd.GeoDataFrame) -> None:
    xml = read_osm_roads(AGUAS_XML)
    pbf = aguas_pbf.sort_values("osm_id", ignore_index=True)
    xml = xml.sort_values("osm_id", ignore_index=True)
    assert len(pbf) == 674
    pd.testing.assert_frame_equal(pd.DataFrame(pbf[GEOFABRIK_COLUMNS]), pd.DataFrame(xml[GEOFABRIK_COLUMNS]))
    assert (shapely.get_num_coordinates(pbf.geometry.values) == shapely.get_num_coordinates(xml.geometry.values)).all()
    np.testing.assert_allclose(
        shapely.get_coordinates(pbf.geometry.values), shapely.get_coordinates(xml.geometry.values), rtol=0, atol=1e-7
    )
    assert pbf["fclass"].value_counts()["residential"] == 350
    assert (pbf["bridge"] == "T").sum() == 9 and (pbf["layer"] == 1).sum() == 9


def test_bbox_keeps_only_ways_touching_the_box(aguas_pbf: gpd.GeoDataFrame) -> None:
    min_lon, min_lat, max_lon, max_lat = aguas_pbf.total_bounds
    box = (min_lon, min_lat, (min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
    inside = read_osm_roads(AGUAS_PBF, bbox=box)
    polygon = shapely.box(*box)
    touching = {
        way_id
        for way_id, line in zip(aguas_pbf["osm_id"], aguas_pbf.geometry)
        if shapely.covers(polygon, shapely.points(shapely.get_coordinates(line))).any()
    }
    assert 0 < len(inside) < len(aguas_pbf)
    assert set(inside["osm_id"]) == touching
    assert list(inside.dtypes) == list(aguas_pbf.dtypes)


def test_bbox_without_roads_is_empty_frame(aguas_pbf: gpd.GeoDataFrame) -> None:
    empty = read_osm_roads(AGUAS_PBF, bbox=(109.0, 12.0, 109.5, 12.5))
    assert empty.empty
    assert list(empty.columns) == GEOFABRIK_COLUMNS + ["geometry"]
    assert list(empty.dtypes) == list(aguas_pbf.dtypes)
    assert empty.crs.to_epsg() == 4326


def test_inverted_bbox_is_rejected() -> None:
    with pytest.raises(ValueError, match="bbox"):
        read_osm_roads(AGUAS_PBF, bbox=(1.0, 0.0, 0.0, 1.0))


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "nowhere.osm.pbf"


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.osm"
    path.touch()
    return path


def _garbage_pbf(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.osm.pbf"
    path.write_bytes(bytes(range(256)) * 8)
    return path


def _truncated_pbf(tmp_path: Path) -> Path:
    path = tmp_path / "truncated.osm.pbf"
    path.write_bytes(AGUAS_PBF.read_bytes()[:20_000])
    return path


def _garbage_bz2(tmp_path: Path) -> Path:
    path = tmp_path / "not-bzip2.osm.bz2"
    path.write_text("<osm></osm>")
    return path


def _bad_xml(tmp_path: Path) -> Path:
    path = tmp_path / "broken.osm"
    path.write_bytes(bz2.decompress(AGUAS_XML.read_bytes())[:5_000])
    return path


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "roads.txt"
    path.write_text("highway=primary")
    return path


def _buildings_only(tmp_path: Path) -> Path:
    return write_osm(tmp_path / "buildings.osm", {7: WAYS[7], 16: ([121, 122, 132, 131, 121], {"building": "house"})})


def _only_non_roads(tmp_path: Path) -> Path:
    return write_osm(tmp_path / "stops.osm", {k: WAYS[k] for k in (16, 17, 18, 19, 20)})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_missing, "file not found"),
        (_empty, "file is empty"),
        (_garbage_pbf, "cannot read as OpenStreetMap pbf"),
        (_truncated_pbf, "cannot read as OpenStreetMap pbf"),
        (_garbage_bz2, "cannot read as OpenStreetMap osm.bz2"),
        (_bad_xml, "cannot read as OpenStreetMap osm"),
        (_text, "unsupported file type; expected one of .osm, .osm.bz2, .osm.pbf"),
        (_buildings_only, "no highway ways found"),
        (_only_non_roads, "no highway ways found"),
    ],
)
def test_errors_name_the_file(tmp_path: Path, make: Callable[[Path], Path], message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(InputError) as caught:
        read_osm_roads(path)
    text = str(caught.value)
    assert path.name in text and message in text
    assert caught.value.problems[0].file == str(path)
