"""Crash recovery, deterministically: a journal left by a killed run, then resume,
promote or abort from another process. No random timing, no subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.demo.injectors import RecordingSink
from generator.errors import DriftError, InputError, ReleaseFailed
from generator.journal.local import LocalStore
from generator.journal.model import Deployment, Intent, JournalDoc, Step
from generator.rollout.views.status import gather_status, render_status
from tests.conftest import engine_for

SCHEDULE = [
    Step(percent=10, bake_seconds=30),
    Step(percent=100, bake_seconds=30),
]
BEFORE = {"blue": 100, "green": 0}
AFTER = {"blue": 90, "green": 10}


def _store(clock, tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)


def _left_behind(aws, store: LocalStore, clock, **fields: object) -> Deployment:
    """The journal of a run killed mid-deployment, with nobody holding the lock."""
    fields.setdefault("weights", dict(BEFORE))
    dep = Deployment(
        id="dead00beef",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=aws.outputs.listener_arn,
        schedule=SCHEDULE,
        started_at=clock.now(),
        **fields,  # type: ignore[arg-type]
    )
    store.save(JournalDoc(service="shop", environment="staging", current=dep))
    return dep


def _set_listener(aws, weights: dict[str, int]) -> None:
    from generator.rollout.aws.alb import AlbListenerRouter

    router = AlbListenerRouter(aws.client("elbv2"), aws.outputs)
    router.set_weights(router.read(), weights)  # type: ignore[arg-type]


def _intent() -> Intent:
    return Intent(before=dict(BEFORE), after=dict(AFTER), reason="step", at=0.0)


def test_resume_when_the_move_never_happened_moves_and_promotes(aws, clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    _left_behind(aws, store, clock, pending=_intent())
    dep = engine_for(aws, clock, store).resume()
    assert dep is not None and dep.status == "promoted"
    assert aws.weights() == {"blue": 0, "green": 100}
    assert [s.status for s in store.load().history] == ["promoted"]


def test_resume_when_the_move_happened_does_not_move_it_again(aws, clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    _left_behind(aws, store, clock, pending=_intent())
    _set_listener(aws, AFTER)  # AWS applied it; the reply (and the journal write) were lost
    engine = engine_for(aws, clock, store)
    recorder = RecordingSink()
    engine.events.sinks.append(recorder)
    dep = engine.resume()
    assert dep is not None and dep.status == "promoted"
    # Only the final step moved: the 10 % step was recognised as done, then baked.
    assert [e.data["weights"] for e in recorder.events if e.kind == "step.verified"] == [
        {"blue": 0, "green": 100}
    ]


def test_resume_when_the_listener_matches_neither_is_drift(aws, clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    _left_behind(aws, store, clock, pending=_intent())
    _set_listener(aws, {"blue": 50, "green": 50})  # someone else moved it
    with pytest.raises(DriftError, match="matches neither") as caught:
        engine_for(aws, clock, store).resume()
    assert caught.value.exit_code == 4
    assert aws.weights() == {"blue": 50, "green": 50}  # nothing touched
    assert store.load().current is not None  # still unfinished: a human decides


def test_resume_of_a_decided_rollback_never_moves_forward(aws, clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    _left_behind(aws, store, clock, status="rolling_back", step_index=0, weights=dict(AFTER))
    _set_listener(aws, AFTER)
    with pytest.raises(ReleaseFailed, match="rolled back to blue"):
        engine_for(aws, clock, store).resume()
    assert aws.weights() == {"blue": 100, "green": 0}
    assert store.load().history[-1].status == "rolled_back"


def test_resume_with_nothing_unfinished_does_nothing(aws, clock, tmp_path) -> None:
    assert engine_for(aws, clock, _store(clock, tmp_path)).resume() is None
    assert aws.weights() == BEFORE


def test_promote_with_no_run_holding_the_lock_finishes_now(aws, clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    _left_behind(
        aws, store, clock, status="waiting_gate", step_index=0, baked_index=0, weights=dict(AFTER)
    )
    _set_listener(aws, AFTER)
    dep = engine_for(aws, clock, store).request("promote")
    assert dep.id == "dead00beef"
    assert aws.weights() == {"blue": 0, "green": 100}
    assert store.load().history[-1].status == "promoted"


def test_abort_with_no_run_holding_the_lock_rolls_back_now(aws, clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    _left_behind(aws, store, clock, step_index=0, weights=dict(AFTER))
    _set_listener(aws, AFTER)
    engine_for(aws, clock, store).request("abort")
    assert aws.weights() == BEFORE
    assert store.load().history[-1].status == "aborted"


def test_promote_or_abort_with_nothing_in_progress_is_bad_input(aws, clock, tmp_path) -> None:
    engine = engine_for(aws, clock, _store(clock, tmp_path))
    for what in ("promote", "abort"):
        with pytest.raises(InputError, match="no deployment in progress"):
            engine.request(what)  # type: ignore[arg-type]


def test_status_reports_weights_alarms_deployment_and_history(aws, clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    _left_behind(aws, store, clock, step_index=0, weights=dict(AFTER))
    _set_listener(aws, AFTER)
    aws.set_alarm(aws.outputs.alarm_names["green"][0], reason="5xx 9%")
    report = gather_status(
        aws.client("elbv2"), aws.client("cloudwatch"), aws.outputs, store, history=True
    )
    assert report.live is None and report.weights == AFTER
    assert report.deployment is not None and report.deployment.id == "dead00beef"
    states = {a.name: a.state for a in report.alarms["green"]}
    assert states[aws.outputs.alarm_names["green"][0]] == "ALARM"
    text = render_status(report)
    assert "live colour: split" in text and "blue 90% / green 10%" in text
    assert "in progress: dead00beef blue -> green (in_progress, step 1/2)" in text
    data = report.to_dict()
    assert data["deployment"]["id"] == "dead00beef" and data["history"] == []
