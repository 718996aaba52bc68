"""Deterministic fault points in the engine's phases, for tests.

The engine is not changed for them: its router, store and health signals are
wrapped here. Every call a run makes into one of them passes two numbered points,
``before NAME`` and ``after NAME`` (``after`` only when the call returned), so with a
fake clock a run passes the same points in the same order every time. A test arms
actions at point numbers: deliver a stop signal to this process (once, or twice),
raise an exception, take the listener lock away. A signal delivered at ``after
router.set_weights`` is a stop that arrives while a ModifyListener's reply is on its
way back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from generator.colours import Colour
from generator.journal.model import JournalDoc, LockInfo
from generator.journal.protocol import DeploymentStore, Owner
from generator.rollout.engine.context import RunContext
from generator.rollout.ports import HealthSignal, ListenerState, Phase, Reading, TrafficRouter

Action = Callable[[], None]


class InjectedFault(Exception):
    """An unexpected exception, raised on purpose at a fault point."""


def send_signal(signum: int, times: int = 1) -> Action:
    """Deliver ``signum`` to this process ``times`` times in a row (handlers run at once)."""

    def act() -> None:
        for _ in range(times):
            os.kill(os.getpid(), signum)

    return act


def raise_fault(message: str = "injected fault") -> Action:
    def act() -> None:
        raise InjectedFault(message)

    return act


@dataclass
class FaultPoints:
    """Counts the points a run passes and runs the actions armed at their numbers."""

    actions: dict[int, list[Action]] = field(default_factory=dict)
    named: dict[tuple[str, int], list[Action]] = field(default_factory=dict)
    trace: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)

    def arm(self, number: int, action: Action) -> None:
        """Run ``action`` at the ``number``-th point the run passes (1-based)."""
        self.actions.setdefault(number, []).append(action)

    def on(self, where: str, action: Action, nth: int = 1) -> None:
        """Run ``action`` the ``nth`` time the run passes ``where`` (``after store.save``)."""
        self.named.setdefault((where, nth), []).append(action)

    def passing(self, where: str) -> None:
        self.trace.append(where)
        nth = sum(1 for seen in self.trace if seen == where)
        due = self.actions.pop(len(self.trace), []) + self.named.pop((where, nth), [])
        for action in due:
            self.fired.append(where)
            action()

    def call(self, name: str, fn: Callable[[], Any]) -> Any:
        self.passing(f"before {name}")
        result = fn()
        self.passing(f"after {name}")
        return result


class FaultyRouter:
    """A router whose every call passes fault points."""

    def __init__(self, inner: TrafficRouter, points: FaultPoints) -> None:
        self.inner = inner
        self.points = points

    @property
    def arn(self) -> str:
        return self.inner.arn

    def read(self) -> ListenerState:
        state: ListenerState = self.points.call("router.read", self.inner.read)
        return state

    def set_weights(self, base: ListenerState, weights: dict[Colour, int]) -> ListenerState:
        state: ListenerState = self.points.call(
            "router.set_weights", lambda: self.inner.set_weights(base, weights)
        )
        return state

    def point_test_listener(self, colour: Colour) -> None:
        self.points.call(
            "router.point_test_listener", lambda: self.inner.point_test_listener(colour)
        )


class FaultyStore:
    """A journal store whose every call passes fault points."""

    def __init__(self, inner: DeploymentStore, points: FaultPoints) -> None:
        self.inner = inner
        self.points = points

    def load(self) -> JournalDoc:
        doc: JournalDoc = self.points.call("store.load", self.inner.load)
        return doc

    def save(self, doc: JournalDoc) -> None:
        self.points.call("store.save", lambda: self.inner.save(doc))

    def acquire(self, owner: Owner, *, take_over: bool = False, force: bool = False) -> None:
        self.points.call(
            "store.acquire", lambda: self.inner.acquire(owner, take_over=take_over, force=force)
        )

    def heartbeat(self, owner: Owner) -> None:
        self.points.call("store.heartbeat", lambda: self.inner.heartbeat(owner))

    def release(self, owner: Owner) -> None:
        self.points.call("store.release", lambda: self.inner.release(owner))

    def lock_info(self) -> LockInfo | None:
        info: LockInfo | None = self.points.call("store.lock_info", self.inner.lock_info)
        return info

    def describe(self) -> str:
        return self.inner.describe()


class FaultySignal:
    """A health signal whose every poll passes fault points."""

    def __init__(self, inner: HealthSignal, points: FaultPoints) -> None:
        self.inner = inner
        self.points = points

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def phases(self) -> frozenset[Phase]:
        return self.inner.phases

    def poll(self, colour: Colour) -> Reading:
        reading: Reading = self.points.call(
            f"signal.{self.inner.name}", lambda: self.inner.poll(colour)
        )
        return reading


def wrap_run(ctx: RunContext, points: FaultPoints) -> RunContext:
    """``ctx`` with fault points around its router, store and signals."""
    return replace(
        ctx,
        router=FaultyRouter(ctx.router, points),
        store=FaultyStore(ctx.store, points),
        signals=tuple(FaultySignal(s, points) for s in ctx.signals),
    )
