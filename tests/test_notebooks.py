"""The what-if notebooks run top to bottom on the real data (short solver limits: KHFOOD_QUICK=1), say so on
every output of such a smoke run, and are committed with the outputs of a full run."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from run_notebooks import run  # noqa: E402  (the CI runner script is the one way notebooks are executed)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SMOKE = "SMOKE RUN — figures not meaningful"
#: Larger than any chart or table; an inlined Folium map (over 1 MB) is far above it.
MAX_OUTPUT_BYTES = 250_000


def _texts(cell) -> list[str]:
    """Every text an output of the cell shows (streams, plain and HTML representations, errors)."""
    out = []
    for output in cell.get("outputs", []):
        out.append(output.get("text", ""))
        data = output.get("data", {})
        out += [data.get(kind, "") for kind in ("text/plain", "text/html")]
        out += output.get("traceback", [])
    return ["".join(t) if isinstance(t, list) else t for t in out]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_error(notebook, monkeypatch):
    quick = os.environ.get("KHFOOD_QUICK", "1")
    monkeypatch.setenv("KHFOOD_QUICK", quick)
    executed: list = []
    ok, _, error = run(notebook, timeout=300, keep=None, book_out=executed)  # runs a copy: the file is untouched
    assert ok, f"{notebook.name} failed:\n{error}"
    if quick == "1":
        code = [cell for cell in executed[0].cells if cell.cell_type == "code"]
        unmarked = [k for k, cell in enumerate(code) if not any(SMOKE in t for t in _texts(cell))]
        assert not unmarked, f"{notebook.name}: code cells {unmarked} do not say it is a smoke run"


def test_notebooks_are_committed_with_the_outputs_of_a_full_run():
    assert len(NOTEBOOKS) == 6
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        code = [cell for cell in book.cells if cell.cell_type == "code"]
        # One complete run, top to bottom, without errors.
        assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), path.name
        assert sum(bool(cell.outputs) for cell in code) >= len(code) - 2, path.name
        assert not any(o.output_type == "error" for cell in code for o in cell.outputs), path.name
        texts = [t for cell in code for t in _texts(cell)]
        assert not any(SMOKE in t for t in texts), f"{path.name}: committed from a smoke run"
        assert not any("time limit" in t for t in texts), f"{path.name}: a plan was cut by the time limit"
        # Small: no inlined map (the maps are files shown in a frame), no widget state, no timestamps.
        for cell in code:
            assert all(len(json.dumps(o)) < MAX_OUTPUT_BYTES for o in cell.outputs), path.name
            assert "execution" not in cell.metadata, path.name
        assert "widgets" not in book.metadata, path.name
