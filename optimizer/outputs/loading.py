"""Loading lists: what each depot puts on each vehicle for each trip, per commodity, in kilograms and in units
(50 kg rice sacks, food bags), as a table (``loading.csv``, the ``loading`` sheet of ``plan.xlsx``) and as a
printable page per plan (``loading.html``, one section per depot).

The kilograms come from the ``<commodity>_kg`` columns of :attr:`Plan.routes`, so a depot's list adds up to
``routes.csv``. Units are whole sacks or bags plus loose kilograms, since a day's ration is rarely a whole
number of sacks.
"""

from __future__ import annotations

import html

import pandas as pd

from optimizer.clock import format_hhmm
from optimizer.outputs.fmt import Fmt
from optimizer.outputs.resources import asset_text, labels
from optimizer.outputs.summary import commodity_name
from optimizer.plan import Plan

#: Columns of the loading list before the per-commodity columns.
LOADING_COLUMNS = ["depot_id", "depot_name", "vehicle_id", "vehicle_name", "trip", "leave", "stops", "total_kg"]


def commodities(routes: pd.DataFrame) -> list[str]:
    """The commodities that :attr:`Plan.routes` splits ``quantity_kg`` into (``rice``, ``food_bag`` ...)."""
    at = routes.columns.get_loc("quantity_kg") + 1
    return [c[:-3] for c in routes.columns[at:] if c.endswith("_kg") and c not in ("load_kg", "capacity_kg")]


def loading_frame(plan: Plan) -> pd.DataFrame:
    """One row per depot, vehicle and trip: when it leaves, its stops, kilograms per commodity and, for a
    commodity with a unit (``plan.settings['unit_kg']``), whole units (``<c>_units``) and loose kilograms
    (``<c>_loose_kg``). Depots in the plan's order, then vehicles, then trips."""
    routes = plan.routes
    names = commodities(routes)
    unit_kg = plan.settings.get("unit_kg", {})
    columns = LOADING_COLUMNS + [f"{c}_kg" for c in names]
    columns += [f"{c}{s}" for c in names if unit_kg.get(c) for s in ("_units", "_loose_kg")]
    if not len(routes):
        return pd.DataFrame(columns=columns)
    leave_s = routes["arrival_s"] - routes["leg_min"] * 60
    trips = routes.assign(leave_s=leave_s).groupby(["depot_id", "vehicle_id", "trip"], sort=False)
    table = trips.agg(depot_name=("depot_name", "first"), vehicle_name=("vehicle_name", "first"),
                      leave_s=("leave_s", "min"), stops=("stop_id", "size"), total_kg=("quantity_kg", "sum"),
                      **{f"{c}_kg": (f"{c}_kg", "sum") for c in names}).reset_index()
    if names:  # the kilograms that are loaded: whole kilograms per commodity
        table["total_kg"] = table[[f"{c}_kg" for c in names]].sum(axis=1)
    table["leave"] = [format_hhmm(s, exact=False) for s in table["leave_s"]]
    for c in names:
        unit = unit_kg.get(c)
        if unit:
            table[f"{c}_units"] = (table[f"{c}_kg"] // unit).astype(int)
            table[f"{c}_loose_kg"] = table[f"{c}_kg"] - table[f"{c}_units"] * unit
    order = {d: k for k, d in enumerate(plan.depots["depot_id"])}
    table = table.sort_values(["depot_id", "leave_s", "vehicle_id", "trip"],
                              key=lambda col: col.map(order) if col.name == "depot_id" else col, kind="stable")
    return table.reindex(columns=columns).reset_index(drop=True)


def loading_html(plan: Plan, *, lang: str = "vi") -> str:
    """The printable loading lists of every depot that loads anything, in ``lang``."""
    f = Fmt(lang)
    text = labels(lang)["loading"]
    table = loading_frame(plan)
    names = commodities(plan.routes)
    unit_kg = plan.settings.get("unit_kg", {})
    parts = [f"<h1>{html.escape(text['title'])}</h1>",
             f"<p class='meta'>{html.escape(plan.title)} — {f.date(plan.date)}</p>"]
    head = [text["vehicle"], text["trip"], text["leave"], text["stops"]]
    head += [f"{commodity_name(c, lang)} (kg)" for c in names] + [text["total"]]
    for depot_id, rows in table.groupby("depot_id", sort=False):
        parts.append(f"<section class='depot'><h2>{html.escape(str(rows['depot_name'].iloc[0]))} "
                     f"({html.escape(str(depot_id))})</h2><table><thead><tr>"
                     + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>")
        for row in rows.to_dict("records"):
            cells = [html.escape(f"{row['vehicle_id']} — {row['vehicle_name']}"), str(int(row["trip"])),
                     html.escape(row["leave"]), str(int(row["stops"]))]
            cells += [_amount(f, text, row, c, unit_kg.get(c)) for c in names]
            cells.append(f.num(row["total_kg"]))
            parts.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
        totals = [_amount(f, text, rows[[f"{c}_kg"]].sum().to_dict(), c, unit_kg.get(c)) for c in names]
        parts.append(f"<tr class='total'><td colspan='4'>{html.escape(text['depot_total'])}</td>"
                     + "".join(f"<td>{cell}</td>" for cell in totals)
                     + f"<td>{f.num(rows['total_kg'].sum())}</td></tr></tbody></table></section>")
    if table.empty:
        parts.append(f"<p>{html.escape(text['nothing'])}</p>")
    style = asset_text("khf/dispatch.css")
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{html.escape(text['title'])}"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>")


def _amount(f: Fmt, text: dict, row: dict, commodity: str, unit: float | None) -> str:
    """Kilograms of a commodity and, with a unit, whole units and loose kilograms ("1.250 kg · 25 bao")."""
    kg = float(row[f"{commodity}_kg"])
    shown = f"{f.num(kg)} kg"
    if unit:
        units, loose = int(kg // unit), kg - int(kg // unit) * unit
        shown += " · " + html.escape(text[f"units_{commodity}"].format(n=f.num(units), unit=f.num(unit)))
        if loose >= 0.5:
            shown += f" + {f.num(loose)} kg"
    return shown
