"""Safe output files: atomic files, all-or-nothing output folders, safe file names, spreadsheet-safe CSV.

* :func:`write_atomically` — a file is either its old self or complete, never half-written.
* :func:`reserve_folder` / :func:`staged_folder` — an output folder is either the previous complete set or
  the new complete set: the set is built in a sibling staging folder and swapped in with renames; one run at a
  time per folder (a lock file beside it).
* :func:`safe_file_names` — distinct, portable file names for arbitrary ids (vehicle ids, variant names).
* :func:`write_csv` — CSV whose text cells no spreadsheet evaluates as a formula.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import signal
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd

from optimizer.errors import OutputError

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

#: CSV encoding: UTF-8 with a byte-order mark so that Excel on a Vietnamese Windows shows the diacritics.
CSV_ENCODING = "utf-8-sig"
#: File marking a folder as an output set written here (a folder without it is never replaced).
MARKER = ".khfood-output"
#: First characters that make a spreadsheet read a text cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: The process's file-creation mask, read once (reading it means setting it, which is not thread-safe).
_UMASK = os.umask(0o022)
os.umask(_UMASK)
#: Lock files held by this process, so that nested reservations of one folder share its lock.
_HELD: set[Path] = set()


def write_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it onto ``path``.

    The file gets the usual permissions (``0o666`` less the umask). An exception (or Ctrl-C) inside
    ``write`` leaves ``path`` untouched and removes the temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_text_atomically(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write a text file atomically."""
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding=encoding))


# --------------------------------------------------------------------------------------------------
# Spreadsheet-safe CSV
# --------------------------------------------------------------------------------------------------


def neutralise_formula(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``,
    tab, carriage return); anything else (numbers included, negative ones too) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are passed through :func:`neutralise_formula`."""
    out = pd.DataFrame(frame).copy()
    for column in out.columns:
        if not (pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(out[column])):
            continue
        out[column] = out[column].map(neutralise_formula)
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, *, encoding: str = CSV_ENCODING) -> Path:
    """Write ``frame`` (without its index) as a spreadsheet-safe CSV file (see :func:`spreadsheet_safe`)."""
    path = Path(path)
    spreadsheet_safe(pd.DataFrame(frame).drop(columns="geometry", errors="ignore")).to_csv(
        path, index=False, encoding=encoding)
    return path


# --------------------------------------------------------------------------------------------------
# Safe file names
# --------------------------------------------------------------------------------------------------

_RESERVED = {"index", "all_sheets", "con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_NAME_MAX = 60


def _clean(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9._-]", "_", ascii_text)[:_NAME_MAX].strip("._") or "item"


def safe_file_names(ids: Iterable[object]) -> dict[str, str]:
    """Distinct, portable file-name stems for ``ids`` (each id as text → stem, no extension).

    An id made only of ASCII letters, digits, ``.``, ``-`` and ``_`` (not starting or ending with ``.`` or
    ``_``, at most 60 characters, not a reserved name such as ``index``, ``all_sheets`` or ``CON``) is its own stem; any other id, and ids whose stems differ only in case,
    get the cleaned text plus ``-`` and the first 8 hex digits of the id's SHA-256. The stem of an id
    depends only on the id and on which other ids share its cleaned text, so ``A/B`` and ``A_B`` never share
    a file even on a case-insensitive disk.
    """
    texts = list(dict.fromkeys(str(i) for i in ids))
    cleaned = {t: _clean(t) for t in texts}
    shared: dict[str, int] = {}
    for stem in cleaned.values():
        shared[stem.lower()] = shared.get(stem.lower(), 0) + 1
    out: dict[str, str] = {}
    for text, stem in cleaned.items():
        plain = stem == text and shared[stem.lower()] == 1 and stem.lower() not in _RESERVED
        out[text] = stem if plain else f"{stem}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"
    if len({s.lower() for s in out.values()}) != len(out):  # a hash suffix met a plain id: use longer hashes
        out = {t: f"{cleaned[t]}-{hashlib.sha256(t.encode('utf-8')).hexdigest()[:20]}" for t in texts}
    return out


# --------------------------------------------------------------------------------------------------
# All-or-nothing output folders
# --------------------------------------------------------------------------------------------------


def _absolute(folder: str | Path) -> Path:
    path = Path(os.path.abspath(folder))
    if path.parent == path:
        raise OutputError(f"cannot use {path} as an output folder: choose a folder below it")
    return path


def _sibling(folder: Path, kind: str) -> Path:
    return folder.parent / f".{folder.name}.{kind}-{os.getpid()}"


def _output_error(folder: Path, exc: OSError) -> OutputError:
    if exc.errno == errno.ENOSPC:
        return OutputError(f"no space left on the disk of the output folder {folder}: nothing was changed there")
    what = f" ({exc.filename})" if exc.filename else ""
    return OutputError(f"cannot write the output folder {folder}: {exc.strerror or exc}{what}")


def _recover(folder: Path) -> None:
    """Remove what interrupted runs left beside ``folder`` (called under its lock): staging folders, and
    set-aside old sets (put back first when a swap was cut between its two renames)."""
    for path in sorted(folder.parent.glob(f".{_glob_escape(folder.name)}.old-*")):
        if not folder.exists():
            os.rename(path, folder)
        else:
            shutil.rmtree(path, ignore_errors=True)
    for path in folder.parent.glob(f".{_glob_escape(folder.name)}.staging-*"):
        shutil.rmtree(path, ignore_errors=True)


def _glob_escape(text: str) -> str:
    """``text`` with the glob wildcards ``*?[`` made literal."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _check_replaceable(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"the output folder {folder} is a file: choose a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise OutputError(f"the output folder {folder} holds files this program did not write: choose a new or "
                          "empty folder (it would be replaced as a whole)")


@contextlib.contextmanager
def reserve_folder(folder: str | Path) -> Iterator[Path]:
    """Hold ``folder`` for this run: check that it can be written and lock it against other runs.

    Call it before the long work (solving) so that an unwritable or busy folder is reported at once. Creates
    the parent folder, takes an exclusive lock on ``.<name>.lock`` beside ``folder`` (held until the block
    ends; nested calls in one process share it), removes what interrupted runs left behind, and refuses a
    non-empty folder that is not an earlier output set.

    Raises
    ------
    OutputError
        Not writable, full, locked by another run, a file, or a folder of foreign files.
    """
    folder = _absolute(folder)
    lock_path = folder.parent / f".{folder.name}.lock"
    if lock_path in _HELD:
        yield folder
        return
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise _output_error(folder, exc) from exc
    try:
        if not _try_lock(fd):
            raise OutputError(f"another run is using the output folder {folder} (lock {lock_path}): wait for it "
                              "to finish or choose another --out")
        _HELD.add(lock_path)
        try:
            _check_replaceable(folder)
            _recover(folder)
            probe = tempfile.TemporaryFile(dir=folder.parent)
            probe.close()
        except OSError as exc:
            raise _output_error(folder, exc) from exc
        yield folder
    finally:
        _HELD.discard(lock_path)
        os.close(fd)  # releases the lock


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file ``fd`` without waiting; False when another process holds it."""
    try:
        if sys.platform == "win32":
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block ends (so that a swap is never cut between its renames)."""
    if sys.platform == "win32":
        yield
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _swap(staging: Path, folder: Path) -> None:
    """Replace ``folder`` by ``staging`` with renames; on failure ``folder`` is as before."""
    (staging / MARKER).write_text("written by khfood; this folder is replaced as a whole by the next run\n",
                                  encoding="utf-8")
    old = _sibling(folder, "old")
    with _signals_deferred():
        had_old = folder.exists()
        if had_old:
            os.rename(folder, old)
        try:
            os.rename(staging, folder)
        except BaseException:
            if had_old:
                os.rename(old, folder)
            raise
    if had_old:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(folder: str | Path) -> Iterator[Path]:
    """Build a complete output set and make it ``folder`` only when every file was written.

    Yields an empty staging folder beside ``folder`` (same parent, ``.<name>.staging-<pid>``). When the block
    ends normally the staging folder replaces ``folder`` as a whole: the old set is renamed aside, the new
    one renamed in, then the old one deleted (put back if the second rename fails). On an exception (or
    Ctrl-C) ``folder`` keeps its previous complete set and the staging folder is removed. Holds the folder
    (:func:`reserve_folder`) throughout.

    Raises
    ------
    OutputError
        The folder cannot be written (permissions, full disk, locked by another run); an ``OSError`` inside
        the block becomes one naming the folder.
    """
    with reserve_folder(folder) as target:
        staging = _sibling(target, "staging")
        try:
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            yield staging
            _swap(staging, target)
        except OSError as exc:
            raise _output_error(target, exc) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
