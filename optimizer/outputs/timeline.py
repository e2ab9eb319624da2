"""The vehicles' day as a timeline (Gantt chart): ``timeline.html``, one section per depot, one row per vehicle.

Each trip is a bar from the start of loading to the return to the depot, in the vehicle's colour on the map
(:func:`optimizer.outputs.layers.vehicle_colours`): the loading part pale, the drive solid, each stop a white
tick at its arrival. A vehicle is listed under each depot it loads at; a lent vehicle's drive to the depot it
loads at is a thin grey bar. The curfew is shaded.
The page is one self-contained HTML file with inline SVG and CSS (no script, no network), readable on screen
and printed on A4 landscape; hovering a bar or tick shows its times.

Times come from the plan's frames: a trip leaves at its first arrival minus the first leg, is back at its last
departure plus the return leg (``plan.legs``), and starts loading the depot's loading time before it leaves
(``plan.settings["depot_load_min"]``; without it the bar starts when the vehicle leaves). The curfew is
``plan.settings["curfew"]`` (``{"start": "HH:MM", "end": "HH:MM"}``; none shaded when missing).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from optimizer.clock import format_hhmm, parse_hhmm
from optimizer.outputs.fmt import Fmt, esc
from optimizer.outputs.layers import column_of, vehicle_colours
from optimizer.outputs.resources import labels
from optimizer.plan import Plan

HOUR_S = 3600
#: Drawing sizes (px in the SVG's own units; the SVG scales to the page width).
LABEL_W, CHART_W, ROW_H, BAR_H, AXIS_H = 230, 900, 24, 14, 22
#: The axis always shows at least these hours, so that every depot's chart has the same scale.
DAY_FROM_S, DAY_TO_S = 5 * HOUR_S, 20 * HOUR_S
CSS = """
body{font-family:"Helvetica Neue",Arial,"DejaVu Sans",sans-serif;margin:16px;color:#111}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 4px}
.sub{color:#444;margin-bottom:8px}.legend span{display:inline-flex;align-items:center;margin-right:16px;font-size:12px}
.legend i{display:inline-block;width:26px;height:11px;margin-right:5px;border:1px solid #999}
svg{width:100%;height:auto;max-width:1200px;display:block}
svg text{font-size:11px;font-family:inherit}
section{break-inside:avoid;page-break-inside:avoid}
@page{size:A4 landscape;margin:10mm}
"""


def _trips(plan: Plan) -> pd.DataFrame:
    """One row per trip: vehicle, depot, load start, leave, back (seconds), stops, kg and the stops' arrivals."""
    routes = plan.routes
    if routes is None or not len(routes):
        return pd.DataFrame(columns=["vehicle_id", "vehicle_name", "depot_id", "trip", "load_s", "leave_s",
                                     "back_s", "stops", "kg", "arrivals"])
    rows = routes.sort_values(["vehicle_id", "trip", "seq"]).assign(
        vehicle_id=lambda r: r["vehicle_id"].astype(str),
        first_leg_s=lambda r: pd.to_numeric(r["leg_min"], errors="coerce").fillna(0.0) * 60)
    trips = rows.groupby(["vehicle_id", "trip"], sort=False).agg(
        vehicle_name=("vehicle_name", "first"), depot_id=("depot_id", "first"), first_s=("arrival_s", "first"),
        first_leg_s=("first_leg_s", "first"), last_s=("departure_s", "last"), stops=("seq", "size"),
        kg=("quantity_kg", "sum"), arrivals=("arrival_s", list)).reset_index()
    back_leg_s = pd.Series(0.0, index=trips.index)
    legs = plan.legs
    if legs is not None and len(legs):
        leg_s = {(str(v), int(t), int(s)): float(m) * 60 for v, t, s, m in
                 zip(legs["vehicle_id"], legs["trip"], legs["seq"], pd.to_numeric(legs["leg_min"], errors="coerce"))
                 if math.isfinite(float(m))}
        back_leg_s = pd.Series([leg_s.get((v, int(t), int(n) + 1), 0.0)
                                for v, t, n in zip(trips["vehicle_id"], trips["trip"], trips["stops"])], index=trips.index)
    load_min = plan.settings.get("depot_load_min") or {}
    trips["leave_s"] = trips["first_s"].astype(float) - trips["first_leg_s"]
    trips["load_s"] = trips["leave_s"] - trips["depot_id"].map(lambda d: float(load_min.get(str(d), 0.0)) * 60)
    trips["back_s"] = trips["last_s"].astype(float) + back_leg_s
    return trips


def _curfew(plan: Plan) -> list[tuple[float, float]]:
    """Curfew intervals within the day (one over midnight gives two)."""
    curfew = plan.settings.get("curfew")
    if not curfew:
        return []
    start, end = parse_hhmm(str(curfew["start"])), parse_hhmm(str(curfew["end"]))
    return [(start, end)] if start < end else [(start, 24 * HOUR_S), (0, end)]


class _Scale:
    def __init__(self, lo_s: float, hi_s: float) -> None:
        self.lo_s, self.hi_s = lo_s, hi_s

    def x(self, seconds: float) -> float:
        return round(LABEL_W + (min(max(seconds, self.lo_s), self.hi_s) - self.lo_s) / (self.hi_s - self.lo_s)
                     * CHART_W, 1)


def _axis(scale: _Scale, height: float) -> list[str]:
    parts = []
    for hour in range(int(scale.lo_s // HOUR_S), int(scale.hi_s // HOUR_S) + 1):
        x = scale.x(hour * HOUR_S)
        parts.append(f'<line x1="{x}" y1="{AXIS_H - 4}" x2="{x}" y2="{height}" stroke="#ddd"/>'
                     f'<text x="{x}" y="{AXIS_H - 8}" text-anchor="middle">{hour:02d}:00</text>')
    return parts


def _vehicle_row(vehicle: pd.DataFrame, y: float, colour: str, scale: _Scale, loans: pd.DataFrame,
                 f: Fmt, t: dict[str, Any]) -> list[str]:
    first = vehicle.iloc[0]
    name = esc(first["vehicle_id"])
    if not pd.isna(first["vehicle_name"]) and str(first["vehicle_name"]) != str(first["vehicle_id"]):
        name += f" · {esc(first['vehicle_name'])}"
    top = y + (ROW_H - BAR_H) / 2
    parts = [f'<text x="4" y="{y + ROW_H / 2 + 4}"><title>{name}</title>{name[:38]}</text>']
    for loan in loans.itertuples():
        a, b = scale.x(parse_hhmm(str(loan.depart))), scale.x(parse_hhmm(str(loan.arrive)))
        tip = t["loan_tip"].format(depart=esc(loan.depart), arrive=esc(loan.arrive), depot=esc(loan.to_depot))
        parts.append(f'<rect x="{a}" y="{top + BAR_H / 2 - 2}" width="{max(b - a, 2)}" height="4" fill="#777">'
                     f'<title>{tip}</title></rect>')
    for trip in vehicle.itertuples():
        load, leave, back = scale.x(trip.load_s), scale.x(trip.leave_s), scale.x(trip.back_s)
        tip = t["trip_tip"].format(trip=trip.trip, load=format_hhmm(trip.load_s, exact=False),
                                   leave=format_hhmm(trip.leave_s, exact=False),
                                   back=format_hhmm(trip.back_s, exact=False), stops=trip.stops, kg=f.num(trip.kg))
        parts.append(f'<g><title>{tip}</title>'
                     f'<rect x="{load}" y="{top}" width="{max(leave - load, 0)}" height="{BAR_H}" fill="{colour}" '
                     f'fill-opacity=".35" stroke="{colour}"/>'
                     f'<rect class="trip" x="{leave}" y="{top}" width="{max(back - leave, 1)}" height="{BAR_H}" '
                     f'fill="{colour}"/>')
        parts += [f'<line class="stop" x1="{scale.x(a)}" y1="{top + 2}" x2="{scale.x(a)}" y2="{top + BAR_H - 2}" '
                  f'stroke="#fff" stroke-width="1.2"/>' for a in trip.arrivals]
        parts.append("</g>")
    return parts


def _depot_svg(trips: pd.DataFrame, colours: dict[str, str], scale: _Scale, curfew: list[tuple[float, float]],
               loans: pd.DataFrame, f: Fmt, t: dict[str, Any]) -> str:
    vehicles = list(dict.fromkeys(trips["vehicle_id"]))
    height = AXIS_H + ROW_H * len(vehicles) + 4
    parts = [f'<svg viewBox="0 0 {LABEL_W + CHART_W + 24} {height}" xmlns="http://www.w3.org/2000/svg">']
    for start, end in curfew:
        if end > scale.lo_s and start < scale.hi_s:
            a, b = scale.x(start), scale.x(end)
            parts.append(f'<rect class="curfew" x="{a}" y="{AXIS_H - 4}" width="{b - a}" height="{height - AXIS_H + 4}" '
                         f'fill="#555" fill-opacity=".18"><title>{t["curfew"]}</title></rect>')
    parts += _axis(scale, height)
    for row, vid in enumerate(vehicles):
        y = AXIS_H + row * ROW_H
        if row % 2:
            parts.append(f'<rect x="0" y="{y}" width="{LABEL_W + CHART_W}" height="{ROW_H}" fill="#000" '
                         f'fill-opacity=".035"/>')
        parts += _vehicle_row(trips[trips["vehicle_id"] == vid], y, colours.get(vid, "#1f77b4"), scale,
                              loans[loans["vehicle_id"].astype(str) == vid], f, t)
    parts.append("</svg>")
    return "".join(parts)


def timeline_html(plan: Plan, *, lang: str = "vi") -> str:
    """The timeline page of a plan (see the module docstring), in ``lang`` (``vi`` or ``en``)."""
    f = Fmt(lang)
    t = labels(lang)["timeline"]
    trips = _trips(plan)
    curfew = _curfew(plan)
    ends = np.r_[trips["load_s"].to_numpy(float), trips["back_s"].to_numpy(float)] if len(trips) else np.array([])
    lo_s = min(DAY_FROM_S, math.floor(ends.min() / HOUR_S) * HOUR_S) if len(ends) else DAY_FROM_S
    hi_s = max(DAY_TO_S, math.ceil(ends.max() / HOUR_S) * HOUR_S) if len(ends) else DAY_TO_S
    scale = _Scale(max(lo_s, 0), min(hi_s, 24 * HOUR_S))
    transfers = plan.transfers if plan.transfers is not None else pd.DataFrame()
    loans = transfers[column_of(transfers, "kind") == "vehicle"] if len(transfers) else pd.DataFrame(
        columns=["vehicle_id", "depart", "arrive", "to_depot"])
    colours = vehicle_colours(plan)
    names = dict(zip(column_of(plan.depots, "depot_id").astype(str), column_of(plan.depots, "name")))
    order = [str(d) for d in column_of(plan.depots, "depot_id")]
    depots = sorted(set(trips["depot_id"].astype(str)), key=lambda d: (order.index(d) if d in order else len(order), d))
    curfew_text = t["curfew_hours"].format(start=esc(plan.settings["curfew"]["start"]),
                                           end=esc(plan.settings["curfew"]["end"])) if curfew else ""
    legend = (f'<div class="legend"><span><i style="background:#1f77b4;opacity:.35"></i>{t["loading"]}</span>'
              f'<span><i style="background:#1f77b4"></i>{t["driving"]}</span>'
              f'<span><i style="background:linear-gradient(90deg,#1f77b4 45%,#fff 45% 55%,#1f77b4 55%)"></i>{t["stop"]}</span>'
              f'<span><i style="background:#777;height:4px"></i>{t["loan"]}</span>'
              + (f'<span><i style="background:#555;opacity:.3"></i>{curfew_text}</span>' if curfew else "")
              + "</div>")
    sections = []
    for depot in depots:
        depot_trips = trips[trips["depot_id"].astype(str) == depot]
        n = depot_trips["vehicle_id"].nunique()
        title = t["depot"].format(depot=esc(names.get(depot)) or esc(depot), vehicles=n, trips=len(depot_trips),
                                  kg=f.num(depot_trips["kg"].sum()))
        sections.append(f'<section><h2>{title}</h2>{_depot_svg(depot_trips, colours, scale, curfew, loans, f, t)}'
                        f"</section>")
    body = "".join(sections) or f"<p>{t['no_trips']}</p>"
    return (f'<!DOCTYPE html><html lang="{f.t["html_lang"]}"><head><meta charset="utf-8">'
            f'<title>{t["title"]} — {esc(plan.title)}</title><style>{CSS}</style></head><body>'
            f'<h1>{t["title"]}</h1><div class="sub">{esc(plan.title)} · {f.date(plan.date)}</div>'
            f"{legend}{body}</body></html>")
