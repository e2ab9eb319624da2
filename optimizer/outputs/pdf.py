"""HTML → PDF with the headless Chromium the project installs (``scripts/install_chromium.sh``).

Chromium lays the dispatch sheets out exactly as it shows them, with the print rules of
``assets/khf/dispatch.css`` (A4 ``@page``, repeated table headers, rows not split): a PDF library would need
the layout written twice. Chromium is optional at run time: without it (or when it fails) no PDF is written and
one warning says why; every other output is written as usual. It runs with a profile folder of its own and the
network blocked (the sheets need no remote resource), and the PDF is written to a temporary file renamed into
place (:func:`optimizer.files.write_atomically`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from optimizer.files import write_atomically

__all__ = ["PDF_TIMEOUT_S", "chromium_path", "print_pdf"]

#: Longest wait for Chromium to print one document (the default day's 76 sheets take a few seconds).
PDF_TIMEOUT_S = 300.0


def chromium_path() -> str | None:
    """The Chromium binary (``$CHROMIUM`` or ``chromium``/``chromium-browser``/``google-chrome`` on the PATH),
    or ``None``."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def _print(binary: str, source: Path, target: Path, timeout_s: float) -> None:
    with tempfile.TemporaryDirectory(prefix="khf-pdf-") as profile:
        args = [
            binary, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-dev-shm-usage",
            f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            "--no-pdf-header-footer", f"--print-to-pdf={target}", source.resolve().as_uri(),
        ]
        if os.geteuid() == 0:  # Chromium refuses to start as root inside its sandbox
            args.insert(1, "--no-sandbox")
        subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=timeout_s, check=True)
    with open(target, "rb") as handle:
        if handle.read(5) != b"%PDF-":
            raise OSError(f"Chromium wrote no PDF to {target}")


def print_pdf(source: str | Path, target: str | Path, *, timeout_s: float = PDF_TIMEOUT_S) -> Path | None:
    """Print the HTML file ``source`` to the PDF ``target`` (page size and margins from its CSS ``@page``).

    Parameters
    ----------
    source
        A local HTML file.
    target
        The PDF to write (replaced atomically).
    timeout_s
        Longest wait for Chromium.

    Returns
    -------
    Path or None
        ``target``, or ``None`` when no PDF was made: Chromium is missing, failed or took too long (one
        ``UserWarning`` says which).
    """
    target = Path(target)
    binary = chromium_path()
    if binary is None:
        warnings.warn(f"{target.name} not made: Chromium is not installed (scripts/install_chromium.sh); the "
                      "HTML sheets are complete", UserWarning, stacklevel=2)
        return None
    try:
        return write_atomically(target, lambda tmp: _print(binary, Path(source), tmp, timeout_s))
    except subprocess.TimeoutExpired:
        reason = f"Chromium took longer than {timeout_s:g} s"
    except subprocess.CalledProcessError as exc:
        lines = exc.stderr.decode("utf-8", "replace").strip().splitlines() if exc.stderr else []
        reason = f"Chromium failed (exit {exc.returncode}{': ' + lines[-1] if lines else ''})"
    except OSError as exc:
        reason = str(exc)
    warnings.warn(f"{target.name} not made: {reason}; the HTML sheets are complete", UserWarning, stacklevel=2)
    return None
