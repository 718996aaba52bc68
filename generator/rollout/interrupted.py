"""A release stopped by a signal before any weight moved is journalled, not just dropped.

``zdd deploy`` spends most of its time in terraform. A stop signal there stops
terraform (``infra.terraform.stop_gracefully``) and arrives here as
``TerraformInterrupted``; one elsewhere before the shift arrives as KeyboardInterrupt.
Either way the journal gets a refusal record (stage ``terraform_apply``, ``terraform_plan``
... or ``deploy``) with the reason, and the run ends with exit 1, never 130.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from generator.errors import ReleaseFailed, TerraformInterrupted, TerraformTimeout
from generator.events import EventBus
from generator.journal.model import Actor, Refusal
from generator.journal.protocol import DeploymentStore
from generator.rollout.engine.refusals import record_refusal
from generator.rollout.ports import Clock, SystemClock


@contextlib.contextmanager
def apply_interrupted(
    store: DeploymentStore,
    events: EventBus,
    release: str,
    command: str,
    clock: Clock | None = None,
) -> Iterator[None]:
    """Journal and announce an interruption inside the block; then exit 1 (``ZddError``)."""
    try:
        yield
    except (TerraformInterrupted, TerraformTimeout) as exc:  # a stop signal, or its time limit
        _record(store, events, release, command, clock, f"terraform_{exc.subcommand}", str(exc))
        raise
    except KeyboardInterrupt:
        reason = (
            f"interrupted while putting {release} on the idle colour (between terraform "
            "commands); no weight was moved"
        )
        _record(store, events, release, command, clock, "deploy", reason)
        raise ReleaseFailed(reason) from None


def _record(
    store: DeploymentStore,
    events: EventBus,
    release: str,
    command: str,
    clock: Clock | None,
    stage: str,
    reason: str,
) -> None:
    at = (clock or SystemClock()).now()
    refusal = Refusal(at=at, stage=stage, reason=reason, release=release)
    record_refusal(store, events, refusal, Actor.detect(command))
