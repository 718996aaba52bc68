"""`zdd rollback` after a promotion: one verified step back, journalled, hooks, capacity."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from generator.config import Hook, Hooks
from generator.errors import InputError, RefusedError
from generator.rollout import release
from tests.conftest import ROOT
from tests.unit.rollout.release_world import STRATEGY, context, counts, resize, scaled_down


def _promote(aws, clock, tmp_path: Path, env):  # type: ignore[no-untyped-def]
    ctx = context(aws, clock, tmp_path, env)
    release.shift(ctx, aws.outputs, STRATEGY, release="2.0.0")
    assert aws.weights() == {"blue": 0, "green": 100}
    return ctx


def test_rollback_after_promotion_puts_everyone_back_in_one_journalled_step(
    aws, clock, staging, tmp_path: Path
) -> None:
    marker = tmp_path / "on_rollback.txt"
    hook = Hook(command=[sys.executable, "-c", f"open({str(marker)!r}, 'w').write('x')"])
    env = staging.model_copy(update={"hooks": Hooks(on_rollback=[hook])})
    ctx = _promote(aws, clock, tmp_path, env)
    dep = release.revert(ctx, aws.outputs, reason="checkout errors")
    assert aws.weights() == {"blue": 100, "green": 0}
    last = ctx.store.load().history[-1]
    assert (last.id, last.strategy, last.status) == (dep.id, "rollback", "rolled_back")
    assert (last.from_colour, last.to_colour) == ("green", "blue")
    assert last.outcome_reason is not None and last.outcome_reason.startswith(
        "checkout errors (by "
    )
    moves = [e for e in last.events if e.kind == "rollback.verified"]
    assert len(moves) == 1 and moves[0].data["weights"] == {"blue": 100, "green": 0}
    assert marker.exists()  # the on_rollback hooks ran
    with pytest.raises(InputError, match="nothing to roll back"):
        release.revert(ctx, aws.outputs, reason="again")


def test_rollback_with_nothing_promoted_is_bad_input(aws, clock, staging, tmp_path: Path) -> None:
    ctx = context(aws, clock, tmp_path, staging)
    with pytest.raises(InputError, match="nothing to roll back: no deployment") as caught:
        release.revert(ctx, aws.outputs, reason="oops")
    assert caught.value.exit_code == 2


def test_rollback_to_a_scaled_down_colour_scales_it_up_and_waits_first(
    aws, clock, staging, tmp_path: Path
) -> None:
    env = scaled_down(staging, after=60)
    ctx = _promote(aws, clock, tmp_path, env)
    assert counts(aws)["blue"] == (0, 0)  # retired after the window
    before = len(ctx.events.history)
    dep = release.revert(ctx, aws.outputs, reason="slow pages")
    assert aws.weights() == {"blue": 100, "green": 0}
    assert counts(aws)["blue"] == (1, 1)
    kinds = [e.kind for e in ctx.events.history[before:]]
    assert kinds.index("capacity.scale_up") < kinds.index("readiness.ready")
    assert kinds.index("readiness.ready") < kinds.index("rollback.promotion")
    assert "ready in about" in next(
        e.message for e in ctx.events.history if e.kind == "rollback.wait"
    )
    assert dep.status == "rolled_back"
    # and green, now idle, is retired after the window in its turn
    assert counts(aws)["green"] == (0, 0)


def test_rollback_no_wait_refuses_a_scaled_down_colour_with_exit_3(
    aws, clock, staging, tmp_path: Path
) -> None:
    env = scaled_down(staging, after=60)
    ctx = _promote(aws, clock, tmp_path, env)
    with pytest.raises(RefusedError, match=r"blue is scaled down: .* about \d+s") as caught:
        release.revert(ctx, aws.outputs, reason="x", wait=False)
    assert caught.value.exit_code == 3
    assert aws.weights() == {"blue": 0, "green": 100}


def test_rollback_command(aws, clock, staging, tmp_path: Path, run_cli) -> None:
    ctx = _promote(aws, clock, tmp_path, staging)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(aws.outputs.to_terraform_json())
    env_file = ROOT / "environments" / "staging.yaml"
    result = run_cli(
        "rollback",
        "--env",
        str(env_file),
        "--outputs",
        str(outputs),
        "--store",
        str(ctx.store.directory),  # type: ignore[attr-defined]
        "--reason",
        "bad release",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert aws.weights() == {"blue": 100, "green": 0}
    answer = json.loads(result.stdout.strip().splitlines()[-1])["result"]
    assert answer["status"] == "rolled_back"
    assert answer["deployment"]["outcome_reason"].startswith("bad release")
    again = run_cli(
        "rollback", "--env", str(env_file), "--outputs", str(outputs),
        "--store", str(ctx.store.directory),  # type: ignore[attr-defined]
    )  # fmt: skip
    assert again.exit_code == 2 and "nothing to roll back" in again.stderr


def test_scaled_down_rollback_command_no_wait_exits_3(
    aws, clock, staging, tmp_path: Path, run_cli
) -> None:
    env = scaled_down(staging, after=60)
    _promote(aws, clock, tmp_path, env)
    resize(aws, "blue", 0)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(aws.outputs.to_terraform_json())
    env_file = tmp_path / "scaled.yaml"
    source = (ROOT / "environments" / "staging.yaml").read_text()
    env_file.write_text(
        source.replace("capacity: {desired: 1", "capacity: {idle: scaled_down, desired: 1")
    )
    result = run_cli(
        "rollback", "--env", str(env_file), "--outputs", str(outputs),
        "--store", str(tmp_path / ".zdd"), "--no-wait",
    )  # fmt: skip
    assert result.exit_code == 3, result.stderr
    assert "blue is scaled down" in result.stderr
    assert aws.weights() == {"blue": 0, "green": 100}


def test_a_gate_not_promoted_within_the_configured_timeout_rolls_back(
    aws, clock, staging, tmp_path: Path
) -> None:
    from generator.errors import ReleaseFailed

    ctx = context(aws, clock, tmp_path, staging)
    strategy = STRATEGY.model_copy(update={"gates": [10], "gate_timeout_seconds": 60})
    with pytest.raises(ReleaseFailed, match="gate not promoted within 60s"):
        release.shift(ctx, aws.outputs, strategy)
    assert aws.weights() == {"blue": 100, "green": 0}
