"""The map's data items: every stop, leg, depot, ward and road of a plan as compact, escaped JSON-ready lists.

:mod:`optimizer.outputs.webmap` puts them into map layers; the script ``assets/khf/khf.js`` draws them.
Coordinates are 1e-5° integer deltas (:func:`_encode`); every text taken from the plan is HTML-escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import shapely

from optimizer.clock import format_hhmm
from optimizer.outputs.fmt import Fmt, esc, zone_key
from optimizer.outputs.fmt import missing as _missing
from optimizer.outputs.kpis import closed_depots
from optimizer.outputs.style import SERVED_CLASSES, VEHICLE_COLOURS, ZONE_COLOURS
from optimizer.plan import Plan, meal_kpis

#: Simplification tolerance (degrees) of drawn geometry: ~1 m for roads, ~20 m for ward outlines.
ROAD_TOLERANCE = 1e-5
WARD_TOLERANCE = 2e-4
#: Street names: one label per street and cell of ~1.1 km, on stretches of at least 80 m (shorter ones cannot
#: hold a label at zoom 16).
STREET_CELL_DEG = 0.01
STREET_MIN_M = 80.0

# --------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------


def _served_colour(share: Any) -> str | None:
    if _missing(share):
        return None
    for bound, colour in SERVED_CLASSES:
        if float(share) >= bound - 1e-9:
            return colour
    return SERVED_CLASSES[-1][1]


def _popup(title: str, rows: Iterable[tuple[str, str]], warn: str = "") -> str:
    """Popup HTML from already-escaped pieces."""
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows if v not in ("", None))
    note = f'<div class="w">{warn}</div>' if warn else ""
    return f'<div class="khf-pop"><div class="h">{title}</div><table>{body}</table>{note}</div>'


# --------------------------------------------------------------------------------------------------
# Geometry encoding
# --------------------------------------------------------------------------------------------------


def _encode(coords: np.ndarray) -> list[int]:
    """(n, 2) lon/lat → flat [lat0, lon0, dlat1, dlon1, ...] in 1e-5 degrees, repeated points dropped."""
    q = np.rint(np.asarray(coords, dtype=float)[:, [1, 0]] * 1e5).astype(np.int64)
    if len(q) > 1:
        keep = np.r_[True, (np.diff(q, axis=0) != 0).any(axis=1)]
        q = q[keep] if keep.sum() > 1 else q[[0, -1]]
    return np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist()


def _line_parts(geometry) -> list[np.ndarray]:
    if geometry is None or geometry.is_empty:
        return []
    if geometry.geom_type == "LineString":
        return [np.asarray(geometry.coords)]
    if hasattr(geometry, "geoms"):
        return [part for g in geometry.geoms for part in _line_parts(g)]
    return []


def _polygon_rings(geometry) -> list[list[list[int]]]:
    if geometry is None or geometry.is_empty:
        return []
    polygons = list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
    out = []
    for polygon in polygons:
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        rings = [polygon.exterior] + list(polygon.interiors)
        out.append([_encode(np.asarray(r.coords)) for r in rings])
    return out


def _encode_many(lines: np.ndarray) -> list[list[int]]:
    """:func:`_encode` of many LineStrings at once (vectorised); lines of fewer than two points are dropped."""
    if not len(lines):
        return []
    coords, index = shapely.get_coordinates(lines, return_index=True)
    q = np.rint(coords[:, [1, 0]] * 1e5).astype(np.int64)
    same_line = np.r_[False, index[1:] == index[:-1]]
    repeated = same_line & np.r_[False, (q[1:] == q[:-1]).all(axis=1)]
    q, index = q[~repeated], index[~repeated]
    first = np.r_[True, index[1:] != index[:-1]]
    delta = q.copy()
    delta[1:] -= q[:-1]
    delta[first] = q[first]
    counts = np.bincount(index, minlength=len(lines))
    pieces = np.split(delta.ravel(), np.cumsum(counts * 2)[:-1])
    return [piece.tolist() for piece, n in zip(pieces, counts) if n >= 2]


def _merged_parts(geometries: np.ndarray) -> np.ndarray:
    """LineStrings of a road layer: both directions once, merged where roads continue."""
    geometries = np.asarray([g for g in geometries if g is not None and not g.is_empty], dtype=object)
    if not len(geometries):
        return np.asarray([], dtype=object)
    parts = shapely.get_parts(geometries)
    parts = parts[shapely.get_type_id(parts) == 1]  # LineStrings
    if not len(parts):
        return np.asarray([], dtype=object)
    normalised = shapely.normalize(shapely.set_precision(parts, 1e-6))
    unique = shapely.from_wkb(pd.unique(pd.Series(shapely.to_wkb(normalised))))
    return shapely.get_parts(shapely.line_merge(shapely.multilinestrings(unique)))


def _merged_lines(geometries: np.ndarray) -> list[list[int]]:
    """Encoded lines of a road layer (:func:`_merged_parts`), simplified."""
    merged = _merged_parts(geometries)
    return _encode_many(shapely.simplify(merged, ROAD_TOLERANCE, preserve_topology=False)) if len(merged) else []


# --------------------------------------------------------------------------------------------------
# Map building
# --------------------------------------------------------------------------------------------------


def column_of(frame: pd.DataFrame | None, name: str, default: Any = None) -> pd.Series:
    if frame is None:
        return pd.Series(dtype=object)
    if name in frame.columns:
        return frame[name]
    return pd.Series([default] * len(frame), index=frame.index, dtype=object)


def _rows(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None or len(frame) == 0:
        return []
    return frame.to_dict("records")


def _sort_key(value: Any) -> tuple:
    text = "" if _missing(value) else str(value)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", text) if p != "")


def _int_or(value: Any, default: int = 0) -> int:
    try:
        return int(value) if not _missing(value) else default
    except (TypeError, ValueError):
        return default


def _e5(lat: Any, lon: Any) -> tuple[int, int] | None:
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(la) and math.isfinite(lo)):
        return None
    return round(la * 1e5), round(lo * 1e5)


def layer_name(text: str, *, cls: str, swatch: str | None = None) -> str:
    sw = f'<span class="khf-sw" style="background:{swatch}"></span>' if swatch else ""
    return f'<span class="{cls}">{sw}{text}</span>'


def vehicle_colours(plan: Plan) -> dict[str, str]:
    """Vehicle id → colour (:data:`~optimizer.outputs.style.VEHICLE_COLOURS` in turn), in the order the map
    lists them: by loading depot (as in ``plan.depots``), then id; vehicles with legs but no stop last."""
    depot_of: dict[str, Any] = {}
    if plan.routes is not None and len(plan.routes):
        first = plan.routes.drop_duplicates("vehicle_id")
        depot_of = dict(zip(first["vehicle_id"].astype(str), first["depot_id"]))
    if plan.legs is not None and len(plan.legs):
        for vid in plan.legs["vehicle_id"].astype(str).unique():
            depot_of.setdefault(vid, None)
    depot_order = {str(d): i for i, d in enumerate(column_of(plan.depots, "depot_id"))}
    ordered = sorted(depot_of, key=lambda v: (depot_order.get(str(depot_of[v]), len(depot_order)),
                                              _sort_key(depot_of[v]), _sort_key(v)))
    return {vid: VEHICLE_COLOURS[i % len(VEHICLE_COLOURS)] for i, vid in enumerate(ordered)}


def vehicle_data(plan: Plan, f: Fmt) -> list[dict]:
    """Per vehicle (ordered by depot, then id): depot, colour, layer name, encoded legs and stops."""
    t = f.t
    routes = plan.routes if plan.routes is not None else pd.DataFrame()
    legs = plan.legs if plan.legs is not None else pd.DataFrame()
    vehicles: dict[str, dict] = {}
    for row in _rows(routes):
        vid = str(row.get("vehicle_id"))
        info = vehicles.setdefault(vid, {"id": vid, "rows": [], "legs": [], "depot_id": row.get("depot_id"),
                                         "depot_name": row.get("depot_name"), "name": row.get("vehicle_name"),
                                         "profile": row.get("profile"), "home": row.get("home_depot_id")})
        info["rows"].append(row)
    leg_rows = _rows(legs.drop(columns="geometry")) if "geometry" in legs.columns else _rows(legs)
    geometries = list(legs.geometry) if "geometry" in legs.columns else [None] * len(leg_rows)
    for row, geometry in zip(leg_rows, geometries):
        vid = str(row.get("vehicle_id"))
        info = vehicles.setdefault(vid, {"id": vid, "rows": [], "legs": [], "depot_id": None, "depot_name": None,
                                         "name": None, "profile": row.get("profile"), "home": None})
        info["legs"].append((row, geometry))
    depot_names = dict(zip(column_of(plan.depots, "depot_id").astype(str), column_of(plan.depots, "name")))
    out = []
    for vid, colour in vehicle_colours(plan).items():
        info = vehicles[vid]
        rows = sorted(info["rows"], key=lambda r: (_int_or(r.get("trip")), _int_or(r.get("seq"))))
        trips = sorted({_int_or(r.get("trip")) for r in rows} | {_int_or(r.get("trip")) for r, _ in info["legs"]})
        several = len(trips) > 1
        label = esc(info["id"])
        if not _missing(info["name"]) and str(info["name"]) != info["id"]:
            label += f" · {esc(info['name'])}"
        lent = ""
        if not _missing(info["home"]) and str(info["home"]) != str(info["depot_id"]):
            home = depot_names.get(str(info["home"]))
            lent = t["lent_from"].format(depot=esc(home) if not _missing(home) else esc(info["home"]))
        stops = []
        for r in rows:
            position = _e5(r.get("lat"), r.get("lon"))
            if position is None:
                continue
            seq = _int_or(r.get("seq"))
            badge = f"{_int_or(r.get('trip'))}.{seq}" if several else str(seq)
            leg_text = ""
            if not _missing(r.get("leg_km")):
                leg_text = f"{f.num(r.get('leg_km'), 1)} {t['km']}, {f.num(r.get('leg_min'))} {t['min']}"
                if bool(r.get("approximate_leg")) and not _missing(r.get("approximate_leg")):
                    leg_text += f' <span class="w">({t["approx_note"]})</span>'
            ward = esc(r.get("ward"))
            locality = f.locality(r.get("locality"))
            popup = _popup(
                esc(r.get("name")) or esc(r.get("stop_id")),
                [
                    (t["ward"], f"{ward} ({locality})" if locality else ward),
                    (t["zone"], f.zone(r.get("zone"))),
                    (t["quantity"], f"<b>{f.num(r.get('quantity_kg'))} {t['kg']}</b>"),
                    (t["arrival"], f"<b>{esc(r.get('arrival'))}</b>"),
                    (t["departure"], esc(r.get("departure"))),
                    (t["vehicle"], label),
                    (t["home_depot"], lent),
                    (t["trip"], f"{_int_or(r.get('trip'))} · {t['seq']} {seq}"),
                    (t["load"], f"{f.num(r.get('load_kg'))} / {f.num(r.get('capacity_kg'))} {t['kg']}"
                     if not _missing(r.get("load_kg")) else ""),
                    (t["leg_from"], leg_text),
                ],
            )
            tooltip = f"{badge}. {esc(r.get('name')) or esc(r.get('stop_id'))} — {ward}"
            stops.append([position[0], position[1], badge, popup, tooltip])
        legs_out = []
        km = 0.0
        for r, geometry in sorted(info["legs"], key=lambda x: (_int_or(x[0].get("trip")), _int_or(x[0].get("seq")))):
            parts = _line_parts(geometry)
            if not parts:
                continue
            coords = np.vstack(parts)
            approximate = bool(r.get("approximate")) and not _missing(r.get("approximate"))
            km += 0.0 if _missing(r.get("leg_km")) else float(r.get("leg_km"))
            text = (f"{t['vehicle']} {label} · {t['trip']} {_int_or(r.get('trip'))} · {t['leg']} "
                    f"{_int_or(r.get('seq'))}: {f.num(r.get('leg_km'), 1)} {t['km']}, "
                    f"{f.num(r.get('leg_min'))} {t['min']}")
            if approximate:
                text += f'<br><span class="w">{t["approx_note"]}</span>'
            legs_out.append([_encode(coords), 1 if approximate else 0, f'<div class="khf-pop">{text}</div>'])
        info_text = t["layer_vehicle_info"].format(trips=len(trips), stops=len(stops), km=f.num(km, 1))
        out.append({
            "id": info["id"],
            "depot_id": None if _missing(info["depot_id"]) else str(info["depot_id"]),
            "depot_name": info["depot_name"],
            "colour": colour,
            "label": label,
            "layer_name": layer_name(f"{label} — {info_text}" + (f" · {lent}" if lent else ""), cls="khf-lg-veh",
                                     swatch=colour),
            "data": {"c": colour, "legs": legs_out, "stops": stops},
        })
    return out


def depot_items(plan: Plan, f: Fmt, *, closed: bool = False) -> list[list]:
    """Open depots (stock, planned load, what is left), or with ``closed`` the depots closed for the day.

    Each item: lat, lon (1e-5°), badge, popup, hover tooltip, the name label shown at close zoom and its side
    (``left``/``right``, away from the next depot)."""
    depots = plan.depots
    if depots is None or not len(depots):
        return []
    make = _closed_depot_item if closed else _depot_item
    sides = _label_sides(depots)
    items = []
    for index, r in zip(depots.index[closed_depots(depots) == closed], _rows(depots[closed_depots(depots) == closed])):
        position = _e5(r.get("lat"), r.get("lon"))
        if position is not None:
            items.append([position[0], position[1], *make(r, f), sides.get(index, "right")])
    return items


def _label_sides(depots: pd.DataFrame, *, width_m: float = 1800.0, height_m: float = 250.0) -> dict[Any, str]:
    """Side of each depot's name label: ``left`` when another depot lies where the label would run to the right
    (a label is about ``width_m`` long and ``height_m`` high at the zoom labels appear), else ``right``."""
    lat = pd.to_numeric(column_of(depots, "lat"), errors="coerce").to_numpy(float)
    lon = pd.to_numeric(column_of(depots, "lon"), errors="coerce").to_numpy(float)
    east_m = (lon[None, :] - lon[:, None]) * 111_320 * np.cos(np.radians(lat[:, None]))
    north_m = (lat[None, :] - lat[:, None]) * 110_570
    blocked = ((east_m > 0) & (east_m < width_m) & (np.abs(north_m) < height_m)).any(axis=1)
    return {index: "left" if b else "right" for index, b in zip(depots.index, blocked)}


def _closed_depot_item(r: dict, f: Fmt) -> list[str]:
    """Badge, popup and tooltip of a closed depot: crossed out, no loading figures."""
    t = f.t
    name = esc(r.get("name")) or esc(r.get("depot_id"))
    popup = _popup(
        f"{t['depot_badge']}: {name}",
        [
            (t["status"], f'<span class="w">{t["closed_today"]}</span>'),
            (t["locality"], f.locality(r.get("locality"))),
            (t["stock"], f"{f.num(r.get('stock_kg'))} {t['kg']}"),
            (t["vehicles"], esc(r.get("vehicles"))),
        ],
    )
    badge = f"<span><b>{t['depot_badge']}</b> ✕</span>"
    return [badge, popup, f"{name} — {t['closed_today']}", f"{name} ({t['closed_today']})"]


def _depot_item(r: dict, f: Fmt) -> list[str]:
    """Badge, popup and tooltip of an open depot."""
    t = f.t
    name = esc(r.get("name")) or esc(r.get("depot_id"))
    stock: Any = r.get("stock_kg")
    load: Any = r.get("load_kg")
    remaining = None if _missing(stock) or _missing(load) else float(stock) - float(load)
    warn = t["over_stock"] if remaining is not None and remaining < -1e-6 else ""
    approx = bool(r.get("approximate")) and not _missing(r.get("approximate"))
    popup = _popup(
        f"{t['depot_badge']}: {name}",
        [
            (t["locality"], f.locality(r.get("locality"))),
            (t["stock"], f"{f.num(stock)} {t['kg']}"),
            (t["planned_load"], f"<b>{f.num(load)} {t['kg']}</b>"),
            (t["remaining"], f"{f.num(remaining)} {t['kg']}"),
            (t["vehicles"], esc(r.get("vehicles"))),
        ] + ([(t["approx_position"], "✓")] if approx else []),
        warn,
    )
    badge = f"<span><b>{t['depot_badge']}</b></span>"
    tooltip = f"{name}: {f.num(load)} / {f.num(stock)} {t['kg']}"
    return [badge, popup, tooltip, name]


def unserved_items(plan: Plan, f: Fmt) -> list[list]:
    t = f.t
    names = {}
    if plan.stops is not None and len(plan.stops) and "stop_id" in plan.stops.columns:
        names = dict(zip(plan.stops["stop_id"].astype(str), column_of(plan.stops, "name")))
    items = []
    for r in _rows(plan.unserved):
        position = _e5(r.get("lat"), r.get("lon"))
        if position is None:
            continue
        stop_name = names.get(str(r.get("stop_id")))
        title = esc(stop_name) if not _missing(stop_name) else esc(r.get("stop_id"))
        ward = esc(r.get("ward"))
        locality = f.locality(r.get("locality"))
        reason = f.reason(r.get("reason_code"), r.get("reason"))
        popup = _popup(
            f"{t['unserved_title']}: {title}",
            [
                (t["ward"], f"{ward} ({locality})" if locality else ward),
                (t["zone"], f.zone(r.get("zone"))),
                (t["missing"], f"<b>{f.num(r.get('quantity_kg'))} {t['kg']}</b>"),
                (t["reason"], f'<span class="w">{reason}</span>'),
            ],
        )
        tooltip = f"{title} — {t['missing']} {f.num(r.get('quantity_kg'))} {t['kg']}: {reason}"
        items.append([position[0], position[1], "<span>×</span>", popup, tooltip])
    return items


def camp_items(plan: Plan, f: Fmt) -> list[list]:
    """Quarantine camps: headcount, meals delivered of needed, and per meal each hand-over (kitchen, van, time,
    meals) or what was not delivered and why. Each item: lat, lon (1e-5°), badge, popup, tooltip, and whether
    some meals were not delivered (drawn as a warning)."""
    t, meals = f.t, plan.meals
    items = []
    for _, group in meals.groupby("camp_id", sort=True):
        first = group.iloc[0]
        position = _e5(first["lat"], first["lon"])
        if position is None:
            continue
        figures = meal_kpis(group)
        needed, got = figures["meals_needed"], figures["meals_delivered"]
        lines = [(f"{t['meal']} {r['meal']} ({esc(r['window'])})",
                  f"{format_hhmm(r['arrival_s'], exact=False)} · {f.num(r['meals'])} · {esc(r['kitchen'])} ({esc(r['van_id'])})"
                  if r["status"] == "delivered" else
                  f'<span class="w">{f.num(r["meals"])} · {f.reason(r["reason_code"], r["reason"])}</span>')
                 for _, r in group.sort_values(["meal", "arrival_s"]).iterrows()]
        popup = _popup(f"{t['camp']}: {esc(first['camp'])}",
                       [(t["ward"], esc(first["ward"])), (t["headcount"], f.num(first["headcount"])),
                        (t["meals"], f"<b>{f.num(got)} / {f.num(needed)}</b>"), *lines])
        badge = f"<span>{t['camp_badge']} {f.num(first['headcount'])}</span>"
        items.append([position[0], position[1], badge, popup, f"{esc(first['camp'])} — {f.num(got)} / {f.num(needed)}",
                      got < needed])
    return items


def ward_items(plan: Plan, f: Fmt) -> tuple[list, list]:
    t = f.t
    wards = plan.wards
    if wards is None or len(wards) == 0 or "geometry" not in wards.columns:
        return [], []
    simplified = shapely.simplify(np.asarray(wards.geometry.values, dtype=object), WARD_TOLERANCE,
                                  preserve_topology=True)
    zone_items, served_items = [], []
    for r, geometry in zip(_rows(wards.drop(columns="geometry")), simplified):
        rings = _polygon_rings(geometry)
        if not rings:
            continue
        locality = f.locality(r.get("locality"))
        demand: Any = r.get("demand_kg")
        delivered: Any = r.get("delivered_kg")
        share = r.get("served_share")
        if _missing(share) and not _missing(demand) and float(demand) > 0 and not _missing(delivered):
            share = float(delivered) / float(demand)
        tooltip = _popup(
            esc(r.get("ward")) + (f" ({locality})" if locality else ""),
            [
                (t["zone"], f.zone(r.get("zone"))),
                (t["demand"], f"{f.num(demand)} {t['kg']}"),
                (t["delivered"], f"{f.num(delivered)} {t['kg']}"),
                (t["share"], f"<b>{f.share(share)}</b>"),
            ],
        )
        zone_items.append([rings, ZONE_COLOURS[zone_key(r.get("zone"))], tooltip])
        no_demand = _missing(demand) or float(demand) <= 0
        served_items.append([rings, "transparent" if no_demand else (_served_colour(share) or "transparent"),
                             tooltip])
    return zone_items, served_items


def closed_items(plan: Plan, f: Fmt) -> list:
    """Closed roads per closure: encoded lines, hover text, no extra style, the label shown at close zoom."""
    closed = plan.closed_roads
    if closed is None or len(closed) == 0 or "geometry" not in closed.columns:
        return []
    label_column = next((c for c in ("label", "closure", "name", "reason") if c in closed.columns), None)
    groups: dict[str, list] = {}
    for index, geometry in enumerate(closed.geometry.values):
        label = "" if label_column is None else closed[label_column].iloc[index]
        key = "" if _missing(label) else str(label)
        groups.setdefault(key, []).append(geometry)
    items = []
    for label, geometries in groups.items():
        lines = _merged_lines(np.asarray(geometries, dtype=object))
        if lines:
            tip = f"<b>{f.t['closed_road']}</b>" + (f": {esc(label)}" if label else "")
            items.append([lines, tip, None, esc(label) or f.t["closed_road"]])
    return items


def network_items(plan: Plan) -> list:
    edges = plan.network_edges
    if edges is None or len(edges) == 0 or "geometry" not in edges.columns:
        return []
    approximate = column_of(edges, "approximate", False).fillna(False).astype(bool).to_numpy()
    geometries = np.asarray(edges.geometry.values, dtype=object)
    items: list[list[Any]] = []
    solid = _merged_lines(geometries[~approximate])
    if solid:
        items.append([solid, None, None])
    dashed = _merged_lines(geometries[approximate])
    if dashed:
        items.append([dashed, None, {"dashArray": "6 6", "weight": 2}])
    return items


def street_items(plan: Plan, *, cell_deg: float = STREET_CELL_DEG, min_m: float = STREET_MIN_M) -> list[list]:
    """Street-name labels of the road network: per street name and map cell of ``cell_deg``, one label on the
    middle of the longest merged stretch (at least ``min_m`` long), turned along the street.

    Each item: lat, lon (1e-5°), angle in degrees (clockwise on screen, within ±90 so that it reads left to
    right) and the escaped name. An empty list when the network has no ``name`` column.
    """
    edges = plan.network_edges
    if edges is None or not len(edges) or "name" not in edges.columns or "geometry" not in edges.columns:
        return []
    names = edges["name"].fillna("").astype(str).str.strip()
    geometries = np.asarray(edges.geometry.values, dtype=object)
    best: dict[tuple[str, int, int], tuple[float, Any]] = {}
    for name in sorted(set(names) - {""}):
        parts = _merged_parts(geometries[(names == name).to_numpy()])
        if not len(parts):
            continue
        middles = shapely.line_interpolate_point(parts, 0.5, normalized=True)
        xs, ys = shapely.get_x(middles), shapely.get_y(middles)
        lengths_m = shapely.length(parts) * 111_320 * np.cos(np.radians(ys))  # ~metres at these latitudes
        for part, x, y, length_m in zip(parts, xs, ys, lengths_m):
            key = (name, math.floor(x / cell_deg), math.floor(y / cell_deg))
            if length_m >= min_m and length_m > best.get(key, (0.0, None))[0]:
                best[key] = (length_m, part)
    items = []
    for (name, _, _), (length_m, part) in sorted(best.items()):
        span = min(0.5, 25 / length_m)  # direction over ~50 m around the middle
        a, b = shapely.line_interpolate_point(part, [0.5 - span, 0.5 + span], normalized=True)
        middle = shapely.line_interpolate_point(part, 0.5, normalized=True)
        position = _e5(middle.y, middle.x)
        if position is not None:
            items.append([position[0], position[1], _screen_angle(a, b), esc(name)])
    return items


def _screen_angle(a: Any, b: Any) -> int:
    """Angle (degrees, clockwise, within ±90) of the line a → b on a Web Mercator map."""
    dx = b.x - a.x
    dy = math.degrees(math.log(math.tan(math.pi / 4 + math.radians(b.y) / 2))
                      - math.log(math.tan(math.pi / 4 + math.radians(a.y) / 2)))
    angle = -math.degrees(math.atan2(dy, dx))
    if angle > 90:
        angle -= 180
    elif angle < -90:
        angle += 180
    return round(angle)


def map_bounds(plan: Plan) -> list[list[float]] | None:
    lats, lons = [], []
    for frame in (plan.depots, plan.stops, plan.unserved):
        if frame is not None and len(frame) and {"lat", "lon"} <= set(frame.columns):
            lats += pd.to_numeric(frame["lat"], errors="coerce").dropna().tolist()
            lons += pd.to_numeric(frame["lon"], errors="coerce").dropna().tolist()
    if not lats and plan.wards is not None and len(plan.wards):
        minx, miny, maxx, maxy = plan.wards.total_bounds
        return [[float(miny), float(minx)], [float(maxy), float(maxx)]]
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]

