"""Numbers, shares, dates and zone names in the words of one language: the one definition every document uses.

Vietnamese documents write ``2.500 kg`` and ``85,2 %`` (dot between thousands, decimal comma, a space before
the per-cent sign, as Vietnamese typography has it); English ones ``2,500 kg`` and ``85.2%``. The separators and
the per-cent pattern are labels (``map.thousands``, ``map.decimal``, ``map.percent`` in
``assets/khf/labels-<lang>.json``), so a language is added by its labels file alone.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from optimizer import datasets
from optimizer.errors import InputError
from optimizer.outputs.resources import LANGUAGES, labels, reason_words

__all__ = ["Fmt", "esc", "missing", "zone_key"]


def missing(value: Any) -> bool:
    """``None``, NaN or NA (a value a frame cell holds when nothing was given)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def esc(value: Any) -> str:
    """HTML-escaped text of an input value ('' for missing)."""
    return "" if missing(value) else html.escape(str(value), quote=True)


class Fmt:
    """Numbers, dates and labels in one language.

    Parameters
    ----------
    lang
        ``'vi'`` or ``'en'`` (:data:`~optimizer.outputs.resources.LANGUAGES`).

    Raises
    ------
    InputError
        An unknown language.
    """

    def __init__(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise InputError(f"unknown map language '{lang}' (known: {', '.join(LANGUAGES)})", field="lang")
        self.lang = lang
        self.t = labels(lang)["map"]

    def num(self, value: Any, decimals: int = 0) -> str:
        """A number with this language's separators ("–" when missing or not finite)."""
        if missing(value):
            return "–"
        try:
            number = float(value)
        except (TypeError, ValueError):
            return esc(value)
        if not math.isfinite(number):
            return "–"
        text = f"{number:,.{decimals}f}"
        return text.replace(",", "\0").replace(".", self.t["decimal"]).replace("\0", self.t["thousands"])

    def kg(self, value: Any) -> str:
        """Kilograms rounded to 1 kg, with the unit: ``2.500 kg`` / ``2,500 kg``."""
        return f"{self.num(value)} kg"

    def share(self, value: Any) -> str:
        """A share (0–1) in per cent with one decimal: ``85,2 %`` / ``85.2%``."""
        if missing(value):
            return "–"
        return self.t["percent"].format(value=self.num(float(value) * 100, 1))

    def date(self, value: Any) -> str:
        """A ``YYYY-MM-DD`` day in words ("Thứ Hai, 26/07/2021", "Monday 26 July 2021")."""
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            return esc(value)
        months = self.t["months"]
        return self.t["date_format"].format(
            weekday=self.t["weekdays"][day.weekday()], d=day.day, m=day.month, y=day.year,
            month=months[day.month - 1] if months else "",
        )

    def reason(self, code: Any, text: Any = None) -> str:
        """A reason code (:mod:`optimizer.solve.reasons`) in words of this language, escaped; ``text`` as given
        when the code is unknown ("–" when both are missing)."""
        return esc(reason_words(code, text, self.lang)) or "–"

    def locality(self, value: Any) -> str:
        """A locality code in its Vietnamese spelling, escaped."""
        if missing(value):
            return ""
        return esc(datasets.LOCALITIES.get(str(value), str(value)))

    def zone(self, value: Any) -> str:
        """A zone grade (any spelling :func:`zone_key` knows) in words of this language."""
        key = zone_key(value)
        return self.t[f"zone_{key}"] if key != "unknown" or missing(value) else esc(value)


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def zone_key(value: Any) -> str:
    """``green``/``yellow``/``orange``/``red`` (or ``unknown``) from a zone value in English or Vietnamese
    ("red", "Vùng đỏ", "do") or a priority 0–3."""
    if missing(value):
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
