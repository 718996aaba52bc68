"""The benchmarks' throttling proxy: AWS's quotas per account and action, refused the way
each service refuses, in each protocol botocore speaks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries.standard import ThrottledRetryableChecker

from tests.support.throttle import QUOTAS, Throttle, ThrottleProxy, TokenBucket

NOW = datetime(2026, 12, 1, tzinfo=UTC)
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "DescribeAlarms": ("cloudwatch", {}),
    "GetMetricData": (
        "cloudwatch",
        {"MetricDataQueries": [{"Id": "a", "Expression": "1"}], "StartTime": NOW, "EndTime": NOW},
    ),
    "DescribeListeners": ("elbv2", {"LoadBalancerArn": "arn:lb"}),
    "DescribeRules": ("elbv2", {"ListenerArn": "arn:listener"}),
    "DescribeTargetHealth": ("elbv2", {"TargetGroupArn": "arn:tg"}),
    "ModifyListener": ("elbv2", {"ListenerArn": "arn:listener"}),
    "ModifyRule": ("elbv2", {"RuleArn": "arn:rule"}),
    "DescribeServices": ("ecs", {"services": ["svc"]}),
    "ListTasks": ("ecs", {}),
    "DescribeTasks": ("ecs", {"tasks": ["task"]}),
    "GetItem": ("dynamodb", {"TableName": "t", "Key": {"k": {"S": "v"}}}),
    "PutItem": ("dynamodb", {"TableName": "t", "Item": {"k": {"S": "v"}}}),
    "UpdateItem": ("dynamodb", {"TableName": "t", "Key": {"k": {"S": "v"}}}),
    "DeleteItem": ("dynamodb", {"TableName": "t", "Key": {"k": {"S": "v"}}}),
}


class _Context:
    """What botocore's retry checkers read of a failed attempt."""

    def __init__(self, response: Any) -> None:
        self.parsed_response = response

    def get_error_code(self) -> str:
        return str(self.parsed_response["Error"]["Code"])


def _snake(action: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in action).lstrip("_")


def test_every_action_zdd_calls_has_a_quota() -> None:
    assert set(CALLS) == set(QUOTAS)


@pytest.fixture(scope="module")
def refusing() -> Iterator[tuple[ThrottleProxy, dict[str, Any]]]:
    """A proxy whose buckets hold less than one token (every call is refused before the
    absent emulator), and one client per service pointed at it."""
    with ThrottleProxy("http://127.0.0.1:9", Throttle(scale=1e9)) as proxy:
        session: Any = boto3.Session(
            aws_access_key_id="AKIDTEST", aws_secret_access_key="s", region_name="eu-west-1"
        )
        config = Config(retries={"mode": "standard", "total_max_attempts": 1})
        clients = {
            service: session.client(service, endpoint_url=proxy.url, config=config)
            for service in {service for service, _ in CALLS.values()}
        }
        yield proxy, clients


@pytest.mark.parametrize("action", sorted(CALLS))
def test_an_empty_bucket_is_refused_with_the_services_own_throttling_error(
    action: str, refusing: tuple[ThrottleProxy, dict[str, Any]]
) -> None:
    proxy, clients = refusing
    service, params = CALLS[action]
    before = proxy.throttle.throttled[action]
    with pytest.raises(ClientError) as caught:
        getattr(clients[service], _snake(action))(**params)
    assert proxy.throttle.throttled[action] == before + 1
    error = caught.value.response
    assert error["Error"]["Code"] == QUOTAS[action].code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    # botocore's retry modes (and so zdd's adaptive client) see it as throttling.
    assert ThrottledRetryableChecker().is_retryable(cast(Any, _Context(caught.value.response)))


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    t = [0.0]
    throttle = Throttle(scale=1.0, clock=lambda: t[0])
    admitted = [throttle.admit("A/eu-west-1", "DescribeAlarms") for _ in range(12)]
    assert admitted == [True] * 9 + [False] * 3  # 9 TPS: nine in the first instant
    t[0] = 1.0 / 9 * 2  # two tokens later
    assert [throttle.admit("A/eu-west-1", "DescribeAlarms") for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert throttle.throttled["DescribeAlarms"] == 4
    assert throttle.peak_rate("DescribeAlarms") == 11.0


def test_quotas_are_per_account_and_region_and_scaled() -> None:
    throttle = Throttle(scale={"ModifyListener": 5.0}, clock=lambda: 0.0)
    assert throttle.quotas["ModifyListener"].burst == QUOTAS["ModifyListener"].burst / 5
    assert throttle.quotas["DescribeAlarms"].rate == QUOTAS["DescribeAlarms"].rate
    for account in ("A/eu-west-1", "A/us-east-1", "B/eu-west-1"):
        assert [throttle.admit(account, "ModifyListener") for _ in range(3)] == [True, True, False]
    # Actions without a quota pass.
    assert all(throttle.admit("A/eu-west-1", "CreateLoadBalancer") for _ in range(100))


def test_a_token_bucket_refills_continuously_up_to_its_capacity() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.5) and not bucket.take(0.5)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]


def test_elbs_describe_calls_share_one_bucket() -> None:
    throttle = Throttle(scale=10.0, clock=lambda: 0.0)  # 4 tokens for every Describe*
    calls = ["DescribeListeners", "DescribeTargetHealth"] * 3
    assert [throttle.admit("A/eu-west-1", c) for c in calls] == [True] * 4 + [False] * 2
    assert throttle.peak_rate("elbv2 Describe*") == 4.0
    assert throttle.rate_of("elbv2 Describe*") == 1.0
