"""Folium map of a daily plan: routes along roads, stops, depots, zones; online or fully offline.

:func:`render_map` reads a :class:`~optimizer.plan.Plan` (it never solves anything) and writes one
self-contained HTML file that a logistics officer reads without help:

* one layer per vehicle, drawn along the roads (``plan.legs``), one colour per vehicle, grouped per depot:
  the depot's layer switches all its vehicles on and off, each vehicle's sub-layer switches one
  (``FeatureGroupSubGroup``); the layer list shows each vehicle's colour, trips, stops and km;
* numbered stops (the visit order in the trip; ``trip.seq`` when a vehicle drives several trips), with a
  popup giving ward, quantity, arrival and departure, vehicle and trip; depots as black "KHO"/"DEPOT" badges
  with stock and planned load; points not fully served as black-ringed red crosses with the reason;
* wards shaded by zone colour, and a second layer (off at first) by share of demand served; closed roads in
  red; legs on approximate (non-OSM) roads dashed; title with scenario, date and day totals; legend; scale
  bar; full-screen button; layer list.

All labels live in :data:`LABELS` (Vietnamese by default, ``lang="en"`` for English). Every text taken
from the plan is HTML-escaped before it reaches a popup, tooltip, badge, layer name, legend or title.

Leaflet and its two plugins are vendored in ``optimizer/assets/`` (see its README) and always inlined, so
no map ever pulls JavaScript or CSS from a CDN (folium's default jQuery/Bootstrap/awesome-markers are left
out: nothing here needs them). The two modes differ only in the background:

* ``offline=False`` (default): OpenStreetMap tiles (needs internet), the truck network layer present
  but switched off;
* ``offline=True``: no tile server at all; the truck network (``plan.network_edges``) is the grey base
  layer, approximate roads dashed; the page makes no network request.

Both credit "© OpenStreetMap contributors". Data are embedded compactly (coordinates as 1e-5° integer
deltas decoded by a small script) so a full day (~1,500 stops, 40 vehicles) stays a few MB.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import json
import math
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Iterable

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.plugins import FeatureGroupSubGroup, Fullscreen
from jinja2 import Template

from optimizer import datasets
from optimizer.errors import InputError, OptimizerError
from optimizer.plan import Plan

ASSETS_DIR = Path(__file__).resolve().parent / "assets"

#: Vendored front-end files inlined into every map (relative to :data:`ASSETS_DIR`), in load order.
ASSET_CSS = ["leaflet-1.9.4/leaflet.css", "leaflet.fullscreen-3.0.0/Control.FullScreen.css"]
ASSET_JS = [
    "leaflet-1.9.4/leaflet.js",
    "leaflet.fullscreen-3.0.0/Control.FullScreen.js",
    "leaflet.featuregroup.subgroup-1.0.2/leaflet.featuregroup.subgroup.js",
]

#: Credits shown in the map's attribution control (identical to the OSM tile layer's text, so Leaflet
#: shows it once in online mode).
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
DATA_ATTRIBUTION = "QL/TL: LegoCity (CC BY-SA 4.0) · GSO 2019"

#: Vehicle colours, distinct on a light background and away from the red of closed roads.
VEHICLE_COLOURS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f00",
    "#000080", "#f032e6", "#008080", "#9a6324", "#800000", "#3cb44b", "#4363d8", "#911eb4",
    "#f58231", "#469990", "#0b7a75", "#b8860b",
]
ZONE_COLOURS = {"green": "#2ca25f", "yellow": "#ffd92f", "orange": "#fd8d3c", "red": "#e31a1c", "unknown": "#bdbdbd"}
#: Served-share classes (lower bound, colour): dark purple marks the wards that need attention.
SERVED_CLASSES = [(1.0, "#f7f7f7"), (0.9, "#cbc9e2"), (0.5, "#9e9ac8"), (0.0, "#54278f")]
CLOSED_COLOUR = "#e00000"
NETWORK_COLOUR = "#8c8c8c"
#: Below this zoom stop badges shrink to dots (a day's 1,500 badges cover the city at zoom 13).
FAR_ZOOM = 14
#: Simplification tolerance (degrees) of drawn geometry: ~1 m for roads, ~20 m for ward outlines.
ROAD_TOLERANCE = 1e-5
WARD_TOLERANCE = 2e-4

#: Every label on the map, one dict per language.
#: Vehicles up to which the layer list starts open; a day-sized fleet would hide the map behind it.
LAYER_LIST_OPEN_MAX = 15

LABELS: dict[str, dict[str, Any]] = {
    "vi": {
        "html_lang": "vi",
        "weekdays": ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"],
        "date_format": "{weekday}, {d:02d}/{m:02d}/{y}",
        "months": None,
        "thousands": ".",
        "decimal": ",",
        "summary": "Đã giao {delivered} / {demand} kg ({share}) · {vehicles} xe · {trips} chuyến · {km} km · "
                   "{unserved} điểm chưa giao đủ",
        "legend": "Chú giải",
        "legend_symbols": "Ký hiệu",
        "depot_badge": "KHO",
        "depot": "Kho / điểm xuất hàng",
        "stop": "Điểm giao hàng (số = thứ tự trong chuyến; 2.5 = chuyến 2, điểm 5)",
        "unserved": "Điểm chưa giao đủ (xem lý do)",
        "route": "Tuyến xe (mỗi xe một màu, xem danh sách lớp)",
        "approx_leg": "Đoạn đường ước lượng (không có trong OSM)",
        "closed": "Đường bị chặn / phong tỏa",
        "network": "Mạng đường xe tải",
        "network_approx": "Đường ước lượng (quốc lộ, đường vào xã)",
        "zones": "Phân vùng dịch (tô màu phường/xã)",
        "zone_green": "Vùng xanh",
        "zone_yellow": "Vùng vàng",
        "zone_orange": "Vùng cam",
        "zone_red": "Vùng đỏ",
        "zone_unknown": "Chưa phân vùng",
        "served_share": "Tỉ lệ nhu cầu được đáp ứng",
        "served_classes": ["100%", "90–99%", "50–89%", "< 50%"],
        "no_demand": "Không có nhu cầu",
        "layer_tiles": "Bản đồ nền OpenStreetMap",
        "layer_wards_zone": "Phường/xã theo vùng dịch",
        "layer_wards_served": "Phường/xã theo tỉ lệ đáp ứng",
        "layer_network": "Mạng đường (nền)",
        "layer_closed": "Đường bị chặn",
        "layer_depots": "Kho hàng",
        "layer_unserved": "Điểm chưa giao đủ",
        "layer_depot_group": "Xe của kho {depot}",
        "layer_vehicle_info": "{trips} chuyến · {stops} điểm · {km} km",
        "no_depot": "(không rõ kho)",
        "ward": "Phường/xã",
        "locality": "Địa phương",
        "zone": "Vùng",
        "stop_name": "Điểm",
        "quantity": "Khối lượng giao",
        "arrival": "Giờ đến",
        "departure": "Giờ rời",
        "vehicle": "Xe",
        "trip": "Chuyến",
        "seq": "Thứ tự",
        "load": "Hàng trên xe khi đến",
        "stock": "Tồn kho",
        "planned_load": "Xuất theo kế hoạch",
        "remaining": "Còn lại sau xuất",
        "vehicles": "Số xe",
        "missing": "Còn thiếu",
        "reason": "Lý do",
        "demand": "Nhu cầu",
        "delivered": "Đã giao",
        "share": "Tỉ lệ đáp ứng",
        "leg": "Đoạn",
        "leg_from": "Đoạn đường tới điểm này",
        "approx_note": "đường ước lượng (không có trong OSM)",
        "approx_position": "Vị trí ước lượng",
        "over_stock": "Xuất vượt tồn kho!",
        "closed_road": "Đường bị chặn",
        "unserved_title": "Chưa giao đủ",
        "kg": "kg",
        "km": "km",
        "min": "phút",
        "reasons": {
            "no stock": "Kho không đủ hàng",
            "no capacity": "Không đủ xe / tải trọng",
            "outside shift": "Ngoài ca làm việc (giờ giới nghiêm)",
            "time window": "Không kịp khung giờ nhận hàng",
            "unreachable": "Không có đường tới (đường bị chặn)",
            "zone restriction": "Vùng không cho loại xe này vào",
        },
        "fullscreen": "Toàn màn hình",
        "fullscreen_exit": "Thoát toàn màn hình",
    },
    "en": {
        "html_lang": "en",
        "weekdays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "date_format": "{weekday} {d} {month} {y}",
        "months": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December"],
        "thousands": ",",
        "decimal": ".",
        "summary": "Delivered {delivered} / {demand} kg ({share}) · {vehicles} vehicles · {trips} trips · {km} km · "
                   "{unserved} points not fully served",
        "legend": "Legend",
        "legend_symbols": "Symbols",
        "depot_badge": "DEPOT",
        "depot": "Depot / loading point",
        "stop": "Delivery stop (number = order in the trip; 2.5 = trip 2, stop 5)",
        "unserved": "Point not fully served (see reason)",
        "route": "Vehicle route (one colour per vehicle, see layer list)",
        "approx_leg": "Approximate road (not in OSM)",
        "closed": "Closed / blocked road",
        "network": "Truck road network",
        "network_approx": "Approximate road (national road, commune access)",
        "zones": "Epidemic zones (ward shading)",
        "zone_green": "Green zone",
        "zone_yellow": "Yellow zone",
        "zone_orange": "Orange zone",
        "zone_red": "Red zone",
        "zone_unknown": "No zone given",
        "served_share": "Share of demand served",
        "served_classes": ["100%", "90–99%", "50–89%", "< 50%"],
        "no_demand": "No demand",
        "layer_tiles": "OpenStreetMap background",
        "layer_wards_zone": "Wards by epidemic zone",
        "layer_wards_served": "Wards by share served",
        "layer_network": "Road network (background)",
        "layer_closed": "Closed roads",
        "layer_depots": "Depots",
        "layer_unserved": "Points not fully served",
        "layer_depot_group": "Vehicles of depot {depot}",
        "layer_vehicle_info": "{trips} trips · {stops} stops · {km} km",
        "no_depot": "(depot unknown)",
        "ward": "Ward/commune",
        "locality": "Locality",
        "zone": "Zone",
        "stop_name": "Stop",
        "quantity": "Quantity delivered",
        "arrival": "Arrival",
        "departure": "Departure",
        "vehicle": "Vehicle",
        "trip": "Trip",
        "seq": "Order",
        "load": "Load on arrival",
        "stock": "Stock",
        "planned_load": "Planned loading",
        "remaining": "Left after loading",
        "vehicles": "Vehicles",
        "missing": "Missing",
        "reason": "Reason",
        "demand": "Demand",
        "delivered": "Delivered",
        "share": "Share served",
        "leg": "Leg",
        "leg_from": "Leg to this stop",
        "approx_note": "approximate road (not in OSM)",
        "approx_position": "Approximate position",
        "over_stock": "Loading exceeds stock!",
        "closed_road": "Closed road",
        "unserved_title": "Not fully served",
        "kg": "kg",
        "km": "km",
        "min": "min",
        "reasons": {
            "no stock": "Not enough stock at the depot",
            "no capacity": "Not enough vehicles / capacity",
            "outside shift": "Outside the working shift (curfew)",
            "time window": "Cannot arrive within the time window",
            "unreachable": "No road to it (closed roads)",
            "zone restriction": "Vehicle type not allowed in the zone",
        },
        "fullscreen": "Full screen",
        "fullscreen_exit": "Exit full screen",
    },
}


# --------------------------------------------------------------------------------------------------
# Front-end code: vendored assets and the map's own small script and style
# --------------------------------------------------------------------------------------------------

#: The map's script: decodes the embedded data and builds layers, title, legend and zoom styling.
KHF_JS = r"""
var khf = (function () {
  "use strict";
  function dec(a) {
    var out = new Array(a.length / 2), la = 0, lo = 0;
    for (var i = 0, j = 0; i < a.length; i += 2, j++) { la += a[i]; lo += a[i + 1]; out[j] = [la / 1e5, lo / 1e5]; }
    return out;
  }
  function box(cls, inner, parent) {
    var d = L.DomUtil.create("div", cls, parent);
    d.innerHTML = inner;
    L.DomEvent.disableClickPropagation(d);
    L.DomEvent.disableScrollPropagation(d);
    return d;
  }
  function init(map, o) {
    window.khfMap = map;
    o.panes.forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
    o.attribution.forEach(function (a) { map.attributionControl.addAttribution(a); });
    box("khf-title", o.title, map.getContainer());
    var Legend = L.Control.extend({
      options: {position: "bottomleft"},
      onAdd: function () { return box("khf-legend", o.legend); }
    });
    new Legend().addTo(map);
    function zoomClass() {
      var c = map.getContainer();
      if (map.getZoom() < o.farZoom) { L.DomUtil.addClass(c, "khf-far"); } else { L.DomUtil.removeClass(c, "khf-far"); }
    }
    map.on("zoomend", zoomClass);
    zoomClass();
  }
  function routes(layer, d) {
    var i, l, s;
    for (i = 0; i < d.legs.length; i++) {
      l = d.legs[i];
      L.polyline(dec(l[0]), {
        pane: "khfRoutes", color: d.c, weight: 4, opacity: 0.85, lineJoin: "round",
        dashArray: l[1] ? "10 8" : null, className: l[1] ? "khf-leg khf-approx" : "khf-leg"
      }).bindPopup(l[2]).addTo(layer);
    }
    for (i = 0; i < d.stops.length; i++) {
      s = d.stops[i];
      L.marker([s[0] / 1e5, s[1] / 1e5], {
        icon: L.divIcon({className: "khf-stop", iconSize: null,
                         html: '<span style="background:' + d.c + '">' + s[2] + "</span>"}),
        riseOnHover: true
      }).bindPopup(s[3]).bindTooltip(s[4], {direction: "top", offset: [0, -8]}).addTo(layer);
    }
  }
  function points(layer, d) {
    d.items.forEach(function (s) {
      L.marker([s[0] / 1e5, s[1] / 1e5], {
        icon: L.divIcon({className: d.cls, iconSize: null, html: s[2]}), zIndexOffset: d.z, riseOnHover: true
      }).bindPopup(s[3]).bindTooltip(s[4], {direction: "top", offset: [0, -10]}).addTo(layer);
    });
  }
  function polys(layer, d) {
    d.items.forEach(function (w) {
      var rings = w[0].map(function (poly) { return poly.map(dec); });
      L.polygon(rings, L.extend({pane: "khfWards", fillColor: w[1]}, d.style))
        .bindTooltip(w[2], {sticky: true}).addTo(layer);
    });
  }
  function lines(layer, d) {
    d.items.forEach(function (g) {
      var pl = L.polyline(g[0].map(dec), L.extend({pane: d.pane}, d.style, g[2] || {}));
      if (g[1]) { pl.bindTooltip(g[1], {sticky: true}); }
      pl.addTo(layer);
    });
  }
  function ready() { window.khfReady = true; }
  return {init: init, routes: routes, points: points, polys: polys, lines: lines, ready: ready, dec: dec};
})();
"""

KHF_CSS = """
.leaflet-container{font-family:"Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
.khf-title{position:absolute;top:10px;left:56px;z-index:1000;max-width:calc(100% - 500px);min-width:260px;
 background:rgba(255,255,255,.93);padding:6px 14px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.45);
 text-align:left;font-size:13px;line-height:1.35}
@media (max-width:900px){.khf-title{max-width:calc(100% - 80px);font-size:11px}.khf-title h1{font-size:14px}}
.khf-title h1{font-size:17px;margin:0 0 2px}
.khf-title .d{font-weight:bold}
.khf-title .k{font-size:12px;color:#222}
.khf-legend{background:rgba(255,255,255,.95);padding:6px 10px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.45);
 font-size:12px;line-height:1.35;max-height:55vh;overflow:auto;max-width:330px}
.khf-legend summary{font-weight:bold;font-size:13px;cursor:pointer}
.khf-legend .sec{font-weight:bold;margin:6px 0 2px}
.khf-legend .row{display:flex;align-items:center;margin:2px 0}
.khf-demo{position:relative;display:inline-block;flex:none;width:34px;height:20px;margin-right:6px}
.khf-demo>div{position:absolute;left:50%;top:50%}
.khf-sw{display:inline-block;flex:none;width:16px;height:11px;border:1px solid rgba(0,0,0,.45);border-radius:2px;
 margin-right:6px;vertical-align:middle}
.khf-line{display:inline-block;width:30px;height:0;border-top:4px solid #1f77b4;vertical-align:middle}
.khf-line.dash{border-top-style:dashed}
.khf-stop,.khf-depot,.khf-unserved{width:0!important;height:0!important;background:none;border:none}
.khf-stop span{position:absolute;transform:translate(-50%,-50%);min-width:18px;height:18px;padding:0 3px;
 box-sizing:border-box;border-radius:9px;border:1.5px solid #fff;color:#fff;font:bold 11px/15px Arial,sans-serif;
 text-align:center;white-space:nowrap;box-shadow:0 0 2px rgba(0,0,0,.9);cursor:pointer}
.khf-far .leaflet-marker-pane .khf-stop span{min-width:9px;height:9px;padding:0;font-size:0;line-height:0;border-width:1px}
.khf-depot span{position:absolute;transform:translate(-50%,-50%);background:#111;color:#fff;border:2px solid #fff;
 outline:2px solid #111;border-radius:3px;padding:2px 5px;font:bold 12px/1.25 Arial,sans-serif;white-space:nowrap;
 cursor:pointer}
.khf-depot b{background:#ffd400;color:#111;padding:0 3px;border-radius:2px}
.khf-depot i{font-style:normal;margin-left:4px}
.khf-unserved span{position:absolute;transform:translate(-50%,-50%);width:16px;height:16px;border-radius:50%;
 background:#e31a1c;border:3px solid #000;color:#fff;font:bold 15px/16px Arial,sans-serif;text-align:center;
 cursor:pointer}
.khf-pop{font-size:12px}
.khf-pop .h{font-weight:bold;font-size:13px;margin-bottom:3px}
.khf-pop table{border-collapse:collapse}
.khf-pop th{text-align:left;padding:1px 10px 1px 0;color:#555;font-weight:normal;white-space:nowrap;vertical-align:top}
.khf-pop td{padding:1px 0}
.khf-pop .w{color:#b00000;font-weight:bold}
.leaflet-control-layers{font-size:12px;line-height:1.3}
.leaflet-control-layers label{margin:1px 0}
.khf-lg-depot{font-weight:bold}
.khf-lg-veh{margin-left:16px}
"""


@functools.cache
def _asset_text(relative: str) -> str:
    path = ASSETS_DIR / relative
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OptimizerError(f"map asset missing: {path} ({exc.strerror}); reinstall the package") from exc
    text = re.sub(r"^\s*//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)

    def inline(match: re.Match) -> str:
        target = match.group(1).strip("'\"")
        if target.startswith(("data:", "#")):
            return match.group(0)
        image = (path.parent / target).resolve()
        mime = "image/svg+xml" if image.suffix == ".svg" else "image/png"
        try:
            data = base64.b64encode(image.read_bytes()).decode("ascii")
        except OSError as exc:
            raise OptimizerError(f"map asset missing: {image} ({exc.strerror}); reinstall the package") from exc
        return f'url("data:{mime};base64,{data}")'

    if relative.endswith(".css"):
        text = re.sub(r"url\(([^)]+)\)", inline, text)
    if re.search(r"</(script|style)", text, flags=re.IGNORECASE):
        raise OptimizerError(f"map asset {path} cannot be inlined (contains a closing tag)")
    return text


def _asset_header() -> str:
    """Inline <style> and <script> blocks of the vendored assets and the map's own code."""
    parts = [f"<style>{_asset_text(name)}</style>" for name in ASSET_CSS]
    parts.append(f"<style>{KHF_CSS}</style>")
    parts += [f"<script>{_asset_text(name)}</script>" for name in ASSET_JS]
    parts.append(f"<script>{KHF_JS}</script>")
    return "\n".join(parts)


class _Map(folium.Map):
    """A folium map without folium's CDN defaults (Leaflet, jQuery, Bootstrap, awesome-markers)."""

    default_js: list = []
    default_css: list = []


class _Fullscreen(Fullscreen):
    default_js: list = []
    default_css: list = []


class _SubGroup(FeatureGroupSubGroup):
    default_js: list = []
    default_css: list = []


class _Call(MacroElement):
    """``khf.<function>(<parent layer or map>, <data>);`` in the map script."""

    _template = Template("{% macro script(this, kwargs) %}\nkhf.{{ this.function }}("
                         "{{ this._parent.get_name() }}{% if this.payload %}, {{ this.payload }}{% endif %});\n"
                         "{% endmacro %}")

    def __init__(self, function: str, data: Any = None) -> None:
        super().__init__()
        self._name = "KhfCall"
        self.function = function
        self.payload = None if data is None else _js_json(data)


def _js_json(data: Any) -> str:
    """JSON that is safe inside an inline <script> (no "</" or "<!--" sequences)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


# --------------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _e(value: Any) -> str:
    """HTML-escaped text of an input value ('' for missing)."""
    return "" if _missing(value) else html.escape(str(value), quote=True)


class _Fmt:
    """Numbers, dates and labels in one language."""

    def __init__(self, lang: str) -> None:
        if lang not in LABELS:
            raise InputError(f"unknown map language '{lang}' (known: {', '.join(LABELS)})", field="lang")
        self.lang = lang
        self.t = LABELS[lang]

    def num(self, value: Any, decimals: int = 0) -> str:
        if _missing(value):
            return "–"
        try:
            number = float(value)
        except (TypeError, ValueError):
            return _e(value)
        if not math.isfinite(number):
            return "–"
        text = f"{number:,.{decimals}f}"
        return text.replace(",", "\0").replace(".", self.t["decimal"]).replace("\0", self.t["thousands"])

    def share(self, value: Any) -> str:
        if _missing(value):
            return "–"
        return f"{self.num(float(value) * 100, 0)}%"

    def date(self, value: Any) -> str:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            return _e(value)
        months = self.t["months"]
        return self.t["date_format"].format(
            weekday=self.t["weekdays"][day.weekday()], d=day.day, m=day.month, y=day.year,
            month=months[day.month - 1] if months else "",
        )

    def reason(self, value: Any) -> str:
        """A reason code ("no stock", or "no stock: <detail>") in words; anything else as given."""
        if _missing(value):
            return "–"
        code, _, detail = str(value).partition(":")
        words = self.t["reasons"].get(code.strip())
        if words is None:
            return _e(value)
        return _e(words) + (f": {_e(detail.strip())}" if detail.strip() else "")

    def locality(self, value: Any) -> str:
        if _missing(value):
            return ""
        return _e(datasets.LOCALITIES.get(str(value), str(value)))

    def zone(self, value: Any) -> str:
        key = zone_key(value)
        return self.t[f"zone_{key}"] if key != "unknown" or _missing(value) else _e(value)


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def zone_key(value: Any) -> str:
    """``green``/``yellow``/``orange``/``red`` (or ``unknown``) from a zone value in English or Vietnamese
    ("red", "Vùng đỏ", "do") or a priority 0–3."""
    if _missing(value):
        return "unknown"
    text = str(value).strip()
    if isinstance(value, (int, float, np.integer, np.floating)) or text.isdigit():
        try:
            level = float(text)
        except ValueError:
            return "unknown"
        return ("green", "yellow", "orange", "red")[int(level)] if level in (0, 1, 2, 3) else "unknown"
    words = set(re.split(r"[^a-z]+", _ascii(text)))
    for key, names in (("red", {"red", "do"}), ("orange", {"orange", "cam"}),
                       ("yellow", {"yellow", "vang"}), ("green", {"green", "xanh"})):
        if words & names:
            return key
    return "unknown"


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


def _merged_lines(geometries: np.ndarray) -> list[list[int]]:
    """Encoded lines of a road layer: both directions drawn once, merged where roads continue, simplified."""
    geometries = np.asarray([g for g in geometries if g is not None and not g.is_empty], dtype=object)
    if not len(geometries):
        return []
    parts = shapely.get_parts(geometries)
    parts = parts[shapely.get_type_id(parts) == 1]  # LineStrings
    if not len(parts):
        return []
    normalised = shapely.normalize(shapely.set_precision(parts, 1e-6))
    unique = shapely.from_wkb(pd.unique(pd.Series(shapely.to_wkb(normalised))))
    merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(unique)))
    return _encode_many(shapely.simplify(merged, ROAD_TOLERANCE, preserve_topology=False))


# --------------------------------------------------------------------------------------------------
# Map building
# --------------------------------------------------------------------------------------------------


def _column(frame: pd.DataFrame | None, name: str, default: Any = None) -> pd.Series:
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


def _kpis(plan: Plan) -> dict:
    routes, legs, stops = plan.routes, plan.legs, plan.stops
    demand = float(pd.to_numeric(_column(stops, "demand_kg"), errors="coerce").sum())
    delivered = float(pd.to_numeric(_column(routes, "quantity_kg"), errors="coerce").sum())
    trips = 0
    if routes is not None and len(routes) and {"vehicle_id", "trip"} <= set(routes.columns):
        trips = len(routes[["vehicle_id", "trip"]].drop_duplicates())
    return {
        "demand": demand,
        "delivered": delivered,
        "share": delivered / demand if demand > 0 else None,
        "vehicles": int(_column(routes, "vehicle_id").nunique()),
        "trips": trips,
        "km": float(pd.to_numeric(_column(legs, "leg_km"), errors="coerce").sum()),
        "unserved": int(len(plan.unserved)) if plan.unserved is not None else 0,
    }


def _title_html(plan: Plan, f: _Fmt) -> str:
    k = _kpis(plan)
    summary = f.t["summary"].format(
        delivered=f.num(k["delivered"]), demand=f.num(k["demand"]), share=f.share(k["share"]),
        vehicles=k["vehicles"], trips=k["trips"], km=f.num(k["km"], 1), unserved=k["unserved"],
    )
    return f'<h1>{_e(plan.title)}</h1><div class="d">{f.date(plan.date)}</div><div class="k">{summary}</div>'


def _legend_html(f: _Fmt, *, has_network: bool) -> str:
    t = f.t
    demo = '<span class="khf-demo"><div class="{cls}">{inner}</div></span>'
    rows = [
        demo.format(cls="khf-depot", inner=f"<span><b>{t['depot_badge']}</b></span>") + t["depot"],
        demo.format(cls="khf-stop", inner='<span style="background:#1f77b4">3</span>') + t["stop"],
        demo.format(cls="khf-unserved", inner="<span>×</span>") + t["unserved"],
        '<span class="khf-demo"><span class="khf-line" style="margin-top:8px"></span></span>' + t["route"],
        '<span class="khf-demo"><span class="khf-line dash" style="margin-top:8px"></span></span>' + t["approx_leg"],
        f'<span class="khf-demo"><span class="khf-line" style="margin-top:8px;border-color:{CLOSED_COLOUR}">'
        f'</span></span>' + t["closed"],
    ]
    if has_network:
        rows.append(f'<span class="khf-demo"><span class="khf-line" style="margin-top:8px;border-top-width:2px;'
                    f'border-color:{NETWORK_COLOUR}"></span></span>' + t["network"])
        rows.append(f'<span class="khf-demo"><span class="khf-line dash" style="margin-top:8px;border-top-width:2px;'
                    f'border-color:{NETWORK_COLOUR}"></span></span>' + t["network_approx"])
    zones = [f'<span class="khf-sw" style="background:{ZONE_COLOURS[k]};opacity:.55"></span>{t["zone_" + k]}'
             for k in ("green", "yellow", "orange", "red")]
    served = [f'<span class="khf-sw" style="background:{colour}"></span>{label}'
              for (_, colour), label in zip(SERVED_CLASSES, t["served_classes"])]
    served.append(f'<span class="khf-sw" style="background:transparent;border-style:dashed"></span>{t["no_demand"]}')

    def section(title: str, items: list[str]) -> str:
        return f'<div class="sec">{title}</div>' + "".join(f'<div class="row">{i}</div>' for i in items)

    body = section(t["legend_symbols"], rows) + section(t["zones"], zones) + section(t["served_share"], served)
    return f"<details open><summary>{t['legend']}</summary>{body}</details>"


def _layer_name(text: str, *, cls: str, swatch: str | None = None) -> str:
    sw = f'<span class="khf-sw" style="background:{swatch}"></span>' if swatch else ""
    return f'<span class="{cls}">{sw}{text}</span>'


def _vehicle_data(plan: Plan, f: _Fmt) -> list[dict]:
    """Per vehicle (ordered by depot, then id): depot, colour, layer name, encoded legs and stops."""
    t = f.t
    routes = plan.routes if plan.routes is not None else pd.DataFrame()
    legs = plan.legs if plan.legs is not None else pd.DataFrame()
    vehicles: dict[str, dict] = {}
    for row in _rows(routes):
        vid = str(row.get("vehicle_id"))
        info = vehicles.setdefault(vid, {"id": vid, "rows": [], "legs": [], "depot_id": row.get("depot_id"),
                                         "depot_name": row.get("depot_name"), "name": row.get("vehicle_name"),
                                         "profile": row.get("profile")})
        info["rows"].append(row)
    leg_rows = _rows(legs.drop(columns="geometry")) if "geometry" in legs.columns else _rows(legs)
    geometries = list(legs.geometry) if "geometry" in legs.columns else [None] * len(leg_rows)
    for row, geometry in zip(leg_rows, geometries):
        vid = str(row.get("vehicle_id"))
        info = vehicles.setdefault(vid, {"id": vid, "rows": [], "legs": [], "depot_id": None, "depot_name": None,
                                         "name": None, "profile": row.get("profile")})
        info["legs"].append((row, geometry))
    depot_order = {str(d): i for i, d in enumerate(_column(plan.depots, "depot_id"))}
    ordered = sorted(vehicles.values(), key=lambda v: (depot_order.get(str(v["depot_id"]), len(depot_order)),
                                                       _sort_key(v["depot_id"]), _sort_key(v["id"])))
    out = []
    for index, info in enumerate(ordered):
        colour = VEHICLE_COLOURS[index % len(VEHICLE_COLOURS)]
        rows = sorted(info["rows"], key=lambda r: (_int_or(r.get("trip")), _int_or(r.get("seq"))))
        trips = sorted({_int_or(r.get("trip")) for r in rows} | {_int_or(r.get("trip")) for r, _ in info["legs"]})
        several = len(trips) > 1
        label = _e(info["id"])
        if not _missing(info["name"]) and str(info["name"]) != info["id"]:
            label += f" · {_e(info['name'])}"
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
            ward = _e(r.get("ward"))
            locality = f.locality(r.get("locality"))
            popup = _popup(
                _e(r.get("name")) or _e(r.get("stop_id")),
                [
                    (t["ward"], f"{ward} ({locality})" if locality else ward),
                    (t["zone"], f.zone(r.get("zone"))),
                    (t["quantity"], f"<b>{f.num(r.get('quantity_kg'))} {t['kg']}</b>"),
                    (t["arrival"], f"<b>{_e(r.get('arrival'))}</b>"),
                    (t["departure"], _e(r.get("departure"))),
                    (t["vehicle"], label),
                    (t["trip"], f"{_int_or(r.get('trip'))} · {t['seq']} {seq}"),
                    (t["load"], f"{f.num(r.get('load_kg'))} / {f.num(r.get('capacity_kg'))} {t['kg']}"
                     if not _missing(r.get("load_kg")) else ""),
                    (t["leg_from"], leg_text),
                ],
            )
            tooltip = f"{badge}. {_e(r.get('name')) or _e(r.get('stop_id'))} — {ward}"
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
            "layer_name": _layer_name(f"{label} — {info_text}", cls="khf-lg-veh", swatch=colour),
            "data": {"c": colour, "legs": legs_out, "stops": stops},
        })
    return out


def _depot_items(plan: Plan, f: _Fmt) -> list[list]:
    t = f.t
    items = []
    for r in _rows(plan.depots):
        position = _e5(r.get("lat"), r.get("lon"))
        if position is None:
            continue
        name = _e(r.get("name")) or _e(r.get("depot_id"))
        stock, load = r.get("stock_kg"), r.get("load_kg")
        remaining = None if _missing(stock) or _missing(load) else float(stock) - float(load)
        warn = t["over_stock"] if remaining is not None and remaining < -1e-6 else ""
        approx = bool(r.get("approximate")) and not _missing(r.get("approximate"))
        popup = _popup(
            f"{t['depot_badge']}: {name}",
            [
                (t["stock"], f"{f.num(stock)} {t['kg']}"),
                (t["planned_load"], f"<b>{f.num(load)} {t['kg']}</b>"),
                (t["remaining"], f"{f.num(remaining)} {t['kg']}"),
                (t["vehicles"], _e(r.get("vehicles"))),
            ] + ([(t["approx_position"], "✓")] if approx else []),
            warn,
        )
        badge = f"<span><b>{t['depot_badge']}</b><i>{name}</i></span>"
        tooltip = f"{name}: {f.num(load)} / {f.num(stock)} {t['kg']}"
        items.append([position[0], position[1], badge, popup, tooltip])
    return items


def _unserved_items(plan: Plan, f: _Fmt) -> list[list]:
    t = f.t
    names = {}
    if plan.stops is not None and len(plan.stops) and "stop_id" in plan.stops.columns:
        names = dict(zip(plan.stops["stop_id"].astype(str), _column(plan.stops, "name")))
    items = []
    for r in _rows(plan.unserved):
        position = _e5(r.get("lat"), r.get("lon"))
        if position is None:
            continue
        stop_name = names.get(str(r.get("stop_id")))
        title = _e(stop_name) if not _missing(stop_name) else _e(r.get("stop_id"))
        ward = _e(r.get("ward"))
        locality = f.locality(r.get("locality"))
        reason = f.reason(r.get("reason"))
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


def _ward_items(plan: Plan, f: _Fmt) -> tuple[list, list]:
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
        demand = r.get("demand_kg")
        share = r.get("served_share")
        if _missing(share) and not _missing(demand) and float(demand) > 0 and not _missing(r.get("delivered_kg")):
            share = float(r.get("delivered_kg")) / float(demand)
        tooltip = _popup(
            _e(r.get("ward")) + (f" ({locality})" if locality else ""),
            [
                (t["zone"], f.zone(r.get("zone"))),
                (t["demand"], f"{f.num(demand)} {t['kg']}"),
                (t["delivered"], f"{f.num(r.get('delivered_kg'))} {t['kg']}"),
                (t["share"], f"<b>{f.share(share)}</b>"),
            ],
        )
        zone_items.append([rings, ZONE_COLOURS[zone_key(r.get("zone"))], tooltip])
        no_demand = _missing(demand) or float(demand) <= 0
        served_items.append([rings, "transparent" if no_demand else (_served_colour(share) or "transparent"),
                             tooltip])
    return zone_items, served_items


def _closed_items(plan: Plan, f: _Fmt) -> list:
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
            tip = f"<b>{f.t['closed_road']}</b>" + (f": {_e(label)}" if label else "")
            items.append([lines, tip, None])
    return items


def _network_items(plan: Plan) -> list:
    edges = plan.network_edges
    if edges is None or len(edges) == 0 or "geometry" not in edges.columns:
        return []
    approximate = _column(edges, "approximate", False).fillna(False).astype(bool).to_numpy()
    geometries = np.asarray(edges.geometry.values, dtype=object)
    items = []
    solid = _merged_lines(geometries[~approximate])
    if solid:
        items.append([solid, None, None])
    dashed = _merged_lines(geometries[approximate])
    if dashed:
        items.append([dashed, None, {"dashArray": "6 6", "weight": 2}])
    return items


def _bounds(plan: Plan) -> list[list[float]] | None:
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


def build_map(plan: Plan, *, lang: str = "vi", offline: bool = False) -> folium.Map:
    """The folium map of a plan (what :func:`render_map` writes); see the module docstring."""
    f = _Fmt(lang)
    t = f.t
    bounds = _bounds(plan)
    centre = [12.2450, 109.1940] if bounds is None else [(bounds[0][0] + bounds[1][0]) / 2,
                                                          (bounds[0][1] + bounds[1][1]) / 2]
    m = _Map(location=centre, zoom_start=12, tiles=None, control_scale=True, min_zoom=7, max_zoom=19)
    root = m.get_root()
    root.title = _e(plan.title) or "Map"
    root.header.add_child(Element(_asset_header()), name="khf_assets")

    network = _network_items(plan)
    m.add_child(_Call("init", {
        "panes": [["khfWards", 350], ["khfBase", 360], ["khfClosed", 390], ["khfRoutes", 420]],
        "attribution": [OSM_ATTRIBUTION, html.escape(DATA_ATTRIBUTION)],
        "title": _title_html(plan, f),
        "legend": _legend_html(f, has_network=bool(network)),
        "farZoom": FAR_ZOOM,
    }))
    if bounds is not None:
        m.fit_bounds(bounds, padding=(30, 30))
    _Fullscreen(title=t["fullscreen"], title_cancel=t["fullscreen_exit"]).add_to(m)

    if not offline:
        folium.TileLayer("OpenStreetMap", name=t["layer_tiles"], attr=OSM_ATTRIBUTION, max_zoom=19).add_to(m)

    zone_items, served_items = _ward_items(plan, f)
    if zone_items:
        layer = folium.FeatureGroup(name=t["layer_wards_zone"], show=True).add_to(m)
        layer.add_child(_Call("polys", {"items": zone_items, "style": {
            "color": "#555", "weight": 1, "opacity": 0.8, "fillOpacity": 0.3}}))
        layer = folium.FeatureGroup(name=t["layer_wards_served"], show=False).add_to(m)
        layer.add_child(_Call("polys", {"items": served_items, "style": {
            "color": "#333", "weight": 1, "opacity": 0.9, "fillOpacity": 0.6, "dashArray": None}}))
    if network:
        layer = folium.FeatureGroup(name=t["layer_network"], show=offline).add_to(m)
        layer.add_child(_Call("lines", {"pane": "khfBase", "items": network, "style": {
            "color": NETWORK_COLOUR, "weight": 1.5, "opacity": 0.9, "interactive": False}}))
    closed = _closed_items(plan, f)
    if closed:
        layer = folium.FeatureGroup(name=_layer_name(t["layer_closed"], cls="", swatch=CLOSED_COLOUR),
                                    show=True).add_to(m)
        layer.add_child(_Call("lines", {"pane": "khfClosed", "items": closed, "style": {
            "color": CLOSED_COLOUR, "weight": 5, "opacity": 0.9}}))
    depots = _depot_items(plan, f)
    if depots:
        layer = folium.FeatureGroup(name=t["layer_depots"], show=True).add_to(m)
        layer.add_child(_Call("points", {"cls": "khf-depot", "z": 1000, "items": depots}))
    unserved = _unserved_items(plan, f)
    if unserved:
        layer = folium.FeatureGroup(name=t["layer_unserved"], show=True).add_to(m)
        layer.add_child(_Call("points", {"cls": "khf-unserved", "z": 500, "items": unserved}))

    depot_names = {str(d): n for d, n in zip(_column(plan.depots, "depot_id"), _column(plan.depots, "name"))}
    groups: dict[str | None, folium.FeatureGroup] = {}
    vehicles = _vehicle_data(plan, f)
    for vehicle in vehicles:
        depot_id = vehicle["depot_id"]
        if depot_id not in groups:
            name = depot_names.get(str(depot_id), vehicle["depot_name"]) if depot_id is not None else None
            text = _e(name) or _e(depot_id) or t["no_depot"]
            groups[depot_id] = folium.FeatureGroup(
                name=_layer_name(t["layer_depot_group"].format(depot=text), cls="khf-lg-depot"), show=True,
            ).add_to(m)
        sub = _SubGroup(groups[depot_id], name=vehicle["layer_name"], show=True).add_to(m)
        sub.add_child(_Call("routes", vehicle["data"]))

    # A day-sized fleet lists dozens of vehicles: open the list only when it fits beside the map.
    folium.LayerControl(collapsed=len(vehicles) > LAYER_LIST_OPEN_MAX).add_to(m)
    m.add_child(_Call("ready"))
    return m


def render_map(plan: Plan, path: str | Path, *, lang: str = "vi", offline: bool = False) -> Path:
    """Write the plan's map as one HTML file, atomically (never half-written).

    Parameters
    ----------
    plan
        The day's plan; only read.
    path
        Output file (its folder is created when missing).
    lang
        ``"vi"`` (default) or ``"en"``: every label on the map.
    offline
        No tile server and no network request at all: the road network is the base layer.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        An unknown language.
    OptimizerError
        The file cannot be written (or a vendored asset is missing).
    """
    path = Path(path)
    text = build_map(plan, lang=lang, offline=offline).get_root().render()
    text = text.replace("<html>", f'<html lang="{LABELS[lang]["html_lang"]}">', 1)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise OptimizerError(f"cannot write map {path}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path
