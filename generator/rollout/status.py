"""`zdd status`: what the listener, the alarms and the journal say now, as a typed report."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from generator.colours import COLOURS, Colour
from generator.infra.outputs import StackOutputs
from generator.journal.model import Deployment, LockInfo
from generator.journal.store import DeploymentStore
from generator.rollout.routing import AlbListenerRouter, format_weights
from generator.rollout.signals import AlarmWatcher

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA | MISSING
    reason: str = ""


@dataclass(frozen=True)
class HistoryLine:
    id: str
    release: str | None
    strategy: str
    from_colour: Colour
    to_colour: Colour
    outcome: str
    reason: str | None
    steps: list[int]
    started_at: str | None
    finished_at: str | None
    migrations: list[str]

    @classmethod
    def of(cls, d: Deployment) -> HistoryLine:
        return cls(
            id=d.id,
            release=d.release,
            strategy=d.strategy,
            from_colour=d.from_colour,
            to_colour=d.to_colour,
            outcome=d.status,
            reason=d.outcome_reason,
            steps=[s.percent for s in d.schedule],
            started_at=iso(d.started_at),
            finished_at=iso(d.finished_at),
            migrations=list(d.migrations),
        )


@dataclass(frozen=True)
class StatusReport:
    listener_arn: str
    live: Colour | None
    weights: dict[Colour, int]
    stickiness: dict[str, Any] | None
    alarms: dict[Colour, list[AlarmState]]
    deployment: Deployment | None
    lock: LockInfo | None
    store: str
    history: list[HistoryLine] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["deployment"] = self.deployment.model_dump() if self.deployment else None
        data["lock"] = self.lock.model_dump() if self.lock else None
        if self.history is None:
            del data["history"]
        return data


def gather_status(
    elbv2: ElasticLoadBalancingv2Client,
    cloudwatch: CloudWatchClient,
    outputs: StackOutputs,
    store: DeploymentStore,
    *,
    history: bool = False,
) -> StatusReport:
    state = AlbListenerRouter(elbv2, outputs).read()
    alarms: dict[Colour, list[AlarmState]] = {}
    for colour in COLOURS:
        poll = AlarmWatcher(cloudwatch, outputs.alarm_names[colour]).poll()
        alarms[colour] = [
            AlarmState(n, poll.states.get(n, "MISSING"), poll.reasons.get(n, ""))
            for n in outputs.alarm_names[colour]
        ]
    doc = store.load()
    return StatusReport(
        listener_arn=state.arn,
        live=state.live,
        weights=state.weights,
        stickiness=state.stickiness,
        alarms=alarms,
        deployment=doc.current,
        lock=store.lock_info(),
        store=store.describe(),
        history=[HistoryLine.of(d) for d in reversed(doc.history)] if history else None,
    )


def render_status(report: StatusReport) -> str:
    lines = [
        f"live colour: {report.live or 'split'}   weights: {format_weights(report.weights)}",
    ]
    for colour, alarms in report.alarms.items():
        for alarm in alarms:
            lines.append(f"  {colour:5} {alarm.state:17} {alarm.name}")
    dep = report.deployment
    if dep:
        lines.append(
            f"in progress: {dep.id} {dep.from_colour} -> {dep.to_colour} "
            f"({dep.status}, step {dep.step_index + 1}/{len(dep.schedule)})"
        )
    else:
        lines.append("no deployment in progress")
    if report.lock:
        lines.append(f"lock: held by {report.lock.owner} ({report.lock.command})")
    for item in report.history or []:
        lines.append(
            f"  {item.started_at}  {item.id}  {item.from_colour} -> {item.to_colour}  "
            f"{item.outcome:11} steps {item.steps}  {item.release or ''}"
        )
    return "\n".join(lines)
