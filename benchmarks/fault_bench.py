"""Fault trials: seeded releases under injected faults, counting lies and stuck states.

The same trials as ``tests/integration/test_fault_trials.py`` (``tests.support.trials``):
each release meets one fault (a stop signal once or twice, an exception, a lost or slow
reply, a reset, a 5xx, throttling, a lost lease; then the kinds of issue 24 in
``tests.support.trial_kinds``: a near split set by hand, racing abort/promote requests,
an interrupted `zdd rollback`, a trickling hook server) against ``moto_server`` behind
the fault proxy; then the invariant is checked, `zdd resume` runs, and it is checked
again.
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
from tests.support.trial_kinds import BASE_TRIALS, NEW_KINDS, PER_NEW_KIND
from tests.support.trial_world import TrialWorld
from tests.support.trials import TRIALS, TrialResult, Trials


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
        least = BASE_TRIALS + PER_NEW_KIND * len(NEW_KINDS)
        checks.insert(0, (f"fault trials: at least {least} ({count})", count >= least))
        for kind in NEW_KINDS:
            checks.append((f"fault trials: {kind} at least {PER_NEW_KIND}", kinds[kind] >= 40))
    return {
        "line": f"fault trials: {count}, lies: {len(lies)}, stuck: {len(stuck)}; "
        + by_kind_line(results),
        "trials": count,
        "lies": len(lies),
        "stuck": len(stuck),
        "faults_met": met,
        "by_kind": dict(kinds),
        "by_kind_outcomes": by_kind(results),
        "seconds": round(time.perf_counter() - started, 1),
        "failures": [r.describe() for r in [*lies, *stuck]][:10],
        "checks": checks,
    }


def by_kind(results: list[TrialResult]) -> dict[str, dict[str, int]]:
    """Per kind: trials, lies and stuck."""
    table: dict[str, dict[str, int]] = {}
    for r in results:
        row = table.setdefault(r.plan.kind, {"trials": 0, "lies": 0, "stuck": 0})
        row["trials"] += 1
        row["lies"] += bool(r.verdict.lies)
        row["stuck"] += bool(r.verdict.stuck)
    return table


def by_kind_line(results: list[TrialResult]) -> str:
    """``signal 40 (0 lies, 0 stuck), ...``: what `benchmarks/run` prints by kind."""
    return ", ".join(
        f"{kind} {row['trials']} ({row['lies']} lies, {row['stuck']} stuck)"
        for kind, row in by_kind(results).items()
    )
