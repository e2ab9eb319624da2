"""Building the base road network from real OSM data plus the national corridor, with its on-disk cache.

The shipped Nha Trang roads come in the Geofabrik layout: one line per OSM way, crossing other ways at
shared interior vertices. :func:`build_base_network` nodes the lines at shared coordinates (a bridge or
tunnel does not meet the road under it), splits them into directed edges and adds, for Ninh Hòa and Vạn
Ninh, the national corridor lines and one access link per commune, all flagged ``approximate``.
:func:`base_network` caches the result on disk, keyed by the inputs, the settings and this package's code.
"""

import hashlib
import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from optimizer import datasets
from optimizer.errors import InputError
from optimizer.files import write_atomically, write_text_atomically
from optimizer.network.geometry import haversine_m, line_length_m, to_metric
from optimizer.network.osm_io import read_osm_roads
from optimizer.network.settings import NetworkSettings

log = logging.getLogger(__name__)

#: Bump when the way networks are built changes, so old caches are not reused.
NETWORK_FORMAT_VERSION = 3
#: Road classes the national corridor may join (tertiary and up).
MAJOR_CLASSES = ("trunk", "primary", "secondary", "tertiary", "trunk_link", "primary_link", "secondary_link")


def cache_dir() -> Path:
    """Folder of cached networks: ``$KHFOOD_CACHE`` or ``.cache/`` in the project."""
    return Path(os.environ.get("KHFOOD_CACHE", datasets.DATA_DIR.parent / ".cache"))


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
    links = np.empty((0, 2), dtype=np.int64)
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
    lengths = np.array([line_length_m(c) for c in pieces["coords"]])
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
        length = line_length_m(coords) if length is None else length
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
    for (name, _), ids in zip(lines, vertex_nodes):
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

    #: u, v, osm_id, fclass, name, ref, length_m, speed_kph, time_s, approximate, source, bridge, tunnel, rural,
    #: geometry (shapely LineStrings in the direction of travel).
    edges: pd.DataFrame
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
        "code": [_file_digest(path) for path in sorted(Path(__file__).parent.glob("*.py"))],
        "files": [_file_digest(Path(p)) for p in inputs],
        "settings": settings.as_dict(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _read_planner_osm(osm: Path) -> tuple[gpd.GeoDataFrame, bool]:
    """A planner's extract, clipped to the three localities when it reaches them.

    Returns the roads and whether they were clipped (a file that does not reach the localities, such as
    a test sample of another city, is loaded whole with a warning).
    """
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
