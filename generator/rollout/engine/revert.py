"""`zdd rollback`: after a promotion, everyone back on the previous colour in one step.

A rollback is a deployment of its own in the journal (strategy ``rollback``,
status ``rolled_back``, reason, who, when), moved by the same write-ahead,
read-back ``move`` as every step, and followed by the ``on_rollback`` hooks.
It does not re-run pre-flight against the old colour's alarms: putting users
back where they were is the emergency exit, not a release. The old colour must
be ready, though: when it was scaled down, it is scaled up and waited for first,
under the lock (or, with ``no_wait``, the rollback is refused).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from generator import interrupts
from generator.colours import Colour
from generator.errors import DriftError, InputError, RefusedError
from generator.journal.model import Deployment, JournalDoc, Step
from generator.rollout.engine.context import Prepare, RunContext, RunState, renewing
from generator.rollout.engine.moves import move
from generator.rollout.engine.stages import run_stage
from generator.rollout.ports import ListenerState, format_weights, weights_for


def previous_colour(doc: JournalDoc, state: ListenerState) -> tuple[Deployment, Colour]:
    """The promotion to undo and the colour it came from; refused unless it is undoable."""
    last = last_promotion(doc)
    if state.live != last.to_colour:
        raise DriftError(
            f"listener {state.arn} has {format_weights(state.weights)}, but the last "
            f"promotion ({last.id}) put everyone on {last.to_colour}: a human must look"
        )
    return last, last.from_colour


def last_promotion(doc: JournalDoc) -> Deployment:
    """The promotion to undo, as the journal tells; refused unless it is the last word."""
    if doc.current is not None and not doc.current.terminal:
        raise RefusedError(
            f"deployment {doc.current.id} is {doc.current.status}: "
            "`zdd abort` rolls a deployment in progress back"
        )
    last = doc.history[-1] if doc.history else None
    if last is None or last.status != "promoted":
        what = f"the last deployment ({last.id}) ended {last.status}" if last else "no deployment"
        raise InputError(f"nothing to roll back: {what}; `zdd rollback` undoes a promotion")
    return last


def revert_promotion(
    ctx: RunContext,
    run: RunState,
    *,
    reason: str,
    prepare: Prepare,
    release: Callable[[Colour], str | None] | None = None,
) -> Deployment:
    """Undo the last promotion; ``prepare`` makes the old colour ready (or raises).

    Under the lock, the listener is read once: that reading is checked against the
    journal, and is the base of the move back. ``prepare`` runs under the lock too,
    keeping the lease. ``release(colour)`` names the version the old colour runs.
    """
    last_promotion(ctx.store.load())  # refused without taking the lock
    ctx.store.acquire(ctx.owner)
    run.renewed_at = ctx.clock.now()
    try:
        state = run.listener = ctx.read()
        promoted, target = previous_colour(ctx.store.load(), state)
        prepare(renewing(ctx, run), target)  # may take minutes: scale-up and readiness
        doc = ctx.store.load()  # preparing may have journalled capacity changes
        again, _ = previous_colour(doc, state)
        if again.id != promoted.id:
            raise RefusedError(f"deployment {again.id} finished while {target} was made ready")
        actor = run.who(ctx)
        dep = Deployment(
            id=uuid.uuid4().hex[:10],
            release=release(target) if release else None,
            strategy="rollback",
            from_colour=promoted.to_colour,
            to_colour=target,
            listener_arn=state.arn,
            schedule=[Step(percent=100, bake_seconds=0)],
            weights=dict(state.weights),
            started_at=ctx.clock.now(),
            outcome_reason=f"{reason} (by {actor.describe()})",
        )
        doc.current = dep
        ctx.emit(
            "rollback.promotion",
            f"rolling back promotion {promoted.id}: all traffic to {target} ({reason})",
            "warning",
            dep=dep,
            by=actor.describe(),
            undoes=promoted.id,
        )
        run.heartbeat(ctx, force=True)  # never move without the lease
        _move_back(ctx, doc, state, target)
    finally:
        ctx.store.release(ctx.owner)
    try:
        ctx.router.point_test_listener(dep.from_colour)
    except Exception as exc:  # cosmetic: users are already back on the old colour
        ctx.emit("test_listener.failed", f"test listener not repointed: {exc}", "warning")
    run_stage(ctx, "on_rollback", dep, fatal=False)
    return dep


def _move_back(ctx: RunContext, doc: JournalDoc, state: ListenerState, target: Colour) -> None:
    """Journal the revert, move all weight to ``target`` and record it once read back.

    Once journalled, the move back runs to its end whatever signals arrive, and
    "rolled back" is written only after DescribeListeners shows it.
    """
    dep = doc.current
    assert dep is not None
    with interrupts.shielded():
        ctx.save(doc)
        wanted = weights_for(target, 100)
        move(ctx, doc, state, wanted, "rollback")
        final = ctx.read()
        if final.weights != wanted:
            raise DriftError(
                f"listener {final.arn} shows {format_weights(final.weights)} after the "
                f"rollback to {target}: a human must look (`zdd resume` retries)"
            )
        dep.status, dep.finished_at = "rolled_back", ctx.clock.now()
        ctx.emit(
            "rollback.done",
            f"rolled back: {target} has all traffic again ({format_weights(final.weights)})",
            "success",
            dep=dep,
        )
        doc.archive_current()
        ctx.save(doc)
