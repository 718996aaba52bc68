"""Where a release stood: the snapshot every event about a deployment carries.

Who ran it is ``journal.model.Actor.detect``."""

from __future__ import annotations

from generator.events import Snapshot
from generator.journal.model import Deployment
from generator.journal.protocol import Owner
from generator.rollout.ports import weights_for


def current_step(dep: Deployment) -> int:
    """1-based step whose weights were verified last; counts a step as soon as it is verified."""
    matched = [
        i
        for i, step in enumerate(dep.schedule)
        if dep.weights == weights_for(dep.to_colour, step.percent)
    ]
    reached = matched[0] + 1 if matched and dep.status != "rolling_back" else 0
    return max(dep.step_index + 1, reached)


def snapshot(dep: Deployment, owner: Owner | None = None) -> Snapshot:
    """Where ``dep`` stands, for the events that report on it."""
    actor = dep.actor
    return Snapshot(
        id=dep.id,
        release=dep.release,
        from_colour=dep.from_colour,
        to_colour=dep.to_colour,
        weights=dict(dep.weights),
        step=current_step(dep),
        steps=len(dep.schedule),
        status=dep.status,
        strategy=dep.strategy,
        lock=f"{owner.command} (pid {owner.pid} on {owner.host})" if owner else None,
        actor=actor.user if actor else None,
        ci_url=actor.ci_url if actor else None,
    )
