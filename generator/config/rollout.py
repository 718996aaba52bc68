"""Schema sections that shape a release: strategy, hooks, database gates, journal store."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from generator.config.base import S3_BUCKET, Model
from generator.config.hooks import EcsTaskHook, HttpHook, LambdaHook, hook_kind
from generator.config.urls import store_url_problem


class StepSpec(Model):
    percent: int = Field(ge=1, le=100, description="Share of traffic on the new colour")
    bake_seconds: float | None = Field(None, ge=0, le=86400, description="Bake after this step")
    gate: bool = Field(False, description="Wait for `zdd promote` after the bake")


StrategyType = Literal["all_at_once", "canary", "linear", "steps"]


class Strategy(Model):
    """How traffic moves: schedule, bakes, polling, gates."""

    type: StrategyType = Field("canary", description="all_at_once, canary, linear or steps")
    canary_percent: int = Field(10, ge=1, le=99, description="canary: first step")
    linear_percent: int = Field(25, ge=1, le=99, description="linear: size of each step")
    steps: list[int | StepSpec] | None = Field(
        None, description="steps: percentages (or {percent, bake_seconds, gate}) ending at 100"
    )
    bake_seconds: float = Field(300, ge=0, le=86400, description="Bake after each step")
    poll_seconds: float = Field(10, gt=0, le=3600, description="Alarm poll interval")
    gates: list[int] = Field(
        default_factory=list, description="Percentages after which to wait for promote"
    )
    min_healthy_targets: int = Field(
        1, ge=0, description="Healthy targets the new colour needs before any shift"
    )
    allow_unwatched: bool = Field(
        False,
        description="Release a colour the stack outputs list no alarms for (nothing watches it)",
    )
    alarm_grace_seconds: float = Field(
        60,
        ge=0,
        le=86400,
        description="How long alarm state may be unreadable or INSUFFICIENT_DATA "
        "before zdd fails closed",
    )
    ready_timeout_seconds: float = Field(
        600,
        gt=0,
        le=86400,
        description="How long the new colour's ECS rollout may take to be ready "
        "(tasks of the release running and healthy) before the release fails, nothing moved",
    )
    gate_timeout_seconds: float = Field(
        86400,
        gt=0,
        le=604800,
        description="How long a manual gate waits for `zdd promote`; then zdd rolls back",
    )

    @field_validator("steps")
    @classmethod
    def _steps(cls, v: list[int | StepSpec] | None) -> list[int | StepSpec] | None:
        if v is None:
            return v
        pcts = [s if isinstance(s, int) else s.percent for s in v]
        if (
            not pcts
            or any(p < 1 or p > 100 for p in pcts)
            or any(b <= a for a, b in itertools.pairwise(pcts))
            or pcts[-1] != 100
        ):
            raise ValueError(f"must increase and end at 100 (got {json.dumps(pcts)})")
        return v

    @model_validator(mode="after")
    def _type_needs_steps(self) -> Strategy:
        if self.type == "steps" and self.steps is None:
            raise ValueError("steps is required when type is steps")
        for name, owner in _STRATEGY_FIELDS.items():
            if name in self.model_fields_set and self.type != owner:
                raise ValueError(
                    f"strategy.{name}: applies to type {owner} only (type is {self.type}); "
                    "remove it or change the type"
                )
        percents = [s.percent for s in self.step_specs()]
        stray = [g for g in self.gates if g not in percents]
        if stray:
            raise ValueError(
                f"strategy.gates: {stray} are not step percentages of this strategy "
                f"({percents}); a gate waits after a step, so it must name one"
            )
        return self

    def step_specs(self) -> list[StepSpec]:
        """The steps this strategy takes, from the ``STRATEGIES`` table."""
        return STRATEGIES[self.type](self)


def _all_at_once(strategy: Strategy) -> list[StepSpec]:
    return [StepSpec(percent=100)]


def _canary(strategy: Strategy) -> list[StepSpec]:
    return [StepSpec(percent=strategy.canary_percent), StepSpec(percent=100)]


def _linear(strategy: Strategy) -> list[StepSpec]:
    size = strategy.linear_percent
    return [StepSpec(percent=p) for p in [*range(size, 100, size), 100]]


def _steps(strategy: Strategy) -> list[StepSpec]:
    return [s if isinstance(s, StepSpec) else StepSpec(percent=s) for s in strategy.steps or []]


STRATEGIES: dict[StrategyType, Callable[[Strategy], list[StepSpec]]] = {
    "all_at_once": _all_at_once,
    "canary": _canary,
    "linear": _linear,
    "steps": _steps,
}
"""Every strategy and the steps it takes: the one table a new strategy is added to
(beside its name in ``StrategyType``; a test checks they agree)."""

# Fields that only mean something for one strategy type.
_STRATEGY_FIELDS: dict[str, StrategyType] = {
    "canary_percent": "canary",
    "linear_percent": "linear",
    "steps": "steps",
}


class Hook(Model):
    command: list[str] = Field(min_length=1, description="argv of the hook command")
    timeout_seconds: float = Field(300, gt=0, le=3600, description="Killed after this")


AnyHook = Annotated[
    Annotated[Hook, Tag("command")]
    | Annotated[HttpHook, Tag("http")]
    | Annotated[EcsTaskHook, Tag("ecs_task")]
    | Annotated[LambdaHook, Tag("lambda")],
    Discriminator(
        hook_kind,
        custom_error_type="hook_kind",
        custom_error_message="each hook is one of command, http, ecs_task or lambda",
    ),
]


class Hooks(Model):
    """Hooks run around traffic changes: commands, HTTP checks, ECS tasks, Lambda functions."""

    pre_traffic: list[AnyHook] = Field(
        default_factory=list, description="Run before any weight moves; failure stops"
    )
    post_test_traffic: list[AnyHook] = Field(
        default_factory=list,
        description="Run once the test listener reaches the new colour, before production "
        "traffic; failure stops",
    )
    pre_step: list[AnyHook] = Field(
        default_factory=list, description="Run before each weight change; failure rolls back"
    )
    post_step: list[AnyHook] = Field(
        default_factory=list,
        description="Run after each weight change, before its bake; failure rolls back",
    )
    post_promote: list[AnyHook] = Field(
        default_factory=list, description="Run after the new colour takes all traffic"
    )
    on_rollback: list[AnyHook] = Field(
        default_factory=list, description="Run after a rollback; never delays it"
    )


class Database(Model):
    """Migrations checked by the expand/contract gates."""

    migrations: str = Field(description="Directory of *.sql migrations, relative to the file")
    dialect: Literal["postgres", "mysql", "sqlite"] = Field(description="SQL dialect")
    rollback_window_seconds: float = Field(
        3600, ge=0, le=31_536_000, description="How long the old colour may take traffic back"
    )


IAM_ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")


class StateBackend(Model):
    """S3 backend of the Terraform state: S3's own lock file, DynamoDB locking optional."""

    bucket: str = Field(description="S3 bucket holding Terraform state")
    use_lockfile: bool = Field(
        True,
        description="Lock the state with a lock file in S3 (needs Terraform 1.10 or later)",
    )
    lock_table: str | None = Field(
        None, description="DynamoDB table for state locking (Terraform before 1.10)"
    )
    key: str | None = Field(None, description="State key (default zdd/SERVICE/ENV.tfstate)")
    region: str | None = Field(None, description="Region of the bucket (default: region)")
    role_arn: str | None = Field(
        None, description="IAM role to assume for the state (a central state account)"
    )

    @field_validator("role_arn")
    @classmethod
    def _role(cls, v: str | None) -> str | None:
        if v is not None and not IAM_ROLE_ARN.match(v):
            raise ValueError("must be an IAM role ARN: arn:aws:iam::ACCOUNT:role/NAME")
        return v

    @model_validator(mode="after")
    def _locked(self) -> StateBackend:
        if not self.use_lockfile and not self.lock_table:
            raise ValueError(
                "the state needs a lock: keep use_lockfile (Terraform 1.10 or later) "
                "or name a lock_table"
            )
        return self

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str) -> str:
        if not S3_BUCKET.match(v) or ".." in v:
            raise ValueError("must be a valid S3 bucket name (3-63 lowercase, digits, . -)")
        return v

    @field_validator("lock_table")
    @classmethod
    def _table(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^[A-Za-z0-9_.-]{3,255}$", v):
            raise ValueError("must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)")
        return v


class Store(Model):
    """Where zdd keeps its journal and listener locks."""

    url: str = Field(
        ".zdd", description="Journal store: a directory, or dynamodb://TABLE for shared runners"
    )
    lease_seconds: float = Field(
        120,
        ge=0.5,
        le=3600,
        description="How long a run's lease on the listener lasts unless renewed; "
        "a lapsed lease is what `zdd warden` and `zdd resume` take over",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        problem = store_url_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @property
    def dynamodb_table(self) -> str | None:
        return self.url.removeprefix("dynamodb://") if self.url.startswith("dynamodb://") else None


OnOrphan = Literal["rollback", "resume", "hold"]


class Warden(Model):
    """`zdd warden`: ends releases whose runner died (its lease lapsed with no outcome)."""

    enabled: bool = Field(
        False, description="Render the warden into the stack: a scheduled Lambda function"
    )
    schedule: str = Field(
        "rate(1 minute)", description="EventBridge Scheduler expression of its passes"
    )
    on_orphan: OnOrphan = Field(
        "rollback",
        description="What the warden does with an orphaned release: rollback, resume "
        "(bakes and alarms as the runner would) or hold (only notify)",
    )

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        if not re.fullmatch(r"rate\(\d{1,4} (minute|minutes|hour|hours)\)|cron\([^()]{1,200}\)", v):
            raise ValueError("must be rate(N minutes) or cron(...), as EventBridge Scheduler takes")
        return v
