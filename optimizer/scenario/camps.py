"""Reading ``camps.csv`` (quarantine camps: headcount and meal windows) and ``kitchens.csv`` (the kitchens that
cook their hot meals, with their vans), and the checks of both that need no road network.

Both files are optional; a camp needs at least one kitchen. Every problem names the file, the row and the column.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import shapely

from optimizer import datasets
from optimizer.clock import format_hhmm, parse_hhmm
from optimizer.errors import Problem
from optimizer.scenario.model import (
    CAMP_KINDS,
    CAMPS_FILE,
    DEFAULT_MEAL_WINDOWS,
    KITCHENS_FILE,
    Camp,
    Kitchen,
    TimeSettings,
)
from optimizer.tables import Row, fold_text, read_csv_table, ward_id_text

__all__ = ["CAMP_COLUMNS", "CAMP_OPTIONAL", "KITCHEN_COLUMNS", "KITCHEN_OPTIONAL", "read_camps", "read_kitchens",
           "parse_meal_windows", "format_meal_windows", "check_camps"]

CAMP_COLUMNS = ["id", "name", "lon", "lat", "headcount"]
CAMP_OPTIONAL = ["kind", "meals", "service_min", "ward_id", "contact", "phone"]
KITCHEN_COLUMNS = ["id", "name", "lon", "lat", "meals_per_service", "vans", "van_capacity_meals"]
KITCHEN_OPTIONAL = ["max_ride_min", "load_min", "phone"]
#: Upper bounds that keep a typo from exhausting memory.
MAX_HEADCOUNT = 100_000
MAX_VANS = 200


def parse_meal_windows(text: str) -> tuple[tuple[int, int], ...]:
    """``06:00-07:00; 10:30-11:30`` → seconds since midnight, each window after the one before.

    Raises
    ------
    ValueError
        A window that is not ``HH:MM-HH:MM``, ends before it starts or overlaps the one before.
    """
    windows: list[tuple[int, int]] = []
    for part in (p.strip() for p in text.replace("–", "-").split(";")):
        if not part:
            continue
        start, sep, end = part.partition("-")
        if not sep:
            raise ValueError(f"meal window '{part}' is not HH:MM-HH:MM")
        window = (parse_hhmm(start.strip()), parse_hhmm(end.strip()))
        if window[1] <= window[0]:
            raise ValueError(f"meal window '{part}' ends before it starts")
        if windows and window[0] < windows[-1][1]:
            raise ValueError(f"meal window '{part}' starts before the one before it ends (list them in order)")
        windows.append(window)
    if not windows:
        raise ValueError("no meal window (e.g. 06:00-07:00;10:30-11:30;16:30-17:30)")
    return tuple(windows)


def format_meal_windows(windows: tuple[tuple[int, int], ...]) -> str:
    """The inverse of :func:`parse_meal_windows`."""
    return ";".join(f"{format_hhmm(a)}-{format_hhmm(b)}" for a, b in windows)


def _place(row: Row) -> tuple[float, float, str, str]:
    """Position, ward and locality of a row (ward and locality from the census polygons)."""
    lon = row.number("lon", thousands=False)
    lat = row.number("lat", thousands=False)
    if not math.isfinite(lon + lat):
        return lon, lat, "", ""  # the cell's problem is recorded
    wards = datasets.read_wards()
    inside = wards[wards.geometry.contains(shapely.Point(lon, lat))]
    if inside.empty:
        row.problem(f"({lat:.5f}, {lon:.5f}) is outside Nha Trang, Ninh Hòa and Vạn Ninh "
                    "(check that lon and lat are not swapped)", "lon/lat")
        return lon, lat, "", ""
    return lon, lat, str(inside.iloc[0]["ward_id"]), str(inside.iloc[0]["locality"])


def _windows(row: Row) -> tuple[tuple[int, int], ...]:
    raw = row.text("meals")
    if not raw:
        return DEFAULT_MEAL_WINDOWS
    try:
        return parse_meal_windows(raw)
    except ValueError as exc:
        row.problem(str(exc), "meals")
        return DEFAULT_MEAL_WINDOWS


def read_camps(folder: Path, problems: list[Problem], *, strict: bool = False) -> list[tuple[Camp, int]]:
    """The camps of ``camps.csv`` with their spreadsheet rows (none when the file is absent)."""
    table = read_csv_table(folder / CAMPS_FILE, problems=problems, required=CAMP_COLUMNS, optional=CAMP_OPTIONAL,
                           must_exist=False, strict=strict)
    if table is None:
        return []
    camps = []
    for row in table.iter_rows(problems):
        camp_id = row.identifier("id")
        headcount = row.number("headcount", integer=True, strictly_positive=True, maximum=MAX_HEADCOUNT)
        kind = fold_text(row.text("kind", default="other"))
        if kind not in CAMP_KINDS:
            row.problem(f"unknown camp kind '{kind}' (use {', '.join(CAMP_KINDS)})", "kind")
        windows = _windows(row)
        service_min = row.number("service_min", required=False, default=10.0, minimum=0, maximum=120)
        lon, lat, ward_id, locality = _place(row)
        given_ward = ward_id_text(row.text("ward_id"))
        if given_ward and ward_id and given_ward != ward_id:
            row.problem(f"the position lies in ward {ward_id}, not {given_ward}", "ward_id")
        if row.bad:
            continue
        camps.append((Camp(id=camp_id, name=row.text("name", default=camp_id), lon=float(lon), lat=float(lat),
                           headcount=int(headcount), meal_windows_s=windows, kind=kind,
                           service_s=int(round(service_min * 60)), ward_id=ward_id, locality=locality,
                           contact=row.text("contact"), phone=row.text("phone")), row.line))
    return camps


def read_kitchens(folder: Path, problems: list[Problem], *, strict: bool = False) -> list[tuple[Kitchen, int]]:
    """The kitchens of ``kitchens.csv`` with their spreadsheet rows (none when the file is absent)."""
    table = read_csv_table(folder / KITCHENS_FILE, problems=problems, required=KITCHEN_COLUMNS,
                           optional=KITCHEN_OPTIONAL, must_exist=False, strict=strict)
    if table is None:
        return []
    kitchens = []
    for row in table.iter_rows(problems):
        kitchen_id = row.identifier("id")
        meals = row.number("meals_per_service", integer=True, minimum=0, maximum=MAX_HEADCOUNT)
        vans = row.number("vans", integer=True, minimum=0, maximum=MAX_VANS)
        van_meals = row.number("van_capacity_meals", integer=True, strictly_positive=True, maximum=MAX_HEADCOUNT)
        ride_min = row.number("max_ride_min", required=False, default=45.0, strictly_positive=True, maximum=240)
        load_min = row.number("load_min", required=False, default=10.0, minimum=0, maximum=120)
        lon, lat, _, locality = _place(row)
        if row.bad:
            continue
        kitchens.append((Kitchen(id=kitchen_id, name=row.text("name", default=kitchen_id), lon=float(lon),
                                 lat=float(lat), meals_per_service=int(meals), vans=int(vans),
                                 van_capacity_meals=int(van_meals), max_ride_s=int(round(ride_min * 60)),
                                 load_s=int(round(load_min * 60)), locality=locality, phone=row.text("phone")),
                         row.line))
    return kitchens


def check_camps(camps: list[tuple[Camp, int]], kitchens: list[tuple[Kitchen, int]], time: TimeSettings, *,
                camps_file: str, kitchens_file: str) -> list[Problem]:
    """Duplicate ids, camps without any kitchen, and meal windows running into the curfew."""
    problems = []
    for items, file in ((camps, camps_file), (kitchens, kitchens_file)):
        counts = Counter(item.id for item, _ in items)
        problems += [Problem(f"duplicate id '{item.id}'", file, row, "id") for item, row in items if counts[item.id] > 1]
    if camps and not kitchens:
        problems.append(Problem(f"camps need kitchens to cook their meals: add {KITCHENS_FILE}", camps_file,
                                camps[0][1], None))
    curfew = "–".join(format_hhmm(s) for s in (time.curfew_start_s, time.curfew_end_s))
    problems += [Problem(f"meal window {format_meal_windows(((a, b),))} runs into the curfew ({curfew})", camps_file,
                         row, "meals")
                 for camp, row in camps for a, b in camp.meal_windows_s if time.overlaps_curfew(a, b)]
    return problems
