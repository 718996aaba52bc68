"""Release hooks: commands run around traffic changes, each with a timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
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
    hooks: Sequence[Hook], *, cwd: Path, extra_env: Mapping[str, str] | None = None
) -> list[HookResult]:
    """Run hooks in order; stop at the first failure. Never raises (but a stop signal
    still stops zdd, and the hook with it)."""
    results: list[HookResult] = []
    env = {**os.environ, **(extra_env or {})}
    for hook in hooks:
        ok, detail = _run(hook, cwd, env)
        results.append(HookResult(list(hook.command), ok, detail))
        if not ok:
            break
    return results


def _run(hook: Hook, cwd: Path, env: Mapping[str, str]) -> tuple[bool, str]:
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
            code = proc.wait(timeout=hook.timeout_seconds)
        except subprocess.TimeoutExpired:
            _stop(proc)
            return False, f"timed out after {hook.timeout_seconds:g}s"
        except BaseException:
            _stop(proc)  # zdd is stopping: so is the hook
            raise
        tail = _last_line(err) or _last_line(out)
        return code == 0, f"exit {code}" + (f": {tail}" if tail else "")


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
