"""Printable dispatch sheets: one order per vehicle, their index, and every sheet in one document to print.

A sheet is what a driver carries: the vehicle, its kind and capacity, the driver, plate and phone when
``fleet.csv`` gives them, the curfew hours, then every trip with its stops in driving order (the receiver and
their phone when the drop point has them, a QR code with the position of a stop reached over approximate roads),
an empty "actually delivered" column and a receiver's signature cell per stop, each trip's total and the day's
total, and the signatures. Every word is in the document's language (labels ``sheet`` of
``assets/khf/labels-<lang>.json``) and every number in its format (:class:`~optimizer.outputs.fmt.Fmt`:
``2.500 kg`` in Vietnamese, ``2,500 kg`` in English).

Printing (``assets/khf/dispatch.css``): A4 pages; each trip's header rows (vehicle and trip, column names) are a
``<thead>``, repeated on every page the trip runs over; a trip's last stops and its total row form one
``<tbody>`` that is not split, so no page starts with a lone total; in the all-sheets document every vehicle
starts on a new page. Kilograms are shown rounded to 1 kg, and the totals add the rounded figures, so that a
sheet adds up when checked by hand.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import segno

from optimizer.clock import format_hhmm
from optimizer.outputs.fmt import Fmt, esc, missing
from optimizer.outputs.kpis import closed_depots
from optimizer.outputs.resources import asset_text, labels, reason_words
from optimizer.outputs.summary import flow_lines
from optimizer.plan import Plan

__all__ = ["ALL_SHEETS", "html_document", "all_sheets_html", "dispatch_index_html", "dispatch_sheet_html"]

#: File name (in ``dispatch/``) of the document holding every sheet, one after the other.
ALL_SHEETS = "all_sheets.html"
#: Stops kept on the same page as a trip's total row.
ROWS_WITH_TOTAL = 2
#: Columns of a trip's table, in order (keys of the ``sheet`` labels).
STOP_HEADS = ("seq", "stop", "ward", "arrival", "departure", "quantity", "load", "received", "receiver_sign", "note")


# --------------------------------------------------------------------------------------------------
# The plan's figures per vehicle
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Trip:
    """One trip of a vehicle: its stops in order and when it leaves and is back at the depot."""

    number: int
    depot_id: str
    stops: pd.DataFrame
    leave_s: float
    back_s: float

    @property
    def kg(self) -> float:
        """Kilograms delivered, each stop rounded to 1 kg as printed."""
        return float(self.stops["quantity_kg"].round().sum())

    def on_board_kg(self) -> list[float]:
        """Kilograms on board on arrival at each stop: what is left to deliver, from the printed (rounded)
        figures, so that the column agrees with the quantities below it."""
        left = self.stops["quantity_kg"].round().to_numpy()[::-1].cumsum()[::-1]
        return [float(kg) for kg in left]


def _trips(plan: Plan, vehicle_id: str) -> list[_Trip]:
    """The vehicle's trips in order (leaving: first arrival less the first leg; back: last departure plus the
    return leg)."""
    rows = plan.routes[plan.routes["vehicle_id"].astype(str) == str(vehicle_id)]
    legs = plan.legs[plan.legs["vehicle_id"].astype(str) == str(vehicle_id)]
    out = []
    for trip, stops in rows.groupby("trip", sort=True):
        stops = stops.sort_values("seq")
        back_leg = legs[(legs["trip"] == trip) & (legs["seq"] == len(stops) + 1)]
        leave_s = float(stops["arrival_s"].iloc[0] - stops["leg_min"].iloc[0] * 60)
        back_s = float(stops["departure_s"].iloc[-1] + (back_leg["leg_min"].iloc[0] * 60 if len(back_leg) else 0))
        out.append(_Trip(int(trip), str(stops["depot_id"].iloc[0]), stops, leave_s, back_s))
    return out


def _home(plan: Plan, vehicle_id: str) -> str:
    """The vehicle's home depot (where its day starts and ends)."""
    rows = plan.routes[plan.routes["vehicle_id"].astype(str) == str(vehicle_id)]
    home = rows["home_depot_id"].iloc[0]
    return str(rows["depot_id"].iloc[0] if missing(home) else home)


def _loan(plan: Plan, vehicle_id: str, to_depot: str) -> dict[str, Any] | None:
    """The vehicle's drive to ``to_depot`` when it is lent there (a row of :attr:`Plan.transfers`)."""
    transfers = plan.transfers
    if not len(transfers):
        return None
    moves = transfers[(transfers["kind"] == "vehicle") & (transfers["vehicle_id"].astype(str) == str(vehicle_id))
                      & (transfers["to_depot"].astype(str) == str(to_depot))]
    return moves.iloc[0].to_dict() if len(moves) else None


def _departure(plan: Plan, vehicle_id: str, trips: list[_Trip]) -> str:
    """When the vehicle leaves its home depot in the morning (``HH:MM``)."""
    first = trips[0]
    loan = _loan(plan, vehicle_id, first.depot_id) if first.depot_id != _home(plan, vehicle_id) else None
    return str(loan["depart"]) if loan else format_hhmm(first.leave_s, exact=False)


def _crew(plan: Plan, vehicle_id: str) -> dict[str, str]:
    """The vehicle's ``driver``, ``plate`` and ``phone`` that the plan gives (none when it has no
    :attr:`Plan.vehicles` row)."""
    vehicles = plan.vehicles
    row = vehicles[vehicles["vehicle_id"].astype(str) == str(vehicle_id)]
    if not len(row):
        return {}
    return {k: str(row.iloc[0][k]) for k in ("driver", "plate", "phone")
            if k in row.columns and not missing(row.iloc[0][k]) and str(row.iloc[0][k]).strip()}


def _depot_name(plan: Plan, depot_id: Any) -> str:
    names = dict(zip(plan.depots["depot_id"].astype(str), plan.depots["name"]))
    return str(names.get(str(depot_id), depot_id))


# --------------------------------------------------------------------------------------------------
# One sheet
# --------------------------------------------------------------------------------------------------


def _profile(value: Any, text: Mapping[str, str]) -> str:
    """A vehicle profile in words of the sheet's language (as given when unknown)."""
    return text.get(f"profile_{value}") or esc(value)


def _head_html(plan: Plan, vehicle_id: str, f: Fmt, text: Mapping[str, str]) -> str:
    """The vehicle, its kind, capacity and crew (label and value pairs, two to a row), the depots it loads at in
    order, and its home depot when its day starts elsewhere."""
    first = plan.routes[plan.routes["vehicle_id"].astype(str) == str(vehicle_id)].iloc[0]
    pairs = [
        (text["kind"], _profile(first["profile"], text)), (text["capacity"], f.kg(first["capacity_kg"])),
        *[(text[k], esc(v)) for k, v in _crew(plan, vehicle_id).items()],
    ]
    rows = [f"<tr><th>{text['vehicle']}</th><td colspan=3>{esc(vehicle_id)} ({esc(first['vehicle_name'])})</td></tr>"]
    for k in range(0, len(pairs), 2):
        (a, va), *rest = pairs[k:k + 2]
        second = f"<th>{rest[0][0]}</th><td>{rest[0][1]}</td>" if rest else ""
        rows.append(f"<tr><th>{a}</th><td{'' if rest else ' colspan=3'}>{va}</td>{second}</tr>")
    home = _home(plan, vehicle_id)
    loads_at = list(dict.fromkeys(t.depot_id for t in _trips(plan, vehicle_id)))
    names = " → ".join(esc(_depot_name(plan, depot)) for depot in loads_at)
    rows.append(f"<tr><th>{text['depot']}</th><td colspan=3>{names}</td></tr>")
    if loads_at[0] != home:
        rows.append(f"<tr><th>{text['home_depot']}</th><td colspan=3>{esc(_depot_name(plan, home))}</td></tr>")
    return f"<table class='head'>{''.join(rows)}</table>"


def _curfew_html(plan: Plan, text: Mapping[str, str]) -> str:
    """The curfew reminder, with its hours when the plan records them."""
    curfew = plan.settings.get("curfew")
    words = text["curfew_hours"].format(**curfew) if isinstance(curfew, dict) else text["curfew"]
    return f"<p class='curfew'>{html.escape(words)}</p>"


def _replaces_html(plan: Plan, text: Mapping[str, str]) -> str:
    """On a re-plan's documents: they replace the earlier ones from the re-plan time."""
    replan = plan.settings.get("replan")
    if not isinstance(replan, dict):
        return ""
    return f"<p class='replaces'><b>{html.escape(text['replaces'].format(at=replan['at']))}</b></p>"


def _qr_svg(lat: float, lon: float, text: Mapping[str, str]) -> str:
    """An inline SVG QR code of the position as a ``geo:`` URI (a phone's map app opens it)."""
    uri = f"geo:{lat:.6f},{lon:.6f}"
    code = segno.make_qr(uri, error="m")
    return code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", title=f"{text['qr']} ({uri})")


def _stop_row(row: Mapping[str, Any], on_board_kg: float, f: Fmt, text: Mapping[str, str]) -> str:
    """One stop: where, when, how much, the receiver, and empty cells for what was received and the signature."""
    who = " · ".join(esc(row.get(k)) for k in ("contact", "phone") if esc(row.get(k)).strip())
    contact = f"<div class='contact'>{text['contact']}: {who}</div>" if who else ""
    approximate = bool(row["approximate_leg"]) and not missing(row["approximate_leg"])
    note = (f"<div class='approx'>{text['approx']}</div>{_qr_svg(float(row['lat']), float(row['lon']), text)}"
            if approximate else "")
    return (
        f"<tr><td class='n'>{int(row['seq'])}</td><td>{esc(row['name'])}{contact}</td><td>{esc(row['ward'])}</td>"
        f"<td class='t'>{esc(row['arrival'])}</td><td class='t'>{esc(row['departure'])}</td>"
        f"<td class='n'>{f.num(row['quantity_kg'])}</td><td class='n'>{f.num(on_board_kg)}</td>"
        f"<td class='fill'></td><td class='fill'></td><td class='note'>{note}</td></tr>"
    )


def _trip_html(vehicle_id: str, trip: _Trip, f: Fmt, text: Mapping[str, str]) -> str:
    """A trip's table: the header rows (repeated on every page), the stops, the trip's total kept with the
    last stops."""
    title = (f"{text['trip']} {trip.number} — {text['leave']} {format_hhmm(trip.leave_s, exact=False)} · "
             f"{text['back']} {format_hhmm(trip.back_s, exact=False)}")
    columns = "".join(f"<col class='c-{k}'>" for k in STOP_HEADS)
    heads = "".join(f"<th>{text[k]}</th>" for k in STOP_HEADS)
    rows = [_stop_row(row, kg, f, text) for row, kg in zip(trip.stops.to_dict("records"), trip.on_board_kg())]
    total = (f"<tr class='total'><td colspan=5>{text['trip_total'].format(trip=trip.number)}</td>"
             f"<td class='n'>{f.num(trip.kg)}</td><td colspan=4></td></tr>")
    # The first and the last rows are unbreakable groups: a trip neither starts with its header alone at the
    # foot of a page nor leaves its total alone at the top of the next.
    cut = max(0, len(rows) - ROWS_WITH_TOTAL)
    start = min(ROWS_WITH_TOTAL, cut)
    body = "".join(f"<tbody class='keep'>{''.join(part)}</tbody>" if keep else f"<tbody>{''.join(part)}</tbody>"
                   for part, keep in ((rows[:start], True), (rows[start:cut], False)) if part)
    return (
        f"<h2>{title}</h2><table class='stops'><colgroup>{columns}</colgroup><thead><tr class='who'>"
        f"<th colspan={len(STOP_HEADS)}>{text['vehicle']} {esc(vehicle_id)} — {title}</th></tr><tr>{heads}</tr>"
        f"</thead>{body}<tbody class='keep'>{''.join(rows[cut:])}{total}</tbody></table>"
    )


def _loan_html(plan: Plan, vehicle_id: str, to_depot: str, trip: int, text: Mapping[str, str]) -> str:
    """The drive of a lent vehicle to the depot it loads at from ``trip`` on."""
    loan = _loan(plan, vehicle_id, to_depot)
    if loan is None:
        return ""
    words = text["lent"].format(home=_depot_name(plan, loan["from_depot"]), depot=_depot_name(plan, to_depot),
                                depart=loan["depart"], arrive=loan["arrive"], trip=int(trip))
    return f"<p class='lent'><b>{html.escape(words)}</b></p>"


def _of_vehicle(plan: Plan, vehicle_id: str) -> Plan:
    """The plan cut down to one vehicle's rows (a sheet looks its rows up many times: the whole day's frames
    would be scanned for each)."""
    def mine(frame):
        return frame[frame["vehicle_id"].astype(str) == str(vehicle_id)] if "vehicle_id" in frame.columns else frame

    legs = pd.DataFrame(mine(plan.legs).drop(columns="geometry", errors="ignore"))  # a sheet draws no line
    return dataclasses.replace(plan, routes=mine(plan.routes), legs=legs, transfers=mine(plan.transfers),
                               vehicles=mine(plan.vehicles))


def _sheet_body(plan: Plan, vehicle_id: str, f: Fmt, text: Mapping[str, str]) -> str:
    """One vehicle's sheet as a ``<section>``."""
    plan = _of_vehicle(plan, vehicle_id)
    trips = _trips(plan, vehicle_id)
    home = _home(plan, vehicle_id)
    parts = [
        f"<h1>{html.escape(text['title'])}</h1>",
        f"<p class='meta'>{esc(plan.title)} — {f.date(plan.date)}</p>",
        _replaces_html(plan, text),
        _head_html(plan, vehicle_id, f, text),
        _curfew_html(plan, text),
    ]
    at = home
    for trip in trips:
        if trip.depot_id != at:
            at = trip.depot_id
            parts.append(_loan_html(plan, vehicle_id, at, trip.number, text))
        parts.append(_trip_html(vehicle_id, trip, f, text))
    if at != home:
        parts.append(f"<p class='lent'>{html.escape(text['return_home'].format(home=_depot_name(plan, home)))}</p>")
    stops = sum(len(t.stops) for t in trips)
    parts.append(  # the day's total and the signatures stay together
        f"<div class='end'><table class='day'><tr><th>{text['day_total']}</th>"
        f"<td>{text['day_count'].format(trips=len(trips), stops=stops)}</td>"
        f"<td class='n'>{f.kg(sum(t.kg for t in trips))}</td></tr></table>"
        f"<table class='sign'><tr><th>{text['signature']}</th><th>{text['driver_sign']}</th></tr>"
        "<tr><td></td><td></td></tr></table></div>"
    )
    return f"<section class='sheet'>{''.join(parts)}</section>"


def html_document(lang: str, title: str, body: str) -> str:
    """A printable document in ``lang`` with the dispatch sheets' style."""
    style = asset_text("khf/dispatch.css")
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{style}</style></head><body>{body}</body></html>")


def dispatch_sheet_html(plan: Plan, vehicle_id: str, *, lang: str = "vi") -> str:
    """A printable A4 dispatch order for one vehicle: a lent vehicle's drive to the depot it loads at, then every
    trip, stops in order, times and quantities, in ``lang`` (``vi`` or ``en``)."""
    text = labels(lang)["sheet"]
    return html_document(lang, f"{text['vehicle']} {esc(vehicle_id)}", _sheet_body(plan, vehicle_id, Fmt(lang), text))


def all_sheets_html(plan: Plan, vehicle_ids: list[str], *, lang: str = "vi") -> str:
    """Every vehicle's sheet in one document, each starting on a new page (to print them all at once)."""
    text, f = labels(lang)["sheet"], Fmt(lang)
    body = "".join(_sheet_body(plan, vehicle_id, f, text) for vehicle_id in vehicle_ids)
    return html_document(lang, f"{text['index']} — {esc(plan.date)}", body)


# --------------------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------------------


def _table(head: list[str], rows: list[list[str]]) -> str:
    """An HTML table from already-escaped cells."""
    return ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows) + "</tbody></table>")


def _vehicles_html(plan: Plan, files: Mapping[str, str], f: Fmt, text: Mapping[str, str]) -> str:
    """Every vehicle with a sheet, grouped by home depot: departure, trips, stops, kilograms and a link."""
    drivers = {vehicle_id: _crew(plan, vehicle_id).get("driver", "") for vehicle_id in files}
    heads = [text["vehicle"], *([text["driver"]] if any(drivers.values()) else []), text["departs"], text["trips"],
             text["stops"], text["quantity"]]
    groups: dict[str, list[str]] = {}
    totals: dict[str, float] = {}
    for vehicle_id, name in files.items():
        trips = _trips(plan, vehicle_id)
        home = _home(plan, vehicle_id)
        kg = sum(t.kg for t in trips)
        totals[home] = totals.get(home, 0.0) + kg
        driver = f"<td>{esc(drivers[vehicle_id])}</td>" if any(drivers.values()) else ""
        groups.setdefault(home, []).append(
            f"<tr><td><a href='{html.escape(name)}'>{html.escape(str(vehicle_id))}</a></td>"
            f"{driver}<td class='t'>{_departure(plan, vehicle_id, trips)}</td>"
            f"<td class='n'>{len(trips)}</td><td class='n'>{sum(len(t.stops) for t in trips)}</td>"
            f"<td class='n'>{f.num(kg)}</td></tr>")
    order = [str(d) for d in plan.depots["depot_id"]]
    body = "".join(
        f"<tbody><tr class='group'><th colspan={len(heads)}>{esc(_depot_name(plan, depot))} ({esc(depot)}) — "
        f"{text['vehicle_count'].format(n=len(rows))} · {f.kg(totals[depot])}</th></tr>{''.join(rows)}</tbody>"
        for depot, rows in sorted(groups.items(), key=lambda g: order.index(g[0]) if g[0] in order else len(order)))
    return ("<table class='index'><thead><tr>" + "".join(f"<th>{h}</th>" for h in heads) + f"</tr></thead>{body}"
            "</table>")


def dispatch_index_html(plan: Plan, files: Mapping[str, str], *, lang: str = "vi", pdf: str | None = None,
                        meals: str | None = None) -> str:
    """The index of the dispatch orders, in ``lang``.

    The vehicles grouped by home depot (departure, trips, stops, kilograms, a link to each sheet), links to
    :data:`ALL_SHEETS` and to the PDF of every sheet (``pdf``, a file name beside the index, when it was made),
    then the depots (closed ones marked), the flows across localities and the points not fully served with the
    reason. ``meals``: the file name of the kitchens' run sheet for the camps, linked when given.
    """
    text, f = labels(lang)["sheet"], Fmt(lang)
    links = [f"<a href='{ALL_SHEETS}'>{text['print_all']}</a>"]
    if pdf:
        links.append(f"<a href='{html.escape(pdf)}'>{text['pdf']}</a>")
    if meals:
        links.append(f"<a href='{html.escape(meals)}'>{labels(lang)['meals']['link']}</a>")
    closed = closed_depots(plan.depots)
    depots = _table([text["depots"], text["vehicles"], text["depot_load"]], [
        [f"{esc(row['name'])} ({esc(row['depot_id'])})", esc(row["vehicles"]),
         f"<b>{text['closed']}</b>" if shut else f.num(row["load_kg"])]
        for (_, row), shut in zip(plan.depots.iterrows(), closed)])
    flows = "".join(f"<li>{html.escape(line)}</li>" for line in flow_lines(plan, lang))
    unserved = _table([text["stop"], text["ward"], text["missing"], text["reason"]], [
        [esc(row["stop_id"]), esc(row["ward"]), f.num(row["quantity_kg"]),
         html.escape(reason_words(row.get("reason_code"), row.get("reason"), lang))]
        for _, row in plan.unserved.iterrows()])
    body = (
        f"<h1>{text['index']}</h1><p class='meta'>{esc(plan.title)} — {f.date(plan.date)}</p>"
        f"{_replaces_html(plan, text)}"
        f"<p class='links'>{' · '.join(links)}</p>{_vehicles_html(plan, files, f, text)}"
        f"<h2>{text['depots']}</h2>{depots}"
        + (f"<h2>{text['flows']}</h2><ul>{flows}</ul>" if flows else "")
        + (f"<h2>{text['unserved']}</h2>{unserved}" if len(plan.unserved) else "")
    )
    return html_document(lang, text["index"], body)
