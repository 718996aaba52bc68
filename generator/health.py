"""Target health of one colour's target group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


@dataclass(frozen=True)
class TargetHealth:
    healthy: int
    total: int
    states: dict[str, int]


def target_health(elbv2: ElasticLoadBalancingv2Client, target_group_arn: str) -> TargetHealth:
    descriptions = elbv2.describe_target_health(TargetGroupArn=target_group_arn)[
        "TargetHealthDescriptions"
    ]
    states: dict[str, int] = {}
    for d in descriptions:
        state = d.get("TargetHealth", {}).get("State", "unknown")
        states[state] = states.get(state, 0) + 1
    return TargetHealth(states.get("healthy", 0), len(descriptions), states)
