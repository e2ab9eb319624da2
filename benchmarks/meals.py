"""Hot meals for quarantine camps (issue 17): the meal planner (``optimizer.solve.meals``) on generated instances
of the real Nha Trang roads, beside the peer of the same run: direct runs (every van load driven alone from its
kitchen to its camp, as a kitchen without a planner would), on the same shares and the same vans.

Instances: camps at hotel POIs (hotels, dormitories and military sites were the camps of 2021), kitchens at
restaurant POIs, headcounts 30–300, three meals in the default windows, kitchens cooking about 110 % of the
headcount with 150–250-meal vans and a 45-minute ride; ``--seeds`` instances per size. Printed per instance:
meals needed and delivered, van runs, km, the longest ride and the solve time (ours), and the peer's meals
delivered (a load beyond a kitchen's vans is not delivered), runs and km.

Usage::

    python benchmarks/meals.py [--sizes 5x2 15x4 40x8] [--seeds 3]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer import datasets  # noqa: E402
from optimizer.network import load_network  # noqa: E402
from optimizer.plan.pipeline import locate  # noqa: E402
from optimizer.scenario.model import Camp, Kitchen  # noqa: E402
from optimizer.solve.meals import MealProblem, kitchen_shares, plan_meals  # noqa: E402


def _instance(camps: int, kitchens: int, seed: int, network) -> MealProblem:
    rng = np.random.default_rng(seed)
    pois = datasets.read_pois()
    snapped = network.snap(pois.geometry.x, pois.geometry.y, check_area=False, max_distance_m=float("inf"))
    pois = pois[snapped.distance_m <= network.settings.snap_max_distance_m]  # not the island resorts
    hotels = pois[pois["fclass"].isin(["hotel", "resort", "university"])].sample(camps, random_state=seed)
    places = pois[pois["fclass"].isin(["restaurant", "fast_food", "cafe"])].sample(kitchens, random_state=seed)
    camp_list = tuple(Camp(id=f"C{k:02d}", name=str(r["name"]), lon=r.geometry.x, lat=r.geometry.y,
                           headcount=int(rng.integers(30, 301))) for k, (_, r) in enumerate(hotels.iterrows()))
    total = sum(c.headcount for c in camp_list)
    kitchen_list = []
    for k, (_, r) in enumerate(places.iterrows()):
        meals = int(math.ceil(1.1 * total / kitchens))
        van = int(rng.integers(150, 251))
        kitchen_list.append(Kitchen(id=f"K{k:02d}", name=str(r["name"]), lon=r.geometry.x, lat=r.geometry.y,
                                    meals_per_service=meals, vans=int(math.ceil(meals / van)), van_capacity_meals=van))
    located = locate(kitchen_list, list(camp_list), {"truck": network}, lambda *a, **k: None)
    matrix = located.matrices["truck"]
    return MealProblem(kitchens=tuple(kitchen_list), camps=camp_list, time_s=matrix.time_s, dist_m=matrix.dist_m)


def _equal_loads(meals: int, van_capacity: int) -> list[int]:
    """A camp's share in near-equal van loads (how a kitchen without a planner fills its vans)."""
    count = -(-meals // van_capacity)
    return [meals // count + (1 if k < meals % count else 0) for k in range(count)]


def _direct(problem: MealProblem) -> tuple[int, int, float]:
    """Meals delivered, runs and km of direct runs (one load, one camp, one van; a van once per meal)."""
    shares, _ = kitchen_shares(problem)
    meals = runs = 0
    km = 0.0
    n = len(problem.kitchens)
    for meal in range(3):
        for i, kitchen in enumerate(problem.kitchens):
            loads = [(j, m) for j, camp in enumerate(problem.camps) if meal < len(camp.meal_windows_s)
                     for m in _equal_loads(shares[camp.id].get(i, 0), kitchen.van_capacity_meals)]
            for j, m in loads[:kitchen.vans]:
                meals, runs = meals + m, runs + 1
                km += (problem.dist_m[i, n + j] + problem.dist_m[n + j, i]) / 1000
    return meals, runs, km


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["5x2", "15x4", "40x8"], help="camps x kitchens")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    network = load_network(profile="truck")
    print(f"{'instance':<12} {'needed':>7} | {'ours: meals':>11} {'runs':>5} {'km':>7} {'ride':>5} {'s':>5} | "
          f"{'direct: meals':>13} {'runs':>5} {'km':>7}")
    for size in args.sizes:
        camps, kitchens = (int(x) for x in size.split("x"))
        for seed in range(args.seeds):
            problem = _instance(camps, kitchens, seed, network)
            start = time.perf_counter()
            result = plan_meals(problem)
            seconds = time.perf_counter() - start
            km = sum(sum(d.leg_m for d in r.drops) + r.return_m for r in result.runs) / 1000
            ride = max((d.ride_s for r in result.runs for d in r.drops), default=0) / 60
            meals, runs, direct_km = _direct(problem)
            cut = " (cut)" if result.cut_by_time_limit else ""
            print(f"{size + ' #' + str(seed):<12} {result.meals_needed:>7,} | {result.meals_delivered:>11,} "
                  f"{len(result.runs):>5} {km:>7,.1f} {ride:>5.0f} {seconds:>5.1f} | {meals:>13,} {runs:>5} "
                  f"{direct_km:>7,.1f}{cut}")


if __name__ == "__main__":
    main()
