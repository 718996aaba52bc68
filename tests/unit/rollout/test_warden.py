"""`zdd warden` on moto in process: orphaned releases ended by policy, held ones left alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from generator.aws import AwsClients
from generator.config import Warden as WardenConfig
from generator.demo.injectors import RecordingSink
from generator.events import EventBus
from generator.journal import open_store
from generator.journal.model import Deployment, JournalDoc, Step
from generator.journal.protocol import Owner
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.aws.wiring import handoff_of
from generator.rollout.warden import Warden
from tests.unit.journal.conftest import create_table

SCHEDULE = [Step(percent=10, bake_seconds=30), Step(percent=100, bake_seconds=30)]
SPLIT = {"blue": 90, "green": 10}
BLUE = {"blue": 100, "green": 0}
DEAD = Owner("deadbeef0000", "ci-runner-7", 4242, "zdd shift")


def _orphan(aws, staging, clock, url: str, *, policy: str = "rollback", **fields) -> str:
    """A release killed mid-bake at 10 %: the listener split, its lease lapsed."""
    env = staging.model_copy(update={"warden": WardenConfig(on_orphan=policy)})
    router = AlbListenerRouter(aws.client("elbv2"), aws.outputs)
    router.set_weights(router.read(), dict(SPLIT))
    fields.setdefault("status", "in_progress")
    dep = Deployment(
        id="orphan0001",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=aws.outputs.listener_arn,
        schedule=SCHEDULE,
        step_index=0,
        weights=dict(SPLIT),
        started_at=clock.now(),
        handoff=handoff_of(env, aws.outputs, 2.0),
        **fields,
    )
    store = _store(aws, url, lease=2.0)
    store.save(JournalDoc(service="shop", environment="staging", current=dep))
    store.clock = lambda: 1_000_000.0  # type: ignore[attr-defined]
    store.acquire(DEAD)  # the dead runner's lease: 2 s, long lapsed
    return dep.id


def _store(aws, url: str, lease: float = 120.0):  # type: ignore[no-untyped-def]
    return open_store(
        url, "shop", "staging", dynamodb=lambda: aws.client("dynamodb"), lease_seconds=lease
    )


def _warden(aws, clock, url: str) -> tuple[Warden, RecordingSink]:
    seen = RecordingSink()
    keeper = Warden(
        url, lambda _region: AwsClients(aws.session), lambda o, h: EventBus([seen]), clock
    )
    return keeper, seen


@pytest.fixture(params=["local", "dynamodb"])
def url(request, aws, tmp_path: Path) -> Iterator[str]:
    if request.param == "local":
        yield str(tmp_path / ".zdd")
        return
    client = boto3.client("dynamodb", region_name="eu-west-1")
    create_table(client, "zdd-journal")
    yield "dynamodb://zdd-journal"
    client.delete_table(TableName="zdd-journal")  # moto's world outlives the test


def test_an_orphan_is_rolled_back_once_by_the_warden(aws, staging, clock, url) -> None:
    _orphan(aws, staging, clock, url)
    keeper, seen = _warden(aws, clock, url)
    [verdict] = keeper.run_pass()
    assert verdict.action == "rolled_back", verdict
    assert aws.weights() == BLUE
    last = _store(aws, url).load().history[-1]
    assert last.status == "rolled_back" and "zdd warden" in (last.outcome_reason or "")
    assert any(e.kind == "warden.takeover" for e in last.events)
    assert "rollback.done" in [e.kind for e in seen.events]  # the usual notifications
    assert _store(aws, url).lock_info() is None  # released
    assert keeper.run_pass() == []  # idempotent: nothing left to do


def test_on_orphan_resume_finishes_and_promotes(aws, staging, clock, url) -> None:
    _orphan(aws, staging, clock, url, policy="resume")
    keeper, _ = _warden(aws, clock, url)
    [verdict] = keeper.run_pass()
    assert verdict.action == "resumed", verdict
    assert aws.weights() == {"blue": 0, "green": 100}
    assert _store(aws, url).load().history[-1].status == "promoted"


def test_on_orphan_hold_only_notifies_once(aws, staging, clock, url) -> None:
    _orphan(aws, staging, clock, url, policy="hold")
    keeper, seen = _warden(aws, clock, url)
    assert [v.action for v in keeper.run_pass()] == ["notified"]
    assert [v.action for v in keeper.run_pass()] == ["held"]  # not announced again
    assert [e.kind for e in seen.events].count("warden.held") == 1
    assert aws.weights() == SPLIT
    assert _store(aws, url).load().current.status == "in_progress"  # type: ignore[union-attr]


def test_a_release_at_a_manual_gate_is_left_alone(aws, staging, clock, url) -> None:
    _orphan(aws, staging, clock, url, status="waiting_gate")
    keeper, _ = _warden(aws, clock, url)
    [verdict] = keeper.run_pass()
    assert verdict.action == "notified" and "manual gate" in verdict.detail
    assert aws.weights() == SPLIT


def test_a_drifted_release_is_left_alone(aws, staging, clock, url) -> None:
    _orphan(aws, staging, clock, url)
    router = AlbListenerRouter(aws.client("elbv2"), aws.outputs)
    router.set_weights(router.read(), {"blue": 50, "green": 50})  # a human in the console
    keeper, _ = _warden(aws, clock, url)
    [verdict] = keeper.run_pass()
    assert verdict.action == "notified" and "held for a human" in verdict.detail, verdict
    assert aws.weights() == {"blue": 50, "green": 50}
    assert _store(aws, url).load().current.status == "in_progress"  # type: ignore[union-attr]


def test_a_release_whose_runner_holds_its_lease_is_not_touched(aws, staging, clock, url) -> None:
    _orphan(aws, staging, clock, url)
    live = Owner("alive0000000", "ci-runner-8", 99, "zdd shift")
    _store(aws, url).acquire(live, force=True)  # real time: 120 s from now
    keeper, _ = _warden(aws, clock, url)
    [verdict] = keeper.run_pass()
    assert verdict.action == "running"
    assert aws.weights() == SPLIT


def test_the_command_makes_one_pass(aws, staging, clock, tmp_path, run_cli) -> None:
    url = str(tmp_path / ".zdd")
    _orphan(aws, staging, clock, url)
    result = run_cli("warden", "--store", url, "--region", "eu-west-1")
    assert result.exit_code == 0, result.stderr
    assert "shop/staging orphan0001: rolled_back: rolled back by zdd warden" in result.stdout
    assert aws.weights() == BLUE
    again = run_cli("warden", "--store", url, "--region", "eu-west-1")
    assert again.exit_code == 0 and "no release without an outcome" in again.stdout


def test_the_command_needs_a_store(run_cli) -> None:
    result = run_cli("warden")
    assert result.exit_code == 2 and "--store" in result.stderr


def test_a_hand_off_over_its_budget_is_left_out(aws, staging) -> None:
    names = {c: [f"{'x' * 200}-{c}-{i}" for i in range(20)] for c in ("blue", "green")}
    outputs = aws.outputs.model_copy(update={"alarm_names": names})
    assert handoff_of(staging, aws.outputs, 120.0) is not None
    assert handoff_of(staging, outputs, 120.0) is None  # the warden then only notifies


def test_a_hand_off_never_shows_its_webhook_urls(aws, staging, clock) -> None:
    """The hand-off keeps the notifications for the warden; a webhook URL's path is a
    secret, so `--json` results and `zdd status --json` leave the record out."""
    import json

    from generator.config.notify import Webhooks
    from generator.rollout.views.outcome import RunSummary

    secret = "https://hooks.example.com/services/T000/B000/very-secret-token"
    env = staging.model_copy(update={"webhooks": Webhooks(urls=[secret])})
    handoff = handoff_of(env, aws.outputs, 120.0)
    assert handoff is not None and secret in json.dumps(handoff.notify)  # kept for the warden
    dep = Deployment(
        id="secret0001",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=aws.outputs.listener_arn,
        schedule=SCHEDULE,
        weights=dict(BLUE),
        started_at=clock.now(),
        handoff=handoff,
    )
    shown = json.dumps(RunSummary("shift", "in_progress", 0, dep).to_json())
    assert "secret0001" in shown and "very-secret-token" not in shown
    assert "handoff" not in dep.public()


def test_a_hand_off_this_warden_cannot_read_fails_alone(aws, staging, clock, url) -> None:
    """A hand-off written by a newer zdd (a field this one does not know): that release is
    reported failed, the pass goes on, and nothing is moved."""
    _orphan(aws, staging, clock, url)
    store = _store(aws, url)
    doc = store.load()
    assert doc.current is not None and doc.current.handoff is not None
    doc.current.handoff.strategy["a_field_of_a_newer_zdd"] = 1
    store.save(doc)
    keeper, _ = _warden(aws, clock, url)
    [verdict] = keeper.run_pass()
    assert verdict.action == "failed" and "ValidationError" in verdict.detail
    assert aws.weights() == SPLIT  # untouched: a human (or a newer warden) decides
