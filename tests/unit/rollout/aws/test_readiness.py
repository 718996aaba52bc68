"""Readiness before the first weight moves: ECS rollouts on moto (with the emulator's
scheduler), rollout states moto cannot produce through botocore's Stubber and a thin fake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from generator.demo import ecs_scheduler as emulator_ecs
from generator.errors import NotReady
from generator.infra.ecs import AwsEcsServices, EcsServices, Rollout, RunningTask, ServiceState
from generator.infra.outputs import EcsService
from generator.rollout import release
from generator.rollout.aws.readiness import ColourProbe
from tests.unit.rollout.release_world import STRATEGY, context, kinds, release_image


def test_a_settled_idle_colour_is_ready_and_the_release_goes_on(
    aws, clock, staging, tmp_path: Path
) -> None:
    ctx = context(aws, clock, tmp_path, staging)
    dep = release.shift(ctx, aws.outputs, STRATEGY)
    assert dep.status == "promoted"
    found = kinds(ctx)
    assert found.index("readiness.ready") < found.index("step.verified")


def test_release_waits_for_the_ecs_rollout_then_shifts(
    aws, clock, staging, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(emulator_ecs.SETTINGS, "describes_to_settle", 3)
    outputs = release_image(aws, staging, "green", "2.0.0")
    ctx = context(aws, clock, tmp_path, staging)
    dep = release.shift(ctx, outputs, STRATEGY, release="2.0.0")
    assert dep.status == "promoted"
    waiting = [e.message for e in ctx.events.history if e.kind == "readiness.waiting"]
    assert waiting and "ECS rollout IN_PROGRESS" in waiting[0]
    found = kinds(ctx)
    assert found.index("readiness.ready") < found.index("step.verified")
    assert aws.weights() == {"blue": 0, "green": 100}


def test_failed_rollout_exits_1_with_its_reason_and_moves_nothing(
    aws, clock, staging, tmp_path: Path
) -> None:
    outputs = release_image(aws, staging, "green", "2.0.0-crashloop")
    ctx = context(aws, clock, tmp_path, staging)
    with pytest.raises(NotReady, match="circuit breaker: tasks failed to start") as caught:
        release.shift(ctx, outputs, STRATEGY, release="2.0.0-crashloop")
    assert caught.value.exit_code == 1
    assert "nothing was moved" in str(caught.value)
    assert aws.weights() == {"blue": 100, "green": 0}
    assert ctx.store.load().current is None  # no deployment was started


def test_a_rollout_that_never_finishes_times_out_and_moves_nothing(
    aws, clock, staging, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(emulator_ecs.SETTINGS, "describes_to_settle", 10**6)
    outputs = release_image(aws, staging, "green", "2.0.0")
    ctx = context(aws, clock, tmp_path, staging)
    strategy = STRATEGY.model_copy(update={"ready_timeout_seconds": 60})
    with pytest.raises(NotReady, match="not ready after 60s"):
        release.shift(ctx, outputs, strategy)
    assert aws.weights() == {"blue": 100, "green": 0}


def test_a_healthy_target_that_is_not_a_task_of_the_release_holds_the_shift(aws) -> None:
    tg = aws.outputs.target_group_arns["green"]
    aws.client("elbv2").register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.9.9.9"}])
    probe = ColourProbe(
        AwsEcsServices(aws.client("ecs"), aws.client("application-autoscaling")),
        aws.client("elbv2"),
        aws.outputs.ecs_services["green"],
        tg,
        release_image=aws.outputs.versions["green"],
        min_healthy=1,
    )
    result = probe.check()
    assert result.state == "waiting"
    assert "10.9.9.9" in result.detail and "not tasks of shop-staging-green:1" in result.detail


# -- what moto cannot model: rollout states, through botocore's Stubber -----------


def _stubbed(deployments: list[dict[str, object]], task_definition: str) -> AwsEcsServices:
    session = boto3.Session(region_name="eu-west-1")
    ecs = session.client("ecs")
    stubber = Stubber(ecs)
    stubber.add_response(
        "describe_services",
        {
            "services": [
                {
                    "serviceName": "svc",
                    "taskDefinition": task_definition,
                    "desiredCount": 2,
                    "runningCount": 2,
                    "pendingCount": 0,
                    "deployments": deployments,
                }
            ]
        },
        {"cluster": "c", "services": ["svc"]},
    )
    stubber.activate()
    return AwsEcsServices(ecs, session.client("application-autoscaling"))


def _deployment(status: str, td: str, state: str, reason: str) -> dict[str, object]:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return {
        "id": f"ecs-svc/{td[-1]}",
        "status": status,
        "taskDefinition": td,
        "desiredCount": 2,
        "runningCount": 0 if state == "FAILED" else 2,
        "rolloutState": state,
        "rolloutStateReason": reason,
        "createdAt": now,
    }


def _probe(services: EcsServices) -> ColourProbe:
    return ColourProbe(
        services,
        None,  # type: ignore[arg-type]  # never reached: the rollout decides first
        EcsService(cluster="c", service="svc"),
        "arn:tg",
        release_image=None,
        min_healthy=1,
    )


def test_a_failed_primary_rollout_reported_by_ecs_fails_with_its_reason() -> None:
    services = _stubbed(
        [_deployment("PRIMARY", "arn:td/app:7", "FAILED", "tasks failed to start")],
        "arn:td/app:7",
    )
    result = _probe(services).check()
    assert result == result.__class__("failed", "ECS rollout FAILED: tasks failed to start")


def test_a_circuit_breaker_rollback_reported_by_ecs_fails() -> None:
    services = _stubbed(
        [
            _deployment("PRIMARY", "arn:td/app:6", "IN_PROGRESS", "rolling back"),
            _deployment("ACTIVE", "arn:td/app:7", "FAILED", "circuit breaker"),
        ],
        "arn:td/app:6",
    )
    result = _probe(services).check()
    assert result.state == "failed"
    assert "app:7 FAILED (circuit breaker)" in result.detail and "back to app:6" in result.detail


class Transitions:
    """A thin fake behind ``EcsServices``: each describe returns the next rollout state."""

    def __init__(self, states: list[str]) -> None:
        self.states = states

    def describe(self, ref: EcsService) -> ServiceState:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        rollout = Rollout("d1", "PRIMARY", "arn:td/app:2", state, "", 2, 2)
        return ServiceState(ref.cluster, ref.service, "arn:td/app:2", 2, 2, 0, (rollout,))

    def running_tasks(self, ref: EcsService) -> list[RunningTask]:
        return [RunningTask("t1", "arn:td/app:2", "10.0.0.1", None)]

    def image(self, task_definition: str) -> str:
        return "app:2.0.0"

    def resize(self, ref: EcsService, desired: int, minimum: int, maximum: int) -> None:
        raise AssertionError("readiness never resizes")


def test_in_progress_then_completed_is_waited_for(aws) -> None:
    fake = Transitions(["IN_PROGRESS", "IN_PROGRESS", "COMPLETED"])
    tg = aws.outputs.target_group_arns["green"]
    probe = ColourProbe(
        fake, aws.client("elbv2"), EcsService(cluster="c", service="s"), tg,
        release_image="app:2.0.0", min_healthy=1,
    )  # fmt: skip
    assert "ECS rollout IN_PROGRESS" in probe.check().detail
    assert probe.check().state == "waiting"
    # COMPLETED; the target group's healthy targets are moto's tasks, not the fake's
    assert "not tasks of app:2" in probe.check().detail
    elbv2 = aws.client("elbv2")
    strangers = [
        d["Target"]
        for d in elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    ]
    elbv2.deregister_targets(TargetGroupArn=tg, Targets=strangers)
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.1"}])
    assert probe.check().state == "ready"
