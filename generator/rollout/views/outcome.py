"""How a run ended, said once: the deployment as it stands now, the error, the notifications.

``--json`` prints it as the ``result`` line, always the last line, whether the run
succeeded, was refused or rolled back; people get one summary line (or a few).
``settle_request`` makes ``zdd promote``/``abort`` report the state after the
running zdd acted on the request, not the state before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator.errors import DriftError, RefusedError, ReleaseFailed, ZddError
from generator.events import DeliveryReport, EventBus, jsonable
from generator.journal.model import Deployment, JournalDoc
from generator.journal.protocol import DeploymentStore
from generator.rollout.ports import Clock, SystemClock, format_weights


@dataclass
class RunSummary:
    command: str
    status: str  # the deployment's status, or nothing, refused, drift, failed
    exit_code: int
    deployment: Deployment | None = None
    error: str | None = None
    notifications: DeliveryReport = field(default_factory=DeliveryReport)

    def to_json(self) -> dict[str, Any]:
        """The ``result`` line of ``--json`` (see ``events.schema.json``)."""
        return {
            "result": {
                "command": self.command,
                "status": self.status,
                "exit_code": self.exit_code,
                "error": self.error,
                "deployment": jsonable(self.deployment.public()) if self.deployment else None,
                "notifications": self.notifications.to_dict(),
            }
        }

    def lines(self) -> list[str]:
        dep = self.deployment
        if dep is None:
            out = [f"nothing to {self.command}"] if self.error is None else []
        else:
            took = ""
            if dep.finished_at is not None:
                took = f" in {duration(dep.finished_at - dep.started_at)}"
            release = f" {dep.release}" if dep.release else ""
            out = [
                f"deployment {dep.id}{release}: {self.status} ({dep.from_colour} -> "
                f"{dep.to_colour}{took}); weights {format_weights(dep.weights)}"
            ]
            if dep.request and not dep.terminal:
                out.append(f"{dep.request} requested; the running zdd has not acted on it yet")
        failed = self.notifications.describe()
        if failed:
            out.append(failed)
        return out


def duration(seconds: float) -> str:
    """``45s``, ``3m05s``, ``1h02m``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def find_deployment(doc: JournalDoc, dep_id: str) -> Deployment | None:
    for dep in [doc.current, *reversed(doc.history)]:
        if dep is not None and dep.id == dep_id:
            return dep
    return None


def _status_of(error: ZddError | None, dep: Deployment | None) -> str:
    if isinstance(error, RefusedError):
        return "refused"
    if isinstance(error, DriftError):
        return "drift"
    if dep is not None and (error is None or isinstance(error, ReleaseFailed)):
        return dep.status if dep.status != "in_progress" or error is None else "failed"
    return "failed" if error is not None else "nothing"


def summarize(
    command: str,
    store: DeploymentStore,
    events: EventBus,
    run: Callable[[], Deployment | None],
) -> tuple[RunSummary, ZddError | None]:
    """Run ``run``, close the event sinks (so notifications are counted), and summarize.

    The error, if any, is returned for the caller to raise after printing the summary.
    """
    error: ZddError | None = None
    dep: Deployment | None = None
    try:
        dep = run()
    except ZddError as exc:
        error = exc
    finally:
        events.close()
    if dep is None:
        dep = _last_deployment(store, events)
    summary = RunSummary(
        command=command,
        status=_status_of(error, dep),
        exit_code=error.exit_code if error else 0,
        deployment=dep,
        error=str(error) if error else None,
        notifications=events.deliveries(),
    )
    return summary, error


def _last_deployment(store: DeploymentStore, events: EventBus) -> Deployment | None:
    """The deployment this run was about (a failed run returns none), from the journal."""
    ids = [e.deployment.id for e in events.history if e.deployment is not None]
    if not ids:
        return None
    with contextlib.suppress(ZddError):
        return find_deployment(store.load(), ids[-1])
    return None


def settle_request(
    store: DeploymentStore,
    dep: Deployment,
    *,
    poll_seconds: float,
    timeout: float,
    clock: Clock | None = None,
) -> Deployment:
    """After ``zdd promote``/``abort``: the deployment once the running zdd acted (or the
    timeout passed), re-read from the journal."""
    clock = clock or SystemClock()
    deadline = clock.now() + timeout
    while True:
        current = find_deployment(store.load(), dep.id) or dep
        if current.request is None or current.terminal or clock.now() >= deadline:
            return current
        clock.sleep(min(poll_seconds, max(0.0, deadline - clock.now())))
