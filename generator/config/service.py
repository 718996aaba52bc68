"""Schema sections of what one colour runs: its container and its health check.

A release may change any of them: the idle colour is rendered from these, the live one
from the spec recorded when it was released (``generator.infra.spec``).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from generator.config.base import Model, Port

SECRET_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:(?:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+-[A-Za-z0-9]{6}"
    r"(?::[^:]*:[^:]*:[^:]*)?|ssm:[a-z0-9-]+:\d{12}:parameter/\S+)$"
)

# The values CloudWatch Logs accepts for a log group's retention, in days.
_DAYS = "1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653"
LOG_RETENTION_DAYS = tuple(int(days) for days in _DAYS.split(" "))


class HealthCheck(Model):
    """Target group health check of a colour (released with it, like the container)."""

    path: str = Field("/", description="HTTP path the target group checks")
    interval_seconds: int = Field(15, ge=5, le=300, description="5-300 s")
    timeout_seconds: int = Field(5, ge=2, le=120, description="2-120 s, less than interval")
    healthy_threshold: int = Field(3, ge=2, le=10, description="2-10 checks")
    unhealthy_threshold: int = Field(3, ge=2, le=10, description="2-10 checks")
    matcher: str = Field("200", description="HTTP codes counted healthy, e.g. 200-299")
    grace_period_seconds: int = Field(
        60, ge=0, le=2147483647, description="Seconds ECS ignores failing checks of a new task"
    )

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or len(v) > 1024:
            raise ValueError("must start with / and be at most 1024 characters")
        return v

    @field_validator("matcher")
    @classmethod
    def _matcher(cls, v: str) -> str:
        if not re.match(r"^[1-5]\d\d(?:-[1-5]\d\d)?(?:,[1-5]\d\d(?:-[1-5]\d\d)?)*$", v):
            raise ValueError("must be HTTP codes such as 200, 200-299 or 200,302")
        return v

    @model_validator(mode="after")
    def _timeout(self) -> HealthCheck:
        if self.timeout_seconds >= self.interval_seconds:
            raise ValueError("timeout_seconds must be less than interval_seconds")
        return self


class Container(Model):
    """The ECS Fargate container a colour runs: released to the idle colour, whole."""

    image: str = Field(description="Image repository without tag, e.g. nginx or ECR URL")
    port: Port = Field(80, description="Container port the target group forwards to")
    cpu: Literal[256, 512, 1024, 2048, 4096] = Field(256, description="Fargate CPU units")
    memory: int = Field(512, ge=512, le=30720, description="Fargate memory, MiB")
    environment: dict[str, str] = Field(
        default_factory=dict, description="Environment variables of the container"
    )
    log_retention_days: int = Field(
        365, description="Days the container logs are kept: a value CloudWatch Logs accepts"
    )
    readonly_root_filesystem: bool = Field(
        True, description="Read-only root filesystem; writable paths go in scratch_paths"
    )
    scratch_paths: list[str] = Field(
        default_factory=lambda: ["/tmp"],
        max_length=20,
        description="Writable empty directories per task (nginx: /tmp, /var/cache/nginx, /var/run)",
    )
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variables from Secrets Manager or SSM: NAME -> ARN",
    )
    task_role_policy_arns: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Managed policies for the role the application runs as",
    )
    command: list[str] | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Container command (overrides the image's CMD); omit for the image's own",
    )
    entry_point: list[str] | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Container entry point (overrides the image's ENTRYPOINT); omit for the "
        "image's own",
    )

    @field_validator("scratch_paths")
    @classmethod
    def _scratch(cls, v: list[str]) -> list[str]:
        for path in v:
            if not path.startswith("/") or path == "/" or any(c.isspace() for c in path):
                raise ValueError(f"{path!r} must be an absolute container path other than /")
        if len(set(v)) != len(v):
            raise ValueError("must not repeat a path")
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str]) -> dict[str, str]:
        for name, arn in v.items():
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                raise ValueError(f"{name!r} must be an environment variable name")
            if not SECRET_ARN.match(arn):
                raise ValueError(
                    f"secret {name}: {arn!r} must be a Secrets Manager secret ARN (with its "
                    "6-character suffix) or an SSM parameter ARN"
                )
        return v

    @field_validator("task_role_policy_arns")
    @classmethod
    def _policies(cls, v: list[str]) -> list[str]:
        for arn in v:
            if not re.match(r"^arn:aws(?:-[a-z]+)*:iam::(?:aws|\d{12}):policy/\S+$", arn):
                raise ValueError(f"{arn!r} must be an IAM managed policy ARN")
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in LOG_RETENTION_DAYS:
            shown = ", ".join(map(str, LOG_RETENTION_DAYS))
            raise ValueError(f"must be a retention CloudWatch Logs accepts: {shown} (got {v})")
        return v

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if not v or ":" in v.rsplit("/", 1)[-1] or any(c.isspace() for c in v):
            raise ValueError("must be an image repository without a tag or spaces")
        return v

    @model_validator(mode="after")
    def _fargate_size(self) -> Container:
        allowed = FARGATE_MEMORY[self.cpu]
        if self.memory not in allowed:
            shown = f"{allowed[0]}-{allowed[-1]} in steps of {allowed[1] - allowed[0]}"
            raise ValueError(
                f"container.memory: Fargate runs {self.cpu} CPU units with {shown} MiB "
                f"(got {self.memory})"
            )
        return self


# Fargate's CPU/memory pairs (MiB); AWS rejects any other combination at RunTask time.
FARGATE_MEMORY: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4096 + 1, 1024)),
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
}
