"""A service's routes as listener rules (in-process moto): every route moves in lockstep and is
read back, a fault on one moves the others back, rules zdd did not make are drift, header
routes follow the idle colour, and another service's rule on the same listener is untouched."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.errors import AwsError, DriftError, ReleaseFailed
from generator.infra.outputs import Route, StackOutputs
from generator.journal.local import LocalStore
from generator.journal.model import Step
from generator.rollout.aws.rules import AlbRuleRouter, RouteSetRouter, header_target, router_for
from generator.rollout.engine.engine import ReleaseSpec
from tests.conftest import engine_for

BLUE = {"blue": 100, "green": 0}
GREEN = {"blue": 0, "green": 100}
SPEC = ReleaseSpec([Step(percent=10, bake_seconds=60), Step(percent=100, bake_seconds=60)], "steps")


def _forward(tgs: dict[str, str], weights: dict[str, int]) -> list[Any]:
    groups = [{"TargetGroupArn": tgs[c], "Weight": weights[c]} for c in ("blue", "green")]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]


@dataclass
class RouteWorld:
    elbv2: Any
    outputs: StackOutputs
    listeners: list[str]
    rules: list[str]
    headers: list[str]
    neighbour: str  # another service's rule on the first listener
    neighbour_tg: str

    def rule_weights(self, arn: str) -> dict[str, int]:
        return dict(AlbRuleRouter(self.elbv2, self.outputs, arn).read().weights)


def _service_rules(
    elbv2: Any, listeners: list[str], tgs: dict[str, str]
) -> tuple[list[str], list[str]]:
    """On each listener, the service's host rule (priority 10, all on blue) and its header
    route (priority 5, to green, the idle colour)."""
    host = [{"Field": "host-header", "HostHeaderConfig": {"Values": ["shop.example.com"]}}]
    header = [
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-C", "Values": ["1"]}}
    ]
    rules, headers = [], []
    for listener in listeners:
        rules.append(
            elbv2.create_rule(
                ListenerArn=listener, Priority=10, Conditions=host, Actions=_forward(tgs, BLUE)
            )["Rules"][0]["RuleArn"]
        )
        headers.append(
            elbv2.create_rule(
                ListenerArn=listener,
                Priority=5,
                Conditions=header,
                Actions=[{"Type": "forward", "TargetGroupArn": tgs["green"]}],
            )["Rules"][0]["RuleArn"]
        )
    return rules, headers


@pytest.fixture
def routes(aws) -> Iterator[RouteWorld]:  # type: ignore[no-untyped-def]
    """The staging world's target groups behind two new listeners of its load balancer,
    each with the service's host rule (priority 10) and a header route (priority 5), plus
    another service's rule (priority 20) on the first listener."""
    elbv2 = aws.client("elbv2")
    out = aws.outputs
    lb = elbv2.describe_listeners(ListenerArns=[out.listener_arn])["Listeners"][0]
    fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    listeners = [
        elbv2.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=fixed
        )["Listeners"][0]["ListenerArn"]
        for port in (9081, 9082)
    ]
    rules, headers = _service_rules(elbv2, listeners, out.target_group_arns)
    tgs = out.target_group_arns
    other_tg = elbv2.create_target_group(
        Name="neighbour", Protocol="HTTP", Port=80, VpcId=_vpc(elbv2, tgs["blue"])
    )["TargetGroups"][0]["TargetGroupArn"]
    neighbour = elbv2.create_rule(
        ListenerArn=listeners[0],
        Priority=20,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/other/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": other_tg}],
    )["Rules"][0]["RuleArn"]
    outputs = out.model_copy(
        update={
            "listener_arn": listeners[0],
            "test_listener_arn": None,
            "routes": [
                Route(listener_arn=a, rule_arn=r, kind="rule")
                for a, r in zip(listeners, rules, strict=True)
            ]
            + [
                Route(listener_arn=a, rule_arn=r, kind="header")
                for a, r in zip(listeners, headers, strict=True)
            ],
        }
    )
    StackOutputs.model_validate(outputs.model_dump())  # the contract holds
    try:
        yield RouteWorld(elbv2, outputs, listeners, rules, headers, neighbour, other_tg)
    finally:
        for listener in listeners:
            elbv2.delete_listener(ListenerArn=listener)
        elbv2.delete_target_group(TargetGroupArn=other_tg)


def _vpc(elbv2: Any, tg: str) -> str:
    return str(elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["VpcId"])


class FailingRule:
    """An elbv2 client whose ModifyRule on one rule fails once (after ``ok`` calls to it)."""

    def __init__(self, elbv2: Any, rule_arn: str, ok: int = 0) -> None:
        self._elbv2, self._rule, self._ok = elbv2, rule_arn, ok

    def modify_rule(self, **kwargs: Any) -> Any:
        if kwargs["RuleArn"] == self._rule:
            self._ok -= 1
            if self._ok == -1:
                from botocore.exceptions import ClientError

                error = {"Error": {"Code": "ServiceUnavailable", "Message": "injected"}}
                raise ClientError(error, "ModifyRule")  # type: ignore[arg-type]
        return self._elbv2.modify_rule(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._elbv2, name)


def test_a_route_set_moves_every_rule_and_reads_each_back(routes: RouteWorld) -> None:
    router = router_for(routes.elbv2, routes.outputs)
    assert isinstance(router, RouteSetRouter)
    state = router.read()
    assert state.weights == BLUE and state.arn == routes.listeners[0]
    moved = router.set_weights(state, {"blue": 998, "green": 1})
    assert moved.weights == {"blue": 998, "green": 1}  # exact, never rounded
    assert [routes.rule_weights(r) for r in routes.rules] == [{"blue": 998, "green": 1}] * 2
    other = routes.elbv2.describe_rules(RuleArns=[routes.neighbour])["Rules"][0]
    assert [a.get("TargetGroupArn") for a in other["Actions"]] == [routes.neighbour_tg]


def test_a_fault_on_the_second_rule_moves_the_first_back(routes: RouteWorld) -> None:
    router = router_for(FailingRule(routes.elbv2, routes.rules[1]), routes.outputs)  # type: ignore[arg-type]
    state = router.read()
    with pytest.raises(AwsError, match=r"ModifyRule on .* failed: ServiceUnavailable"):
        router.set_weights(state, {"blue": 90, "green": 10})
    assert [routes.rule_weights(r) for r in routes.rules] == [BLUE, BLUE]
    assert router.read().weights == BLUE


def test_rules_that_disagree_are_drift(routes: RouteWorld) -> None:
    tgs = routes.outputs.target_group_arns
    routes.elbv2.modify_rule(
        RuleArn=routes.rules[1], Actions=_forward(tgs, {"blue": 50, "green": 50})
    )
    with pytest.raises(DriftError, match=r"routes disagree: .* a split zdd did not make"):
        router_for(routes.elbv2, routes.outputs).read()


def test_a_foreign_rule_forwarding_to_a_colour_is_drift(routes: RouteWorld) -> None:
    routes.elbv2.create_rule(
        ListenerArn=routes.listeners[1],
        Priority=1,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": routes.outputs.target_group_arns["green"]}],
    )
    with pytest.raises(DriftError) as caught:
        router_for(routes.elbv2, routes.outputs).read()
    message = str(caught.value)
    assert f"listener {routes.listeners[1]}: rule" in message
    assert "(priority 1) is not zdd's and forwards to green" in message
    assert caught.value.exit_code == 4


def test_header_routes_follow_the_idle_colour(routes: RouteWorld) -> None:
    assert header_target(routes.elbv2, routes.outputs) == ["green", "green"]
    router_for(routes.elbv2, routes.outputs).point_test_listener("blue")
    assert header_target(routes.elbv2, routes.outputs) == ["blue", "blue"]


def test_a_release_promotes_every_route_and_repoints_the_header(
    aws, clock, tmp_path: Path, routes: RouteWorld
) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    dep = engine_for(aws, clock, store, outputs=routes.outputs).shift(SPEC)
    assert dep.status == "promoted"
    assert [routes.rule_weights(r) for r in routes.rules] == [GREEN, GREEN]
    assert header_target(routes.elbv2, routes.outputs) == ["blue", "blue"]  # the new idle


def test_a_release_whose_second_rule_fails_rolls_every_route_back(
    aws, clock, tmp_path: Path, routes: RouteWorld
) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    elbv2 = FailingRule(routes.elbv2, routes.rules[1], ok=1)  # the 10 % step passes, 100 % fails
    engine = engine_for(aws, clock, store, outputs=routes.outputs, elbv2=elbv2)
    with pytest.raises(ReleaseFailed, match=r"rolled back to blue: .*ServiceUnavailable") as caught:
        engine.shift(SPEC)
    assert caught.value.exit_code == 1
    assert [routes.rule_weights(r) for r in routes.rules] == [BLUE, BLUE]
    last = store.load().history[-1]
    assert last.status == "rolled_back" and last.weights == BLUE
    assert "ServiceUnavailable" in (last.outcome_reason or "")
    assert header_target(routes.elbv2, routes.outputs) == ["green", "green"]  # still the idle


def test_a_foreign_rule_added_during_a_bake_stops_the_release_as_drift(
    aws, clock, tmp_path: Path, routes: RouteWorld
) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    added: list[str] = []

    def add_foreign_rule(_clock: object) -> None:
        if added:
            return
        added.append(
            routes.elbv2.create_rule(
                ListenerArn=routes.listeners[0],
                Priority=1,
                Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
                Actions=[
                    {"Type": "forward", "TargetGroupArn": routes.outputs.target_group_arns["green"]}
                ],
            )["Rules"][0]["RuleArn"]
        )

    clock.on_sleep.append(add_foreign_rule)  # the first sleep is inside the 10 % bake
    with pytest.raises(DriftError, match="is not zdd's and forwards to green") as caught:
        engine_for(aws, clock, store, outputs=routes.outputs).shift(SPEC)
    assert caught.value.exit_code == 4
    assert added and added[0] in str(caught.value)
    current = store.load().current
    assert current is not None and not current.terminal  # unfinished: a human decides


def test_a_default_route_is_held_to_the_same_checks(aws, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """What a stack rendered today says (`routes` with one default route): the release
    works as before, and a rule added to its listener that forwards to a colour is drift."""
    elbv2 = aws.client("elbv2")
    outputs = aws.outputs.model_copy(
        update={"routes": [Route(listener_arn=aws.outputs.listener_arn, kind="default")]}
    )
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    assert engine_for(aws, clock, store, outputs=outputs).shift(SPEC).status == "promoted"
    assert aws.weights() == GREEN
    elbv2.create_rule(
        ListenerArn=aws.outputs.listener_arn,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": aws.outputs.target_group_arns["blue"]}],
    )
    try:
        with pytest.raises(DriftError, match="is not zdd's and forwards to blue"):
            router_for(elbv2, outputs).read()
    finally:
        for rule in elbv2.describe_rules(ListenerArn=aws.outputs.listener_arn)["Rules"]:
            if not rule["IsDefault"]:
                elbv2.delete_rule(RuleArn=rule["RuleArn"])


def test_status_shows_every_route_read_back(aws, routes: RouteWorld, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from generator.rollout.views.status import gather_status, render_status

    store = LocalStore(tmp_path / ".zdd", "shop", "staging")
    report = gather_status(routes.elbv2, aws.client("cloudwatch"), routes.outputs, store)
    text = render_status(report)
    assert text.splitlines()[0].startswith("live colour: blue")
    for rule in routes.rules:
        assert f"  route rule {rule}: blue 100% / green 0%" in text
    for header in routes.headers:
        assert f"  route header {header}: to green" in text
    assert report.to_dict()["routes"] == [
        line.strip()[len("route ") :] for line in text.splitlines() if line.startswith("  route ")
    ]


def test_the_warden_rebuilds_every_route_of_an_orphan(
    routes, aws, staging, clock, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A release on listener rules, ended by `zdd warden`: its hand-off carries the routes
    (not the colours' specs, which only rendering needs), and the warden moves them all."""
    from generator.aws import AwsClients
    from generator.events import EventBus
    from generator.journal import open_store
    from generator.journal.protocol import Owner
    from generator.rollout.aws.wiring import handoff_of
    from generator.rollout.warden import orphan_context

    recorded = routes.outputs.model_copy(update={"colour_specs": {"blue": "{}", "green": "{}"}})
    handoff = handoff_of(staging, recorded, 120.0)
    assert handoff is not None and "colour_specs" not in handoff.outputs
    store = open_store(str(tmp_path / ".zdd"), "shop", "staging")
    owner = Owner("warden000001", "scheduler", 1, "zdd warden")
    ctx = orphan_context(handoff, store, AwsClients(aws.session), clock, owner, EventBus())
    assert isinstance(ctx.router, RouteSetRouter)
    ctx.router.set_weights(ctx.router.read(), {"blue": 0, "green": 999})
    assert [routes.rule_weights(r) for r in routes.rules] == [{"blue": 0, "green": 999}] * 2


class _Killed(BaseException):
    """The runner dies (kill -9) in the middle of a call."""


class KilledOnRule:
    """An elbv2 client whose process dies at ModifyRule on one rule, after ``ok`` calls."""

    def __init__(self, elbv2: Any, rule_arn: str, ok: int = 0) -> None:
        self._elbv2, self._rule, self._ok = elbv2, rule_arn, ok

    def modify_rule(self, **kwargs: Any) -> Any:
        if kwargs["RuleArn"] == self._rule:
            self._ok -= 1
            if self._ok == -1:
                raise _Killed
        return self._elbv2.modify_rule(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._elbv2, name)


@pytest.mark.parametrize("ok", [0, 1], ids=["first_step", "second_step"])
def test_a_run_killed_between_two_routes_is_finished_by_resume(
    aws, clock, tmp_path: Path, routes: RouteWorld, ok: int
) -> None:  # type: ignore[no-untyped-def]
    """Killed after moving the first rule and before the second: the routes disagree, each
    at the journalled intent's before or after. `zdd resume` (or the warden) finishes it
    instead of calling it drift: the half-done move is undone, then the release goes on."""
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    killed = KilledOnRule(routes.elbv2, routes.rules[1], ok=ok)
    with pytest.raises(_Killed):
        engine_for(aws, clock, store, outputs=routes.outputs, elbv2=killed).shift(SPEC)
    first, second = (routes.rule_weights(r) for r in routes.rules)
    assert first != second  # half way
    dep = engine_for(aws, clock, store, outputs=routes.outputs).resume(break_lock=True)
    assert dep is not None and dep.status == "promoted"
    assert [routes.rule_weights(r) for r in routes.rules] == [GREEN, GREEN]


def test_an_abort_after_a_run_killed_between_two_routes_moves_every_route_home(
    aws, clock, tmp_path: Path, routes: RouteWorld
) -> None:  # type: ignore[no-untyped-def]
    """`zdd abort` of a release whose routes were left apart by a dead runner: the half-done
    move needs no settling: rolling back only moves weight to the stable colour, so every
    route is moved there and read back, whatever each one had."""
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    killed = KilledOnRule(routes.elbv2, routes.rules[1], ok=1)
    with pytest.raises(_Killed):
        engine_for(aws, clock, store, outputs=routes.outputs, elbv2=killed).shift(SPEC)
    engine = engine_for(aws, clock, store, outputs=routes.outputs)
    engine.request("abort")  # the lease is free to take: abort rolls back itself
    assert [routes.rule_weights(r) for r in routes.rules] == [BLUE, BLUE]
    assert store.load().history[-1].weights == BLUE


def test_routes_split_in_a_way_no_move_explains_are_still_drift(
    aws, clock, tmp_path: Path, routes: RouteWorld
) -> None:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    killed = KilledOnRule(routes.elbv2, routes.rules[1], ok=0)
    with pytest.raises(_Killed):
        engine_for(aws, clock, store, outputs=routes.outputs, elbv2=killed).shift(SPEC)
    routes.elbv2.modify_rule(  # a person sets the first rule to a split no intent names
        RuleArn=routes.rules[0],
        Actions=_forward(routes.outputs.target_group_arns, {"blue": 50, "green": 50}),
    )
    with pytest.raises(DriftError, match="routes disagree"):
        engine_for(aws, clock, store, outputs=routes.outputs).resume(break_lock=True)
    assert routes.rule_weights(routes.rules[0]) == {"blue": 50, "green": 50}  # untouched
