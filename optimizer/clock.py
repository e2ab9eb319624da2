"""Times of day: the one definition of the day's length and of the ``HH:MM`` text used in files and documents."""

import re

DAY_S = 86_400

_HHMM = re.compile(r"\s*(\d{1,2})[:h](\d{2})(?::(\d{2}))?\s*")


def parse_hhmm(text: str) -> int:
    """``"HH:MM"`` (or ``HH:MM:SS``, ``24:00``) → seconds since midnight; ``ValueError`` otherwise."""
    match = _HHMM.fullmatch(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a time HH:MM")
    h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
    if m >= 60 or s >= 60 or h > 24 or (h == 24 and (m or s)):
        raise ValueError(f"'{text}' is not a time of day (00:00–24:00)")
    return h * 3600 + m * 60 + s


def format_hhmm(seconds: float, *, exact: bool = True) -> str:
    """Seconds since midnight → ``HH:MM``.

    ``exact`` (files that are read back) adds ``:SS`` when the time is not a whole minute; documents for people
    pass ``exact=False`` and get the minute, rounded down.
    """
    whole = int(round(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}" if exact and s else f"{h:02d}:{m:02d}"
