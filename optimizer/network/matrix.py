"""Many-to-many travel-time and distance matrices on a road network, and the road geometry of any leg.

One compiled Dijkstra (``scipy.sparse.csgraph``) per batch of sources gives both figures at once: each
edge weight packs the travel time (centiseconds) in the high bits and the length (decimetres) in the
low bits of an exactly representable float, so the fastest path is found and its length read off it
(ties in time go to the shorter road).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from optimizer.network.graph import RoadNetwork

#: Low bits of a packed weight hold the length in decimetres: paths up to 3,355 km stay exact.
_LENGTH_BITS = 25
_LENGTH_SCALE = float(1 << _LENGTH_BITS)
#: Sources per Dijkstra call: bounds the memory of one batch (rows × nodes floats).
_BATCH = 256


def _packed_adjacency(network: RoadNetwork) -> tuple[sparse.csr_matrix, pd.DataFrame]:
    """CSR of packed weights over the open edges, and the edge kept for each (u, v)."""
    edges = network.open_edges
    time_cs = np.maximum(np.rint(edges["time_s"].to_numpy(dtype=float) * 100), 1)
    length_dm = np.minimum(np.rint(edges["length_m"].to_numpy(dtype=float) * 10), _LENGTH_SCALE - 1)
    packed = time_cs * _LENGTH_SCALE + length_dm
    chosen = (
        pd.DataFrame({"u": edges["u"].to_numpy(), "v": edges["v"].to_numpy(), "w": packed, "edge": edges.index})
        .sort_values(["w", "edge"], kind="stable")
        .drop_duplicates(["u", "v"])
    )
    n = len(network.nodes)
    adjacency = sparse.csr_matrix((chosen["w"].to_numpy(), (chosen["u"].to_numpy(), chosen["v"].to_numpy())),
                                  shape=(n, n))
    return adjacency, chosen.set_index(["u", "v"])["edge"]


@dataclass
class TravelMatrix:
    """Travel times and distances between located points on one profile's network.

    Attributes
    ----------
    network
        The profile network the matrix was computed on (closures included).
    nodes
        Network node of each location (row/column order of the matrices).
    time_s, dist_m
        ``(n, n)`` fastest-path travel time (s) and its length (m); ``np.inf`` where no path exists.
    """

    network: RoadNetwork
    nodes: np.ndarray
    time_s: np.ndarray
    dist_m: np.ndarray
    _predecessors: dict[int, np.ndarray] = field(repr=False, default_factory=dict)
    _edge_of: pd.Series | None = field(repr=False, default=None)

    @property
    def size(self) -> int:
        return len(self.nodes)

    def unreachable_pairs(self) -> np.ndarray:
        """``(k, 2)`` array of (from, to) location pairs with no path."""
        return np.argwhere(~np.isfinite(self.time_s))

    def leg_edges(self, origin: int, destination: int) -> pd.DataFrame:
        """Edges (rows of ``network.edges``) of the fastest path between two locations, in driving order.

        Raises
        ------
        ValueError
            When the destination cannot be reached from the origin.
        """
        source = int(self.nodes[origin])
        target = int(self.nodes[destination])
        if not np.isfinite(self.time_s[origin, destination]):
            raise ValueError(f"location {destination} cannot be reached from location {origin}")
        predecessors = self._predecessors[source]
        path = [target]
        while path[-1] != source:
            path.append(int(predecessors[path[-1]]))
        path.reverse()
        assert self._edge_of is not None, "the matrix was built without leg geometry"
        edge_ids = self._edge_of.loc[list(zip(path[:-1], path[1:]))].to_numpy()
        return self.network.edges.loc[edge_ids]

    def leg_geometry(self, origin: int, destination: int) -> shapely.LineString:
        """Road-following LineString of a leg (a point-like line when both ends share a node)."""
        edges = self.leg_edges(origin, destination)
        if edges.empty:
            node = self.network.nodes.iloc[int(self.nodes[origin])]
            return shapely.LineString([(node.x, node.y), (node.x, node.y)])
        coords = [np.asarray(g.coords) for g in edges.geometry]
        return shapely.LineString(np.vstack([coords[0]] + [c[1:] for c in coords[1:]]))


_SHARED: tuple | None = None


def _dijkstra_batch(batch: np.ndarray, shared: tuple | None = None):
    """Packed weights from ``batch`` sources to the wanted nodes, and their shortest-path trees."""
    adjacency, wanted, keep_paths = shared or _SHARED or ()
    if not keep_paths:
        return csgraph.dijkstra(adjacency, directed=True, indices=batch)[:, wanted], None
    packed, predecessors = csgraph.dijkstra(adjacency, directed=True, indices=batch, return_predecessors=True)
    return packed[:, wanted], predecessors.astype(np.int32)


def _decode(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = np.isfinite(packed)
    safe = np.where(finite, packed, 0.0)
    time_cs = np.floor(safe / _LENGTH_SCALE)
    length_dm = safe - time_cs * _LENGTH_SCALE
    return np.where(finite, time_cs / 100.0, np.inf), np.where(finite, length_dm / 10.0, np.inf)


def travel_matrix(
    network: RoadNetwork,
    nodes: np.ndarray,
    *,
    keep_paths: bool = True,
    workers: int | None = None,
) -> TravelMatrix:
    """Compute the many-to-many matrix between network nodes.

    Parameters
    ----------
    network
        A profile network from :func:`optimizer.network.load_network`.
    nodes
        Network node of each location (e.g. ``network.snap(...).node``); repeats are computed once.
    keep_paths
        Keep the shortest-path trees so that :meth:`TravelMatrix.leg_geometry` works (memory: one int32
        row of the network's node count per distinct origin).
    workers
        Processes running Dijkstra batches (default: one per core; 1 runs in this process).

    Returns
    -------
    TravelMatrix
        Unreachable pairs hold ``np.inf`` (never zero); see :meth:`TravelMatrix.unreachable_pairs`.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    adjacency, edge_of = _packed_adjacency(network)
    unique, inverse = np.unique(nodes, return_inverse=True)
    batches = [unique[i : i + _BATCH] for i in range(0, len(unique), _BATCH)]
    workers = min(len(batches), workers or os.cpu_count() or 1)
    if multiprocessing.current_process().daemon:
        workers = 1  # a daemonic worker (e.g. a what-if sweep's pool) may not start processes
    shared = (adjacency, unique, keep_paths)
    if workers > 1:
        # scipy's Dijkstra holds the GIL (threads measured no faster), so batches go to forked processes
        # that inherit the adjacency instead of receiving it.
        global _SHARED
        _SHARED = shared
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                results = list(pool.map(_dijkstra_batch, batches))
        finally:
            _SHARED = None
    else:
        results = [_dijkstra_batch(batch, shared) for batch in batches]
    packed = np.vstack([r[0] for r in results]) if results else np.zeros((0, 0))
    time_u, dist_u = _decode(packed)
    time_s = time_u[np.ix_(inverse, inverse)]
    dist_m = dist_u[np.ix_(inverse, inverse)]
    predecessors: dict[int, np.ndarray] = {}
    if keep_paths:
        for batch, (_, preds) in zip(batches, results):
            predecessors.update({int(source): row for source, row in zip(batch, preds)})
    return TravelMatrix(network=network, nodes=nodes, time_s=time_s, dist_m=dist_m,
                        _predecessors=predecessors, _edge_of=edge_of)
