"""Paths to and readers of the data shipped in ``data/`` (real OSM roads, corridor, census wards, POIs)."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from optimizer.errors import InputError
from optimizer.tables import fold_text

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ROADS_FILE = DATA_DIR / "osm_roads_nha_trang_2021-05.gpkg"
CORRIDOR_FILE = DATA_DIR / "national_roads_khanh_hoa.geojson"
WARDS_FILE = DATA_DIR / "wards_3localities_population.geojson"
POIS_FILE = DATA_DIR / "osm_pois_nha_trang_2021-05.geojson"
#: The embedded default period's calendar (``cli.py period``).
DEFAULT_PERIOD_FILE = DATA_DIR / "default_period.toml"

#: Locality codes used everywhere, with their Vietnamese names.
LOCALITIES = {"Nha Trang": "Nha Trang", "Ninh Hoa": "Ninh Hòa", "Van Ninh": "Vạn Ninh"}
#: Localities whose roads are only the national corridor plus access links (no offline OSM).
APPROXIMATE_LOCALITIES = ("Ninh Hoa", "Van Ninh")

GEOFABRIK_COLUMNS = ["osm_id", "fclass", "name", "ref", "oneway", "maxspeed", "layer", "bridge", "tunnel"]


def read_vector(path: str | Path, *, layer: str | None = None, required: list[str] | None = None) -> gpd.GeoDataFrame:
    """Read a vector file into EPSG:4326, with one clear error for a missing, empty or corrupt file.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON or shapefile.
    layer
        Layer name for multi-layer files.
    required
        Columns that must be present.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.stat().st_size == 0:
        raise InputError("file is empty", file=path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several driver-specific types
        raise InputError(f"cannot read as a vector file ({type(exc).__name__}: {exc})", file=path) from exc
    if frame.empty:
        raise InputError("file has no features", file=path)
    missing = [c for c in (required or []) if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path)
    if frame.crs is None:
        frame = frame.set_crs(4326)
    elif frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    return frame


def read_geofabrik_roads(path: str | Path = ROADS_FILE) -> gpd.GeoDataFrame:
    """Read a Geofabrik-layout road file as single-part LineStrings with normalised columns."""
    roads = read_vector(path, layer="roads" if Path(path).suffix == ".gpkg" else None, required=["osm_id", "fclass"])
    for column in GEOFABRIK_COLUMNS:
        if column not in roads.columns:
            roads[column] = None
    roads = roads[GEOFABRIK_COLUMNS + ["geometry"]].explode(index_parts=False, ignore_index=True)
    roads = roads[roads.geometry.notna() & ~roads.geometry.is_empty]
    roads["osm_id"] = pd.to_numeric(roads["osm_id"], errors="coerce").fillna(0).astype("int64")
    roads["maxspeed"] = pd.to_numeric(roads["maxspeed"], errors="coerce").fillna(0).astype("int64")
    roads["layer"] = pd.to_numeric(roads["layer"], errors="coerce").fillna(0).astype("int64")
    roads["oneway"] = roads["oneway"].fillna("B").astype(str)
    for flag in ("bridge", "tunnel"):
        roads[flag] = roads[flag].fillna("F").astype(str)
    roads["name"] = roads["name"].fillna("").astype(str)
    roads["ref"] = roads["ref"].fillna("").astype(str)
    roads["fclass"] = roads["fclass"].astype(str)
    return roads.reset_index(drop=True)


@functools.cache
def read_wards() -> gpd.GeoDataFrame:
    """The 67 wards and communes of the three localities with 2019 census population and households.

    Adds ``ward_id`` (the GSO 2009 commune code as text, stable across files) and fills empty
    household counts with 0, as the source README states.
    """
    wards = read_vector(WARDS_FILE, required=["locality", "ward_vn", "pop2019", "gso_commune_id_2009"])
    household_columns = [c for c in wards.columns if c.startswith("hh_")]
    wards[household_columns] = wards[household_columns].fillna(0).astype("int64")
    wards["ward_id"] = wards["gso_commune_id_2009"].astype("int64").astype(str)
    wards["households2019"] = wards[household_columns].sum(axis=1)
    return wards


@functools.cache
def localities_area() -> shapely.Geometry:
    """Union of the three localities' ward polygons, slightly buffered (~300 m) for coastal points."""
    return shapely.union_all(read_wards().geometry.values).buffer(0.003)


def read_corridor() -> gpd.GeoDataFrame:
    """National and provincial road lines (railway excluded) as single-part LineStrings."""
    corridor = read_vector(CORRIDOR_FILE, required=["ten", "loai_duong"])
    corridor = corridor[corridor["loai_duong"] != "Đường sắt"]
    return corridor.explode(index_parts=False, ignore_index=True)


def read_pois() -> gpd.GeoDataFrame:
    """OSM points of interest of Nha Trang (supermarkets, markets, malls, hospitals, ...)."""
    return read_vector(POIS_FILE, required=["osm_id", "fclass", "name"])


#: Ward-type words a person may leave out of a ward's name (after :func:`~optimizer.tables.fold_text`).
WARD_PREFIXES = ("phuong ", "xa ", "thi tran ", "tt ", "p. ", "x. ")


def _short_ward_name(name: str) -> str:
    folded = fold_text(name)
    for prefix in WARD_PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def ward_id_of(value: object) -> str:
    """A ward id (GSO commune code) from an id or a name (``Phường Vĩnh Hải``, ``Vinh Hai``).

    Raises
    ------
    ValueError
        The name is unknown, or ambiguous (the message lists the candidates).
    """
    wards = read_wards()
    text = str(value).strip()
    if text in set(wards["ward_id"]):
        return text
    full = wards[wards["ward_vn"].astype(str).map(fold_text) == fold_text(text)]
    if len(full) == 1:
        return str(full["ward_id"].iloc[0])
    hits = wards[wards["ward_vn"].astype(str).map(_short_ward_name) == _short_ward_name(text)]
    if len(hits) == 1:
        return str(hits["ward_id"].iloc[0])
    if len(hits) > 1:
        options = ", ".join(f"{r.ward_vn} ({r.ward_id}, {r.locality})" for r in hits.itertuples())
        raise ValueError(f"ward '{value}' is ambiguous: {options}; give the ward id or the full name")
    raise ValueError(f"unknown ward '{value}' (a GSO commune code or a name of the 67 wards)")
