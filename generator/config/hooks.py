"""Hook kinds beyond a local command: an HTTP request, an ECS task, a Lambda function.

Each item of a hook stage is one mapping whose key names its kind::

    post_test_traffic:
      - http: {path: /healthz, expect_status: [200], body_contains: ok}
      - ecs_task: {command: [./smoke.sh]}
      - lambda: {function: smoke-tests, payload: {suite: quick}}
      - command: [./check.sh]
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from generator.config.base import Model

HOOK_KINDS = ("command", "http", "ecs_task", "lambda")


def hook_kind(value: Any) -> str | None:
    """The kind of one hook item, for pydantic's discriminated union."""
    keys = set(value) if isinstance(value, dict) else set()
    if not isinstance(value, dict):
        keys = {k for k in ("command", "http", "ecs_task", "lambda_") if hasattr(value, k)}
        keys = {"lambda" if k == "lambda_" else k for k in keys}
    found = [kind for kind in HOOK_KINDS if kind in keys]
    return found[0] if len(found) == 1 else None


class HttpRequest(Model):
    target: Literal["test", "production"] = Field(
        "test", description="test: the test listener (the new colour); production: the main one"
    )
    path: str = Field("/", max_length=2048, description="Path and query, starting with /")
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expect_status: list[int] = Field(default_factory=lambda: [200], min_length=1)
    body_contains: str | None = Field(None, max_length=1024, description="Required substring")
    retries: int = Field(3, ge=0, le=100, description="Extra attempts after a failure")
    retry_seconds: float = Field(5, ge=0, le=600, description="Wait between attempts")
    request_timeout_seconds: float = Field(10, gt=0, le=300)

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or re.search(r"[\s\x00-\x1f]", v):
            raise ValueError("must start with / and contain no spaces or control characters")
        return v

    @field_validator("expect_status")
    @classmethod
    def _status(cls, v: list[int]) -> list[int]:
        if any(not 100 <= s <= 599 for s in v):
            raise ValueError("HTTP status codes are 100-599")
        return v


class HttpHook(Model):
    """A request to the test or production URL; the status (and body) decide."""

    http: HttpRequest
    timeout_seconds: float = Field(300, gt=0, le=3600, description="Whole hook, all retries")


class EcsTask(Model):
    command: list[str] | None = Field(None, description="Container command override")
    container: str = Field("app", min_length=1, max_length=255, description="Container to judge")
    cluster: str | None = Field(None, description="Default: the stack's cluster")
    service: str | None = Field(None, description="Service whose task definition and network")
    environment: dict[str, str] = Field(default_factory=dict, description="Extra variables")


class EcsTaskHook(Model):
    """RunTask with the new colour's task definition and network; exit code 0 passes."""

    ecs_task: EcsTask
    timeout_seconds: float = Field(600, gt=0, le=3600, description="Stopped after this")
    poll_seconds: float = Field(5, gt=0, le=300, description="DescribeTasks interval")


class LambdaInvoke(Model):
    function: str = Field(min_length=1, max_length=170, description="Name, ARN or alias ARN")
    payload: dict[str, Any] = Field(default_factory=dict, description="Merged with zdd's context")


class LambdaHook(Model):
    """Invoke a function; a function error or a returned {"ok": false} fails."""

    lambda_: LambdaInvoke = Field(alias="lambda")
    timeout_seconds: float = Field(300, gt=0, le=900)
