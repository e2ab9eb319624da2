"""The plan map: layers per vehicle along the roads, escaping, languages, offline self-containment, size,
atomic writing, closed depots and lent vehicles; the summary, plan.json and dispatch sheets in the document's
language (reasons, open depots, flows across localities, fairness); and in headless Chromium: no errors,
lines and markers drawn, no alert, a screenshot."""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from browser import needs_chromium, open_page
from plan_fixture import CLOSED_DEPOT, LENT_VEHICLE, XSS_DEPOT, XSS_STOP, expected_legs, scaled_plan

from optimizer import files
from optimizer.errors import InputError, OutputError
from optimizer.outputs import layers, style
from optimizer.outputs import webmap as render
from optimizer.outputs.report import write_outputs
from optimizer.outputs.resources import asset_text, labels
from optimizer.outputs.sheets import dispatch_sheet_html
from optimizer.outputs.summary import summary_frame, summary_text
from optimizer.outputs.webmap import render_map
from optimizer.plan import LEG_COLUMNS, ROUTE_COLUMNS, Plan
from optimizer.solve.reasons import REASONS, TRANSFER_REASONS


@pytest.fixture(scope="module")
def maps(plan, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("maps")
    return {
        "offline": render_map(plan, folder / "offline" / "map.html", offline=True),
        "online": render_map(plan, folder / "online.html"),
        "en": render_map(plan, folder / "map_en.html", lang="en", offline=True),
    }


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _calls(text: str, function: str) -> list[tuple[str, dict]]:
    """(layer variable, data) of every ``khf.<function>(layer, data);`` line of the map script."""
    out = []
    for line in text.splitlines():
        match = re.match(rf"khf\.{function}\((\w+), (.*)\);$", line.strip())
        if match:
            out.append((match.group(1), json.loads(match.group(2))))
    return out


def _overlays(text: str) -> dict[str, str]:
    """Layer-control overlay name → layer variable."""
    block = re.search(r"overlays :\s*\{(.*?)\},\s*\};", text, flags=re.DOTALL).group(1)
    return {json.loads(key): var for key, var in re.findall(r'("(?:[^"\\]|\\.)*") : (\w+),', block)}


def _decode(flat: list[int]) -> np.ndarray:
    return np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0) / 1e5


def test_one_layer_per_vehicle_grouped_per_depot(maps, plan):
    text = _text(maps["offline"])
    overlays = _overlays(text)
    vehicles = sorted(plan.routes["vehicle_id"].unique())
    for vid in vehicles:
        named = [(name, var) for name, var in overlays.items() if re.search(rf"\b{vid}\b", name)]
        assert len(named) == 1, f"{vid}: {named}"
        assert named[0][1].startswith("feature_group_sub_group_")
    subgroups = re.findall(r"var (feature_group_sub_group_\w+) = L\.featureGroup\.subGroup\(\s*(\w+)\s*\)", text)
    assert len(subgroups) == len(vehicles)
    parents = {parent for _, parent in subgroups}
    assert len(parents) == plan.routes["depot_id"].nunique() == 2, "grouped by the depot each vehicle loads at"
    depot_names = {var: name for name, var in overlays.items() if var in parents}
    assert any("Co.opmart Nha Trang" in n for n in depot_names.values())
    assert any("Kho dự trữ Ninh Hòa" in n for n in depot_names.values())
    (lent,) = [name for name in overlays if re.search(rf"\b{LENT_VEHICLE}\b", name)]
    assert "điều từ kho &lt;script&gt;alert(1)&lt;/script&gt;" in lent, "the lent vehicle names its home depot"
    # the other layers
    assert {"Phường/xã theo vùng dịch", "Phường/xã theo tỉ lệ đáp ứng", "Mạng đường (nền)", "Kho hàng",
            "Điểm chưa giao đủ"} <= set(overlays)
    assert any("Đường bị chặn" in n for n in overlays)
    assert "L.control.layers(" in text and "L.control.scale()" in text and "L.control.fullscreen(" in text


def test_routes_follow_the_road_legs(maps, plan):
    calls = _calls(_text(maps["offline"]), "routes")
    assert len(calls) == 3
    expected = expected_legs()
    legs = plan.legs.sort_values(["vehicle_id", "trip", "seq"])
    colours = set()
    for (_, data), (vid, group) in zip(calls, legs.groupby("vehicle_id", sort=True)):
        assert len(data["legs"]) == expected[vid] == len(group)
        colours.add(data["c"])
        for (flat, approximate, popup), geometry, approx in zip(data["legs"], group.geometry, group["approximate"]):
            drawn = _decode(flat)
            coords = np.asarray(geometry.coords)[:, ::-1]
            assert np.allclose(drawn[0], coords[0], atol=1e-5) and np.allclose(drawn[-1], coords[-1], atol=1e-5)
            rounded = np.rint(coords * 1e5)
            kept = 1 + int((np.diff(rounded, axis=0) != 0).any(axis=1).sum())
            assert len(drawn) == max(kept, 2), "every road vertex is drawn"
            if len(coords) > 2:
                assert len(drawn) > 2, "a road leg was drawn as a straight line"
            assert approximate == int(approx)
            assert "km" in popup
    assert len(colours) == 3, "one colour per vehicle"
    assert sum(len(d["legs"]) for _, d in calls) == len(plan.legs)


def test_approximate_leg_is_dashed(maps, plan):
    calls = _calls(_text(maps["offline"]), "routes")
    flags = [leg[1] for _, data in calls for leg in data["legs"]]
    assert sum(flags) == int(plan.legs["approximate"].sum()) >= 1
    assert 'dashArray: l[1] ? "10 8" : null' in asset_text("khf/khf.js")
    network = _calls(_text(maps["offline"]), "lines")
    assert any(item[2] and item[2].get("dashArray") for _, d in network for item in d["items"]), \
        "approximate network roads dashed"


def test_stops_depots_unserved_popups(maps, plan):
    text = _text(maps["offline"])
    stops = [s for _, data in _calls(text, "routes") for s in data["stops"]]
    assert len(stops) == len(plan.routes)
    v01 = [s for s in stops if "V01" in s[3]]
    assert {s[2] for s in v01} == {"1.1", "1.2", "1.3", "2.1", "2.2"}, "trip.seq badges for a two-trip vehicle"
    first = plan.routes.iloc[0]
    popup = next(s[3] for s in stops if first["arrival"] in s[3] and first["ward"] in s[3])
    for label in ("Phường/xã", "Khối lượng giao", "Giờ đến", "Xe", "Chuyến"):
        assert label in popup
    points = {d["cls"]: d["items"] for _, d in _calls(text, "points")}
    assert len(points["khf-depot"]) == 3 and len(points["khf-unserved"]) == 1
    depot_popup = points["khf-depot"][0][3]
    assert "Tồn kho" in depot_popup and "20.000 kg" in depot_popup and "Xuất theo kế hoạch" in depot_popup
    assert "Nha Trang" in depot_popup
    unserved_popup = points["khf-unserved"][0][3]
    assert REASONS["vehicles"].vi in unserved_popup and "Còn thiếu" in unserved_popup


def test_wards_zones_and_closed_roads(maps, plan):
    text = _text(maps["offline"])
    polys = [d["items"] for _, d in _calls(text, "polys")]
    assert [len(p) for p in polys] == [len(plan.wards)] * 2
    zone_colours = {item[1] for item in polys[0]}
    assert set(style.ZONE_COLOURS[k] for k in ("green", "yellow", "orange", "red")) <= zone_colours
    assert any("Phường Vĩnh Hải" in item[2] for item in polys[0]), "ward names with diacritics"
    closed = [d for _, d in _calls(text, "lines") if d["pane"] == "khfClosed"]
    assert len(closed) == 1 and "Chốt kiểm soát đường Yersin" in closed[0]["items"][0][1]
    assert closed[0]["style"]["color"] == style.CLOSED_COLOUR


def test_input_text_is_escaped(maps):
    for path in maps.values():
        text = _text(path)
        assert XSS_DEPOT not in text and XSS_STOP not in text
        assert "<script>alert" not in text and "onerror=alert(2)>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "&lt;img src=x onerror=alert(2)&gt;" in text


def test_title_legend_and_languages(maps, plan):
    vi, en = _text(maps["offline"]), _text(maps["en"])
    assert '<html lang="vi">' in vi and '<html lang="en">' in en
    assert "<title>Khánh Hòa — 26/07/2021 (Chỉ thị 16)</title>" in vi
    (_, init_vi), = _calls(vi, "init")
    (_, init_en), = _calls(en, "init")
    assert "<h1>Khánh Hòa — 26/07/2021 (Chỉ thị 16)</h1>" in init_vi["title"]
    assert "Thứ Hai, 26/07/2021" in init_vi["title"] and "Monday 26 July 2021" in init_en["title"]
    assert "Đã giao 6.810 / 7.450 kg (91,4 %) · 3 xe · 4 chuyến" in init_vi["title"]
    assert "Delivered 6,810 / 7,450 kg (91.4%) · 3 vehicles · 4 trips" in init_en["title"]
    for label in ("Chú giải", "Vùng đỏ", "Đoạn đường ước lượng", "Kho / điểm xuất hàng", "Tỉ lệ nhu cầu"):
        assert label in init_vi["legend"] and label not in init_en["legend"]
    for label in ("Legend", "Red zone", "Approximate road", "Depot / loading point", "Share of demand served"):
        assert label in init_en["legend"] and label not in init_vi["legend"]
    for label in ("Giờ đến", "Khối lượng giao", "Chuyến"):
        assert label in vi and label not in en
    for label in ("Arrival", "Quantity delivered", "Trip"):
        assert label in en
    assert "KHO" in vi and "DEPOT" in en
    assert labels("vi").keys() == labels("en").keys() and all(labels("vi")[k].keys() == labels("en")[k].keys() for k in labels("vi"))
    with pytest.raises(InputError, match="unknown map language"):
        render.build_map(plan, lang="fr")


def test_offline_map_has_no_remote_resources(maps):
    for name in ("offline", "en"):
        text = _text(maps[name])
        remote = re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']?([^\"' >]+)", text, flags=re.IGNORECASE)
        remote += re.findall(r"<link[^>]*\bhref\s*=\s*[\"']?([^\"' >]+)", text, flags=re.IGNORECASE)
        assert not [u for u in remote if re.match(r"(https?:)?//", u)], remote
        assert "L.tileLayer" not in text
        assert "cdn.jsdelivr" not in text and "code.jquery" not in text and "bootstrap" not in text.lower()
        assert "OpenStreetMap</a> contributors" in text.replace("<\\/a>", "</a>")
        # the vendored libraries are inlined: Leaflet, leaflet.fullscreen, leaflet.featuregroup.subgroup
        assert "leaflet-container" in text and "fullscreenchange" in text and "FeatureGroup.SubGroup" in text
    online = _text(maps["online"])
    assert "tile.openstreetmap.org" in online and "L.tileLayer" in online
    assert "cdn.jsdelivr" not in online and "code.jquery" not in online, "libraries are inlined in both modes"


def test_network_base_layer_shown_offline_only(maps):
    for name, shown in (("offline", True), ("online", False)):
        text = _text(maps[name])
        network = [var for var, d in _calls(text, "lines") if d["pane"] == "khfBase"]
        assert len(network) == 1
        added = re.search(rf"{network[0]}\.addTo\(map_\w+\);", text) is not None
        assert added == shown, name


def test_map_size(maps, plan, tmp_path):
    assert maps["offline"].stat().st_size < 1_500_000
    big = scaled_plan(plan, vehicles=40, stops=1500)
    path = render_map(big, tmp_path / "big.html", offline=True)
    size = path.stat().st_size
    assert size < 15_000_000, f"{size / 1e6:.1f} MB"
    calls = _calls(_text(path), "routes")
    assert len(calls) == 40 and sum(len(d["stops"]) for _, d in calls) == 1500


def test_write_is_atomic(plan, tmp_path, monkeypatch):
    path = tmp_path / "map.html"
    path.write_text("old map", encoding="utf-8")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OutputError, match="cannot write map"):
        render_map(plan, path)
    assert path.read_text(encoding="utf-8") == "old map"
    assert os.listdir(tmp_path) == ["map.html"], "no temporary file left behind"
    monkeypatch.undo()
    render_map(plan, path)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert os.listdir(tmp_path) == ["map.html"]
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_empty_plan_renders(plan, tmp_path):
    empty = Plan(
        title="Trống", date="2021-07-27", routes=pd.DataFrame(columns=ROUTE_COLUMNS), stops=plan.stops.iloc[:0],
        depots=plan.depots, unserved=plan.unserved, wards=plan.wards,
        legs=gpd.GeoDataFrame(pd.DataFrame(columns=LEG_COLUMNS), geometry="geometry", crs=4326),
        closed_roads=gpd.GeoDataFrame(geometry=[], crs=4326), network_edges=plan.network_edges,
    )
    text = _text(render_map(empty, tmp_path / "empty.html", offline=True))
    assert _calls(text, "routes") == [] and "khf.ready(" in text


def test_zone_and_reason_labels():
    values = ("red", "Vùng đỏ", "ĐỎ", "cam", "Vùng vàng", "xanh", 0, 3, "2", 7, None, "?", "Vùng đỏ (phong tỏa)")
    assert [layers.zone_key(z) for z in values] == [
        "red", "red", "red", "orange", "yellow", "green", "green", "red", "orange", "unknown", "unknown", "unknown",
        "red"]
    vi, en = layers.Fmt("vi"), layers.Fmt("en")
    assert vi.reason("stock", "Not enough stock") == REASONS["stock"].vi
    assert en.reason("unreachable") == REASONS["unreachable"].en
    assert vi.reason("own_locality_served") == TRANSFER_REASONS["own_locality_served"].vi
    assert vi.reason(None, "<b>lạ</b>") == "&lt;b&gt;lạ&lt;/b&gt;", "a row without a known code keeps its text"
    assert vi.reason(float("nan"), None) == "–"
    assert vi.num(1234567.5, 1) == "1.234.567,5" and en.num(1234567.5, 1) == "1,234,567.5"


# --------------------------------------------------------------------------------------------------
# Closed depots, lent vehicles, reasons, flows and fairness in every document
# --------------------------------------------------------------------------------------------------

ENGLISH_REASONS = [r.en for r in (*REASONS.values(), *TRANSFER_REASONS.values())]
VIETNAMESE_REASONS = [r.vi for r in (*REASONS.values(), *TRANSFER_REASONS.values())]


def test_closed_depot_is_drawn_closed(maps, plan):
    for name, closed_text, left, legend in (("offline", "Đóng cửa hôm nay", "Còn lại sau xuất", "Kho đóng cửa hôm nay"),
                                            ("en", "Closed today", "Left after loading", "Depot closed today")):
        text = _text(maps[name])
        points = {d["cls"]: d["items"] for _, d in _calls(text, "points")}
        (closed,) = points["khf-depot khf-depot-closed"]
        assert "MM Mega Market" in closed[3] and closed_text in closed[3] and closed_text in closed[4]
        assert left not in closed[3], "a closed depot has no stock left after loading"
        assert "✕" in closed[2], "crossed out"
        assert all("MM Mega Market" not in item[3] for item in points["khf-depot"])
        (_, init), = _calls(text, "init")
        assert legend in init["legend"]
    css = asset_text("khf/khf.css")
    assert ".khf-depot-closed span{background:#9e9e9e" in css and "line-through" in css


def test_vietnamese_documents_have_no_english_reason(plan, tmp_path):
    out = tmp_path / "vi"
    write_outputs(plan, out, lang="vi", extra=lambda staging: render_map(plan, staging / "map.html"))
    documents = {p.name: p.read_text(encoding="utf-8-sig") for p in [out / "summary.csv", out / "map.html",
                                                                      *(out / "dispatch").glob("*.html")]}
    documents["text"] = summary_text(plan, "vi")
    for name, text in documents.items():
        assert not [r for r in ENGLISH_REASONS if r in text], name
    for name in ("index.html", "summary.csv", "text"):
        assert REASONS["vehicles"].vi in documents[name], name
        assert TRANSFER_REASONS["own_locality_served"].vi in documents[name], name
    assert REASONS["vehicles"].vi in documents["map.html"]


def test_english_documents_have_english_reasons(plan, tmp_path):
    out = tmp_path / "en"
    write_outputs(plan, out, lang="en", extra=lambda staging: render_map(plan, staging / "map.html", lang="en"))
    index = (out / "dispatch" / "index.html").read_text(encoding="utf-8")
    summary = (out / "summary.csv").read_text(encoding="utf-8-sig")
    text = summary_text(plan, "en")
    for document in (index, summary, text, (out / "map.html").read_text(encoding="utf-8")):
        assert REASONS["vehicles"].en in document
        assert not [r for r in VIETNAMESE_REASONS if r in document]
    assert html.escape(TRANSFER_REASONS["own_locality_served"].en) in index and "Closed today" in index


def test_summary_counts_open_depots_and_lists_flows(plan):
    vi, en = summary_text(plan, "vi"), summary_text(plan, "en")
    assert "12 drop points from 3 open depots (1 closed)" in en
    assert "12 điểm giao từ 3 kho đang mở (1 kho đóng cửa)" in vi
    transfer = plan.transfers.iloc[0]
    assert (f"Nha Trang → Ninh Hòa: 1,300 kg (rice {transfer['rice_kg']:,.0f} kg, food bags "
            f"{transfer['food_bag_kg']:,.0f} kg) — vehicle V03 of depot {XSS_DEPOT} lent to depot Kho dự trữ Ninh Hòa "
            f"(leaves {transfer['depart']}, arrives {transfer['arrive']})") in en
    assert f"Nha Trang → Ninh Hòa: 1.300 kg (gạo {transfer['rice_kg']:,.0f} kg, túi thực phẩm" in vi
    assert "Green zone: lowest 56.2%, mean 80.3%, spread 43.8%" in en and "Vùng xanh: thấp nhất 56,2 %" in vi
    assert "unserved by reason: " + REASONS["vehicles"].en + " 0.6 t" in en
    assert "stock_transfers" not in en
    no_flows = dataclasses.replace(plan, transfers=plan.transfers.iloc[:0])
    assert "flows between localities: none" in summary_text(no_flows, "en")


def test_summary_csv_rows(plan):
    frame = summary_frame(plan, "vi")
    depots = frame[frame["level"] == "depot"].set_index("id")
    assert depots.loc[CLOSED_DEPOT, "closed"] == True and depots.loc[CLOSED_DEPOT, "vehicles"] == 0  # noqa: E712
    assert depots.loc[CLOSED_DEPOT, "load_kg"] == 0 and depots["closed"].sum() == 1
    wards = frame[frame["level"] == "ward"]
    assert len(wards) == len(plan.wards) and wards["served_share"].notna().any()
    grades = frame[frame["level"] == "grade"].set_index("id")
    assert list(grades.index) == ["green", "yellow", "orange", "red"], "green to red"
    green = plan.wards[(plan.wards["zone"] == "green") & (plan.wards["demand_kg"] > 0)]["served_share"]
    assert grades.loc["green", "min_share"] == pytest.approx(green.min())
    assert grades.loc["green", "spread"] == pytest.approx(green.max() - green.min())
    assert grades.loc["green", "name"] == "Vùng xanh"
    (transfer,) = frame[frame["level"] == "transfer"].to_dict("records")
    row = plan.transfers.iloc[0]
    assert (transfer["from"], transfer["to"], transfer["kg"]) == ("Nha Trang", "Ninh Hòa", row["kg"])
    assert (transfer["rice_kg"], transfer["food_bag_kg"]) == (row["rice_kg"], row["food_bag_kg"])
    assert transfer["reason"] == TRANSFER_REASONS["own_locality_served"].vi
    (reason,) = frame[frame["level"] == "reason"].to_dict("records")
    assert reason["id"] == "vehicles" and reason["unserved_kg"] == plan.unserved["quantity_kg"].sum()


def test_plan_json_has_transfers_and_new_figures(plan, tmp_path):
    write_outputs(plan, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert data["transfers"] == json.loads(plan.transfers.to_json(orient="records", force_ascii=False))
    kpis = data["kpis"]
    assert "stock_transfers_kg" not in kpis
    assert kpis["depots_open"] == 3 and kpis["depots_closed"] == 1 and kpis["depots"] == 4
    assert kpis["transfers_kg"] == {"Nha Trang → Ninh Hoa": plan.transfers["kg"].sum()}
    assert kpis["unserved_kg_by_reason"] == {"vehicles": plan.unserved["quantity_kg"].sum()}
    assert set(kpis["fairness_by_grade"]) == {"green", "yellow", "orange", "red"}
    assert kpis["fairness_by_grade"]["green"]["min_share"] == pytest.approx(plan.kpis["fairness_by_grade"]["green"]
                                                                              ["min_share"])
    assert {w["ward_id"]: w["served_share"] for w in data["wards"] if w["demand_kg"] > 0}
    assert data["depots"][1]["closed"] is True and data["unserved"][0]["reason_code"] == "vehicles"


def test_dispatch_sheet_of_a_lent_vehicle(plan):
    transfer = plan.transfers.iloc[0]
    for lang, words in (("vi", f"Xe rời kho {html.escape(XSS_DEPOT)} lúc {transfer['depart']}, đến kho Kho dự trữ "
                               f"Ninh Hòa lúc {transfer['arrive']} và nhận hàng tại kho Kho dự trữ Ninh Hòa cho "
                               "chuyến 1"),
                        ("en", f"leaves depot {html.escape(XSS_DEPOT)} at {transfer['depart']}, arrives at "
                               f"depot Kho dự trữ Ninh Hòa at {transfer['arrive']} and loads there for trip 1")):
        sheet = dispatch_sheet_html(plan, LENT_VEHICLE, lang=lang)
        assert words in sheet and sheet.index(words) < sheet.index("<h2>"), "said before the trips"
        assert XSS_DEPOT not in sheet
        home = "Cuối ngày xe về kho gốc" if lang == "vi" else "returns to its home depot"
        assert home in sheet and sheet.index(home) > sheet.rindex("<h2>"), "and home at the end"
    own = dispatch_sheet_html(plan, "V01")
    assert "Kho gốc" not in own and "lent" not in own


def test_dispatch_index_marks_the_closed_depot(plan, tmp_path):
    write_outputs(plan, tmp_path / "out")
    index = (tmp_path / "out" / "dispatch" / "index.html").read_text(encoding="utf-8")
    assert "<td>MM Mega Market (D2)</td><td>0</td><td><b>Đóng cửa hôm nay</b></td>" in index
    assert "Điều chuyển giữa các địa phương" in index and "Nha Trang → Ninh Hòa" in index


# --------------------------------------------------------------------------------------------------
# In a real browser
# --------------------------------------------------------------------------------------------------

OPEN_EVERYTHING = """(function () {
  var popups = 0, failed = 0;
  khfMap.eachLayer(function (layer) {
    try {
      if (layer.getPopup && layer.getPopup()) { layer.openPopup(); popups++; }
      if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); }
    } catch (e) { failed++; }
  });
  return [popups, failed];
})()"""

FIND_POPUP = """(function (needle) {
  var text = null;
  khfMap.eachLayer(function (layer) {
    var popup = layer.getPopup && layer.getPopup();
    if (text === null && popup && String(popup.getContent()).indexOf(needle) >= 0) {
      khfMap.closePopup();
      layer.openPopup();
      text = popup.getElement().querySelector('.leaflet-popup-content').innerText;
    }
  });
  return text;
})(%s)"""


@needs_chromium
def test_offline_map_in_browser_without_network(maps, plan, tmp_path):
    with open_page(maps["offline"]) as page:
        assert page.js_errors == [] and page.console_errors == [], (page.js_errors, page.console_errors)
        assert page.dialogs == []
        remote = [u for u in page.requests if not u.startswith(("file:", "data:", "about:"))]
        assert remote == [] and page.failed_requests == []
        n_legs = len(plan.legs)
        assert page.count("path.khf-leg") == n_legs
        # legs, one ward layer (the served-share one starts hidden), the closed road
        assert page.count("path.leaflet-interactive") == n_legs + len(plan.wards) + 1
        approx = int(plan.legs["approximate"].sum())
        assert page.count("path.khf-approx[stroke-dasharray]") == approx
        assert page.count(".leaflet-marker-icon.khf-stop") == len(plan.routes)
        assert page.count(".leaflet-marker-icon.khf-depot") == len(plan.depots)
        assert page.count(".leaflet-marker-icon.khf-depot-closed") == int(plan.depots["closed"].sum()) == 1
        assert page.count(".leaflet-marker-icon.khf-unserved") == len(plan.unserved)
        assert page.count(".leaflet-control-layers-overlays label") == len(_overlays(_text(maps["offline"])))
        assert page.count(".khf-legend") == 1 and page.count(".khf-title") == 1
        assert page.count(".leaflet-control-fullscreen, .leaflet-control-zoom-fullscreen") >= 1
        assert page.count(".leaflet-control-scale") == 1
        body = page.evaluate("document.body.innerText")
        assert XSS_DEPOT in body, "the injected depot name is shown as text"
        assert "OpenStreetMap" in body and "Chú giải" in body and "Thứ Hai, 26/07/2021" in body
        shot = page.screenshot(tmp_path / "offline.png")
        assert shot.stat().st_size > 20_000
        popups, failed = page.evaluate(OPEN_EVERYTHING)
        assert popups >= len(plan.legs) + len(plan.routes) and failed == 0
        text = page.evaluate(FIND_POPUP % json.dumps("onerror"))
        assert XSS_STOP in text, text
        page.settle(0.5)
        assert page.dialogs == [] and page.js_errors == []
        assert page.count('img[src="x"]') == 0 and page.count(".leaflet-pane script") == 0


@needs_chromium
def test_english_and_online_maps_in_browser(maps, plan, tmp_path):
    with open_page(maps["en"]) as page:
        assert page.js_errors == [] and page.dialogs == []
        assert page.count("path.khf-leg") == len(plan.legs)
        body = page.evaluate("document.body.innerText")
        assert "Legend" in body and "Monday 26 July 2021" in body and "Chú giải" not in body
    with open_page(maps["online"]) as page:
        # Tiles cannot load here (network blocked); the map itself must still work.
        assert page.js_errors == [] and page.dialogs == []
        assert page.count("path.khf-leg") == len(plan.legs)
        assert page.count("img.leaflet-tile") > 0
        page.screenshot(tmp_path / "online.png")
