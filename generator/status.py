"""`zdd status`: what the listener, the alarms and the journal say now."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from generator.alarms import AlarmWatcher
from generator.config import COLOURS
from generator.outputs import StackOutputs
from generator.store import DeploymentStore
from generator.traffic import TrafficShifter, format_weights

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


def _when(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gather_status(
    elbv2: ElasticLoadBalancingv2Client,
    cloudwatch: CloudWatchClient,
    outputs: StackOutputs,
    store: DeploymentStore,
    *,
    history: bool = False,
) -> dict[str, Any]:
    state = TrafficShifter(elbv2, outputs).read()
    alarms: dict[str, list[dict[str, str]]] = {}
    for colour in COLOURS:
        poll = AlarmWatcher(cloudwatch, outputs.alarm_names[colour]).poll()
        alarms[colour] = [
            {"name": n, "state": poll.states.get(n, "MISSING"), "reason": poll.reasons.get(n, "")}
            for n in outputs.alarm_names[colour]
        ]
    doc = store.load()
    lock = store.lock_info()
    report: dict[str, Any] = {
        "listener_arn": state.arn,
        "live": state.live,
        "weights": state.weights,
        "stickiness": state.stickiness,
        "alarms": alarms,
        "deployment": doc.current.model_dump() if doc.current else None,
        "lock": lock.model_dump() if lock else None,
        "store": store.describe(),
    }
    if history:
        report["history"] = [
            {
                "id": d.id,
                "release": d.release,
                "strategy": d.strategy,
                "from": d.from_colour,
                "to": d.to_colour,
                "outcome": d.status,
                "reason": d.outcome_reason,
                "steps": [s.percent for s in d.schedule],
                "started_at": _when(d.started_at),
                "finished_at": _when(d.finished_at),
                "migrations": d.migrations,
            }
            for d in reversed(doc.history)
        ]
    return report


def render_status(report: dict[str, Any]) -> str:
    lines = [
        f"live colour: {report['live'] or 'split'}   weights: {format_weights(report['weights'])}",
    ]
    for colour, alarms in report["alarms"].items():
        for alarm in alarms:
            lines.append(f"  {colour:5} {alarm['state']:17} {alarm['name']}")
    dep = report["deployment"]
    if dep:
        lines.append(
            f"in progress: {dep['id']} {dep['from_colour']} -> {dep['to_colour']} "
            f"({dep['status']}, step {dep['step_index'] + 1}/{len(dep['schedule'])})"
        )
    else:
        lines.append("no deployment in progress")
    if report["lock"]:
        lines.append(f"lock: held by {report['lock']['owner']} ({report['lock']['command']})")
    for item in report.get("history", []):
        lines.append(
            f"  {item['started_at']}  {item['id']}  {item['from']} -> {item['to']}  "
            f"{item['outcome']:11} steps {item['steps']}  {item.get('release') or ''}"
        )
    return "\n".join(lines)
