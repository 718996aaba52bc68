"""Listener rules as routes, and a route set that moves all of a service's routes in lockstep.

A service on an existing (shared) load balancer has a rule on each of its listeners, and
maybe a header route per listener that sends testers to the idle colour. ``RouteSetRouter``
is a ``TrafficRouter`` over all of them: it reads every route back (they must agree), looks
for rules zdd did not make that forward to the service's target groups (drift, exit 4),
and when a move fails half way it moves the routes already moved back before raising.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from generator.colours import Colour
from generator.config.infra import Stickiness
from generator.errors import DriftError, ListenerNotFound, RoutesDisagree
from generator.infra.outputs import StackOutputs
from generator.rollout.aws.alb import (
    AlbListenerRouter,
    aws_call,
    check_answer,
    forward_state,
    weighted_action,
)
from generator.rollout.ports import ListenerState, TrafficRouter, format_weights

if TYPE_CHECKING:
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


class _Route(Protocol):
    @property
    def arn(self) -> str: ...

    def read(self) -> ListenerState: ...

    def set_weights(self, base: ListenerState, weights: dict[Colour, int]) -> ListenerState: ...


class AlbRuleRouter:
    """Reads and writes the forward weights of one listener rule (DescribeRules, ModifyRule)."""

    def __init__(
        self,
        elbv2: ElasticLoadBalancingv2Client,
        outputs: StackOutputs,
        rule_arn: str,
        *,
        stickiness: Stickiness | None = None,
    ) -> None:
        self.elbv2 = elbv2
        self.outputs = outputs
        self.rule_arn = rule_arn
        self.stickiness = stickiness

    @property
    def arn(self) -> str:
        return self.rule_arn

    def read(self) -> ListenerState:
        with aws_call("DescribeRules", self.rule_arn):
            rules = self.elbv2.describe_rules(RuleArns=[self.rule_arn])["Rules"]
        if not rules:
            raise ListenerNotFound(f"rule {self.rule_arn} does not exist")
        return forward_state(self.outputs, self.rule_arn, list(rules[0].get("Actions", [])), "rule")

    def set_weights(self, base: ListenerState, weights: dict[Colour, int]) -> ListenerState:
        action = weighted_action(self.outputs, base, weights, self.stickiness)
        with aws_call("ModifyRule", self.rule_arn):
            response = self.elbv2.modify_rule(RuleArn=self.rule_arn, Actions=[action])  # type: ignore[list-item]
        actions = list(response["Rules"][0].get("Actions", []))
        result = forward_state(self.outputs, self.rule_arn, actions, "rule")
        check_answer("rule", self.rule_arn, weights, result)
        return result


def _forwards_to(actions: Sequence[Any]) -> set[str]:
    """Every target group ARN the actions forward to."""
    found: set[str] = set()
    for action in actions:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            found.add(action["TargetGroupArn"])
        for group in action.get("ForwardConfig", {}).get("TargetGroups") or []:
            if int(group.get("Weight", 1)) > 0:
                found.add(group["TargetGroupArn"])
    return found


class RouteSetRouter:
    """All of a service's routes as one router: every move reaches every route or none."""

    def __init__(
        self,
        elbv2: ElasticLoadBalancingv2Client,
        outputs: StackOutputs,
        routes: Sequence[_Route],
    ) -> None:
        if not routes:
            raise ValueError("a route set needs at least one route")
        self.elbv2 = elbv2
        self.outputs = outputs
        self.routes = list(routes)
        self._states: list[ListenerState] | None = None

    @property
    def arn(self) -> str:
        """The production listener: what the journal records (the lease is per service)."""
        return self.outputs.listener_arn

    def read(self) -> ListenerState:
        """Every route read back; they must agree, and no foreign rule may forward to a colour."""
        self._states = None  # a move after a disagreement reads each route again
        states = [route.read() for route in self.routes]
        for state in states[1:]:
            if state.weights != states[0].weights:
                raise RoutesDisagree(
                    f"routes disagree: {states[0].arn} has {format_weights(states[0].weights)} "
                    f"but {state.arn} has {format_weights(state.weights)}: a split zdd did not "
                    "make (or a move that stopped half way); nothing was touched",
                    [dict(s.weights) for s in states],
                )
        self.check_foreign_rules()
        self._states = states
        return ListenerState(self.arn, states[0].action, dict(states[0].weights))

    def route_lines(self) -> list[str]:
        """Each route as last read (``read`` first), then where each header route points."""
        states = self._states or []
        kinds = {r.rule_arn or r.listener_arn: r.kind for r in self.outputs.all_routes}
        lines = [
            f"{kinds.get(s.arn, 'default')} {s.arn}: {format_weights(s.weights)}" for s in states
        ]
        headers = [r for r in self.outputs.all_routes if r.kind == "header" and r.rule_arn]
        for route, colour in zip(headers, header_target(self.elbv2, self.outputs), strict=True):
            lines.append(f"header {route.rule_arn}: to {colour}")
        return lines

    def foreign_rules(self) -> list[str]:
        """One line per rule, not zdd's, on a route's listener that forwards to a colour."""
        ours = {r.rule_arn for r in self.outputs.all_routes if r.rule_arn}
        default_on = {r.listener_arn for r in self.outputs.all_routes if r.kind == "default"}
        found: list[str] = []
        for listener in dict.fromkeys(r.listener_arn for r in self.outputs.all_routes):
            for rule in _rules_of(self.elbv2, listener):
                if rule["RuleArn"] in ours or (rule.get("IsDefault") and listener in default_on):
                    continue
                for tg in sorted(_forwards_to(rule.get("Actions", []))):
                    colour = self.outputs.colour_of_target_group(tg)
                    if colour is not None:
                        where = "default action" if rule.get("IsDefault") else "rule"
                        found.append(
                            f"listener {listener}: {where} {rule['RuleArn']} (priority "
                            f"{rule.get('Priority')}) is not zdd's and forwards to {colour}"
                        )
        return found

    def check_foreign_rules(self) -> None:
        found = self.foreign_rules()
        if found:
            raise DriftError(
                f"{found[0]}: traffic zdd does not control"
                + (f" (and {len(found) - 1} more)" if len(found) > 1 else "")
                + "; remove it, or let zdd own it, before zdd says where traffic is"
            )

    def set_weights(self, base: ListenerState, weights: dict[Colour, int]) -> ListenerState:
        """Move every route; if one fails, move the ones already moved back, then raise."""
        states = self._states or [route.read() for route in self.routes]
        moved: list[tuple[_Route, ListenerState, ListenerState]] = []
        for route, state in zip(self.routes, states, strict=True):
            try:
                moved.append((route, state, route.set_weights(state, weights)))
            except Exception:
                self._states = None
                self._undo(moved)
                raise
        self._states = [after for _, _, after in moved]
        return ListenerState(self.arn, moved[0][2].action, dict(weights))

    @staticmethod
    def _undo(moved: list[tuple[_Route, ListenerState, ListenerState]]) -> None:
        # Best effort: what cannot be moved back is seen by the next read (routes disagree).
        for route, before, after in reversed(moved):
            try:
                route.set_weights(after, before.weights)
            except Exception:
                continue

    def point_test_listener(self, colour: Colour) -> None:
        """Point the header routes (and a test listener, if any) at ``colour``."""
        AlbListenerRouter(self.elbv2, self.outputs).point_test_listener(colour)
        point_header_routes(self.elbv2, self.outputs, colour)


def _rules_of(elbv2: ElasticLoadBalancingv2Client, listener: str) -> list[Any]:
    rules: list[Any] = []
    marker: str | None = None
    while True:
        with aws_call("DescribeRules", listener):
            page = (
                elbv2.describe_rules(ListenerArn=listener, Marker=marker)
                if marker
                else elbv2.describe_rules(ListenerArn=listener)
            )
        rules.extend(page.get("Rules", []))
        marker = page.get("NextMarker")
        if not marker:
            return rules


def point_header_routes(
    elbv2: ElasticLoadBalancingv2Client, outputs: StackOutputs, colour: Colour
) -> None:
    """Every header route forwards to ``colour`` (the idle one)."""
    target = outputs.target_group_arns[colour]
    for route in outputs.all_routes:
        if route.kind == "header" and route.rule_arn:
            with aws_call("ModifyRule", route.rule_arn):
                elbv2.modify_rule(
                    RuleArn=route.rule_arn, Actions=[{"Type": "forward", "TargetGroupArn": target}]
                )


def header_target(elbv2: ElasticLoadBalancingv2Client, outputs: StackOutputs) -> list[Colour]:
    """The colour each header route forwards to, read back (for status and tests)."""
    colours: list[Colour] = []
    for route in outputs.all_routes:
        if route.kind == "header" and route.rule_arn:
            state = AlbRuleRouter(elbv2, outputs, route.rule_arn).read()
            live = state.live
            if live is None:
                raise DriftError(f"header route {route.rule_arn}: forwards to both colours")
            colours.append(live)
    return colours


def router_for(
    elbv2: ElasticLoadBalancingv2Client,
    outputs: StackOutputs,
    *,
    stickiness: Stickiness | None = None,
) -> TrafficRouter:
    """The router of a stack: its listener's default action as today, or all its routes."""
    if outputs.routes is None:
        return AlbListenerRouter(elbv2, outputs, stickiness=stickiness)
    routes: list[_Route] = [
        AlbRuleRouter(elbv2, outputs, r.rule_arn, stickiness=stickiness)
        if r.rule_arn
        else AlbListenerRouter(elbv2, outputs, stickiness=stickiness)
        for r in outputs.weighted_routes
    ]
    return RouteSetRouter(elbv2, outputs, routes)
