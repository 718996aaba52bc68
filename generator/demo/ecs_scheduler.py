"""ECS in the emulator: the colours' services, and a scheduler moto does not have.

moto keeps an ECS service's task definition and desired count, but it starts no
task for a service, never moves a deployment's ``rolloutState`` after creation,
and registers nothing in the service's target group. ``install_ecs_scheduler``
adds that inside moto's process, the way ECS's own scheduler behaves:

* CreateService and UpdateService start a rollout: a new PRIMARY deployment
  (IN_PROGRESS) when the task definition changes, a new desired count otherwise.
* DescribeServices observes it: after ``SETTINGS.describes_to_settle`` calls the
  rollout settles. Tasks of the new task definition are started (their ENI
  addresses registered in the target group), old ones stopped and deregistered,
  and the deployment is COMPLETED with running = desired.
* An image whose tag contains ``SETTINGS.failing_marker`` (or a container whose
  environment has a value containing it: a bad configuration) never starts: the
  deployment circuit breaker marks the rollout FAILED and rolls the service
  back to its previous task definition, whose tasks keep serving.

moto's own task lifecycle would stop a task after one DescribeTasks; here tasks
stay RUNNING until the scheduler stops them. Settings come from the environment
for a server in its own process (``ZDD_EMULATOR_ECS_SETTLE_AFTER``,
``ZDD_EMULATOR_FAILING_TAG``). Used by the emulator, tests and the demo only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass
class SchedulerSettings:
    describes_to_settle: int = int(os.environ.get("ZDD_EMULATOR_ECS_SETTLE_AFTER", "0"))
    failing_marker: str = os.environ.get("ZDD_EMULATOR_FAILING_TAG", "crashloop")


SETTINGS = SchedulerSettings()
_installed: list[bool] = []


def install_ecs_scheduler() -> None:
    """Patch moto (in this process) so ECS services behave as described above; idempotent."""
    _keep_tasks_running()
    if _installed:
        return
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    # moto's awsvpc task reads its ENI's DNS name, which a VPC without DNS hostnames
    # never sets: an AttributeError (HTTP 500) where AWS would just have none.
    NetworkInterface.private_dns_name = None  # type: ignore[assignment]

    create, update = (
        EC2ContainerServiceBackend.create_service,
        EC2ContainerServiceBackend.update_service,
    )

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = create(self, *args, **kwargs)
        _start_rollout(self, service, previous=None, new_deployment=True)
        return service

    def update_service(self: Any, props: dict[str, Any]) -> Any:
        before = self._get_service(props.get("cluster", "default"), props["service"].split("/")[-1])
        old_td, old_count = before.task_definition, before.desired_count
        force = bool(props.get("force_new_deployment"))
        service = update(self, props)
        # ECS answers with the full ARN whatever form UpdateService was given.
        service.task_definition = self.describe_task_definition(service.task_definition).arn
        changed_td = service.task_definition != old_td
        if changed_td or force or service.desired_count != old_count:
            _start_rollout(self, service, previous=old_td, new_deployment=changed_td or force)
        return service

    EC2ContainerServiceBackend.create_service = create_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign,assignment]
    _patch_responses(EC2ContainerServiceResponse)
    _installed.append(True)


def _patch_responses(response_class: Any) -> None:
    """DescribeServices advances the rollouts (what CreateService drops, ``moto.extend_moto``
    keeps)."""
    describe = response_class.describe_services

    def describe_services(self: Any) -> Any:
        _keep_tasks_running()  # a moto reset elsewhere forgets it
        cluster = self._get_param("cluster", "default")
        for name in self._get_param("services", []):
            try:
                service = self.ecs_backend._get_service(cluster, name.split("/")[-1])
            except Exception:
                continue
            _observe(self.ecs_backend, service)
        return describe(self)

    response_class.describe_services = describe_services


def _keep_tasks_running() -> None:
    from moto.moto_api import state_manager

    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _tasks(backend: Any, service: Any) -> list[Any]:
    group = f"service:{service.name}"
    return [
        t
        for t in backend.tasks.get(service.cluster_name, {}).values()
        if t.group == group and t.desired_status == "RUNNING"
    ]


def _start_rollout(
    backend: Any, service: Any, *, previous: str | None, new_deployment: bool
) -> None:
    running = len(_tasks(backend, service))
    primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)
    if new_deployment or primary is None:
        for d in service.deployments:
            d["status"] = "ACTIVE"
        deployment_id = f"ecs-svc/{uuid.uuid4().int % 10**18}"
        primary = {
            "id": deployment_id,
            "status": "PRIMARY",
            "taskDefinition": service.task_definition,
            "desiredCount": service.desired_count,
            "pendingCount": service.desired_count,
            "runningCount": 0,
            "failedTasks": 0,
            "launchType": service.launch_type,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
            "createdAt": _now(),
            "updatedAt": _now(),
        }
        service.deployments = [primary, *service.deployments[:1]]
    else:
        primary["desiredCount"] = service.desired_count
    service.running_count = running
    service.pending_count = max(service.desired_count - running, 0)
    service.zdd_rollout = {"left": SETTINGS.describes_to_settle, "previous": previous}


def _observe(backend: Any, service: Any) -> None:
    rollout = getattr(service, "zdd_rollout", None)
    if rollout is None:
        return
    if rollout["left"] > 0:
        rollout["left"] -= 1
        return
    service.zdd_rollout = None
    image = backend.describe_task_definition(service.task_definition).container_definitions[0]
    primary = service.deployments[0]
    if _failing(image):
        _circuit_breaker(backend, service, primary, rollout["previous"])
        return
    _converge(backend, service, primary["id"])
    primary.update(
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {primary['id']} completed.",
        runningCount=service.desired_count,
        pendingCount=0,
        updatedAt=_now(),
    )
    service.deployments = [primary]


def _circuit_breaker(
    backend: Any, service: Any, failed: dict[str, Any], previous: str | None
) -> None:
    failed.update(
        status="ACTIVE",
        rolloutState="FAILED",
        rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
        failedTasks=max(service.desired_count, 1) * 3,
        runningCount=0,
        updatedAt=_now(),
    )
    service.task_definition = previous or service.task_definition
    back = f"ecs-svc/{uuid.uuid4().int % 10**18}"
    _converge(backend, service, back)
    rolled = {
        **failed,
        "id": back,
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "rolloutState": "COMPLETED",
        "rolloutStateReason": f"ECS deployment {back} completed (rolled back from {failed['id']}).",
        "runningCount": service.desired_count,
        "failedTasks": 0,
    }
    service.deployments = [rolled, failed]


def _converge(backend: Any, service: Any, started_by: str) -> None:
    """Tasks of the service's task definition, as many as desired; targets to match."""
    from moto.elbv2.models import elbv2_backends

    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    lb = service.load_balancers[0] if service.load_balancers else None
    current = _tasks(backend, service)
    same = [t for t in current if t.task_definition_arn == service.task_definition]
    keep = same[: service.desired_count]
    for task in [t for t in current if t not in keep]:
        backend.stop_task(service.cluster_name, task.task_arn, "replaced or scaled in")
        if lb is not None:
            with contextlib.suppress(Exception):  # not registered
                elbv2.deregister_targets(lb["targetGroupArn"], [{"Id": _address(task)}])
    missing = service.desired_count - len(keep)
    if missing > 0:
        # moto's RunTask sums container memory, which Fargate (and Terraform's
        # definitions) leave to the task: lend each container the task's meanwhile.
        definition = backend.describe_task_definition(service.task_definition)
        lent = [c for c in definition.container_definitions if "memory" not in c]
        for container in lent:
            container["memory"] = int(definition.memory or 512)
        try:
            started = _run(backend, service, missing, started_by)
        finally:
            for container in lent:
                container.pop("memory", None)
        if lb is not None:
            elbv2.register_targets(
                lb["targetGroupArn"],
                [{"Id": _address(t), "Port": lb["containerPort"]} for t in started],
            )
    service.running_count = service.desired_count
    service.pending_count = 0


def _run(backend: Any, service: Any, count: int, started_by: str) -> list[Any]:
    started: list[Any] = backend.run_task(
        service.cluster_name,
        service.task_definition,
        count,
        None,
        started_by,
        None,
        "FARGATE",
        networking_configuration=service.network_configuration,
        group=f"service:{service.name}",
    )
    return started


def _address(task: Any) -> str | None:
    for attachment in task.attachments:
        for detail in attachment["details"]:
            if detail["name"] == "privateIPv4Address":
                return str(detail["value"])
    return None


def _failing(container: dict[str, Any]) -> bool:
    """A container that never starts: the marker in its image tag or an environment value."""
    marker = SETTINGS.failing_marker
    values = [str(e.get("value", "")) for e in container.get("environment") or []]
    return marker in str(container.get("image", "")).rsplit(":", 1)[-1] or any(
        marker in value for value in values
    )
