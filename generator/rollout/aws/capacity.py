"""An idle colour sized to its job: scaled up for a release, down once it is retired.

With ``capacity.idle: scaled_down`` the idle colour runs 0 tasks between
releases. A release (or ``zdd rollback``) scales it up to the live colour's
count before readiness; after a deployment ends, the colour without traffic
stays at full size for ``capacity.scale_down_after_seconds`` (the window of an
instant rollback), then goes to 0 tasks. The running zdd does that if it is
still running; otherwise ``zdd finalize`` does. When a scale-down is due is
derived from the journal (the last deployment's end) and the listener (which
colour is idle); each resize is journalled, which is also how ``zdd status
--history`` reports what scaling down saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.colours import Colour, other_colour
from generator.config import Environment
from generator.errors import LockHeld
from generator.infra.ecs import EcsServices
from generator.infra.outputs import StackOutputs
from generator.journal.model import CapacityChange, JournalDoc
from generator.journal.protocol import update
from generator.rollout.engine.context import RunContext

CAPACITY_LIMIT = 200  # journalled resizes kept


def record(run: RunContext, change: CapacityChange) -> None:
    def add(doc: JournalDoc) -> None:
        doc.capacity = [*doc.capacity, change][-CAPACITY_LIMIT:]

    update(run.store, add)


def scale_up(
    run: RunContext,
    services: EcsServices,
    outputs: StackOutputs,
    env: Environment,
    colour: Colour,
    *,
    reason: str,
) -> int | None:
    """A colour at 0 tasks goes to the live colour's count; None when it had tasks."""
    if outputs.ecs_services is None:
        return None
    ref = outputs.ecs_services[colour]
    if services.describe(ref).desired > 0:
        return None
    live = services.describe(outputs.ecs_services[other_colour(colour)]).desired
    count = max(live, env.capacity.min, 1)
    services.resize(ref, count, min(env.capacity.min, count), max(env.capacity.max, count))
    record(
        run,
        CapacityChange(
            colour=colour, action="scale_up", tasks=count, at=run.clock.now(), reason=reason
        ),
    )
    run.emit("capacity.scale_up", f"scaling {colour} up from 0 to {count} task(s) ({reason})")
    return count


def scale_down(
    run: RunContext,
    services: EcsServices,
    outputs: StackOutputs,
    colour: Colour,
    *,
    reason: str,
    after: str | None = None,
) -> int:
    """``colour`` to 0 tasks (autoscaling bounds 0/0 first); the tasks it had."""
    assert outputs.ecs_services is not None
    ref = outputs.ecs_services[colour]
    had = services.describe(ref).desired
    if had == 0:
        return 0
    services.resize(ref, 0, 0, 0)
    record(
        run,
        CapacityChange(
            colour=colour,
            action="scale_down",
            tasks=had,
            at=run.clock.now(),
            reason=reason,
            deployment=after,
        ),
    )
    run.emit(
        "capacity.scale_down", f"{colour} scaled down: {had} task(s) -> 0 ({reason})", "success"
    )
    return had


@dataclass(frozen=True)
class PendingScaleDown:
    colour: Colour
    due_at: float
    after: str | None  # id of the deployment it follows


def pending_scale_down(doc: JournalDoc, env: Environment, idle: Colour) -> PendingScaleDown | None:
    """When ``idle`` is due to go to 0 tasks, if it is; None when warm, busy or done."""
    if env.capacity.idle != "scaled_down":
        return None
    if doc.current is not None and not doc.current.terminal:
        return None  # a release owns both colours until it ends
    last = doc.history[-1] if doc.history else None
    since = last.finished_at if last is not None and last.finished_at is not None else None
    mine = [c for c in doc.capacity if c.colour == idle and (since is None or c.at >= since)]
    if mine and mine[-1].action == "scale_down":
        return None
    started = [c.at for c in mine if c.action == "scale_up"]
    base = max([since or 0.0, *started])
    due = base + env.capacity.scale_down_after_seconds if base else 0.0
    return PendingScaleDown(idle, due, last.id if last else None)


def _wait_until_due(run: RunContext, pending: PendingScaleDown, poll: float) -> bool:
    """Sleep until the scale-down is due; False when another run took over meanwhile."""
    if run.clock.now() < pending.due_at:
        run.emit(
            "capacity.waiting",
            f"{pending.colour} stays at full size for an instant `zdd rollback` until "
            f"{pending.due_at - run.clock.now():.0f}s from now, then scales to 0 "
            "(stop zdd and `zdd finalize` does it later)",
        )
    try:
        while run.clock.now() < pending.due_at:
            run.clock.sleep(max(0.0, min(poll, pending.due_at - run.clock.now())))
            doc = run.store.load()
            newest = doc.history[-1].id if doc.history else None
            if (doc.current is not None and not doc.current.terminal) or newest != pending.after:
                return False
    except KeyboardInterrupt:
        run.emit(
            "capacity.deferred",
            f"scale-down of {pending.colour} left for `zdd finalize`",
            "warning",
        )
        return False
    return True


def retire_idle(
    run: RunContext,
    services: EcsServices,
    outputs: StackOutputs,
    env: Environment,
    *,
    wait: bool,
    poll: float = 10.0,
) -> int | None:
    """Scale the idle colour to 0 once due (waiting for it with ``wait``); tasks removed.

    Never the live colour: the listener is read, under the listener lock, first.
    """
    if env.capacity.idle != "scaled_down" or outputs.ecs_services is None:
        return None
    live = run.read().live
    if live is None:
        return None
    pending = pending_scale_down(run.store.load(), env, other_colour(live))
    if pending is None:
        return None
    if wait and not _wait_until_due(run, pending, poll):
        return None
    if run.clock.now() < pending.due_at:
        run.emit(
            "capacity.not_due",
            f"{pending.colour} scales to 0 in {pending.due_at - run.clock.now():.0f}s "
            "(capacity.scale_down_after_seconds); run `zdd finalize` then",
        )
        return None
    try:
        run.store.acquire(run.owner)
    except LockHeld as exc:
        run.emit("capacity.busy", f"{pending.colour} not scaled down now: {exc}", "warning")
        return None
    try:
        live = run.read().live
        again = pending_scale_down(run.store.load(), env, pending.colour)
        if live != other_colour(pending.colour) or again is None:
            return None
        return scale_down(
            run,
            services,
            outputs,
            pending.colour,
            reason="idle after the last deployment",
            after=pending.after,
        )
    finally:
        run.store.release(run.owner)


@dataclass(frozen=True)
class Savings:
    colour_hours: float  # hours a colour spent at 0 tasks instead of at full size
    task_hours: float  # the same, weighted by the tasks it would have run


def savings(doc: JournalDoc, now: float) -> Savings:
    """What scaling idle colours down saved, from the journalled resizes."""
    colour_hours = task_hours = 0.0
    for i, change in enumerate(doc.capacity):
        if change.action != "scale_down":
            continue
        ups = [c.at for c in doc.capacity[i + 1 :] if c.colour == change.colour]
        hours = (min(ups) if ups else now) - change.at
        colour_hours += max(hours, 0.0) / 3600
        task_hours += change.tasks * max(hours, 0.0) / 3600
    return Savings(round(colour_hours, 2), round(task_hours, 2))
