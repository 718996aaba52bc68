"""Issue 24, class 6: a change made by hand between the reading under the lock and the
first move (while the target is made ready, while pre-flight waits for alarm data,
while the pre_traffic hooks run) is drift: exit 4, no move, the refusal journalled."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from generator.colours import Colour
from generator.config import Hook, Hooks
from generator.errors import DriftError
from generator.hooks.command import HookResult
from generator.journal.local import LocalStore
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.engine.engine import Engine
from tests.conftest import engine_for
from tests.unit.rollout.engine.test_engine import spec

BY_HAND: dict[Colour, int] = {"blue": 70, "green": 30}


def _set(aws, weights: dict[Colour, int]) -> None:
    router = AlbListenerRouter(aws.client("elbv2"), aws.outputs)
    router.set_weights(router.read(), weights)


class _MeddlingHooks:
    """A hook runner whose hooks succeed, while a person splits the listener by hand."""

    def __init__(self, aws) -> None:
        self.aws = aws

    def run(self, hooks, env, colour, *, now, sleep, cancel=None) -> list[HookResult]:  # type: ignore[no-untyped-def]
        _set(self.aws, BY_HAND)
        return [HookResult(list(h.command), True, "ok") for h in hooks]


def _engine(aws, clock, tmp_path: Path, **kwargs) -> Engine:  # type: ignore[no-untyped-def]
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    return engine_for(aws, clock, store, hooks_cwd=tmp_path, **kwargs)


def _assert_drift_and_nothing_moved(aws, engine: Engine, caught) -> None:  # type: ignore[no-untyped-def]
    assert caught.value.exit_code == 4
    assert aws.weights() == BY_HAND  # the human's split stands
    doc = engine.store.load()
    assert doc.current is None  # nothing to resume: no weight was moved
    assert doc.refusals[-1].stage == "first_move"


def test_a_split_set_during_the_pre_traffic_hooks_is_drift(aws, clock, tmp_path: Path) -> None:
    hooks = Hooks(pre_traffic=[Hook(command=["true"])])
    engine = _engine(aws, clock, tmp_path, hooks=hooks)
    engine = Engine(dataclasses.replace(engine.ctx, hook_runner=_MeddlingHooks(aws)))
    with pytest.raises(DriftError, match="before the first move") as caught:
        engine.shift(spec([10, 100]))
    _assert_drift_and_nothing_moved(aws, engine, caught)


def test_a_split_set_while_the_target_is_made_ready_is_drift(aws, clock, tmp_path: Path) -> None:
    engine = _engine(aws, clock, tmp_path)
    with pytest.raises(DriftError, match="before the first move") as caught:
        engine.shift(spec([10, 100]), prepare=lambda run, colour: _set(aws, BY_HAND))
    _assert_drift_and_nothing_moved(aws, engine, caught)


def test_a_split_set_while_pre_flight_waits_for_alarm_data_is_drift(
    aws, clock, tmp_path: Path
) -> None:
    alarm = aws.outputs.alarm_names["green"][0]
    aws.set_alarm(alarm, "INSUFFICIENT_DATA", "no datapoints yet")

    def later() -> None:
        _set(aws, BY_HAND)
        aws.set_alarm(alarm, "OK", "data arrived")

    clock.at(7, later)
    engine = _engine(aws, clock, tmp_path, poll=5, grace=60)
    with pytest.raises(DriftError, match="before the first move") as caught:
        engine.shift(spec([10, 100]))
    _assert_drift_and_nothing_moved(aws, engine, caught)


def test_without_a_change_the_first_move_is_made_from_the_fresh_reading(
    aws, clock, tmp_path: Path
) -> None:
    dep = _engine(aws, clock, tmp_path).shift(spec([10, 100], bake=10))
    assert dep.status == "promoted"
    assert aws.weights() == {"blue": 0, "green": 100}
