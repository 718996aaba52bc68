"""Issue 24, class 3: decisions use the exact listener weights (0-999), never percentages
rounded from them. Any weight on the other colour is a split: a rollback writes and
reads back, `status` says split, a shift refuses to start from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.colours import Colour
from generator.errors import DriftError
from generator.journal.local import LocalStore
from generator.journal.model import Deployment, JournalDoc, Step
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.ports import format_weights
from generator.rollout.views.status import gather_status, render_status
from tests.conftest import engine_for
from tests.unit.rollout.engine.test_engine import spec

# Splits that rounded to "all on one colour": 199:1 is 99.5 % (rounds to 100), 999:1 99.9 %.
NEAR_SPLITS: list[dict[Colour, int]] = [
    {"blue": 199, "green": 1},
    {"blue": 999, "green": 1},
    {"blue": 1, "green": 999},
]


def _set(aws, weights: dict[Colour, int]) -> None:
    router = AlbListenerRouter(aws.client("elbv2"), aws.outputs)
    router.set_weights(router.read(), weights)


def _store(clock, tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)


@pytest.mark.parametrize("weights", NEAR_SPLITS, ids=lambda w: f"{w['blue']}-{w['green']}")
def test_the_router_reads_exact_weights_and_a_near_split_has_no_live_colour(
    aws, weights: dict[Colour, int]
) -> None:
    _set(aws, weights)
    state = AlbListenerRouter(aws.client("elbv2"), aws.outputs).read()
    assert state.weights == weights
    assert state.live is None


def test_weights_are_shown_exactly_with_their_shares_when_they_do_not_add_up_to_100() -> None:
    assert format_weights({"blue": 90, "green": 10}) == "blue 90% / green 10%"
    assert format_weights({"blue": 199, "green": 1}) == "blue 199 / green 1 (99.5% / 0.5%)"
    assert format_weights({"blue": 999, "green": 1}) == "blue 999 / green 1 (99.9% / 0.1%)"
    assert format_weights({"blue": 1, "green": 0}) == "blue 1 / green 0 (100% / 0%)"
    assert format_weights({"blue": 998, "green": 1}) == "blue 998 / green 1 (99.9% / 0.1%)"
    # never a share of 0 or 100 that is not exactly that
    assert format_weights({"blue": 999, "green": 0}).endswith("(100% / 0%)")
    assert "0%" not in format_weights({"blue": 0, "green": 0}).split("(")[0]


@pytest.mark.parametrize("weights", NEAR_SPLITS[:2], ids=lambda w: f"{w['blue']}-{w['green']}")
def test_status_calls_a_near_split_a_split(aws, tmp_path: Path, clock, weights) -> None:
    _set(aws, weights)
    report = gather_status(
        aws.client("elbv2"), aws.client("cloudwatch"), aws.outputs, _store(clock, tmp_path)
    )
    assert report.live is None and report.weights == weights
    assert f"live colour: split   weights: blue {weights['blue']} / green 1 (" in render_status(
        report
    )


@pytest.mark.parametrize("weights", NEAR_SPLITS[:2], ids=lambda w: f"{w['blue']}-{w['green']}")
def test_a_shift_refuses_to_start_from_a_near_split(aws, clock, tmp_path: Path, weights) -> None:
    _set(aws, weights)
    engine = engine_for(aws, clock, _store(clock, tmp_path))
    with pytest.raises(DriftError, match="split") as caught:
        engine.shift(spec([10, 100]))
    assert caught.value.exit_code == 4
    assert aws.weights() == weights  # nothing was overwritten


@pytest.mark.parametrize("weights", NEAR_SPLITS[:2], ids=lambda w: f"{w['blue']}-{w['green']}")
def test_an_abort_writes_the_rollback_when_one_weight_is_left_on_the_new_colour(
    aws, clock, tmp_path: Path, weights
) -> None:
    """Rounded, 199:1 already looked like "blue 100 %": the rollback reported success
    without writing, and green kept its share."""
    store = _store(clock, tmp_path)
    dep = Deployment(
        id="near0split",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=aws.outputs.listener_arn,
        schedule=[Step(percent=10, bake_seconds=30), Step(percent=100, bake_seconds=30)],
        started_at=clock.now(),
        weights={"blue": 90, "green": 10},
        step_index=0,
    )
    store.save(JournalDoc(service="shop", environment="staging", current=dep))
    _set(aws, weights)  # a person nearly rolled back by hand
    engine_for(aws, clock, store).request("abort")
    assert aws.weights() == {"blue": 100, "green": 0}
    last = store.load().history[-1]
    assert last.status == "aborted" and last.weights == {"blue": 100, "green": 0}
    verified = [e for e in last.events if e.kind == "rollback.verified"]
    assert verified and verified[-1].data["weights"] == {"blue": 100, "green": 0}


def test_a_promotion_at_999_to_1_is_not_undone_as_if_everyone_were_on_green(
    aws, clock, tmp_path: Path
) -> None:
    """`zdd rollback` compares exactly too: after a promotion to green, a listener at
    blue 1 / green 999 is not what the journal says (exit 4), not "green 100 %"."""
    store = _store(clock, tmp_path)
    engine_for(aws, clock, store).shift(spec([100], bake=10))
    assert aws.weights() == {"blue": 0, "green": 100}
    _set(aws, {"blue": 1, "green": 999})
    with pytest.raises(DriftError) as caught:
        engine_for(aws, clock, store).revert(reason="bad", prepare=lambda run, colour: None)
    assert caught.value.exit_code == 4
    assert aws.weights() == {"blue": 1, "green": 999}
