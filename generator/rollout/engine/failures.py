"""What any failure during a release turns into: a rollback, or a clean stop.

Once a deployment is in the journal, every way a run can end is one of:

* the new colour (or an operator) failed it: roll back, verified;
* a stop signal (SIGINT, SIGTERM, SIGHUP), an AWS error, an unwritable journal
  or an unexpected exception: roll back too. A run that cannot vouch for the new
  colour must not leave users on it;
* the listener changed outside zdd: stop, touch nothing (exit 4);
* the lease on the listener lock was lost: see ``lease_lost``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import NoReturn

from generator import interrupts
from generator.errors import (
    DriftError,
    LeaseLost,
    ReleaseFailed,
    RollbackUnfinished,
    StoreError,
)
from generator.journal.model import Deployment, JournalDoc
from generator.rollout.engine.context import RunContext
from generator.rollout.engine.decisions import Rollback
from generator.rollout.engine.moves import roll_back


def protected(ctx: RunContext, doc: JournalDoc, work: Callable[[], Deployment]) -> Deployment:
    """Run ``work`` (moves and bakes of ``doc.current``); any failure decides a rollback.

    Once the promotion is verified and being recorded (``doc.current`` archived), a
    failure is reported as it is: there is nothing left to roll back from.
    """
    try:
        return work()
    except BaseException as exc:
        if doc.current is None:
            raise
        settle(ctx, doc, exc)


def record_promotion(ctx: RunContext, doc: JournalDoc) -> None:
    """Journal the verified promotion. A stop signal meanwhile waits for the write; a
    write that fails is retried, and one whose reply was lost is looked up."""
    dep = doc.current
    assert dep is not None
    with interrupts.critical():
        doc.archive_current()
        failure: Exception | None = None
        for _ in range(3):
            try:
                ctx.save(doc)
                return
            except LeaseLost:
                raise
            except Exception as exc:
                failure = exc
                with contextlib.suppress(Exception):
                    if any(d.id == dep.id and d.terminal for d in ctx.store.load().history):
                        return  # it landed; only the reply was lost
    raise StoreError(
        f"{dep.to_colour} has all the traffic (verified), but the journal could not record "
        f"the promotion ({failure}); run `zdd resume` to record it"
    )


def settle(ctx: RunContext, doc: JournalDoc, exc: BaseException) -> NoReturn:
    dep = doc.current
    if dep is None or dep.terminal:
        raise exc  # already finished and journalled (a signal just after the promotion)
    if isinstance(exc, Rollback):
        roll_back(ctx, doc, exc)
    if isinstance(exc, DriftError | ReleaseFailed | RollbackUnfinished):
        raise exc  # drift needs a human; the other two are a rollback's own outcome
    if isinstance(exc, LeaseLost):
        lease_lost(ctx, doc, exc)
    if isinstance(exc, KeyboardInterrupt):
        roll_back(ctx, doc, Rollback("interrupted (SIGINT/SIGTERM/SIGHUP)"))
    if isinstance(exc, StoreError):
        roll_back(ctx, doc, Rollback(f"journal unwritable: {exc}"))
    if isinstance(exc, Exception):
        roll_back(ctx, doc, Rollback(f"unexpected failure while shifting: {exc}"))
    raise exc


def lease_lost(ctx: RunContext, doc: JournalDoc, exc: LeaseLost) -> NoReturn:
    """This run's lease on the listener lock is gone: it never moves forward again.

    * Another run holds the lock (``--break-lock``, or ``zdd resume`` after our
      lease expired): that run owns the deployment now. Touch neither the
      listener nor the journal, which keeps the deployment unfinished with its
      pending intent; exit 3 naming the holder. If that run stops, `zdd resume`
      finishes the deployment.
    * Nobody holds it (the lock was removed), or its holder is gone: take it back,
      then roll back from what the journal and the listener say now.
    """
    dep = doc.current
    assert dep is not None
    try:
        ctx.store.acquire(ctx.owner, take_over=True)
    except Exception as held:  # LockHeld: another live run; anything else: cannot tell
        raise LeaseLost(
            f"{exc}; this run stopped without moving traffic ({held}). Deployment "
            f"{dep.id} is left {dep.status} with its pending intent; when no other run "
            "holds the lock, `zdd resume` finishes it"
        ) from None
    latest = ctx.store.load()  # what was written without us is the truth now
    mine = latest.current
    if mine is None or mine.id != dep.id or mine.terminal:
        raise LeaseLost(
            f"{exc}; deployment {dep.id} was finished by another run meanwhile: "
            "this run stopped without moving traffic"
        ) from None
    ctx.emit("lock.retaken", f"{exc}; lock taken back to roll back", "warning", dep=mine)
    roll_back(ctx, latest, Rollback(f"lost the listener lock ({exc})"))
