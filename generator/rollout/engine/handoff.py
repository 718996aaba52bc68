"""Truthful hand-offs: `zdd resume`, `promote` and `abort` when another run holds the lease.

A holder that is provably gone (this host and its process dead, or its lease expired)
is taken over at once. One that may be gone (another host, lease still running) is
waited for, with a countdown, until its lease lapses; if it renews its lease meanwhile
it runs, and only then is the user told that it will act.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from generator.journal.model import JournalDoc, stronger_request
from generator.journal.protocol import update
from generator.rollout.engine.context import RunContext
from generator.rollout.engine.decisions import refuse_downgrade
from generator.rollout.lease import HolderAlive, acquire_when_lapsed


def take_over(
    ctx: RunContext, *, force: bool = False, done: Callable[[], bool] | None = None
) -> bool:
    """The lease now if its holder is provably gone, else once it lapses (counting down)."""
    return acquire_when_lapsed(
        ctx.store,
        ctx.owner,
        ctx.clock,
        lambda text: ctx.emit("lease.wait", text, "warning"),
        poll=ctx.settings.poll_seconds,
        force=force,
        done=done,
    )


def ask(ctx: RunContext, what: Literal["promote", "abort"], dep_id: str, wait: bool = True) -> bool:
    """Journal the request for the lease's holder, then wait: False when the holder acted
    on it or renews its lease (it runs, and reads the request within one poll); True once
    this run holds the lease instead (the holder's lease lapsed without its acting).
    Without ``wait``: journal it and return False at once."""

    def change(d: JournalDoc) -> None:
        if d.current is not None and not d.current.terminal:
            refuse_downgrade(d.current, what)
            d.current.request = stronger_request(d.current.request, what)

    def acted() -> bool:
        cur = ctx.store.load().current
        return cur is None or cur.id != dep_id or cur.terminal or cur.request is None

    update(ctx.store, change)
    if not wait:
        ctx.emit("request", f"{what} requested; the zdd holding the lease acts within one poll")
        return False
    try:
        if take_over(ctx, done=acted):
            return True
    except HolderAlive as alive:
        ctx.emit("request", f"{what} requested; {alive}: it acts within one poll")
        return False
    ctx.emit("request", f"{what} requested; the running zdd acted on it")
    return False
