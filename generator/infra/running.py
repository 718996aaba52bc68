"""What a colour runs, read back from AWS; and each colour's spec to render.

The live colour is rendered from the spec recorded when it was released (the stack's
``colour_specs`` output), after checking that record against what runs: the task
definition (DescribeServices, DescribeTaskDefinition), the target group's health check
(DescribeTargetGroups), the log group and the task role's attached policies. A
mismatch stops with one line (``SpecDrift``, exit 4): zdd never guesses which is right.

A stack applied by a zdd that recorded nothing (before specs were released) is read
from AWS, with the environment file for what AWS cannot tell (the upgrade path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generator.aws import aws_errors
from generator.colours import COLOURS, Colour, other_colour
from generator.config import Environment
from generator.errors import AwsError, SpecDrift
from generator.infra.ecs import tag_of
from generator.infra.outputs import StackOutputs
from generator.infra.spec import ColourSpec, parse_recorded, spec_from_env

if TYPE_CHECKING:
    from generator.aws import AwsClients

Observed = dict[str, Any]
"""Fields of a ``ColourSpec`` that AWS tells (``health_check``: a partial dict of its own)."""

SpecObserver = Callable[[StackOutputs, Colour], Observed]
"""Reads what a colour runs; empty when the stack names no ECS service to read."""


@dataclass
class AwsSpecObserver:
    """``SpecObserver`` on boto3 clients (created from ``clients`` on first use)."""

    clients: Callable[[], AwsClients]

    def __call__(self, outputs: StackOutputs, colour: Colour) -> Observed:
        if outputs.ecs_services is None:
            return {}
        try:
            return self._observe(outputs, colour)
        except aws_errors(KeyError, IndexError, ValueError) as exc:
            raise AwsError(
                f"cannot read what the {colour} colour runs ({type(exc).__name__}: {exc}); "
                "zdd will not render it from a guess: fix access and run again"
            ) from None

    def _observe(self, outputs: StackOutputs, colour: Colour) -> Observed:
        aws = self.clients()
        assert outputs.ecs_services is not None
        ref = outputs.ecs_services[colour]
        service = aws.ecs.describe_services(cluster=ref.cluster, services=[ref.service])
        svc = service["services"][0]
        task = aws.ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])
        found = _from_task_definition(task["taskDefinition"])
        tg = aws.elbv2.describe_target_groups(TargetGroupArns=[outputs.target_group_arns[colour]])
        health = _health(tg["TargetGroups"][0])
        # moto's DescribeServices leaves healthCheckGracePeriodSeconds out: when AWS does not
        # say, the grace period is trusted from the record (the upgrade path: the file's).
        if svc.get("healthCheckGracePeriodSeconds") is not None:
            health["grace_period_seconds"] = svc["healthCheckGracePeriodSeconds"]
        found["health_check"] = health
        group = found.pop("_log_group", None)
        if group:
            groups = aws.logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
            days = next((g.get("retentionInDays") for g in groups if g["logGroupName"] == group), 0)
            if days:
                found["log_retention_days"] = days
        role = found.pop("_task_role", None)
        if role:
            found["task_role_policy_arns"] = _attached(aws.iam, role.rsplit("/", 1)[-1])
        return found


def _from_task_definition(td: Any) -> Observed:
    c = td["containerDefinitions"][0]
    image = str(c["image"])
    logs = c.get("logConfiguration") or {}
    found: Observed = {
        "image": image.split("@", 1)[0].rsplit(":", 1)[0] if tag_of(image) else image,
        "environment": {e["name"]: e["value"] for e in c.get("environment", [])},
        "secrets": {s["name"]: s["valueFrom"] for s in c.get("secrets", [])},
        "cpu": int(td["cpu"]),
        "memory": int(td["memory"]),
        "command": c.get("command") or None,
        "entry_point": c.get("entryPoint") or None,
        "port": int(c["portMappings"][0]["containerPort"]),
        "readonly_root_filesystem": bool(c.get("readonlyRootFilesystem", False)),
        "scratch_paths": [m["containerPath"] for m in c.get("mountPoints", [])],
        "log_driver": logs.get("logDriver", "none"),
        "_log_group": (logs.get("options") or {}).get("awslogs-group"),
        "_task_role": td.get("taskRoleArn"),
    }
    tag = tag_of(image)
    if tag is not None:
        found["tag"] = tag
    return found


def _health(tg: Any) -> dict[str, Any]:
    return {
        "path": tg.get("HealthCheckPath", "/"),
        "matcher": (tg.get("Matcher") or {}).get("HttpCode", ""),
        "interval_seconds": tg.get("HealthCheckIntervalSeconds"),
        "timeout_seconds": tg.get("HealthCheckTimeoutSeconds"),
        "healthy_threshold": tg.get("HealthyThresholdCount"),
        "unhealthy_threshold": tg.get("UnhealthyThresholdCount"),
    }


def _attached(iam: Any, role: str) -> list[str]:
    arns: list[str] = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
        arns.extend(p["PolicyArn"] for p in page.get("AttachedPolicies", []))
    return arns


def check_recorded(colour: Colour, recorded: ColourSpec, observed: Observed) -> None:
    """``SpecDrift`` naming the first field where what runs is not what was released."""
    want = recorded.model_dump()
    want["log_driver"] = "awslogs"  # every colour zdd renders logs through awslogs
    for key, seen in sorted(observed.items()):
        if key == "health_check":
            for inner, value in sorted(seen.items()):
                _same(colour, f"health_check.{inner}", want["health_check"][inner], value)
        elif isinstance(seen, dict):
            for name in sorted(seen.keys() | want[key].keys()):
                _same(colour, f"{key}.{name}", want[key].get(name), seen.get(name))
        elif key == "task_role_policy_arns":  # attached policies have no order
            _same(colour, key, sorted(want[key]), sorted(seen))
        else:
            _same(colour, key, want[key], seen)


def _same(colour: Colour, field: str, recorded: Any, runs: Any) -> None:
    if recorded != runs:
        raise SpecDrift(
            f"{colour} colour: {field} runs {_shown(runs)} but its release recorded "
            f"{_shown(recorded)}: changed outside zdd; undo that change in AWS (a change "
            "to keep goes out as a release of the idle colour) and run again"
        )


def _shown(value: Any) -> str:
    return "(none)" if value is None else repr(value)


def running_spec(
    env: Environment, outputs: StackOutputs, colour: Colour, observe: SpecObserver
) -> tuple[ColourSpec, bool]:
    """``colour``'s spec as it runs, and whether the stack had recorded it.

    Recorded: the record, checked against AWS. Not recorded (a stack of an older zdd):
    what AWS tells, with the environment file for the rest.
    """
    observed = observe(outputs, colour)
    if outputs.colour_specs is not None:
        recorded = parse_recorded(outputs.colour_specs[colour], f"colour_specs.{colour}")
        check_recorded(colour, recorded, observed)
        return recorded, True
    return upgraded_spec(env, outputs, colour, observed), False


def upgraded_spec(
    env: Environment, outputs: StackOutputs, colour: Colour, observed: Observed
) -> ColourSpec:
    """A colour of a stack that recorded no spec: AWS's answers over the file's spec."""
    fallback = tag_of(outputs.versions[colour]) if outputs.versions is not None else None
    base = spec_from_env(env, observed.get("tag") or fallback or env.versions[colour])
    update = {k: v for k, v in observed.items() if k in ColourSpec.model_fields}
    if "health_check" in update:
        update["health_check"] = base.health_check.model_copy(update=observed["health_check"])
    policies = update.get("task_role_policy_arns")
    if policies is not None and sorted(policies) == sorted(base.task_role_policy_arns):
        update["task_role_policy_arns"] = base.task_role_policy_arns  # keep the file's order
    return ColourSpec.model_validate({**base.model_dump(), **_plain(update)})


def _plain(update: dict[str, Any]) -> dict[str, Any]:
    return {k: v.model_dump() if hasattr(v, "model_dump") else v for k, v in update.items()}


def rendered_specs(
    env: Environment,
    outputs: StackOutputs | None,
    live: Colour,
    observe: SpecObserver,
    version: str | None = None,
) -> tuple[dict[Colour, ColourSpec], bool]:
    """The spec of each colour to render, and whether the live one was recorded.

    The live colour keeps what it runs. With ``version`` (a release) the idle colour gets
    the environment file's spec with that tag; without, it keeps its own too (the previous
    release, kept for `zdd rollback`), so a plan after a release is empty.
    """
    idle = other_colour(live)
    if outputs is None:  # never applied: the file seeds both colours
        specs = {c: spec_from_env(env, env.versions[c]) for c in COLOURS}
        if version is not None:
            specs[idle] = spec_from_env(env, version)
        return specs, True
    live_spec, recorded = running_spec(env, outputs, live, observe)
    if version is not None:
        idle_spec = spec_from_env(env, version)
    elif outputs.colour_specs is not None:  # not checked: a failed release may have left
        # ECS on the previous task definition while the stack holds the one applied
        idle_spec = parse_recorded(outputs.colour_specs[idle], f"colour_specs.{idle}")
    else:
        idle_spec = upgraded_spec(env, outputs, idle, observe(outputs, idle))
    return {live: live_spec, idle: idle_spec}, recorded
