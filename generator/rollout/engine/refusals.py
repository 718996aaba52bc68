"""Refusals are part of the audit log: a release stopped before any weight moved is
journalled with its stage and reason, and announced (``deployment.refused``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from generator.colours import Colour
from generator.errors import DriftError, RefusedError, ReleaseFailed, ZddError
from generator.events import Event, EventBus
from generator.journal.model import Actor, Deployment, JournalDoc, Refusal
from generator.journal.protocol import DeploymentStore, update
from generator.rollout.engine.audit import snapshot
from generator.rollout.engine.context import RunContext


def refusal_event(refusal: Refusal, dep: Deployment | None = None) -> Event:
    """The ``deployment.refused`` event of ``refusal``."""
    return Event(
        "deployment.refused",
        f"refused at {refusal.stage}: {refusal.reason}",
        refusal.at,
        "error",
        {
            "stage": refusal.stage,
            "reason": refusal.reason,
            "release": refusal.release,
            "from_colour": refusal.from_colour,
            "to_colour": refusal.to_colour,
            "deployment_id": refusal.deployment_id,
            "actor": refusal.actor.user if refusal.actor else None,
            "ci_url": refusal.actor.ci_url if refusal.actor else None,
            "waited_seconds": refusal.waited_seconds,
        },
        snapshot(dep) if dep is not None else None,
    )


@contextlib.contextmanager
def refusal_recorded(
    ctx: RunContext,
    doc: JournalDoc,
    stage: str,
    release: str | None,
    from_colour: Colour,
    to_colour: Colour,
    dep: Deployment | None = None,
    *,
    actor: Actor,
) -> Iterator[None]:
    """Journal and announce a refusal (or a failed pre-traffic hook, or drift found before
    the first move) raised inside the block."""
    started = ctx.clock.now()
    try:
        yield
    except (RefusedError, ReleaseFailed, DriftError) as exc:
        refusal = Refusal(
            at=ctx.clock.now(),
            stage=stage,
            reason=str(exc),
            release=release or ctx.versions.get(to_colour),
            from_colour=from_colour,
            to_colour=to_colour,
            deployment_id=dep.id if dep is not None else None,
            actor=actor,
            waited_seconds=round(ctx.clock.now() - started, 3),
        )
        if dep is not None and doc.current is dep:
            doc.current = None  # it moved no weight: nothing to resume or roll back
        doc.record_refusal(refusal)
        with contextlib.suppress(ZddError):  # the refusal itself is what must reach the user
            ctx.save(doc)
        ctx.events.emit(refusal_event(refusal, dep))
        raise


def record_refusal(
    store: DeploymentStore, events: EventBus, refusal: Refusal, actor: Actor | None = None
) -> None:
    """Journal and announce a refusal decided outside the engine (the migrations gate)."""
    if actor is not None and refusal.actor is None:
        refusal = refusal.model_copy(update={"actor": actor})

    def add(doc: JournalDoc) -> None:
        doc.record_refusal(refusal)

    with contextlib.suppress(ZddError):
        update(store, add)
    events.emit(refusal_event(refusal))
