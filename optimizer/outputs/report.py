"""Plan → files: plan.json, routes.csv, unserved.csv, routes.geojson, summary.csv and printable dispatch sheets.

CSV files are UTF-8 with a byte-order mark so that Excel on a Vietnamese Windows shows the diacritics.
Every file is written into a staging folder and moved into place only when all are complete.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.files import staged_folder
from optimizer.clock import format_hhmm
from optimizer.plan import Plan

CSV_ENCODING = "utf-8-sig"

#: Dispatch-sheet labels per language.
SHEET_LABELS = {
    "vi": {
        "title": "LỆNH ĐIỀU XE CHỞ HÀNG THIẾT YẾU",
        "vehicle": "Xe",
        "depot": "Kho xuất hàng",
        "capacity": "Tải trọng",
        "trip": "Chuyến",
        "leave": "Rời kho",
        "back": "Về kho",
        "seq": "STT",
        "stop": "Điểm giao",
        "ward": "Phường/Xã",
        "arrival": "Giờ đến",
        "departure": "Giờ đi",
        "quantity": "Giao (kg)",
        "load": "Trên xe khi đến (kg)",
        "note": "Ghi chú",
        "approx": "Đoạn đường gần đúng (không có dữ liệu OSM): hỏi đường địa phương",
        "signature": "Chỉ huy đội xe ký nhận",
        "total": "Tổng",
        "index": "Danh sách lệnh điều xe",
        "curfew": "Không lưu thông trong giờ giới nghiêm",
    },
    "en": {
        "title": "DISPATCH ORDER — ESSENTIAL FOOD DELIVERY",
        "vehicle": "Vehicle",
        "depot": "Depot",
        "capacity": "Capacity",
        "trip": "Trip",
        "leave": "Leaves depot",
        "back": "Back at depot",
        "seq": "#",
        "stop": "Drop point",
        "ward": "Ward",
        "arrival": "Arrival",
        "departure": "Departure",
        "quantity": "Deliver (kg)",
        "load": "On board on arrival (kg)",
        "note": "Note",
        "approx": "Approximate road (no OSM data): ask local guides",
        "signature": "Convoy commander's signature",
        "total": "Total",
        "index": "Dispatch orders",
        "curfew": "No driving during curfew",
    },
}


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


def plan_to_json(plan: Plan) -> dict:
    """Everything in the plan as JSON-ready data, with the scenario and settings that produced it."""
    return {
        "title": plan.title,
        "date": plan.date,
        "settings": plan.settings,
        "kpis": plan.kpis,
        "depots": _records(plan.depots),
        "stops": _records(plan.stops),
        "routes": _records(plan.routes),
        "unserved": _records(plan.unserved),
        "wards": _records(plan.wards),
    }


def summary_frame(plan: Plan) -> pd.DataFrame:
    """Per ward and per depot figures in one table (column ``level``: ``ward`` or ``depot``)."""
    wards = pd.DataFrame(plan.wards.drop(columns="geometry", errors="ignore")).assign(level="ward")
    wards = wards.rename(columns={"ward_id": "id", "ward": "name"})
    depots = plan.depots.assign(level="depot").rename(columns={"depot_id": "id"})
    depots["served_share"] = np.where(depots["stock_kg"] > 0, depots["load_kg"] / depots["stock_kg"], np.nan)
    columns = ["level", "id", "name", "locality", "zone", "demand_kg", "delivered_kg", "served_share",
               "stock_kg", "load_kg", "vehicles"]
    return pd.concat([wards, depots], ignore_index=True).reindex(columns=columns)


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


def dispatch_sheet_html(plan: Plan, vehicle_id: str, *, lang: str = "vi") -> str:
    """A printable A4 dispatch order for one vehicle: every trip, stops in order, times and quantities."""
    text = SHEET_LABELS[lang]
    rows = plan.routes[plan.routes["vehicle_id"] == vehicle_id]
    first = rows.iloc[0]
    parts = [
        f"<h1>{html.escape(text['title'])}</h1>",
        f"<p class='meta'>{html.escape(plan.title)} — {html.escape(plan.date)}</p>",
        "<table class='head'>",
        f"<tr><th>{text['vehicle']}</th><td>{_cell(vehicle_id)} ({_cell(first['vehicle_name'])}, "
        f"{_cell(first['profile'])})</td><th>{text['capacity']}</th><td>{first['capacity_kg']:,.0f} kg</td></tr>",
        f"<tr><th>{text['depot']}</th><td colspan='3'>{_cell(first['depot_name'])}</td></tr>",
        "</table>",
    ]
    legs = plan.legs[plan.legs["vehicle_id"] == vehicle_id]
    for trip, stops in rows.groupby("trip", sort=True):
        stops = stops.sort_values("seq")
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
    parts.append(f"<p class='note'>{html.escape(text['curfew'])}</p>")
    parts.append(f"<p class='sign'>{html.escape(text['signature'])}: ____________________</p>")
    style = (
        "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:11pt;margin:1.5cm}"
        "table{border-collapse:collapse;width:100%;margin-bottom:8pt}th,td{border:1px solid #444;padding:3pt 5pt}"
        "th{background:#eee;text-align:left}td.n{text-align:right}tr.total td{font-weight:bold}"
        "h1{font-size:15pt;text-align:center}h2{font-size:12pt;margin-top:12pt}.meta{text-align:center}"
        "@media print{h2{page-break-after:avoid}table{page-break-inside:auto}tr{page-break-inside:avoid}}"
    )
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(text['vehicle'])} {html.escape(str(vehicle_id))}</title><style>{style}</style>"
        f"</head><body>{''.join(parts)}</body></html>"
    )


def _dispatch_index(plan: Plan, files: dict[str, str], *, lang: str) -> str:
    text = SHEET_LABELS[lang]
    items = "".join(
        f"<li><a href='{html.escape(name)}'>{html.escape(str(vehicle))}</a></li>" for vehicle, name in files.items()
    )
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{text['index']}</title></head>"
        f"<body><h1>{text['index']}</h1><p>{html.escape(plan.title)} — {html.escape(plan.date)}</p>"
        f"<ul>{items}</ul></body></html>"
    )


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(text))


def write_assignment_files(assignment, folder: str | Path) -> None:
    """Write a depot assignment (``assignment.csv``, ``depot_load.csv``, ``unassigned.csv``), all or nothing."""
    with staged_folder(folder) as staging:
        assignment.points.to_csv(staging / "assignment.csv", index=False, encoding=CSV_ENCODING)
        assignment.depots.to_csv(staging / "depot_load.csv", index=False, encoding=CSV_ENCODING)
        assignment.unassigned.to_csv(staging / "unassigned.csv", index=False, encoding=CSV_ENCODING)


def write_route_files(plan: Plan, folder: str | Path) -> None:
    """Write the routing files only (``routes.csv``, ``plan.json``, ``unserved.csv``), all or nothing."""
    with staged_folder(folder) as staging:
        _write_core(plan, staging)


def _write_core(plan: Plan, staging: Path) -> None:
    (staging / "plan.json").write_text(
        json.dumps(plan_to_json(plan), ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8"
    )
    plan.routes.to_csv(staging / "routes.csv", index=False, encoding=CSV_ENCODING)
    plan.unserved.to_csv(staging / "unserved.csv", index=False, encoding=CSV_ENCODING)


def write_outputs(plan: Plan, folder: str | Path, *, lang: str = "vi", extra=None) -> dict[str, Path]:
    """Write every output file of a plan into ``folder``, all or nothing.

    Parameters
    ----------
    plan
        The plan.
    folder
        Output folder (created if needed).
    lang
        Language of the dispatch sheets (``vi`` or ``en``).
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
        summary_frame(plan).to_csv(staging / "summary.csv", index=False, encoding=CSV_ENCODING)
        plan_geojson(plan).to_file(staging / "routes.geojson", driver="GeoJSON")
        sheets = {}
        (staging / "dispatch").mkdir()
        for vehicle_id in plan.routes["vehicle_id"].drop_duplicates():
            name = f"{_safe_name(vehicle_id)}.html"
            (staging / "dispatch" / name).write_text(dispatch_sheet_html(plan, vehicle_id, lang=lang), encoding="utf-8")
            sheets[vehicle_id] = name
        (staging / "dispatch" / "index.html").write_text(_dispatch_index(plan, sheets, lang=lang), encoding="utf-8")
        if extra is not None:
            extra(staging)
        written = {str(p.relative_to(staging)): folder / p.relative_to(staging) for p in staging.rglob("*")
                   if p.is_file()}
    return written
