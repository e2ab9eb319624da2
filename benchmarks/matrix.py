"""Network build time (cold and cached) and travel-time matrices against networkx's Dijkstra.

Run: ``python benchmarks/matrix.py`` (prints figures; targets: cached load < 2 s, 2,000 × 2,000 matrix
< 10 s, at least 20× faster than the networkx loop on the same pairs).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import networkx as nx
import numpy as np

from optimizer.network.matrix import travel_matrix
from optimizer.network import load_network


def _timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--networkx-sources", type=int, default=50,
                        help="sources run through networkx (its time is scaled to the full size)")
    args = parser.parse_args()

    import os

    with tempfile.TemporaryDirectory() as cache:
        os.environ["KHFOOD_CACHE"] = cache
        _, cold = _timed(lambda: load_network(profile="truck"))
        network, warm = _timed(lambda: load_network(profile="truck"))
    print(f"network build (cold, no cache): {cold:6.2f} s")
    print(f"network load (cached):          {warm:6.2f} s   target < 2 s")
    print(f"truck network: {len(network.nodes):,} nodes, {len(network.edges):,} edges")

    edges = network.open_edges.sort_values("time_s").drop_duplicates(["u", "v"])
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(zip(edges["u"], edges["v"], edges["time_s"]))
    rng = np.random.default_rng(0)
    for size in args.sizes:
        nodes = rng.choice(len(network.nodes), size, replace=False)
        matrix, ours = _timed(lambda: travel_matrix(network, nodes))
        sample = nodes[: args.networkx_sources]

        def networkx_rows():
            return [nx.single_source_dijkstra_path_length(graph, int(s), weight="weight") for s in sample]

        rows, nx_time = _timed(networkx_rows)
        nx_full = nx_time * size / len(sample)
        error = max(abs(rows[i][int(t)] - matrix.time_s[i, j]) for i in range(len(sample)) for j, t in enumerate(nodes))
        print(
            f"{size:,} x {size:,}: ours {ours:6.2f} s | networkx {nx_full:7.1f} s "
            f"(measured {nx_time:.2f} s on {len(sample)} sources, scaled) | ratio {nx_full / ours:5.1f}x | "
            f"max |diff| {error:.2f} s"
        )


if __name__ == "__main__":
    main()
