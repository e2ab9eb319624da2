"""Two weeks of lockdown (issue 17): the embedded default period 26/07–08/08/2021 run end to end as
``cli.py period`` runs it (14 day plans, one plan folder per day written beside the planning, period files),
timed, beside the peer of the same run: planning every day alone as before (everyone needs everything every
day), whose figures per day are those of the default day.

Printed per run: wall time of the whole command (the issue's target: under 10 minutes on this machine), peak
memory, tonnes due and delivered, km and trips per day, what people could not eat, the longest time a ward went
without a delivery against the promise (``max_days_without``), and the peer's day.

Usage::

    python benchmarks/period.py [--days 14] [--effort 0.3] [--engine portfolio] [--peer-effort 1.0] [--no-peer]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.period import default_calendar  # noqa: E402
from optimizer.plan import PlanOptions, run_plan  # noqa: E402
from optimizer.scenario import default_scenario  # noqa: E402


def _period(days: int, effort: float, engine: str, out: Path) -> tuple[float, float]:
    """Run ``cli.py period`` as a user would; wall seconds and peak memory (MiB) of the command."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "period", "--days", str(days), "--effort", str(effort),
                    "--engine", engine, "--out", str(out), "--quiet"], check=False, cwd=ROOT)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak


def _peer(effort: float, engine: str) -> dict:
    """The period's first day planned alone as before: every drop point, every day's need, with the same fleet
    (the calendar's extra trucks) and stock."""
    start = time.perf_counter()
    base = default_scenario()
    options = PlanOptions(effort=effort, engine=engine, workers=os.cpu_count() or 1)
    calendar = default_calendar(base)
    scenario, options = calendar.day_variant(calendar.dates[0]).apply(base, options)
    plan = run_plan(scenario, options=options)
    k = plan.kpis
    return {"wall_s": time.perf_counter() - start, "points": len(plan.stops), "due_t": k["demand_kg"] / 1000,
            "delivered_t": k["delivered_kg"] / 1000, "km": k["km"], "trips": k["trips"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--effort", type=float, default=0.3)
    parser.add_argument("--engine", default="portfolio")
    parser.add_argument("--peer-effort", type=float, default=1.0)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "period"
        wall, peak = _period(args.days, args.effort, args.engine, out)
        days = pd.read_csv(out / "days.csv")
        wards = pd.read_csv(out / "period.csv", dtype={"ward_id": str})
    n = 3
    print(f"default period, {args.days} days, engine {args.engine}, effort {args.effort}, "
          f"{os.cpu_count()} cores: {wall / 60:.1f} min wall for the whole command, peak {peak:,.0f} MiB")
    print(f"  per day: {days['points_due'].mean():.0f} drop points due, {days['due_kg'].mean() / 1000:.1f} t due, "
          f"{days['delivered_kg'].mean() / 1000:.1f} t delivered ({days['delivered_kg'].sum() / days['due_kg'].sum():.2%}), "
          f"{days['km'].mean():,.0f} km, {days['trips'].mean():.0f} trips")
    print(f"  went without: {wards['short_kg'].sum() / 1000:.1f} t over the period; longest time a ward went without "
          f"a delivery: {wards['days_since_delivery'].max()} full days (promise: at most {n - 1}, i.e. food every "
          f"{n} days); carried-over points: {days['carried_points'].sum()}")
    print(days[["date", "points_due", "due_kg", "delivered_kg", "km", "trips", "stock_end_kg", "worst_ward",
                "worst_ward_days"]].round(0).to_string(index=False))
    if not args.no_peer:
        peer = _peer(args.peer_effort, args.engine)
        print(f"peer: each day planned alone (everyone every day, the same fleet, effort {args.peer_effort}): "
              f"{peer['points']} drop "
              f"points, {peer['due_t']:.1f} t due, {peer['delivered_t']:.1f} t delivered "
              f"({peer['delivered_t'] / peer['due_t']:.2%}), {peer['km']:,.0f} km, {peer['trips']} trips per day; "
              f"{peer['wall_s']:.0f} s per day, {peer['wall_s'] * args.days / 60:.0f} min for {args.days} days "
              "without writing any file")


if __name__ == "__main__":
    main()
