"""How long zdd takes to roll back when CI cancels it, against moto_server over HTTP.

GitHub Actions cancels a step with SIGINT, then SIGTERM 7.5 s later, then kills it
2.5 s after that; GitLab's runner similarly signals before it kills. zdd must be
back on the stable colour, verified, before the kill. Each trial starts
`zdd shift --json` as a real process on an emulator-made stack, waits for a chosen
moment (the canary's bake, or just after the first move), sends SIGINT and (like
GitHub) SIGTERM 0.5 s later, and measures from the first signal to the process's
exit; then it reads the listener back.

Usage: .venv/bin/python benchmarks/cancel_rollback.py [--trials N] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


from generator.config import load_environment  # noqa: E402
from generator.demo.emulator import (  # noqa: E402
    EMULATOR_CREDENTIALS,
    Emulator,
    create_twin_environments,
    moto_server,
    pointed_at,
)
from generator.rollout.aws.alb import AlbListenerRouter  # noqa: E402

GITHUB_KILL_AFTER = 7.5  # seconds from the first signal (SIGINT) to the end of the grace


def _trial(url: str, tmp: Path, moment: str, second_signal: float | None) -> dict[str, Any]:
    urllib.request.urlopen(
        urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=5
    ).read()
    env = load_environment(ROOT / "environments" / "staging.yaml")
    emulator = Emulator(url, env.region)
    with pointed_at(emulator):
        outputs = create_twin_environments(emulator.session(), env)
        router = AlbListenerRouter(emulator.session().client("elbv2"), outputs)
    outputs_file = tmp / "outputs.json"
    outputs_file.write_text(outputs.to_terraform_json())
    store = tmp / f"store-{time.monotonic_ns()}"
    proc = subprocess.Popen(
        [
            str(BIN / "zdd"),
            "shift",
            "--env",
            "staging",
            "--outputs",
            str(outputs_file),
            "--store",
            str(store),
            "--steps",
            "10,50,100",
            "--bake",
            "60",
            "--poll",
            "1",
            "--json",
        ],
        cwd=ROOT,
        env={**os.environ, **emulator.environ(), **EMULATOR_CREDENTIALS},
        stdout=subprocess.PIPE,
        stderr=sys.stderr if os.environ.get("ZDD_BENCH_DEBUG") else subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    wanted = "bake.start" if moment == "bake" else "step.verified"
    for line in proc.stdout:
        if json.loads(line).get("event", {}).get("kind") == wanted:
            break
    started, sent_at = time.monotonic(), time.time()
    proc.send_signal(signal.SIGINT)
    if second_signal is not None:
        time.sleep(second_signal)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    rolled_back: float | None = None  # by the event's own clock: reading may lag
    for line in proc.stdout:
        event = json.loads(line).get("event", {})
        if event.get("kind") == "rollback.done":
            at = dt.datetime.fromisoformat(event["at"].replace("Z", "+00:00"))
            rolled_back = at.timestamp() - sent_at
    code = proc.wait(30)
    seconds = time.monotonic() - started
    with pointed_at(emulator):
        weights = router.read().weights
    return {
        "moment": moment,
        "second_signal": second_signal is not None,
        "rolled_back_seconds": rolled_back,
        "seconds": seconds,
        "exit": code,
        "weights": dict(weights),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    # moto in this process (zdd runs as its own process): its ECS starts the tasks that
    # zdd's readiness check waits for, which a bare moto_server process does not.
    with tempfile.TemporaryDirectory() as tmp, moto_server("eu-west-1") as emulator:
        for n in range(args.trials):
            moment = "bake" if n % 2 == 0 else "move"
            results.append(_trial(emulator.endpoint, Path(tmp), moment, 0.5 if n % 4 < 2 else None))
    times = [r["seconds"] for r in results]
    done = [r["rolled_back_seconds"] for r in results if r["rolled_back_seconds"] is not None]
    ok = len(done) == len(results) and all(
        r["weights"] == {"blue": 100, "green": 0} for r in results
    )
    summary = {
        "trials": len(results),
        "rolled_back_median_seconds": round(statistics.median(done), 3) if done else None,
        "rolled_back_max_seconds": round(max(done), 3) if done else None,
        "exit_median_seconds": round(statistics.median(times), 3),
        "exit_max_seconds": round(max(times), 3),
        "all_rolled_back": ok,
        "killed_by_sigterm_after_rollback": sum(1 for r in results if r["exit"] == -15),
        "github_grace_seconds": GITHUB_KILL_AFTER,
    }
    if args.json:
        print(json.dumps({"summary": summary, "trials": results}, indent=2))
    else:
        for r in results:
            took = r["rolled_back_seconds"]
            print(
                f"{r['moment']:5} {'INT+TERM' if r['second_signal'] else 'INT     '} "
                f"rolled back {took * 1000 if took is not None else float('nan'):6.0f} ms, "
                f"exited {r['seconds'] * 1000:6.0f} ms, exit {r['exit']:3}  {r['weights']}"
            )
        verdict = "PASS" if ok and max(times) < GITHUB_KILL_AFTER else "FAIL"
        print(
            f"SIGINT -> rollback verified: median {statistics.median(done) * 1000:.0f} ms, "
            f"max {max(done) * 1000:.0f} ms; -> process gone: median "
            f"{summary['exit_median_seconds'] * 1000:.0f} ms, max "
            f"{summary['exit_max_seconds'] * 1000:.0f} ms (GitHub kills after "
            f"{GITHUB_KILL_AFTER} s): {verdict}; killed by the SIGTERM after its rollback: "
            f"{summary['killed_by_sigterm_after_rollback']}"
        )


if __name__ == "__main__":
    main()
