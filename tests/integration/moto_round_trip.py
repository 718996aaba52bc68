"""moto_server that gives back what terraform wrote, so a second plan is empty.

Two gaps of moto 5 make every plan after an apply of the rendered stack update
both colours in place, which the guard (rightly) refuses for the live one:

* DescribeSecurityGroupRules drops the description of a rule that references a
  security group (moto reads it from CIDR ranges only);
* DescribeServices has no ``availabilityZoneRebalancing`` (AWS answers DISABLED), and
  forgets ``healthCheckGracePeriodSeconds`` (answers 0).

``serve`` applies ``moto_world.extend_moto``, the emulator's ECS scheduler (tasks that
start, register in the target group and settle a rollout) and these two. They belong with it in
``moto_world`` once that settles; until then the pipeline tests use this server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.testing.moto_world import moto_server_executable
from generator.testing.moto_world import serve as serve_extended


def round_trip() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule
    from moto.ecs.models import Service

    def description(rule: Any) -> str | None:
        found = (rule.ip_range or {}).get("Description") or (rule.source_group or {}).get(
            "Description"
        )
        return str(found) if found is not None else None

    cls: Any = SecurityGroupRule
    cls.description = property(description)
    service: Any = Service
    service.availability_zone_rebalancing = "DISABLED"
    _keep_grace_period()


def _keep_grace_period() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    cls: Any = EC2ContainerServiceResponse
    for action, name_param in (("create_service", "serviceName"), ("update_service", "service")):
        original = getattr(cls, action)

        def keep(self: Any, original: Any = original, name_param: str = name_param) -> Any:
            result = original(self)
            grace = self._get_param("healthCheckGracePeriodSeconds")
            if grace is not None:
                cluster = self._get_param("cluster", "default")
                services, _ = self.ecs_backend.describe_services(
                    cluster, [self._get_param(name_param)]
                )
                for found in services:
                    found.health_check_grace_period_seconds = grace
            return result

        setattr(cls, action, keep)


def serve() -> None:
    from generator.testing.ecs import install_ecs_scheduler

    install_ecs_scheduler()  # ECS starts the tasks of a service, as AWS does
    round_trip()
    serve_extended()


def executable(directory: Path) -> str:
    """Write an executable that runs ``serve`` (for ``moto_server_process``); return it."""
    return moto_server_executable(directory, __name__, "moto_server_round_trip")
