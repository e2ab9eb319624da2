"""Benchmark the facility-location solver on the OR-Library capacitated instances (cap41 ... cap131, capb).

The published optima (``bks.csv``) are for *splittable* demand; each instance is solved in
splittable mode and compared with them, beside the heuristic's plan alone. ``capb`` (100
facilities x 1,000 customers) comes in the four capacity variants of ``bks.csv``. A single-source column (a harder problem, higher
optimum, no published figure here) is reported too.

``--synthetic`` adds a Khánh Hòa-sized synthetic instance (2,000 points × 12 depots ×
2 commodities, single-source, then 67 ward groups), and ``--backends`` compares the
solver backends on the single-source problems (how the default backend was chosen).

Usage::

    python benchmarks/facility_location.py [--time-limit 60] [--instances cap41,cap71]
        [--no-single-source] [--synthetic] [--backends cp-sat,highs,scip]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.solve import facility  # noqa: E402
from optimizer.solve.facility import FacilityLocationResult, solve_facility_location  # noqa: E402

#: The OR-Library files: ``shared/benchmarks/cflp_orlib`` beside the checkout (or a worktree's parents).
ORLIB_DIR = next(
    (d / "shared/benchmarks/cflp_orlib" for d in Path(__file__).resolve().parents[1:]
     if (d / "shared/benchmarks/cflp_orlib").is_dir()),
    Path(__file__).resolve().parents[1].parent / "shared/benchmarks/cflp_orlib",
)


def read_orlib(path: Path, capacity_value: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read an OR-Library capacitated file: (cost, demand, capacity, fixed_cost).

    Format: ``m n``; ``m`` lines ``capacity fixed_cost``; then per customer its demand followed
    by ``m`` costs, each the cost of allocating *all* of the customer's demand to that facility.
    The large files (``capb``) write the literal word ``capacity``: every facility then gets
    ``capacity_value`` (the variants ``capb-5000`` ... ``capb-8000`` of ``bks.csv``).
    """
    tokens = path.read_text().split()
    if capacity_value is not None:
        tokens = [str(capacity_value) if t == "capacity" else t for t in tokens]
    m, n = int(tokens[0]), int(tokens[1])
    pos = 2
    capacity = np.empty(m)
    fixed = np.empty(m)
    for j in range(m):
        capacity[j], fixed[j] = float(tokens[pos]), float(tokens[pos + 1])
        pos += 2
    demand = np.empty(n)
    cost = np.empty((n, m))
    for i in range(n):
        demand[i] = float(tokens[pos])
        cost[i] = [float(t) for t in tokens[pos + 1 : pos + 1 + m]]
        pos += 1 + m
    if pos != len(tokens):
        raise ValueError(f"{path}: {len(tokens) - pos} unread tokens")
    return cost, demand, capacity, fixed


def load(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An instance by its ``bks.csv`` name: ``cap41`` is ``cap41.txt``, ``capb-5000`` is ``capb.txt`` at capacity 5000."""
    stem, _, value = name.partition("-")
    return read_orlib(ORLIB_DIR / f"{stem}.txt", float(value) if value else None)


def instance_names() -> list[str]:
    """Every instance of ``bks.csv`` whose file is present, small ones first."""
    return [n for n in read_bks(ORLIB_DIR / "bks.csv") if (ORLIB_DIR / f"{n.partition('-')[0]}.txt").exists()]


def read_bks(path: Path) -> dict[str, float]:
    with path.open(newline="") as f:
        return {row["instance"]: float(row["bks_cost"]) for row in csv.DictReader(f)}


def synthetic(seed: int = 2021) -> dict[str, np.ndarray]:
    """A Khánh Hòa-sized single-source instance: 2,000 drop points, 12 depots, rice and oil.

    Points lie along a 40 × 15 km coastal strip, travel time is straight-line distance × 1.3
    at 25 km/h, cost = travel seconds × kg, reach limit 1 h. Stock is 110 % of demand for
    rice, 130 % for oil, unevenly spread (two depots hold almost no oil). ``groups`` puts each
    point in the nearest of 67 ward centres.
    """
    rng = np.random.default_rng(seed)
    n_points, n_depots, n_wards = 2000, 12, 67
    centres = rng.uniform([0, 0], [15, 40], size=(n_wards, 2))
    ward = rng.integers(0, n_wards, size=n_points)
    points = centres[ward] + rng.normal(0, 0.8, size=(n_points, 2))
    depots = rng.uniform([0, 0], [15, 40], size=(n_depots, 2))
    dist_km = np.linalg.norm(points[:, None, :] - depots[None, :, :], axis=2)
    travel_s = dist_km * 1.3 / 25.0 * 3600.0
    demand = np.column_stack([rng.uniform(5, 50, n_points), rng.uniform(1, 10, n_points)]).round(1)
    share = rng.dirichlet(np.full(n_depots, 3.0), size=2).T  # (depots, commodities)
    share[:2, 1] = 0.002
    capacity = (share / share.sum(axis=0)) * demand.sum(axis=0) * np.array([1.10, 1.30])
    cost = travel_s * demand.sum(axis=1)[:, None]
    nearest_ward = np.argmin(np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2), axis=1)
    return {
        "cost": cost,
        "demand": demand,
        "capacity": capacity.round(0),
        "reachable": travel_s <= 3600.0,
        "groups": nearest_ward,
    }


@contextlib.contextmanager
def backend(name: str | None) -> Iterator[None]:
    """Temporarily force the backend for both modes (for measurement only)."""
    if name is None:
        yield
        return
    saved = facility._BACKEND_SINGLE, facility._BACKEND_SPLIT
    facility._BACKEND_SINGLE = name
    if name != "cp-sat":  # CP-SAT has no continuous variables
        facility._BACKEND_SPLIT = name
    try:
        yield
    finally:
        facility._BACKEND_SINGLE, facility._BACKEND_SPLIT = saved


def _fmt(r: FacilityLocationResult) -> str:
    return f"{r.objective:>14.3f} {r.best_bound:>14.3f} {100 * r.gap:>8.4f} {r.solve_time_s:>7.2f} {r.status:<9}"


#: Target per instance (percent above the published optimum): the optimum itself on the small files,
#: within 1 % on the 100 x 1,000 ``capb`` variants (issue 14).
SMALL_TARGET, LARGE_TARGET, LARGE_ARCS = 0.01, 1.0, 50_000

#: A time limit no solver can use: the call then returns the heuristic's plan (what its columns show).
HEURISTIC_ONLY = 1e-9


def run_orlib(names: list[str], time_limit: float, single_source: bool, backends: list[str | None]) -> list[str]:
    """Print the table; return the instances whose splittable objective misses its target."""
    bks = read_bks(ORLIB_DIR / "bks.csv")
    print(f"OR-Library capacitated instances ({ORLIB_DIR}), time limit {time_limit:g} s; splittable unless said")
    print("heur = heuristic alone (MIP given no time); vs opt = % above the published optimum; vs bnd = gap to")
    print("the proven bound (the solver's, or the weak LP bound of facility._weak_bound when the solver proved less)")
    head = (
        f"{'instance':<10} {'size':>8} {'heur obj':>14} {'heur s':>6} {'backend':<15} {'objective':>14} "
        f"{'optimum':>14} {'vs opt %':>8} {'vs bnd %':>8} {'time s':>7} {'status':<8}"
    )
    if single_source:
        head += f" | single-source: {'heur obj':>14} {'backend':<15} {'objective':>14} {'bound':>14} {'gap %':>8} {'time s':>7} {'status':<9} unserved"
    print(head)
    misses = []
    for name in names:
        cost, demand, capacity, fixed = load(name)
        target = LARGE_TARGET if cost.size >= LARGE_ARCS else SMALL_TARGET
        for b in backends:
            with backend(b):
                heur = solve_facility_location(cost, demand, capacity, fixed_cost=fixed, splittable=True,
                                               time_limit_s=HEURISTIC_ONLY)
                split = solve_facility_location(
                    cost, demand, capacity, fixed_cost=fixed, splittable=True, time_limit_s=time_limit
                )
                opt = bks.get(name, float("nan"))
                gap_opt = 100 * (split.objective - opt) / opt
                if not gap_opt < target:
                    misses.append(f"{name} ({split.backend}, {gap_opt:.3f} %)")
                line = (
                    f"{name:<10} {cost.shape[1]:>3}x{cost.shape[0]:<4} {heur.objective:>14.3f} {heur.solve_time_s:>6.2f} "
                    f"{split.backend:<15} {split.objective:>14.3f} {opt:>14.3f} {gap_opt:>8.4f} {100 * split.gap:>8.4f} "
                    f"{split.solve_time_s:>7.2f} {split.status:<8}"
                )
                if single_source:
                    single_heur = solve_facility_location(cost, demand, capacity, fixed_cost=fixed,
                                                          time_limit_s=HEURISTIC_ONLY)
                    single = solve_facility_location(cost, demand, capacity, fixed_cost=fixed, time_limit_s=time_limit)
                    line += f" | {'':>14} {single_heur.objective:>14.3f} {single.backend:<15} {_fmt(single)} {len(single.unassigned)}"
            print(line, flush=True)
    return misses


def run_synthetic(time_limit: float, backends: list[str | None]) -> None:
    inst = synthetic()
    print(f"\nSynthetic 2000 points x 12 depots x 2 commodities (single-source), time limit {time_limit:g} s")
    print(f"{'variant':<24} {'backend':<7} {'objective':>14} {'bound':>14} {'gap %':>8} {'time s':>7} {'status':<9} unassigned")
    fixed = np.full(12, 2.0e7)
    variants = {
        "points": {},
        "points, max_open=8": {"max_open": 8, "fixed_cost": fixed},
        "67 groups": {"groups": inst["groups"]},
        "67 groups, max_open=8": {"groups": inst["groups"], "max_open": 8, "fixed_cost": fixed},
    }
    for label, extra in variants.items():
        for b in backends:
            with backend(b):
                r = solve_facility_location(
                    inst["cost"], inst["demand"], inst["capacity"], reachable=inst["reachable"],
                    time_limit_s=time_limit, **extra,
                )
            print(f"{label:<24} {r.backend:<7} {_fmt(r)} {len(r.unassigned)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (default 60)")
    parser.add_argument("--instances", default="", help="comma-separated names or substrings (default all)")
    parser.add_argument("--no-single-source", action="store_true", help="skip the single-source column")
    parser.add_argument("--synthetic", action="store_true", help="also run the 2000x12x2 synthetic instance")
    parser.add_argument("--no-orlib", action="store_true", help="skip the OR-Library instances")
    parser.add_argument("--backends", default="", help="comma list of cp-sat,highs,scip to compare (default: module choice)")
    args = parser.parse_args(argv)

    names = instance_names()
    if args.instances:
        wanted = [w.strip() for w in args.instances.split(",") if w.strip()]
        names = [n for n in names if any(w == n or w in n for w in wanted)]
    backends: list[str | None] = [b.strip() for b in args.backends.split(",") if b.strip()] or [None]
    misses: list[str] = []
    if not args.no_orlib:
        misses = run_orlib(names, args.time_limit, not args.no_single_source, backends)
        targets = f"splittable: < {SMALL_TARGET} % above the optimum, < {LARGE_TARGET} % on {LARGE_ARCS:,}+ arcs"
        print(f"target ({targets}): {'missed by ' + ', '.join(misses) if misses else 'all met'}")
    if args.synthetic:
        run_synthetic(args.time_limit, backends)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
