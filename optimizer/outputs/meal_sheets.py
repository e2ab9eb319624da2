"""The camps' hot meals as documents: ``meals.csv`` and the kitchens' run sheet ``dispatch/meals.html``.

The run sheet is what a kitchen's van drivers and the camp gates work from: per kitchen (each on its own page),
every meal service with its vans in order of leaving: when the van loads and leaves, each camp it hands meals over
at, when, how many meals and the ride since leaving (within the kitchen's longest ride for hot meals), the camp's
receiver and phone, an empty "received" cell and a signature cell; then the meals that could not be delivered
with the reason. Words and numbers in the document's language.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from optimizer.clock import format_hhmm, parse_hhmm
from optimizer.outputs.fmt import Fmt, esc
from optimizer.outputs.resources import labels, reason_words
from optimizer.outputs.sheets import html_document
from optimizer.plan import Plan
from optimizer.solve.reasons import reason_text

__all__ = ["MEAL_SHEET", "meal_table", "meal_runs_html"]

#: File name of the kitchens' run sheet in ``dispatch/``.
MEAL_SHEET = "meals.html"


def meal_table(plan: Plan) -> pd.DataFrame:
    """``meals.csv``: the camps' meal hand-overs and what was not delivered, each reason also in Vietnamese."""
    table = plan.meals.copy()
    table.insert(table.columns.get_loc("reason") + 1, "reason_vi",
                 [reason_text(code, "vi") if isinstance(code, str) and code else "" for code in table["reason_code"]])
    return table


def _service_rows(group: pd.DataFrame, f: Fmt, text: Mapping[str, str]) -> str:
    """One meal service of a kitchen: a row per hand-over, vans in order of leaving."""
    rows = []
    for _, row in group.sort_values(["depart_s", "van_id", "seq"]).iterrows():
        first = row["seq"] == 1
        who = " · ".join(esc(v) for v in (row["contact"], row["phone"]) if isinstance(v, str) and v)
        rows.append(
            f"<tr><td>{esc(row['van_id']) if first else ''}</td>"
            f"<td class='t'>{_leaves(row, text) if first else ''}</td>"
            f"<td>{esc(row['camp'])}<br><small>{esc(row['ward'])}</small></td>"
            f"<td class='t'>{format_hhmm(row['arrival_s'], exact=False)}<br><small>{esc(row['window'])}</small></td>"
            f"<td class='n'>{f.num(row['meals'])}</td><td class='n'>{f.num(row['ride_min'], 0)}</td>"
            f"<td>{who}</td><td></td><td></td></tr>")
    return "".join(rows)


def _leaves(row: pd.Series, text: Mapping[str, str]) -> str:
    """When the van leaves, with when it loads and is back."""
    return (f"{format_hhmm(row['depart_s'], exact=False)}<br><small>{text['load']} "
            f"{format_hhmm(parse_hhmm(row['load']), exact=False)} · {text['back']} "
            f"{format_hhmm(row['return_s'], exact=False)}</small>")


def _kitchen_html(kitchen: str, runs: pd.DataFrame, f: Fmt, text: Mapping[str, str]) -> str:
    heads = [text["van"], text["depart"], text["camp"], text["arrival"], text["meals"], text["ride"], text["contact"],
             text["received"], text["sign"]]
    first = runs.iloc[0]
    body = "".join(
        f"<tbody><tr class='group'><th colspan={len(heads)}>{text['meal']} {meal} — "
        f"{f.num(group['meals'].sum())} {text['meals_unit']}</th></tr>{_service_rows(group, f, text)}</tbody>"
        for meal, group in runs.groupby("meal"))
    return (f"<section class='sheet'><h1>{text['kitchen']}: {esc(first['kitchen'])} ({esc(kitchen)})</h1>"
            f"<p class='meta'>{text['max_ride'].format(n=f.num(first['max_ride_min'], 0))}</p>"
            "<table class='index'><thead><tr>" + "".join(f"<th>{h}</th>" for h in heads) + f"</tr></thead>{body}"
            "</table></section>")


def meal_runs_html(plan: Plan, *, lang: str = "vi") -> str:
    """The kitchens' run sheet (:data:`MEAL_SHEET`) in ``lang``: one page per kitchen, then what was not
    delivered."""
    text, f = labels(lang)["meals"], Fmt(lang)
    meals = plan.meals
    delivered = meals[meals["status"] == "delivered"]
    short = meals[meals["status"] != "delivered"]
    parts = [f"<p class='meta'>{esc(plan.title)} — {f.date(plan.date)}</p>"]
    parts += [_kitchen_html(str(k), group, f, text) for k, group in delivered.groupby("kitchen_id", sort=True)]
    if len(short):
        rows = "".join(
            f"<tr><td>{text['meal']} {row['meal']} ({esc(row['window'])})</td><td>{esc(row['camp'])}</td>"
            f"<td class='n'>{f.num(row['meals'])}</td>"
            f"<td>{html.escape(reason_words(row['reason_code'], row['reason'], lang))}</td></tr>"
            for _, row in short.iterrows())
        parts.append(f"<h2>{text['not_delivered']}</h2><table><thead><tr><th>{text['meal']}</th><th>{text['camp']}"
                     f"</th><th>{text['meals']}</th><th>{text['reason']}</th></tr></thead><tbody>{rows}</tbody></table>")
    if not len(meals):
        parts.append(f"<p>{text['none']}</p>")
    return html_document(lang, text["title"], f"<h1>{text['title']}</h1>{''.join(parts)}")
