"""Travel-time matrices against networkx on the real truck network; unreachable pairs are reported."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely

from optimizer.network import Closure, load_network
from optimizer.network.matrix import travel_matrix


def test_matrix_matches_networkx_dijkstra(truck_network):
    rng = np.random.default_rng(7)
    nodes = rng.choice(len(truck_network.nodes), 40, replace=False)
    matrix = travel_matrix(truck_network, nodes)
    edges = truck_network.open_edges.sort_values("time_s").drop_duplicates(["u", "v"])
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(zip(edges["u"], edges["v"], edges["time_s"]))
    for i in range(5):
        lengths = nx.single_source_dijkstra_path_length(graph, int(nodes[i]), weight="weight")
        expected = np.array([lengths[int(n)] for n in nodes])
        # Times are packed in centiseconds per edge: a few tenths of a second over a long path.
        assert np.allclose(matrix.time_s[i], expected, atol=0.5)
    assert np.all(np.diag(matrix.time_s) == 0)
    # Distances belong to the fastest path: they equal the summed lengths of its edges.
    for i, j in [(0, 1), (2, 3), (5, 9)]:
        assert matrix.dist_m[i, j] == pytest.approx(matrix.leg_edges(i, j)["length_m"].sum(), abs=1.0)


def test_repeated_nodes_are_computed_once_and_expanded(truck_network):
    matrix = travel_matrix(truck_network, np.array([5, 5, 10]))
    assert matrix.time_s.shape == (3, 3)
    assert matrix.time_s[0, 1] == 0
    assert matrix.time_s[0, 2] == matrix.time_s[1, 2]


def test_unreachable_pairs_are_inf_not_zero(truck_network):
    # Close every road around one junction: it can no longer be reached nor left.
    node = truck_network.nodes.iloc[100]
    ring = shapely.Point(node.x, node.y).buffer(0.0005)
    closed = load_network(profile="truck", closures=[Closure("polygon", ring)])
    matrix = travel_matrix(closed, np.array([100, 2000]))
    assert np.isinf(matrix.time_s[0, 1]) and np.isinf(matrix.time_s[1, 0])
    assert np.isinf(matrix.dist_m[0, 1])
    assert {tuple(p) for p in matrix.unreachable_pairs()} == {(0, 1), (1, 0)}
    with pytest.raises(ValueError, match="cannot be reached"):
        matrix.leg_edges(0, 1)
