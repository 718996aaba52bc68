"""Seeded fault trials: one release under one injected fault, then the invariant.

A trial picks, from its seed, a store (local directory or DynamoDB), a schedule and a
fault: a stop signal (SIGINT, SIGTERM, SIGHUP) at a fault point, once or twice; an
exception at a fault point, once or twice; an HTTP fault on one AWS operation (lost
reply, slow reply, reset, 5xx, throttling), alone or with a signal; the listener
lock deleted or taken over by a live run. It runs the release in this process
(AWS through the fault proxy, a fake clock), checks the invariant against the real
listener and journal, then finishes what was left with `zdd resume` (or `zdd abort`
when the error says so) and checks again. Used by the integration suite and by
``benchmarks/run``.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from generator import interrupts
from generator.config import Hooks, Strategy
from generator.errors import ReleaseFailed, ZddError
from generator.journal.model import Step
from generator.journal.protocol import DeploymentStore, Owner
from generator.rollout.aws.wiring import build_engine
from generator.rollout.engine.context import RunContext
from generator.rollout.engine.engine import Engine, ReleaseSpec
from tests.support.clients import aws_clients
from tests.support.fault_points import FaultPoints, raise_fault, send_signal, wrap_run
from tests.support.faults import FAULT_KINDS, Fault
from tests.support.invariant import Ending, Verdict, check_ending, check_finished
from tests.support.trial_kinds import (
    BASE_TRIALS,
    NEW_KINDS,
    PER_NEW_KIND,
    promote_first,
    undo_engine,
)
from tests.support.trial_world import TrialWorld, dead_pid

TrialKind = Literal[
    "signal",
    "signal_twice",
    "exception",
    "exception_twice",
    "http",
    "http_signal",
    "lease_deleted",
    "lease_stolen",
    "exact_split",
    "racing_requests",
    "undo_interrupted",
    "hook_trickle",
]
FIRST_KINDS: tuple[TrialKind, ...] = (  # seeds below BASE_TRIALS, by seed % 8
    "signal",
    "signal_twice",
    "exception",
    "exception_twice",
    "http",
    "http_signal",
    "lease_deleted",
    "lease_stolen",
)
KINDS: tuple[TrialKind, ...] = (*FIRST_KINDS, *NEW_KINDS)  # type: ignore[arg-type]
TRIALS = BASE_TRIALS + PER_NEW_KIND * len(NEW_KINDS)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STEPS = ((10, 100), (10, 50, 100))
AWS_OPERATIONS = ("ModifyListener", "DescribeListeners", "DescribeAlarms")
STORE_OPERATIONS = ("GetItem", "PutItem", "DeleteItem")


class FakeClock:
    """Time for a trial: sleeping only moves it on."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)


@dataclass(frozen=True)
class TrialPlan:
    seed: int
    kind: TrialKind
    store: Literal["local", "dynamodb"]
    steps: tuple[int, ...]
    point: int = 0  # fault point number (1-based)
    second: int = 0  # a second signal or exception: its point (0: right after the first)
    signum: int = signal.SIGTERM
    fault: Fault | None = None
    variant: int = 0  # exact_split: which near split
    requests: tuple[str, ...] = ()  # racing_requests: in order; undo: what is asked after
    how: str = ""  # undo_interrupted: exception, http or signal; hook_trickle: also ""
    stage: str = ""  # hook_trickle: the stage whose http hook trickles

    def with_(self, **changes: Any) -> TrialPlan:
        return replace(self, **changes)

    def describe(self) -> str:
        what = {
            "signal": f"{signal.Signals(self.signum).name} at point {self.point}",
            "signal_twice": f"{signal.Signals(self.signum).name} at {self.point} and "
            f"{self.second or 'at once'}",
            "exception": f"exception at point {self.point}",
            "exception_twice": f"exceptions at {self.point} and {self.second}",
            "http": f"{self.fault}",
            "http_signal": f"{self.fault} and {signal.Signals(self.signum).name} at {self.point}",
            "lease_deleted": f"lock deleted at point {self.point}",
            "lease_stolen": f"lock taken by a live run at point {self.point}",
            "exact_split": f"a near split set by hand at point {self.point}",
            "racing_requests": f"requests {list(self.requests)} at point {self.point}",
            "undo_interrupted": f"zdd rollback meets {self.how} "
            f"({self.fault or f'point {self.point}'}), then {self.requests}",
            "hook_trickle": f"a trickling {self.stage} hook"
            + (", the alarm fires meanwhile" if self.variant else "")
            + (f", {self.how} at its first lease renewal" if self.how else ""),
        }[self.kind]
        return f"seed {self.seed}: {self.store} store, steps {list(self.steps)}, {what}"


@dataclass
class TrialResult:
    plan: TrialPlan
    ending: Ending
    verdict: Verdict
    fired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.verdict.lies and not self.verdict.stuck

    def describe(self) -> str:
        problems = [f"LIE {x}" for x in self.verdict.lies] + [
            f"STUCK {x}" for x in self.verdict.stuck
        ]
        return (
            f"{self.plan.describe()} -> exit {self.ending.code} ({self.ending.message[:160]})"
            f" fired at {self.fired}" + ("".join(f"\n  {p}" for p in problems))
        )


@dataclass
class _Run:
    clock: FakeClock
    ending: Ending
    store: DeploymentStore  # the run's journal, read without faults
    calls: dict[str, int]  # AWS calls per operation, through the proxy
    injected: list[str]  # HTTP faults the proxy injected


class Trials:
    """Runs seeded trials against one ``TrialWorld``."""

    def __init__(self, world: TrialWorld) -> None:
        self.world = world
        self.dead = dead_pid()
        self._shape: dict[tuple[str, tuple[int, ...]], tuple[int, dict[str, int]]] = {}
        self._traces: dict[tuple[str, tuple[int, ...]], list[str]] = {}

    # -- planning --------------------------------------------------------------

    def shape(
        self, store: Literal["local", "dynamodb"], steps: tuple[int, ...]
    ) -> tuple[int, dict[str, int]]:
        """Points a clean run passes, and its calls per AWS operation (measured once)."""
        key = (store, steps)
        if key not in self._shape:
            plan = TrialPlan(seed=-len(self._shape) - 1, kind="http", store=store, steps=steps)
            points = FaultPoints()
            run = self.run_shift(plan, points)
            self._shape[key] = (len(points.trace), run.calls)
            self._traces[key] = list(points.trace)
        return self._shape[key]

    def trace(self, store: Literal["local", "dynamodb"], steps: tuple[int, ...]) -> list[str]:
        """The points a clean run passes, in order."""
        self.shape(store, steps)
        return self._traces[(store, steps)]

    def undo_shape(self, store: Literal["local", "dynamodb"]) -> tuple[int, dict[str, int]]:
        """Points a clean `zdd rollback` passes, and its AWS calls (measured once)."""
        key = (store, ())
        if key not in self._shape:
            plan = TrialPlan(-100 - len(self._shape), "undo_interrupted", store, (100,))
            points = FaultPoints()
            undo = self.run_undo(plan, points)
            assert undo.ending.code == 0, undo.ending.message
            self._shape[key] = (len(points.trace), undo.calls)
        return self._shape[key]

    def plan(self, seed: int) -> TrialPlan:
        if seed >= BASE_TRIALS:
            return self._plan_new(seed)
        rng = random.Random(seed)
        kind = FIRST_KINDS[seed % len(FIRST_KINDS)]
        store: Literal["local", "dynamodb"] = rng.choice(("local", "dynamodb"))
        steps = rng.choice(STEPS)
        total, calls = self.shape(store, steps)
        point = rng.randint(1, total)
        second = rng.choice((0, min(total, point + rng.randint(1, 12))))
        signum = rng.choice(STOP_SIGNALS)
        fault = None
        if kind in ("http", "http_signal"):
            operations = AWS_OPERATIONS + (STORE_OPERATIONS if store == "dynamodb" else ())
            operation = rng.choice([op for op in operations if calls.get(op)])
            fault = Fault(
                operation,
                rng.choice(FAULT_KINDS),
                nth=rng.randint(1, calls[operation]),
                times=rng.choice((1, 1, 2)),
                delay=self.world.read_timeout * 2,
            )
        if kind == "exception_twice" and not second:
            second = min(total, point + 1)
        return TrialPlan(seed, kind, store, steps, point, second, signum, fault)

    def _plan_new(self, seed: int) -> TrialPlan:
        """Seeds from BASE_TRIALS on: the kinds of ``trial_kinds.NEW_KINDS`` in turn."""
        rng = random.Random(seed)
        names = list(NEW_KINDS)
        kind: TrialKind = names[(seed - BASE_TRIALS) % len(names)]  # type: ignore[assignment]
        store: Literal["local", "dynamodb"] = rng.choice(("local", "dynamodb"))
        plan = TrialPlan(seed, kind, store, rng.choice(STEPS), signum=rng.choice(STOP_SIGNALS))
        return NEW_KINDS[kind][0](self, plan, rng)

    # -- running ---------------------------------------------------------------

    def run(self, seed: int) -> TrialResult:
        plan = self.plan(seed)
        if plan.kind in NEW_KINDS:
            return NEW_KINDS[plan.kind][1](self, plan)
        points = FaultPoints()
        self._arm(plan, points)
        run = self.run_shift(plan, points)
        clock, ending, store = run.clock, run.ending, run.store
        doc = store.load()
        weights = self.world.weights()
        verdict = check_ending(weights, doc, ending, self.world.env.live_colour)
        interrupted = bool(points.fired) and plan.kind in ("signal", "signal_twice", "http_signal")
        dep = doc.current
        unfinished = dep is not None and not dep.terminal
        if (
            unfinished
            and interrupted
            and dep is not None
            and dep.status != "rolling_back"
            and "zdd abort" not in ending.message
        ):
            verdict.lies.append(f"stopped by a signal, but the journal says {dep.status}")
        must_end_on = None
        if unfinished and dep is not None and (interrupted or dep.status == "rolling_back"):
            must_end_on = dep.from_colour
        final = self._finish(plan, clock, store, ending)
        verdict.lies += final.lies
        verdict.stuck += final.stuck
        if not final.stuck:
            end = check_finished(self.world.weights(), store.load(), must_end_on=must_end_on)
            verdict.lies += end.lies
            verdict.stuck += end.stuck
        return TrialResult(plan, ending, verdict, points.fired + run.injected)

    def _arm(self, plan: TrialPlan, points: FaultPoints) -> None:
        if plan.kind in ("signal", "http_signal"):
            points.arm(plan.point, send_signal(plan.signum))
        elif plan.kind == "signal_twice":
            if plan.second:
                points.arm(plan.point, send_signal(plan.signum))
                points.arm(plan.second, send_signal(random.Random(plan.seed).choice(STOP_SIGNALS)))
            else:
                points.arm(plan.point, send_signal(plan.signum, times=2))
        elif plan.kind in ("exception", "exception_twice"):
            points.arm(plan.point, raise_fault(f"injected at point {plan.point}"))
            if plan.kind == "exception_twice":
                points.arm(plan.second, raise_fault(f"injected again at point {plan.second}"))
        elif plan.kind == "lease_deleted":
            points.arm(plan.point, lambda: self.world.delete_lock(plan.store, plan.seed))
        elif plan.kind == "lease_stolen":
            thief = Owner("thief-" + str(plan.seed), socket.gethostname(), os.getpid(), "resume")
            points.arm(plan.point, lambda: self.world.steal_lock(plan.store, plan.seed, thief))

    def result(
        self, plan: TrialPlan, ending: Ending, verdict: Verdict, fired: list[str]
    ) -> TrialResult:
        return TrialResult(plan, ending, verdict, list(fired))

    def finish(
        self, plan: TrialPlan, clock: FakeClock, store: DeploymentStore, ending: Ending
    ) -> Verdict:
        return self._finish(plan, clock, store, ending)

    def run_undo(self, plan: TrialPlan, points: FaultPoints) -> _Run:
        """A promotion without faults, then `zdd rollback` under ``points`` and the plan's
        HTTP fault; what it ended with and the faults the proxy injected."""
        self.world.reset()
        clock = FakeClock()
        promote_first(self, plan, clock)
        if plan.fault is not None:
            self.world.proxy.arm(plan.fault)
        engine = undo_engine(self, plan, clock, points)
        outcome = _guarded(lambda: engine.revert(reason="trial", prepare=lambda r, c: None))
        calls = dict(self.world.proxy.calls)
        injected = [f"{kind} of {operation}" for operation, kind in self.world.proxy.injected]
        self.world.proxy.clear()
        store = self.world.store(plan.store, plan.seed, clock, faulty=False)
        return _Run(clock, Ending.of(outcome), store, calls, injected)

    def run_shift(
        self,
        plan: TrialPlan,
        points: FaultPoints,
        *,
        live_owner: bool = False,
        faulty: bool = True,
        adapt: Callable[[RunContext], RunContext] | None = None,
    ) -> _Run:
        """One release under ``points``; ``live_owner``: its lock holder looks alive;
        ``faulty``: AWS through the proxy; ``adapt``: changes the run's context."""
        world = self.world
        world.reset()
        if plan.fault is not None:
            world.proxy.arm(plan.fault)
        clock = FakeClock()
        pid = os.getpid() if live_owner else self.dead
        owner = Owner(uuid.uuid4().hex[:12], socket.gethostname(), pid, "shift")
        plain = self.engine(
            world.store(plan.store, plan.seed, clock, faulty=faulty), clock, owner, faulty=faulty
        )
        ctx = wrap_run(plain.ctx, points)
        engine = Engine(adapt(ctx) if adapt is not None else ctx)
        schedule = [Step(percent=p, bake_seconds=10) for p in plan.steps]
        outcome = _guarded(lambda: engine.shift(ReleaseSpec(schedule, "steps")))
        calls = dict(world.proxy.calls)
        injected = [f"{kind} of {operation}" for operation, kind in world.proxy.injected]
        world.proxy.clear()
        store = world.store(plan.store, plan.seed, clock, faulty=False)
        return _Run(clock, Ending.of(outcome), store, calls, injected)

    def engine(
        self, store: DeploymentStore, clock: FakeClock, owner: Owner, *, faulty: bool
    ) -> Engine:
        world = self.world
        # The plain emulator runs no tasks: no healthy targets needed.
        strategy = Strategy(min_healthy_targets=0, poll_seconds=5, alarm_grace_seconds=10)
        clients = aws_clients(
            world.emulator.session(),
            elbv2=world.client("elbv2", faulty=faulty),
            cloudwatch=world.client("cloudwatch", faulty=faulty),
        )
        env = world.env.model_copy(
            update={"strategy": strategy, "hooks": Hooks(), "analysis": None}
        )
        return build_engine(env, world.outputs, clients, store, clock=clock, owner=owner)

    def _finish(
        self, plan: TrialPlan, clock: FakeClock, store: DeploymentStore, ending: Ending
    ) -> Verdict:
        """What an operator does next: `zdd resume`, or `zdd abort` when the error says so."""
        verdict = Verdict()
        clock.t += 3600  # the run is over: its lease has long expired
        if plan.kind == "lease_stolen":
            self.world.delete_lock(plan.store, plan.seed)  # the other run finished meanwhile
        doc = store.load()
        if doc.current is None or doc.current.terminal:
            return verdict
        engine = self.engine(store, clock, Owner.current("resume"), faulty=False)
        what = "abort" if "zdd abort" in ending.message else "resume"
        outcome = _guarded(engine.resume if what == "resume" else lambda: engine.request("abort"))
        if outcome is not None and not isinstance(outcome, ReleaseFailed):
            verdict.stuck.append(f"`zdd {what}` failed: {Ending.of(outcome).message}")
        return verdict


def _guarded(call: Callable[[], Any]) -> BaseException | None:
    """Run ``call`` with zdd's stop-signal handling installed; return what it raised."""
    saved = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    interrupts.install()
    try:
        call()
    except (ZddError, KeyboardInterrupt, Exception) as exc:
        return exc
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        interrupts.reset()
    return None
