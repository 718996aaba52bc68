"""End to end on moto_server over HTTP: the comparison decides, no alarm fires.

The engine runs with a fake clock; each tick pushes the simulated minutes that
ended (PutMetricData over HTTP), split by the listener's weights read back
from moto_server, and the analysis reads them back with GetMetricData.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from generator.config import Strategy, load_environment
from generator.config.analysis import Analysis
from generator.demo.emulator import create_twin_environments, reset_emulator
from generator.demo.traffic import Profile, TrafficFeed
from generator.errors import ReleaseFailed
from generator.events import EventBus
from generator.journal.local import LocalStore
from generator.journal.model import Step
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.aws.wiring import build_engine
from generator.rollout.engine.engine import ReleaseSpec
from tests.conftest import ROOT, FakeClock, engine_env
from tests.support.clients import aws_clients

pytestmark = pytest.mark.integration
T0 = 1_700_000_040.0
SPEC = ReleaseSpec(
    schedule=[Step(percent=10, bake_seconds=300), Step(percent=100, bake_seconds=60)],
    strategy="canary",
)


def _world(url: str) -> tuple[Any, Any, Any]:
    reset_emulator(url)
    env = load_environment(ROOT / "environments" / "staging.yaml")
    session = boto3.Session(region_name=env.region)
    os.environ["AWS_ENDPOINT_URL"] = url
    try:
        outputs = create_twin_environments(session, env)
        return outputs, session.client("elbv2"), session.client("cloudwatch")
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)


def _release(url: str, green: Profile) -> tuple[Any, Any, Any, LocalStore]:
    outputs, elbv2, cloudwatch = _world(url)
    clock = FakeClock(t=T0)
    feed = TrafficFeed(cloudwatch, elbv2, outputs, T0 - 60, {"blue": Profile(0.01), "green": green})
    clock.on_sleep.append(feed)
    store = LocalStore(Path(tempfile.mkdtemp()), "shop", "staging")
    env = engine_env(
        Strategy(poll_seconds=10, alarm_grace_seconds=90), analysis=Analysis(settle_seconds=0)
    )
    # Both clients it needs are given (they point at moto_server): no session is used.
    clients = aws_clients(None, elbv2=elbv2, cloudwatch=cloudwatch)
    engine = build_engine(env, outputs, clients, store, events=EventBus(), clock=clock)
    return engine, outputs, (elbv2, cloudwatch), store


def test_comparison_rolls_back_a_degraded_canary_while_no_alarm_fires(server: str) -> None:
    engine, outputs, (elbv2, cloudwatch), store = _release(server, Profile(0.04))
    with pytest.raises(ReleaseFailed, match="analysis failed: errors"):
        engine.shift(SPEC)
    assert AlbListenerRouter(elbv2, outputs).read().weights == {"blue": 100, "green": 0}
    alarms = cloudwatch.describe_alarms(AlarmNames=outputs.alarm_names["green"])["MetricAlarms"]
    assert {a["StateValue"] for a in alarms} == {"OK"}
    dep = store.load().history[-1]
    assert dep.status == "rolled_back"
    assert {v.check: v.verdict for v in dep.step_verdicts[-1].verdicts}["errors"] == "fail"


def test_comparison_promotes_a_canary_that_matches_live(server: str) -> None:
    engine, outputs, (elbv2, _), store = _release(server, Profile(0.01))
    dep = engine.shift(SPEC)
    assert dep.status == "promoted"
    assert AlbListenerRouter(elbv2, outputs).read().weights == {"blue": 0, "green": 100}
    canary = store.load().history[-1].step_verdicts[0]
    assert all(v.final and v.verdict != "fail" for v in canary.verdicts)
