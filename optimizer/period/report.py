"""A period's files: one plan folder per day (the same files as ``cli.py plan``), ``period.csv`` (ward × day),
``days.csv`` (one row per day, with the worst ward), ``stock.csv`` (depot × day), ``without_food.csv`` (wards
whose people went without, for how long and why), ``period.json``, the period map (wards shaded by the longest
time without a delivery) and the chart, written all at once (:func:`optimizer.files.staged_folder`).

Day folders are written by background processes while the next days are planned (:class:`DayWriter`): a day's
sheets, PDF and map take about as long as its plan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from optimizer import datasets
from optimizer.files import staged_folder, write_csv
from optimizer.outputs.report import write_outputs
from optimizer.outputs.webmap import render_map
from optimizer.parallel import background_pool
from optimizer.period.pipeline import PeriodResult
from optimizer.plan import Plan

__all__ = ["DayWriter", "write_period", "write_period_files", "period_chart", "period_map", "period_json", "PERIOD_FILES"]

#: Files of a period folder besides the day folders.
PERIOD_FILES = ("period.csv", "days.csv", "stock.csv", "without_food.csv", "period.json", "period_map.png",
                "period_chart.png")
#: Colour map of the longest time without a delivery (0 days pale … N days or more dark red).
_DAYS_CMAP = "OrRd"
_TEXT = {
    "vi": {"map_title": "Số ngày dài nhất không được cấp lương thực", "days": "{n} ngày",
           "more": "≥ {n} ngày", "not_covered": "ngoài vùng giãn cách", "chart_title": "Cung ứng theo ngày",
           "due": "Cần giao (t)", "delivered": "Đã giao (t)", "stock": "Tồn kho cuối ngày (t)",
           "worst": "Phường/xã lâu nhất chưa được cấp (ngày)", "promise": "Cam kết: mỗi {n} ngày"},
    "en": {"map_title": "Longest time without a delivery", "days": "{n} days", "more": "≥ {n} days",
           "not_covered": "outside the lockdown", "chart_title": "Supply by day", "due": "Due (t)",
           "delivered": "Delivered (t)", "stock": "Stock in the evening (t)",
           "worst": "Ward longest without supply (days)", "promise": "Promise: every {n} days"},
}


def _write_day(plan: Plan, folder: Path, lang: str, offline: bool) -> None:
    write_outputs(plan, folder, lang=lang,
                  extra=lambda staging: render_map(plan, staging / "map.html", lang=lang, offline=offline))


class DayWriter:
    """Writes each day's plan folder into ``folder/<YYYY-MM-DD>/`` in ``workers`` background processes (a
    context manager; leaving it waits for every folder and raises the first failure)."""

    def __init__(self, folder: Path, *, lang: str = "vi", offline: bool = False, workers: int = 1) -> None:
        self.folder, self.lang, self.offline, self.workers = Path(folder), lang, offline, workers
        self.futures: list[Future] = []

    def __enter__(self) -> DayWriter:
        self.pool = background_pool(self.workers)
        return self

    def __call__(self, plan: Plan) -> None:
        self.futures.append(self.pool.submit(_write_day, plan, self.folder / plan.date, self.lang, self.offline))

    def __exit__(self, *exc: object) -> None:
        try:
            for future in self.futures:
                if exc[0] is None:
                    future.result()
                else:
                    future.cancel()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
        _drop_day_locks(self.folder)


def _drop_day_locks(folder: Path) -> None:
    """Remove the released locks each day folder's all-or-nothing write left beside it (``.<date>.lock``)."""
    for lock in folder.glob(".*.lock"):
        lock.unlink(missing_ok=True)


def _legend_labels(n: int, text: Mapping[str, str]) -> list[str]:
    return [text["days"].format(n=k) for k in range(n)] + [text["more"].format(n=n)]


def period_map(result: PeriodResult, path: str | Path | None = None, *, lang: str = "vi") -> Figure:
    """The wards shaded by the longest time without a delivery during the period (days since the last delivery,
    at most ``max_days_without - 1`` keeps the promise); PNG at ``path`` when given."""
    text = _TEXT[lang]
    n = result.calendar.max_days_without
    wards = datasets.read_wards()[["ward_id", "ward_vn", "geometry"]]
    longest = result.longest_without
    wards = wards.assign(longest=wards["ward_id"].map(longest))
    figure = Figure(figsize=(8, 10))
    ax = figure.subplots()
    outside = wards[wards["longest"].isna()]
    if len(outside):
        outside.plot(ax=ax, color="#e0e0e0", edgecolor="white", linewidth=0.3)
    colours = matplotlib.colormaps[_DAYS_CMAP](np.linspace(0.05, 1.0, n + 1))
    for k, label in enumerate(_legend_labels(n, text)):
        shown = wards[wards["longest"] >= k] if k == n else wards[wards["longest"] == k]
        colour = colours[k]
        if len(shown):
            shown.plot(ax=ax, color=colour, edgecolor="#555555", linewidth=0.3)
        ax.fill([], [], color=colour, label=f"{label} ({len(shown)})")
    ax.fill([], [], color="#e0e0e0", label=text["not_covered"])
    planned = wards.dropna(subset=["longest"])
    if len(planned):  # the period's wards fill the frame (a scenario of a few wards is not a speck)
        x0, y0, x1, y1 = planned.total_bounds
        pad = 0.05 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
    worst = planned[planned["longest"] > 0].nlargest(3, "longest")
    for row in worst.itertuples():
        point = row.geometry.representative_point()
        ax.annotate(f"{row.ward_vn}: {int(row.longest)}", (point.x, point.y), fontsize=7, ha="center")
    first, last = result.calendar.dates[0], result.calendar.dates[-1]
    ax.set_title(f"{text['map_title']} — {first:%d/%m}–{last:%d/%m/%Y}")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_axis_off()
    if path is not None:
        figure.savefig(path, dpi=110, bbox_inches="tight")
    return figure


def period_chart(result: PeriodResult, path: str | Path | None = None, *, lang: str = "vi") -> Figure:
    """Per day: tonnes due and delivered, the stock in the evening, and the worst ward's days without supply
    against the promise; PNG at ``path`` when given."""
    text = _TEXT[lang]
    days = result.days
    labels = [d[8:10] + "/" + d[5:7] for d in days["date"]]
    figure = Figure(figsize=(10, 6))
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    x = range(len(days))
    top.bar([k - 0.2 for k in x], days["due_kg"] / 1000, width=0.4, label=text["due"], color="#9ecae1")
    top.bar([k + 0.2 for k in x], days["delivered_kg"] / 1000, width=0.4, label=text["delivered"], color="#3182bd")
    top.plot(list(x), days["stock_end_kg"] / 1000, color="#636363", marker="o", label=text["stock"])
    top.set_title(text["chart_title"])
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    bottom.bar(list(x), days["worst_ward_days"], color="#fc8d59", label=text["worst"])
    bottom.axhline(result.calendar.max_days_without - 0.5, color="#b30000", linestyle="--",
                   label=text["promise"].format(n=result.calendar.max_days_without))
    bottom.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    bottom.set_xticks(list(x), labels)
    if path is not None:
        figure.savefig(path, dpi=110, bbox_inches="tight")
    return figure


def period_json(result: PeriodResult) -> dict:
    """The period's settings and each day's figures, for ``period.json``."""
    calendar = result.calendar
    return {
        "start": calendar.dates[0].isoformat(), "days": calendar.days, "cycle_days": calendar.cycle_days,
        "cycle_days_red": calendar.cycle_days_red, "max_days_without": calendar.max_days_without,
        "restock_share": calendar.restock_share, "calendar": calendar.source, "settings": result.settings,
        "changes": [{"date": d.start.isoformat(), "days": d.days, "what": d.describe()} for d in calendar.changes],
        "resupply": [{"date": r.date.isoformat(), "depot": r.depot, "kg": r.kg, "note": r.note}
                     for r in calendar.resupply],
        "promise_kept": bool((result.wards["days_since_delivery"] < calendar.max_days_without).all()),
        "short_kg": float(result.wards["short_kg"].sum()),
        "days_by_date": result.days.drop(columns=["changes"]).to_dict("records"),
    }


def write_period(result: PeriodResult, folder: str | Path, *, lang: str = "vi", offline: bool = False) -> Path:
    """Write every file of the period into ``folder`` (replaced as a whole): the period's files and one plan
    folder per day, one day after the other (the CLI writes the days while planning, with :class:`DayWriter`)."""
    folder = Path(folder)
    with staged_folder(folder) as staging:
        write_period_files(result, staging, lang=lang)
        for plan in result.plans:
            _write_day(plan, staging / plan.date, lang, offline)
        _drop_day_locks(staging)
    return folder


def write_period_files(result: PeriodResult, folder: Path, *, lang: str = "vi") -> None:
    """The period's own files (:data:`PERIOD_FILES`) into ``folder``."""
    write_csv(result.wards, folder / "period.csv")
    write_csv(result.days, folder / "days.csv")
    write_csv(result.stock, folder / "stock.csv")
    write_csv(result.wards_without_food(), folder / "without_food.csv")
    (folder / "period.json").write_text(json.dumps(period_json(result), ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    period_map(result, folder / "period_map.png", lang=lang)
    period_chart(result, folder / "period_chart.png", lang=lang)
