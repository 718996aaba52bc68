"""The analysis signal on moto: one GetMetricData per poll, verdicts, engine outcomes."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from generator.colours import Colour
from generator.config import Strategy
from generator.config.analysis import Analysis
from generator.demo.traffic import (
    PUBLISH_DELAY,
    PeriodCounts,
    Profile,
    TrafficFeed,
    put_period,
    simulate_period,
)
from generator.errors import ReleaseFailed
from generator.events import EventBus
from generator.journal.local import LocalStore
from generator.journal.model import Step
from generator.rollout.analysis.queries import Dimensions
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.aws.metric_analysis import MetricAnalysis
from generator.rollout.aws.wiring import build_engine
from generator.rollout.engine.engine import ReleaseSpec
from generator.rollout.views.status import gather_status, render_status
from tests.conftest import FakeClock, engine_env
from tests.support.clients import aws_clients

# On a period boundary. Each test uses its own hours: moto keeps the metrics of
# earlier tests (the world is built once), and a test must not read them.
_BASE = 1_700_000_040.0
_HOUR = iter(range(100))


@pytest.fixture
def t0() -> float:
    return _BASE + 3600 * next(_HOUR)


class Traffic:
    """Pushes one simulated period into moto each time the fake clock passes its end."""

    def __init__(self, aws: Any, t0: float, profiles: dict[Colour, Profile]) -> None:
        self.aws, self.profiles, self.rps = aws, profiles, 20.0
        self.rng = random.Random(11)
        self.next = t0 - 60

    def __call__(self, clock: FakeClock) -> None:
        weights = AlbListenerRouter(self.aws.client("elbv2"), self.aws.outputs).read().weights
        while self.next + 60 <= clock.t:
            counts = simulate_period(self.rng, self.rps, 60, weights, self.profiles)
            put_period(self.aws.client("cloudwatch"), self.aws.outputs, self.next, counts)
            self.next += 60


def _calls(client: Any) -> list[str]:
    seen: list[str] = []
    client.meta.events.register("before-call.*", lambda model, **_: seen.append(model.name))
    return seen


def _engine(aws: Any, clock: FakeClock, tmp_path: Path, analysis: Analysis, cloudwatch: Any):  # type: ignore[no-untyped-def]
    env = engine_env(Strategy(poll_seconds=10, alarm_grace_seconds=90), analysis=analysis)
    return build_engine(
        env,
        aws.outputs,
        aws_clients(aws.session, elbv2=aws.client("elbv2"), cloudwatch=cloudwatch),
        LocalStore(tmp_path, "shop", "staging"),
        events=EventBus(),
        clock=clock,
    )


SPEC = ReleaseSpec(
    schedule=[Step(percent=10, bake_seconds=300), Step(percent=100, bake_seconds=60)],
    strategy="canary",
)


def test_degraded_canary_is_rolled_back_by_the_comparison_alone(
    aws, tmp_path: Path, t0: float
) -> None:
    clock = FakeClock(t=t0)
    clock.on_sleep.append(Traffic(aws, t0, {"blue": Profile(0.01), "green": Profile(0.08)}))
    cloudwatch = aws.client("cloudwatch")
    calls = _calls(cloudwatch)
    engine = _engine(aws, clock, tmp_path, Analysis(settle_seconds=0), cloudwatch)
    with pytest.raises(ReleaseFailed, match="analysis failed: errors"):
        engine.shift(SPEC)
    assert aws.weights() == {"blue": 100, "green": 0}
    dep = engine.store.load().history[-1]
    assert dep.status == "rolled_back"
    decided = dep.step_verdicts[-1]
    assert decided.percent == 10
    assert {v.check: v.verdict for v in decided.verdicts}["errors"] == "fail"
    # No alarm fired: only the comparison judged the canary.
    alarms = cloudwatch.describe_alarms(AlarmNames=aws.outputs.alarm_names["green"])
    assert {a["StateValue"] for a in alarms["MetricAlarms"]} == {"OK"}
    assert calls.count("GetMetricData") <= calls.count("DescribeAlarms")


def test_matching_canary_is_promoted_with_final_verdicts(aws, tmp_path: Path, t0: float) -> None:
    clock = FakeClock(t=t0)
    clock.on_sleep.append(Traffic(aws, t0, {"blue": Profile(0.01), "green": Profile(0.01)}))
    cloudwatch = aws.client("cloudwatch")
    calls = _calls(cloudwatch)
    engine = _engine(aws, clock, tmp_path, Analysis(settle_seconds=0), cloudwatch)
    dep = engine.shift(SPEC)
    assert dep.status == "promoted"
    canary = dep.step_verdicts[0]
    assert [v.check for v in canary.verdicts] == ["errors", "latency"]
    assert all(v.final and v.verdict in ("pass", "marginal") for v in canary.verdicts)
    assert canary.score is not None and canary.score >= 50
    # One GetMetricData per completed period of the canary bake, none at 100 %.
    assert calls.count("GetMetricData") == 5
    report = gather_status(aws.client("elbv2"), cloudwatch, aws.outputs, engine.store, history=True)
    text = render_status(report)
    assert "errors" in text and "score" in text
    assert "verdicts that decided each step:" in text
    assert report.to_dict()["verdicts"]["checks"][0]["check"] == "errors"


def _signal(aws: Any, analysis: Analysis, clock: FakeClock) -> MetricAnalysis:
    outputs = aws.outputs
    dims = Dimensions(outputs.load_balancer_arn_suffix, outputs.target_group_arn_suffixes)
    return MetricAnalysis(aws.client("cloudwatch"), analysis, dims, clock.now)


def _push(aws: Any, start: float, blue: PeriodCounts, green: PeriodCounts) -> None:
    put_period(aws.client("cloudwatch"), aws.outputs, start, {"blue": blue, "green": green})


def test_no_data_waits_until_the_deadline_then_fails_closed(aws, t0: float) -> None:
    clock = FakeClock(t=t0)
    signal = _signal(aws, Analysis(settle_seconds=0), clock)
    assert signal.poll("green").detail == "analysis ready"  # pre-flight
    signal.start_step("green", 10, t0, 120)
    clock.t = t0 + 65
    reading = signal.poll("green")
    assert reading.state == "ok" and "no data" in reading.detail  # still filling
    clock.t = t0 + 125
    reading = signal.poll("green")
    assert reading.state == "unknown" and "no data" in reading.detail


def test_user_check_with_live_condition_fails_after_its_limit(aws, t0: float) -> None:
    analysis = Analysis.model_validate(
        {
            "settle_seconds": 0,
            "compare": {"enabled": False},
            "checks": [
                {
                    "name": "p_latency",
                    "metric": {
                        "namespace": "AWS/ApplicationELB",
                        "name": "TargetResponseTime",
                        "stat": "Average",
                        "dimensions": {
                            "LoadBalancer": "{load_balancer}",
                            "TargetGroup": "{target_group}",
                        },
                    },
                    "condition": "<= live * 1.2",
                    "failure_limit": 1,
                }
            ],
        }
    )
    clock = FakeClock(t=t0)
    signal = _signal(aws, analysis, clock)
    signal.start_step("green", 50, t0, 300)
    slow, fast = PeriodCounts(100, 0, 30.0, 1.0), PeriodCounts(100, 0, 10.0, 0.3)
    _push(aws, t0, fast, slow)
    clock.t = t0 + 60
    first = signal.poll("green")
    assert first.state == "ok" and first.checks == {"p_latency": "marginal"}
    _push(aws, t0 + 60, fast, slow)
    clock.t = t0 + 120
    second = signal.poll("green")
    assert second.state == "firing"
    assert "2 periods judged '<= live * 1.2': 2 failed (0.3, 0.3)" in second.detail
    # At 100 % a condition on live cannot be judged: nothing to analyse.
    signal.start_step("green", 100, t0 + 120, 300)
    assert signal.poll("green").detail == "nothing to analyse at 100%"


def test_missing_arn_suffixes_refuse_in_pre_flight(aws, t0: float) -> None:
    clock = FakeClock(t=t0)
    signal = MetricAnalysis(aws.client("cloudwatch"), Analysis(), None, clock.now)
    reading = signal.poll("green")
    assert reading.state == "firing" and "ARN suffixes" in reading.detail


def test_a_late_period_is_awaited_not_taken_as_zero(aws, t0: float) -> None:
    clock = FakeClock(t=t0)
    signal = _signal(aws, Analysis(settle_seconds=0), clock)
    signal.start_step("green", 10, t0, 300)
    live, canary = PeriodCounts(1080, 11, 86.4, 0.3), PeriodCounts(120, 1, 9.6, 0.3)
    _push(aws, t0, live, canary)
    clock.t = t0 + 125  # two periods are over; CloudWatch has published one
    reading = signal.poll("green")
    assert reading.state == "ok"
    assert "waiting for CloudWatch data of 1 complete period(s)" in reading.detail
    assert {v.check: v.periods for v in signal.latest} == {"errors": 1, "latency": 1}
    _push(aws, t0 + 60, live, PeriodCounts(120, 30, 36.0, 1.5))  # it arrives: gross
    clock.t = t0 + 130
    reading = signal.poll("green")
    assert reading.state == "firing" and "waiting" not in reading.detail
    decided = {v.check: v for v in signal.latest}
    assert decided["errors"].test == "fisher" and decided["latency"].test == "mean z"
    assert decided["latency"].verdict == "fail" and decided["latency"].canary == [80.0, 300.0]


def test_gross_latency_is_rolled_back_on_the_first_minute_cloudwatch_publishes(
    aws, tmp_path: Path, t0: float
) -> None:
    # The minute is published a minute after it ends; zdd asks from its end on
    # (settle 0) and says it is waiting, then judges it as soon as it is there.
    clock = FakeClock(t=t0)
    slow = {"blue": Profile(0.01, 0.08), "green": Profile(0.01, 0.24)}
    feed = TrafficFeed(
        aws.client("cloudwatch"),
        aws.client("elbv2"),
        aws.outputs,
        t0 - 60,
        slow,
        publish_delay=PUBLISH_DELAY,
    )
    clock.on_sleep.append(feed)
    engine = _engine(aws, clock, tmp_path, Analysis(settle_seconds=0), aws.client("cloudwatch"))
    with pytest.raises(ReleaseFailed, match="analysis failed: latency"):
        engine.shift(SPEC)
    assert aws.weights() == {"blue": 100, "green": 0}
    dep = engine.store.load().history[-1]
    said = " ".join(e.message for e in dep.events)
    assert "waiting for CloudWatch data of 1 complete period(s)" in said
    latency = {v.check: v for v in dep.step_verdicts[-1].verdicts}["latency"]
    assert latency.test == "mean z" and latency.periods == 1
