"""The routing engines on the embedded default day, in one table (issue 14).

Plans the default day with ``--engine ortools``, ``pyvrp`` and ``portfolio`` (both engines per depot, the better
checked routes kept; two processes) with the default options, and prints delivered tonnes, km, vehicle-hours,
the green wards' smallest share and the wall time per engine; then which engine the portfolio kept how often,
and whether the portfolio delivered at least as much as either engine alone. With ``--check-workers`` it also
plans with OR-Tools in two processes and says whether the plan equals the serial one.

Usage::

    python benchmarks/engines.py [--engines ortools pyvrp portfolio] [--workers 2] [--check-workers]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.plan import PlanOptions, run_plan  # noqa: E402
from optimizer.scenario import default_scenario  # noqa: E402

ROUTE_KEY = ["vehicle_id", "trip", "seq", "stop_id", "quantity_kg"]


def _timed(options: PlanOptions):
    started = time.monotonic()
    plan = run_plan(default_scenario(), options=options)
    return plan, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["ortools", "pyvrp", "portfolio"])
    parser.add_argument("--workers", type=int, default=2, help="processes of the portfolio")
    parser.add_argument("--check-workers", action="store_true")
    args = parser.parse_args()
    plans = {}
    print(f"{'engine':<10} {'delivered':>10} {'share':>7} {'km':>8} {'veh-h':>7} {'trips':>6} {'green min':>9} "
          f"{'time':>7}  stopped by")
    for engine in args.engines:
        workers = args.workers if engine == "portfolio" else 1
        plan, seconds = _timed(PlanOptions(engine=engine, workers=workers))
        plans[engine] = plan
        k = plan.kpis
        green = k["fairness_by_grade"].get("green", {}).get("min_share", 1.0)
        print(f"{engine:<10} {k['delivered_kg'] / 1000:>8.1f} t {k['served_share']:>7.1%} {k['km']:>8,.0f} "
              f"{k['hours']:>7.1f} {k['trips']:>6} {green:>9.1%} {seconds:>6.0f} s  {k['routing']['stopped_by']}"
              f"{' (CUT)' if plan.cut_by_time_limit else ''}")
    if "portfolio" in plans:
        kept = collections.Counter(c["engine"] for r in plans["portfolio"].kpis["routing"]["rounds"]
                                   for c in r.get("engines", []))
        print(f"\nportfolio kept, over every depot sub-problem of every round: {dict(kept)}")
        alone = [e for e in plans if e != "portfolio"]
        least = plans["portfolio"].kpis["delivered_kg"]
        for engine in alone:
            other = plans[engine].kpis["delivered_kg"]
            print(f"portfolio {least / 1000:.1f} t vs {engine} {other / 1000:.1f} t: "
                  f"{'not less' if least >= other - 0.5 else 'LESS'}")
    if args.check_workers:
        parallel, seconds = _timed(PlanOptions(engine="ortools", workers=2))
        serial = plans.get("ortools") or _timed(PlanOptions(engine="ortools"))[0]
        same = serial.routes[ROUTE_KEY].reset_index(drop=True).equals(parallel.routes[ROUTE_KEY].reset_index(drop=True))
        print(f"\nOR-Tools in 2 processes: {seconds:.0f} s, plan {'identical to' if same else 'DIFFERENT from'} serial")


if __name__ == "__main__":
    main()
