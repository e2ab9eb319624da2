#!/usr/bin/env python
"""Execute the what-if notebooks top to bottom and fail on the first error (CI).

    KHFOOD_QUICK=1 python scripts/run_notebooks.py                # every notebooks/*.ipynb
    python scripts/run_notebooks.py notebooks/02_depot_closure.ipynb --timeout 300
    python scripts/run_notebooks.py --full --write --timeout 3000   # refresh the committed outputs

Each notebook runs in a fresh ``python3`` kernel with ``notebooks/`` as its working directory, under a time
limit for the whole notebook (``--timeout``, default 240 s) and for any one cell. ``KHFOOD_QUICK`` defaults to 1
here so that the notebooks use short solver limits (every output then says "SMOKE RUN": its figures are not
meaningful); ``--full`` plans as ``cli.py plan`` does. The notebooks are committed with the outputs of a full run
(``--full --write``: each executed notebook replaces its source once every notebook has run); otherwise the
notebooks on disk are never modified, and ``--keep DIR`` writes the executed copies there. Written notebooks
carry no execution timestamps and no widget state, so that a re-run changes only what the figures changed.
Exit code 0 when every notebook ran, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def tidy(book) -> None:
    """Drop what changes on every run without changing a figure: timestamps, widget state, kernel version."""
    book.metadata.pop("widgets", None)
    book.metadata.get("language_info", {}).pop("version", None)
    for cell in book.cells:
        cell.metadata.pop("execution", None)


def run(path: Path, timeout: float, keep: Path | None, *, book_out: list | None = None) -> tuple[bool, float, str]:
    """Execute the notebook at ``path``; ``(ran without error, seconds, error text)``.

    ``keep`` (a folder) receives the executed copy; ``book_out`` (a list) gets it appended.
    """
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, timeout=int(timeout), kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.monotonic()
    outcome: dict = {}

    def execute() -> None:
        try:
            client.execute()
        except CellExecutionError as exc:  # the cell's traceback, already formatted
            outcome["error"] = str(exc)
        except Exception as exc:  # kernel died, cell timeout, ...
            outcome["error"] = f"{type(exc).__name__}: {exc}"

    worker = threading.Thread(target=execute, daemon=True)
    worker.start()
    worker.join(timeout)
    elapsed = time.monotonic() - started
    if worker.is_alive():
        outcome["error"] = f"notebook did not finish within {timeout:.0f} s"
        try:
            client.km.shutdown_kernel(now=True) if client.km else None
        except Exception:
            pass
    tidy(book)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        nbformat.write(book, keep / path.name)
    if book_out is not None:
        book_out.append(book)
    return "error" not in outcome, elapsed, outcome.get("error", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per notebook (default 240)")
    parser.add_argument("--full", action="store_true", help="planning-quality solver limits (KHFOOD_QUICK=0)")
    parser.add_argument("--keep", type=Path, help="write the executed notebooks into this folder")
    parser.add_argument("--write", action="store_true",
                        help="replace each notebook with its executed copy once all have run (with --full: the "
                             "committed outputs)")
    args = parser.parse_args(argv)
    os.environ["KHFOOD_QUICK"] = "0" if args.full else os.environ.get("KHFOOD_QUICK", "1")
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("no notebook found", file=sys.stderr)
        return 1
    failed = 0
    executed: list = []
    for path in paths:
        ok, elapsed, error = run(path.resolve(), args.timeout, args.keep, book_out=executed)
        print(f"{'ok  ' if ok else 'FAIL'} {path.name}  {elapsed:6.1f} s", flush=True)
        if not ok:
            failed += 1
            print(error[-6000:], file=sys.stderr, flush=True)
    print(f"{len(paths) - failed} passed, {failed} failed")
    if args.write and not failed:
        for path, book in zip(paths, executed):
            nbformat.write(book, path)
        print(f"wrote the outputs into {len(paths)} notebook(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
