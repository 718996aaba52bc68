"""While hooks run, the release is still watched: the lease is renewed and, at a split,
the new colour's alarms are polled; a firing alarm rolls back without waiting for the
hook, which is stopped (issue 24, class 5)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from generator.config.rollout import Hooks
from generator.errors import ReleaseFailed
from generator.hooks import HookRunner
from generator.journal.local import LocalStore
from generator.journal.model import Step
from generator.journal.protocol import Owner
from generator.rollout.engine.engine import Engine, ReleaseSpec
from tests.conftest import FakeClock, engine_for
from tests.support.slow_servers import TrickleServer

SPEC = ReleaseSpec(
    schedule=[Step(percent=10, bake_seconds=10), Step(percent=100, bake_seconds=10)],
    strategy="canary",
)
# Notes its pid in a marker file while it runs (1.5 s), removes the marker when done.
SLOW = (
    "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); "
    "time.sleep(1.5); os.remove(sys.argv[1])"
)


class CountingStore(LocalStore):
    """A local store that notes each lease renewal, and whether a hook was running."""

    def __init__(self, *args: Any, running: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.running = running
        self.renewals_during_hook = 0

    def heartbeat(self, owner: Owner) -> None:
        super().heartbeat(owner)
        if self.running.exists():
            self.renewals_during_hook += 1


@pytest.fixture
def trickle() -> Iterator[TrickleServer]:
    server = TrickleServer(seconds=1.5, interval=0.05)
    try:
        yield server
    finally:
        server.close()


class FailingRenewals(CountingStore):
    """A lease renewal that meets a bug while a hook runs."""

    def heartbeat(self, owner: Owner) -> None:
        if self.running.exists():
            raise RuntimeError("a bug in renewing the lease")
        super().heartbeat(owner)


def _engine(
    aws: Any,
    clock: FakeClock,
    tmp_path: Path,
    hooks: Hooks,
    url: str | None,
    store_type: type[CountingStore] = CountingStore,
) -> Any:
    store = store_type(tmp_path / "store", "shop", "staging", running=tmp_path / "running")
    built = engine_for(aws, clock, store, hooks=hooks, hooks_cwd=tmp_path)
    ctx = replace(
        built.ctx,
        settings=replace(built.ctx.settings, heartbeat_seconds=5),  # one renewal per poll
        hook_runner=built.ctx.hook_runner
        if url is None
        else HookRunner(cwd=tmp_path, test_url=url),
    )
    return Engine(ctx), store


def _hook(kind: str, tmp_path: Path) -> dict[str, Any]:
    if kind == "command":
        return {"command": [sys.executable, "-c", SLOW, str(tmp_path / "running")]}
    return {"http": {"retries": 0}, "timeout_seconds": 30}


@pytest.mark.parametrize("kind", ["command", "http"])
def test_an_alarm_during_a_post_step_hook_rolls_back_at_once(
    aws: Any, clock: FakeClock, tmp_path: Path, trickle: TrickleServer, kind: str
) -> None:
    hooks = Hooks.model_validate({"post_step": [_hook(kind, tmp_path)]})
    engine, store = _engine(aws, clock, tmp_path, hooks, trickle.url if kind == "http" else None)
    alarm = aws.outputs.alarm_names["green"][0]
    running = tmp_path / "running"

    def fire_once_the_hook_runs(c: FakeClock) -> None:
        if kind == "http" and trickle.requests:
            running.touch()  # the request is being answered, byte by byte
        if running.exists():
            aws.set_alarm(alarm)

    clock.on_sleep.append(fire_once_the_hook_runs)
    with pytest.raises(ReleaseFailed, match="while the post_step hook ran"):
        engine.shift(SPEC)
    assert aws.weights() == {"blue": 100, "green": 0}
    kinds = [e.kind for e in engine.events.history]
    assert "hook.post_step" not in kinds  # never waited for: the hook did not pass
    assert store.renewals_during_hook >= 1
    if kind == "command":
        with pytest.raises(ProcessLookupError):  # stopped, and reaped
            os.kill(int(running.read_text()), 0)


def test_the_lease_is_renewed_while_a_pre_traffic_hook_runs(
    aws: Any, clock: FakeClock, tmp_path: Path
) -> None:
    hooks = Hooks.model_validate({"pre_traffic": [_hook("command", tmp_path)]})
    engine, store = _engine(aws, clock, tmp_path, hooks, None)
    dep = engine.shift(SPEC)
    assert dep.status == "promoted"
    assert store.renewals_during_hook >= 1
    assert not (tmp_path / "running").exists()  # the hook ran to its end


def test_an_unexpected_error_while_a_post_promote_hook_runs_leaves_the_promotion(
    aws: Any, clock: FakeClock, tmp_path: Path, trickle: TrickleServer
) -> None:
    """Found by the ``hook_trickle`` fault trials: it exited 1 after a promotion."""
    hook = {"http": {"retries": 0}, "timeout_seconds": 0.6}
    hooks = Hooks.model_validate({"post_promote": [hook]})
    engine, _ = _engine(aws, clock, tmp_path, hooks, trickle.url, FailingRenewals)
    running = tmp_path / "running"
    clock.on_sleep.append(lambda c: running.touch() if trickle.requests else None)
    dep = engine.shift(SPEC)
    assert dep.status == "promoted"
    assert aws.weights() == {"blue": 0, "green": 100}
    failed = [e for e in engine.events.history if e.kind == "hook.post_promote.failed"]
    assert "a bug in renewing the lease" in failed[-1].message
