"""Fleet scale: many releases at once in one account, against AWS's request quotas.

Stacks are built with boto3 on ``moto_server`` (as the rollback benchmark builds them);
``zdd`` processes (``fleet_worker.py``) reach it through the throttling proxy
(``tests.support.throttle``), which holds AWS's default quotas per account and action.

Two cores cannot run fifty zdd processes as fifty machines would, so N processes stand
for R releases: N = 1, 5, 10 for R = 10, 25, 50. Two things shrink a process's share:

* **time**: a process polls every ``poll`` = 1 s and stands for releases polling every
  ``REAL_POLL`` = 6 s (zdd's default is 10 s; 50 releases every 6 s make 8.3
  DescribeAlarms calls a second, 93 % of its quota: a fleet at its quota), so its
  sustained rate is k = 6 releases' worth: each quota's *rate* is divided by R / (N·k);
* **bursts**: the releases of one merge start together and move at the same moments, so
  one process's step calls (ELB, ECS) stand for R / N simultaneous calls: those quotas'
  *bursts* are divided by R / N (at least one token). Polls are spread by jitter: their
  bursts are divided as their rates are.

A tenth of the releases (at least one per round) have an alarm fire mid-bake, at a phase
of the poll interval that is the same in every scenario, so reaction times compare. One
run of 50 real processes (rates scaled the same way) checks correctness and memory.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from generator.config import Environment
from generator.demo.emulator import create_twin_environments, moto_server_process
from tests.support.throttle import QUOTAS, Quota, Throttle, ThrottleProxy

Result = dict[str, Any]
HERE = Path(__file__).resolve().parent
# Where in a poll interval the alarm fires, per round: the interval stratified, as the
# rollback benchmark stratifies it, so that N = 1 compares with it.
PHASES = (0.125, 0.625, 0.375, 0.875)
REAL_POLL = 6.0  # 50 releases / 6 s = 8.3 DescribeAlarms a second: 93 % of the quota
REACTION_RATIO = 1.5  # at the largest N, against N = 1
PEAK_SHARE = 0.8  # of each quota's sustained rate, at the largest N


POLLED = frozenset({"DescribeAlarms", "GetMetricData"})  # every P, spread by jitter


def shares(releases: int, processes: int, poll: float) -> dict[str, Quota]:
    """Each quota's share for ``processes`` standing for ``releases``."""
    rate_div = releases / (processes * REAL_POLL / poll)
    out = {}
    for action, quota in QUOTAS.items():
        burst_div = rate_div if action in POLLED else releases / processes
        out[action] = quota.scaled(rate_div, min(burst_div, quota.burst))  # >= one token
    return out


def _stacks(env: Environment, session: Any, url: str, count: int) -> list[tuple[str, Any]]:
    """``count`` stacks built with boto3 straight on the emulator (no quotas)."""
    os.environ["AWS_ENDPOINT_URL"] = url
    try:
        stacks = []
        for i in range(count):
            name = f"f{i:02d}"
            spec = env.model_copy(update={"name": name})
            stacks.append((name, create_twin_environments(session, spec, targets_per_colour=0)))
        return stacks
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)


def _plans(
    stacks: list[tuple[str, Any]], processes: int, rounds: int, cfg: dict[str, Any], run: Path
) -> list[dict[str, Any]]:
    go = time.time() + cfg["startup"]
    round_seconds = cfg["bake"] * len(cfg["steps"]) + cfg["gap"]
    plans = []
    for i, (name, outputs) in enumerate(stacks[:processes]):
        releases = []
        for r in range(rounds):
            release: dict[str, Any] = {"go_at": go + r * round_seconds}
            firing = processes == 1 or i == (3 * r) % processes
            if firing or (processes >= 10 and i % 10 == (3 * r) % processes % 10):
                release["phase"] = PHASES[r % len(PHASES)]
                release["fire_after_polls"] = max(1, int(cfg["bake"] / cfg["poll"] / 2))
            releases.append(release)
        plans.append(
            {
                **cfg,
                "env_name": name,
                "outputs": outputs.model_dump(mode="json"),
                "store": str(run / f"journal-{name}"),
                "releases": releases,
            }
        )
    return plans


def _launch(plans: list[dict[str, Any]], proxy_url: str, run: Path) -> list[dict[str, Any]]:
    environ = {**os.environ, "AWS_ENDPOINT_URL": proxy_url}
    procs = []
    for i, plan in enumerate(plans):
        plan_file, result_file = run / f"plan-{i}.json", run / f"result-{i}.json"
        plan_file.write_text(json.dumps(plan))
        command = [sys.executable, str(HERE / "fleet_worker.py"), str(plan_file), str(result_file)]
        with (run / f"stderr-{i}.txt").open("wb") as err:
            procs.append((subprocess.Popen(command, env=environ, stderr=err), i))
    results = []
    for proc, i in procs:
        proc.wait(timeout=900)
        result_file = run / f"result-{i}.json"
        if proc.returncode != 0 or not result_file.exists():
            tail = (run / f"stderr-{i}.txt").read_text(errors="replace")[-800:]
            results.append({"error": f"exit {proc.returncode}: {tail}", "releases": []})
        else:
            results.append(json.loads(result_file.read_text()))
    return results


def scenario(
    stacks: list[tuple[str, Any]],
    moto_url: str,
    releases: int,
    processes: int,
    rounds: int,
    cfg: dict[str, Any],
    run: Path,
) -> Result:
    """``processes`` zdd processes standing for ``releases`` releases, ``rounds`` times."""
    throttle = Throttle(shares(releases, processes, cfg["poll"]))
    run.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ThrottleProxy(moto_url, throttle) as proxy:
        plans = _plans(stacks, processes, rounds, {**cfg, "moto_url": moto_url}, run)
        workers = _launch(plans, proxy.url, run)
    return summarize(releases, processes, throttle, workers, time.monotonic() - started)


def summarize(
    releases: int, processes: int, throttle: Throttle, workers: list[dict[str, Any]], took: float
) -> Result:
    done = [r for w in workers for r in w["releases"]]
    healthy = [r for r in done if not r["fire"]]
    firing = [r for r in done if r["fire"]]
    reactions = sorted(r["reaction_s"] for r in firing if r["reaction_s"] is not None)
    per_minute: Counter[str] = Counter()
    for r in done:
        for action, n in r["calls"].items():
            per_minute[action] += n / max(r["seconds"], 1e-9) * 60 / len(done)
    called = sorted(a for a in throttle.calls if a in throttle.quotas)
    peak = {
        name: round(throttle.peak_rate(name) / throttle.rate_of(name), 2)
        for name in sorted({throttle.quotas[a].name for a in called})
    }
    return {
        "releases": releases,
        "processes": processes,
        "runs": len(done),
        "errors": [w["error"] for w in workers if "error" in w],
        "healthy_failed": [r["reason"] for r in healthy if r["outcome"] != "promoted"],
        "firing": len(firing),
        "firing_rolled_back": sum(1 for r in firing if r["outcome"] == "ReleaseFailed"),
        "lies": [lie for r in done for lie in r["lies"]],
        "reaction_s": [round(x, 3) for x in reactions],
        "reaction_median_s": round(statistics.median(reactions), 3) if reactions else None,
        "detect_s": [round(r["detect_s"], 3) for r in firing if r["detect_s"] is not None],
        "throttled": {a: throttle.throttled[a] for a in called},
        "attempts": {a: throttle.calls[a] for a in called},
        "peak_share_of_quota": peak,
        "calls_per_release_minute": {a: round(v, 1) for a, v in sorted(per_minute.items())},
        "rss_mb_max": round(max((r["max_rss"] for r in done), default=0) / 2**20, 1),
        "rss_mb_median": round(statistics.median([r["max_rss"] for r in done] or [0]) / 2**20, 1),
        "cpu_s_per_process": round(
            statistics.median([w.get("cpu_s", 0.0) for w in workers] or [0.0]), 2
        ),
        "seconds": round(took, 1),
    }


def fleet(
    env: Environment,
    *,
    scale: tuple[tuple[int, int], ...] = ((1, 10), (5, 25), (10, 50)),
    rounds: int = 4,
    big: int = 50,
    poll: float = 1.0,
    bake: float = 6.0,
    startup: float = 4.0,
    baseline_s: float | None = None,
) -> Result:
    """The fleet figures and their checks. ``scale``: (processes, releases) per scenario,
    the largest last; ``big``: processes of the correctness run (0: none); ``baseline_s``:
    the rollback benchmark's median reaction at P = 1 s in the same run."""
    import boto3

    from benchmarks.rollback_bench import _quiet_emulator

    cfg = {
        "region": env.region,
        "poll": poll,
        "grace": 10 * poll,
        "bake": bake,
        "steps": [50, 100],
        "gap": 2 * poll,
        "startup": startup,
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        moto_server_process(_quiet_emulator(Path(tmp))) as url,
    ):
        session = boto3.Session(region_name=env.region)
        started = time.monotonic()
        stacks = _stacks(env, session, url, max(big, *(n for n, _ in scale)))
        built = time.monotonic() - started
        runs = [
            scenario(stacks, url, r, n, rounds, cfg, Path(tmp) / f"s{i}")
            for i, (n, r) in enumerate(scale)
        ]
        wide = None
        if big:
            # Fifty interpreters start on two cores: give them time to import.
            slow = {**cfg, "startup": startup + big * 0.3}
            wide = scenario(stacks, url, big, big, 1, slow, Path(tmp) / "big")
    return judge(runs, wide, baseline_s, built)


def _outcomes(label: str, run: Result) -> list[tuple[str, bool]]:
    healthy = run["runs"] - run["firing"]
    failed = len(run["healthy_failed"]) + len(run["errors"])
    return [
        (
            f"{label}: 0 healthy releases failed or rolled back ({failed} of {healthy})",
            failed == 0,
        ),
        (
            f"{label}: every firing-alarm release rolled back "
            f"({run['firing_rolled_back']} of {run['firing']})",
            run["firing"] > 0 and run["firing_rolled_back"] == run["firing"],
        ),
        (f"{label}: 0 lies ({len(run['lies'])})", not run["lies"]),
    ]


def judge(
    runs: list[Result], wide: Result | None, baseline_s: float | None, built: float
) -> Result:
    one, largest = runs[0], runs[-1]
    n = largest["processes"]
    unthrottled = sorted(a for a, k in largest["throttled"].items() if k == 0)
    low = {a: s for a, s in largest["peak_share_of_quota"].items() if s < PEAK_SHARE}
    base, top = one["reaction_median_s"], largest["reaction_median_s"]
    checks = [
        (
            f"throttling seen for every action zdd called at N={n} (never: {unthrottled or '-'})",
            bool(largest["throttled"]) and not unthrottled,
        ),
        (f"account-wide peak >= 80% of each quota at N={n} (below: {low or '-'})", not low),
        *_outcomes(f"N={n}", largest),
        *(_outcomes(f"{wide['processes']} processes", wide) if wide else []),
        (
            f"reaction median at N={n} <= {REACTION_RATIO}x N=1's ({top} s vs {base} s)",
            base is not None and top is not None and top <= REACTION_RATIO * base,
        ),
    ]
    if baseline_s is not None:
        checks.append(
            (
                f"reaction median at N=1 <= 1.15x the rollback benchmark's at P=1 s "
                f"({base} s vs {baseline_s} s)",
                base is not None and base <= 1.15 * baseline_s,
            )
        )
    line = "fleet: " + "; ".join(
        f"N={r['processes']} (R={r['releases']}): reaction {r['reaction_median_s']} s, "
        f"throttled {sum(r['throttled'].values())}, failed {len(r['healthy_failed'])}"
        for r in runs
    )
    return {
        "line": line,
        "stacks_built_s": round(built, 1),
        "scenarios": runs,
        "fifty": wide,
        "checks": checks,
    }
