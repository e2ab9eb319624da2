"""The plan summary in the reader's language: the text the CLI prints and the table of ``summary.csv``.

Both say the same things: what was delivered, from how many open depots (and how many are closed), the share
served per zone and locality, how fair the wards of each zone were served (smallest share, mean, spread),
unserved kilograms per reason, and the flows across localities (kg per commodity, and why). Reasons are
written in the summary's language (:func:`optimizer.outputs.resources.reason_words`), never in English in a
Vietnamese summary.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from optimizer import datasets
from optimizer.clock import format_hhmm, parse_hhmm
from optimizer.outputs.fmt import Fmt
from optimizer.outputs.kpis import closed_depots, commodity_columns, plan_kpis
from optimizer.outputs.resources import labels, reason_words
from optimizer.plan import Plan, cross_locality, meal_kpis

#: Columns of :func:`summary_frame` before the ``<commodity>_kg`` columns of the plan's transfers.
SUMMARY_COLUMNS = ["level", "id", "name", "locality", "zone", "demand_kg", "delivered_kg", "served_share",
                   "min_share", "mean_share", "spread", "stock_kg", "load_kg", "vehicles", "closed", "unserved_kg",
                   "depot_id", "trips", "stops", "km", "hours", "leave", "back", "from", "to", "kg"]
#: Columns of :func:`vehicle_days`.
VEHICLE_DAY_COLUMNS = ["vehicle_id", "vehicle_name", "profile", "home_depot_id", "depot_id", "trips", "stops",
                   "delivered_kg", "km", "hours", "leave", "back"]
#: Columns holding shares (0–1) in the plan's frames; :func:`tidy` shows them in per cent.
SHARE_COLUMNS = ("served_share", "min_share", "mean_share", "spread")


def locality_name(value: Any) -> str:
    """A locality code (``Ninh Hoa``) as its name (``Ninh Hòa``); other values as given."""
    return datasets.LOCALITIES.get(str(value), str(value))


def commodity_name(column: str, lang: str) -> str:
    """The name of the commodity of a ``<commodity>_kg`` column in ``lang`` (the code when it has none)."""
    code = column.removesuffix("_kg")
    return labels(lang)["report"]["commodities"].get(code, code)


def _depot_names(plan: Plan) -> dict[str, str]:
    depots = plan.depots
    if depots is None or not {"depot_id", "name"} <= set(depots.columns):
        return {}
    return {str(d): str(n) for d, n in zip(depots["depot_id"], depots["name"])}


def flow_description(row: dict, depot_names: dict[str, str], lang: str) -> str:
    """One transfer row in words: which vehicle goes where and when, or whose stock is delivered (plain text)."""
    text = labels(lang)["report"]
    source, target = str(row.get("from_depot")), str(row.get("to_depot"))
    if row.get("kind") == "vehicle":
        return text["flow_vehicle"].format(vehicle=row.get("vehicle_id"), from_depot=depot_names.get(source, source),
                                           to_depot=depot_names.get(target, target), depart=row.get("depart"),
                                           arrive=row.get("arrive"))
    return text["flow_stock"].format(from_depot=depot_names.get(source, source))


def flow_lines(plan: Plan, lang: str = "vi") -> list[str]:
    """One line per flow across localities (plain text): from → to, kg per commodity, what moves and why."""
    f = Fmt(lang)
    cross = cross_locality(plan.transfers)
    commodities = commodity_columns(plan.transfers)
    names = _depot_names(plan)
    lines = []
    for row in cross.to_dict("records"):
        parts = ", ".join(f"{commodity_name(c, lang)} {f.num(row.get(c))} kg" for c in commodities)
        lines.append(f"{locality_name(row['from_locality'])} → {locality_name(row['to_locality'])}: "
                     f"{f.num(row.get('kg'))} kg" + (f" ({parts})" if parts else "")
                     + f" — {flow_description(row, names, lang)} — "
                     + reason_words(row.get("reason_code"), row.get("reason"), lang))
    return lines


def _solver_lines(k, text: dict, f: Fmt) -> list[str]:
    lines = []
    a, r = k.assignment, k.routing
    if a:
        status = text["statuses"].get(str(a.get("status")), a.get("status"))
        lines.append(text["assignment"].format(status=status, gap=f"{f.num(100 * (a.get('gap') or 0), 2)}%",
                                               time=f.num(a.get("solve_time_s"), 1), backend=a.get("backend")))
    if r:
        stopped = text["stopped"].get(str(r.get("stopped_by")), r.get("stopped_by"))
        lines.append(text["routing"].format(rounds=len(r.get("rounds") or ()), time=f.num(r.get("solve_time_s"), 1),
                                            stopped_by=stopped))
    return lines


def _meal_lines(plan: Plan, text: dict, f: Fmt, lang: str) -> list[str]:
    """The camps' meals: delivered of needed, runs, longest ride, and what was not delivered by reason."""
    if not len(plan.meals):
        return []
    m = meal_kpis(plan.meals)
    lines = [text["meals"].format(delivered=f.num(m["meals_delivered"]), needed=f.num(m["meals_needed"]),
                                  camps=m["camps"], runs=m["meal_runs"], ride=f.num(m["longest_ride_min"], 0))]
    if m["meals_not_delivered_by_reason"]:
        lines.append(f"{text['meals_short']}: " + "; ".join(
            f"{reason_words(code, code, lang)} {f.num(n)}" for code, n in m["meals_not_delivered_by_reason"].items()))
    return lines


def summary_text(plan: Plan, lang: str = "vi") -> str:
    """The plan's summary as plain text in ``lang`` (what ``cli.py plan`` prints)."""
    f = Fmt(lang)
    text = labels(lang)["report"]
    k = plan_kpis(plan)

    def tonnes(kg: float) -> str:
        return f"{f.num(kg / 1000, 1)}"

    lines = [f"{plan.title} — {plan.date}", text["delivered"].format(
        delivered=tonnes(k.delivered_kg), demand=tonnes(k.demand_kg), share=f.share(k.served_share),
        unserved=tonnes(k.unserved_kg))]
    lines.append(text["fleet" if k.depots_closed else "fleet_all_open"].format(
        used=k.vehicles_used, available="–" if k.vehicles_available is None else k.vehicles_available,
        trips=k.trips, km=f.num(k.km), hours=f.num(k.vehicle_hours), points=k.drop_points, open=k.depots_open,
        closed=k.depots_closed))
    lines.append(f"{text['served_by_zone']}: " + ", ".join(
        f"{f.zone(z)} {f.share(v)}" for z, v in k.served_share_by_zone.items()))
    lines.append(f"{text['served_by_locality']}: " + ", ".join(
        f"{locality_name(z)} {f.share(v)}" for z, v in k.served_share_by_locality.items()))
    if k.fairness_by_grade:
        lines.append(f"{text['fairness']}: " + "; ".join(
            text["fairness_grade"].format(grade=f.zone(g), min=f.share(v["min_share"]), mean=f.share(v["mean_share"]),
                                          spread=f.share(v["spread"])) for g, v in k.fairness_by_grade.items()))
    if k.unserved_kg_by_reason:
        lines.append(f"{text['unserved_by_reason']}: " + "; ".join(
            f"{reason_words(code, code, lang)} {tonnes(kg)} {text['tonnes']}"
            for code, kg in k.unserved_kg_by_reason.items()))
    flows = flow_lines(plan, lang)
    lines.append(f"{text['flows']}:" if flows else f"{text['flows']}: {text['no_flows']}")
    lines += [f"  {line}" for line in flows]
    lines += _meal_lines(plan, text, f, lang)
    lines += _solver_lines(k, text, f)
    if plan.cut_by_time_limit:
        lines.append(text["cut"])
    if k.approximate_legs:
        lines.append(text["approx"].format(n=k.approximate_legs))
    return "\n".join(lines[:1] + [f"  {line}" for line in lines[1:]])


def _reason_rows(plan: Plan, lang: str) -> list[dict]:
    return [{"level": "reason", "id": code, "name": reason_words(code, code, lang), "unserved_kg": kg,
             "reason_code": code, "reason": reason_words(code, code, lang)}
            for code, kg in plan_kpis(plan).unserved_kg_by_reason.items()]


def _grade_rows(plan: Plan, f: Fmt) -> list[dict]:
    return [{"level": "grade", "id": grade, "name": f.zone(grade), "zone": grade, **figures}
            for grade, figures in plan_kpis(plan).fairness_by_grade.items()]


def _transfer_rows(plan: Plan, lang: str) -> list[dict]:
    transfers = plan.transfers
    if transfers is None or not len(transfers):
        return []
    names = _depot_names(plan)
    rows = []
    for row in transfers.to_dict("records"):
        rows.append({**{c: row.get(c) for c in commodity_columns(transfers)},
                     "level": "transfer", "id": row.get("vehicle_id") if row.get("kind") == "vehicle" else
                     row.get("from_depot"), "name": flow_description(row, names, lang),
                     "from": locality_name(row.get("from_locality")), "to": locality_name(row.get("to_locality")),
                     "kg": row.get("kg"), "reason_code": row.get("reason_code"),
                     "reason": reason_words(row.get("reason_code"), row.get("reason"), lang)})
    return rows


def vehicle_days(plan: Plan) -> pd.DataFrame:
    """One row per vehicle that drives: its depots (where it loads, several when lent), trips, stops, kilograms,
    km and working hours (first departure to last return home) with the ``leave`` and ``back`` times."""
    routes, legs = plan.routes, plan.legs
    if not len(routes):
        return pd.DataFrame(columns=VEHICLE_DAY_COLUMNS)
    routes = routes.assign(leave_s=routes["arrival_s"] - routes["leg_min"] * 60)
    last = routes.sort_values("seq").groupby(["vehicle_id", "trip"]).agg(n=("seq", "max"), end_s=("departure_s", "max"))
    back_min = {key: float(group.loc[group["seq"] > last.loc[key, "n"], "leg_min"].sum())
                for key, group in legs.groupby(["vehicle_id", "trip"]) if key in last.index}
    last["back_s"] = [end + 60 * back_min.get(key, 0.0) for key, end in zip(last.index, last["end_s"])]
    back_s = last.groupby(level="vehicle_id")["back_s"].max()
    km = legs.groupby("vehicle_id")["leg_km"].sum()
    # A lent vehicle's day starts when it leaves its home depot for the other one.
    loans = plan.transfers[plan.transfers["kind"] == "vehicle"] if len(plan.transfers) else plan.transfers
    departs = {v: parse_hhmm(str(t)) for v, t in zip(loans.get("vehicle_id", []), loans.get("depart", []))
               if isinstance(t, str) and t}
    rows = []
    for vehicle_id, group in routes.groupby("vehicle_id", sort=False):
        start = min(float(group["leave_s"].min()), departs.get(vehicle_id, math.inf))
        end = float(back_s.get(vehicle_id, group["departure_s"].max()))
        rows.append({"vehicle_id": vehicle_id, "vehicle_name": group["vehicle_name"].iloc[0],
                     "profile": group["profile"].iloc[0], "home_depot_id": group["home_depot_id"].iloc[0],
                     "depot_id": ", ".join(dict.fromkeys(group["depot_id"].astype(str))),
                     "trips": int(group["trip"].nunique()), "stops": len(group),
                     "delivered_kg": float(group["quantity_kg"].sum()), "km": float(km.get(vehicle_id, 0.0)),
                     "hours": (end - start) / 3600, "leave": format_hhmm(start, exact=False),
                     "back": format_hhmm(end, exact=False)})
    return pd.DataFrame(rows, columns=VEHICLE_DAY_COLUMNS)


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as people read it: kilograms to 1 kg, km and hours to one decimal, shares as ``<name>_pct`` in
    per cent with one decimal."""
    out = frame.copy()
    for column in out.columns:
        values = pd.to_numeric(out[column], errors="coerce") if out[column].dtype == object else out[column]
        if str(column).endswith("_kg") and pd.api.types.is_numeric_dtype(values):
            out[column] = values.round(0).astype("Int64")
        elif column in ("km", "hours") and pd.api.types.is_numeric_dtype(values):
            out[column] = values.round(1)
        elif column in ("trips", "stops", "vehicles") and pd.api.types.is_numeric_dtype(values):
            out[column] = values.round(0).astype("Int64")
    shares = [c for c in SHARE_COLUMNS if c in out.columns]
    for column in shares:
        out[column] = (pd.to_numeric(out[column], errors="coerce") * 100).round(1)
    return out.rename(columns={c: c.removesuffix("_share") + "_pct" if c != "spread" else "spread_pct"
                               for c in shares})


def summary_frame(plan: Plan, lang: str = "vi") -> pd.DataFrame:
    """Every summary figure in one table (``summary.csv``), texts in ``lang``; column ``level`` says what a row is.

    * ``ward``: demand, delivered and ``served_share`` of each ward;
    * ``depot``: stock, load, vehicles based there, ``closed`` (its ``served_share`` is load over stock);
    * ``grade``: per zone grade, ``min_share``, ``mean_share`` and ``spread`` of the wards' served shares;
    * ``reason``: ``unserved_kg`` per reason code (``name`` is the reason in words);
    * ``transfer``: each row of :attr:`Plan.transfers`: ``from`` → ``to`` locality, ``kg`` and kg per commodity,
      what moves (``name``) and why (``reason``);
    * ``vehicle``: each vehicle that drives (:func:`vehicle_days`): depots, trips, stops, ``delivered_kg``, km,
      hours, ``leave`` and ``back``.

    Shares are 0–1 and kilograms exact here; ``summary.csv`` is written through :func:`tidy`.
    """
    f = Fmt(lang)
    wards = pd.DataFrame(plan.wards.drop(columns="geometry", errors="ignore")).assign(level="ward")
    wards = wards.rename(columns={"ward_id": "id", "ward": "name"})
    depots = plan.depots.assign(level="depot", closed=closed_depots(plan.depots)).rename(columns={"depot_id": "id"})
    depots["served_share"] = np.where(depots["stock_kg"] > 0, depots["load_kg"] / depots["stock_kg"], np.nan)
    extra = pd.DataFrame(_grade_rows(plan, f) + _reason_rows(plan, lang) + _transfer_rows(plan, lang))
    vehicles = vehicle_days(plan).rename(columns={"vehicle_id": "id", "vehicle_name": "name"}).assign(level="vehicle")
    columns = SUMMARY_COLUMNS + commodity_columns(plan.transfers) + ["reason_code", "reason"]
    frames = [frame for frame in (wards, depots, extra, vehicles) if len(frame)]
    return pd.concat(frames, ignore_index=True).reindex(columns=columns)
