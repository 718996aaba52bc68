"""Readiness: the new colour runs the release, all of it, before the first weight moves.

Healthy targets alone are not enough: while ECS still replaces tasks, or after
the deployment circuit breaker rolled the colour back to its old task
definition, the target group is healthy and serves the wrong version. So the
idle colour is ready only when its ECS service's primary deployment is
COMPLETED on the release's task definition, running equals desired, and every
healthy target of its target group is a task of that task definition (at least
``min_healthy_targets`` of them). A FAILED rollout stops the release at once;
anything else is waited for, at most ``strategy.ready_timeout_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from generator.aws import aws_errors
from generator.colours import Colour
from generator.errors import NotReady
from generator.infra.ecs import EcsServices, ServiceState
from generator.infra.outputs import EcsService, StackOutputs
from generator.rollout.engine.context import RunContext

if TYPE_CHECKING:
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


@dataclass(frozen=True)
class Readiness:
    state: Literal["ready", "waiting", "failed"]
    detail: str


def target_health_by_address(
    elbv2: ElasticLoadBalancingv2Client, target_group_arn: str
) -> dict[str, str]:
    """Target id (an IP for Fargate tasks) -> its health state, in one call."""
    answer = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
    return {
        d["Target"]["Id"]: d.get("TargetHealth", {}).get("State", "unknown")
        for d in answer["TargetHealthDescriptions"]
    }


class ColourProbe:
    """One look at whether a colour's ECS service runs the release and only it."""

    def __init__(
        self,
        services: EcsServices,
        elbv2: ElasticLoadBalancingv2Client,
        ref: EcsService,
        target_group_arn: str,
        *,
        release_image: str | None,
        min_healthy: int,
    ) -> None:
        self.services = services
        self.elbv2 = elbv2
        self.ref = ref
        self.target_group_arn = target_group_arn
        self.release_image = release_image
        self.min_healthy = min_healthy

    def check(self) -> Readiness:
        try:
            return self._check(self.services.describe(self.ref))
        except aws_errors(LookupError) as exc:
            return Readiness("waiting", f"ECS or target health unreadable ({exc})")

    def _rollout(self, svc: ServiceState) -> Readiness | None:
        """The service's rollout: failed, still going, or (None) done on the release."""
        primary = svc.primary
        if primary is None:
            return Readiness("waiting", "no primary ECS deployment yet")
        failed = [r for r in svc.rollouts if r.state == "FAILED"]
        if primary.state == "FAILED":
            return Readiness("failed", f"ECS rollout FAILED: {primary.reason or 'no reason given'}")
        if failed:
            return Readiness(
                "failed",
                f"ECS rollout of {failed[0].task_definition.rsplit('/', 1)[-1]} FAILED "
                f"({failed[0].reason or 'no reason given'}); the service went back to "
                f"{primary.task_definition.rsplit('/', 1)[-1]}",
            )
        if self.release_image is not None:
            image = self.services.image(primary.task_definition)
            if image != self.release_image:
                return Readiness(
                    "failed",
                    f"ECS runs {image}, not the release {self.release_image} "
                    "(rolled back by the deployment circuit breaker, or changed by hand)",
                )
        if svc.desired == 0:
            return Readiness("failed", "its ECS service is scaled to 0 tasks")
        if primary.state != "COMPLETED" or svc.task_definition != primary.task_definition:
            return Readiness(
                "waiting",
                f"ECS rollout {primary.state or 'in progress'}: {primary.running}/"
                f"{primary.desired} tasks of {svc.revision} running",
            )
        if svc.running != svc.desired:
            return Readiness("waiting", f"{svc.running} tasks running, {svc.desired} desired")
        return None

    def _check(self, svc: ServiceState) -> Readiness:
        rollout = self._rollout(svc)
        if rollout is not None:
            return rollout
        tasks = {t.address: t for t in self.services.running_tasks(self.ref) if t.address}
        healthy = [
            address
            for address, state in target_health_by_address(
                self.elbv2, self.target_group_arn
            ).items()
            if state == "healthy"
        ]
        strangers = sorted(
            a for a in healthy if a not in tasks or tasks[a].task_definition != svc.task_definition
        )
        if strangers:
            return Readiness(
                "waiting",
                f"{len(strangers)} healthy targets are not tasks of {svc.revision} "
                f"({', '.join(strangers[:3])}): old tasks still draining",
            )
        if len(healthy) < self.min_healthy:
            return Readiness(
                "waiting",
                f"{len(healthy)} healthy targets of {svc.revision}; needs {self.min_healthy}",
            )
        return Readiness("ready", f"{len(healthy)} healthy targets, all tasks of {svc.revision}")


def wait_until_ready(
    run: RunContext, probe: ColourProbe, colour: Colour, *, timeout: float, poll: float
) -> str:
    """Poll ``probe`` until ready; raise ``NotReady`` when it failed or ``timeout`` passed."""
    start = run.clock.now()
    shown = None
    while True:
        result = probe.check()
        if result.state == "ready":
            run.emit("readiness.ready", f"{colour} is ready: {result.detail}", "success")
            return result.detail
        if result.state == "failed":
            raise NotReady(
                f"{colour} is not fit to take traffic: {result.detail}; nothing was moved"
            )
        waited = run.clock.now() - start
        if waited >= timeout:
            raise NotReady(
                f"{colour} not ready after {timeout:g}s (strategy.ready_timeout_seconds): "
                f"{result.detail}; nothing was moved"
            )
        if result.detail != shown:
            run.emit("readiness.waiting", f"waiting for {colour}: {result.detail}", "warning")
            shown = result.detail
        run.emit("readiness.poll", f"waiting for {colour}: {result.detail}, {waited:.0f}s")
        run.clock.sleep(max(0.0, min(poll, timeout - waited)))


def await_readiness(
    run: RunContext,
    services: EcsServices,
    elbv2: ElasticLoadBalancingv2Client,
    outputs: StackOutputs,
    colour: Colour,
    *,
    timeout: float,
    poll: float,
    min_healthy: int,
) -> None:
    """Wait until ``colour`` runs what the stack says it runs (``versions``), healthy."""
    if outputs.ecs_services is None:
        run.emit(
            "readiness.skipped",
            "readiness not checked: the stack outputs have no ecs_services "
            "(apply the stack with this zdd to add them)",
            "warning",
        )
        return
    probe = ColourProbe(
        services,
        elbv2,
        outputs.ecs_services[colour],
        outputs.target_group_arns[colour],
        release_image=outputs.versions[colour] if outputs.versions else None,
        min_healthy=min_healthy,
    )
    wait_until_ready(run, probe, colour, timeout=timeout, poll=poll)
