"""Schema sections that shape the infrastructure: network, load balancer, tasks, alarms."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from generator.config.base import ACM_ARN, S3_BUCKET, Model, Port, check_aws_name
from generator.config.network import check_cidrs
from generator.config.routes import SECURITY_GROUP_ID, HeaderRoute, RuleRoute, check_existing

WEB_ACL_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:wafv2:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:regional/webacl/"
    r"[A-Za-z0-9_-]{1,128}/[A-Za-z0-9-]{1,128}$"
)
SNS_TOPIC_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$"
)


class Stickiness(Model):
    """Target group stickiness of the weighted forward action."""

    enabled: bool = Field(False, description="Keep a client on one colour during a shift")
    duration_seconds: int = Field(
        3600, ge=1, le=604800, description="Stickiness duration, 1-604800 s"
    )


class AccessLogs(Model):
    """ALB access logs in S3."""

    enabled: bool = Field(False, description="Write ALB access logs to S3")
    bucket: str | None = Field(None, description="S3 bucket for access logs")
    prefix: str = Field("", description="Key prefix inside the bucket")

    @model_validator(mode="after")
    def _bucket(self) -> AccessLogs:
        if self.enabled and not self.bucket:
            raise ValueError("bucket is required when access logs are enabled")
        if self.bucket and not S3_BUCKET.match(self.bucket):
            raise ValueError("bucket must be a valid S3 bucket name")
        return self


class LoadBalancer(Model):
    """The Application Load Balancer and its listeners."""

    name: str | None = Field(
        None, description="ALB name (default: SERVICE-ENV); at most 32 characters"
    )
    internal: bool = Field(False, description="Internal rather than internet-facing")
    protocol: Literal["HTTP", "HTTPS"] = Field("HTTP", description="Production listener")
    port: Port = Field(80, description="Production listener port")
    certificate_arn: str | None = Field(None, description="ACM certificate ARN (HTTPS)")
    ssl_policy: str = Field(
        "ELBSecurityPolicy-TLS13-1-2-2021-06", description="TLS policy of HTTPS listeners"
    )
    redirect_http_port: Port | None = Field(
        None, description="With HTTPS: also listen on this port and redirect to HTTPS"
    )
    test_listener_port: Port = Field(
        8080, description="Port of the test listener that always reaches the idle colour"
    )
    deletion_protection: bool = Field(True, description="ALB deletion protection")
    idle_timeout: int = Field(60, ge=1, le=4000, description="Connection idle timeout, s")
    test_listener_cidrs: list[str] | None = Field(
        None,
        description="Who may reach the test listener (the unreleased colour); default: the "
        "VPC's own CIDR blocks, never the internet",
    )
    deregistration_delay_seconds: int = Field(
        30, ge=0, le=3600, description="Draining time of a target leaving a colour, 0-3600 s"
    )
    access_logs: AccessLogs = Field(default_factory=AccessLogs)
    stickiness: Stickiness = Field(default_factory=Stickiness)
    web_acl_arn: str | None = Field(
        None, description="WAFv2 web ACL (regional, same region) to associate with the ALB"
    )
    arn: str | None = Field(
        None, description="An existing ALB to share instead of creating one (needs listener_arn)"
    )
    listener_arn: str | None = Field(
        None, description="With arn: the existing listener the service's rule is added to"
    )
    extra_listener_arns: list[str] = Field(
        default_factory=list,
        description="With arn: more listeners of it with the same rule, moved in lockstep",
    )
    security_group_id: str | None = Field(
        None, description="With arn: its security group (default: the ALB's first one)"
    )
    rule: RuleRoute | None = Field(
        None, description="With arn: the service's listener rule (priority, hosts, paths)"
    )
    header_route: HeaderRoute | None = Field(
        None, description="With arn: a rule sending a header (or cookie) to the idle colour"
    )

    @property
    def existing(self) -> bool:
        """Whether the load balancer is an existing one (the stack renders only rules)."""
        return self.arn is not None

    @property
    def listener_arns(self) -> list[str]:
        """Every listener the service's rule is on, the production one first."""
        return ([self.listener_arn] if self.listener_arn else []) + list(self.extra_listener_arns)

    @field_validator("security_group_id")
    @classmethod
    def _sg(cls, v: str | None) -> str | None:
        if v is not None and not SECURITY_GROUP_ID.match(v):
            raise ValueError("must be a security group id: sg- and 8 or 17 hex digits")
        return v

    @model_validator(mode="after")
    def _existing(self) -> LoadBalancer:
        if self.security_group_id is not None and self.arn is None:
            raise ValueError("security_group_id needs arn (an existing load balancer)")
        check_existing(
            self.arn, self.listener_arns, self.rule, self.header_route, self.model_fields_set
        )
        return self

    @field_validator("test_listener_cidrs")
    @classmethod
    def _test_cidrs(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else check_cidrs(v)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else check_aws_name(v)

    @field_validator("web_acl_arn")
    @classmethod
    def _web_acl(cls, v: str | None) -> str | None:
        if v is not None and not WEB_ACL_ARN.match(v):
            raise ValueError(
                "must be a regional WAFv2 web ACL ARN: "
                "arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID"
            )
        return v

    @field_validator("certificate_arn")
    @classmethod
    def _cert(cls, v: str | None) -> str | None:
        if v is not None and not ACM_ARN.match(v):
            raise ValueError(
                "must be an ACM certificate ARN: arn:aws:acm:REGION:ACCOUNT:certificate/UUID"
            )
        return v

    @model_validator(mode="after")
    def _https(self) -> LoadBalancer:
        if self.protocol == "HTTPS" and not self.certificate_arn:
            raise ValueError("certificate_arn is required when protocol is HTTPS")
        if self.protocol == "HTTP" and self.certificate_arn:
            raise ValueError("certificate_arn needs protocol HTTPS")
        if self.redirect_http_port is not None and self.protocol != "HTTPS":
            raise ValueError("redirect_http_port needs protocol HTTPS")
        ports = [self.port, self.test_listener_port]
        if self.redirect_http_port is not None:
            ports.append(self.redirect_http_port)
        if len(set(ports)) != len(ports):
            raise ValueError(f"listener ports must differ (got {ports})")
        return self


class Capacity(Model):
    """Tasks per colour and their autoscaling."""

    desired: int = Field(2, ge=0, le=1000, description="Tasks per colour at creation")
    min: int = Field(1, ge=0, le=1000, description="Autoscaling minimum per colour")
    max: int = Field(4, ge=1, le=1000, description="Autoscaling maximum per colour")
    cpu_target_percent: int = Field(60, ge=10, le=90, description="Target CPU utilisation")
    idle: Literal["warm", "scaled_down"] = Field(
        "warm",
        description="Idle colour between releases: warm (full size, instant rollback) or "
        "scaled_down (0 tasks; scaled up before a release and for `zdd rollback`)",
    )
    scale_down_after_seconds: float = Field(
        300,
        ge=0,
        le=604800,
        description="scaled_down: how long the old colour stays at full size after a "
        "promotion (the window of an instant `zdd rollback`)",
    )

    @model_validator(mode="after")
    def _bounds(self) -> Capacity:
        if not self.min <= self.desired <= self.max:
            raise ValueError(
                f"must satisfy min <= desired <= max (got {self.min}, {self.desired}, {self.max})"
            )
        return self


class Alarms(Model):
    """Rollback alarms per colour: 5xx rate, p99 latency, unhealthy hosts."""

    period_seconds: int = Field(60, description="A multiple of 60 (ALB metrics are per minute)")
    evaluation_periods: int = Field(2, ge=1, le=100, description="Periods evaluated")
    datapoints_to_alarm: int | None = Field(None, ge=1, description="M of N; default N")
    error_rate_percent: float = Field(
        5.0, gt=0, le=100, description="Target 5xx share of requests that alarms"
    )
    p99_latency_seconds: float = Field(1.0, gt=0, le=60, description="p99 response time")
    unhealthy_hosts: int = Field(1, ge=1, le=1000, description="Unhealthy targets that alarm")
    actions: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="SNS topic ARNs notified when an alarm fires (at most 5, same region)",
    )

    @field_validator("actions")
    @classmethod
    def _actions(cls, v: list[str]) -> list[str]:
        for arn in v:
            if not SNS_TOPIC_ARN.match(arn):
                raise ValueError(
                    f"{arn!r} must be an SNS topic ARN: arn:aws:sns:REGION:ACCOUNT:TOPIC"
                )
        if len(set(v)) != len(v):
            raise ValueError("must not repeat a topic")
        return v

    @field_validator("period_seconds")
    @classmethod
    def _period(cls, v: int) -> int:
        # The alarms watch ALB metrics, which CloudWatch receives once a minute: a
        # shorter period would never see a datapoint and sit in INSUFFICIENT_DATA.
        if v < 60 or v % 60:
            raise ValueError(
                f"must be a multiple of 60: ALB metrics arrive once a minute (got {v})"
            )
        return v

    @model_validator(mode="after")
    def _m_of_n(self) -> Alarms:
        if self.datapoints_to_alarm is not None and self.datapoints_to_alarm > (
            self.evaluation_periods
        ):
            raise ValueError("datapoints_to_alarm must not exceed evaluation_periods")
        if self.period_seconds * self.evaluation_periods > 86400:
            raise ValueError("period_seconds * evaluation_periods must be at most 86400")
        return self
