"""Dispatch sheets a driver can use: numbers in the document's language, crew and receivers, curfew hours,
totals, QR codes on approximate stops, the index with "print all", the A4 PDF, and two sheets in a real browser
(no English word in the Vietnamese one, header rows repeated when printed)."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from browser import needs_chromium, open_page
from plan_fixture import CONTACT, CONTACT_STOP, CREW, CURFEW, LENT_VEHICLE, NINH_HOA_STOP, scaled_plan
from plan_scenarios import small_scenario

from optimizer.outputs.fmt import Fmt
from optimizer.outputs.pdf import print_pdf
from optimizer.outputs.report import write_outputs
from optimizer.outputs.resources import labels
from optimizer.outputs.sheets import ALL_SHEETS, ROWS_WITH_TOTAL, all_sheets_html, dispatch_sheet_html
from optimizer.plan import VEHICLE_COLUMNS, Plan, PlanOptions, run_plan

#: English words a Vietnamese sheet must not show (``kg`` is the unit in both languages).
ENGLISH_WORDS = ("truck", "motorbike", "total", "trip", "stop", "depot", "vehicle", "load", "driver", "curfew",
                 "approximate", "signature", "capacity")
#: A4 in PostScript points.
A4_PT = (595.28, 841.89)


@pytest.fixture(scope="module")
def written(plan, tmp_path_factory) -> dict[str, Path]:
    """The outputs of the fixture plan in both languages."""
    folder = tmp_path_factory.mktemp("sheets")
    for lang in ("vi", "en"):
        write_outputs(plan, folder / lang, lang=lang)
    return {lang: folder / lang for lang in ("vi", "en")}


def _visible(sheet: str) -> str:
    """The text of a sheet without its style sheet and tags."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", sheet, flags=re.DOTALL))


# --------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------


def test_number_formats_in_both_languages():
    vi, en = Fmt("vi"), Fmt("en")
    assert (vi.num(2500), vi.kg(2500), vi.kg(87_000.4), vi.num(1234.56, 1)) == ("2.500", "2.500 kg", "87.000 kg",
                                                                               "1.234,6")
    assert (en.num(2500), en.kg(2500), en.kg(87_000.4), en.num(1234.56, 1)) == ("2,500", "2,500 kg", "87,000 kg",
                                                                               "1,234.6")
    assert (vi.share(0.852), vi.share(1.0000000251), vi.share(0.0004)) == ("85,2 %", "100,0 %", "0,0 %")
    assert (en.share(0.852), en.share(1.0000000251), en.share(0.0004)) == ("85.2%", "100.0%", "0.0%")
    for f in (vi, en):
        assert (f.num(None), f.num(float("nan")), f.share(None), f.num(float("inf"))) == ("–",) * 4
    assert vi.num(-1500) == "-1.500" and en.num(999.5) == "1,000"


def test_sheets_print_numbers_in_their_language(plan):
    vi, en = dispatch_sheet_html(plan, "V01", lang="vi"), dispatch_sheet_html(plan, "V01", lang="en")
    assert "2.500 kg" in vi and "2,500" not in _visible(vi), "Tải trọng 2.500 kg, never 2,500 in Vietnamese"
    assert "2,500 kg" in en and "2.500 kg" not in en
    big = plan.routes[plan.routes["vehicle_id"] == "V01"]["load_kg"].max()
    assert big >= 1000 and Fmt("vi").num(big) in vi and Fmt("en").num(big) in en


# --------------------------------------------------------------------------------------------------
# What a sheet holds
# --------------------------------------------------------------------------------------------------


def test_sheet_has_crew_receiver_and_curfew_hours(plan):
    driver, plate, phone = CREW["V01"]
    contact, contact_phone = CONTACT
    for lang in ("vi", "en"):
        text = labels(lang)["sheet"]
        sheet = dispatch_sheet_html(plan, "V01", lang=lang)
        for label, value in ((text["driver"], driver), (text["plate"], plate), (text["phone"], phone)):
            assert re.search(f"<th>{label}</th><td[^>]*>{value}</td>", sheet), (label, value)
        assert f"{text['contact']}: {contact} · {contact_phone}" in sheet
        assert text["curfew_hours"].format(**CURFEW) in sheet
        assert sheet.count(f"<th>{text['received']}</th>") == sheet.count(f"<th>{text['receiver_sign']}</th>") == 2
        other = dispatch_sheet_html(plan, "V02", lang=lang)
        assert f"<th>{text['driver']}</th>" not in other and f"{text['contact']}:" not in other, "only when given"
    assert "Giờ giới nghiêm 19:00–06:00" in dispatch_sheet_html(plan, "V01", lang="vi")
    no_hours = dataclasses.replace(plan, settings={})
    assert labels("vi")["sheet"]["curfew"] in dispatch_sheet_html(no_hours, "V01", lang="vi")


def test_every_stop_has_empty_cells_to_fill_in(plan):
    sheet = dispatch_sheet_html(plan, "V01")
    stops = int((plan.routes["vehicle_id"] == "V01").sum())
    rows = re.findall(r"<tr><td class='n'>\d+</td>.*?</tr>", sheet)
    assert len(rows) == stops
    assert all(row.count("<td class='fill'></td>") == 2 for row in rows), "delivered and signature cells"


def test_trip_and_day_totals_add_up_as_printed(plan):
    f, text = Fmt("vi"), labels("vi")["sheet"]
    for vehicle_id, rows in plan.routes.groupby("vehicle_id"):
        sheet = dispatch_sheet_html(plan, vehicle_id)
        for trip, stops in rows.groupby("trip"):
            total = stops["quantity_kg"].round().sum()
            assert re.search(f"{text['trip_total'].format(trip=trip)}</td><td class='n'>{re.escape(f.num(total))}<",
                             sheet)
        day = text["day_count"].format(trips=rows["trip"].nunique(), stops=len(rows))
        assert f"<td>{day}</td><td class='n'>{f.kg(rows['quantity_kg'].round().sum())}</td>" in sheet


def test_vehicle_kind_in_words_of_the_language(plan):
    vi, en = _visible(dispatch_sheet_html(plan, "V01", lang="vi")), _visible(dispatch_sheet_html(plan, "V01", lang="en"))
    assert "xe tải" in vi and "truck" not in vi.lower()
    assert "truck" in en
    motorbike = plan.routes.assign(profile="motorbike")
    sheet = _visible(dispatch_sheet_html(dataclasses.replace(plan, routes=motorbike), "V01", lang="vi"))
    assert "xe máy" in sheet and "motorbike" not in sheet


def test_qr_code_for_each_stop_over_approximate_roads(plan):
    routes = plan.routes
    assert routes["approximate_leg"].any(), "the fixture has a stop over approximate roads"
    for vehicle_id, rows in routes.groupby("vehicle_id"):
        sheet = dispatch_sheet_html(plan, vehicle_id)
        approximate = rows[rows["approximate_leg"].astype(bool)]
        assert sheet.count("<svg") == len(approximate)
        for _, row in approximate.iterrows():
            assert f"geo:{row['lat']:.6f},{row['lon']:.6f}" in sheet
    ninh_hoa = plan.stops.iloc[NINH_HOA_STOP]
    assert f"geo:{ninh_hoa['lat']:.6f},{ninh_hoa['lon']:.6f}" in dispatch_sheet_html(plan, LENT_VEHICLE)


def test_plan_without_vehicle_frame_or_contacts(plan):
    bare = dataclasses.replace(plan, vehicles=Plan.__dataclass_fields__["vehicles"].default_factory(),
                               routes=plan.routes.drop(columns=["contact", "phone"]).assign(contact=None, phone=None))
    sheet = dispatch_sheet_html(bare, "V01")
    assert "<th>Lái xe</th>" not in sheet and "Người nhận:" not in sheet and "Thực nhận (kg)" in sheet


def test_print_rules_in_the_sheet(plan):
    sheet = dispatch_sheet_html(plan, "V01")
    css = sheet[sheet.index("<style>"):sheet.index("</style>")]
    assert "@page{size:A4;" in css and "thead{display:table-header-group}" in css
    assert "tr{break-inside:avoid" in css and "tbody.keep{break-inside:avoid" in css
    for table in re.findall(r"<table class='stops'>.*?</table>", sheet):
        assert table.count("<thead>") == 1 and "<th>STT</th>" in table.split("</thead>")[0]
        last = table.split("<tbody class='keep'>")[-1]
        assert last.count("<tr><td class='n'>") == min(ROWS_WITH_TOTAL, table.count("<tr><td class='n'>"))
        assert "class='total'" in last, "the total is in the same unbreakable group as the last stops"


# --------------------------------------------------------------------------------------------------
# The index, all sheets, the PDF
# --------------------------------------------------------------------------------------------------


def test_index_lists_vehicles_by_depot_with_print_all(plan, written):
    index = (written["vi"] / "dispatch" / "index.html").read_text(encoding="utf-8")
    assert f"<a href='{ALL_SHEETS}'>In tất cả</a>" in index
    groups = re.findall(r"<tr class='group'><th colspan=\d+>(.*?)</th></tr>", index)
    assert len(groups) == plan.routes["home_depot_id"].nunique() == 2
    assert groups[0].startswith("Co.opmart Nha Trang (D1) — 2 xe · ")
    v01 = plan.routes[plan.routes["vehicle_id"] == "V01"]
    row = re.search(r"<tr><td><a href='V01.html'>V01</a></td>(.*?)</tr>", index).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells == [CREW["V01"][0], "07:00", "2", str(len(v01)), Fmt("vi").num(v01["quantity_kg"].round().sum())]
    lent = plan.transfers.iloc[0]
    assert re.search(f"<a href='{LENT_VEHICLE}.html'>{LENT_VEHICLE}</a></td><td>[^<]*</td><td class='t'>"
                     f"{lent['depart']}</td>", index), "a lent vehicle departs when it leaves home"
    en = (written["en"] / "dispatch" / "index.html").read_text(encoding="utf-8")
    assert f"<a href='{ALL_SHEETS}'>Print all</a>" in en and "Departs" in en


def test_all_sheets_document_starts_each_vehicle_on_a_new_page(plan, written):
    document = (written["vi"] / "dispatch" / ALL_SHEETS).read_text(encoding="utf-8")
    vehicles = list(plan.routes["vehicle_id"].drop_duplicates())
    assert document.count("<section class='sheet'>") == len(vehicles)
    assert "section.sheet+section.sheet{break-before:page" in document
    assert document.index("V01 (") < document.index("V02 (") < document.index("V03 (")
    assert document == all_sheets_html(plan, vehicles, lang="vi")


@needs_chromium
def test_pdf_of_all_sheets_has_a4_pages(plan, written):
    for lang in ("vi", "en"):
        dispatch = written[lang] / "dispatch"
        index = (dispatch / "index.html").read_text(encoding="utf-8")
        assert "href='all_sheets.pdf'" in index
        reader = pypdf.PdfReader(dispatch / "all_sheets.pdf")
        assert len(reader.pages) >= plan.routes["vehicle_id"].nunique()
        for page in reader.pages:
            box = page.mediabox
            assert abs(float(box.width) - A4_PT[0]) <= 2 and abs(float(box.height) - A4_PT[1]) <= 2
        assert not list(dispatch.glob(".*.tmp")), "written through a temporary file"


def _long_plan(plan: Plan, sizes: range) -> Plan:
    """One vehicle per size in ``sizes``, each with that many stops over two trips (:func:`scaled_plan`), so that
    page breaks fall at every place of a trip's table."""
    parts = [scaled_plan(plan, vehicles=1, stops=n, seed=n) for n in sizes]
    routes = pd.concat([p.routes.assign(vehicle_id=f"V{n}") for p, n in zip(parts, sizes)], ignore_index=True)
    legs = pd.concat([p.legs.assign(vehicle_id=f"V{n}") for p, n in zip(parts, sizes)], ignore_index=True)
    return dataclasses.replace(parts[0], routes=routes, legs=legs, settings={"curfew": CURFEW})


@needs_chromium
def test_long_trips_repeat_their_header_and_keep_totals_with_stops(plan, tmp_path):
    """Every printed page that shows stops shows the column header, and no page starts with a trip's total."""
    long = _long_plan(plan, range(24, 48))
    html_path = tmp_path / ALL_SHEETS
    html_path.write_text(all_sheets_html(long, list(long.routes["vehicle_id"].drop_duplicates()), lang="vi"),
                         encoding="utf-8")
    pages = [page.extract_text() for page in pypdf.PdfReader(print_pdf(html_path, tmp_path / "all.pdf")).pages]
    assert len(pages) > 2 * long.routes["vehicle_id"].nunique(), "the sheets run over several pages"
    for number, text in enumerate(pages, start=1):
        if re.search(r"Điểm \d+", text):
            assert "STT" in text and "Điểm giao" in text, f"page {number} has stops but no header row"
        for total in re.finditer("Tổng chuyến", text):
            before = text[:total.start()].rsplit("Tổng chuyến", 1)[-1].split("Điểm giao", 1)[-1]
            assert len(re.findall(r"Điểm \d+", before)) >= ROWS_WITH_TOTAL, f"page {number}: a lone total"


def test_no_pdf_without_chromium_says_so_once(plan, tmp_path, monkeypatch):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_outputs(plan, tmp_path / "out")
    messages = [str(w.message) for w in caught if "all_sheets.pdf" in str(w.message)]
    assert len(messages) == 1 and "Chromium is not installed" in messages[0]
    dispatch = tmp_path / "out" / "dispatch"
    assert (dispatch / ALL_SHEETS).exists() and not (dispatch / "all_sheets.pdf").exists()
    assert "all_sheets.pdf" not in (dispatch / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# In a real browser
# --------------------------------------------------------------------------------------------------

PRINT_RULES = """(function () {
  var page = null;
  for (const sheet of document.styleSheets) {
    for (const rule of sheet.cssRules) {
      if (rule instanceof CSSPageRule) { page = rule.style.getPropertyValue('size'); }
    }
  }
  var thead = document.querySelector('table.stops thead');
  return [page, getComputedStyle(thead).display, document.querySelectorAll('table.stops').length];
})()"""


@needs_chromium
def test_two_sheets_in_the_browser(plan, written, tmp_path):
    for lang in ("vi", "en"):
        with open_page(written[lang] / "dispatch" / "V01.html", width=900, height=1300,
                       ready_expression="document.readyState === 'complete'") as page:
            assert page.js_errors == [] and page.console_errors == [] and page.failed_requests == []
            size, thead, tables = page.evaluate(PRINT_RULES)
            assert size.lower() == "a4" and thead == "table-header-group" and tables == 2
            text = page.evaluate("document.title + ' ' + document.body.innerText")
            words = set(re.findall(r"[a-zà-ỹđ]+", text.lower()))
            if lang == "vi":
                assert not words & set(ENGLISH_WORDS), words & set(ENGLISH_WORDS)
                assert {"lái", "xe", "tổng", "chuyến", "kg"} <= words and "Người nhận ký" in text
            else:
                assert {"driver", "total", "trip", "truck"} <= words
            assert CREW["V01"][0] in text and CONTACT[0] in text
            shot = page.screenshot(tmp_path / f"sheet-{lang}.png")
            assert shot.stat().st_size > 20_000
    lent = plan.routes[plan.routes["vehicle_id"] == LENT_VEHICLE]
    with open_page(written["vi"] / "dispatch" / f"{LENT_VEHICLE}.html",
                   ready_expression="document.readyState === 'complete'") as page:
        assert page.count("svg.qr") == int(lent["approximate_leg"].sum()) > 0
        width = page.evaluate("document.querySelector('svg.qr').getBoundingClientRect().width")
        assert width >= 50, "the QR code is large enough to scan (16 mm)"


def test_routes_carry_contacts(plan):
    routes = plan.routes.set_index("stop_id")
    contact = routes.loc[plan.stops.iloc[CONTACT_STOP]["stop_id"]]
    assert (contact["contact"], contact["phone"]) == CONTACT
    assert pd.isna(routes.drop(index=contact.name)["contact"]).all()


# --------------------------------------------------------------------------------------------------
# From the scenario to the plan
# --------------------------------------------------------------------------------------------------


def test_pipeline_carries_crew_contacts_and_curfew():
    base = small_scenario()
    first, *rest = base.vehicle_types
    drivers = tuple(f"Lái xe số {k}" for k in range(1, first.count + 1))
    crewed = dataclasses.replace(first, drivers=drivers, plates=("79C-000.01",) * first.count)
    points = list(base.demand_points[:6])
    points[0] = dataclasses.replace(points[0], contact="Tổ trưởng Trần Văn Cường", phone="0258 3822 111")
    scenario = dataclasses.replace(base, vehicle_types=(crewed, *rest), demand_points=tuple(points))
    plan = run_plan(scenario, options=PlanOptions(time_limit_s=10, seed=0))
    vehicles = plan.vehicles.set_index("vehicle_id")
    assert list(plan.vehicles.columns) == VEHICLE_COLUMNS and len(vehicles) == len(scenario.vehicles())
    ids = first.vehicle_ids()
    assert vehicles.loc[ids, "driver"].tolist() == list(drivers)
    assert (vehicles.loc[ids, "plate"] == "79C-000.01").all() and (vehicles.loc[ids, "phone"] == "").all()
    assert (vehicles.drop(index=ids)["driver"] == "").all()
    assert plan.settings["curfew"] == {"start": "19:00", "end": "06:00"}
    served = plan.routes.set_index("stop_id")
    assert served.loc[points[0].id, "contact"] == "Tổ trưởng Trần Văn Cường"
    assert (served.drop(index=points[0].id)["phone"] == "").all()
    sheet = dispatch_sheet_html(plan, served.loc[points[0].id, "vehicle_id"])
    assert "Người nhận: Tổ trưởng Trần Văn Cường · 0258 3822 111" in sheet and "Giờ giới nghiêm 19:00–06:00" in sheet
