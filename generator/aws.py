"""boto3 sessions and clients, built explicitly and handed in.

Retries are botocore's, never hand-written loops: adaptive mode by default; standard
mode (exponential backoff with jitter, no client-side rate limiter) for the calls a
rollback waits on. The endpoint follows boto3's own rules, so ``AWS_ENDPOINT_URL``
points zdd at moto or LocalStack.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_application_autoscaling.client import ApplicationAutoScalingClient
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_ecs.client import ECSClient
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


def retry_config(
    max_attempts: int = 5,
    read_timeout: float = 10.0,
    mode: Literal["adaptive", "standard"] = "adaptive",
) -> Config:
    from botocore.config import Config

    return Config(
        retries={"mode": mode, "max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=read_timeout,
    )


def aws_errors(*more: type[BaseException]) -> tuple[type[BaseException], ...]:
    """What a failed AWS call raises, plus ``more`` (botocore is imported only when one is
    caught, so that importing zdd stays fast)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, *more)


THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)


def is_throttling(exc: BaseException) -> bool:
    """True when AWS refused a call for its rate (the retries gave up on a throttled call)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    return response.get("Error", {}).get("Code") in THROTTLING_CODES


@dataclass
class AwsClients:
    """The clients zdd uses, created on first use from one session."""

    session: boto3.Session

    @classmethod
    def from_environment(cls, profile: str | None = None, region: str | None = None) -> AwsClients:
        import boto3

        return cls(boto3.Session(profile_name=profile, region_name=region))

    @cached_property
    def elbv2(self) -> ElasticLoadBalancingv2Client:
        # Moves and read-backs. Many releases in one account share ELB's quotas (a merge
        # moves them all in the same second): a throttled ModifyListener did not happen
        # and is retried, up to 10 attempts (about a minute of backoff), rather than
        # failing a healthy release. Standard mode: the adaptive mode's client-side
        # limiter, slowed by the step's throttled move, held a rollback back for seconds.
        return self.session.client("elbv2", config=retry_config(max_attempts=10, mode="standard"))

    @cached_property
    def cloudwatch(self) -> CloudWatchClient:
        # Polls only. One retry (botocore's standard backoff: under a second), then a
        # throttled poll is an unknown reading that the engine paces (``engine.cadence``).
        # Not adaptive: its client-side rate limiter would hold the next poll back for
        # seconds, while an alarm may be firing.
        return self.session.client(
            "cloudwatch", config=retry_config(max_attempts=2, mode="standard")
        )

    @cached_property
    def ecs(self) -> ECSClient:
        return self.session.client("ecs", config=retry_config())

    @cached_property
    def application_autoscaling(self) -> ApplicationAutoScalingClient:
        return self.session.client("application-autoscaling", config=retry_config())

    @cached_property
    def iam(self) -> Any:
        """For the task role's policies (checking what a colour runs); typed loosely."""
        return self.session.client("iam", config=retry_config())

    @cached_property
    def logs(self) -> Any:
        """For a colour's log group settings (checking what a colour runs); typed loosely."""
        return self.session.client("logs", config=retry_config())

    @cached_property
    def sns(self) -> Any:
        """For notifications (``webhooks.sns_topic_arns``); typed loosely: no stubs needed."""
        return self.session.client("sns", config=retry_config(max_attempts=2))

    @cached_property
    def eventbridge(self) -> Any:
        """For notifications (``webhooks.eventbridge_buses``)."""
        return self.session.client("events", config=retry_config(max_attempts=2))

    @cached_property
    def lambda_(self) -> Any:
        """For ``lambda`` hooks: one attempt (an invoke is not idempotent), up to 15 min."""
        return self.session.client(
            "lambda", config=retry_config(max_attempts=1, read_timeout=900.0)
        )

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        # Few attempts: an unreachable store must fail fast, before any weight moves.
        return self.session.client(
            "dynamodb", config=retry_config(max_attempts=2, read_timeout=5.0)
        )
