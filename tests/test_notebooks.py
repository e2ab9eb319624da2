"""The what-if notebooks run top to bottom on the real data (short solver limits: KHFOOD_QUICK=1)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from run_notebooks import run  # noqa: E402  (the CI runner script is the one way notebooks are executed)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_error(notebook, monkeypatch):
    monkeypatch.setenv("KHFOOD_QUICK", os.environ.get("KHFOOD_QUICK", "1"))
    ok, _, error = run(notebook, timeout=300, keep=None)
    assert ok, f"{notebook.name} failed:\n{error}"


def test_notebooks_are_committed_without_outputs():
    import nbformat

    assert len(NOTEBOOKS) == 4
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        assert all(not cell.get("outputs") for cell in book.cells if cell.cell_type == "code"), path.name
