"""Routing quality on instances generated here, of the three families of ``shared/benchmarks`` (issue 14).

Settings chosen on six shared instances may not carry over, so this script draws fresh instances of each
family from a seed and runs our solver (OR-Tools engine, PyVRP engine, and the two-core portfolio) beside plain
PyVRP, with the same time limit and one core per engine. No best-known solution exists, so the gap is to the
best cost any solver found in the run.

* ``x``: CVRP, 150–400 customers, depot central, eccentric or random, customers random, clustered or mixed,
  demands small or large against the capacity (the X generator's axes, Uchoa et al. 2017); rounded
  Euclidean distances, ``ceil(1.3 k) + 3`` vehicles.
* ``solomon``: VRPTW, 100 customers random or clustered, short horizon with small vehicles (type 1) or long
  horizon with large vehicles (type 2), windows around a feasible visit time; distances truncated to one
  decimal; time = distance.
* ``cordeau``: MDVRP, 4 depots, 100–200 customers, capacity 200 or 150, with or without a route length limit.

Usage::

    python benchmarks/generated.py [--sets x solomon cordeau] [--per-set 3] [--time-limit 20] [--seed 2026]
        [--solvers ours ours-pyvrp ours-portfolio pyvrp]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing import OPEN_HORIZON, Instance, euclid, peers  # noqa: E402


def _customers(rng: np.random.Generator, n: int, layout: str, size: float) -> np.ndarray:
    if layout == "random":
        return rng.uniform(0, size, (n, 2))
    seeds = rng.uniform(0.1 * size, 0.9 * size, (int(rng.integers(3, 8)), 2))
    clustered = seeds[rng.integers(0, len(seeds), n)] + rng.normal(0, size / 25, (n, 2))
    if layout == "clustered":
        return np.clip(clustered, 0, size)
    return np.where(rng.random((n, 1)) < 0.5, np.clip(clustered, 0, size), rng.uniform(0, size, (n, 2)))


def make_x(rng: np.random.Generator, k: int) -> Instance:
    n = int(rng.integers(150, 401))
    layout = ["random", "clustered", "mixed"][k % 3]
    depot = {0: [500.0, 500.0], 1: [0.0, 0.0], 2: list(rng.uniform(0, 1000, 2))}[k % 3]
    coords = np.vstack([depot, _customers(rng, n, layout, 1000.0)])
    small = rng.random() < 0.5
    demand = np.concatenate([[0], rng.integers(1, 11 if small else 101, n)])
    per_route = float(rng.uniform(6, 20))
    capacity = int(math.ceil(demand.sum() / (n / per_route)))
    capacity = max(capacity, int(demand.max()))
    routes = math.ceil(demand.sum() / capacity)
    zeros = np.zeros(n + 1)
    return Instance(f"gX-{k}-n{n}", coords, 1, demand, capacity, math.ceil(1.3 * routes) + 3,
                    np.rint(euclid(coords)), 1, zeros, np.full(n + 1, OPEN_HORIZON), zeros, None)


def make_solomon(rng: np.random.Generator, k: int) -> Instance:
    n, layout = 100, ["random", "clustered"][k % 2]
    long_horizon = k % 3 == 2
    horizon, capacity, service = (1000.0, 700, 10.0) if long_horizon else (230.0, 200, 10.0)
    if layout == "clustered":
        service = 90.0 if long_horizon else 90.0 / 3
    coords = np.vstack([[50.0, 50.0], _customers(rng, n, layout, 100.0)])
    dist = np.floor(euclid(coords) * 10) / 10
    demand = np.concatenate([[0], rng.integers(1, 41, n)])
    width = rng.uniform(0.05, 0.25 if long_horizon else 0.15, n) * horizon
    latest = horizon - dist[1:, 0] - service
    centre = np.array([rng.uniform(dist[0, i + 1], max(dist[0, i + 1] + 1, latest[i])) for i in range(n)])
    ready = np.concatenate([[0.0], np.maximum(0, np.floor(centre - width / 2))])
    due = np.concatenate([[horizon], np.minimum(np.floor(latest), np.ceil(centre + width / 2))])
    due[1:] = np.maximum(due[1:], ready[1:] + 1)
    svc = np.concatenate([[0.0], np.full(n, service)])
    return Instance(f"gS-{k}-{layout[0]}{2 if long_horizon else 1}", coords, 1, demand, capacity, 25, dist, 10,
                    ready * 10, due * 10, svc * 10, None)


def make_cordeau(rng: np.random.Generator, k: int) -> Instance:
    n, depots = int(rng.choice([100, 150, 200])), 4
    layout = ["random", "clustered", "mixed"][k % 3]
    coords = np.vstack([rng.uniform(-60, 60, (depots, 2)), _customers(rng, n, layout, 200.0) - 100.0])
    capacity = int(rng.choice([200, 150]))
    demand = np.concatenate([np.zeros(depots, int), rng.integers(1, 26, n)])
    vehicles = math.ceil(demand.sum() / capacity / depots * 1.25) + 1
    limit = float(rng.choice([0.0, 400.0]))
    size = depots + n
    return Instance(f"gC-{k}-n{n}", coords, depots, demand, capacity, vehicles, euclid(coords), 10_000,
                    np.zeros(size), np.full(size, OPEN_HORIZON), np.zeros(size), limit * 10_000 or None)


MAKERS = {"x": make_x, "solomon": make_solomon, "cordeau": make_cordeau}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=MAKERS, default=list(MAKERS))
    parser.add_argument("--per-set", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--solvers", nargs="+", default=["ours", "ours-pyvrp", "ours-portfolio", "pyvrp"])
    args = parser.parse_args(argv)
    solvers = peers(args.solvers)
    print(f"time limit {args.time_limit:g} s per instance and solver, one core per engine; gap to the run's best")
    for set_name in args.sets:
        rng = np.random.default_rng([args.seed, list(MAKERS).index(set_name)])
        gaps: dict[str, list[float]] = {s: [] for s in solvers}
        for k in range(args.per_set):
            inst = MAKERS[set_name](rng, k)
            costs = {}
            for solver, run in solvers.items():
                started = time.monotonic()
                cost, note = run(inst, args.time_limit)
                costs[solver] = (cost, note, time.monotonic() - started)
            best = min(c for c, _, _ in costs.values() if c is not None)
            for solver, (cost, note, seconds) in costs.items():
                gap = math.nan if cost is None else 100 * (cost - best) / best
                gaps[solver].append(gap)
                shown = "-" if cost is None else f"{cost:10.1f}"
                print(f"{inst.name:<14} {solver:<15} {shown:>10} {gap:7.2f} {seconds:6.1f}  {note}", flush=True)
        for solver, values in gaps.items():
            print(f"mean gap {set_name} {solver}: {np.nanmean(values):.2f} % "
                  f"({sum(map(math.isnan, values))} without a feasible plan)", flush=True)


if __name__ == "__main__":
    main()
