"""Routable road networks of Nha Trang, Ninh Hòa and Vạn Ninh from real OSM data plus the national corridor.

The shipped Nha Trang roads come in the Geofabrik layout: one line per OSM way, crossing other ways at
shared interior vertices. :func:`build_base_network` nodes the lines at shared coordinates (a bridge or
tunnel does not meet the road under it), splits them into directed edges and adds, for Ninh Hòa and Vạn
Ninh, the national corridor lines and one access link per commune, all flagged ``approximate``.
:func:`load_network` turns that base into one vehicle profile's network (its largest strongly connected
component), cached on disk, with closures applied.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from optimizer import datasets
from optimizer.errors import InputError, Problem
from optimizer.files import write_atomically, write_text_atomically
from optimizer.network.settings import NetworkSettings

log = logging.getLogger(__name__)

#: Bump when the way networks are built changes, so old caches are not reused.
NETWORK_FORMAT_VERSION = 3
#: Metric CRS for Khánh Hòa (UTM zone 49N): distances for snapping and access links.
METRIC_CRS = 32649
EARTH_RADIUS_M = 6_371_008.8
PROFILES = ("truck", "motorbike")
MAJOR_CLASSES = ("trunk", "primary", "secondary", "tertiary", "trunk_link", "primary_link", "secondary_link")

_TO_METRIC = Transformer.from_crs(4326, METRIC_CRS, always_xy=True)

EDGE_COLUMNS = [
    "u", "v", "osm_id", "fclass", "name", "ref", "length_m", "speed_kph", "time_s",
    "approximate", "source", "bridge", "tunnel", "rural", "geometry",
]


def cache_dir() -> Path:
    """Folder of cached networks: ``$KHFOOD_CACHE`` or ``.cache/`` in the project."""
    return Path(os.environ.get("KHFOOD_CACHE", datasets.DATA_DIR.parent / ".cache"))


# --------------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------------


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (vectorised)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def to_metric(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lon/lat arrays to UTM 49N metres."""
    return _TO_METRIC.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def _line_length_m(coords: np.ndarray) -> float:
    return float(haversine_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1]).sum())


# --------------------------------------------------------------------------------------------------
# Noding OSM ways into a directed graph
# --------------------------------------------------------------------------------------------------


def _node_ways(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Give every vertex occurrence a node id; return (node_of_vertex, way_of_vertex, coords, is_split).

    Vertices at the same coordinate are one node, except that interior vertices of a bridge or tunnel
    only meet vertices of ways on the same ``layer``: a bridge end joins its approach road, but the
    bridge does not meet the road underneath. ``is_split`` marks vertices where a way is cut into edges
    (way ends and vertices shared with another way or visited twice by one way).
    """
    coords, way_index = shapely.get_coordinates(roads.geometry.values, return_index=True)
    first = np.r_[True, way_index[1:] != way_index[:-1]]
    last = np.r_[way_index[1:] != way_index[:-1], True]
    is_end = first | last
    layer = roads["layer"].to_numpy()[way_index]
    elevated = (roads["bridge"].to_numpy() == "T") | (roads["tunnel"].to_numpy() == "T")
    elevated = elevated[way_index]

    ground = np.iinfo(np.int64).min
    level = np.where(elevated & ~is_end, layer, ground)
    # Coordinates rounded to ~1 cm identify shared OSM nodes.
    key = pd.MultiIndex.from_arrays([np.round(coords[:, 0], 7), np.round(coords[:, 1], 7), level])
    group, uniques = pd.factorize(key)
    n_groups = len(uniques)
    # A way's end vertex on layer L joins the elevated group at the same place on layer L.
    group_of = pd.Series(np.arange(n_groups), index=uniques)
    candidates = is_end & (layer != 0)
    links = []
    if candidates.any():
        probe = pd.MultiIndex.from_arrays(
            [np.round(coords[candidates, 0], 7), np.round(coords[candidates, 1], 7), layer[candidates]]
        )
        target = group_of.reindex(probe).to_numpy()
        found = ~np.isnan(target)
        links = np.column_stack([group[candidates][found], target[found].astype(np.int64)])
    if len(links):
        merge = sparse.coo_matrix((np.ones(len(links)), (links[:, 0], links[:, 1])), shape=(n_groups, n_groups))
        _, component = csgraph.connected_components(merge, directed=False)
        node = component[group]
    else:
        node = group
    node = pd.factorize(node)[0]

    occurrences = np.bincount(node, minlength=node.max() + 1)
    # A vertex visited twice by the same way (a loop) must also split that way.
    repeated = pd.Series(way_index).groupby(node).transform("size").to_numpy()
    is_split = is_end | (occurrences[node] > 1) | (repeated > 1)
    return node, way_index, coords, is_split


def _split_into_edges(roads: gpd.GeoDataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Cut each way at its split vertices; return undirected pieces (way row, from, to node, coords)."""
    node, way_index, coords, is_split = _node_ways(roads)
    pieces = []
    boundaries = np.flatnonzero(np.r_[True, way_index[1:] != way_index[:-1], True])
    for start, stop in zip(boundaries[:-1], boundaries[1:]):
        cuts = start + np.flatnonzero(is_split[start:stop])
        for a, b in zip(cuts[:-1], cuts[1:]):
            piece = coords[a : b + 1]
            if node[a] == node[b] and len(piece) <= 2:
                continue  # zero-length or degenerate loop
            pieces.append((way_index[a], node[a], node[b], piece))
    frame = pd.DataFrame(pieces, columns=["way", "u", "v", "coords"])
    node_coords = np.zeros((node.max() + 1, 2))
    node_coords[node] = coords
    return frame, node_coords


def _ward_rural_flags(points: np.ndarray) -> np.ndarray:
    """True where a point lies in a rural commune (xã) rather than an urban ward (phường, thị trấn)."""
    wards = datasets.read_wards()
    tree = shapely.STRtree(wards.geometry.values)
    pts = shapely.points(points)
    point_idx, ward_idx = tree.query(pts, predicate="within")
    rural = np.zeros(len(points), dtype=bool)
    rural[point_idx] = (wards["ward_type"].to_numpy()[ward_idx] == "Xã")
    return rural


def _osm_edges(roads: gpd.GeoDataFrame, settings: NetworkSettings) -> tuple[pd.DataFrame, np.ndarray]:
    """Directed edges (both ways unless one-way) with length, class speed and travel time."""
    pieces, node_coords = _split_into_edges(roads)
    way = roads.iloc[pieces["way"].to_numpy()].reset_index(drop=True)
    lengths = np.array([_line_length_m(c) for c in pieces["coords"]])
    mids = np.array([c[len(c) // 2] for c in pieces["coords"]])
    rural = _ward_rural_flags(mids)
    table = np.array([settings.speed_for(f, rural=r) for f, r in zip(way["fclass"], rural)])
    maxspeed = way["maxspeed"].to_numpy(dtype=float)
    speed = np.where(maxspeed > 0, np.minimum(table, maxspeed), table)
    base = pd.DataFrame(
        {
            "u": pieces["u"],
            "v": pieces["v"],
            "osm_id": way["osm_id"].astype("int64"),
            "fclass": way["fclass"].astype(str),
            "name": way["name"].astype(str),
            "ref": way["ref"].astype(str),
            "length_m": lengths,
            "speed_kph": speed,
            "approximate": False,
            "source": "osm",
            "bridge": way["bridge"].to_numpy() == "T",
            "tunnel": way["tunnel"].to_numpy() == "T",
            "rural": rural,
            "coords": pieces["coords"],
        }
    )
    oneway = way["oneway"].to_numpy()
    forward = base[oneway != "T"]
    backward = base[oneway != "F"].copy()
    backward[["u", "v"]] = backward[["v", "u"]].to_numpy()
    backward["coords"] = [c[::-1] for c in backward["coords"]]
    return pd.concat([forward, backward], ignore_index=True), node_coords


# --------------------------------------------------------------------------------------------------
# Corridor and commune access links for Ninh Hòa and Vạn Ninh (approximate)
# --------------------------------------------------------------------------------------------------


def _densify(coords: np.ndarray, spacing_m: float) -> np.ndarray:
    """Insert vertices so no segment is longer than ``spacing_m`` (corridor segments reach tens of km)."""
    out = [coords[0]]
    for a, b in zip(coords[:-1], coords[1:]):
        n = max(1, int(np.ceil(haversine_m(a[0], a[1], b[0], b[1]) / spacing_m)))
        for t in np.linspace(0, 1, n + 1)[1:]:
            out.append(a + (b - a) * t)
    return np.array(out)


def _main_road_nodes(osm_edges: pd.DataFrame, settings: NetworkSettings) -> np.ndarray:
    """Nodes of major roads (tertiary and up) in the largest strongly connected part of the truck roads.

    The corridor is joined only there, so that a truck can really drive from Nha Trang onto it.
    """
    truck = osm_edges[~osm_edges["fclass"].isin(settings.profiles["truck"].excluded_classes)]
    n = int(max(osm_edges["u"].max(), osm_edges["v"].max())) + 1
    graph = sparse.csr_matrix((np.ones(len(truck)), (truck["u"], truck["v"])), shape=(n, n))
    _, label = csgraph.connected_components(graph, directed=True, connection="strong")
    used = np.unique(truck[["u", "v"]].to_numpy())
    main = label == np.bincount(label[used]).argmax()
    major = truck[truck["fclass"].isin(MAJOR_CLASSES)]
    nodes = np.unique(major[["u", "v"]].to_numpy())
    return nodes[main[nodes]]


def _corridor_edges(
    node_coords: np.ndarray, osm_edges: pd.DataFrame, settings: NetworkSettings
) -> tuple[pd.DataFrame, np.ndarray]:
    """Corridor lines outside the OSM coverage, joined to it, plus an access link per commune.

    Returns the new directed edges and the extended node coordinate table.
    """
    wards = datasets.read_wards()
    approx_area = shapely.union_all(
        wards.loc[wards["locality"].isin(datasets.APPROXIMATE_LOCALITIES), "geometry"].values
    ).buffer(0.01)
    osm_area = shapely.union_all(wards.loc[~wards["locality"].isin(datasets.APPROXIMATE_LOCALITIES), "geometry"].values)
    corridor = datasets.read_corridor()
    lines = []
    for name, geom in zip(corridor["ten"], corridor.geometry):
        part = shapely.difference(shapely.intersection(geom, approx_area), osm_area)
        for piece in getattr(part, "geoms", [part]):
            if isinstance(piece, shapely.LineString) and not piece.is_empty and piece.length > 0:
                lines.append((name, _densify(np.asarray(piece.coords)[:, :2], settings.corridor_vertex_spacing_m)))

    coords_table = [node_coords]
    next_node = len(node_coords)
    vertex_nodes: list[np.ndarray] = []
    for _, coords in lines:
        vertex_nodes.append(np.arange(next_node, next_node + len(coords)))
        coords_table.append(coords)
        next_node += len(coords)
    all_coords = np.vstack(coords_table)
    corridor_ids = np.concatenate(vertex_nodes) if vertex_nodes else np.array([], dtype=int)

    rows = []

    def add(u: int, v: int, coords: np.ndarray, name: str, fclass: str, speed: float, length: float | None = None):
        length = _line_length_m(coords) if length is None else length
        for a, b, c in ((u, v, coords), (v, u, coords[::-1])):
            rows.append((a, b, 0, fclass, name, "", length, speed, True, fclass, False, False, True, c))

    for (name, coords), ids in zip(lines, vertex_nodes):
        speed = settings.corridor_speed_for(name)
        for k in range(len(coords) - 1):
            add(ids[k], ids[k + 1], coords[k : k + 2], name, "corridor", speed)

    # Join the corridor pieces to each other and to the OSM graph where they come close.
    metric = np.column_stack(to_metric(all_coords[:, 0], all_coords[:, 1]))
    osm_major = _main_road_nodes(osm_edges, settings)
    linked: set[tuple[int, int]] = set()
    for (name, coords), ids in zip(lines, vertex_nodes):
        for end in (ids[0], ids[-1]):
            others = np.setdiff1d(corridor_ids, ids)
            candidates = np.concatenate([osm_major, others])
            if not len(candidates):
                continue
            d = np.hypot(*(metric[candidates] - metric[end]).T)
            best = int(np.argmin(d))
            target = int(candidates[best])
            if d[best] <= settings.connect_distance_m and (target, int(end)) not in linked:
                linked.add((int(end), target))
                seg = np.vstack([all_coords[end], all_coords[target]])
                add(end, target, seg, f"{name} (nối)", "corridor_link", settings.access_speed_kph,
                    length=max(float(d[best]), 1.0) * settings.access_detour_factor)

    # One access node per commune of the approximate localities, linked to its nearest corridor vertex.
    communes = wards[wards["locality"].isin(datasets.APPROXIMATE_LOCALITIES)]
    centres = np.array([[p.x, p.y] for p in communes.geometry.representative_point()])
    centre_ids = np.arange(next_node, next_node + len(centres))
    all_coords = np.vstack([all_coords, centres])
    metric = np.vstack([metric, np.column_stack(to_metric(centres[:, 0], centres[:, 1]))])
    if len(corridor_ids):
        tree = cKDTree(metric[corridor_ids])
        dist, idx = tree.query(metric[centre_ids])
        for cid, ward_name, d, i in zip(centre_ids, communes["ward_vn"], dist, idx):
            target = int(corridor_ids[i])
            seg = np.vstack([all_coords[cid], all_coords[target]])
            add(int(cid), target, seg, f"Đường vào {ward_name}", "access", settings.access_speed_kph,
                length=max(float(d), 1.0) * settings.access_detour_factor)

    columns = ["u", "v", "osm_id", "fclass", "name", "ref", "length_m", "speed_kph", "approximate", "source",
               "bridge", "tunnel", "rural", "coords"]
    return pd.DataFrame(rows, columns=columns), all_coords


# --------------------------------------------------------------------------------------------------
# Base network (all classes) with cache
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseNetwork:
    """Every drivable-or-walkable edge before profiles; node ids are row positions of ``node_coords``."""

    edges: pd.DataFrame  # EDGE_COLUMNS (geometry as shapely LineStrings in the direction of travel)
    node_coords: np.ndarray  # (n, 2) lon, lat
    source: str
    approximate_nodes: np.ndarray  # bool per node


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cache_key(osm: Path | None, settings: NetworkSettings) -> str:
    inputs = [osm] if osm else [datasets.ROADS_FILE, datasets.CORRIDOR_FILE, datasets.WARDS_FILE]
    payload = {
        "version": NETWORK_FORMAT_VERSION,
        # The building code itself: a change to it must not reuse a network built by older code.
        "code": [_file_digest(Path(__file__)), _file_digest(Path(__file__).with_name("osm_io.py"))],
        "files": [_file_digest(Path(p)) for p in inputs],
        "settings": settings.as_dict(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _read_planner_osm(osm: Path) -> tuple[gpd.GeoDataFrame, bool]:
    """A planner's extract, clipped to the three localities when it reaches them.

    Returns the roads and whether they were clipped (a file that does not reach the localities, such as
    a test sample of another city, is loaded whole with a warning).
    """
    from optimizer.network.osm_io import read_osm_roads

    area = datasets.localities_area()
    roads = read_osm_roads(osm, bbox=tuple(area.bounds))
    if len(roads):
        inside = roads[shapely.intersects(roads.geometry.values, area)]
        if len(inside):
            return inside.reset_index(drop=True), True
    warnings.warn(
        f"{osm}: the file does not reach Nha Trang, Ninh Hòa or Vạn Ninh; loading the whole file",
        UserWarning,
        stacklevel=3,
    )
    return read_osm_roads(osm), False


def build_base_network(*, osm: str | Path | None = None, settings: NetworkSettings | None = None) -> BaseNetwork:
    """Build the base network from the shipped data (or a planner's OSM file), without cache.

    Parameters
    ----------
    osm
        A planner's own OSM extract (``.osm``, ``.osm.bz2``, ``.osm.pbf``). ``None`` uses the shipped Nha
        Trang roads plus the national corridor for Ninh Hòa and Vạn Ninh.
    settings
        Speeds and approximation settings.
    """
    settings = settings or NetworkSettings()
    if osm is None:
        roads = datasets.read_geofabrik_roads(datasets.ROADS_FILE)
        source = f"{datasets.ROADS_FILE.name} + {datasets.CORRIDOR_FILE.name} (approximate)"
        clipped = True
    else:
        osm = Path(osm)
        roads, clipped = _read_planner_osm(osm)
        source = osm.name
    if roads.empty:
        raise InputError("no roads found", file=osm or datasets.ROADS_FILE)
    edges, node_coords = _osm_edges(roads, settings)
    if osm is None:
        extra, node_coords = _corridor_edges(node_coords, edges, settings)
        edges = pd.concat([edges, extra], ignore_index=True)
    elif not clipped:
        edges["rural"] = False
    speed = edges["speed_kph"].to_numpy(dtype=float)
    edges["time_s"] = edges["length_m"].to_numpy(dtype=float) / (speed / 3.6)
    approximate_nodes = np.zeros(len(node_coords), dtype=bool)
    approx = edges["approximate"].to_numpy(dtype=bool)
    approximate_nodes[edges.loc[approx, "u"].to_numpy()] = True
    approximate_nodes[edges.loc[approx, "v"].to_numpy()] = True
    # An approximate node that also touches OSM edges is a junction, on real roads.
    approximate_nodes[edges.loc[~approx, "u"].to_numpy()] = False
    coords = edges.pop("coords")
    edges["geometry"] = shapely.linestrings(np.vstack(coords.to_list()), indices=np.repeat(np.arange(len(edges)), coords.map(len)))
    return BaseNetwork(edges=edges, node_coords=node_coords, source=source, approximate_nodes=approximate_nodes)


def _save_base(base: BaseNetwork, folder: Path) -> None:
    frame = gpd.GeoDataFrame(base.edges, geometry="geometry", crs=4326)
    nodes = pd.DataFrame({"x": base.node_coords[:, 0], "y": base.node_coords[:, 1],
                          "approximate": base.approximate_nodes})
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / "nodes.parquet", nodes.to_parquet)
    write_text_atomically(folder / "meta.json", json.dumps({"source": base.source}))
    # Edges last: their presence marks a complete cache entry.
    write_atomically(folder / "edges.parquet", frame.to_parquet)


def _load_base(folder: Path) -> BaseNetwork:
    frame = gpd.read_parquet(folder / "edges.parquet")
    nodes = pd.read_parquet(folder / "nodes.parquet")
    meta = json.loads((folder / "meta.json").read_text())
    edges = pd.DataFrame(frame.drop(columns="geometry"))
    edges["geometry"] = frame.geometry.values
    return BaseNetwork(edges=edges, node_coords=nodes[["x", "y"]].to_numpy(), source=meta["source"],
                       approximate_nodes=nodes["approximate"].to_numpy())


def base_network(
    *,
    osm: str | Path | None = None,
    settings: NetworkSettings | None = None,
    use_cache: bool = True,
    rebuild: bool = False,
) -> tuple[BaseNetwork, bool]:
    """The base network, from the cache when an entry for the same inputs and settings exists.

    ``rebuild`` builds anew and overwrites the cache entry. Returns the network and whether it came from
    the cache.
    """
    settings = settings or NetworkSettings()
    if osm is not None and not Path(osm).exists():
        raise InputError("OSM file not found", file=osm)
    folder = cache_dir() / f"network-{_cache_key(Path(osm) if osm else None, settings)}"
    if use_cache and not rebuild and (folder / "edges.parquet").exists():
        try:
            return _load_base(folder), True
        except Exception as exc:  # a damaged cache entry is rebuilt, not fatal
            log.warning("ignoring unreadable network cache %s: %s", folder, exc)
    base = build_base_network(osm=osm, settings=settings)
    if use_cache:
        try:
            _save_base(base, folder)
        except OSError as exc:
            log.warning("could not write network cache %s: %s", folder, exc)
    return base, False


# --------------------------------------------------------------------------------------------------
# Closures
# --------------------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", str(text)).strip().casefold()


@dataclass(frozen=True)
class Closure:
    """A road blocked for a what-if: by OSM way id, by road name (or ref), or by polygon.

    Attributes
    ----------
    kind
        ``"osm_id"``, ``"name"`` or ``"polygon"``.
    value
        The way id, the road name, or a shapely (Multi)Polygon in EPSG:4326.
    profiles
        Profiles the closure applies to; empty means all.
    label
        How reports name it (e.g. "Chốt kiểm soát QL1A Ninh Ích").
    """

    kind: Literal["osm_id", "name", "polygon"]
    value: object
    profiles: tuple[str, ...] = ()
    label: str = ""

    def describe(self) -> str:
        if self.label:
            return self.label
        if self.kind == "polygon":
            return "polygon closure"
        return f"{self.kind} {self.value}"

    def applies_to(self, profile: str) -> bool:
        return not self.profiles or profile in self.profiles


def closures_from_geojson(path: str | Path, *, profiles: Sequence[str] = ()) -> list[Closure]:
    """Polygon closures from a GeoJSON file (one closure per polygon feature; ``name`` labels it)."""
    frame = datasets.read_vector(path)
    closures = []
    for row, (geom, label) in enumerate(zip(frame.geometry, frame.get("name", pd.Series([""] * len(frame))))):
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError("closure geometry must be a Polygon or MultiPolygon", file=path, row=row + 1,
                             field="geometry")
        closures.append(Closure("polygon", geom, tuple(profiles), str(label or "")))
    return closures


def closed_edge_mask(edges: pd.DataFrame, closures: Sequence[Closure], *, profile: str) -> np.ndarray:
    """Boolean mask of edges blocked by ``closures`` for ``profile``.

    Raises
    ------
    InputError
        A closure naming an OSM id or a road name that is not in the network, or one that is empty.
    """
    closed = np.zeros(len(edges), dtype=bool)
    names = None
    for closure in closures:
        if not closure.applies_to(profile):
            continue
        if closure.kind == "osm_id":
            hit = edges["osm_id"].to_numpy() == int(closure.value)
        elif closure.kind == "name":
            if names is None:
                names = edges["name"].map(_normalise).to_numpy()
                refs = edges["ref"].map(_normalise).to_numpy()
            wanted = _normalise(closure.value)
            hit = (names == wanted) | (refs == wanted)
        elif closure.kind == "polygon":
            hit = shapely.intersects(edges["geometry"].values, closure.value)
        else:
            raise InputError(f"unknown closure kind '{closure.kind}' (use osm_id, name or polygon)", field="kind")
        if not hit.any():
            raise InputError(f"closure '{closure.describe()}' matches no road of the {profile} network")
        closed |= hit
    return closed


# --------------------------------------------------------------------------------------------------
# A profile's network
# --------------------------------------------------------------------------------------------------


@dataclass
class SnapResult:
    """Network nodes for input points, with the snap distance (metres) of each."""

    node: np.ndarray
    distance_m: np.ndarray


@dataclass
class RoadNetwork:
    """One vehicle profile's routable network: its largest strongly connected component.

    Attributes
    ----------
    profile
        ``"truck"`` or ``"motorbike"``.
    nodes
        GeoDataFrame indexed 0..n-1: ``x`` (lon), ``y`` (lat), ``approximate``, Point geometry.
    edges
        GeoDataFrame: ``u``, ``v`` (node positions), ``osm_id``, ``fclass``, ``name``, ``ref``, ``length_m``,
        ``speed_kph``, ``time_s``, ``approximate``, ``source`` (osm, corridor, corridor_link, access),
        ``closed`` and the LineString geometry in the direction of travel.
    source
        What the network was built from.
    closures
        Closures applied (closed edges stay in ``edges`` with ``closed=True`` but are never traversed).
    connected_share
        Share of the profile's nodes kept in its largest strongly connected component.
    """

    profile: str
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    source: str
    settings: NetworkSettings
    closures: tuple[Closure, ...] = ()
    connected_share: float = 1.0
    _tree: cKDTree | None = field(default=None, repr=False)
    _metric: np.ndarray | None = field(default=None, repr=False)

    @property
    def open_edges(self) -> gpd.GeoDataFrame:
        return self.edges[~self.edges["closed"]]

    def adjacency(self, weight: str = "time_s") -> sparse.csr_matrix:
        """Sparse adjacency of the open edges; parallel edges keep the cheapest by ``weight``."""
        open_edges = self.open_edges.sort_values(weight, kind="stable").drop_duplicates(["u", "v"])
        n = len(self.nodes)
        return sparse.csr_matrix(
            (open_edges[weight].to_numpy(dtype=float), (open_edges["u"].to_numpy(), open_edges["v"].to_numpy())),
            shape=(n, n),
        )

    def snap(
        self,
        lon: Sequence[float] | np.ndarray,
        lat: Sequence[float] | np.ndarray,
        *,
        labels: Sequence[str] | None = None,
        max_distance_m: float | None = None,
        check_area: bool = True,
    ) -> SnapResult:
        """Map points to their nearest node of this profile.

        Parameters
        ----------
        lon, lat
            WGS84 coordinates.
        labels
            Names of the points for error messages (defaults to their position).
        max_distance_m
            Reject points farther than this from a node (default: ``settings.snap_max_distance_m``).
        check_area
            Reject points outside the three localities (off for a planner's foreign OSM extract).

        Raises
        ------
        InputError
            Listing every point outside the localities or too far from the network.
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        labels = [str(i) for i in range(len(lon))] if labels is None else [str(s) for s in labels]
        limit = self.settings.snap_max_distance_m if max_distance_m is None else max_distance_m
        problems = []
        bad = ~(np.isfinite(lon) & np.isfinite(lat))
        for i in np.flatnonzero(bad):
            problems.append(f"point {labels[i]}: coordinates are not numbers")
        if check_area:
            outside = ~bad & ~shapely.contains_xy(datasets.localities_area(), lon, lat)
            for i in np.flatnonzero(outside):
                problems.append(
                    f"point {labels[i]} ({lat[i]:.5f}, {lon[i]:.5f}) is outside Nha Trang, Ninh Hòa and Vạn Ninh"
                )
            bad |= outside
        if self._tree is None:
            self._metric = np.column_stack(to_metric(self.nodes["x"], self.nodes["y"]))
            self._tree = cKDTree(self._metric)
        node = np.zeros(len(lon), dtype=np.int64)
        distance = np.full(len(lon), np.nan)
        ok = ~bad
        if ok.any():
            distance[ok], node[ok] = self._tree.query(np.column_stack(to_metric(lon[ok], lat[ok])))
        for i in np.flatnonzero(ok & (distance > limit)):
            problems.append(
                f"point {labels[i]} ({lat[i]:.5f}, {lon[i]:.5f}) is {distance[i]:,.0f} m from the nearest "
                f"{self.profile} road (limit {limit:,.0f} m)"
            )
        if problems:
            raise InputError([Problem(p) for p in problems])
        return SnapResult(node=node, distance_m=distance)

    def info(self) -> dict:
        """Summary figures: size, km by class, approximate km, bounding box, coverage per locality."""
        edges = self.edges
        # Count each two-way road once: km of road, not of directed edges.
        undirected = edges.assign(a=np.minimum(edges["u"], edges["v"]), b=np.maximum(edges["u"], edges["v"]))
        undirected = undirected.drop_duplicates(["a", "b", "osm_id", "fclass"])
        km_by_class = (undirected.groupby("fclass")["length_m"].sum() / 1000).round(1).sort_values(ascending=False)
        total_km = float(undirected["length_m"].sum() / 1000)
        approx_km = float(undirected.loc[undirected["approximate"], "length_m"].sum() / 1000)
        minx, miny, maxx, maxy = self.nodes.total_bounds
        wards = datasets.read_wards()
        coverage = {}
        node_points = shapely.points(self.nodes[["x", "y"]].to_numpy())
        for locality, group in wards.groupby("locality"):
            area = shapely.union_all(group.geometry.values)
            inside = shapely.contains(area, node_points)
            mids = shapely.line_interpolate_point(undirected.geometry.values, 0.5, normalized=True)
            in_edges = shapely.contains(area, mids)
            coverage[datasets.LOCALITIES[locality]] = {
                "nodes": int(inside.sum()),
                "road_km": round(float(undirected.loc[in_edges, "length_m"].sum() / 1000), 1),
                "approximate_km": round(
                    float(undirected.loc[in_edges & undirected["approximate"].to_numpy(), "length_m"].sum() / 1000), 1
                ),
                "wards": int(len(group)),
                "wards_with_nodes": int(
                    sum(shapely.contains(g, node_points).any() for g in group.geometry.values)
                ),
            }
        return {
            "profile": self.profile,
            "source": self.source,
            "nodes": int(len(self.nodes)),
            "edges": int(len(edges)),
            "closed_edges": int(edges["closed"].sum()),
            "road_km": round(total_km, 1),
            "approximate_km": round(approx_km, 1),
            "approximate_share": round(approx_km / total_km, 4) if total_km else 0.0,
            "km_by_class": km_by_class.to_dict(),
            "bbox": {"min_lon": minx, "min_lat": miny, "max_lon": maxx, "max_lat": maxy},
            "coverage": coverage,
            "connected_share": self.connected_share,
        }


def _profile_network(base: BaseNetwork, profile: str, settings: NetworkSettings) -> RoadNetwork:
    """Keep the classes a profile may use, cap its speed, and keep the largest strongly connected component."""
    if profile not in settings.profiles:
        raise InputError(f"unknown vehicle profile '{profile}' (known: {', '.join(settings.profiles)})",
                         field="profile")
    rules = settings.profiles[profile]
    edges = base.edges[~base.edges["fclass"].isin(rules.excluded_classes)].copy()
    n = len(base.node_coords)
    graph = sparse.csr_matrix((np.ones(len(edges)), (edges["u"].to_numpy(), edges["v"].to_numpy())), shape=(n, n))
    _, label = csgraph.connected_components(graph, directed=True, connection="strong")
    used = np.zeros(n, dtype=bool)
    used[edges["u"].to_numpy()] = True
    used[edges["v"].to_numpy()] = True
    sizes = np.bincount(label[used])
    biggest = int(np.argmax(sizes))
    keep_node = label == biggest
    edges = edges[keep_node[edges["u"].to_numpy()] & keep_node[edges["v"].to_numpy()]]
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[keep_node] = np.arange(int(keep_node.sum()))
    edges["u"] = new_id[edges["u"].to_numpy()]
    edges["v"] = new_id[edges["v"].to_numpy()]
    speed = np.minimum(edges["speed_kph"].to_numpy(dtype=float), rules.max_speed_kph)
    edges["speed_kph"] = speed
    edges["time_s"] = edges["length_m"].to_numpy(dtype=float) / (speed / 3.6)
    edges["closed"] = False
    coords = base.node_coords[keep_node]
    nodes = gpd.GeoDataFrame(
        {"x": coords[:, 0], "y": coords[:, 1], "approximate": base.approximate_nodes[keep_node]},
        geometry=shapely.points(coords),
        crs=4326,
    )
    edge_frame = gpd.GeoDataFrame(edges.reset_index(drop=True), geometry="geometry", crs=4326)
    return RoadNetwork(profile=profile, nodes=nodes, edges=edge_frame, source=base.source, settings=settings,
                       connected_share=round(float(keep_node.sum()) / max(int(used.sum()), 1), 4))


def load_network(
    *,
    profile: str = "truck",
    osm: str | Path | None = None,
    settings: NetworkSettings | None = None,
    closures: Sequence[Closure] = (),
    use_cache: bool = True,
    rebuild: bool = False,
) -> RoadNetwork:
    """The routable network of one vehicle profile, built or read from the cache, with closures applied.

    Parameters
    ----------
    profile
        ``"truck"`` or ``"motorbike"`` (or a profile added in the settings file).
    osm
        A planner's own OSM extract instead of the shipped data.
    settings
        Network settings (speeds, profiles, approximation); defaults when ``None``.
    closures
        Roads blocked that day; a closed edge is kept for drawing but never traversed.
    use_cache
        Read and write the on-disk cache (``$KHFOOD_CACHE``, default ``.cache/``).
    rebuild
        Build anew even when a cache entry exists (and refresh it).

    Raises
    ------
    InputError
        Missing or unreadable data, a file without roads, an unknown profile, or a closure matching nothing.
    """
    settings = settings or NetworkSettings()
    base, _ = base_network(osm=osm, settings=settings, use_cache=use_cache, rebuild=rebuild)
    network = _profile_network(base, profile, settings)
    if closures:
        closed = closed_edge_mask(network.edges, closures, profile=profile)
        network.edges["closed"] = closed
        network.closures = tuple(closures)
    return network
