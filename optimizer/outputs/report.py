"""Plan → files: plan.json, routes.csv, unserved.csv, routes.geojson, summary.csv and printable dispatch sheets.

Texts meant for people (dispatch sheets and their index, ``summary.csv``) are in the language asked for, reasons
included; ``plan.json`` and the CSV copies of the plan's frames keep the plan's own columns (``reason_code`` and
the English ``reason``). The dispatch sheets, their index and ``all_sheets.html`` are
:mod:`optimizer.outputs.sheets`; ``dispatch/all_sheets.pdf`` is printed from ``all_sheets.html`` by
:func:`optimizer.outputs.pdf.print_pdf` (skipped with a warning when Chromium is missing).

CSV files are UTF-8 with a byte-order mark so that Excel on a Vietnamese Windows shows the diacritics, and
spreadsheet-safe (:func:`optimizer.files.write_csv`: text that a spreadsheet would run as a formula starts with
``'``); JSON and GeoJSON keep the raw text. A folder of outputs is written as a whole
(:func:`optimizer.files.staged_folder`): it holds either the previous complete set or the new one. Dispatch
sheets are named by :func:`optimizer.files.safe_file_names` (distinct for every vehicle id).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.files import safe_file_names, staged_folder, write_csv
from optimizer.outputs.exports import gpx_files, write_xlsx
from optimizer.outputs.kpis import plan_kpis
from optimizer.outputs.loading import loading_frame, loading_html
from optimizer.outputs.meal_sheets import MEAL_SHEET, meal_runs_html, meal_table
from optimizer.outputs.pdf import print_pdf
from optimizer.outputs.sheets import ALL_SHEETS, all_sheets_html, dispatch_index_html, dispatch_sheet_html
from optimizer.outputs.summary import summary_frame, tidy
from optimizer.outputs.timeline import timeline_html
from optimizer.plan import Plan
from optimizer.solve.reasons import reason_text

#: The PDF of every dispatch sheet (A4), beside them in ``dispatch/``.
ALL_SHEETS_PDF = "all_sheets.pdf"


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
    ``wards`` carry each ward's ``served_share``; ``transfers`` are the records of :attr:`Plan.transfers`,
    ``meals`` those of :attr:`Plan.meals` (the camps' hot meals).
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
        "meals": _records(plan.meals),
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
        write_csv(meal_table(plan), staging / "meals.csv")
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
        (staging / "dispatch" / ALL_SHEETS).write_text(all_sheets_html(plan, list(sheets), lang=lang), encoding="utf-8")
        pdf = print_pdf(staging / "dispatch" / ALL_SHEETS, staging / "dispatch" / ALL_SHEETS_PDF) if sheets else None
        if len(plan.meals):
            (staging / "dispatch" / MEAL_SHEET).write_text(meal_runs_html(plan, lang=lang), encoding="utf-8")
        (staging / "dispatch" / "index.html").write_text(
            dispatch_index_html(plan, sheets, lang=lang, pdf=pdf.name if pdf else None,
                                meals=MEAL_SHEET if len(plan.meals) else None), encoding="utf-8")
        (staging / "timeline.html").write_text(timeline_html(plan, lang=lang), encoding="utf-8")
        if extra is not None:
            extra(staging)
        written = {str(p.relative_to(staging)): folder / p.relative_to(staging) for p in staging.rglob("*")
                   if p.is_file()}
    return written
