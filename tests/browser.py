"""A real headless Chromium driven over the DevTools protocol: load a page, run script in it,
collect every console error and uncaught exception. No browser automation library needed:
`websockets` (already installed with Dagster's web server) speaks the protocol."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

from p20_platform.report.pdf import browser


class Page:
    """One browser tab. `errors` holds console errors, uncaught exceptions and failed loads."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.errors: list[str] = []
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        self._events.append(message)
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            self.errors.append(f"{entry.get('source')}: {entry['text']} {entry.get('url', '')}".strip())

    def open(self, url: str, settle: float = 0.5) -> None:
        """Navigate and wait for the load event, then let scripts run for `settle` seconds."""
        self._events.clear()
        navigation = self.call("Page.navigate", url=url)
        if navigation.get("errorText"):
            self.errors.append(f"{url}: {navigation['errorText']}")
        deadline = time.monotonic() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not load in 60 s")
            self._event(json.loads(self.socket.recv(timeout=60)))
        self.evaluate(f"new Promise(r => setTimeout(r, {int(settle * 1000)}))")

    def evaluate(self, expression: str) -> Any:
        """The value of `expression` in the page (promises awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")


class Browser:
    """Headless Chromium with a throwaway profile; `with browser.page() as page:` drives the first tab."""

    def __init__(self) -> None:
        executable = browser()
        if executable is None:
            raise RuntimeError("no Chromium installed: `make setup` installs it (apt package chromium)")
        self.profile = Path(tempfile.mkdtemp(prefix="p20-chromium-"))
        self.process = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        self.port = int(port_file.read_text().split()[0])

    @contextmanager
    def page(self) -> Iterator[Page]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=30) as response:
            targets = [t for t in json.load(response) if t["type"] == "page"]
        with connect(targets[0]["webSocketDebuggerUrl"], max_size=None) as socket:
            yield Page(socket)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
