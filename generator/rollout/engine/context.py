"""What one run of the engine carries: its collaborators (router, signals, store, clock,
events), fixed when it is built, and the little it learns while it runs."""

from __future__ import annotations

import random as _random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator import interrupts
from generator.colours import Colour
from generator.config import Hooks, Strategy
from generator.errors import DriftError, LeaseLost, StoreError
from generator.events import Event, EventBus
from generator.journal.model import (
    Actor,
    Deployment,
    Handoff,
    JournalDoc,
    JournalEvent,
    stronger_request,
)
from generator.journal.protocol import DeploymentStore, Owner, VersionConflict
from generator.rollout.engine.audit import snapshot
from generator.rollout.ports import (
    Clock,
    HealthSignal,
    ListenerState,
    Phase,
    Reading,
    TrafficRouter,
    format_weights,
)

if TYPE_CHECKING:
    from generator.hooks import HookRunner


@dataclass(frozen=True)
class EngineSettings:
    poll_seconds: float
    alarm_grace_seconds: float
    gate_timeout_seconds: float = 86400.0
    heartbeat_seconds: float = 30.0
    poll_jitter: float = 0.1  # each poll interval is P·(1 - this·u): see ``engine.cadence``

    @classmethod
    def from_strategy(cls, strategy: Strategy) -> EngineSettings:
        return cls(
            poll_seconds=strategy.poll_seconds,
            alarm_grace_seconds=strategy.alarm_grace_seconds,
            gate_timeout_seconds=strategy.gate_timeout_seconds,
        )


@dataclass(frozen=True)
class RunContext:
    """Everything external to the engine, handed in once; nothing assigns to it afterwards.

    A variant (a fault-injecting router, another store) is ``dataclasses.replace(ctx, ...)``.
    """

    router: TrafficRouter
    signals: tuple[HealthSignal, ...]
    store: DeploymentStore
    settings: EngineSettings
    events: EventBus
    clock: Clock
    owner: Owner
    hooks: Hooks = field(default_factory=Hooks)
    hooks_cwd: Path = field(default_factory=Path.cwd)
    versions: Mapping[Colour, str] = field(default_factory=dict)  # what each colour runs
    hook_runner: HookRunner | None = None  # hooks of every kind; None: commands only
    handoff: Handoff | None = None  # written with each new deployment, for `zdd warden`
    random: Callable[[], float] = _random.random  # draws in [0, 1) for poll jitter

    def emit(
        self,
        kind: str,
        message: str,
        level: str = "info",
        dep: Deployment | None = None,
        **data: object,
    ) -> None:
        """Show an event; with ``dep`` (and not a ``*.poll`` progress report) also keep it
        in the journal. Events about a deployment carry a snapshot of where it stands."""
        shot = snapshot(dep, self.owner) if dep is not None else None
        event = Event(kind, message, self.clock.now(), level, dict(data), shot)
        if dep is not None and not event.is_progress:
            dep.events.append(
                JournalEvent(at=event.at, kind=kind, message=message, data=dict(data))
            )
        self.events.emit(event)

    def save(self, doc: JournalDoc) -> None:
        """Write the journal; a stop signal arriving meanwhile waits for the write.

        A conflicting write is merged when this run still holds the lease: the
        other writer was ``zdd promote``/``abort`` (a request) or ``finalize``, or
        our own earlier write whose reply was lost. Without the lease it is
        ``LeaseLost``: another run owns the journal now.
        """
        with interrupts.critical():
            try:
                self.store.save(doc)
            except VersionConflict:
                self._merge_and_save(doc)

    def _merge_and_save(self, doc: JournalDoc) -> None:
        self.check_lease()
        latest = self.store.load()
        mine, theirs = doc.current, latest.current
        if (mine is None) != (theirs is None) or (mine and theirs and mine.id != theirs.id):
            raise StoreError(
                f"{self.store.describe()}: the journal changed under this run "
                f"(deployment {theirs.id if theirs else 'none'}); nothing more was written"
            )
        if mine is not None and theirs is not None:
            mine.request = stronger_request(mine.request, theirs.request)
        doc.finalized_migrations = sorted({*doc.finalized_migrations, *latest.finalized_migrations})
        doc.version = latest.version
        self.store.save(doc)

    def check_lease(self) -> None:
        """Raise LeaseLost unless this run holds the listener lock now."""
        holder = self.store.lock_info()
        if holder is None or holder.owner != self.owner.id:
            who = holder.describe() if holder else "nobody (the lock was removed)"
            raise LeaseLost(f"lost the listener lock: it is held by {who}")

    def read(self) -> ListenerState:
        """DescribeListeners."""
        return self.router.read()

    def read_checked(self, dep: Deployment) -> ListenerState:
        """DescribeListeners, compared with the journal: a mismatch is drift (exit 4)."""
        return check_journal(self.read(), dep)

    def poll(self, colour: Colour, phase: Phase) -> list[Reading]:
        """One reading per signal that applies to ``phase``."""
        return [s.poll(colour) for s in self.signals if phase in s.phases]


def check_journal(state: ListenerState, dep: Deployment) -> ListenerState:
    """``state`` if the listener has the weights the journal expects; else drift (exit 4)."""
    if state.weights != dep.weights:
        raise DriftError(
            f"listener {state.arn} changed outside zdd: the journal expects "
            f"{format_weights(dep.weights)}, the listener has {format_weights(state.weights)}. "
            "Nothing was touched; restore the listener or run `zdd abort`."
        )
    return state


@dataclass
class RunState:
    """What one use case learns while it runs; owned by the engine, fresh for each one."""

    listener: ListenerState | None = None  # the last state AWS confirmed to this run
    renewed_at: float = 0.0  # when this run last renewed its lease
    actor: Actor | None = None  # who runs it, detected once

    def who(self, ctx: RunContext) -> Actor:
        """Who runs this release (user, CI job), detected once."""
        if self.actor is None:
            self.actor = Actor.detect(ctx.owner.command)
        return self.actor

    def heartbeat(self, ctx: RunContext, *, force: bool = False) -> None:
        """Renew the lease at most every ``heartbeat_seconds`` (or now, with ``force``)."""
        now = ctx.clock.now()
        if force or now - self.renewed_at >= ctx.settings.heartbeat_seconds:
            ctx.store.heartbeat(ctx.owner)
            self.renewed_at = now


@dataclass(frozen=True)
class _RenewingClock:
    """A clock that renews the lease before each sleep: a long wait under the lock keeps it."""

    inner: Clock
    renew: Callable[[], None]

    def now(self) -> float:
        return self.inner.now()

    def sleep(self, seconds: float) -> None:
        self.renew()
        self.inner.sleep(seconds)


def renewing(ctx: RunContext, run: RunState) -> RunContext:
    """``ctx`` for work done under the lock outside the engine (``Prepare``): its clock
    renews ``run``'s lease whenever the work sleeps."""
    return replace(ctx, clock=_RenewingClock(ctx.clock, lambda: run.heartbeat(ctx)))


Prepare = Callable[[RunContext, Colour], None]
"""Makes the colour about to take traffic ready (scale-up, readiness), under the lock,
with a ``RunContext`` that keeps the lease (``renewing``)."""
