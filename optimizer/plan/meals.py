"""The camps' hot meals in the day plan: the runs planned by :func:`optimizer.solve.meals.plan_meals` on the day's
truck matrix (closures included; :func:`optimizer.plan.pipeline.run_plan` places kitchens and camps on it), and
:attr:`Plan.meals <optimizer.plan.model.Plan.meals>` (one row per hand-over, and one per camp, meal and reason of
meals not delivered)."""

from __future__ import annotations

import pandas as pd

from optimizer import datasets
from optimizer.clock import format_hhmm
from optimizer.plan.model import MEAL_COLUMNS
from optimizer.scenario.camps import format_meal_windows
from optimizer.solve.meals import MealProblem, MealResult, plan_meals
from optimizer.solve.reasons import reason_text

__all__ = ["day_meals", "meal_frame"]


def day_meals(scenario, matrix) -> MealResult:
    """The day's meal runs, ``matrix`` the truck travel matrix over the kitchens then the camps."""
    problem = MealProblem(kitchens=scenario.kitchens, camps=scenario.camps, time_s=matrix.time_s,
                          dist_m=matrix.dist_m)
    return plan_meals(problem)


def _camp_row(camp, meal: int, wards: dict[str, str]) -> dict:
    start, end = camp.meal_windows_s[meal - 1]
    return {"meal": meal, "window": format_meal_windows(((start, end),)), "window_start_s": start,
            "window_end_s": end, "camp_id": camp.id, "camp": camp.name, "kind": camp.kind, "ward_id": camp.ward_id,
            "ward": wards.get(camp.ward_id, ""), "locality": datasets.LOCALITIES.get(camp.locality, camp.locality),
            "lat": camp.lat, "lon": camp.lon, "headcount": camp.headcount, "contact": camp.contact,
            "phone": camp.phone}


def meal_frame(result: MealResult | None) -> pd.DataFrame:
    """:data:`~optimizer.plan.model.MEAL_COLUMNS` rows: the hand-overs by meal, kitchen, van and arrival, then
    the meals not delivered."""
    if result is None:
        return pd.DataFrame(columns=MEAL_COLUMNS)
    census = datasets.read_wards()
    wards = dict(zip(census["ward_id"], census["ward_vn"]))
    camp_of = {c.id: c for c in result.problem.camps}
    kitchen_of = {k.id: k for k in result.problem.kitchens}
    rows = []
    for run in sorted(result.runs, key=lambda r: (r.meal, r.kitchen_id, r.van_id)):
        kitchen = kitchen_of[run.kitchen_id]
        for seq, drop in enumerate(run.drops, start=1):
            rows.append({
                **_camp_row(camp_of[drop.camp_id], run.meal, wards), "status": "delivered",
                "kitchen_id": kitchen.id, "kitchen": kitchen.name, "van_id": run.van_id, "seq": seq,
                "load": format_hhmm(run.load_s), "depart": format_hhmm(run.depart_s),
                "arrival": format_hhmm(drop.arrival_s), "back": format_hhmm(run.return_s), "depart_s": run.depart_s,
                "arrival_s": drop.arrival_s, "return_s": run.return_s, "meals": drop.meals,
                "ride_min": round(drop.ride_s / 60, 1), "max_ride_min": kitchen.max_ride_s / 60,
                "leg_km": round(drop.leg_m / 1000, 2), "leg_min": round(drop.leg_s / 60, 1),
                "return_km": round(run.return_m / 1000, 2) if seq == len(run.drops) else 0.0,
                "reason_code": "", "reason": "",
            })
    for short in sorted(result.short, key=lambda s: (s.meal, s.camp_id)):
        rows.append({**_camp_row(camp_of[short.camp_id], short.meal, wards), "status": "not delivered",
                     "meals": short.meals, "reason_code": short.reason_code,
                     "reason": reason_text(short.reason_code, "en")})
    return pd.DataFrame(rows, columns=MEAL_COLUMNS)
