"""A vehicle profile's routable network: the largest strongly connected part of the base network.

:func:`load_network` turns the base network (:mod:`optimizer.network.build`) into one profile's network,
with closures applied; :meth:`RoadNetwork.to_networkx` hands it to networkx for analysis.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from optimizer import datasets
from optimizer.errors import InputError, Problem
from optimizer.network.build import BaseNetwork, base_network
from optimizer.network.closures import Closure, closed_edge_mask
from optimizer.network.geometry import to_metric
from optimizer.network.settings import NetworkSettings


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

    def to_networkx(self, *, include_closed: bool = False) -> nx.MultiDiGraph:
        """The network as a networkx ``MultiDiGraph``, for analysts who want networkx's algorithms.

        Nodes are the positions 0..n-1 with ``x`` (lon), ``y`` (lat) and ``approximate``; each directed edge
        carries ``osm_id``, ``fclass``, ``name``, ``length_m``, ``time_s``, ``approximate`` and ``closed``.
        The layout follows OSMnx (``x``/``y`` node attributes, parallel edges kept), so
        ``nx.shortest_path(G, a, b, weight="time_s")`` gives the same travel times as the planner.

        Parameters
        ----------
        include_closed
            Keep closed edges (flagged ``closed=True``); by default they are left out, as the planner does.
        """
        graph = nx.MultiDiGraph(profile=self.profile, source=self.source, crs="EPSG:4326")
        graph.add_nodes_from(
            (i, {"x": x, "y": y, "approximate": bool(a)})
            for i, (x, y, a) in enumerate(zip(self.nodes["x"], self.nodes["y"], self.nodes["approximate"]))
        )
        edges = self.edges if include_closed else self.open_edges
        columns = ["osm_id", "fclass", "name", "length_m", "time_s", "approximate", "closed"]
        graph.add_edges_from(
            (int(u), int(v), dict(zip(columns, values)))
            for u, v, *values in edges[["u", "v", *columns]].itertuples(index=False, name=None)
        )
        return graph

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
