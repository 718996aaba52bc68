"""Events as text: plain timestamped lines for logs and CI, JSON Lines for machines.

Plain lines never animate. During a wait the engine reports progress at every
poll; the plain sink turns that into a heartbeat line at most every
``heartbeat_seconds`` (of the run's clock), so a 10-minute bake in a CI log says
what it waits for and how long is left instead of going quiet.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, TextIO

from generator.events.core import Event, Origin
from generator.timestamps import utc

TIME_KEYS = frozenset({"at", "since", "expires"})
SCHEMA_VERSION = 1


def iso(ts: float | None, *, millis: bool = True) -> str | None:
    """``2024-05-01T12:00:00.250Z``: UTC, ISO 8601; None stays None."""
    if ts is None:
        return None
    moment = utc(ts)
    text = moment.isoformat(timespec="milliseconds" if millis else "seconds")
    return text.replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """A copy of ``value`` with every timestamp (``at``, ``*_at``, ``since``, ``expires``)
    as an ISO 8601 string: the one time format of zdd's JSON output."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            is_time = key in TIME_KEYS or (isinstance(key, str) and key.endswith("_at"))
            if is_time and isinstance(item, int | float) and not isinstance(item, bool):
                out[key] = iso(float(item))
            else:
                out[key] = jsonable(item)
        return out
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def event_record(event: Event, origin: Origin | None = None) -> dict[str, Any]:
    """The ``event`` object of a JSON line (see ``events.schema.json``)."""
    record: dict[str, Any] = {
        "kind": event.kind,
        "message": event.message,
        "at": iso(event.at),
        "level": event.level,
        "data": jsonable(event.data),
        "deployment": asdict(event.deployment) if event.deployment else None,
    }
    if origin is not None and origin.service:
        record["service"] = origin.service
        record["environment"] = origin.environment
    return record


class JsonSink:
    """One JSON object per line (``--json``); the command prints a ``result`` line last."""

    def __init__(self, stream: TextIO | None = None, *, origin: Origin | None = None) -> None:
        self.stream = stream or sys.stdout
        self.origin = origin

    def emit(self, event: Event) -> None:
        line = {"event": event_record(event, self.origin)}
        self.stream.write(json.dumps(line, sort_keys=True, default=str) + "\n")
        self.stream.flush()

    def close(self) -> None:
        return None


TAGS = {"info": "info", "success": "ok", "warning": "warn", "error": "error"}
STEP_KINDS = frozenset({"step.verified", "bake.start", "bake.passed", "gate.waiting"})


def plain_line(event: Event) -> str:
    """``TIME TAG message (step k/n)``, no colour, no animation."""
    tag = "wait" if event.is_progress else TAGS.get(event.level, event.level)
    text = event.message
    snap = event.deployment
    if snap is not None and event.kind in STEP_KINDS and snap.steps:
        text += f" (step {snap.step}/{snap.steps})"
    return f"{iso(event.at, millis=False)} {tag:5} {text}"


class PlainSink:
    """Timestamped lines for logs and CI: every decision, and a heartbeat while waiting."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        verbose: bool = False,
        heartbeat_seconds: float = 30.0,
    ) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.heartbeat_seconds = heartbeat_seconds
        self._last_line: float | None = None

    def emit(self, event: Event) -> None:
        if event.is_progress and not self.verbose and not self._heartbeat_due(event.at):
            return
        self._last_line = event.at
        self.stream.write(plain_line(event) + "\n")
        self.stream.flush()

    def _heartbeat_due(self, now: float) -> bool:
        return self._last_line is None or now - self._last_line >= self.heartbeat_seconds

    def close(self) -> None:
        return None
