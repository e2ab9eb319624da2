"""Open an HTML page in headless Chromium and report what a person would see: for the map tests.

Talks the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (file descriptors 3 and 4, JSON
messages ending in NUL), so it needs nothing beyond the Debian ``chromium`` package: no websocket client,
no chromedriver. One :func:`open_page` call starts a fresh browser with its own profile folder, loads the
page, waits until ``window.khfReady`` (or the load event), and returns a :class:`Page` with the JavaScript
errors, console errors, dialogs (``alert``/``confirm``/``prompt``) and network requests seen; the page can
be queried with :meth:`Page.evaluate` and saved with :meth:`Page.screenshot` until the ``with`` block ends.

Every run blocks the network (``--proxy-server=127.0.0.1:9`` and a host resolver that finds nothing), so a
page that needs the internet shows it as failed requests instead of reaching out.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimizer.outputs.pdf import chromium_path

__all__ = ["BrowserError", "Page", "chromium_path", "open_page"]


class BrowserError(RuntimeError):
    """Chromium did not start, answer, or load the page in time."""


@dataclass
class Page:
    """What happened while a page was loaded; query it further while the browser runs."""

    url: str
    js_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    ready: bool = False
    _cdp: _Cdp | None = field(default=None, repr=False)

    def evaluate(self, expression: str, timeout: float = 20) -> Any:
        """Value of a JavaScript expression in the page (awaits promises)."""
        result = self._cdp.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                      "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} failed: {_exception_text(result['exceptionDetails'])}")
        return result["result"].get("value")

    def count(self, selector: str) -> int:
        return int(self.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length"))

    def screenshot(self, path: str | Path) -> Path:
        """Save a PNG of the viewport."""
        data = self._cdp.call("Page.captureScreenshot", {"format": "png"}, timeout=30)["data"]
        path = Path(path)
        path.write_bytes(base64.b64decode(data))
        return path

    def settle(self, seconds: float = 0.3) -> None:
        """Let events (dialogs, console messages) arrive."""
        self._cdp.pump(seconds)


def _exception_text(details: dict) -> str:
    exception = details.get("exception") or {}
    text = exception.get("description") or details.get("text") or "error"
    return f"{text} ({details.get('url', '')}:{details.get('lineNumber', '?')})"


class _Cdp:
    """A DevTools Protocol session over Chromium's pipe, attached to one page target."""

    def __init__(self, process: subprocess.Popen, to_browser: int, from_browser: int, page: Page) -> None:
        self.process = process
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.page = page
        self.buffer = b""
        self.next_id = 0
        self.session: str | None = None
        self.replies: dict[int, dict] = {}

    def send(self, method: str, params: dict | None = None, *, session: bool = True) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        return self.next_id

    def call(self, method: str, params: dict | None = None, *, session: bool = True, timeout: float = 20) -> dict:
        wanted = self.send(method, params, session=session)
        deadline = time.monotonic() + timeout
        while wanted not in self.replies:
            if time.monotonic() > deadline:
                raise BrowserError(f"no answer to {method} within {timeout} s")
            self._read(deadline - time.monotonic())
        reply = self.replies.pop(wanted)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(deadline - time.monotonic())

    def _read(self, timeout: float) -> None:
        if self.process.poll() is not None:
            raise BrowserError(f"chromium exited with code {self.process.returncode}")
        readable, _, _ = select.select([self.from_browser], [], [], max(0.0, min(timeout, 0.5)))
        if not readable:
            return
        chunk = os.read(self.from_browser, 1 << 20)
        if not chunk:
            raise BrowserError("chromium closed the DevTools pipe")
        self.buffer += chunk
        while b"\0" in self.buffer:
            raw, self.buffer = self.buffer.split(b"\0", 1)
            message = json.loads(raw)
            if "id" in message:
                self.replies[message["id"]] = message
            else:
                self._event(message.get("method", ""), message.get("params", {}))

    def _event(self, method: str, params: dict) -> None:
        page = self.page
        if method == "Runtime.exceptionThrown":
            page.js_errors.append(_exception_text(params.get("exceptionDetails", {})))
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            page.console.append(f"{params.get('type')}: {text}")
            if params.get("type") in ("error", "assert"):
                page.console_errors.append(text)
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                page.console_errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Page.javascriptDialogOpening":
            page.dialogs.append(f"{params.get('type')}: {params.get('message')}")
            self.send("Page.handleJavaScriptDialog", {"accept": True})
        elif method == "Network.requestWillBeSent":
            page.requests.append(params.get("request", {}).get("url", ""))
        elif method == "Network.loadingFailed":
            page.failed_requests.append(f"{params.get('errorText')} {params.get('requestId')}")


@contextmanager
def open_page(path: str | Path, *, width: int = 1400, height: int = 900, timeout: float = 45,
              ready_expression: str = "window.khfReady === true") -> Iterator[Page]:
    """Load a local HTML file in headless Chromium with the network blocked; yield the :class:`Page`.

    Raises
    ------
    BrowserError
        Chromium is missing, does not start, or the page does not load within ``timeout`` seconds.
    """
    binary = chromium_path()
    if binary is None:
        raise BrowserError("chromium is not installed (scripts/install_chromium.sh)")
    url = Path(path).resolve().as_uri()
    page = Page(url=url)
    profile = tempfile.mkdtemp(prefix="khf-chromium-")
    to_read, to_browser = os.pipe()      # we write, chromium reads on fd 3
    from_browser, to_write = os.pipe()   # chromium writes on fd 4, we read

    def child_fds() -> None:
        # Move both ends above 4 first so that neither is overwritten by the other's dup2.
        high_read = fcntl.fcntl(to_read, fcntl.F_DUPFD, 10)
        high_write = fcntl.fcntl(to_write, fcntl.F_DUPFD, 10)
        os.dup2(high_read, 3)
        os.dup2(high_write, 4)

    args = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio",
        "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={width},{height}",
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe", "about:blank",
    ]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, preexec_fn=child_fds, close_fds=False)
    os.close(to_read)
    os.close(to_write)
    cdp = _Cdp(process, to_browser, from_browser, page)
    page._cdp = cdp
    try:
        target = cdp.call("Target.createTarget", {"url": "about:blank"}, session=False, timeout=30)["targetId"]
        cdp.session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                               session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            cdp.call(f"{domain}.enable")
        cdp.call("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        cdp.call("Page.navigate", {"url": url}, timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if page.evaluate(ready_expression, timeout=max(1.0, deadline - time.monotonic())):
                    page.ready = True
                    break
            except BrowserError:
                pass
            cdp.pump(0.2)
        if not page.ready:
            raise BrowserError(f"page not ready within {timeout} s: {url} (errors: {page.js_errors})")
        cdp.pump(0.5)  # late errors, tile requests, dialogs
        yield page
    finally:
        try:
            if process.poll() is None:
                cdp.send("Browser.close", session=False)
                process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired, BrowserError):
            process.kill()
            process.wait(timeout=10)
        finally:
            os.close(to_browser)
            os.close(from_browser)
            shutil.rmtree(profile, ignore_errors=True)
