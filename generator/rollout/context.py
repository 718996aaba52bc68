"""What one run of the engine carries: its router, signals, store, clock and events."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from generator.colours import Colour
from generator.config import Hooks, Strategy
from generator.errors import DriftError
from generator.events import Event, EventBus
from generator.journal.model import Deployment, JournalDoc, JournalEvent
from generator.journal.store import DeploymentStore, Owner
from generator.rollout.routing import ListenerState, TrafficRouter, format_weights
from generator.rollout.signals import HealthSignal, Phase, Reading


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class EngineSettings:
    poll_seconds: float
    alarm_grace_seconds: float
    gate_timeout_seconds: float = 86400.0
    heartbeat_seconds: float = 30.0

    @classmethod
    def from_strategy(cls, strategy: Strategy) -> EngineSettings:
        return cls(
            poll_seconds=strategy.poll_seconds,
            alarm_grace_seconds=strategy.alarm_grace_seconds,
        )


@dataclass
class RunContext:
    """Everything external to the engine, handed in; plus the last state AWS confirmed."""

    router: TrafficRouter
    signals: Sequence[HealthSignal]
    store: DeploymentStore
    settings: EngineSettings
    events: EventBus
    clock: Clock
    owner: Owner
    hooks: Hooks = field(default_factory=Hooks)
    hooks_cwd: Path = field(default_factory=Path.cwd)
    last_state: ListenerState | None = None
    last_heartbeat: float = 0.0

    def emit(
        self,
        kind: str,
        message: str,
        level: str = "info",
        dep: Deployment | None = None,
        **data: object,
    ) -> None:
        """Show an event; with ``dep`` (and not a poll) also keep it in the journal."""
        event = Event(kind, message, self.clock.now(), level, dict(data))
        if dep is not None and kind != "bake.poll":
            dep.events.append(
                JournalEvent(at=event.at, kind=kind, message=message, data=dict(data))
            )
        self.events.emit(event)

    def save(self, doc: JournalDoc) -> None:
        self.store.save(doc)

    def heartbeat(self) -> None:
        """Renew the lease at most every ``heartbeat_seconds``."""
        now = self.clock.now()
        if now - self.last_heartbeat >= self.settings.heartbeat_seconds:
            self.store.heartbeat(self.owner)
            self.last_heartbeat = now

    def read(self) -> ListenerState:
        """DescribeListeners; remembered as the last confirmed state."""
        state = self.last_state = self.router.read()
        return state

    def read_checked(self, dep: Deployment) -> ListenerState:
        """DescribeListeners, compared with the journal: a mismatch is drift (exit 4)."""
        state = self.read()
        if state.weights != dep.weights:
            raise DriftError(
                f"listener {state.arn} changed outside zdd: the journal expects "
                f"{format_weights(dep.weights)}, the listener has {format_weights(state.weights)}. "
                "Nothing was touched; restore the listener or run `zdd abort`."
            )
        return state

    def poll(self, colour: Colour, phase: Phase) -> list[Reading]:
        """One reading per signal that applies to ``phase``."""
        return [s.poll(colour) for s in self.signals if phase in s.phases]
