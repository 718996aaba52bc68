"""The stack outputs contract as a whole: outputs that contradict themselves.

Each field of ``StackOutputs`` can be well formed while the whole lies: a test
listener that is the production listener (repointing it would send users to the
idle colour), one target group for both colours (every weight move is a no-op
that looks like success), an alarm that guards both colours. These are checked
when outputs are loaded, before any AWS call; the first contradiction found is
reported, naming its field.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.infra.outputs import StackOutputs

# The load balancer part of a listener ARN: ``listener/app/NAME/ID/LISTENER_ID``.
_LISTENER_LB = re.compile(r":listener/((?:app|net)/[^/]+/[^/]+)/[^/]+$")


def contradictions(outputs: StackOutputs) -> list[str]:
    """``FIELD: what is wrong`` for each contradiction in ``outputs``; empty when coherent."""
    found = _listeners(outputs) + _target_groups(outputs) + _alarms(outputs)
    if outputs.ecs_services is not None:
        blue, green = outputs.ecs_services["blue"], outputs.ecs_services["green"]
        if (blue.cluster, blue.service) == (green.cluster, green.service):
            found.append(
                f"ecs_services: blue and green are the same service "
                f"({blue.cluster}/{blue.service}); each colour needs its own"
            )
    return found


def _listeners(outputs: StackOutputs) -> list[str]:
    prod, test = outputs.listener_arn, outputs.test_listener_arn
    if prod == test:
        return [
            "test_listener_arn: is the production listener (listener_arn); the test listener "
            "must be a listener of its own, or repointing it moves production traffic"
        ]
    found = []
    prod_lb, test_lb = _LISTENER_LB.search(prod), _LISTENER_LB.search(test)
    if prod_lb and test_lb and prod_lb.group(1) != test_lb.group(1):
        found.append(
            "test_listener_arn: belongs to another load balancer than listener_arn "
            f"({test_lb.group(1)} vs {prod_lb.group(1)})"
        )
    suffix = outputs.load_balancer_arn_suffix
    if suffix is not None and prod_lb and prod_lb.group(1) != suffix:
        found.append(
            f"load_balancer_arn_suffix: {suffix!r} is not the load balancer of listener_arn "
            f"({prod_lb.group(1)})"
        )
    return found


def _target_groups(outputs: StackOutputs) -> list[str]:
    tgs = outputs.target_group_arns
    if tgs["blue"] == tgs["green"]:
        return [
            "target_group_arns: blue and green are the same target group; each colour needs its own"
        ]
    if tgs["blue"] in (outputs.listener_arn, outputs.test_listener_arn) or tgs["green"] in (
        outputs.listener_arn,
        outputs.test_listener_arn,
    ):
        return ["target_group_arns: a colour's target group is one of the listeners"]
    suffixes = outputs.target_group_arn_suffixes
    if suffixes is None:
        return []
    return [
        f"target_group_arn_suffixes.{colour}: {suffix!r} is not the suffix of "
        f"target_group_arns.{colour}"
        for colour, suffix in suffixes.items()
        if not suffix or not tgs[colour].endswith(":" + suffix)
    ]


def _alarms(outputs: StackOutputs) -> list[str]:
    shared = sorted(set(outputs.alarm_names["blue"]) & set(outputs.alarm_names["green"]))
    if shared:
        return [
            f"alarm_names: {shared[0]!r} guards both colours; an alarm belongs to one colour "
            "(a release of one colour would roll back on the other's alarm, or ignore its own)"
        ]
    empty = [name for names in outputs.alarm_names.values() for name in names if not name.strip()]
    return ["alarm_names: an alarm name is empty"] if empty else []
