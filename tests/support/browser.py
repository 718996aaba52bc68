"""Headless Chromium for checking HTML reports: screenshots, the rendered DOM, no network.

Debian's ``chromium`` package is used as it comes (``ZDD_CHROMIUM`` names another
binary). Each run gets a fresh, empty profile directory, and every flag that
makes Chromium talk to the network on its own is off. ``NetworkWitness`` is a
proxy on 127.0.0.1 that answers nothing and counts connections: Chromium is
told to send everything through it, so any request the page makes is seen.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",  # runs as root in CI containers
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--mute-audio",
)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Chromium's own background calls (component updates, sign-in, network time) that the
# flags above do not all silence. A page never asks for them: the report holds no URL.
CHROMIUM_OWN = re.compile(r"(^|\.)(google\.com|googleapis\.com|gvt1\.com)$")


def requested_host(request_line: str) -> str:
    """The host of ``CONNECT host:443 HTTP/1.1`` or ``GET http://host/path HTTP/1.1``."""
    parts = request_line.split()
    target = parts[1] if len(parts) > 1 else ""
    if parts and parts[0] == "CONNECT":
        return target.rsplit(":", 1)[0]
    return urllib.parse.urlsplit(target).hostname or target


def find_chromium() -> str | None:
    explicit = os.environ.get("ZDD_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


class NetworkWitness:
    """A proxy that accepts connections, records what was asked, and answers nothing."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self._server.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="network-witness", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._server.getsockname()
        return f"{host}:{port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1.0)
                with contextlib.suppress(OSError):
                    first = conn.recv(4096).split(b"\r\n", 1)[0]
                    self.requests.append(first.decode("latin-1", "replace") or "(empty)")

    def page_requests(self) -> list[str]:
        """What was asked, except Chromium's own background calls."""
        return [r for r in self.requests if not CHROMIUM_OWN.search(requested_host(r))]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self._server.close()


class Chromium:
    """One headless Chromium binary; each call is a separate process with an empty profile."""

    def __init__(self, binary: str, *, timeout: float = 120.0) -> None:
        self.binary = binary
        self.timeout = timeout

    def _run(
        self, page: Path, extra: list[str], proxy: str | None
    ) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(prefix="zdd-chromium-") as profile:
            argv = [self.binary, *FLAGS, f"--user-data-dir={profile}", *extra]
            if proxy is not None:
                # Everything, loopback included, goes through the witness.
                argv += [f"--proxy-server=http://{proxy}", "--proxy-bypass-list=<-loopback>"]
            argv.append(page.resolve().as_uri())
            return subprocess.run(
                argv, capture_output=True, text=True, timeout=self.timeout, check=False, cwd=profile
            )

    def screenshot(
        self,
        page: Path,
        png: Path,
        *,
        size: tuple[int, int] = (1000, 1400),
        proxy: str | None = None,
    ) -> None:
        """Render ``page`` and write what a window of ``size`` shows to ``png``."""
        png.parent.mkdir(parents=True, exist_ok=True)
        png.unlink(missing_ok=True)
        run = self._run(
            page, [f"--screenshot={png.resolve()}", f"--window-size={size[0]},{size[1]}"], proxy
        )
        if not png.is_file():
            raise RuntimeError(
                f"chromium wrote no screenshot (exit {run.returncode}): {run.stderr[-800:]}"
            )

    def dump_dom(self, page: Path, *, proxy: str | None = None) -> str:
        """The DOM after rendering, serialised (``--dump-dom``)."""
        run = self._run(page, ["--dump-dom"], proxy)
        if run.returncode != 0 or "<html" not in run.stdout:
            raise RuntimeError(
                f"chromium --dump-dom failed (exit {run.returncode}): {run.stderr[-800:]}"
            )
        return run.stdout


@contextlib.contextmanager
def network_witness() -> Iterator[NetworkWitness]:
    witness = NetworkWitness()
    try:
        yield witness
    finally:
        witness.close()
