"""Issue 24, class 1: a `zdd rollback` keeps its direction through every interruption.

Interrupted (its ModifyListener failed, or its reply was lost), it is finished by
`zdd resume` as a rollback, never recorded as a promotion, so the next `zdd rollback`
cannot send users to the build being undone; `zdd abort` and `zdd promote` refuse it
(exit 3) and touch nothing; the history says how it ended."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from generator.colours import Colour
from generator.errors import InputError, RefusedError, RollbackUnfinished
from generator.journal.local import LocalStore
from generator.rollout.engine.engine import Engine
from generator.rollout.ports import ListenerState, TrafficRouter
from generator.rollout.views.history import history_lines
from tests.conftest import engine_for
from tests.unit.rollout.engine.test_engine import spec

GREEN: dict[Colour, int] = {"blue": 0, "green": 100}
BLUE: dict[Colour, int] = {"blue": 100, "green": 0}


class _BrokenMove:
    """A router whose ModifyListener fails: before AWS acted, or (``lost``) after."""

    def __init__(self, inner: TrafficRouter, *, lost: bool) -> None:
        self.inner, self.lost = inner, lost

    @property
    def arn(self) -> str:
        return self.inner.arn

    def read(self) -> ListenerState:
        return self.inner.read()

    def set_weights(self, base: ListenerState, weights: dict[Colour, int]) -> ListenerState:
        if self.lost:
            self.inner.set_weights(base, weights)
            raise TimeoutError("ModifyListener: the reply was lost")
        raise ConnectionError("ModifyListener: connection reset")

    def point_test_listener(self, colour: Colour) -> None:
        self.inner.point_test_listener(colour)


def _store(clock, tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)


def _engine(aws, clock, tmp_path: Path) -> Engine:
    return engine_for(aws, clock, _store(clock, tmp_path))


def _undo(engine: Engine) -> object:
    return engine.revert(reason="checkout errors", prepare=lambda run, colour: None)


def _interrupted_undo(aws, clock, tmp_path: Path, *, lost: bool) -> Engine:
    """Promote green, then a `zdd rollback` whose ModifyListener fails."""
    _engine(aws, clock, tmp_path).shift(spec([100], bake=10))
    assert aws.weights() == GREEN
    plain = _engine(aws, clock, tmp_path)
    broken = Engine(dataclasses.replace(plain.ctx, router=_BrokenMove(plain.ctx.router, lost=lost)))
    with pytest.raises(RollbackUnfinished, match="`zdd resume` finishes it") as caught:
        _undo(broken)
    assert caught.value.exit_code == 1
    current = plain.store.load().current
    assert current is not None and current.is_undo and not current.terminal
    return plain


@pytest.mark.parametrize("lost", [False, True], ids=["modify-failed", "reply-lost"])
def test_resume_finishes_an_interrupted_undo_as_a_rollback(
    aws, clock, tmp_path: Path, lost: bool
) -> None:
    _interrupted_undo(aws, clock, tmp_path, lost=lost)
    dep = _engine(aws, clock, tmp_path).resume()
    assert dep is not None and (dep.status, dep.to_colour) == ("rolled_back", "blue")
    assert aws.weights() == BLUE
    doc = _store(clock, tmp_path).load()
    last = doc.history[-1]
    assert (last.strategy, last.status) == ("rollback", "rolled_back")
    assert last.outcome_reason is not None and "completed by zdd resume" in last.outcome_reason
    assert [line.outcome for line in history_lines(doc)][:2] == ["rolled_back", "promoted"]
    # ... so the next `zdd rollback` has nothing to undo: it never moves users to green.
    with pytest.raises(InputError, match="nothing to roll back"):
        _undo(_engine(aws, clock, tmp_path))
    assert aws.weights() == BLUE


@pytest.mark.parametrize("lost", [False, True], ids=["modify-failed", "reply-lost"])
@pytest.mark.parametrize("what", ["abort", "promote"])
def test_abort_and_promote_refuse_an_interrupted_undo_and_touch_nothing(
    aws, clock, tmp_path: Path, lost: bool, what: str
) -> None:
    _interrupted_undo(aws, clock, tmp_path, lost=lost)
    before = aws.weights()
    with pytest.raises(RefusedError, match="never turns a rollback forward") as caught:
        _engine(aws, clock, tmp_path).request(what)  # type: ignore[arg-type]
    assert caught.value.exit_code == 3
    assert aws.weights() == before  # never back to green
    assert before == (BLUE if lost else GREEN)
    # resume still finishes it, backward
    _engine(aws, clock, tmp_path).resume()
    assert aws.weights() == BLUE
    assert _store(clock, tmp_path).load().history[-1].status == "rolled_back"


def test_a_release_refused_while_an_undo_is_unfinished_points_to_resume_only(
    aws, clock, tmp_path: Path
) -> None:
    _interrupted_undo(aws, clock, tmp_path, lost=False)
    with pytest.raises(RefusedError, match="zdd resume") as caught:
        _engine(aws, clock, tmp_path).shift(spec([100], bake=10))
    assert "zdd abort" not in str(caught.value)
    with pytest.raises(RefusedError, match="`zdd resume` finishes that rollback"):
        _undo(_engine(aws, clock, tmp_path))
