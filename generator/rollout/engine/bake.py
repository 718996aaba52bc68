"""Pre-flight and bakes: poll the signals, decide (``decisions.assess``), wait for gates."""

from __future__ import annotations

from typing import Literal

from generator.colours import Colour
from generator.errors import PreflightRefused
from generator.journal.model import JournalDoc, stronger_request
from generator.rollout.engine.cadence import Cadence
from generator.rollout.engine.context import RunContext, RunState
from generator.rollout.engine.decisions import Rollback, assess, begin_step, record_verdicts
from generator.rollout.engine.progress import BakeProgress, report_preflight_poll

BakeResult = Literal["baked", "finish"]


def preflight(ctx: RunContext, target: Colour) -> None:
    """Fail closed before any weight moves."""
    unknown_since: float | None = None
    cadence = Cadence.of(ctx)
    while True:
        now = ctx.clock.now()
        readings = ctx.poll(target, "preflight")
        verdict = assess(
            readings,
            now=now,
            unknown_since=unknown_since,
            grace=ctx.settings.alarm_grace_seconds,
        )
        if verdict.decision == "ok":
            return
        if verdict.decision == "fail":
            raise PreflightRefused(
                f"{target} is not fit to take traffic: {verdict.reason}; nothing was moved"
            )
        unknown_since = verdict.unknown_since
        assert unknown_since is not None
        report_preflight_poll(ctx, target, readings, now=now, unknown_since=unknown_since)
        ctx.clock.sleep(max(now + cadence.after(readings) - ctx.clock.now(), 0.0))


def bake(ctx: RunContext, run: RunState, doc: JournalDoc, index: int) -> BakeResult:
    """Poll the new colour's signals until the bake (and any gate) is passed, renewing
    ``run``'s lease as it goes."""
    dep = doc.current
    assert dep is not None
    step = dep.schedule[index]
    start = ctx.clock.now()
    deadline = start + step.bake_seconds
    begin_step(ctx, doc, index, start)
    unknown_since: float | None = None
    gate_since: float | None = None
    progress = BakeProgress(ctx, dep, index, start, deadline)
    cadence = Cadence.of(ctx)
    ctx.emit(
        "bake.start",
        f"baking {step.percent}% on {dep.to_colour} for {step.bake_seconds:g}s",
        dep=dep,
    )
    while True:
        polled_at = ctx.clock.now()
        readings = ctx.poll(dep.to_colour, "bake")
        record_verdicts(ctx, doc, index)
        now = ctx.clock.now()
        verdict = assess(
            readings, now=now, unknown_since=unknown_since, grace=ctx.settings.alarm_grace_seconds
        )
        progress.verdicts(readings, at_gate=gate_since is not None)
        if verdict.decision == "fail":
            raise Rollback(f"{dep.to_colour}: {verdict.reason}")
        unknown_since = verdict.unknown_since
        progress.poll(readings, now=now, unknown_since=unknown_since, gate_since=gate_since)
        request = pending_request(ctx, doc)
        if request == "abort":
            raise Rollback("aborted by zdd abort", status="aborted")
        if request == "promote" and (gate_since is not None or not step.gate):
            clear_request(ctx, doc)
            if gate_since is None:
                return "finish"
            ctx.emit("gate.passed", f"gate at {step.percent}% passed by zdd promote", dep=dep)
            break
        run.heartbeat(ctx)
        if now >= deadline and unknown_since is None:
            if not step.gate:
                break
            gate_since = _wait_at_gate(ctx, doc, now, gate_since)
        # A cadence (P, jittered; longer while throttled) from when this poll started, so
        # the work done between polls does not stretch the interval.
        wait = polled_at + cadence.after(readings) - ctx.clock.now()
        remaining = deadline - ctx.clock.now()
        if remaining > 0:
            wait = min(wait, remaining)
        ctx.clock.sleep(max(wait, 0.0))
    dep.status = "in_progress"
    dep.baked_index = index
    ctx.emit("bake.passed", f"baked {step.percent}% on {dep.to_colour}", "success", dep=dep)
    ctx.save(doc)
    return "baked"


def _wait_at_gate(ctx: RunContext, doc: JournalDoc, now: float, gate_since: float | None) -> float:
    """Baked, at a manual gate: journal the wait once; roll back when it times out."""
    dep = doc.current
    assert dep is not None
    if gate_since is None:
        dep.status = "waiting_gate"
        ctx.emit(
            "gate.waiting",
            f"baked {dep.schedule[dep.step_index].percent}%: "
            "waiting for `zdd promote` (or `zdd abort`)",
            "warning",
            dep=dep,
        )
        ctx.save(doc)
        return now
    if now - gate_since >= ctx.settings.gate_timeout_seconds:
        raise Rollback(f"gate not promoted within {ctx.settings.gate_timeout_seconds:g}s")
    return gate_since


def pending_request(ctx: RunContext, doc: JournalDoc) -> str | None:
    """Requests from `zdd promote` / `zdd abort` arrive through the store."""
    latest = ctx.store.load()
    mine = doc.current
    theirs = latest.current
    if mine is None or theirs is None or theirs.id != mine.id or not theirs.request:
        return None
    doc.version = latest.version
    mine.request = stronger_request(mine.request, theirs.request)
    return mine.request


def clear_request(ctx: RunContext, doc: JournalDoc) -> None:
    assert doc.current is not None
    doc.current.request = None
    ctx.save(doc)
