"""The new hook stages: post_test_traffic before production traffic, pre/post_step per step."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config.rollout import Hooks
from generator.errors import ReleaseFailed
from generator.journal.local import LocalStore
from generator.journal.model import Step
from generator.rollout.engine.engine import ReleaseSpec
from tests.conftest import engine_for

SPEC = ReleaseSpec(
    schedule=[Step(percent=10, bake_seconds=10), Step(percent=100, bake_seconds=10)],
    strategy="canary",
)


def test_stages_run_in_order_with_the_step(aws, clock, tmp_path: Path) -> None:
    log = tmp_path / "log"
    hook = {"command": ["sh", "-c", f'echo "$ZDD_PHASE:${{ZDD_STEP_PERCENT:-}}" >> {log}']}
    hooks = Hooks.model_validate(
        {stage: [hook] for stage in ("pre_traffic", "post_test_traffic", "pre_step", "post_step")}
    )
    store = LocalStore(tmp_path / "store", "shop", "staging")
    dep = engine_for(aws, clock, store, hooks=hooks, hooks_cwd=tmp_path).shift(SPEC)
    assert dep.status == "promoted"
    assert log.read_text().split() == [
        "pre_traffic:",
        "post_test_traffic:",
        "pre_step:10",
        "post_step:10",
        "pre_step:100",
        "post_step:100",
    ]


def test_a_failed_post_step_hook_rolls_back(aws, clock, tmp_path: Path) -> None:
    hooks = Hooks.model_validate(
        {"post_step": [{"command": ["sh", "-c", 'test "$ZDD_STEP_PERCENT" != 10']}]}
    )
    store = LocalStore(tmp_path / "store", "shop", "staging")
    with pytest.raises(ReleaseFailed, match="post_step hook"):
        engine_for(aws, clock, store, hooks=hooks, hooks_cwd=tmp_path).shift(SPEC)
    assert aws.weights() == {"blue": 100, "green": 0}


def test_a_failed_post_test_traffic_hook_moves_nothing(aws, clock, tmp_path: Path) -> None:
    hooks = Hooks.model_validate({"post_test_traffic": [{"command": ["false"]}]})
    store = LocalStore(tmp_path / "store", "shop", "staging")
    with pytest.raises(ReleaseFailed, match="no weight was moved"):
        engine_for(aws, clock, store, hooks=hooks, hooks_cwd=tmp_path).shift(SPEC)
    assert aws.weights() == {"blue": 100, "green": 0}
