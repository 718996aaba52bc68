"""`zdd adopt`: the way out of drift. After a hand-made change to the listener every command
that moves traffic stops with exit 4 and names `zdd adopt`; once a person has put all the
weight on one colour, adopt records it (read back, never assumed), with who and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.errors import DriftError, InputError, RefusedError
from generator.journal.model import Deployment, Step
from generator.rollout import release
from tests.conftest import ROOT
from tests.unit.rollout.release_world import STRATEGY, context

STAGING = str(ROOT / "environments" / "staging.yaml")


def by_hand(aws: Any, blue: int, green: int) -> None:
    """What a person does in the console: the listener's forward weights, set directly."""
    groups = aws.outputs.target_group_arns
    aws.client("elbv2").modify_listener(
        ListenerArn=aws.outputs.listener_arn,
        DefaultActions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": groups["blue"], "Weight": blue},
                        {"TargetGroupArn": groups["green"], "Weight": green},
                    ]
                },
            }
        ],
    )


def test_after_a_hand_made_move_rollback_names_adopt_and_adopt_ends_the_drift(
    aws, clock, staging, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context(aws, clock, tmp_path, staging)
    release.shift(ctx, aws.outputs, STRATEGY, release="2.0.0")  # promoted to green
    by_hand(aws, 100, 0)  # someone put everyone back on blue in the console
    with pytest.raises(DriftError) as drift:
        release.revert(ctx, aws.outputs, reason="errors")
    assert drift.value.exit_code == 4
    assert "`zdd adopt --env ENV --live COLOUR --reason TEXT`" in str(drift.value)

    monkeypatch.setenv("ZDD_ACTOR", "alice")
    record = release.adopt(ctx, aws.outputs, "blue", "green served 500s; moved by hand")
    assert aws.weights() == {"blue": 100, "green": 0}  # adopt moves nothing
    last = ctx.store.load().history[-1]
    assert (last.id, last.strategy, last.status) == (record.id, "adopt", "aborted")
    assert last.ended_on == "blue" and last.weights == {"blue": 100, "green": 0}
    assert last.actor is not None and last.actor.user == "alice"
    assert last.outcome_reason == (
        "adopted by alice: all traffic on blue (green served 500s; moved by hand)"
    )
    assert last.events[0].data["reason"] == "green served 500s; moved by hand"
    # the journal agrees with the listener again: nothing to undo, and releases go on
    with pytest.raises(InputError, match="nothing to roll back"):
        release.revert(ctx, aws.outputs, reason="again")
    release.shift(ctx, aws.outputs, STRATEGY, release="2.0.1")
    assert aws.weights() == {"blue": 0, "green": 100}


def test_a_split_is_refused_until_a_person_puts_all_weight_on_one_colour(
    aws, clock, staging, tmp_path: Path
) -> None:
    ctx = context(aws, clock, tmp_path, staging)
    by_hand(aws, 70, 30)
    with pytest.raises(DriftError, match=r"no deployment in progress.*zdd adopt"):
        release.shift(ctx, aws.outputs, STRATEGY)
    with pytest.raises(RefusedError, match="not all on blue") as refused:
        release.adopt(ctx, aws.outputs, "blue", "the split was an experiment")
    assert refused.value.exit_code == 3
    assert ctx.store.load().history == []  # nothing journalled
    by_hand(aws, 100, 0)
    release.adopt(ctx, aws.outputs, "blue", "the experiment is over")
    release.shift(ctx, aws.outputs, STRATEGY, release="2.0.0")
    assert aws.weights() == {"blue": 0, "green": 100}


def test_adopt_ends_a_deployment_the_listener_no_longer_matches(
    aws, clock, staging, tmp_path: Path
) -> None:
    ctx = context(aws, clock, tmp_path, staging)
    doc = ctx.store.load()
    doc.current = Deployment(
        id="d1",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=aws.outputs.listener_arn,
        schedule=[Step(percent=10, bake_seconds=60), Step(percent=100, bake_seconds=0)],
        step_index=0,
        weights={"blue": 90, "green": 10},
        started_at=clock.now(),
    )
    ctx.store.save(doc)
    by_hand(aws, 0, 100)  # someone finished it by hand
    with pytest.raises(DriftError, match=r"changed outside zdd.*zdd adopt"):
        release.resume(ctx, aws.outputs)
    release.adopt(ctx, aws.outputs, "green", "finished by hand during the incident")
    history = ctx.store.load().history
    assert [(d.id, d.status) for d in history][-2][1] == "aborted"
    ended = history[-2]
    assert ended.id == "d1" and ended.weights == {"blue": 0, "green": 100}
    assert ended.outcome_reason is not None and "ended by zdd adopt" in ended.outcome_reason
    assert ctx.store.load().current is None
    assert release.resume(ctx, aws.outputs) is None  # nothing left to resume


def test_adopt_through_the_cli(aws, run_cli, tmp_path: Path, monkeypatch) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(aws.outputs.model_copy(update={"ecs_services": None}).to_terraform_json())
    store = str(tmp_path / "store")
    args = ("adopt", "--env", STAGING, "--outputs", str(outputs), "--store", store)
    by_hand(aws, 40, 60)
    shift = run_cli("shift", "--env", STAGING, "--outputs", str(outputs), "--store", store)
    assert shift.exit_code == 4
    assert "zdd adopt --env ENV --live COLOUR --reason TEXT" in shift.stderr + shift.stdout

    split = run_cli(*args, "--live", "green", "--reason", "rollout by hand")
    assert split.exit_code == 3
    assert "not all on green" in split.stderr
    by_hand(aws, 0, 100)
    no_reason = run_cli(*args, "--live", "green", "--reason", "  ")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr
    monkeypatch.setenv("ZDD_ACTOR", "ci-bot")
    done = run_cli(*args, "--live", "green", "--reason", "rollout by hand", "--json")
    assert done.exit_code == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["adopted"] == "green" and answer["by"] == "ci-bot"
    assert answer["weights"] == {"blue": 0, "green": 100}
    status = run_cli("status", "--env", STAGING, "--outputs", str(outputs), "--store", store)
    assert status.exit_code == 0, status.stderr
