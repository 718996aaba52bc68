"""The traffic engine on moto in process, with an injected clock: no real sleeping."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from generator.config import Hook, Hooks, Strategy
from generator.demo.injectors import CallbackSink
from generator.errors import DriftError, PreflightRefused, ReleaseFailed
from generator.events import WebhookSink
from generator.journal.local import LocalStore
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.engine.engine import Engine, ReleaseSpec
from generator.rollout.engine.schedule import (
    Overrides,
    build_schedule,
    effective_strategy,
    parse_steps,
)
from tests.conftest import engine_for


def make_engine(
    aws,
    clock,
    tmp_path: Path,
    *,
    poll: float = 5,
    grace: float = 30,
    hooks: Hooks | None = None,
    cloudwatch=None,
) -> Engine:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    return engine_for(
        aws,
        clock,
        store,
        poll=poll,
        grace=grace,
        hooks=hooks,
        hooks_cwd=tmp_path,
        cloudwatch=cloudwatch,
    )


def spec(steps: list[int], bake: float = 60, gates: tuple[int, ...] = ()) -> ReleaseSpec:
    strategy = Strategy(type="steps", steps=steps, bake_seconds=bake, gates=list(gates))
    return ReleaseSpec(build_schedule(strategy), "steps")


# -- schedules ---------------------------------------------------------------


def test_each_strategy_schedule() -> None:
    def percents(**kw: object) -> list[int]:
        return [s.percent for s in build_schedule(Strategy(**kw))]  # type: ignore[arg-type]

    assert percents(type="all_at_once") == [100]
    assert percents(type="canary", canary_percent=5) == [5, 100]
    assert percents(type="linear", linear_percent=25) == [25, 50, 75, 100]
    assert percents(type="linear", linear_percent=30) == [30, 60, 90, 100]
    assert percents(type="steps", steps=[5, 25, 50, 100]) == [5, 25, 50, 100]
    per_step = build_schedule(
        Strategy(
            type="steps",
            steps=[{"percent": 5, "bake_seconds": 600}, 100],
            bake_seconds=60,
            gates=[100],
        )
    )
    assert [(s.bake_seconds, s.gate) for s in per_step] == [(600, False), (60, True)]


def test_command_line_overrides() -> None:
    base = Strategy(type="canary", bake_seconds=300, poll_seconds=10)
    merged = effective_strategy(
        base, Overrides(steps=parse_steps("10,50,100"), bake_seconds=5, poll_seconds=1)
    )
    assert merged.type == "steps" and merged.bake_seconds == 5 and merged.poll_seconds == 1
    assert [s.percent for s in build_schedule(merged)] == [10, 50, 100]
    with pytest.raises(Exception, match="must increase and end at 100"):
        parse_steps("10,5,100")


# -- good releases -------------------------------------------------------------


def test_canary_promotes_and_bakes_each_step(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path)
    start = clock.now()
    dep = engine.shift(spec([10, 100], bake=60))
    assert dep.status == "promoted"
    assert aws.weights() == {"blue": 0, "green": 100}
    assert clock.now() - start >= 120  # two bakes of 60 s, in fake time
    assert max(clock.slept) <= 5  # never sleeps longer than a poll
    doc = engine.store.load()
    assert doc.current is None and doc.history[-1].status == "promoted"
    test_listener = aws.client("elbv2").describe_listeners(
        ListenerArns=[aws.outputs.test_listener_arn]
    )
    assert (
        test_listener["Listeners"][0]["DefaultActions"][0]["TargetGroupArn"]
        == aws.outputs.target_group_arns["blue"]
    )


def test_stickiness_and_the_rest_of_the_action_are_kept(aws, clock, tmp_path: Path) -> None:
    elbv2 = aws.client("elbv2")
    arn = aws.outputs.listener_arn
    action = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"][0]
    action["ForwardConfig"]["TargetGroupStickinessConfig"] = {
        "Enabled": True,
        "DurationSeconds": 777,
    }
    elbv2.modify_listener(ListenerArn=arn, DefaultActions=[action])
    # A router without stickiness of its own (the environment's) keeps the listener's.
    ctx = make_engine(aws, clock, tmp_path).ctx
    Engine(replace(ctx, router=AlbListenerRouter(elbv2, aws.outputs))).shift(
        spec([50, 100], bake=10)
    )
    after = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"][0]
    assert after["ForwardConfig"]["TargetGroupStickinessConfig"] == {
        "Enabled": True,
        "DurationSeconds": 777,
    }


def test_second_release_goes_back_to_blue(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path)
    engine.shift(spec([100], bake=0))
    dep = engine.shift(spec([100], bake=0))
    assert (dep.from_colour, dep.to_colour) == ("green", "blue")
    assert aws.weights() == {"blue": 100, "green": 0}
    assert len(engine.store.load().history) == 2


# -- rollbacks -----------------------------------------------------------------


@pytest.mark.parametrize("failing_step", [0, 1, 2, 3])
def test_alarm_at_any_step_rolls_back(aws, clock, tmp_path: Path, failing_step: int) -> None:
    engine = make_engine(aws, clock, tmp_path)
    alarm = aws.outputs.alarm_names["green"][failing_step % 3]

    def fire(event) -> None:
        if event.kind == "bake.start" and engine.store.load().current.step_index == failing_step:
            clock.at(12, lambda: aws.set_alarm(alarm))

    engine.events.sinks.append(CallbackSink(fire))
    with pytest.raises(ReleaseFailed, match=alarm) as caught:
        engine.shift(spec([5, 25, 50, 100], bake=60))
    assert caught.value.exit_code == 1
    assert "test: threshold crossed" in str(caught.value)
    assert aws.weights() == {"blue": 100, "green": 0}
    last = engine.store.load().history[-1]
    assert last.status == "rolled_back" and last.step_index == failing_step


def test_firing_alarm_is_noticed_within_one_poll(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path, poll=5)
    fired_at: list[float] = []

    def fire(event) -> None:
        if event.kind == "bake.start":

            def go() -> None:
                fired_at.append(clock.now())
                aws.set_alarm(aws.outputs.alarm_names["green"][0])

            clock.at(7, go)
        if event.kind == "rollback.start":
            fired_at.append(clock.now())

    engine.events.sinks.append(CallbackSink(fire))
    with pytest.raises(ReleaseFailed):
        engine.shift(spec([10, 100], bake=300))
    assert fired_at[1] - fired_at[0] <= 5


class BrokenCloudWatch:
    """DescribeAlarms fails as if CloudWatch were unreachable."""

    def __init__(self, real, fail_after: int) -> None:
        self.real = real
        self.calls = 0
        self.fail_after = fail_after

    def describe_alarms(self, **kwargs):  # type: ignore[no-untyped-def]
        from botocore.exceptions import EndpointConnectionError

        self.calls += 1
        if self.calls > self.fail_after:
            raise EndpointConnectionError(endpoint_url="https://monitoring.example")
        return self.real.describe_alarms(**kwargs)


def test_unreadable_alarms_roll_back_after_the_grace(aws, clock, tmp_path: Path) -> None:
    broken = BrokenCloudWatch(aws.client("cloudwatch"), fail_after=2)
    engine = make_engine(aws, clock, tmp_path, poll=5, grace=30, cloudwatch=broken)
    with pytest.raises(ReleaseFailed, match="unreadable"):
        engine.shift(spec([10, 100], bake=600))
    assert aws.weights() == {"blue": 100, "green": 0}


def test_insufficient_data_is_held_not_trusted(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path, poll=5, grace=30)

    def hold(event) -> None:
        if event.kind == "bake.start":
            aws.set_alarm(aws.outputs.alarm_names["green"][1], "INSUFFICIENT_DATA", "no datapoints")
            clock.at(20, lambda: aws.set_alarm(aws.outputs.alarm_names["green"][1], "OK"))

    engine.events.sinks.append(CallbackSink(hold))
    start = clock.now()
    dep = engine.shift(spec([100], bake=10))
    assert dep.status == "promoted"
    assert clock.now() - start >= 20  # the 10 s bake could not end while the state was unknown


def test_insufficient_data_for_too_long_rolls_back(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path, poll=5, grace=30)

    def hold(event) -> None:
        if event.kind == "bake.start":
            aws.set_alarm(aws.outputs.alarm_names["green"][1], "INSUFFICIENT_DATA", "no datapoints")

    engine.events.sinks.append(CallbackSink(hold))
    with pytest.raises(ReleaseFailed, match="INSUFFICIENT_DATA"):
        engine.shift(spec([10, 100], bake=600))
    assert aws.weights() == {"blue": 100, "green": 0}


# -- pre-flight ------------------------------------------------------------------


def test_preflight_refuses_an_alarm_already_firing(aws, clock, tmp_path: Path) -> None:
    aws.set_alarm(aws.outputs.alarm_names["green"][2], reason="2 unhealthy hosts")
    with pytest.raises(PreflightRefused, match="alarm fired") as caught:
        make_engine(aws, clock, tmp_path).shift(spec([10, 100]))
    assert caught.value.exit_code == 3
    assert aws.weights() == {"blue": 100, "green": 0}


def test_preflight_refuses_too_few_healthy_targets(aws, clock, tmp_path: Path) -> None:
    elbv2 = aws.client("elbv2")
    tg = aws.outputs.target_group_arns["green"]
    targets = [
        d["Target"]
        for d in elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    ]
    elbv2.deregister_targets(TargetGroupArn=tg, Targets=targets)
    with pytest.raises(PreflightRefused, match="0 healthy targets"):
        make_engine(aws, clock, tmp_path).shift(spec([10, 100]))
    assert aws.weights() == {"blue": 100, "green": 0}


def test_preflight_refuses_a_split_listener_without_a_journal(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path)
    engine.ctx.router.set_weights(engine.ctx.router.read(), {"blue": 70, "green": 30})
    with pytest.raises(DriftError) as caught:
        engine.shift(spec([10, 100]))
    assert caught.value.exit_code == 4
    assert aws.weights() == {"blue": 70, "green": 30}


def test_listener_changed_between_steps_is_drift(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path)

    def meddle(event) -> None:
        if event.kind == "bake.start" and engine.store.load().current.step_index == 0:
            clock.at(
                10,
                lambda: engine.ctx.router.set_weights(
                    engine.ctx.router.read(), {"blue": 100, "green": 0}
                ),
            )

    engine.events.sinks.append(CallbackSink(meddle))
    with pytest.raises(DriftError, match="changed outside zdd"):
        engine.shift(spec([10, 50, 100], bake=60))
    assert aws.weights() == {"blue": 100, "green": 0}  # the human's change stands


# -- gates, promote, abort -----------------------------------------------------------


def test_manual_gate_waits_for_promote(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path)
    other = make_engine(aws, clock, tmp_path)  # a second zdd process, e.g. `zdd promote`

    def promote_later(c) -> None:
        doc = other.store.load()
        if (
            doc.current
            and doc.current.status == "waiting_gate"
            and c.now() - doc.current.started_at > 3600
        ):
            other.request("promote")

    clock.on_sleep.append(promote_later)
    dep = engine.shift(spec([20, 100], bake=60, gates=(20,)))
    assert dep.status == "promoted"
    kinds = [e.kind for e in dep.events]
    assert "gate.waiting" in kinds and "gate.passed" in kinds
    assert dep.finished_at - dep.started_at > 3600


def test_abort_request_rolls_back_a_running_release(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path)
    other = make_engine(aws, clock, tmp_path)
    clock.at(100, lambda: other.request("abort"))
    with pytest.raises(ReleaseFailed, match="aborted"):
        engine.shift(spec([10, 50, 100], bake=60))
    assert aws.weights() == {"blue": 100, "green": 0}
    assert engine.store.load().history[-1].status == "aborted"


# -- hooks -------------------------------------------------------------------------


def test_failing_pre_traffic_hook_moves_no_weight(aws, clock, tmp_path: Path) -> None:
    hooks = Hooks(pre_traffic=[Hook(command=["sh", "-c", "echo schema not ready >&2; exit 7"])])
    with pytest.raises(ReleaseFailed, match="schema not ready"):
        make_engine(aws, clock, tmp_path, hooks=hooks).shift(spec([10, 100]))
    assert aws.weights() == {"blue": 100, "green": 0}


def test_failing_on_rollback_hook_never_blocks_the_rollback(aws, clock, tmp_path: Path) -> None:
    hooks = Hooks(
        on_rollback=[
            Hook(command=["sh", "-c", "exit 3"]),
            Hook(command=["sh", "-c", "touch never"]),
        ]
    )
    engine = make_engine(aws, clock, tmp_path, hooks=hooks)
    aws_alarm = aws.outputs.alarm_names["green"][0]
    clock.at(1, lambda: aws.set_alarm(aws_alarm))
    with pytest.raises(ReleaseFailed):
        engine.shift(spec([10, 100], bake=60))
    assert aws.weights() == {"blue": 100, "green": 0}
    assert any(e.kind == "hook.on_rollback.failed" for e in engine.events.history)


def test_a_dead_webhook_does_not_delay_anything(aws, clock, tmp_path: Path) -> None:
    engine = make_engine(aws, clock, tmp_path)
    sink = WebhookSink(["http://127.0.0.1:9/unreachable"], timeout=0.2)
    engine.events.sinks.append(sink)
    clock.at(1, lambda: aws.set_alarm(aws.outputs.alarm_names["green"][0]))
    with pytest.raises(ReleaseFailed):
        engine.shift(spec([10, 100], bake=60))
    assert aws.weights() == {"blue": 100, "green": 0}
    sink.close()


# -- API calls ------------------------------------------------------------------------


def test_api_calls_per_step_and_per_poll(aws, clock, tmp_path: Path) -> None:
    elbv2, cloudwatch = aws.client("elbv2"), aws.client("cloudwatch")
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    engine = engine_for(aws, clock, store, poll=5, elbv2=elbv2, cloudwatch=cloudwatch)
    calls: Counter[str] = Counter()
    marks: list[tuple[str, Counter[str]]] = []
    for client in (elbv2, cloudwatch):
        client.meta.events.register(
            "before-call.*.*", lambda model, **_: calls.update([model.name])
        )

    def mark(event) -> None:
        if event.kind in ("step.verified", "bake.poll"):
            marks.append((event.kind, calls.copy()))

    engine.events.sinks.append(CallbackSink(mark))
    engine.shift(spec([10, 50, 100], bake=30))
    assert calls["ModifyListener"] == 3 + 1  # three steps, plus repointing the test listener
    # a step: one DescribeListeners (drift check) and one ModifyListener
    step_at = [i for i, (k, _) in enumerate(marks) if k == "step.verified"]
    for i, j in itertools.pairwise(step_at):
        before, after = marks[i][1], marks[j][1]
        polls = sum(1 for k, _ in marks[i:j] if k == "bake.poll")
        assert polls >= 2
        assert after["ModifyListener"] - before["ModifyListener"] == 1
        assert after["DescribeListeners"] - before["DescribeListeners"] == 1
        assert after["DescribeAlarms"] - before["DescribeAlarms"] == polls
