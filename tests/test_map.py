"""The map an officer reads: depot labels that do not pile up, stop badges from a close zoom, one-vehicle focus,
street names on the offline base at close zoom, closed depots and roads drawn closed, the note when online tiles
fail, the scenario-named copy in ``maps/``; and the vehicle timeline. Browser tests run headless Chromium with
the network blocked and save screenshots in the test's tmp folder."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from browser import needs_chromium, open_page
from plan_fixture import CLOSED_DEPOT
from plan_scenarios import small_scenario

from optimizer.clock import format_hhmm
from optimizer.outputs import layers, webmap
from optimizer.outputs.report import write_outputs
from optimizer.outputs.resources import labels
from optimizer.outputs.timeline import timeline_html
from optimizer.outputs.webmap import map_copy_name, render_map
from optimizer.plan import PlanOptions, run_plan


@pytest.fixture(scope="module")
def maps(plan, tmp_path_factory) -> dict[str, Path]:
    """The fixture plan's map offline, online, and online in English (the tile-failure note in both languages)."""
    folder = tmp_path_factory.mktemp("maps")
    kinds = {"offline": ("vi", True), "online": ("vi", False), "en": ("en", False)}
    return {name: render_map(plan, folder / f"{name}.html", lang=lang, offline=offline)
            for name, (lang, offline) in kinds.items()}


def _calls(path: Path, function: str) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(rf"khf\.{function}\((\w+), (.*)\);$", line.strip())
        if match:
            out.append(json.loads(match.group(2)))
    return out


def _set_view(page, lat: float, lon: float, zoom: int) -> None:
    page.evaluate(f"khfMap.setView([{lat}, {lon}], {zoom}, {{animate: false}}); 0")
    page.settle(0.5)


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------


def test_street_labels_one_per_street_and_cell(plan):
    items = layers.street_items(plan)
    assert len(items) > 20
    names = set(plan.network_edges["name"].dropna()) - {""}
    assert {item[3] for item in items} <= {layers.esc(n) for n in names}
    assert "Yersin" in {item[3] for item in items} and "Trần Phú" in {item[3] for item in items}
    cells = [(item[3], item[1] // 1000, item[0] // 1000) for item in items]  # 0.01° cells in 1e-5° units
    assert len(cells) == len(set(cells)), "one label per street and cell"
    assert all(-90 <= item[2] <= 90 for item in items), "labels read left to right"
    unnamed = dataclasses.replace(plan, network_edges=plan.network_edges.drop(columns="name"))
    assert layers.street_items(unnamed) == []


def test_depot_and_closed_road_labels_wait_for_close_zoom(maps, plan):
    points = {d["cls"]: d for d in _calls(maps["offline"], "points")}
    for cls in ("khf-depot", "khf-depot khf-depot-closed"):
        assert points[cls]["labelZoom"] == webmap.LABEL_ZOOM > 12
        assert all(item[5] and item[5] not in item[2] for item in points[cls]["items"]), "the badge has no name"
    (closed,) = points["khf-depot khf-depot-closed"]["items"]
    assert "✕" in closed[2] and "Đóng cửa hôm nay" in closed[5]
    (road,) = [d for d in _calls(maps["offline"], "lines") if d["pane"] == "khfClosed"]
    assert road["style"]["dashArray"] and road["style"]["color"] == "#e00000" and road["labelZoom"]
    assert "Chốt kiểm soát đường Yersin" in road["items"][0][3]


def test_depot_label_turns_away_from_a_close_neighbour(plan):
    f = layers.Fmt("vi")
    assert {item[6] for item in layers.depot_items(plan, f)} == {"right"}, "the fixture's depots lie far apart"
    depots = plan.depots.copy()
    d1 = depots.index[depots["depot_id"] == "D1"][0]
    d3 = depots.index[depots["depot_id"] == "D3"][0]
    depots.loc[d3, ["lat", "lon"]] = [depots.loc[d1, "lat"] + 0.001, depots.loc[d1, "lon"] + 0.008]  # ~900 m east
    sides = {item[5]: item[6] for item in layers.depot_items(dataclasses.replace(plan, depots=depots), f)}
    assert sides["Co.opmart Nha Trang"] == "left" and sides["&lt;script&gt;alert(1)&lt;/script&gt;"] == "right"


def test_map_copy_is_named_by_scenario_and_date(plan):
    assert map_copy_name(plan) == "plan-khanh-hoa-26-07-2021-chi-thi-16-2021-07-26.html"
    other = dataclasses.replace(plan, title="Vạn Ninh: đóng kho / <b>")
    assert map_copy_name(other) == "plan-van-ninh-dong-kho-b-2021-07-26.html"
    folder = dataclasses.replace(plan, settings={"scenario_source": "/data/scenarios/Ninh Hòa đợt 2"})
    assert map_copy_name(folder) == "plan-ninh-hoa-dot-2-2021-07-26.html"
    assert map_copy_name(dataclasses.replace(plan, title="???")) == "plan-scenario-2021-07-26.html"


# --------------------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------------------


def test_timeline_rows_bars_colours_and_curfew(plan, tmp_path):
    written = write_outputs(plan, tmp_path / "out")
    text = written["timeline.html"].read_text(encoding="utf-8")
    assert text == timeline_html(plan)
    assert "http" not in text.replace('xmlns="http://www.w3.org/2000/svg"', ""), "no network"
    sections = re.findall(r"<section><h2>(.*?)</h2>(.*?)</section>", text)
    assert [title.split(":")[0] for title, _ in sections] == ["Co.opmart Nha Trang", "Kho dự trữ Ninh Hòa"]
    trips = plan.routes.groupby(["vehicle_id", "trip"]).ngroups
    assert text.count('class="trip"') == trips
    assert text.count('class="stop"') == len(plan.routes)
    assert text.count('class="curfew"') == 2 * len(sections), "19:00–20:00 and 05:00–06:00 shaded"
    assert "Giờ giới nghiêm 19:00–06:00" in text
    colours = {d["id"]: d["c"] for d in _calls(render_map(plan, tmp_path / "m.html"), "routes")}
    for vid, colour in colours.items():
        row = re.search(rf"<title>{vid}\b.*?</svg>", text, flags=re.DOTALL).group(0)
        assert 'class="trip" x="' in row and f'fill="{colour}"' in row, vid
    # V01's first trip: loading 20 min before it leaves, back after the return leg
    first = plan.routes[(plan.routes["vehicle_id"] == "V01") & (plan.routes["trip"] == 1)]
    leave_s = first["arrival_s"].iloc[0] - first["leg_min"].iloc[0] * 60
    assert "Chuyến 1: bốc hàng 06:" in text and f"rời kho {int(leave_s) // 3600:02d}:" in text
    english = timeline_html(plan, lang="en")
    assert "Curfew 19:00–06:00" in english and "Chuyến" not in english
    assert "Trip 1: loading" in english


def test_a_planned_day_carries_street_names_curfew_and_loading_times():
    scenario = small_scenario()
    planned = run_plan(scenario, options=PlanOptions(time_limit_s=12, seed=0))
    names = set(planned.network_edges["name"].dropna())
    assert "Trần Phú" in names and layers.street_items(planned)
    assert planned.settings["curfew"] == {"start": "19:00", "end": "06:00"}
    assert planned.settings["depot_load_min"] == {d.id: d.load_time_s / 60 for d in scenario.depots}
    text = timeline_html(planned)
    assert text.count('class="trip"') == planned.kpis["trips"] and 'class="curfew"' in text
    depot = planned.routes["depot_id"].iloc[0]
    first = planned.routes[planned.routes["depot_id"] == depot].iloc[0]
    leave_s = first["arrival_s"] - first["leg_min"] * 60
    load_s = leave_s - planned.settings["depot_load_min"][depot] * 60
    assert f"bốc hàng {format_hhmm(load_s, exact=False)}, rời kho {format_hhmm(leave_s, exact=False)}" in text


def test_timeline_without_trips_or_curfew(plan):
    empty = dataclasses.replace(plan, routes=plan.routes.iloc[:0], settings={})
    text = timeline_html(empty)
    assert labels("vi")["timeline"]["no_trips"] in text and 'class="curfew"' not in text


# --------------------------------------------------------------------------------------------------
# In a browser (network blocked)
# --------------------------------------------------------------------------------------------------


@needs_chromium
def test_offline_map_labels_and_street_names_by_zoom(maps, plan, tmp_path):
    n_depots = len(plan.depots)
    with open_page(maps["offline"]) as page:
        assert page.js_errors == [] and page.console_errors == []
        assert page.evaluate("khfMap.getZoom()") < webmap.LABEL_ZOOM
        assert page.count(".leaflet-tooltip.khf-label") == 0, "no permanent depot label at the overview zoom"
        assert page.count(".khf-street") == 0, "no street names at the overview zoom"
        assert page.count(".khf-far .leaflet-marker-pane .khf-stop") == len(plan.routes), "stops are dots far out"
        page.screenshot(tmp_path / "overview.png")
        closed = plan.depots.set_index("depot_id").loc[CLOSED_DEPOT]
        _set_view(page, closed["lat"], closed["lon"], webmap.LABEL_ZOOM)
        # every depot and the closed road carry a permanent label now
        assert page.count(".leaflet-tooltip.khf-label") == n_depots + 1
        label = page.evaluate("document.querySelector('.leaflet-tooltip.khf-label-closed').innerText")
        assert "Chốt kiểm soát đường Yersin" in label
        closed_label = page.evaluate(
            "[...document.querySelectorAll('.leaflet-tooltip.khf-label')].map(e => e.innerText)"
            ".filter(t => t.indexOf('MM Mega Market') >= 0)[0]")
        assert "Đóng cửa hôm nay" in closed_label
        style = page.evaluate("(function () { var s = getComputedStyle(document.querySelector("
                              "'.khf-depot-closed span')); return [s.backgroundColor, s.textDecorationLine]; })()")
        assert style == ["rgb(158, 158, 158)", "line-through"], "the closed depot is grey and crossed out"
        assert page.count(".khf-street") == 0
        page.screenshot(tmp_path / "depots.png")
        (yersin,) = [s for s in layers.street_items(plan) if s[3] == "Yersin"][:1]
        _set_view(page, yersin[0] / 1e5, yersin[1] / 1e5, webmap.STREET_ZOOM)
        names = page.evaluate("[...document.querySelectorAll('.khf-street span')].map(e => e.innerText)")
        assert "Yersin" in names and len(names) == len(layers.street_items(plan))
        assert page.count(".khf-far") == 0 and page.count(".leaflet-marker-icon.khf-stop") == len(plan.routes)
        page.screenshot(tmp_path / "streets.png")
        assert page.js_errors == []


@needs_chromium
def test_tile_failure_shows_the_offline_roads_and_a_note(maps, tmp_path):
    wait_note = """new Promise(function (done) {
      var left = 200;
      (function poll() {
        var note = document.querySelector('.khf-note');
        if (note || --left === 0) { done(note ? note.innerText : null); } else { setTimeout(poll, 100); }
      })();
    })"""
    for name, words in (("online", "Không tải được bản đồ nền trực tuyến — đang dùng bản đồ đường ngoại tuyến"),
                        ("en", "The online base map could not be loaded — showing the offline road map")):
        with open_page(maps[name]) as page:
            assert page.evaluate(wait_note, timeout=40) == words
            assert page.count(".leaflet-khfBase-pane path") > 0, "the offline road network is shown"
            assert page.js_errors == []
            page.screenshot(tmp_path / f"tiles_failed_{name}.png")


ROUTE_IN_VIEW = """(function () { var b = null; khfMap.eachLayer(function (l) {
  if (l instanceof L.Polyline && l.options.color === COLOUR) { b = b ? b.extend(l.getBounds()) : l.getBounds(); }
}); return khfMap.getBounds().contains(b); })()"""
CLICK_ROUTE = """(function () { var done = false; khfMap.eachLayer(function (l) {
  if (!done && l instanceof L.Polyline && l.options.color === COLOUR) { l.fire('click'); done = true; } }); })()"""


@needs_chromium
def test_one_vehicle_focus_fades_the_others(maps, plan, tmp_path):
    opacities = """(function () {
      var out = {};
      khfMap.eachLayer(function (l) {
        if (l instanceof L.Polyline && l.options.pane === 'khfRoutes') {
          out[l.options.color] = (out[l.options.color] || []).concat([l.options.opacity]);
        }
      });
      return out;
    })()"""
    colours = {d["id"]: d["c"] for d in _calls(maps["offline"], "routes")}
    with open_page(maps["offline"]) as page:
        options = page.evaluate("[...document.querySelectorAll('.khf-focus option')].map(o => o.value)")
        assert options == ["", *sorted(colours, key=list(colours).index)]
        page.evaluate("var s = document.querySelector('.khf-focus select'); s.value = 'V02';"
                      "s.dispatchEvent(new Event('change')); 0")
        seen = page.evaluate(opacities)
        assert set(seen[colours["V02"]]) == {0.85}
        assert {o for vid, c in colours.items() if vid != "V02" for o in seen[c]} == {0.12}
        faded = page.evaluate("[...document.querySelectorAll('.khf-stop')].filter(e => e.style.opacity === '0.15')"
                              ".length")
        assert faded == int((plan.routes["vehicle_id"] != "V02").sum())
        route = page.evaluate(ROUTE_IN_VIEW.replace("COLOUR", json.dumps(colours["V02"])))
        assert route, "the map shows the chosen vehicle's whole route"
        page.screenshot(tmp_path / "focus.png")
        page.evaluate("document.querySelector('.khf-focus .khf-all').click(); 0")
        assert {o for values in page.evaluate(opacities).values() for o in values} == {0.85}
        assert page.evaluate("document.querySelector('.khf-focus select').value") == ""
        # clicking a route focuses its vehicle
        page.evaluate(CLICK_ROUTE.replace("COLOUR", json.dumps(colours["V01"])))
        assert page.evaluate("document.querySelector('.khf-focus select').value") == "V01"
        assert page.js_errors == []


@needs_chromium
def test_timeline_in_browser(plan, tmp_path):
    path = tmp_path / "timeline.html"
    path.write_text(timeline_html(plan), encoding="utf-8")
    with open_page(path, ready_expression="document.readyState === 'complete'") as page:
        assert page.js_errors == []
        assert all(u.startswith(("file:", "data:", "about:")) for u in page.requests), page.requests
        assert page.count("rect.trip") == plan.routes.groupby(["vehicle_id", "trip"]).ngroups
        assert page.count("section svg") == 2
        page.screenshot(tmp_path / "timeline.png")
