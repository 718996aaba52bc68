"""Fault trials: seeded releases under injected faults, counting lies and stuck states.

The same trials as ``tests/integration/test_fault_trials.py`` (``tests.support.trials``):
each release meets one fault (a stop signal once or twice, an exception, a lost or slow
reply, a reset, a 5xx, throttling, a lost lease) against ``moto_server`` behind the
fault proxy; then the invariant is checked, `zdd resume` runs, and it is checked again.
A *lie* is a journal or exit code that disagrees with the listener; *stuck* is what
`zdd resume` cannot finish. Both must be 0.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from generator.config import Environment
from generator.demo.emulator import moto_server_process
from tests.support.trial_world import TrialWorld
from tests.support.trials import Trials

TRIALS = 320


def fault_trials(env: Environment, quick: bool = False) -> dict[str, Any]:
    count = 40 if quick else TRIALS
    started = time.perf_counter()
    with (
        moto_server_process(str(Path(sys.executable).parent / "moto_server")) as url,
        tempfile.TemporaryDirectory() as tmp,
        TrialWorld.started(env, url, Path(tmp)) as world,
    ):
        trials = Trials(world)
        results = [trials.run(seed) for seed in range(count)]
    lies = [r for r in results if r.verdict.lies]
    stuck = [r for r in results if r.verdict.stuck]
    kinds = Counter(r.plan.kind for r in results)
    met = sum(1 for r in results if r.fired)
    checks = [
        (f"fault trials: 0 lies ({len(lies)})", not lies),
        (f"fault trials: 0 stuck ({len(stuck)})", not stuck),
    ]
    if not quick:
        checks.insert(0, (f"fault trials: at least 300 ({count})", count >= 300))
    return {
        "line": f"fault trials: {count}, lies: {len(lies)}, stuck: {len(stuck)}",
        "trials": count,
        "lies": len(lies),
        "stuck": len(stuck),
        "faults_met": met,
        "by_kind": dict(kinds),
        "seconds": round(time.perf_counter() - started, 1),
        "failures": [r.describe() for r in [*lies, *stuck]][:10],
        "checks": checks,
    }
