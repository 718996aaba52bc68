"""Events: what happened, when, and where the deployment stood; the bus that fans them out."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from generator.colours import COLOURS, Colour

LEVELS = ("info", "success", "warning", "error")
HOOK_STAGES = (  # the engine runs hooks in these stages; config.Hooks has one field each
    "pre_traffic",
    "post_test_traffic",
    "pre_step",
    "post_step",
    "post_promote",
    "on_rollback",
)
# Every kind zdd emits; events.schema.json lists the same (a test keeps them equal).
KINDS: tuple[str, ...] = (
    "preflight.start",
    "preflight.poll",
    "readiness.waiting",
    "readiness.poll",
    "readiness.ready",
    "readiness.skipped",
    "deployment.start",
    "deployment.resume",
    "deployment.refused",
    "deployment.promoted",
    "shift.noop",
    "step.verified",
    "bake.start",
    "bake.poll",
    "bake.passed",
    "signals.changed",
    "gate.waiting",
    "gate.passed",
    "request",
    "promote.now",
    "rollback.start",
    "rollback.verified",
    "rollback.done",
    "rollback.promotion",
    "rollback.wait",
    "test_listener.failed",
    "after_promotion.failed",
    "capacity.scale_up",
    "capacity.scale_down",
    "capacity.waiting",
    "capacity.deferred",
    "capacity.not_due",
    "capacity.busy",
    "lock.retaken",
    "lease.wait",
    "routes.halfway",
    "warden.takeover",
    "warden.held",
    "journal.unwritable",
    *(f"hook.{stage}{end}" for stage in HOOK_STAGES for end in ("", ".failed")),
)


@dataclass(frozen=True)
class Snapshot:
    """Where a deployment stood when an event happened (what sinks show and post)."""

    id: str
    release: str | None
    from_colour: Colour
    to_colour: Colour
    weights: dict[Colour, int]
    step: int  # 1-based: the last step whose weights were verified (0: none yet)
    steps: int
    status: str
    strategy: str
    lock: str | None = None  # the run that holds the listener
    actor: str | None = None  # who started it
    ci_url: str | None = None

    def describe_weights(self) -> str:
        return " / ".join(f"{c} {self.weights.get(c, 0)}%" for c in COLOURS)


@dataclass(frozen=True)
class Event:
    """One step or decision. ``at`` is seconds since the epoch, from the run's clock.

    Kinds ending in ``.poll`` report progress during a wait (bake, gate, pre-flight
    grace): their data says what is awaited, how long is left and each signal's
    verdict. Sinks show them as a live panel, as heartbeat lines, or not at all.
    """

    kind: str  # e.g. step.verified, bake.poll, rollback.done
    message: str
    at: float
    level: str = "info"
    data: dict[str, Any] = field(default_factory=dict)
    deployment: Snapshot | None = None

    @property
    def is_progress(self) -> bool:
        return self.kind.endswith(".poll")


@dataclass(frozen=True)
class Origin:
    """What every event of a run is about: the service and environment."""

    service: str = ""
    environment: str = ""

    def label(self) -> str:
        return f"{self.service}/{self.environment}" if self.service else ""


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...

    def close(self) -> None: ...


@dataclass
class DeliveryReport:
    """Notifications of one run: how many were delivered, how many failed, and where."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0  # queue full: the run was producing faster than targets accepted
    failed_targets: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.dropped += other.dropped
        self.failed_targets += [t for t in other.failed_targets if t not in self.failed_targets]

    def describe(self) -> str | None:
        """One line for the run's summary; None when every notification was delivered."""
        if not self.failed and not self.dropped:
            return None
        where = ", ".join(self.failed_targets)
        text = f"notifications: {self.failed} of {self.sent + self.failed} failed"
        if where:
            text += f" ({where})"
        if self.dropped:
            text += f"; {self.dropped} dropped (queue full)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "dropped": self.dropped,
            "failed_targets": list(self.failed_targets),
        }


@runtime_checkable
class FlushesInBackground(Protocol):
    def begin_close(self) -> None: ...


@runtime_checkable
class ReportsDelivery(Protocol):
    def delivery_report(self) -> DeliveryReport: ...


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
        """Close every sink. Notifiers' bounded flushes start together, then each is
        waited for: the exit waits about one delivery timeout, not one per notifier."""
        for sink in self.sinks:
            if isinstance(sink, FlushesInBackground):
                with contextlib.suppress(Exception):
                    sink.begin_close()
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:
                continue

    def deliveries(self) -> DeliveryReport:
        """What the notifying sinks (webhooks, SNS, EventBridge) delivered; after ``close``."""
        total = DeliveryReport()
        for sink in self.sinks:
            if isinstance(sink, ReportsDelivery):
                total.add(sink.delivery_report())
        return total
