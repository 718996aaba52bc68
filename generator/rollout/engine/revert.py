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
from generator.errors import (
    DriftError,
    InputError,
    LeaseLost,
    RefusedError,
    RollbackUnfinished,
    StoreError,
)
from generator.journal.model import UNDO_STRATEGY, Deployment, JournalDoc, Step
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
        then = (
            "`zdd resume` finishes that rollback"
            if doc.current.is_undo
            else "`zdd abort` rolls a deployment in progress back"
        )
        raise RefusedError(f"deployment {doc.current.id} is {doc.current.status}: {then}")
    last = doc.history[-1] if doc.history else None
    if last is None or last.status != "promoted":
        what = f"the last deployment ({last.id}) ended {last.status}" if last else "no deployment"
        raise InputError(f"nothing to roll back: {what}; `zdd rollback` undoes a promotion")
    return last


def refuse_undo(dep: Deployment, what: str) -> None:
    """`zdd promote` and `zdd abort` never act on an unfinished `zdd rollback`: promoting
    it is meaningless and aborting it would send users forward, to the build being undone."""
    if dep.is_undo and not dep.terminal:
        raise RefusedError(
            f"deployment {dep.id} is a `zdd rollback` ({dep.from_colour} -> {dep.to_colour}) "
            f"left {dep.status}: `zdd {what}` never turns a rollback forward. Run `zdd "
            f"resume` to finish it (all traffic back to {dep.to_colour}); nothing was touched"
        )


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
    # A holder that is gone (an earlier `zdd rollback` or release stopped before it
    # journalled anything, so before it moved anything) must not block the emergency
    # exit: with no deployment in progress its lock is taken over. A live holder refuses.
    ctx.store.acquire(ctx.owner, take_over=True)
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
            strategy=UNDO_STRATEGY,
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
        _move_back(ctx, doc, state)
    finally:
        ctx.store.release(ctx.owner)
    after_revert(ctx, dep)
    return dep


def complete_revert(
    ctx: RunContext, run: RunState, doc: JournalDoc, state: ListenerState, by: str
) -> Deployment:
    """Finish an interrupted `zdd rollback` (``doc.current``) *as a rollback*: all weight
    to the colour it undoes towards, never forward. ``state``: the listener as the caller
    just read it under the lock, reconciled with the journal (``moves.reconcile``)."""
    dep = doc.current
    assert dep is not None and dep.is_undo and not dep.terminal
    ctx.emit(
        "deployment.resume",
        f"finishing rollback {dep.id} by {by}: all traffic back to {dep.to_colour}",
        "warning",
        dep=dep,
    )
    dep.outcome_reason = f"{dep.outcome_reason or 'rollback'} (completed by {by})"
    run.heartbeat(ctx, force=True)
    _move_back(ctx, doc, state)
    after_revert(ctx, dep)
    return dep


def after_revert(ctx: RunContext, dep: Deployment) -> None:
    """Once users are back (journalled): test traffic to the undone colour, then hooks."""
    try:
        ctx.router.point_test_listener(dep.from_colour)
    except Exception as exc:  # cosmetic: users are already back on the old colour
        ctx.emit("test_listener.failed", f"test listener not repointed: {exc}", "warning")
    run_stage(ctx, "on_rollback", dep, fatal=False)


def _move_back(ctx: RunContext, doc: JournalDoc, state: ListenerState) -> None:
    """Journal the revert, move all weight to its colour and record it once read back.

    Once journalled, the move back runs to its end whatever signals arrive, and
    "rolled back" is written only after DescribeListeners shows it (exact weights). If
    AWS or the journal fails meanwhile, the journal keeps the rollback unfinished, and
    `zdd resume` finishes it as a rollback.
    """
    dep = doc.current
    assert dep is not None
    target = dep.to_colour
    wanted = weights_for(target, 100)
    journalled = False
    with interrupts.shielded():
        try:
            ctx.save(doc)
            journalled = True
            if state.weights != wanted:
                move(ctx, doc, state, wanted, "rollback")
            final = ctx.read()
        except (DriftError, LeaseLost):
            raise
        except Exception as exc:
            then = (
                "The journal records it; `zdd resume` finishes it (back to " + target + ")"
                if journalled
                else "Nothing was moved; run `zdd rollback` again"
            )
            raise RollbackUnfinished(
                f"rolling back to {target} could not be finished: {exc}. {then}"
            ) from None
        if final.weights != wanted:
            raise DriftError(
                f"listener {final.arn} shows {format_weights(final.weights)} after the "
                f"rollback to {target}: a human must look (`zdd resume` retries)"
            )
        dep.weights, dep.pending = dict(final.weights), None
        dep.status, dep.finished_at = "rolled_back", ctx.clock.now()
        ctx.emit(
            "rollback.done",
            f"rolled back: {target} has all traffic again ({format_weights(final.weights)})",
            "success",
            dep=dep,
        )
        doc.archive_current()
        try:
            ctx.save(doc)
        except (LeaseLost, StoreError) as exc:
            raise StoreError(
                f"rolled back to {target} (verified), but the journal could not record it "
                f"({exc}); `zdd resume` records it"
            ) from None
