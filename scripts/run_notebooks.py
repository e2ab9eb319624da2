#!/usr/bin/env python
"""Execute the what-if notebooks top to bottom and fail on the first error (CI).

    KHFOOD_QUICK=1 python scripts/run_notebooks.py                # every notebooks/*.ipynb
    python scripts/run_notebooks.py notebooks/02_depot_closure.ipynb --timeout 300

Each notebook runs in a fresh ``python3`` kernel with ``notebooks/`` as its working directory, under a time
limit for the whole notebook (``--timeout``, default 240 s) and for any one cell. The notebooks on disk are
never modified (they are committed without outputs); ``--keep DIR`` writes the executed copies there.
``KHFOOD_QUICK`` defaults to 1 here so that the notebooks use short solver limits; pass ``--full`` for the
planning-quality limits. Exit code 0 when every notebook ran, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(path: Path, timeout: float, keep: Path | None) -> tuple[bool, float, str]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

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
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        nbformat.write(book, keep / path.name)
    return "error" not in outcome, elapsed, outcome.get("error", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per notebook (default 240)")
    parser.add_argument("--full", action="store_true", help="planning-quality solver limits (KHFOOD_QUICK=0)")
    parser.add_argument("--keep", type=Path, help="write the executed notebooks into this folder")
    args = parser.parse_args(argv)
    os.environ["KHFOOD_QUICK"] = "0" if args.full else os.environ.get("KHFOOD_QUICK", "1")
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("no notebook found", file=sys.stderr)
        return 1
    failed = 0
    for path in paths:
        ok, elapsed, error = run(path.resolve(), args.timeout, args.keep)
        print(f"{'ok  ' if ok else 'FAIL'} {path.name}  {elapsed:6.1f} s", flush=True)
        if not ok:
            failed += 1
            print(error[-6000:], file=sys.stderr, flush=True)
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
