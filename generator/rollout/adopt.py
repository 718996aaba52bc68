"""``zdd adopt``: the way out of drift, after a person has decided.

When the listener was changed outside zdd, every command that moves traffic stops with
exit 4: zdd cannot know whether the hand-made change or its journal is right. Once a
person has decided and put all the weight on one colour, ``adopt`` records the listener
as it is (read back from AWS, never assumed) as the truth: an unfinished deployment is
ended (``aborted``, its last weights those read), and an ``adopt`` record says who (the
person or CI job), why, and what the listener had. It moves no weight; it refuses while
the listener is split or on the other colour, and while another live run holds the lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from generator import __version__
from generator.colours import Colour
from generator.errors import InputError, RefusedError
from generator.journal.model import Actor, Deployment, JournalDoc, JournalEvent
from generator.journal.protocol import DeploymentStore, Owner, update
from generator.rollout.ports import Clock, ListenerState, format_weights

ADOPT_STRATEGY = "adopt"
MAX_REASON = 500


def adopt_live(
    store: DeploymentStore,
    read_listener: Callable[[], ListenerState],
    colour: Colour,
    reason: str,
    *,
    clock: Clock,
    owner: Owner,
    actor: Actor | None = None,
) -> Deployment:
    """Record that all traffic is on ``colour``, as the listener says (read back under the
    listener's lock); return the ``adopt`` record written to the journal."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InputError(
            f"--reason: say in 1-{MAX_REASON} characters why {colour} is right "
            "(it is kept in the journal)"
        )
    who = actor or Actor.detect(owner.command)
    store.acquire(owner, take_over=True)  # a live run is refused; a dead one's lease is taken
    try:
        state = read_listener()
        if state.live != colour:
            raise RefusedError(
                f"listener {state.arn} has {format_weights(state.weights)}, not all on "
                f"{colour}: zdd adopt records the listener as it is and moves nothing; put "
                f"all the weight on {colour} first (or adopt the colour that has it)"
            )
        now = clock.now()
        record = _record(state, colour, reason, who, now)
        update(store, lambda doc: _adopt(doc, record, now))
        return record
    finally:
        store.release(owner)


def _record(
    state: ListenerState, colour: Colour, reason: str, who: Actor, now: float
) -> Deployment:
    said = f"adopted by {who.describe()}: all traffic on {colour} ({reason})"
    event = JournalEvent(
        at=now,
        kind="adopt",
        message=said,
        data={"weights": dict(state.weights), "reason": reason, "by": who.describe()},
    )
    return Deployment(
        id=f"adopt-{uuid.uuid4().hex[:8]}",
        strategy=ADOPT_STRATEGY,
        from_colour=colour,
        to_colour=colour,
        listener_arn=state.arn,
        schedule=[],
        status="aborted",  # moved nothing: it ends on from_colour, the adopted one
        weights=dict(state.weights),
        started_at=now,
        finished_at=now,
        outcome_reason=said,
        events=[event],
        actor=who,
        zdd_version=__version__,
    )


def _adopt(doc: JournalDoc, record: Deployment, now: float) -> None:
    """End what the journal still had in progress, then append the ``adopt`` record."""
    current = doc.current
    if current is not None and not current.terminal:
        current.status = "aborted"
        current.pending = None
        current.weights = dict(record.weights)
        current.finished_at = now
        current.outcome_reason = f"ended by zdd adopt ({record.id}): {record.outcome_reason}"
        current.events.append(JournalEvent(at=now, kind="adopt", message=current.outcome_reason))
    doc.archive_current()
    doc.current = record
    doc.archive_current()
