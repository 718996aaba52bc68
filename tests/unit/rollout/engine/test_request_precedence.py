"""Issue 24, class 2: competing `zdd abort` / `zdd promote` requests. Once an abort is
asked for, nothing downgrades it: a later promote is refused (exit 3, "an abort is
pending") and the running zdd (or `zdd resume`) acts on the abort."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import RefusedError, ReleaseFailed
from generator.journal.local import LocalStore
from generator.journal.model import Deployment, JournalDoc, Step
from generator.rollout.engine.engine import Engine
from tests.conftest import engine_for
from tests.unit.rollout.engine.test_engine import spec

BLUE = {"blue": 100, "green": 0}


def _engine(aws, clock, tmp_path: Path) -> Engine:
    return engine_for(aws, clock, LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now))


def test_the_precedence_of_requests_is_abort_over_promote_and_never_back() -> None:
    from generator.journal.model import stronger_request

    assert stronger_request(None, "promote") == "promote"
    assert stronger_request("promote", "abort") == "abort"
    assert stronger_request("abort", "promote") == "abort"
    assert stronger_request("abort", None) == "abort"


def _abort_then_promote(other: Engine, refusals: list[RefusedError]) -> None:
    """Both arrive before the running zdd's next poll."""
    other.request("abort")
    try:
        other.request("promote")
    except RefusedError as exc:
        refusals.append(exc)


@pytest.mark.parametrize("at_gate", [False, True], ids=["baking", "at-a-gate"])
def test_abort_then_promote_before_the_next_poll_ends_aborted(
    aws, clock, tmp_path: Path, at_gate: bool
) -> None:
    engine, other = _engine(aws, clock, tmp_path), _engine(aws, clock, tmp_path)
    refusals: list[RefusedError] = []
    clock.at(3700 if at_gate else 102, lambda: _abort_then_promote(other, refusals))
    gates = (10,) if at_gate else ()
    with pytest.raises(ReleaseFailed, match="aborted"):
        engine.shift(spec([10, 100], bake=600, gates=gates))
    assert aws.weights() == BLUE
    assert engine.store.load().history[-1].status == "aborted"
    assert len(refusals) == 1 and refusals[0].exit_code == 3
    assert "an abort is pending" in str(refusals[0])


def test_promote_then_abort_ends_aborted(aws, clock, tmp_path: Path) -> None:
    engine, other = _engine(aws, clock, tmp_path), _engine(aws, clock, tmp_path)
    clock.at(3700, lambda: (other.request("promote"), other.request("abort")))
    with pytest.raises(ReleaseFailed, match="aborted"):
        engine.shift(spec([10, 100], bake=600, gates=(10,)))
    assert aws.weights() == BLUE


def test_a_pending_abort_outlives_the_run_that_should_have_acted_on_it(
    aws, clock, tmp_path: Path
) -> None:
    """The running zdd died before its next poll: a promote from a later process (which
    now gets the lock) is still refused, and `zdd resume` carries out the abort."""
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    dep = Deployment(
        id="abortpend1",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=aws.outputs.listener_arn,
        schedule=[Step(percent=100, bake_seconds=30)],
        started_at=clock.now(),
        weights=dict(BLUE),
        request="abort",
    )
    store.save(JournalDoc(service="shop", environment="staging", current=dep))
    with pytest.raises(RefusedError, match="an abort is pending") as caught:
        _engine(aws, clock, tmp_path).request("promote")
    assert caught.value.exit_code == 3
    assert store.load().current.request == "abort"  # type: ignore[union-attr]
    with pytest.raises(ReleaseFailed):
        _engine(aws, clock, tmp_path).resume()
    assert aws.weights() == BLUE
    assert store.load().history[-1].status in ("aborted", "rolled_back")
