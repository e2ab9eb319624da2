"""Benchmark the routing core on public VRP instances against PyVRP and VROOM.

Runs :func:`optimizer.solve.routing.solve` (the product's solver, unchanged) on the CVRP X, Solomon VRPTW and
Cordeau MDVRP instances of ``shared/benchmarks``, and the peers PyVRP and VROOM (pyvroom) with the same
time limit and one core each, when they are installed. Prints cost, gap to the best-known solution and
time per instance, then the mean gap per set.

Conventions (see ``shared/benchmarks/README.md``): X uses Euclidean distances rounded to integers and
``ceil(1.3 k) + 3`` vehicles; Solomon uses distances truncated to one decimal, travel time = distance and
25 vehicles; Cordeau uses double-precision distances and the file's vehicles per depot. Every solver gets
the same integer matrix (distance times :attr:`Instance.scale`); our cost is recomputed from the trips on
the exact matrix and checked with the independent checker of ``tests/checker.py``.

Usage::

    python benchmarks/routing.py [--sets x solomon cordeau] [--instances R101 ...] [--time-limit 30]
        [--solvers ours ours-pyvrp ours-portfolio pyvrp vroom]
"""

from __future__ import annotations

import argparse
import csv
import functools
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from checker import check_plan  # noqa: E402

from optimizer.solve.routing import Depot, RoutingOptions, RoutingProblem, Stop, Vehicle, solve  # noqa: E402

BENCHMARKS = Path(__file__).resolve().parents[1].parent / "shared/benchmarks"
SETS = {
    "x": ("cvrp_x", ["X-n101-k25", "X-n200-k36", "X-n303-k21", "X-n401-k29", "X-n502-k39", "X-n1001-k43"]),
    "solomon": ("vrptw_solomon", ["C101", "C201", "R101", "R201", "RC101", "RC201"]),
    "cordeau": ("mdvrp_cordeau", ["p01", "p02", "p03", "p04", "p05"]),
}
#: Horizon for instances without time constraints (never binding).
OPEN_HORIZON = 10**9


@dataclass(frozen=True)
class Instance:
    """One benchmark instance in neutral form; depots come first in every per-location array.

    ``dist`` is the distance under the set's convention and ``scale`` turns it into the integer matrix
    given to every solver (exact for X and Solomon); travel time equals distance, and all times (``ready``,
    ``due``, ``service``, ``max_duration``) are in those integer units.
    """

    name: str
    coords: np.ndarray
    n_depots: int
    demand: np.ndarray
    capacity: int
    vehicles_per_depot: int
    dist: np.ndarray
    scale: int
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray
    max_duration: float | None

    @property
    def int_matrix(self) -> np.ndarray:
        """Distances (= travel times) in the integer units all solvers share."""
        return np.rint(self.dist * self.scale).astype(np.int64)


def euclid(coords: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances."""
    return np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1))


def read_x(path: Path) -> Instance:
    """A CVRPLIB X instance: rounded Euclidean distances, ``ceil(1.3 k) + 3`` vehicles."""
    lines = path.read_text().splitlines()
    header = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in lines if ":" in line)}
    n = int(header["DIMENSION"])
    start = next(i for i, line in enumerate(lines) if line.startswith("NODE_COORD_SECTION")) + 1
    coords = np.array([[float(x) for x in lines[start + i].split()[1:3]] for i in range(n)])
    start = next(i for i, line in enumerate(lines) if line.startswith("DEMAND_SECTION")) + 1
    demand = np.array([int(lines[start + i].split()[1]) for i in range(n)])
    k = int(path.stem.split("-k")[1])
    zeros = np.zeros(n)
    return Instance(
        name=path.stem, coords=coords, n_depots=1, demand=demand, capacity=int(header["CAPACITY"]),
        vehicles_per_depot=math.ceil(1.3 * k) + 3, dist=np.rint(euclid(coords)), scale=1,
        ready=zeros, due=np.full(n, OPEN_HORIZON), service=zeros, max_duration=None,
    )


def read_solomon(path: Path) -> Instance:
    """A Solomon instance: distances truncated to one decimal, time = distance, 25 vehicles."""
    lines = [line.split() for line in path.read_text().splitlines()]
    vehicles, capacity = next(map(int, row) for row in lines if len(row) == 2 and row[0].isdigit())
    rows = np.array([[float(x) for x in row] for row in lines if len(row) == 7 and row[0].isdigit()])
    coords = rows[:, 1:3]
    return Instance(
        name=path.stem, coords=coords, n_depots=1, demand=rows[:, 3].astype(int), capacity=capacity,
        vehicles_per_depot=vehicles, dist=np.floor(euclid(coords) * 10) / 10, scale=10,
        ready=rows[:, 4] * 10, due=rows[:, 5] * 10, service=rows[:, 6] * 10, max_duration=None,
    )


def read_cordeau(path: Path) -> Instance:
    """A Cordeau MDVRP instance: double-precision distances, vehicles per depot from the header."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    _, vehicles, n, depots = map(int, lines[0])
    duration, capacity = map(float, lines[1])
    customers = np.array([[float(x) for x in row[:5]] for row in lines[1 + depots : 1 + depots + n]])
    depot_rows = np.array([[float(x) for x in row[:3]] for row in lines[1 + depots + n : 1 + 2 * depots + n]])
    coords = np.vstack([depot_rows[:, 1:3], customers[:, 1:3]])
    size = depots + n
    return Instance(
        name=path.stem, coords=coords, n_depots=depots,
        demand=np.concatenate([np.zeros(depots, int), customers[:, 4].astype(int)]), capacity=int(capacity),
        vehicles_per_depot=vehicles, dist=euclid(coords), scale=10_000, ready=np.zeros(size),
        due=np.full(size, OPEN_HORIZON), service=np.concatenate([np.zeros(depots), customers[:, 3]]) * 10_000,
        max_duration=duration * 10_000 or None,
    )


READERS: dict[str, Callable[[Path], Instance]] = {"x": read_x, "solomon": read_solomon, "cordeau": read_cordeau}


def to_problem(inst: Instance) -> RoutingProblem:
    """The instance as a product problem: cost 1 per distance unit (``cost_per_km=1000``), no fixed cost."""
    duration = None if inst.max_duration is None else int(inst.max_duration)
    depots = [Depot(f"d{d}", d, 0, int(inst.due[d])) for d in range(inst.n_depots)]
    stops = [
        Stop(f"c{i}", i, float(inst.demand[i]), tw_start_s=int(inst.ready[i]), tw_end_s=int(inst.due[i]),
             service_s=int(inst.service[i]))
        for i in range(inst.n_depots, len(inst.coords))
    ]
    vehicles = [
        Vehicle(f"v{d}.{k}", inst.capacity, d, shift_end_s=int(inst.due[d]), max_duration_s=duration,
                cost_per_km=1000.0)
        for d in range(inst.n_depots) for k in range(inst.vehicles_per_depot)
    ]
    times = inst.int_matrix.astype(float)
    return RoutingProblem(depots, stops, vehicles, {"truck": times}, {"truck": inst.dist})


def run_ours(inst: Instance, limit_s: float, engine: str = "ortools") -> tuple[float | None, str]:
    """Our solver with ``engine``, time-bound (no deterministic budget); cost from the trips, feasibility from
    the checker. The portfolio runs its two engines in two processes (a two-core figure)."""
    problem = to_problem(inst)
    options = RoutingOptions(time_limit_s=limit_s, solution_limit=0, cross_depot=True, engine=engine,
                             workers=2 if engine == "portfolio" else 1)
    result = solve(problem, options)
    errors = check_plan(problem, result, cross_depot=True)
    if result.unserved or errors:
        return None, f"{len(result.unserved)} unserved, {len(errors)} violations"
    return sum(t.dist_m for t in result.trips), result.strategy_used


def run_pyvrp(inst: Instance, limit_s: float) -> tuple[float | None, str]:
    """PyVRP's iterated local search on the shared integer matrix."""
    depots = [pyvrp.Depot(d, tw_early=0, tw_late=int(inst.due[d])) for d in range(inst.n_depots)]
    clients = [
        pyvrp.Client(i, delivery=[int(inst.demand[i])], service_duration=int(inst.service[i]),
                     tw_early=int(inst.ready[i]), tw_late=int(inst.due[i]))
        for i in range(inst.n_depots, len(inst.coords))
    ]
    shift = {} if inst.max_duration is None else {"shift_duration": int(inst.max_duration)}
    types = [
        pyvrp.VehicleType(inst.vehicles_per_depot, capacity=[inst.capacity], start_depot=d, end_depot=d,
                          tw_early=0, tw_late=int(inst.due[d]), **shift)
        for d in range(inst.n_depots)
    ]
    locations = [pyvrp.Location(float(x), float(y)) for x, y in inst.coords]
    matrix = inst.int_matrix
    data = pyvrp.ProblemData(locations, clients, depots, types, [matrix], [matrix])
    best = pyvrp.solve(data, MaxRuntime(limit_s), seed=0, display=False).best
    return (best.distance() / inst.scale, "") if best.is_feasible() else (None, "infeasible")


def run_vroom(inst: Instance, limit_s: float) -> tuple[float | None, str]:
    """VROOM at exploration level 5 on one thread, on the shared integer matrix."""
    import vroom

    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=inst.int_matrix)
    window = {d: vroom.TimeWindow(0, int(inst.due[d])) for d in range(inst.n_depots)}
    limit = {} if inst.max_duration is None else {"max_travel_time": int(inst.max_duration)}
    problem.add_vehicle([
        vroom.Vehicle(d * inst.vehicles_per_depot + k, start=d, end=d, capacity=[inst.capacity],
                      time_window=window[d], **limit)
        for d in range(inst.n_depots) for k in range(inst.vehicles_per_depot)
    ])
    problem.add_job([
        vroom.Job(i, location=i, delivery=[int(inst.demand[i])], default_service=int(inst.service[i]),
                  time_windows=[vroom.TimeWindow(int(inst.ready[i]), int(inst.due[i]))])
        for i in range(inst.n_depots, len(inst.coords))
    ])
    solution = problem.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=limit_s))
    if solution.summary.unassigned:
        return None, f"{solution.summary.unassigned} unassigned"
    return solution.summary.cost / inst.scale, ""


def peers(requested: list[str]) -> dict[str, Callable[[Instance, float], tuple[float | None, str]]]:
    """The solvers to run; a peer that is not installed is skipped with a note."""
    available = {"ours": run_ours, "ours-pyvrp": functools.partial(run_ours, engine="pyvrp"),
                 "ours-portfolio": functools.partial(run_ours, engine="portfolio")}
    for name, module, runner in (("pyvrp", "pyvrp", run_pyvrp), ("vroom", "vroom", run_vroom)):
        if name not in requested:
            continue
        try:
            __import__(module)
        except ImportError:
            print(f"note: {name} is not installed (pip install {'pyvroom' if name == 'vroom' else name}); skipped")
            continue
        available[name] = runner
    return {name: available[name] for name in requested if name in available}


def best_known(folder: Path) -> dict[str, float]:
    """Best-known costs of a set."""
    with open(folder / "bks.csv", newline="") as handle:
        return {row["instance"]: float(row["bks_cost"]) for row in csv.DictReader(handle)}


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run every solver on every instance and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--instances", nargs="+", help="only these instances (names as in bks.csv)")
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance and solver")
    parser.add_argument("--solvers", nargs="+", choices=["ours", "ours-pyvrp", "ours-portfolio", "pyvrp", "vroom"],
                        default=["ours", "pyvrp", "vroom"],
                        help="'ours-pyvrp' is our solver with its PyVRP engine (RoutingOptions.engine)")
    args = parser.parse_args(argv)

    solvers = peers(args.solvers)
    print(f"time limit {args.time_limit:g} s per instance and solver, one core each")
    print(f"{'instance':<12} {'solver':<10} {'cost':>10} {'gap %':>7} {'time s':>7}  note")
    for set_name in args.sets:
        folder_name, names = SETS[set_name]
        folder = BENCHMARKS / folder_name
        bks = best_known(folder)
        gaps: dict[str, list[float]] = {name: [] for name in solvers}
        for name in names:
            if args.instances and name not in args.instances:
                continue
            path = folder / (name + (".vrp" if set_name == "x" else ".txt"))
            inst = READERS[set_name](path)
            for solver, run in solvers.items():
                started = time.monotonic()
                cost, note = run(inst, args.time_limit)
                elapsed = time.monotonic() - started
                if cost is None:
                    print(f"{name:<12} {solver:<10} {'-':>10} {'-':>7} {elapsed:7.1f}  no feasible solution: {note}")
                    gaps[solver].append(math.nan)
                    continue
                gap = 100 * (cost - bks[name]) / bks[name]
                gaps[solver].append(gap)
                print(f"{name:<12} {solver:<10} {cost:10.1f} {gap:7.2f} {elapsed:7.1f}  {note}", flush=True)
        for solver, values in gaps.items():
            if values:
                mean = "failed on some" if any(math.isnan(v) for v in values) else f"{np.mean(values):.2f} %"
                print(f"mean gap {set_name} {solver}: {mean} over {len(values)} instances", flush=True)


if __name__ == "__main__":
    main()
