"""Hooks: zdd waits for the hook's process, not for the end of its output."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from generator.config import Hook
from generator.hooks.command import run_hooks


def test_a_hook_that_leaves_a_background_child_is_done_when_it_exits(tmp_path: Path) -> None:
    # The child inherits stdout and keeps it open for a long time after the hook exits 0.
    script = "sleep 300 & echo $! > child.pid; echo started"
    try:
        [result] = run_hooks([Hook(command=["sh", "-c", script], timeout_seconds=60)], cwd=tmp_path)
        assert result.ok, result.detail
        assert result.detail == "exit 0: started"
    finally:
        pid = int((tmp_path / "child.pid").read_text())
        os.kill(pid, signal.SIGKILL)


def test_a_hook_that_runs_too_long_is_stopped_with_its_children(tmp_path: Path) -> None:
    script = "sleep 300 & echo $! > child.pid; wait"
    [result] = run_hooks([Hook(command=["sh", "-c", script], timeout_seconds=0.5)], cwd=tmp_path)
    assert not result.ok and result.detail == "timed out after 0.5s"
    pid = int((tmp_path / "child.pid").read_text())
    assert _ends_soon(pid)  # the whole process group was stopped


def _ends_soon(pid: int, within: float = 10.0) -> bool:
    """The kernel delivers SIGKILL to the hook's child asynchronously: on a loaded machine
    /proc may still show it for a moment after the hook's own process was reaped."""
    deadline = time.monotonic() + within
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] not in ("Z", "X")
    except OSError:
        return False


def test_a_failing_hook_reports_its_last_line(tmp_path: Path) -> None:
    script = "echo one >&2; echo 'schema not ready' >&2; exit 7"
    [result] = run_hooks([Hook(command=["sh", "-c", script])], cwd=tmp_path)
    assert not result.ok and result.detail == "exit 7: schema not ready"
