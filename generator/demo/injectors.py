"""Fault and signal injectors driven by engine events: shared by tests, benchmarks and demo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.events import Event


class AlarmOnEvent:
    """Drives one alarm to ALARM the first time an event of ``kind`` is seen, once armed."""

    def __init__(
        self,
        cloudwatch: Any,
        alarm: str,
        *,
        kind: str = "bake.poll",
        reason: str = "injected: 5xx rate 23% > 5%",
        armed: bool = True,
    ) -> None:
        self.cloudwatch = cloudwatch
        self.alarm = alarm
        self.kind = kind
        self.reason = reason
        self.armed = armed

    def emit(self, event: Event) -> None:
        if self.armed and event.kind == self.kind:
            self.armed = False
            self.cloudwatch.set_alarm_state(
                AlarmName=self.alarm, StateValue="ALARM", StateReason=self.reason
            )

    def close(self) -> None:
        return None


class RecordingSink:
    """Keeps every event it is shown, for assertions."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.closed = False

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def close(self) -> None:
        self.closed = True

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


class CallbackSink:
    """Calls ``callback`` with every event: a test's hook into the engine's progress."""

    def __init__(self, callback: Callable[[Event], None]) -> None:
        self.callback = callback

    def emit(self, event: Event) -> None:
        self.callback(event)

    def close(self) -> None:
        return None
