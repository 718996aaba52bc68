"""`zdd status`: what the listener, the alarms and the journal say now, as a typed report."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from generator.colours import COLOURS, Colour, other_colour
from generator.errors import InputError
from generator.events import jsonable
from generator.infra.ecs import EcsServices
from generator.infra.outputs import StackOutputs
from generator.infra.spec import parse_recorded, spec_diff
from generator.journal.archive import load_full
from generator.journal.model import Deployment, LockInfo
from generator.journal.protocol import DeploymentStore
from generator.rollout.aws.alarms import AlarmWatcher
from generator.rollout.aws.alb import aws_call
from generator.rollout.aws.capacity import Savings, savings
from generator.rollout.aws.rules import RouteSetRouter, router_for
from generator.rollout.ports import format_weights
from generator.rollout.views.history import HistoryLine, history_lines, render_history
from generator.rollout.views.verdicts import (
    latest_verdicts,
    render_latest,
    render_steps,
    step_verdicts,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA | MISSING
    reason: str = ""


@dataclass(frozen=True)
class ColourRun:
    """What a colour's ECS service runs now."""

    image: str  # repository:tag of its task definition
    digest: str | None  # of a running task's image, when ECS reports it
    task_definition: str  # family:revision
    running: int
    desired: int
    rollout: str  # the primary deployment's rolloutState


def colour_runs(services: EcsServices, outputs: StackOutputs) -> dict[Colour, ColourRun] | None:
    """Each colour's version, task definition revision and task counts; None if unknown."""
    if outputs.ecs_services is None:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    runs: dict[Colour, ColourRun] = {}
    try:
        for colour, ref in outputs.ecs_services.items():
            svc = services.describe(ref)
            tasks = services.running_tasks(ref)
            runs[colour] = ColourRun(
                image=services.image(svc.task_definition),
                digest=next((t.digest for t in tasks if t.digest), None),
                task_definition=svc.revision,
                running=svc.running,
                desired=svc.desired,
                rollout=svc.primary.state if svc.primary else "",
            )
    except (BotoCoreError, ClientError, LookupError):
        return None
    return runs


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
    colours: dict[Colour, ColourRun] | None = field(default=None)
    saved: Savings | None = field(default=None)  # by scaling idle colours down (--history)
    verdicts: dict[str, Any] | None = field(default=None)  # latest analysis verdicts
    step_verdicts: dict[str, list[dict[str, Any]]] | None = field(default=None)  # --history
    routes: list[str] | None = field(default=None)  # each route read back, when several
    releases: dict[Colour, str] | None = field(default=None)  # TAG+DIGEST each colour runs
    spec_changes: list[str] | None = field(default=None)  # live -> the other colour

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["deployment"] = self.deployment.public() if self.deployment else None
        data["lock"] = self.lock.model_dump() if self.lock else None
        if self.history is None:
            del data["history"]
            del data["saved"]
            del data["step_verdicts"]
        if self.routes is None:
            del data["routes"]
        result: dict[str, Any] = jsonable(data)  # every timestamp as ISO 8601
        return result


def check_same_listener(dep: Deployment | None, listener_arn: str) -> None:
    """Refuse (exit 2) outputs of another stack than the deployment in progress."""
    if dep is not None and not dep.terminal and dep.listener_arn != listener_arn:
        raise InputError(
            f"deployment {dep.id} runs on listener {dep.listener_arn}, but the stack outputs "
            f"name {listener_arn}: pass the outputs of the stack it was started on (--outputs)"
        )


def gather_status(
    elbv2: ElasticLoadBalancingv2Client,
    cloudwatch: CloudWatchClient,
    outputs: StackOutputs,
    store: DeploymentStore,
    *,
    history: bool = False,
    services: EcsServices | None = None,
    now: float | None = None,
) -> StatusReport:
    doc = load_full(store) if history else store.load()
    check_same_listener(doc.current, outputs.listener_arn)
    router = router_for(elbv2, outputs)
    state = router.read()  # a route gone, or drift: exit 4
    alarms: dict[Colour, list[AlarmState]] = {}
    for colour in COLOURS:
        with aws_call("DescribeAlarms", f"the alarms of {colour}"):
            poll = AlarmWatcher(cloudwatch, outputs.alarm_names[colour]).poll()
        alarms[colour] = [
            AlarmState(n, poll.states.get(n, "MISSING"), poll.reasons.get(n, ""))
            for n in outputs.alarm_names[colour]
        ]
    return StatusReport(
        listener_arn=state.arn,
        live=state.live,
        weights=state.weights,
        stickiness=state.stickiness,
        alarms=alarms,
        deployment=doc.current,
        lock=store.lock_info(),
        store=store.describe(),
        history=history_lines(doc) if history else None,
        colours=colour_runs(services, outputs) if services is not None else None,
        saved=savings(doc, time.time() if now is None else now) if history else None,
        verdicts=latest_verdicts(doc),
        step_verdicts=step_verdicts(doc) if history else None,
        routes=_route_lines(router, outputs),
        **_specs(outputs, state.live),
    )


def _route_lines(router: object, outputs: StackOutputs) -> list[str] | None:
    """Every route, when the stack has more than its listener's default action."""
    if not isinstance(router, RouteSetRouter) or [r.kind for r in outputs.all_routes] == [
        "default"
    ]:
        return None
    return router.route_lines()


def _specs(outputs: StackOutputs, live: Colour | None) -> dict[str, Any]:
    """Each colour's release name and the spec diff between them, from the stack's record
    (a stack of an older zdd recorded none)."""
    if outputs.colour_specs is None:
        return {}
    specs = {c: parse_recorded(t, f"colour_specs.{c}") for c, t in outputs.colour_specs.items()}
    found: dict[str, Any] = {"releases": {c: s.release for c, s in specs.items()}}
    if live is not None:
        found["spec_changes"] = spec_diff(specs[live], specs[other_colour(live)])
    return found


def render_status(report: StatusReport) -> str:
    lines = [
        f"live colour: {report.live or 'split'}   weights: {format_weights(report.weights)}",
    ]
    lines += [f"  route {line}" for line in report.routes or []]
    for colour, run in (report.colours or {}).items():
        lines.append(
            f"  {colour:5} runs {run.image} ({run.task_definition}), "
            f"{run.running}/{run.desired} tasks"
            + (f", rollout {run.rollout}" if run.rollout else "")
        )
    for colour, name in (report.releases or {}).items():
        lines.append(f"  {colour:5} release {name}")
    if report.spec_changes and report.live is not None:
        other = other_colour(report.live)
        lines.append(f"spec changes, live {report.live} -> {other} (secrets by ARN):")
        lines += [f"  {line}" for line in report.spec_changes]
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
    if report.saved is not None:
        lines.append(
            f"scaling idle colours down saved {report.saved.colour_hours:g} colour-hours "
            f"({report.saved.task_hours:g} task-hours)"
        )
    lines += render_latest(report.verdicts)
    if report.history is not None:
        lines += render_history(report.history)
    if report.step_verdicts:
        lines += ["verdicts that decided each step:", *render_steps(report.step_verdicts)]
    return "\n".join(lines)
