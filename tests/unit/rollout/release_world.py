"""Helpers for release-level tests on the moto world: a ReleaseContext, ECS moves, capacity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.aws import AwsClients
from generator.colours import Colour
from generator.config import Environment, Strategy
from generator.demo.ecs_world import register_task_definition, settle
from generator.events import EventBus
from generator.infra.outputs import StackOutputs
from generator.journal.local import LocalStore
from generator.rollout.release import ReleaseContext

STRATEGY = Strategy(type="canary", bake_seconds=10, poll_seconds=5, ready_timeout_seconds=120)


def context(
    aws: Any, clock: Any, tmp_path: Path, env: Environment, services: Any = None
) -> ReleaseContext:
    return ReleaseContext(
        env=env,
        env_dir=tmp_path,
        clients=AwsClients(aws.session),
        store=LocalStore(tmp_path / ".zdd", env.service, env.name, clock=clock.now),
        events=EventBus(),
        clock=clock,
        services=services,
    )


def scaled_down(env: Environment, after: float = 300) -> Environment:
    capacity = env.capacity.model_copy(
        update={"idle": "scaled_down", "scale_down_after_seconds": after}
    )
    return env.model_copy(update={"capacity": capacity})


def service(aws: Any, colour: Colour) -> dict[str, Any]:
    ref = aws.outputs.ecs_services[colour]
    answer = aws.client("ecs").describe_services(cluster=ref.cluster, services=[ref.service])
    return dict(answer["services"][0])


def counts(aws: Any) -> dict[str, tuple[int, int]]:
    """colour -> (desired, running), as moto's ECS reports them."""
    return {
        c: (service(aws, c)["desiredCount"], service(aws, c)["runningCount"])
        for c in ("blue", "green")
    }


def resize(aws: Any, colour: Colour, desired: int) -> None:
    ref = aws.outputs.ecs_services[colour]
    aws.client("ecs").update_service(cluster=ref.cluster, service=ref.service, desiredCount=desired)
    settle(aws.session, [ref])


def release_image(aws: Any, env: Environment, colour: Colour, version: str) -> StackOutputs:
    """What `terraform apply` of a release does to the idle colour: a new task definition."""
    ref = aws.outputs.ecs_services[colour]
    arn = register_task_definition(aws.session, env, colour, version)
    aws.client("ecs").update_service(cluster=ref.cluster, service=ref.service, taskDefinition=arn)
    versions = {**aws.outputs.versions, colour: f"{env.container.image}:{version}"}
    outputs: StackOutputs = aws.outputs.model_copy(update={"versions": versions})
    return outputs


def kinds(ctx: ReleaseContext) -> list[str]:
    return [e.kind for e in ctx.events.history]
