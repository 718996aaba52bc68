"""Release hooks: commands run around traffic changes, each with a timeout."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.config import Hook


@dataclass(frozen=True)
class HookResult:
    command: list[str]
    ok: bool
    detail: str


def run_hooks(
    hooks: Sequence[Hook], *, cwd: Path, extra_env: Mapping[str, str] | None = None
) -> list[HookResult]:
    """Run hooks in order; stop at the first failure. Never raises."""
    results: list[HookResult] = []
    env = {**os.environ, **(extra_env or {})}
    for hook in hooks:
        try:
            proc = subprocess.run(
                hook.command,
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=hook.timeout_seconds,
                check=False,
            )
            ok = proc.returncode == 0
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
            detail = f"exit {proc.returncode}" + (f": {tail[0]}" if tail[0] else "")
        except subprocess.TimeoutExpired:
            ok, detail = False, f"timed out after {hook.timeout_seconds:g}s"
        except OSError as exc:
            ok, detail = False, f"could not start ({exc.strerror or exc})"
        results.append(HookResult(list(hook.command), ok, detail))
        if not ok:
            break
    return results
