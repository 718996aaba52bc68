"""The ``ecs_task`` hook: RunTask with the new colour's task definition and network.

The task definition, network configuration and launch type are read from the
colour's ECS service (DescribeServices), so the task runs exactly what the
colour runs, where it runs. The exit code of the judged container decides.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from generator.config.hooks import EcsTaskHook
from generator.hooks.command import HookResult

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient


def run_ecs_task(
    hook: EcsTaskHook,
    ecs: ECSClient | None,
    service_ref: tuple[str, str],
    env: Mapping[str, str],
    *,
    now: Callable[[], float],
    sleep: Callable[[float], None],
    cancel: threading.Event | None = None,
) -> HookResult:
    """Run one task, wait for it to stop (or time out, or be cancelled, and stop it),
    judge its exit code."""
    spec = hook.ecs_task
    cluster = spec.cluster or service_ref[0]
    service = spec.service or service_ref[1]
    label = ["ecs_task", f"{cluster}/{service}"]
    if ecs is None:
        return HookResult(label, False, "no ECS client (AWS access) to run the task with")
    try:
        arn = _start(ecs, hook, cluster, service, env)
        if not arn.startswith("arn:"):
            return HookResult(label, False, arn)
        deadline = now() + hook.timeout_seconds
        while True:
            tasks = ecs.describe_tasks(cluster=cluster, tasks=[arn]).get("tasks", [])
            task = tasks[0] if tasks else {}
            if task.get("lastStatus") == "STOPPED":
                return _judge(label, task, spec.container)
            if now() >= deadline:
                ecs.stop_task(cluster=cluster, task=arn, reason="zdd hook timed out")
                return HookResult(label, False, f"timed out after {hook.timeout_seconds:g}s")
            if cancel is not None and cancel.is_set():
                ecs.stop_task(cluster=cluster, task=arn, reason="zdd stopped waiting for it")
                return HookResult(label, False, "stopped: the release no longer waits for it")
            sleep(hook.poll_seconds)
    except Exception as exc:  # botocore errors: the hook failed, zdd did not
        return HookResult(label, False, f"ECS call failed ({exc})")


def _start(
    ecs: ECSClient, hook: EcsTaskHook, cluster: str, service: str, env: Mapping[str, str]
) -> str:
    """The task's ARN, or why it could not start."""
    spec = hook.ecs_task
    services = ecs.describe_services(cluster=cluster, services=[service]).get("services", [])
    if not services:
        return f"service {service} not found in cluster {cluster}"
    svc = services[0]
    variables = {**{k: v for k, v in env.items() if k.startswith("ZDD_")}, **spec.environment}
    override: dict[str, Any] = {
        "name": spec.container,
        "environment": [{"name": k, "value": v} for k, v in sorted(variables.items())],
    }
    if spec.command:
        override["command"] = list(spec.command)
    kwargs: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": svc["taskDefinition"],
        "count": 1,
        "startedBy": "zdd-hook",
        "overrides": {"containerOverrides": [override]},
    }
    if svc.get("networkConfiguration"):
        kwargs["networkConfiguration"] = svc["networkConfiguration"]
    if svc.get("capacityProviderStrategy"):
        kwargs["capacityProviderStrategy"] = svc["capacityProviderStrategy"]
    else:
        kwargs["launchType"] = svc.get("launchType") or "FARGATE"
    reply = ecs.run_task(**kwargs)
    if reply.get("failures") or not reply.get("tasks"):
        reasons = "; ".join(f.get("reason", "?") for f in reply.get("failures", []))
        return f"RunTask placed no task ({reasons or 'no reason given'})"
    return str(reply["tasks"][0]["taskArn"])


def _judge(label: list[str], task: Mapping[str, Any], container: str) -> HookResult:
    containers = {c.get("name"): c for c in task.get("containers", [])}
    if container not in containers:
        return HookResult(label, False, f"task has no container named {container}")
    code = containers[container].get("exitCode")
    if code is None:
        reason = task.get("stoppedReason") or containers[container].get("reason") or "no exit code"
        return HookResult(label, False, f"stopped without an exit code ({reason})")
    return HookResult(label, code == 0, f"exit {code}")
