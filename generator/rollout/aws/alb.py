"""The ALB router: what moves production traffic between the colours on AWS.

The engine only knows the ``TrafficRouter`` port (``rollout.ports``). ``AlbListenerRouter`` sets
the forward weights of an ALB listener's default action; ``aws/rules.py`` holds the router
of listener rules and the route set that moves all of a service's routes together (another
load balancer would be a new module in ``aws/`` plus one line of wiring).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from generator.colours import COLOURS, Colour
from generator.config.infra import Stickiness
from generator.errors import AwsError, DriftError, InputError, ListenerNotFound, ZddError
from generator.infra.outputs import StackOutputs
from generator.rollout.ports import ListenerState, format_weights

if TYPE_CHECKING:
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client

MAX_WEIGHT = 999  # ELBv2's limit per target group; moto accepts more


@contextlib.contextmanager
def aws_call(operation: str, resource: str) -> Iterator[None]:
    """botocore's errors as one-line zdd errors naming the call and the resource."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        if code in ("ListenerNotFound", "LoadBalancerNotFound", "RuleNotFound"):
            what = "rule" if code == "RuleNotFound" else "listener"
            raise ListenerNotFound(
                f"{what} {resource} does not exist (deleted, or in another account or "
                f"region): the stack outputs and the journal name a {what} AWS does not know"
            ) from None
        raise AwsError(f"{operation} on {resource} failed: {code or 'error'}: {message}") from None
    except BotoCoreError as exc:
        raise AwsError(f"{operation} on {resource} failed: {exc}") from None


def forward_state(
    outputs: StackOutputs, arn: str, actions: list[Any], what: str = "listener"
) -> ListenerState:
    """The exact weights of the one forward action in ``actions`` (of a listener or rule)."""
    forwards = [a for a in actions if a.get("Type") == "forward"]
    if len(forwards) != 1:
        raise DriftError(f"{what} {arn}: expected one forward action (found {len(forwards)})")
    action = dict(forwards[0])
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or (
        [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
        if action.get("TargetGroupArn")
        else []
    )
    weights: dict[Colour, int] = {c: 0 for c in COLOURS}
    for group in groups:
        colour = outputs.colour_of_target_group(group["TargetGroupArn"])
        if colour is None:
            raise DriftError(
                f"{what} {arn}: forwards to {group['TargetGroupArn']}, "
                "which is neither colour's target group"
            )
        weights[colour] = int(group.get("Weight", 1))
    total = sum(weights.values())
    if total <= 0:
        raise DriftError(f"{what} {arn}: no target group has weight")
    return ListenerState(arn, action, weights)  # exact: a split is never rounded away


def weighted_action(
    outputs: StackOutputs,
    base: ListenerState,
    weights: dict[Colour, int],
    stickiness: Stickiness | None,
) -> dict[str, Any]:
    """``base``'s forward action with ``weights`` (checked 0-999), everything else kept."""
    if any(not 0 <= w <= MAX_WEIGHT for w in weights.values()):
        raise InputError(f"weights must be 0-{MAX_WEIGHT} (got {weights})")
    if sum(weights.values()) == 0:
        raise InputError("weights: at least one colour needs weight")
    action = copy.deepcopy(base.action)
    action.pop("TargetGroupArn", None)  # ForwardConfig carries the groups
    forward = action.setdefault("ForwardConfig", {})
    forward["TargetGroups"] = [
        {"TargetGroupArn": outputs.target_group_arns[c], "Weight": weights[c]} for c in COLOURS
    ]
    if stickiness is not None:
        forward["TargetGroupStickinessConfig"] = {
            "Enabled": stickiness.enabled,
            "DurationSeconds": stickiness.duration_seconds,
        }
    return action


def check_answer(what: str, arn: str, asked: dict[Colour, int], got: ListenerState) -> None:
    if got.weights != asked:
        raise ZddError(
            f"{what} {arn}: asked for {format_weights(asked)}, "
            f"AWS answered {format_weights(got.weights)}"
        )


class AlbListenerRouter:
    """Reads and writes the forward weights of one listener, keeping everything else."""

    def __init__(
        self,
        elbv2: ElasticLoadBalancingv2Client,
        outputs: StackOutputs,
        *,
        stickiness: Stickiness | None = None,
    ) -> None:
        """With ``stickiness``, every move also sets the environment's stickiness.

        Terraform ignores the listener's default action after creation (so an apply
        never undoes a shift); zdd owns the action, so it applies stickiness changes
        itself. Without it, the listener's current stickiness is kept.
        """
        self.elbv2 = elbv2
        self.outputs = outputs
        self.stickiness = stickiness

    @property
    def arn(self) -> str:
        return self.outputs.listener_arn

    def _state(self, arn: str, actions: list[Any]) -> ListenerState:
        return forward_state(self.outputs, arn, actions)

    def read(self, arn: str | None = None) -> ListenerState:
        """One DescribeListeners call."""
        arn = arn or self.outputs.listener_arn
        with aws_call("DescribeListeners", arn):
            listeners = self.elbv2.describe_listeners(ListenerArns=[arn])["Listeners"]
        if not listeners:
            raise ListenerNotFound(f"listener {arn} does not exist")
        return self._state(arn, list(listeners[0].get("DefaultActions", [])))

    def set_weights(self, base: ListenerState, weights: dict[Colour, int]) -> ListenerState:
        """One ModifyListener call; the listener AWS returns must carry ``weights``.

        Stickiness and every other field of the action are copied from ``base``.
        """
        action = weighted_action(self.outputs, base, weights, self.stickiness)
        with aws_call("ModifyListener", base.arn):
            response = self.elbv2.modify_listener(ListenerArn=base.arn, DefaultActions=[action])  # type: ignore[list-item]
        result = self._state(base.arn, list(response["Listeners"][0].get("DefaultActions", [])))
        check_answer("listener", base.arn, weights, result)
        return result

    def point_test_listener(self, colour: Colour) -> None:
        """Make the test listener forward to ``colour`` (the idle one after a promotion)."""
        test = self.outputs.test_listener_arn
        if test is None:  # a stack on an existing load balancer has none
            return
        with aws_call("ModifyListener", test):
            self.elbv2.modify_listener(
                ListenerArn=test,
                DefaultActions=[
                    {"Type": "forward", "TargetGroupArn": self.outputs.target_group_arns[colour]}
                ],
            )
