"""Moves: write-ahead weight changes, settling an unrecorded one, and rolling back.

A weight change is journalled (intent) before ModifyListener and its verified
outcome after. A move whose outcome is unknown (killed process, lost reply) is
never assumed: it is settled by reading the listener. Rollback reads the listener
first, journals its decision, and then runs to its end even if more stop signals
arrive; it reports "rolled back" only after AWS showed the stable colour with all
the weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from generator import interrupts
from generator.colours import Colour
from generator.errors import (
    DriftError,
    LeaseLost,
    LockHeld,
    ReleaseFailed,
    RollbackUnfinished,
    RoutesDisagree,
    StoreError,
)
from generator.journal.model import Deployment, Intent, JournalDoc
from generator.rollout.engine.context import RunContext, check_journal
from generator.rollout.engine.decisions import Rollback
from generator.rollout.engine.stages import run_stage
from generator.rollout.ports import ListenerState, format_weights, weights_for


def move(
    ctx: RunContext, doc: JournalDoc, state: ListenerState, weights: dict[Colour, int], reason: str
) -> ListenerState:
    """Intent, ModifyListener, verified outcome."""
    dep = doc.current
    assert dep is not None
    dep.pending = Intent(
        before=dict(dep.weights), after=dict(weights), reason=reason, at=ctx.clock.now()
    )
    ctx.save(doc)
    new_state = ctx.router.set_weights(state, weights)
    dep.weights = dict(new_state.weights)
    dep.pending = None
    ctx.emit(
        f"{reason}.verified",
        f"{reason}: {format_weights(new_state.weights)} verified",
        "success",
        dep=dep,
        weights=dict(new_state.weights),
    )
    ctx.save(doc)
    return new_state


def _step_of(dep: Deployment, weights: dict[Colour, int]) -> int:
    for i, step in enumerate(dep.schedule):
        if weights == weights_for(dep.to_colour, step.percent):
            return i
    return dep.step_index


def reconcile(ctx: RunContext, doc: JournalDoc) -> ListenerState:
    """Settle an intent whose outcome was not recorded; drift is exit 4."""
    dep = doc.current
    assert dep is not None
    try:
        state = ctx.read()
    except RoutesDisagree as split:
        state = _finish_halfway(ctx, dep, split)
    if dep.pending is not None:
        if state.weights == dep.pending.after:
            dep.weights = dict(dep.pending.after)
            if dep.status != "rolling_back":
                dep.step_index = _step_of(dep, dep.pending.after)
        elif state.weights != dep.pending.before:
            raise DriftError(
                f"listener {state.arn} matches neither the journalled before "
                f"({format_weights(dep.pending.before)}) nor after "
                f"({format_weights(dep.pending.after)}) weights: it has "
                f"{format_weights(state.weights)}. Nothing was touched."
            )
        dep.pending = None
        ctx.save(doc)
        return state
    return check_journal(state, dep)


def _finish_halfway(ctx: RunContext, dep: Deployment, split: RoutesDisagree) -> ListenerState:
    """Routes left half way by a run that stopped between two of them: each one at the
    journalled intent's before or after weights. Finished where it is safe: a rollback at
    its after (the stable colour), any other move at its before. Anything else is drift."""
    intent = dep.pending
    if intent is None or any(w not in (intent.before, intent.after) for w in split.readings):
        raise split
    target = intent.after if intent.reason == "rollback" else intent.before
    ctx.emit(
        "routes.halfway",
        f"routes left half way by a stopped run; finishing at {format_weights(target)}",
        "warning",
        dep=dep,
    )
    _still_ours(ctx)
    ctx.router.set_weights(ListenerState(ctx.router.arn, {}, dict(target)), dict(target))
    return ctx.read()


def roll_back(
    ctx: RunContext, doc: JournalDoc, rollback: Rollback, *, reading: ListenerState | None = None
) -> NoReturn:
    """All weight back to the stable colour, verified; then raise ReleaseFailed.

    ``reading``: the listener as this run just read it under the lock (``reconcile``);
    without it the listener is read first.

    Shielded from stop signals: once decided, a rollback is journalled and carried
    out to the end. If AWS cannot be read or written, the journal keeps the
    deployment ``rolling_back`` and the error says that ``zdd resume`` finishes it.
    The ``on_rollback`` hooks run after the shield: a stop signal may cut them short.
    """
    with interrupts.shielded():
        recorded = _roll_back(ctx, doc, rollback, reading)
    dep = recorded.deployment
    run_stage(ctx, "on_rollback", dep, fatal=False)
    if not recorded.journalled:
        raise StoreError(
            f"rolled back to {dep.from_colour} (verified), but the journal could not be "
            f"written: it still says {recorded.journal_says}; run `zdd abort` to record the "
            f"rollback ({rollback.reason})"
        )
    raise ReleaseFailed(f"release rolled back to {dep.from_colour}: {rollback.reason}")


@dataclass(frozen=True)
class _Recorded:
    deployment: Deployment
    journalled: bool
    journal_says: str


def _roll_back(
    ctx: RunContext, doc: JournalDoc, rollback: Rollback, reading: ListenerState | None
) -> _Recorded:
    dep = doc.current
    assert dep is not None
    was = dep.status
    ctx.emit(
        "rollback.start", f"rolling back to {dep.from_colour}: {rollback.reason}", "error", dep=dep
    )
    dep.status = "rolling_back"
    dep.outcome_reason = rollback.reason
    target = weights_for(dep.from_colour, 100)
    if dep.pending is None and dep.weights != target:
        # The last move's outcome is known, so the decision carries the rollback's
        # intent (from the journalled weights) in the same write: one fsync less before
        # the listener moves. A move whose outcome is unknown keeps its own intent.
        dep.pending = Intent(
            before=dict(dep.weights), after=target, reason="rollback", at=ctx.clock.now()
        )
    # The decision first, so that a resume never goes forward. Without the lease
    # it is not ours to decide: LeaseLost propagates before the listener is touched.
    decided = _try_save(ctx, doc)
    current = _restore(ctx, doc, rollback, decided, reading)
    ctx.emit(
        "rollback.verified",
        f"rollback: {format_weights(current.weights)} verified",
        "success",
        dep=dep,
        weights=dict(current.weights),
    )
    dep.weights = dict(current.weights)
    dep.pending = None
    dep.status = rollback.status
    dep.finished_at = ctx.clock.now()
    ctx.emit(
        "rollback.done",
        f"rolled back: {dep.from_colour} has all traffic again ({rollback.reason})",
        "error",
        dep=dep,
    )
    doc.archive_current()
    try:
        recorded = _try_save(ctx, doc)
    except LeaseLost as exc:
        raise LeaseLost(
            f"rolled back to {dep.from_colour} (verified), but {exc} before recording it"
        ) from None
    return _Recorded(dep, recorded, "rolling_back" if decided else was)


def _restore(
    ctx: RunContext,
    doc: JournalDoc,
    rollback: Rollback,
    decided: bool,
    reading: ListenerState | None,
) -> ListenerState:
    """Read the listener first (a move whose reply was lost may have happened) unless
    ``reading`` is that, move it to the stable colour if needed, and read it back."""
    dep = doc.current
    assert dep is not None
    stable = dep.from_colour
    target = weights_for(stable, 100)
    try:
        try:
            current = reading or ctx.read()
        except RoutesDisagree as split:  # moving every route to the stable colour is safe
            off = next(w for w in split.readings if w != target)
            current = ListenerState(ctx.router.arn, {}, dict(off))
        if current.weights != target:
            intent = dep.pending  # written with the decision only if ``decided``
            if not (
                decided
                and intent is not None
                and intent.reason == "rollback"
                and intent.before == current.weights
            ):
                dep.pending = Intent(
                    before=dict(current.weights),
                    after=target,
                    reason="rollback",
                    at=ctx.clock.now(),
                )
                _try_save(ctx, doc)
            _still_ours(ctx)
            current = ctx.router.set_weights(current, target)
        current = ctx.read()  # the end state, as AWS shows it now
    except (DriftError, LeaseLost):
        raise
    except Exception as exc:
        then = (
            "The journal records the rollback; run `zdd resume` to finish it."
            if decided
            else "The journal could not record it either; run `zdd abort` to finish it."
        )
        raise RollbackUnfinished(
            f"rolling back to {stable} ({rollback.reason}) could not be finished: {exc}. {then}"
        ) from None
    if current.weights != target:
        raise DriftError(
            f"listener {current.arn} shows {format_weights(current.weights)} after the "
            f"rollback to {stable}: a human must look"
        )
    return current


def _try_save(ctx: RunContext, doc: JournalDoc, attempts: int = 3) -> bool:
    """Journal the rollback, retrying a failed write; roll back even if it never lands:
    moving weight away from the new colour is safe. Without the lease it is not ours
    to write (LeaseLost)."""
    for _ in range(attempts):
        try:
            ctx.save(doc)
            return True
        except LeaseLost:
            raise
        except Exception as exc:  # a broken store must not stop the rollback itself
            ctx.emit("journal.unwritable", f"journal not written: {exc}", "warning")
    return False


def _still_ours(ctx: RunContext) -> None:
    """A run that lost its lease to another (a warden, `zdd resume`) never moves traffic
    again, not even back; a store that cannot be read does not stop a rollback."""
    try:
        ctx.store.heartbeat(ctx.owner)  # renews it, or LeaseLost when another holds it
        return
    except LeaseLost:
        pass
    except Exception:  # unreachable, say: moving weight back to the stable colour is safe
        return
    try:
        holder = ctx.store.lock_info()
        if holder is None:  # removed, nobody holds it: taken back, as ``lease_lost`` does
            ctx.store.acquire(ctx.owner)
            return
    except LockHeld as taken:  # another run took it meanwhile
        raise LeaseLost(f"lost the listener lock ({taken}); nothing was moved back") from None
    except Exception:
        return
    raise LeaseLost(f"lost the listener lock to {holder.describe()}; nothing was moved back")
