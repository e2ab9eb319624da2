"""Folium map of a daily plan: routes along roads, stops, depots, zones; online or fully offline.

:func:`render_map` reads a :class:`~optimizer.plan.Plan` (it never solves anything) and writes one
self-contained HTML file that a logistics officer reads without help:

* one layer per vehicle, drawn along the roads (``plan.legs``), one colour per vehicle, grouped per depot:
  the depot's layer switches all its vehicles on and off, each vehicle's sub-layer switches one
  (``FeatureGroupSubGroup``); the layer list shows each vehicle's colour, trips, stops and km, and which depot
  lent it when it loads away from its home depot;
* numbered stops (the visit order in the trip; ``trip.seq`` when a vehicle drives several trips), with a
  popup giving ward, quantity, arrival and departure, vehicle and trip; depots as black "KHO"/"DEPOT" badges
  with stock and planned load, a depot closed for the day as a grey crossed-out badge ("Đóng cửa hôm nay");
  points not fully served as black-ringed red crosses with the reason in the map's language;
* wards shaded by zone colour, and a second layer (off at first) by share of demand served; closed roads red
  and dashed; legs on approximate (non-OSM) roads dashed; title with scenario, date and day totals; legend;
  scale bar; full-screen button; layer list.

What stays readable at each zoom (measured on the default day: 14 depots, eight of them within 3 km in Nha
Trang, 1,178 stops): below :data:`LABEL_ZOOM` depots are small yellow squares and their names show on hover;
from it on each depot's name and each closure's label stay shown, on the side away from the next depot. Stop
badges are dots below :data:`FAR_ZOOM`. Street names of the road network (one per street and ~1 km cell, along
the street) appear from :data:`STREET_ZOOM` on, with the network layer (+37 KB on the default day's 2.8 MB map).
"Show one vehicle" (a list, or a click on a route) fades the other vehicles; "show all" brings them back. When
the online tiles fail to load, the offline road network and street names are switched on and a note says so.

All labels live in ``assets/khf/labels-<lang>.json`` (Vietnamese by default, ``lang="en"`` for English).
Every text taken from the plan is HTML-escaped before it reaches a popup, tooltip, badge, layer name, legend or title.

Leaflet and its two plugins are vendored in ``optimizer/outputs/assets/`` (see its README) and always inlined, so
no map ever pulls JavaScript or CSS from a CDN (folium's default jQuery/Bootstrap/awesome-markers are left
out: nothing here needs them). The two modes differ only in the background:

* ``offline=False`` (default): OpenStreetMap tiles (needs internet), the truck network layer present
  but switched off;
* ``offline=True``: no tile server at all; the truck network (``plan.network_edges``) is the grey base
  layer, approximate roads dashed; the page makes no network request.

Both credit "© OpenStreetMap contributors". Data are embedded compactly (coordinates as 1e-5° integer
deltas decoded by a small script) so a full day (~1,500 stops, 40 vehicles) stays a few MB. The data items
come from :mod:`optimizer.outputs.layers`; the map's script and style are ``assets/khf/khf.js``/``khf.css``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.plugins import FeatureGroupSubGroup, Fullscreen
from jinja2 import Template

from optimizer.errors import OutputError
from optimizer.files import write_text_atomically
from optimizer.outputs.kpis import plan_kpis
from optimizer.outputs.layers import (
    Fmt,
    camp_items,
    closed_items,
    column_of,
    depot_items,
    esc,
    layer_name,
    map_bounds,
    network_items,
    street_items,
    unserved_items,
    vehicle_data,
    ward_items,
)
from optimizer.outputs.resources import asset_text, labels
from optimizer.outputs.style import CLOSED_COLOUR, NETWORK_COLOUR, SERVED_CLASSES, ZONE_COLOURS
from optimizer.plan import Plan
from optimizer.tables import fold_text

#: Vendored front-end files inlined into every map (relative to ``assets/``), in load order; then the map's own.
ASSET_CSS = ["leaflet-1.9.4/leaflet.css", "leaflet.fullscreen-3.0.0/Control.FullScreen.css", "khf/khf.css"]
ASSET_JS = [
    "leaflet-1.9.4/leaflet.js",
    "leaflet.fullscreen-3.0.0/Control.FullScreen.js",
    "leaflet.featuregroup.subgroup-1.0.2/leaflet.featuregroup.subgroup.js",
    "khf/khf.js",
]

#: Credits shown in the map's attribution control (identical to the OSM tile layer's text, so Leaflet
#: shows it once in online mode).
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
DATA_ATTRIBUTION = "QL/TL: LegoCity (CC BY-SA 4.0) · GSO 2019"
#: Below this zoom stop badges shrink to dots (a day's 1,200 numbered badges cover Nha Trang up to zoom 14).
FAR_ZOOM = 15
#: From this zoom on depot names and closed-road labels stay shown (below it, on hover: eight Nha Trang depots
#: lie within 3 km and their names piled up at the overview zoom).
LABEL_ZOOM = 14
#: From this zoom on the offline base layer shows street names.
STREET_ZOOM = 16
#: Vehicles up to which the layer list starts open; a day-sized fleet would hide the map behind it.
LAYER_LIST_OPEN_MAX = 15


def _asset_header() -> str:
    """Inline <style> and <script> blocks of the vendored assets and the map's own code."""
    parts = [f"<style>{asset_text(name)}</style>" for name in ASSET_CSS]
    parts += [f"<script>{asset_text(name)}</script>" for name in ASSET_JS]
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


def _title_html(plan: Plan, f: Fmt) -> str:
    k = plan_kpis(plan)
    summary = f.t["summary"].format(
        delivered=f.num(k.delivered_kg), demand=f.num(k.demand_kg), share=f.share(k.served_share),
        vehicles=k.vehicles_used, trips=k.trips, km=f.num(k.km, 1), unserved=k.unserved_points,
    )
    return f'<h1>{esc(plan.title)}</h1><div class="d">{f.date(plan.date)}</div><div class="k">{summary}</div>'


def _legend_html(f: Fmt, *, has_network: bool, has_camps: bool = False) -> str:
    t = f.t
    demo = '<span class="khf-demo"><div class="{cls}">{inner}</div></span>'
    rows = [
        demo.format(cls="khf-depot", inner=f"<span><b>{t['depot_badge']}</b></span>") + t["depot"],
        demo.format(cls="khf-depot khf-depot-closed", inner=f"<span><b>{t['depot_badge']}</b> ✕</span>")
        + t["depot_closed"],
        demo.format(cls="khf-stop", inner='<span style="background:#1f77b4">3</span>') + t["stop"],
        demo.format(cls="khf-unserved", inner="<span>×</span>") + t["unserved"],
        '<span class="khf-demo"><span class="khf-line" style="margin-top:8px"></span></span>' + t["route"],
        '<span class="khf-demo"><span class="khf-line dash" style="margin-top:8px"></span></span>' + t["approx_leg"],
        f'<span class="khf-demo"><span class="khf-line dash" style="margin-top:8px;border-color:{CLOSED_COLOUR}">'
        f'</span></span>' + t["closed"],
    ]
    if has_camps:
        rows.append(demo.format(cls="khf-camp", inner=f"<span>{t['camp_badge']}</span>") + t["camp"])
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


def build_map(plan: Plan, *, lang: str = "vi", offline: bool = False) -> folium.Map:
    """The folium map of a plan (what :func:`render_map` writes); see the module docstring."""
    f = Fmt(lang)
    t = f.t
    bounds = map_bounds(plan)
    centre = [12.2450, 109.1940] if bounds is None else [(bounds[0][0] + bounds[1][0]) / 2,
                                                          (bounds[0][1] + bounds[1][1]) / 2]
    m = _Map(location=centre, zoom_start=12, tiles=None, control_scale=True, min_zoom=7, max_zoom=19)
    root: Any = m.get_root()
    root.title = esc(plan.title) or "Map"
    root.header.add_child(Element(_asset_header()), name="khf_assets")

    network = network_items(plan)
    m.add_child(_Call("init", {
        "panes": [["khfWards", 350], ["khfBase", 360], ["khfClosed", 390], ["khfRoutes", 420], ["khfStreets", 430]],
        "attribution": [OSM_ATTRIBUTION, html.escape(DATA_ATTRIBUTION)],
        "title": _title_html(plan, f),
        "legend": _legend_html(f, has_network=bool(network), has_camps=bool(len(plan.meals))),
        "farZoom": FAR_ZOOM,
        "labelZoom": LABEL_ZOOM,
        "focus": {"label": t["focus_label"], "all": t["focus_all"], "reset": t["focus_reset"]},
        "tilesFailed": t["tiles_failed"],
    }))
    if bounds is not None:
        m.fit_bounds(bounds, padding=(30, 30))
    _Fullscreen(title=t["fullscreen"], title_cancel=t["fullscreen_exit"]).add_to(m)

    if not offline:
        folium.TileLayer("OpenStreetMap", name=t["layer_tiles"], attr=OSM_ATTRIBUTION, max_zoom=19).add_to(m)

    zone_items, served_items = ward_items(plan, f)
    if zone_items:
        layer = folium.FeatureGroup(name=t["layer_wards_zone"], show=True).add_to(m)
        layer.add_child(_Call("polys", {"items": zone_items, "style": {
            "color": "#555", "weight": 1, "opacity": 0.8, "fillOpacity": 0.3}}))
        layer = folium.FeatureGroup(name=t["layer_wards_served"], show=False).add_to(m)
        layer.add_child(_Call("polys", {"items": served_items, "style": {
            "color": "#333", "weight": 1, "opacity": 0.9, "fillOpacity": 0.6, "dashArray": None}}))
    if network:
        layer = folium.FeatureGroup(name=t["layer_network"], show=offline).add_to(m)
        layer.add_child(_Call("lines", {"pane": "khfBase", "items": network, "base": True, "style": {
            "color": NETWORK_COLOUR, "weight": 1.5, "opacity": 0.9, "interactive": False}}))
    streets = street_items(plan)
    if streets:
        layer = folium.FeatureGroup(name=t["layer_streets"], show=offline).add_to(m)
        layer.add_child(_Call("streets", {"pane": "khfStreets", "minZoom": STREET_ZOOM, "items": streets}))
    closed = closed_items(plan, f)
    if closed:
        layer = folium.FeatureGroup(name=layer_name(t["layer_closed"], cls="", swatch=CLOSED_COLOUR),
                                    show=True).add_to(m)
        layer.add_child(_Call("lines", {"pane": "khfClosed", "items": closed, "labelZoom": LABEL_ZOOM, "style": {
            "color": CLOSED_COLOUR, "weight": 5, "opacity": 0.9, "dashArray": "10 7"}}))
    depots, closed_depots = depot_items(plan, f), depot_items(plan, f, closed=True)
    if depots or closed_depots:
        layer = folium.FeatureGroup(name=t["layer_depots"], show=True).add_to(m)
        layer.add_child(_Call("points", {"cls": "khf-depot", "z": 1000, "items": depots, "labelZoom": LABEL_ZOOM}))
        if closed_depots:
            layer.add_child(_Call("points", {"cls": "khf-depot khf-depot-closed", "z": 900, "items": closed_depots,
                                             "labelZoom": LABEL_ZOOM}))
    camps = camp_items(plan, f)
    if camps:
        layer = folium.FeatureGroup(name=t["layer_camps"], show=True).add_to(m)
        for short, cls in ((False, "khf-camp"), (True, "khf-camp khf-camp-short")):
            items = [item[:-1] for item in camps if item[-1] == short]
            if items:
                layer.add_child(_Call("points", {"cls": cls, "z": 800, "items": items}))
    unserved = unserved_items(plan, f)
    if unserved:
        layer = folium.FeatureGroup(name=t["layer_unserved"], show=True).add_to(m)
        layer.add_child(_Call("points", {"cls": "khf-unserved", "z": 500, "items": unserved}))

    depot_names = {str(d): n for d, n in zip(column_of(plan.depots, "depot_id"), column_of(plan.depots, "name"))}
    groups: dict[str | None, tuple[Any, str]] = {}
    vehicles = vehicle_data(plan, f)
    for vehicle in vehicles:
        depot_id = vehicle["depot_id"]
        if depot_id not in groups:
            name = depot_names.get(str(depot_id), vehicle["depot_name"]) if depot_id is not None else None
            text = esc(name) or esc(depot_id) or t["no_depot"]
            groups[depot_id] = (folium.FeatureGroup(
                name=layer_name(t["layer_depot_group"].format(depot=text), cls="khf-lg-depot"), show=True,
            ).add_to(m), text)
        group, text = groups[depot_id]
        sub = _SubGroup(group, name=vehicle["layer_name"], show=True).add_to(m)
        sub.add_child(_Call("routes", {**vehicle["data"], "id": esc(vehicle["id"]), "n": vehicle["label"], "g": text}))

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
    OutputError
        The file cannot be written.
    OptimizerError
        A vendored asset is missing.
    """
    text = build_map(plan, lang=lang, offline=offline).get_root().render()
    text = text.replace("<html>", f'<html lang="{labels(lang)["map"]["html_lang"]}">', 1)
    try:
        return write_text_atomically(path, text)
    except OSError as exc:
        raise OutputError(f"cannot write map {path}: {exc.strerror or exc}") from exc


def file_slug(text: str, *, fallback: str) -> str:
    """A safe ASCII file-name part of a name ("Khánh Hòa — Chỉ thị 16" → ``khanh-hoa-chi-thi-16``), at most 60
    characters; ``fallback`` when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "-", fold_text(text)).strip("-")[:60].strip("-") or fallback


def map_copy_name(plan: Plan) -> str:
    """``plan-<scenario>-<date>.html``: the name of a plan's map in the shared ``maps/`` folder, so that plans of
    two scenarios on the same day do not overwrite each other. The scenario is its folder's name, or the
    plan's title for the embedded default day."""
    source = str(plan.settings.get("scenario_source") or "")
    name = Path(source).name if source and source != "embedded default" else plan.title
    return f"plan-{file_slug(name, fallback='scenario')}-{plan.date}.html"
