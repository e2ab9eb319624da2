"""The outputs' own files: vendored front-end assets, the map script and style, labels per language.

Everything lives under ``optimizer/outputs/assets/`` (package data): ``khf/khf.js`` and ``khf/khf.css`` (the
map's own script and style), ``khf/dispatch.css`` (printable dispatch sheets), ``khf/labels-<lang>.json``
(every label of maps — key ``map`` —, dispatch sheets — key ``sheet`` — and the plan summary — key ``report``),
and the vendored Leaflet files (see ``assets/README.md``). Reasons (why a kilogram was not delivered, why a
vehicle or stock crosses localities) come in each language from :mod:`optimizer.solve.reasons`.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from pathlib import Path
from typing import Any

from optimizer.errors import OptimizerError
from optimizer.solve.reasons import MEAL_REASONS, REASONS, TRANSFER_REASONS, reason_text

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
#: Languages with a labels file.
LANGUAGES = ("vi", "en")


@functools.cache
def asset_text(relative: str) -> str:
    """Text of an asset file, ready to inline in a ``<style>``/``<script>`` element.

    CSS ``url(...)`` images become ``data:`` URIs and ``//# sourceMappingURL`` comments are dropped.

    Raises
    ------
    OptimizerError
        The file is missing, or it contains a closing ``</script>``/``</style>`` tag.
    """
    path = ASSETS_DIR / relative
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OptimizerError(f"map asset missing: {path} ({exc.strerror}); reinstall the package") from exc
    text = re.sub(r"^\s*//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)

    def inline(match: re.Match) -> str:
        target = match.group(1).strip("'\"")
        if target.startswith(("data:", "#")):
            return match.group(0)
        image = (path.parent / target).resolve()
        mime = "image/svg+xml" if image.suffix == ".svg" else "image/png"
        try:
            data = base64.b64encode(image.read_bytes()).decode("ascii")
        except OSError as exc:
            raise OptimizerError(f"map asset missing: {image} ({exc.strerror}); reinstall the package") from exc
        return f'url("data:{mime};base64,{data}")'

    if relative.endswith(".css"):
        text = re.sub(r"url\(([^)]+)\)", inline, text)
    if re.search(r"</(script|style)", text, flags=re.IGNORECASE):
        raise OptimizerError(f"map asset {path} cannot be inlined (contains a closing tag)")
    return text


@functools.cache
def labels(lang: str) -> dict[str, dict[str, Any]]:
    """Labels of one language: ``{"map": {...}, "sheet": {...}}`` from ``khf/labels-<lang>.json``."""
    return json.loads(asset_text(f"khf/labels-{lang}.json"))


def reason_words(code: Any, fallback: Any, lang: str) -> str:
    """Plain text of a reason in ``lang``: the text of a known reason (or transfer reason) code, else ``fallback``.

    Parameters
    ----------
    code
        A key of :data:`~optimizer.solve.reasons.REASONS`, :data:`~optimizer.solve.reasons.TRANSFER_REASONS` or
        :data:`~optimizer.solve.reasons.MEAL_REASONS`
        (missing or unknown in plans that carry only a text).
    fallback
        The row's own text, shown as given when the code is unknown ('' when missing).
    lang
        ``'vi'`` or ``'en'``.
    """
    key = code if isinstance(code, str) else ""
    if key in REASONS or key in TRANSFER_REASONS or key in MEAL_REASONS:
        return reason_text(key, lang)
    return fallback if isinstance(fallback, str) else ""
