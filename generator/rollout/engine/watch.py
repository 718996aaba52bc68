"""While a stage's hooks run, the release is still watched.

The hooks run in a worker thread; this thread keeps the run's usual loop meanwhile:
the lease is renewed, and while traffic is split the new colour's signals are polled
as a bake polls them. A failing signal (or ``zdd abort``) rolls back at once: the
hooks are told to stop (a command's process group is killed, an ECS task stopped, an
HTTP request abandoned; a Lambda invocation cannot be recalled and is ignored).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from generator.errors import ZddError
from generator.journal.model import Deployment
from generator.rollout.engine.context import RunContext
from generator.rollout.engine.decisions import Rollback, assess
from generator.rollout.ports import Clock, SystemClock

T = TypeVar("T")
STOP_WAIT_SECONDS = 2.0  # how long a stopped hook gets to end before the run goes on
REAL_SLICE_SECONDS = 0.25  # with an injected clock: real time a hook gets per poll


def run_watched(
    ctx: RunContext,
    dep: Deployment,
    work: Callable[[threading.Event], T],
    *,
    stage: str,
    fatal: bool,
) -> T:
    """``work(cancel)``'s result, computed in a worker thread while this thread renews
    the lease and (when traffic is split and the stage is fatal) polls the signals."""
    cancel = threading.Event()
    done = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work(cancel)
        except BaseException as exc:  # handed to the engine's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=f"zdd-hooks-{stage}", daemon=True).start()
    try:
        _watch(ctx, dep, done, stage, fatal)
    except BaseException:
        cancel.set()  # a rollback or a stop signal: the hooks stop too
        done.wait(STOP_WAIT_SECONDS)
        raise
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def _watch(
    ctx: RunContext, dep: Deployment, done: threading.Event, stage: str, fatal: bool
) -> None:
    watch_signals = fatal and _split(dep)
    unknown_since: float | None = None
    renewed = ctx.clock.now()
    while not wait_for(ctx.clock, done, ctx.settings.poll_seconds):
        if ctx.clock.now() - renewed >= ctx.settings.heartbeat_seconds:
            try:
                ctx.store.heartbeat(ctx.owner)
                renewed = ctx.clock.now()
            except ZddError:
                if fatal:
                    raise
        if not watch_signals:
            continue
        readings = ctx.poll(dep.to_colour, "bake")
        verdict = assess(
            readings,
            now=ctx.clock.now(),
            unknown_since=unknown_since,
            grace=ctx.settings.alarm_grace_seconds,
        )
        if verdict.decision == "fail":
            raise Rollback(
                f"{dep.to_colour}: {verdict.reason} (while the {stage} hook ran; it was stopped)"
            )
        unknown_since = verdict.unknown_since
        if _abort_requested(ctx, dep):
            raise Rollback("aborted by zdd abort", status="aborted")


def _abort_requested(ctx: RunContext, dep: Deployment) -> bool:
    """`zdd abort` arrives through the store, as it does during a bake."""
    theirs = ctx.store.load().current
    return theirs is not None and theirs.id == dep.id and theirs.request == "abort"


def _split(dep: Deployment) -> bool:
    """Users are on the new colour: its signals decide, as in a bake."""
    return dep.status in ("in_progress", "waiting_gate") and dep.weights.get(dep.to_colour, 0) > 0


def wait_for(clock: Clock, done: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` of ``clock`` for ``done``; True once it is set.

    The system clock waits on the event itself. An injected clock cannot wait for a
    thread: the work gets a short real slice, then the injected time moves on.
    """
    if isinstance(clock, SystemClock):
        return done.wait(seconds)
    if done.wait(REAL_SLICE_SECONDS):
        return True
    clock.sleep(seconds)
    return done.is_set()
