"""Exports for the people who act on a plan: ``plan.xlsx`` for the coordinators' spreadsheets and one GPX file
per vehicle for a driver's phone (stops as waypoints, the road-following track one segment per trip).

The workbook holds the plan's own tables (routes, unserved, per-vehicle figures, loading lists, summary) with
the columns of the CSV files, numbers as numbers with a display format (kilograms to 1 kg, shares in per
cent), frozen header rows and filters; text cells a spreadsheet would run as formulas are neutralised as in the
CSV files.
"""

from __future__ import annotations

from pathlib import Path

import gpxpy.gpx
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from optimizer.files import safe_file_names, spreadsheet_safe
from optimizer.outputs.loading import loading_frame
from optimizer.outputs.meal_sheets import meal_table
from optimizer.outputs.summary import summary_frame, vehicle_days
from optimizer.plan import Plan

#: Sheet name → the table it holds, in workbook order.
SHEETS = ("routes", "unserved", "vehicles", "loading", "meals", "summary")
#: Display formats by column name: kilograms and distances as whole numbers, shares in per cent, minutes.
_FORMATS = {"_kg": "#,##0", "_km": "#,##0.0", "_pct": "0.0", "_min": "0", "_h": "0.0"}


def _tables(plan: Plan, lang: str) -> dict[str, pd.DataFrame]:
    return {"routes": plan.routes, "unserved": plan.unserved, "vehicles": vehicle_days(plan),
            "loading": loading_frame(plan), "meals": meal_table(plan), "summary": summary_frame(plan, lang)}


def write_xlsx(plan: Plan, path: str | Path, *, lang: str = "vi") -> Path:
    """Write ``plan.xlsx`` (sheets :data:`SHEETS`) to ``path``."""
    book = Workbook()
    book.remove(book.active)
    for name, frame in _tables(plan, lang).items():
        sheet = book.create_sheet(name)
        frame = spreadsheet_safe(pd.DataFrame(frame).drop(columns="geometry", errors="ignore"))
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([None if _blank(v) else (v.item() if hasattr(v, "item") else v) for v in row])
        for k, column in enumerate(frame.columns, start=1):
            letter = get_column_letter(k)
            fmt = next((f for suffix, f in _FORMATS.items() if str(column).endswith(suffix)), None)
            if fmt:
                for cell in sheet[letter][1:]:
                    cell.number_format = fmt
            width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
            sheet.column_dimensions[letter].width = min(40, width + 2)
        sheet.freeze_panes = "A2"
        if len(frame.columns):
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{max(1, len(frame) + 1)}"
    book.save(path)
    return Path(path)


def _blank(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def gpx_files(plan: Plan) -> dict[str, str]:
    """File name (``<vehicle>.gpx``, :func:`optimizer.files.safe_file_names`) → GPX text of every vehicle."""
    names = safe_file_names(plan.routes["vehicle_id"].drop_duplicates())
    return {f"{stem}.gpx": vehicle_gpx(plan, vehicle_id) for vehicle_id, stem in names.items()}


def vehicle_gpx(plan: Plan, vehicle_id: str) -> str:
    """One vehicle's day as GPX 1.1: a waypoint per stop (name, ward, kilograms, arrival) and a track with one
    segment per trip along the roads it drives (a lent vehicle's drive to the other depot included)."""
    rows = plan.routes[plan.routes["vehicle_id"].astype(str) == str(vehicle_id)]
    legs = plan.legs[plan.legs["vehicle_id"].astype(str) == str(vehicle_id)]
    doc = gpxpy.gpx.GPX()
    doc.name = f"{vehicle_id} — {plan.title} — {plan.date}"
    for row in rows.sort_values(["trip", "seq"]).to_dict("records"):
        doc.waypoints.append(gpxpy.gpx.GPXWaypoint(
            latitude=float(row["lat"]), longitude=float(row["lon"]),
            name=f"{int(row['trip'])}.{int(row['seq'])} {row['name']}",
            description=f"{row['ward']} · {row['quantity_kg']:.0f} kg · {row['arrival']}",
        ))
    track = gpxpy.gpx.GPXTrack(name=str(vehicle_id))
    doc.tracks.append(track)
    for _, trip_legs in legs.sort_values(["trip", "seq"]).groupby("trip", sort=True):
        segment = gpxpy.gpx.GPXTrackSegment()
        for geometry in trip_legs.geometry:
            for lon, lat in _coordinates(geometry):
                segment.points.append(gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon))
        track.segments.append(segment)
    return doc.to_xml(version="1.1")


def _coordinates(geometry) -> list[tuple[float, float]]:
    if geometry is None or geometry.is_empty:
        return []
    parts = getattr(geometry, "geoms", [geometry])
    return [(float(x), float(y)) for part in parts for x, y in part.coords]
