"""Target health: the new colour has enough healthy targets before any weight moves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.aws import aws_errors, is_throttling
from generator.colours import Colour
from generator.rollout.ports import Phase, Reading

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


class HealthyTargets:
    """Before any weight moves, the new colour has enough healthy targets."""

    name = "targets"
    phases: frozenset[Phase] = frozenset({"preflight"})

    def __init__(
        self,
        elbv2: ElasticLoadBalancingv2Client,
        target_group_arns: dict[Colour, str],
        minimum: int,
    ) -> None:
        self.elbv2 = elbv2
        self.target_group_arns = target_group_arns
        self.minimum = minimum

    def poll(self, colour: Colour) -> Reading:
        try:
            health = target_health(self.elbv2, self.target_group_arns[colour])
        except aws_errors() as exc:
            return Reading(
                self.name,
                "unknown",
                f"target health unreadable ({exc})",
                throttled=is_throttling(exc),
            )
        if health.healthy < self.minimum:
            return Reading(
                self.name,
                "firing",
                f"{colour} has {health.healthy} healthy targets of {health.total}; "
                f"needs at least {self.minimum}",
            )
        return Reading(self.name, "ok", f"{health.healthy} healthy targets")
