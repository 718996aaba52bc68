"""The colours' ECS services in the emulator: created, settled, restored between tests.

The services behave like ECS's only with ``generator.demo.ecs_scheduler``'s scheduler
installed (``create_ecs_services`` installs it in this process).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.colours import COLOURS, Colour
from generator.config import Environment
from generator.demo.ecs_scheduler import install_ecs_scheduler
from generator.infra.outputs import EcsService

if TYPE_CHECKING:
    import boto3


def service_name(env: Environment, colour: Colour) -> str:
    """As the twin_environment module names it (and its task definition family)."""
    return f"{env.prefix}-{colour}"


def create_ecs_services(
    session: boto3.Session,
    env: Environment,
    *,
    vpc: str,
    subnets: list[str],
    target_groups: dict[Colour, str],
    tasks: int | None = None,
) -> tuple[dict[Colour, EcsService], dict[Colour, str]]:
    """The cluster and each colour's service, settled; returns ``ecs_services`` and ``versions``.

    With ``capacity.idle: scaled_down`` the idle colour starts with 0 tasks.
    """
    install_ecs_scheduler()
    ecs, ec2 = session.client("ecs"), session.client("ec2")
    autoscaling = session.client("application-autoscaling")
    cluster = env.prefix
    ecs.create_cluster(clusterName=cluster)
    group = ec2.create_security_group(
        GroupName=f"{env.prefix}-tasks", Description="tasks of both colours", VpcId=vpc
    )["GroupId"]
    refs: dict[Colour, EcsService] = {}
    versions: dict[Colour, str] = {}
    for colour in COLOURS:
        name = service_name(env, colour)
        versions[colour] = f"{env.container.image}:{env.versions[colour]}"
        task_definition = register_task_definition(session, env, colour, env.versions[colour])
        idle_down = env.capacity.idle == "scaled_down" and colour != env.live_colour
        count = 0 if idle_down else (env.capacity.desired if tasks is None else tasks)
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=task_definition,
            desiredCount=count,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}
            },
            loadBalancers=[
                {
                    "targetGroupArn": target_groups[colour],
                    "containerName": "app",
                    "containerPort": env.container.port,
                }
            ],
        )
        autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{cluster}/{name}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=0 if idle_down else min(env.capacity.min, count),
            MaxCapacity=0 if idle_down else max(env.capacity.max, count),
        )
        refs[colour] = EcsService(cluster=cluster, service=name)
    settle(session, list(refs.values()))
    return refs, versions


def register_task_definition(
    session: boto3.Session, env: Environment, colour: Colour, version: str
) -> str:
    """A new revision of the colour's task definition running ``version``; its ARN."""
    answer = session.client("ecs").register_task_definition(
        family=service_name(env, colour),
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=str(env.container.cpu),
        memory=str(env.container.memory),
        containerDefinitions=[
            {
                "name": "app",
                "image": f"{env.container.image}:{version}",
                "essential": True,
                "portMappings": [{"containerPort": env.container.port, "protocol": "tcp"}],
            }
        ],
    )
    return answer["taskDefinition"]["taskDefinitionArn"]


def settle(session: boto3.Session, refs: list[EcsService], rounds: int = 100) -> None:
    """Describe the services until their rollouts are over (the scheduler acts when observed)."""
    ecs = session.client("ecs")
    for _ in range(rounds):
        done = True
        for ref in refs:
            svc = ecs.describe_services(cluster=ref.cluster, services=[ref.service])["services"][0]
            states = {d.get("rolloutState") for d in svc.get("deployments", [])}
            done = done and states <= {"COMPLETED", "FAILED"}
        if done:
            return


def restore_services(
    session: boto3.Session, env: Environment, refs: dict[Colour, EcsService]
) -> None:
    """Each colour back as created: first task definition, size, bounds, targets = tasks."""
    ecs, elbv2 = session.client("ecs"), session.client("elbv2")
    autoscaling = session.client("application-autoscaling")
    for colour, ref in refs.items():
        idle_down = env.capacity.idle == "scaled_down" and colour != env.live_colour
        count = 0 if idle_down else env.capacity.desired
        autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{ref.cluster}/{ref.service}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=min(env.capacity.min, count),
            MaxCapacity=max(env.capacity.max, count) if count else 0,
        )
        ecs.update_service(
            cluster=ref.cluster,
            service=ref.service,
            taskDefinition=f"{ref.service}:1",
            desiredCount=count,
        )
    settle(session, list(refs.values()))
    for ref in refs.values():
        svc = ecs.describe_services(cluster=ref.cluster, services=[ref.service])["services"][0]
        tg = svc["loadBalancers"][0]["targetGroupArn"]
        arns = ecs.list_tasks(cluster=ref.cluster, desiredStatus="RUNNING")["taskArns"]
        described = ecs.describe_tasks(cluster=ref.cluster, tasks=arns)["tasks"] if arns else []
        wanted = {
            d["value"]
            for t in described
            if t.get("group") == f"service:{ref.service}"
            for a in t.get("attachments", [])
            for d in a.get("details", [])
            if d["name"] == "privateIPv4Address"
        }
        found = {
            h["Target"]["Id"]
            for h in elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        }
        if found - wanted:
            elbv2.deregister_targets(
                TargetGroupArn=tg, Targets=[{"Id": i} for i in sorted(found - wanted)]
            )
        if wanted - found:
            elbv2.register_targets(
                TargetGroupArn=tg,
                Targets=[{"Id": i, "Port": env.container.port} for i in sorted(wanted)],
            )
