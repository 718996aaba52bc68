"""Release hooks: commands run around traffic changes, each with a timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from generator.config import Hook


@dataclass(frozen=True)
class HookResult:
    command: list[str]
    ok: bool
    detail: str


def run_hooks(
    hooks: Sequence[Hook],
    *,
    cwd: Path,
    extra_env: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> list[HookResult]:
    """Run hooks in order; stop at the first failure. Never raises (but a stop signal
    still stops zdd, and the hook with it; so does ``cancel``, set by another thread)."""
    results: list[HookResult] = []
    env = {**os.environ, **(extra_env or {})}
    for hook in hooks:
        ok, detail = _run(hook, cwd, env, cancel)
        results.append(HookResult(list(hook.command), ok, detail))
        if not ok:
            break
    return results


def _run(
    hook: Hook, cwd: Path, env: Mapping[str, str], cancel: threading.Event | None = None
) -> tuple[bool, str]:
    """Wait for the process, not for the end of its output: a hook that exits 0 while a
    background child keeps stdout open has finished. Output goes to files, not pipes."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                hook.command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: stopped whole on timeout
            )
        except OSError as exc:
            return False, f"could not start ({exc.strerror or exc})"
        try:
            code = _wait(proc, hook.timeout_seconds, cancel)
        except subprocess.TimeoutExpired:
            _stop(proc)
            return False, f"timed out after {hook.timeout_seconds:g}s"
        except _Cancelled:
            _stop(proc)
            return False, "stopped: the release no longer waits for it"
        except BaseException:
            _stop(proc)  # zdd is stopping: so is the hook
            raise
        tail = _last_line(err) or _last_line(out)
        return code == 0, f"exit {code}" + (f": {tail}" if tail else "")


class _Cancelled(Exception):
    pass


def _wait(proc: subprocess.Popen[bytes], seconds: float, cancel: threading.Event | None) -> int:
    """The exit code; ``TimeoutExpired`` after ``seconds``; ``_Cancelled`` once ``cancel``
    is set (looked at every 0.1 s)."""
    if cancel is None:
        return proc.wait(timeout=seconds)
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        try:
            return proc.wait(timeout=max(0.0, min(0.1, left)))
        except subprocess.TimeoutExpired:
            if cancel.is_set():
                raise _Cancelled from None
            if left <= 0.1:
                raise


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _last_line(handle: IO[bytes]) -> str:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - 4096))
    lines = handle.read().decode("utf-8", errors="replace").strip().splitlines()
    return lines[-1].strip() if lines else ""
