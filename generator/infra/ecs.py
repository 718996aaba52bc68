"""What runs on each colour, as ECS reports it: services, rollouts, tasks, images.

What a colour runs as a whole (its spec) is read and checked in ``infra.running``;
this module is the service's life: its rollouts, tasks and size. Readiness, sizing
and ``zdd status`` read ECS through the ``EcsServices`` protocol, so a test can
stand in for the rollout states moto does not model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from generator.infra.outputs import EcsService

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling.client import ApplicationAutoScalingClient
    from mypy_boto3_ecs.client import ECSClient


@dataclass(frozen=True)
class Rollout:
    """One ECS deployment of a service: PRIMARY is where ECS is going."""

    id: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    task_definition: str
    state: str  # COMPLETED | IN_PROGRESS | FAILED ("" when ECS does not say)
    reason: str
    desired: int
    running: int


@dataclass(frozen=True)
class ServiceState:
    """A colour's ECS service now."""

    cluster: str
    service: str
    task_definition: str
    desired: int
    running: int
    pending: int
    rollouts: tuple[Rollout, ...]

    @property
    def primary(self) -> Rollout | None:
        return next((r for r in self.rollouts if r.status == "PRIMARY"), None)

    @property
    def revision(self) -> str:
        """``family:revision`` of the service's task definition."""
        return self.task_definition.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class RunningTask:
    arn: str
    task_definition: str
    address: str | None  # private IPv4 of its ENI: the target the ALB sees
    digest: str | None  # image digest of its first container, when ECS knows it


class EcsServices(Protocol):
    """The ECS (and Application Auto Scaling) calls zdd makes about a colour's service."""

    def describe(self, ref: EcsService) -> ServiceState: ...

    def running_tasks(self, ref: EcsService) -> list[RunningTask]: ...

    def image(self, task_definition: str) -> str:
        """The image reference of the task definition's first container."""
        ...

    def resize(self, ref: EcsService, desired: int, minimum: int, maximum: int) -> None:
        """Autoscaling bounds first (so it cannot undo the change), then the desired count."""
        ...


def tag_of(image: str) -> str | None:
    """The tag of ``repo:tag`` or ``repo:tag@sha256:...``; None for a bare digest."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _address(task: Any) -> str | None:
    for attachment in task.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                return str(detail.get("value"))
    return None


class AwsEcsServices:
    """``EcsServices`` on boto3 clients."""

    def __init__(self, ecs: ECSClient, autoscaling: ApplicationAutoScalingClient) -> None:
        self.ecs = ecs
        self.autoscaling = autoscaling
        self._images: dict[str, str] = {}  # task definitions are immutable

    def describe(self, ref: EcsService) -> ServiceState:
        answer = self.ecs.describe_services(cluster=ref.cluster, services=[ref.service])
        found = answer.get("services", [])
        if not found:
            reasons = ", ".join(f.get("reason", "?") for f in answer.get("failures", []))
            raise LookupError(f"ECS service {ref.cluster}/{ref.service} not found ({reasons})")
        s = found[0]
        return ServiceState(
            cluster=ref.cluster,
            service=ref.service,
            task_definition=s.get("taskDefinition", ""),
            desired=s.get("desiredCount", 0),
            running=s.get("runningCount", 0),
            pending=s.get("pendingCount", 0),
            rollouts=tuple(
                Rollout(
                    id=d.get("id", ""),
                    status=d.get("status", ""),
                    task_definition=d.get("taskDefinition", ""),
                    state=d.get("rolloutState", ""),
                    reason=d.get("rolloutStateReason", ""),
                    desired=d.get("desiredCount", 0),
                    running=d.get("runningCount", 0),
                )
                for d in s.get("deployments", [])
            ),
        )

    def running_tasks(self, ref: EcsService) -> list[RunningTask]:
        arns: list[str] = []
        for page in self.ecs.get_paginator("list_tasks").paginate(
            cluster=ref.cluster, serviceName=ref.service, desiredStatus="RUNNING"
        ):
            arns.extend(page.get("taskArns", []))
        tasks: list[RunningTask] = []
        group = f"service:{ref.service}"
        for chunk in _chunks(arns, 100):
            for t in self.ecs.describe_tasks(cluster=ref.cluster, tasks=chunk).get("tasks", []):
                # Filtered here too: an emulator may ignore ListTasks' serviceName.
                if t.get("group") != group or t.get("lastStatus") != "RUNNING":
                    continue
                containers = t.get("containers", [])
                tasks.append(
                    RunningTask(
                        arn=t.get("taskArn", ""),
                        task_definition=t.get("taskDefinitionArn", ""),
                        address=_address(t),
                        digest=containers[0].get("imageDigest") if containers else None,
                    )
                )
        return tasks

    def image(self, task_definition: str) -> str:
        if task_definition not in self._images:
            answer = self.ecs.describe_task_definition(taskDefinition=task_definition)
            containers = answer["taskDefinition"].get("containerDefinitions", [])
            self._images[task_definition] = containers[0].get("image", "") if containers else ""
        return self._images[task_definition]

    def resize(self, ref: EcsService, desired: int, minimum: int, maximum: int) -> None:
        self.autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{ref.cluster}/{ref.service}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=minimum,
            MaxCapacity=maximum,
        )
        self.ecs.update_service(cluster=ref.cluster, service=ref.service, desiredCount=desired)
