"""boto3 sessions and clients, built explicitly and handed in.

Retries are botocore's (adaptive mode), never hand-written loops. The endpoint
follows boto3's own rules, so ``AWS_ENDPOINT_URL`` points zdd at moto or LocalStack.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


def retry_config(max_attempts: int = 5, read_timeout: float = 10.0) -> Config:
    from botocore.config import Config

    return Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=read_timeout,
    )


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
        return self.session.client("elbv2", config=retry_config())

    @cached_property
    def cloudwatch(self) -> CloudWatchClient:
        return self.session.client("cloudwatch", config=retry_config())

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        # Few attempts: an unreachable store must fail fast, before any weight moves.
        return self.session.client(
            "dynamodb", config=retry_config(max_attempts=2, read_timeout=5.0)
        )
