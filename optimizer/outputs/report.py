"""Plan → files: plan.json, routes.csv, unserved.csv, routes.geojson, summary.csv and printable dispatch sheets.

Texts meant for people (dispatch sheets and their index, ``summary.csv``) are in the language asked for, reasons
included; ``plan.json`` and the CSV copies of the plan's frames keep the plan's own columns (``reason_code`` and
the English ``reason``). A lent vehicle's dispatch sheet starts with its drive to the depot it loads at; the
index marks closed depots and lists the flows across localities and the points not fully served.

CSV files are UTF-8 with a byte-order mark so that Excel on a Vietnamese Windows shows the diacritics, and
spreadsheet-safe (:func:`optimizer.files.write_csv`: text that a spreadsheet would run as a formula starts with
``'``); JSON and GeoJSON keep the raw text. A folder of outputs is written as a whole
(:func:`optimizer.files.staged_folder`): it holds either the previous complete set or the new one. Dispatch
sheets are named by :func:`optimizer.files.safe_file_names` (distinct for every vehicle id).
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.clock import format_hhmm
from optimizer.files import safe_file_names, staged_folder, write_csv
from optimizer.outputs.exports import gpx_files, write_xlsx
from optimizer.outputs.kpis import closed_depots, plan_kpis
from optimizer.outputs.loading import loading_frame, loading_html
from optimizer.outputs.resources import asset_text, labels, reason_words
from optimizer.outputs.summary import flow_lines, summary_frame, tidy
from optimizer.outputs.timeline import timeline_html
from optimizer.plan import Plan
from optimizer.solve.reasons import reason_text


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    return str(value)


def _records(frame: pd.DataFrame) -> list[dict]:
    frame = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def plan_to_json(plan: Plan) -> dict:
    """Everything in the plan as JSON-ready data, with the scenario and settings that produced it.

    ``kpis`` are :func:`optimizer.outputs.kpis.plan_kpis` (NaN as ``null``): among them ``depots_open``,
    ``unserved_kg_by_reason`` (per reason code), ``transfers_kg`` (across localities) and ``fairness_by_grade``;
    ``wards`` carry each ward's ``served_share``; ``transfers`` are the records of :attr:`Plan.transfers`.
    """
    return {
        "title": plan.title,
        "date": plan.date,
        "settings": plan.settings,
        "kpis": {k: _finite(v) for k, v in dataclasses.asdict(plan_kpis(plan)).items()},
        "depots": _records(plan.depots),
        "stops": _records(plan.stops),
        "routes": _records(plan.routes),
        "unserved": _records(plan.unserved),
        "transfers": _records(plan.transfers),
        "wards": _records(plan.wards),
    }


def plan_geojson(plan: Plan) -> gpd.GeoDataFrame:
    """Legs as road-following lines, stops and depots as points, in one layer (column ``feature``)."""
    legs = plan.legs.assign(feature="leg")
    stops = gpd.GeoDataFrame(
        plan.stops.assign(feature="stop"), geometry=gpd.points_from_xy(plan.stops["lon"], plan.stops["lat"]), crs=4326
    )
    depots = gpd.GeoDataFrame(
        plan.depots.assign(feature="depot"),
        geometry=gpd.points_from_xy(plan.depots["lon"], plan.depots["lat"]),
        crs=4326,
    )
    return gpd.GeoDataFrame(pd.concat([legs, stops, depots], ignore_index=True), geometry="geometry", crs=4326)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}"
    return html.escape(str(value))


def _depot_name(plan: Plan, depot_id) -> str:
    names = dict(zip(plan.depots["depot_id"].astype(str), plan.depots["name"]))
    return str(names.get(str(depot_id), depot_id))


def _loan_html(plan: Plan, vehicle_id: str, to_depot: str, trip: int, text: dict) -> str:
    """The drive of a lent vehicle to the depot it loads at from ``trip`` on."""
    transfers = plan.transfers
    moves = transfers[(transfers["kind"] == "vehicle") & (transfers["vehicle_id"].astype(str) == str(vehicle_id))
                      & (transfers["to_depot"].astype(str) == str(to_depot))] if len(transfers) else transfers
    if not len(moves):
        return ""
    row = moves.iloc[0]
    words = text["lent"].format(home=_depot_name(plan, row["from_depot"]), depot=_depot_name(plan, to_depot),
                                depart=row["depart"], arrive=row["arrive"], trip=int(trip))
    return f"<p class='lent'><b>{html.escape(words)}</b></p>"


def dispatch_sheet_html(plan: Plan, vehicle_id: str, *, lang: str = "vi") -> str:
    """A printable A4 dispatch order for one vehicle: a lent vehicle's drive to the depot it loads at, then every
    trip, stops in order, times and quantities."""
    text = labels(lang)["sheet"]
    rows = plan.routes[plan.routes["vehicle_id"].astype(str) == str(vehicle_id)]
    first = rows.iloc[0]
    parts = [
        f"<h1>{html.escape(text['title'])}</h1>",
        f"<p class='meta'>{html.escape(plan.title)} — {html.escape(plan.date)}</p>",
        "<table class='head'>",
        f"<tr><th>{text['vehicle']}</th><td>{_cell(vehicle_id)} ({_cell(first['vehicle_name'])}, "
        f"{_cell(first['profile'])})</td><th>{text['capacity']}</th><td>{first['capacity_kg']:,.0f} kg</td></tr>",
        f"<tr><th>{text['depot']}</th><td colspan='3'>{_cell(first['depot_name'])}</td></tr>",
    ]
    home = first.get("home_depot_id")
    home = first["depot_id"] if home is None or pd.isna(home) else home
    lent = bool((rows["depot_id"].astype(str) != str(home)).any())
    if lent:
        parts.append(f"<tr><th>{text['home_depot']}</th><td colspan='3'>{_cell(_depot_name(plan, home))}</td></tr>")
    parts.append("</table>")
    legs = plan.legs[plan.legs["vehicle_id"].astype(str) == str(vehicle_id)]
    at = str(home)
    for trip, stops in rows.groupby("trip", sort=True):
        stops = stops.sort_values("seq")
        if str(stops["depot_id"].iloc[0]) != at:
            at = str(stops["depot_id"].iloc[0])
            parts.append(_loan_html(plan, vehicle_id, at, int(trip), text))
        back_leg = legs[(legs["trip"] == trip) & (legs["seq"] == len(stops) + 1)]
        leave_s = stops["arrival_s"].iloc[0] - stops["leg_min"].iloc[0] * 60
        back_s = stops["departure_s"].iloc[-1] + (back_leg["leg_min"].iloc[0] * 60 if len(back_leg) else 0)
        parts.append(
            f"<h2>{text['trip']} {int(trip)} — {text['leave']} {format_hhmm(leave_s, exact=False)} · "
            f"{text['back']} {format_hhmm(back_s, exact=False)}</h2><table class='stops'><tr>"
            + "".join(f"<th>{text[k]}</th>" for k in ("seq", "stop", "ward", "arrival", "departure", "quantity",
                                                      "load", "note"))
            + "</tr>"
        )
        for _, row in stops.iterrows():
            note = text["approx"] if row["approximate_leg"] else ""
            parts.append(
                f"<tr><td>{int(row['seq'])}</td><td>{_cell(row['name'])}</td><td>{_cell(row['ward'])}</td>"
                f"<td>{_cell(row['arrival'])}</td><td>{_cell(row['departure'])}</td>"
                f"<td class='n'>{row['quantity_kg']:,.0f}</td><td class='n'>{row['load_kg']:,.0f}</td>"
                f"<td>{html.escape(note)}</td></tr>"
            )
        parts.append(
            f"<tr class='total'><td colspan='5'>{text['total']}</td>"
            f"<td class='n'>{stops['quantity_kg'].sum():,.0f}</td><td colspan='2'></td></tr></table>"
        )
    if at != str(home):
        parts.append(f"<p class='lent'>{html.escape(text['return_home'].format(home=_depot_name(plan, home)))}</p>")
    parts.append(f"<p class='note'>{html.escape(text['curfew'])}</p>")
    parts.append(f"<p class='sign'>{html.escape(text['signature'])}: ____________________</p>")
    style = asset_text("khf/dispatch.css")
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(text['vehicle'])} {html.escape(str(vehicle_id))}</title><style>{style}</style>"
        f"</head><body>{''.join(parts)}</body></html>"
    )


def _table(head: list[str], rows: list[list[str]]) -> str:
    """An HTML table from already-escaped cells."""
    return ("<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows) + "</table>")


def _dispatch_index(plan: Plan, files: dict[str, str], *, lang: str) -> str:
    """The list of dispatch orders, then the depots (closed ones marked), flows across localities and the points
    not fully served with the reason, all in ``lang``."""
    text = labels(lang)["sheet"]
    items = "".join(
        f"<li><a href='{html.escape(name)}'>{html.escape(str(vehicle))}</a></li>" for vehicle, name in files.items()
    )
    closed = closed_depots(plan.depots)
    depots = _table([text["depots"], text["vehicles"], text["depot_load"]], [
        [f"{_cell(row['name'])} ({_cell(row['depot_id'])})", _cell(row["vehicles"]),
         f"<b>{text['closed']}</b>" if shut else f"{row['load_kg']:,.0f}"]
        for (_, row), shut in zip(plan.depots.iterrows(), closed)])
    flows = "".join(f"<li>{html.escape(line)}</li>" for line in flow_lines(plan, lang))
    unserved = _table([text["stop"], text["ward"], text["missing"], text["reason"]], [
        [_cell(row["stop_id"]), _cell(row["ward"]), f"{row['quantity_kg']:,.0f}",
         html.escape(reason_words(row.get("reason_code"), row.get("reason"), lang))]
        for _, row in plan.unserved.iterrows()])
    style = asset_text("khf/dispatch.css")
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{text['index']}</title>"
        f"<style>{style}</style></head>"
        f"<body><h1>{text['index']}</h1><p>{html.escape(plan.title)} — {html.escape(plan.date)}</p>"
        f"<ul>{items}</ul><h2>{text['depots']}</h2>{depots}"
        + (f"<h2>{text['flows']}</h2><ul>{flows}</ul>" if flows else "")
        + (f"<h2>{text['unserved']}</h2>{unserved}" if len(plan.unserved) else "")
        + "</body></html>"
    )


def write_assignment_files(assignment, folder: str | Path) -> None:
    """Write a depot assignment (``assignment.csv``, ``depot_load.csv``, ``unassigned.csv``), all or nothing."""
    with staged_folder(folder) as staging:
        write_csv(assignment.points, staging / "assignment.csv")
        write_csv(assignment.depots, staging / "depot_load.csv")
        write_csv(assignment.unassigned, staging / "unassigned.csv")


def _unserved_table(plan: Plan) -> pd.DataFrame:
    """``unserved.csv``: each reason in English (``reason``) and, in a column of its own, in Vietnamese."""
    table = plan.unserved.copy()
    table.insert(table.columns.get_loc("reason") + 1, "reason_vi",
                 [reason_text(code, "vi") for code in table["reason_code"]])
    return table


def write_route_files(plan: Plan, folder: str | Path) -> None:
    """Write the routing files only (``routes.csv``, ``plan.json``, ``unserved.csv``), all or nothing."""
    with staged_folder(folder) as staging:
        _write_core(plan, staging)


def _write_core(plan: Plan, staging: Path) -> None:
    (staging / "plan.json").write_text(
        json.dumps(plan_to_json(plan), ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8"
    )
    write_csv(tidy(plan.routes), staging / "routes.csv")
    write_csv(tidy(_unserved_table(plan)), staging / "unserved.csv")


def write_outputs(plan: Plan, folder: str | Path, *, lang: str = "vi",
                  extra: Callable[[Path], object] | None = None) -> dict[str, Path]:
    """Write every output file of a plan into ``folder``, all or nothing.

    Parameters
    ----------
    plan
        The plan.
    folder
        Output folder (created if needed), replaced as a whole by the new set (see
        :func:`optimizer.files.staged_folder`).
    lang
        Language of the dispatch sheets and ``summary.csv`` (``vi`` or ``en``).
    extra
        Optional callable ``extra(staging: Path)`` writing further files (e.g. the map) into the same
        all-or-nothing set.

    Returns
    -------
    dict
        Name → final path of each file written.
    """
    folder = Path(folder)
    written: dict[str, Path] = {}
    with staged_folder(folder) as staging:
        _write_core(plan, staging)
        write_csv(tidy(summary_frame(plan, lang)), staging / "summary.csv")
        write_csv(loading_frame(plan), staging / "loading.csv")
        (staging / "loading.html").write_text(loading_html(plan, lang=lang), encoding="utf-8")
        write_xlsx(plan, staging / "plan.xlsx", lang=lang)
        (staging / "gpx").mkdir()
        for name, text in gpx_files(plan).items():
            (staging / "gpx" / name).write_text(text, encoding="utf-8")
        (staging / "routes.geojson").write_text(plan_geojson(plan).to_json(drop_id=True, ensure_ascii=False),
                                                encoding="utf-8")
        (staging / "dispatch").mkdir()
        sheets = {vehicle_id: f"{stem}.html" for vehicle_id, stem in
                  safe_file_names(plan.routes["vehicle_id"].drop_duplicates()).items()}
        for vehicle_id, name in sheets.items():
            (staging / "dispatch" / name).write_text(dispatch_sheet_html(plan, vehicle_id, lang=lang), encoding="utf-8")
        (staging / "dispatch" / "index.html").write_text(_dispatch_index(plan, sheets, lang=lang), encoding="utf-8")
        (staging / "timeline.html").write_text(timeline_html(plan, lang=lang), encoding="utf-8")
        if extra is not None:
            extra(staging)
        written = {str(p.relative_to(staging)): folder / p.relative_to(staging) for p in staging.rglob("*")
                   if p.is_file()}
    return written
