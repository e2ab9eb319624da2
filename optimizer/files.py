"""Atomic output files: a file is either its old self or complete, never half-written."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it onto ``path``.

    An exception (or Ctrl-C) inside ``write`` leaves ``path`` untouched and removes the temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_text_atomically(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write a text file atomically."""
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding=encoding))


@contextlib.contextmanager
def staged_folder(folder: str | Path) -> Iterator[Path]:
    """Write a set of outputs into a staging folder and move them into ``folder`` only when all succeeded.

    Yields the staging folder. On an exception nothing in ``folder`` changes and the staging folder is
    removed; on success every staged file replaces its namesake in ``folder`` (one rename each).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=".staging-"))
    try:
        yield staging
        for item in sorted(staging.rglob("*")):
            if item.is_file():
                target = folder / item.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
