"""A province-sized day planned end to end, beside the default day in the same run (issue 14).

:func:`optimizer.scenario.province_scenario` scales the embedded default day up (five times the drop points and
the vehicles: some 5,900 points, 485 vehicles). Each scale is planned in a fresh process (so the peak memory is
that plan's own) with the product's default options; the script prints the seconds per stage, the total, the
peak resident memory (the planning process and its matrix workers), and what the plan delivered.

Target (issue 14): the province-sized day within 5 minutes on a 2-core machine.

Usage::

    python benchmarks/province.py [--scales 1 5] [--engine ortools] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.plan import PlanOptions, run_plan  # noqa: E402
from optimizer.scenario import province_scenario  # noqa: E402


def _plan(scale: int, engine: str, workers: int, queue) -> None:
    """Plan one scale and put its figures on ``queue`` (runs in a child process)."""
    stages: dict[str, float] = {}
    last = [None, time.monotonic()]

    def progress(stage: str, done: int = 0, total: int = 0, detail: str = "") -> None:
        if stage == last[0]:  # a step within the stage (a routing round): the stage goes on
            return
        now = time.monotonic()
        if last[0] is not None:
            stages[last[0]] = now - last[1]
        last[:] = [stage, now]

    started = time.monotonic()
    plan = run_plan(province_scenario(scale=scale), options=PlanOptions(engine=engine, workers=workers),
                    progress=progress)
    total = time.monotonic() - started
    stages[str(last[0])] = time.monotonic() - float(last[1])
    peak_kb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
               + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    k = plan.kpis
    queue.put({"scale": scale, "points": k["drop_points"], "vehicles": k["vehicles_available"],
               "seconds": total, "stages": stages, "peak_mb": peak_kb / 1024, "delivered_t": k["delivered_kg"] / 1000,
               "share": k["served_share"], "km": k["km"], "hours": k["hours"], "trips": k["trips"],
               "stopped_by": k["routing"]["stopped_by"], "cut": bool(plan.cut_by_time_limit)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--engine", default="ortools")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for scale in args.scales:
        queue = multiprocessing.get_context("spawn").Queue()
        child = multiprocessing.get_context("spawn").Process(target=_plan, args=(scale, args.engine, args.workers,
                                                                                  queue))
        child.start()
        row = queue.get()
        child.join()
        rows.append(row)
        print(json.dumps(row))
    print(f"\nengine {args.engine}, workers {args.workers}")
    print(f"{'scale':>5} {'points':>7} {'vehicles':>8} {'total s':>8} {'peak MB':>8} {'delivered':>10} {'share':>7} "
          f"{'km':>8} {'veh-h':>7} {'trips':>6}  stopped by / stages (s)")
    for r in rows:
        stages = " ".join(f"{k} {v:.0f}" for k, v in r["stages"].items())
        print(f"{r['scale']:>5} {r['points']:>7,} {r['vehicles']:>8} {r['seconds']:>8.0f} {r['peak_mb']:>8,.0f} "
              f"{r['delivered_t']:>8.1f} t {r['share']:>7.1%} {r['km']:>8,.0f} {r['hours']:>7.0f} {r['trips']:>6}  "
              f"{r['stopped_by']}{' (CUT)' if r['cut'] else ''} / {stages}")


if __name__ == "__main__":
    main()
