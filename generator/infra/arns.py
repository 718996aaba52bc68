"""The stack outputs' ARNs, checked before any AWS call: well formed, and in the
environment's region (zdd's clients are built for that region, so a listener of
another region would look like one that does not exist)."""

from __future__ import annotations

import re

from generator.errors import InputError
from generator.infra.outputs import StackOutputs

_ELB = r"^arn:aws[a-z-]*:elasticloadbalancing:(?P<region>[a-z0-9-]+):\d{12}:"
LISTENER_ARN = re.compile(_ELB + r"listener/(?:app|net)/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+$")
TARGET_GROUP_ARN = re.compile(_ELB + r"targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$")


def check_outputs(outputs: StackOutputs, region: str, source: str = "stack outputs") -> None:
    """Raise InputError (exit 2) for an ARN that is garbage or of another region."""
    arns = {
        "listener_arn": (outputs.listener_arn, LISTENER_ARN, "an ELB listener ARN"),
        **(
            {"test_listener_arn": (outputs.test_listener_arn, LISTENER_ARN, "an ELB listener ARN")}
            if outputs.test_listener_arn is not None
            else {}
        ),
        **{
            f"routes.{i}.listener_arn": (route.listener_arn, LISTENER_ARN, "an ELB listener ARN")
            for i, route in enumerate(outputs.routes or [])
        },
        **{
            f"target_group_arns.{colour}": (arn, TARGET_GROUP_ARN, "a target group ARN")
            for colour, arn in outputs.target_group_arns.items()
        },
    }
    for field, (arn, pattern, what) in arns.items():
        match = pattern.match(arn)
        if match is None:
            raise InputError(
                f"{source}: {field}: expected {what} such as "
                f"arn:aws:elasticloadbalancing:{region}:ACCOUNT:... (got {arn[:120]!r})"
            )
        if match.group("region") != region:
            raise InputError(
                f"{source}: {field}: in region {match.group('region')}, but the environment's "
                f"region is {region}: these outputs belong to another stack (got {arn[:120]!r})"
            )
