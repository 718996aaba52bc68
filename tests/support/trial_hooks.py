"""The ``hook_trickle`` fault-trial kind of issue 24 (class 5): a hook that trickles.

A release whose hook of one stage is an http hook against a server that answers at
once and then sends its body one byte at a time, for longer than the hook's timeout:
``pre_traffic`` (fatal, before any split), ``post_step`` (fatal, at a split) or
``post_promote`` (not fatal). From the seed, besides the store (local or DynamoDB): at a
split, the new colour's alarm fires as the hook starts; at the first lease renewal while
the hook runs, an exception is raised or a stop signal delivered.

What must hold, besides the invariant (after the run, then after `zdd resume`):

* the run ends without waiting for the trickle: the server never sent its whole body;
* a fatal hook stops the release: it ends failed or rolled back (or rolling back, for
  `zdd resume`), on the old colour; after a ``post_promote`` hook it stays promoted;
* with no other fault: exit 1 for a fatal stage, 0 for ``post_promote``, and the hook's
  failure (deadline exceeded) is journalled (a refusal at ``pre_traffic``, an event);
* an alarm read as firing while the hook ran rolls back at once, without the hook's
  result: the reason names the hook and the journal has no ``hook.post_step.failed``;
* the lease is renewed while the hook runs: after each of the watch's waits but the last.

Real durations stay small (timeout 0.6 s, trickle 1.5 s); every check is about what
the run did, in the order it did it, never about how long it took.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from generator.colours import Colour, other_colour
from generator.config import Hooks
from generator.config.rollout import AnyHook
from generator.hooks import HookRunner
from generator.hooks.command import HookResult
from generator.journal.model import JournalDoc
from generator.journal.protocol import DeploymentStore, Owner
from generator.rollout.engine.context import RunContext
from generator.rollout.ports import Clock, HealthSignal, Reading
from tests.support.fault_points import (
    FaultPoints,
    FaultySignal,
    FaultyStore,
    raise_fault,
    send_signal,
)
from tests.support.invariant import Ending, Verdict, check_ending, check_finished, last_finished
from tests.support.slow_servers import TrickleServer

if TYPE_CHECKING:
    import threading

    from tests.support.trials import TrialPlan, TrialResult, Trials

# Outlasts two of the watch's real slices (watch.REAL_SLICE_SECONDS, 0.25 s): the lease
# renewal between them is then certain, whatever the machine's load.
HOOK_TIMEOUT = 0.6
TRICKLE_SECONDS = 1.5
TRICKLE_INTERVAL = 0.05
HOOK_STAGES = ("pre_traffic", "post_step", "post_promote")
FATAL = ("pre_traffic", "post_step")
EXTRA_FAULTS = ("", "", "exception", "signal")  # at the first renewal while the hook runs


def plan_hook_trickle(trials: Trials, plan: TrialPlan, rng: random.Random) -> TrialPlan:
    stage, alarm, how = rng.choice(HOOK_STAGES), rng.randint(0, 1), rng.choice(EXTRA_FAULTS)
    return plan.with_(stage=stage, variant=alarm if stage == "post_step" else 0, how=how)


@dataclass
class Probe:
    """What the run did around the hook, in order: ``start`` and ``end`` of the hook (its
    thread); ``sleep`` (a wait of the clock), ``renew`` (the lease) and ``poll STATE``
    (the new colour's signals), from the engine's thread."""

    fault: Callable[[], None] | None = None  # fired at the first renewal while the hook runs
    log: list[str] = field(default_factory=list)
    running: bool = False
    fired: list[str] = field(default_factory=list)

    def during(self) -> list[str]:
        """What the engine did between the hook's start and its end."""
        if "start" not in self.log:
            return []
        since = self.log[self.log.index("start") + 1 :]
        return since[: since.index("end")] if "end" in since else since


@dataclass
class TrickleRunner(HookRunner):
    """The hook runner, noting when the hook runs; ``on_start`` fires the alarm."""

    probe: Probe = field(default_factory=Probe)
    on_start: Callable[[], None] | None = None

    def run(
        self,
        hooks: Sequence[AnyHook],
        env: Mapping[str, str],
        colour: Colour,
        *,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        cancel: threading.Event | None = None,
    ) -> list[HookResult]:
        if self.on_start is not None:
            self.on_start()
        self.probe.running = True
        self.probe.log.append("start")
        try:
            return super().run(hooks, env, colour, now=now, sleep=sleep, cancel=cancel)
        finally:
            self.probe.log.append("end")
            self.probe.running = False


@dataclass(frozen=True)
class _NotedClock:
    inner: Clock
    probe: Probe

    def now(self) -> float:
        return self.inner.now()

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
        self.probe.log.append("sleep")


class _NotedStore(FaultyStore):
    """Notes each lease renewal; fires the plan's fault at the first during the hook."""

    def __init__(self, inner: DeploymentStore, probe: Probe) -> None:
        super().__init__(inner, FaultPoints())
        self.probe = probe

    def heartbeat(self, owner: Owner) -> None:
        fault = self.probe.fault
        if fault is not None and self.probe.running:
            self.probe.fault = None
            self.probe.fired.append("store.heartbeat while the hook ran")
            fault()
        super().heartbeat(owner)
        self.probe.log.append("renew")


class _NotedSignal(FaultySignal):
    def __init__(self, inner: HealthSignal, probe: Probe) -> None:
        super().__init__(inner, FaultPoints())
        self.probe = probe

    def poll(self, colour: Colour) -> Reading:
        reading = super().poll(colour)
        self.probe.log.append(f"poll {reading.state}")
        return reading


def _adapt(ctx: RunContext, stage: str, runner: TrickleRunner) -> RunContext:
    """The trial's context: one trickling http hook; renewals due at every poll."""
    hook = {"http": {"path": "/ready", "retries": 0}, "timeout_seconds": HOOK_TIMEOUT}
    probe = runner.probe
    return replace(
        ctx,
        clock=_NotedClock(ctx.clock, probe),
        store=_NotedStore(ctx.store, probe),
        signals=tuple(_NotedSignal(s, probe) for s in ctx.signals),
        settings=replace(ctx.settings, heartbeat_seconds=ctx.settings.poll_seconds),
        hooks=Hooks.model_validate({stage: [hook]}),
        hook_runner=runner,
    )


def run_hook_trickle(trials: Trials, plan: TrialPlan) -> TrialResult:
    world = trials.world
    old = world.env.live_colour
    alarm = world.outputs.alarm_names[other_colour(old)][0]
    cloudwatch = world.client("cloudwatch", faulty=False)

    def set_alarm(state: str) -> None:
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue=state, StateReason="trial")

    faults = {"exception": raise_fault("injected while the hook ran")}
    fault = faults.get(plan.how, send_signal(plan.signum) if plan.how else None)
    server = TrickleServer(seconds=TRICKLE_SECONDS, interval=TRICKLE_INTERVAL)
    runner = TrickleRunner(cwd=world.workdir, test_url=server.url, probe=Probe(fault))
    runner.on_start = (lambda: set_alarm("ALARM")) if plan.variant else None
    try:
        run = trials.run_shift(
            plan, FaultPoints(), faulty=False, adapt=lambda ctx: _adapt(ctx, plan.stage, runner)
        )
        sent, size, requests = server.sent, server.size, server.requests
    finally:
        server.close()
        if plan.variant:
            set_alarm("OK")
    verdict = check_ending(world.weights(), run.store.load(), run.ending, old)
    if sent >= size:
        verdict.lies.append(f"the run waited for the whole trickle ({sent} of {size} bytes)")
    _check_run(plan, run.ending, run.store.load(), runner.probe, verdict)
    final = trials.finish(plan, run.clock, run.store, run.ending)
    verdict.lies += final.lies
    verdict.stuck += final.stuck
    if not final.stuck:
        must = old if plan.stage in FATAL else other_colour(old)
        end = check_finished(world.weights(), run.store.load(), must_end_on=must)
        verdict.lies += end.lies
        verdict.stuck += end.stuck
    met = [f"{plan.stage} hook trickled"] if requests else []
    return trials.result(plan, run.ending, verdict, met + runner.probe.fired)


def _check_run(plan: TrialPlan, ending: Ending, doc: JournalDoc, probe: Probe, v: Verdict) -> None:
    """What the hook's stage, alarm and fault say about how the run ended."""
    dep, last = doc.current, last_finished(doc)
    fatal = plan.stage in FATAL
    if "start" not in probe.log:
        v.lies.append(f"the {plan.stage} hook never ran")
    if fatal and dep is not None and dep.status in ("in_progress", "waiting_gate"):
        v.lies.append(f"a fatal {plan.stage} hook failed, but {dep.id} is still {dep.status}")
    if fatal and last is not None and last.status == "promoted":
        v.lies.append(f"a fatal {plan.stage} hook never passes, but {last.id} was promoted")
    if not fatal and (last is None or last.status != "promoted"):
        v.lies.append(f"a post_promote hook undid a promotion: {last and last.status}")
    during = probe.during()
    if "poll firing" in during:  # the watch read the alarm while the hook ran
        if f"while the {plan.stage} hook ran" not in ending.message:
            v.lies.append(f"the alarm fired during the hook, but the run said {ending.message}")
        if last is not None and any(e.kind.endswith(".failed") for e in last.events):
            v.lies.append("the rollback waited for the hook's result")
        return
    if plan.how:
        return
    if ending.code != (1 if fatal else 0):
        v.lies.append(f"a timed-out {plan.stage} hook ended with exit {ending.code}")
    if not _failure_journalled(plan.stage, doc):
        v.lies.append(f"the {plan.stage} hook's deadline is not in the journal")
    waits, renewals = during.count("sleep"), during.count("renew")
    if renewals < waits - 1:
        v.lies.append(f"{waits} waits while the hook ran, but {renewals} lease renewals")


def _failure_journalled(stage: str, doc: JournalDoc) -> bool:
    if stage == "pre_traffic":
        said = [r.reason for r in doc.refusals if r.stage == stage]
    else:
        events = last.events if (last := last_finished(doc)) is not None else []
        said = [e.message for e in events if e.kind == f"hook.{stage}.failed"]
    return any("deadline exceeded" in s for s in said)
