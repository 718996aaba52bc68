"""Every step and decision is an event: shown, logged as JSON lines, posted to webhooks."""

from __future__ import annotations

import json
import queue
import sys
import threading
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TextIO

LEVELS = {"error": "red", "warning": "yellow", "success": "green", "info": "cyan"}


@dataclass(frozen=True)
class Event:
    kind: str  # e.g. step.verified, bake.poll, rollback.done
    message: str
    at: float
    level: str = "info"
    data: dict[str, Any] = field(default_factory=dict)


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...

    def close(self) -> None: ...


class PlainSink:
    """One plain line per event, for logs and CI."""

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose

    def emit(self, event: Event) -> None:
        if event.kind == "bake.poll" and not self.verbose:
            return
        self.stream.write(f"[{event.level}] {event.message}\n")
        self.stream.flush()

    def close(self) -> None:
        return None


class JsonSink:
    """One JSON object per line (``--json``)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def emit(self, event: Event) -> None:
        self.stream.write(json.dumps({"event": asdict(event)}, sort_keys=True) + "\n")
        self.stream.flush()

    def close(self) -> None:
        return None


class RichSink:
    """Live progress on a terminal: coloured lines and a weight bar per step."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self._status: Any = None

    def emit(self, event: Event) -> None:
        if event.kind == "bake.poll":
            text = f"[dim]{event.message}[/dim]"
            if self._status is None:
                self._status = self.console.status(text)
                self._status.start()
            else:
                self._status.update(text)
            return
        self._stop_status()
        colour = LEVELS.get(event.level, "white")
        weights = event.data.get("weights")
        bar = ""
        if isinstance(weights, dict) and event.kind.endswith("verified"):
            green = int(weights.get("green", 0)) // 5
            bar = f"  [blue]{'█' * (20 - green)}[/blue][green]{'█' * green}[/green]"
        self.console.print(f"[{colour}]●[/{colour}] {event.message}{bar}", highlight=False)

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def close(self) -> None:
        self._stop_status()


class WebhookSink:
    """Posts Slack-compatible JSON from a background thread.

    A slow or failing webhook never delays or blocks a rollback: events are queued
    without waiting, dropped when the queue is full, and each post has a timeout.
    """

    def __init__(self, urls: Sequence[str], *, timeout: float = 5.0, kinds: set[str] | None = None):
        self.urls = list(urls)
        self.timeout = timeout
        self.kinds = kinds
        self.failures = 0
        self._queue: queue.Queue[Event | None] = queue.Queue(maxsize=256)
        self._thread = threading.Thread(target=self._run, name="zdd-webhooks", daemon=True)
        self._thread.start()

    def emit(self, event: Event) -> None:
        if event.kind == "bake.poll" or (self.kinds is not None and event.kind not in self.kinds):
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.failures += 1

    def _post(self, url: str, event: Event) -> None:
        body = json.dumps({"text": f"zdd: {event.message}", "zdd": asdict(event)}).encode()
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            for url in self.urls:
                try:
                    self._post(url, event)
                except Exception:
                    self.failures += 1

    def close(self) -> None:
        """Give queued posts a moment, never longer than one timeout."""
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            return
        self._thread.join(self.timeout)


class EventBus:
    """Fans events out to sinks; a failing sink never stops the release."""

    def __init__(self, sinks: Sequence[EventSink] = ()) -> None:
        self.sinks = list(sinks)
        self.history: list[Event] = []

    def emit(self, event: Event) -> None:
        self.history.append(event)
        for sink in self.sinks:
            try:
                sink.emit(event)
            except Exception:
                continue

    def close(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:
                continue
