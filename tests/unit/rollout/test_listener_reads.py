"""Each use case reads the production listener once under the lock before its first move
(issue 23); a release reads it once more right before that move (issue 24, class 6).

Counted at the boto3 client, in process on moto: DescribeListeners calls made
before the first ModifyListener of the use case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.infra.outputs import StackOutputs
from generator.rollout import release
from tests.unit.rollout.release_world import STRATEGY, context


class Calls:
    """The elbv2 operations a client makes, in order."""

    def __init__(self, client: Any) -> None:
        self.names: list[str] = []
        client.meta.events.register("before-call.*.*", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)

    def reads_before_move(self) -> int:
        moved = self.names.index("ModifyListener")
        return self.names[:moved].count("DescribeListeners")


def test_a_shift_reads_the_listener_under_the_lock_and_again_right_before_its_first_move(
    aws, clock, staging, tmp_path: Path
) -> None:
    ctx = context(aws, clock, tmp_path, staging)
    calls = Calls(ctx.clients.elbv2)
    dep = release.shift(ctx, aws.outputs, STRATEGY, release="2.0.0")
    assert dep.status == "promoted"
    # under the lock (checked against the journal); then, after readiness, pre-flight and
    # the pre_traffic hooks, once more: a change made meanwhile is drift (issue 24, class 6)
    assert calls.reads_before_move() == 2


def test_a_deploy_reads_the_listener_twice_in_its_shift_phase(
    aws, clock, staging, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context(aws, clock, tmp_path, staging)
    calls = Calls(ctx.clients.elbv2)
    applied: list[int] = []

    def put_version_on_idle(env: Any, version: str, stack_dir: Path, read_live: Any, **_: Any):  # type: ignore[no-untyped-def]
        read_live(aws.outputs)  # what the plan reads: which colour is idle
        applied.append(len(calls.names))
        outputs: StackOutputs = aws.outputs
        return outputs

    monkeypatch.setattr(release, "put_version_on_idle", put_version_on_idle)
    dep = release.deploy(ctx, "2.0.0", tmp_path / "stack", STRATEGY)
    assert dep.status == "promoted"
    assert calls.reads_before_move() == 3  # the plan's, before terraform apply; then two
    del calls.names[: applied[0]]
    assert calls.reads_before_move() == 2  # under the lock, and right before the first move


def test_a_rollback_reads_the_listener_once_before_it_moves(
    aws, clock, staging, tmp_path: Path
) -> None:
    ctx = context(aws, clock, tmp_path, staging)
    release.shift(ctx, aws.outputs, STRATEGY, release="2.0.0")
    calls = Calls(ctx.clients.elbv2)
    dep = release.revert(ctx, aws.outputs, reason="slow pages")
    assert dep.status == "rolled_back"
    assert calls.reads_before_move() == 1
