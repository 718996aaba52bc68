"""The ``analysis`` section: judge the new colour on metrics, not only on its alarms.

Two parts, both judged at every poll of every bake: a built-in comparison of the
new colour with the live one on the load balancer's per-target-group metrics,
and user-defined metric checks with a condition (``< 0.01``, ``<= live * 1.2``).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from generator.config.base import Model
from generator.config.conditions import ConditionError, parse_condition

Alpha = Annotated[float, Field(gt=0, le=0.2)]
Ratio = Annotated[float, Field(ge=1.0, le=100.0)]
CHECK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
METRIC_ID = re.compile(r"^[a-z][A-Za-z0-9_]{0,39}$")
STAT = re.compile(
    r"^(?:Sum|Average|Minimum|Maximum|SampleCount|(?:p|tm|wm|tc|ts)\d{1,2}(?:\.\d+)?)$"
)
PLACEHOLDERS = ("{load_balancer}", "{target_group}", "{colour}")


class ErrorComparison(Model):
    """Target 5xx responses per request of the new colour versus the live one."""

    enabled: bool = Field(True, description="Compare 5xx rates (Fisher's exact test)")
    min_ratio: Ratio = Field(
        1.2, description="Fail only when the new colour's rate is also at least this times live's"
    )


class LatencyComparison(Model):
    """Per-period response time of the new colour versus the live one."""

    enabled: bool = Field(
        True, description="Compare latency (z-test of means early, Mann-Whitney U at the end)"
    )
    min_ratio: Ratio = Field(
        1.1, description="Fail only when the new colour's mean is also at least this times live's"
    )
    percentiles: bool = Field(
        False,
        description="Also read p50/p90/p99 (CloudWatch serves them, moto cannot) and count "
        "requests slower than live's p90",
    )


class Compare(Model):
    """Built-in comparison with the live colour, on the ALB's per-target-group metrics."""

    enabled: bool = Field(True, description="Compare the new colour with the live one")
    alpha: Alpha = Field(
        0.01, description="False-positive rate of each metric over one step's bake (0-0.2]"
    )
    marginal_alpha: Alpha = Field(0.1, description="p-value under which a metric is marginal")
    min_requests: int = Field(
        50, ge=1, le=10_000_000, description="Requests each colour needs in a window"
    )
    errors: ErrorComparison = Field(default_factory=ErrorComparison)
    latency: LatencyComparison = Field(default_factory=LatencyComparison)

    @model_validator(mode="after")
    def _marginal(self) -> Compare:
        if self.marginal_alpha < self.alpha:
            raise ValueError("marginal_alpha must be at least alpha")
        return self


class MetricStat(Model):
    """One CloudWatch metric and statistic; dimension values may use {load_balancer},
    {target_group} and {colour}, filled in for each colour."""

    namespace: str = Field(min_length=1, max_length=255, description="e.g. AWS/ApplicationELB")
    name: str = Field(min_length=1, max_length=255, description="Metric name")
    stat: str = Field("Average", description="Sum, Average, Minimum, Maximum, SampleCount, p99")
    dimensions: dict[str, str] = Field(default_factory=dict, description="Dimension values")
    unit: str | None = Field(None, description="Unit filter")

    @field_validator("stat")
    @classmethod
    def _stat(cls, v: str) -> str:
        if not STAT.match(v):
            raise ValueError("must be Sum, Average, Minimum, Maximum, SampleCount or pNN")
        return v

    @field_validator("dimensions")
    @classmethod
    def _dimensions(cls, v: dict[str, str]) -> dict[str, str]:
        if len(v) > 30:
            raise ValueError("at most 30 dimensions")
        for key, value in v.items():
            if not 1 <= len(key) <= 255 or not 1 <= len(value) <= 1024:
                raise ValueError(f"dimension {key!r}: names 1-255 and values 1-1024 characters")
            for brace in re.findall(r"\{[^}]*\}", value):
                if brace not in PLACEHOLDERS:
                    raise ValueError(f"{brace} is not one of {', '.join(PLACEHOLDERS)}")
        return v


class MetricCheck(Model):
    """A user-defined check: a metric (or metric math over ``metrics``) and a condition."""

    name: str = Field(description="Lowercase letters, digits and _; shown in status")
    metric: MetricStat | None = Field(None, description="The metric; or use expression")
    expression: str | None = Field(
        None, max_length=1024, description="Metric math over the ids in metrics"
    )
    metrics: dict[str, MetricStat] = Field(
        default_factory=dict, description="Metrics the expression uses, by id"
    )
    condition: str = Field(description="What a healthy period satisfies: '< 5', '<= live * 1.2'")
    failure_limit: int = Field(0, ge=0, le=1000, description="Failed periods tolerated")
    inconclusive_limit: int = Field(
        0, ge=0, le=1000, description="Periods without a value (or live value) tolerated"
    )
    min_datapoints: int = Field(1, ge=1, le=1440, description="Periods needed for a verdict")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not CHECK_NAME.match(v):
            raise ValueError("must be 1-40 of a-z 0-9 _, starting with a letter")
        return v

    @field_validator("condition")
    @classmethod
    def _condition(cls, v: str) -> str:
        try:
            parse_condition(v)
        except ConditionError as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("metrics")
    @classmethod
    def _ids(cls, v: dict[str, MetricStat]) -> dict[str, MetricStat]:
        for key in v:
            if not METRIC_ID.match(key):
                raise ValueError(f"id {key!r} must start with a lowercase letter (a-z A-Z 0-9 _)")
        return v

    @model_validator(mode="after")
    def _one_query(self) -> MetricCheck:
        if (self.metric is None) == (self.expression is None):
            raise ValueError("give exactly one of metric and expression")
        if self.expression is not None and not self.metrics:
            raise ValueError("expression needs the metrics it uses")
        return self


class Analysis(Model):
    """Metric checks and a statistical comparison with the live colour, judged at each poll."""

    period_seconds: int = Field(60, description="Period of the metric data: 60 or a multiple")
    settle_seconds: float = Field(
        60, ge=0, le=900, description="How long after a period ends its data is complete"
    )
    compare: Compare = Field(default_factory=Compare)
    checks: list[MetricCheck] = Field(default_factory=list, description="User-defined checks")

    @field_validator("period_seconds")
    @classmethod
    def _period(cls, v: int) -> int:
        if v not in (1, 5, 10, 20, 30) and (v <= 0 or v % 60 or v > 86400):
            raise ValueError("must be 1, 5, 10, 20, 30 or a multiple of 60 up to 86400")
        return v

    @model_validator(mode="after")
    def _unique(self) -> Analysis:
        names = [c.name for c in self.checks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"check names must be unique (repeated: {', '.join(duplicates)})")
        if len(self.checks) > 40:
            raise ValueError("at most 40 checks (GetMetricData takes 500 queries)")
        return self
