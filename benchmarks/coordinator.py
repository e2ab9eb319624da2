"""The coordinator's rules on the embedded default day, with its peers in the same run (issue 13).

Plans the default day three ways on the same fleet and stock and prints, side by side:

* ``coordinated``: the product's default (locality-first assignment, lending rounds, fair shares);
* ``no lending``: every depot with its own vehicles only (``--no-lending``);
* ``no fair shares``: lending, but all-or-nothing per drop point;
* ``Ninh Hòa +10 trucks``: the coordinated plan with ten more 5 t trucks at the Ninh Hòa warehouse (the what-if
  that used to lower Ninh Hòa's own service, its stock being sent elsewhere);

then, for the coordinated plan, the rule checks of issue 13: stops beyond reach, cross-locality deliveries
without a listed transfer, the smallest ward share per short grade (per locality and province-wide) against
0.8 × the grade's mean, unserved kilograms per reason code, and the flows between localities.

Usage::

    python benchmarks/coordinator.py [--effort 1.0] [--seed 0]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.plan import PlanOptions, run_plan  # noqa: E402
from optimizer.scenario import load_scenario  # noqa: E402
from optimizer.solve.reasons import reason_text  # noqa: E402


def _row(name, plan, seconds) -> str:
    k = plan.kpis
    by_locality = " ".join(f"{loc} {share:.1%}" for loc, share in k["served_share_by_locality"].items())
    green = k["fairness_by_grade"].get("green", {})
    return (f"{name:<16} {k['delivered_kg'] / 1000:8.1f} t {k['served_share']:7.1%} {k['km']:9,.0f} km "
            f"{k['hours']:7.1f} h {k['vehicles_used']:4d} veh  green min {green.get('min_share', 1):.1%} "
            f"mean {green.get('mean_share', 1):.1%}  {seconds:6.1f} s  | {by_locality}")


def _rules(plan, scenario) -> None:
    home_locality = {d.id: d.locality for d in scenario.depots}
    routes, transfers = plan.routes, plan.transfers
    lent = set(transfers.loc[transfers["kind"] == "vehicle", "vehicle_id"])
    stock = set(zip(transfers.loc[transfers["kind"] == "stock", "from_depot"],
                    transfers.loc[transfers["kind"] == "stock", "to_locality"]))
    crossing = routes[routes["home_depot_id"].map(home_locality) != routes["locality"]]
    unlisted = [r for r in crossing.itertuples() if r.vehicle_id not in lent and (r.depot_id, r.locality) not in stock]
    print(f"cross-locality deliveries: {len(crossing)} stops, {crossing['quantity_kg'].sum() / 1000:,.1f} t; "
          f"without a listed transfer: {len(unlisted)}")
    for flow, kg in plan.kpis["transfers_kg"].items():
        print(f"  flow {flow}: {kg / 1000:,.1f} t")
    for row in transfers.itertuples():
        print(f"  {row.kind:<7} {row.vehicle_id or '-':<14} {row.from_depot} → {row.to_depot or row.to_locality} "
              f"{row.depart or ''}–{row.arrive or ''} {row.kg:8,.0f} kg  {row.reason_code}")
    wards = plan.wards[plan.wards["demand_kg"] > 0]
    print("fair shares (smallest ward share vs 0.8 × mean, short groups only):")
    for key, group in [*wards.groupby(["locality", "zone"]), *wards.groupby(["zone"])]:
        mean = group["delivered_kg"].sum() / group["demand_kg"].sum()
        if mean < 0.999:
            low = group["served_share"].min()
            print(f"  {' / '.join(map(str, key)) if isinstance(key, tuple) else key:<22} mean {mean:6.1%} "
                  f"min {low:6.1%} ratio {low / mean:5.3f} {'ok' if low >= 0.8 * mean else 'BELOW 0.8'}")
    print("unserved by binding limit:")
    for code, kg in plan.kpis["unserved_kg_by_reason"].items():
        print(f"  {code:<12} {kg / 1000:7.1f} t  {reason_text(code, 'en')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--effort", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scenario = load_scenario(None)
    base = PlanOptions(effort=args.effort, seed=args.seed)
    trucks = next(vt for vt in scenario.vehicle_types if vt.home_depot == "KHO-NINH-HOA" and vt.capacity_kg == 5000)
    more = dataclasses.replace(scenario, vehicle_types=(*scenario.vehicle_types, dataclasses.replace(
        trucks, id="QS-5T-NH-EXTRA", name=trucks.name + " (+10)", count=10)))
    plans = {}
    print(f"{'variant':<16} {'delivered':>10} {'share':>7} {'km':>12} {'hours':>9} {'used':>8}")
    for name, day, options in (("coordinated", scenario, base),
                               ("no lending", scenario, dataclasses.replace(base, lend=False)),
                               ("no fair shares", scenario, dataclasses.replace(base, fair_shares=False)),
                               ("Ninh Hòa +10", more, base)):
        started = time.monotonic()
        plans[name] = run_plan(day, options=options)
        print(_row(name, plans[name], time.monotonic() - started), flush=True)
    print()
    _rules(plans["coordinated"], scenario)


if __name__ == "__main__":
    main()
