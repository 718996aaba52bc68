"""Every hook kind has a deadline on the whole call, not on each socket read (issue 24, 5)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.config.hooks import HttpHook, LambdaHook
from generator.hooks import HookClients, HookRunner
from generator.hooks import runner as runner_module
from tests.conftest import FakeClock
from tests.support.slow_servers import TrickleServer


@pytest.fixture
def trickle() -> Iterator[TrickleServer]:
    server = TrickleServer(seconds=2.0, interval=0.05)
    try:
        yield server
    finally:
        server.close()


def test_an_http_hook_whose_body_trickles_in_fails_at_its_deadline(
    trickle: TrickleServer, clock: FakeClock, tmp_path: Path
) -> None:
    # Each read gets a byte within 0.05 s, far inside the 0.3 s per-read timeout.
    hook = HttpHook.model_validate(
        {"http": {"retries": 0, "request_timeout_seconds": 0.3}, "timeout_seconds": 0.4}
    )
    runner = HookRunner(cwd=tmp_path, test_url=trickle.url)
    (result,) = runner.run([hook], {}, "green", now=clock.now, sleep=clock.sleep)
    assert not result.ok
    assert "deadline exceeded" in result.detail


class _SilentLambda:
    """A Lambda client whose invocation never answers (until the test ends)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        self.release.wait(3.0)
        return {"StatusCode": 200}


def test_a_lambda_hook_that_never_answers_fails_at_its_deadline(
    clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "DEADLINE_GRACE_SECONDS", 0.1)
    client = _SilentLambda()
    hook = LambdaHook.model_validate({"lambda": {"function": "smoke"}, "timeout_seconds": 0.2})
    runner = HookRunner(cwd=tmp_path, clients=HookClients(lambda_=lambda: client))
    try:
        (result,) = runner.run([hook], {}, "green", now=clock.now, sleep=clock.sleep)
    finally:
        client.release.set()
    assert client.calls == 1
    assert not result.ok and "deadline exceeded" in result.detail
    assert result.command == ["lambda", "smoke"]


def test_a_cancelled_command_hook_is_stopped_with_its_process(
    clock: FakeClock, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    hook = {"command": ["sh", "-c", f"echo $$ > {pid_file}; sleep 2; echo done >> {pid_file}"]}
    from generator.config.rollout import Hook

    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    runner = HookRunner(cwd=tmp_path)
    (result,) = runner.run(
        [Hook.model_validate(hook)], {}, "green", now=clock.now, sleep=clock.sleep, cancel=cancel
    )
    assert not result.ok and "no longer waits" in result.detail
    assert "done" not in pid_file.read_text()
