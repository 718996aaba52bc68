"""zdd's benchmarks: ratios against baselines measured side by side in one run.

Targets are reported as PASS/FAIL lines, never asserted by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
TERRAFORM = os.environ.get("ZDD_TERRAFORM") or str(BIN / "terraform")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")  # terraform must not phone home
for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.setdefault(key, "testing")

from benchmarks.analysis_bench import analysis_benchmark  # noqa: E402
from benchmarks.fault_bench import fault_trials  # noqa: E402
from generator.config import (  # noqa: E402
    Environment,
    Strategy,
    load_environment,
)
from generator.errors import ReleaseFailed  # noqa: E402
from generator.events import Event, EventBus  # noqa: E402
from generator.infra.render import render_stack  # noqa: E402
from generator.infra.terraform import Terraform  # noqa: E402
from generator.journal.local import LocalStore  # noqa: E402
from generator.journal.model import Step  # noqa: E402
from generator.rollout.engine import EngineSettings, ReleaseSpec  # noqa: E402
from generator.rollout.wiring import build_engine  # noqa: E402
from generator.testing.emulator import create_twin_environments  # noqa: E402
from generator.testing.emulator import moto_server_process as emulator_process  # noqa: E402

Result = dict[str, Any]


class Hook:
    """An event sink calling back on chosen kinds."""

    def __init__(self, on: dict[str, Callable[[Event], None]]) -> None:
        self.on = on

    def emit(self, event: Event) -> None:
        callback = self.on.get(event.kind)
        if callback:
            callback(event)

    def close(self) -> None:
        return None


@contextmanager
def moto_server_process() -> Iterator[str]:
    with emulator_process(str(BIN / "moto_server")) as url:
        yield url


# -- 1. rollback reaction -----------------------------------------------------------


def rollback_reaction(env: Environment, poll: float, trials: int, seed: int) -> Result:
    """Alarm enters ALARM at a random phase of the bake; until the listener is verified back."""
    import boto3

    rng = random.Random(seed)
    # Stratified phases: the alarm lands at evenly spaced points of the poll
    # interval (shuffled), so 30 trials sample the phase uniformly instead of
    # depending on one lucky or unlucky draw.
    phases = [(i + 0.5) / trials for i in range(trials)]
    rng.shuffle(phases)
    with moto_server_process() as url, tempfile.TemporaryDirectory() as tmp:
        os.environ["AWS_ENDPOINT_URL"] = url
        try:
            session = boto3.Session(region_name=env.region)
            outputs = create_twin_environments(session, env)
            elbv2, cloudwatch = session.client("elbv2"), session.client("cloudwatch")
            injector = session.client("cloudwatch")
            alarm = outputs.alarm_names["green"][0]
            reactions: list[float] = []
            for phase in phases:
                baking = threading.Event()
                marks: dict[str, float] = {}

                def verified(event: Event, marks: dict[str, float] = marks) -> None:
                    marks["back"] = time.perf_counter()

                bus = EventBus(
                    [
                        Hook(
                            {
                                "bake.start": lambda e, b=baking: b.set(),
                                "rollback.verified": verified,
                            }
                        )
                    ]
                )
                engine = build_engine(
                    elbv2=elbv2,
                    cloudwatch=cloudwatch,
                    outputs=outputs,
                    store=LocalStore(Path(tmp), "shop", "bench"),
                    strategy=Strategy(min_healthy_targets=0),  # the plain emulator runs no tasks
                    settings=EngineSettings(poll_seconds=poll, alarm_grace_seconds=30),
                    events=bus,
                )
                delay = poll * (1 + phase)  # polls run at bake start + k*P

                def fire(
                    delay: float = delay,
                    baking: threading.Event = baking,
                    marks: dict[str, float] = marks,
                ) -> None:
                    baking.wait(30)
                    time.sleep(delay)
                    injector.set_alarm_state(
                        AlarmName=alarm, StateValue="ALARM", StateReason="bench"
                    )
                    marks["fired"] = time.perf_counter()

                thread = threading.Thread(target=fire)
                thread.start()
                with suppress(ReleaseFailed):
                    engine.shift(
                        ReleaseSpec(
                            [Step(percent=50, bake_seconds=60), Step(percent=100, bake_seconds=0)],
                            "steps",
                        )
                    )
                thread.join()
                reactions.append(marks["back"] - marks["fired"])
                injector.set_alarm_state(
                    AlarmName=alarm, StateValue="OK", StateReason="bench reset"
                )
        finally:
            os.environ.pop("AWS_ENDPOINT_URL", None)
    median, worst = statistics.median(reactions), max(reactions)
    return {
        "poll_seconds": poll,
        "trials": trials,
        "median_s": round(median, 4),
        "max_s": round(worst, 4),
        "median_over_poll": round(median / poll, 3),
        "checks": [
            (f"rollback median <= 0.6*P (P={poll}s)", median <= 0.6 * poll),
            (f"rollback max <= P + 50 ms (P={poll}s)", worst <= poll + 0.05),
        ],
    }


# -- 2. wrapper overhead -----------------------------------------------------------------

CONFIG = 'variable "x" {\n  default = "a"\n}\n\noutput "y" {\n  value = "${var.x}-b"\n}\n'


def _fresh(base: Path, name: str) -> Path:
    directory = base / name
    directory.mkdir()
    (directory / "main.tf").write_text(CONFIG)
    return directory


def wrapper_overhead(trials: int) -> Result:
    in_wrapper: list[float] = []
    in_raw: list[float] = []
    proc_wrapper: list[float] = []
    proc_raw: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        probe = Terraform(_fresh(base, "probe"), binary=TERRAFORM)
        init_argv = probe.argv("init", backend=False, reconfigure=None)
        plan_argv_for: Callable[[Path], list[str]] = lambda p: probe.argv(  # noqa: E731
            "plan", out=str(p), detailed_exitcode=True, lock_timeout="0s", var=[]
        )
        script = (
            "import sys; from pathlib import Path; "
            "from generator.infra.terraform import Terraform; "
            "d = Path(sys.argv[1]); t = Terraform(d); t.init(backend=False); t.plan(d / 'p.tfplan')"
        )

        def through_wrapper(d: Path) -> float:
            t = time.perf_counter()
            tf = Terraform(d, binary=TERRAFORM)
            tf.init(backend=False)
            tf.plan(d / "p.tfplan")
            return time.perf_counter() - t

        def straight(d: Path) -> float:
            t = time.perf_counter()
            subprocess.run(init_argv, cwd=d, capture_output=True, check=True)
            subprocess.run(plan_argv_for(d / "p.tfplan"), cwd=d, capture_output=True, check=False)
            return time.perf_counter() - t

        for i in range(trials):
            # in process: the same flags, through the wrapper and straight to the binary,
            # alternating which goes first so neither profits from a warm cache
            if i % 2:
                in_raw.append(straight(_fresh(base, f"r{i}")))
                in_wrapper.append(through_wrapper(_fresh(base, f"w{i}")))
            else:
                in_wrapper.append(through_wrapper(_fresh(base, f"w{i}")))
                in_raw.append(straight(_fresh(base, f"r{i}")))
            # whole processes: `python -c <wrapper>` against a shell running both commands
            d = _fresh(base, f"pw{i}")
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", script, str(d)],
                cwd=ROOT,
                check=True,
                capture_output=True,
                env={**os.environ, "ZDD_TERRAFORM": TERRAFORM},
            )
            proc_wrapper.append(time.perf_counter() - t)
            d = _fresh(base, f"pr{i}")
            plan = " ".join(plan_argv_for(d / "p.tfplan"))
            t = time.perf_counter()
            subprocess.run(
                ["sh", "-c", f"{' '.join(init_argv)} >/dev/null && {plan} >/dev/null; true"],
                cwd=d,
                check=True,
            )
            proc_raw.append(time.perf_counter() - t)
    ratio_in = statistics.median(in_wrapper) / statistics.median(in_raw)
    ratio_proc = statistics.median(proc_wrapper) / statistics.median(proc_raw)
    return {
        "trials": trials,
        "in_process_s": {
            "wrapper": round(statistics.median(in_wrapper), 4),
            "raw": round(statistics.median(in_raw), 4),
            "ratio": round(ratio_in, 3),
        },
        "whole_process_s": {
            "wrapper": round(statistics.median(proc_wrapper), 4),
            "raw": round(statistics.median(proc_raw), 4),
            "ratio": round(ratio_proc, 3),
        },
        "checks": [
            ("wrapper in process <= 1.03x raw terraform", ratio_in <= 1.03),
            ("wrapper as whole process <= 1.3x raw terraform", ratio_proc <= 1.3),
        ],
    }


# -- 3. API calls --------------------------------------------------------------------------


def api_calls(env: Environment) -> Result:
    import boto3
    from moto import mock_aws

    class Clock:
        t = 1_700_000_000.0

        def now(self) -> float:
            return self.t

        def sleep(self, seconds: float) -> None:
            self.t += seconds

    with mock_aws(), tempfile.TemporaryDirectory() as tmp:
        session = boto3.Session(region_name=env.region)
        outputs = create_twin_environments(session, env)
        calls: Counter[str] = Counter()
        marks: list[tuple[str, Counter[str]]] = []
        elbv2, cloudwatch = session.client("elbv2"), session.client("cloudwatch")
        for client in (elbv2, cloudwatch):
            client.meta.events.register(
                "before-call.*.*", lambda model, **_: calls.update([model.name])
            )
        bus = EventBus(
            [
                Hook(
                    {
                        k: (lambda e: marks.append((e.kind, calls.copy())))
                        for k in ("step.verified", "bake.poll", "deployment.promoted")
                    }
                )
            ]
        )
        clock = Clock()
        engine = build_engine(
            elbv2=elbv2,
            cloudwatch=cloudwatch,
            outputs=outputs,
            store=LocalStore(Path(tmp), "shop", "bench", clock=clock.now),
            strategy=Strategy(min_healthy_targets=0),
            settings=EngineSettings(poll_seconds=5, alarm_grace_seconds=30),
            events=bus,
            clock=clock,
        )
        schedule = [Step(percent=p, bake_seconds=30) for p in (10, 50, 100)]
        engine.shift(ReleaseSpec(schedule, "steps"))
    steps = [i for i, (k, _) in enumerate(marks) if k == "step.verified"]
    per_step = []
    for i, j in zip(steps, [*steps[1:], len(marks) - 1], strict=False):
        before, after = marks[i][1], marks[j][1]
        polls = sum(1 for k, _ in marks[i:j] if k == "bake.poll")
        per_step.append(
            {
                "ModifyListener": after["ModifyListener"] - before["ModifyListener"],
                "DescribeListeners": after["DescribeListeners"] - before["DescribeListeners"],
                "polls": polls,
                "DescribeAlarms": after["DescribeAlarms"] - before["DescribeAlarms"],
            }
        )
    interior = per_step[:-1]  # the last span ends at promotion, which adds its own read-back
    return {
        "totals": dict(calls),
        "per_step": per_step,
        "checks": [
            ("one ModifyListener per step", all(s["ModifyListener"] == 1 for s in interior)),
            ("one DescribeListeners per step", all(s["DescribeListeners"] == 1 for s in interior)),
            (
                "one DescribeAlarms per poll",
                all(s["DescribeAlarms"] == s["polls"] for s in per_step),
            ),
        ],
    }


# -- 4. rendering ---------------------------------------------------------------------------


def rendering(env: Environment) -> Result:
    envs = [env.model_copy(update={"name": f"env{i}"}) for i in range(1000)]
    out = ROOT / "build" / "bench-render"
    render_stack(envs[0], out)  # compile the templates once, as a long run would
    totals: dict[int, float] = {}
    for n in (1, 100, 1000):
        best = float("inf")
        for _ in range(3 if n < 1000 else 2):
            t = time.perf_counter()
            for e in envs[:n]:
                render_stack(e, out)
            best = min(best, time.perf_counter() - t)
        totals[n] = best
    per_stack = {n: round(1000 * totals[n] / n, 4) for n in totals}
    scaling = totals[1000] / totals[100]
    return {
        "ms_per_stack": per_stack,
        "scaling_1000_over_100": round(scaling, 2),
        "checks": [
            ("rendering <= 0.2 ms per stack (1,000 stacks)", per_stack[1000] <= 0.2),
            ("scaling t(1000)/t(100) <= 11x", scaling <= 11),
        ],
    }


# -- 5. start-up ------------------------------------------------------------------------------


def startup(trials: int) -> Result:
    zdd, tf = [], []
    for _ in range(trials):
        t = time.perf_counter()
        subprocess.run([str(BIN / "zdd"), "--help"], capture_output=True, check=True)
        zdd.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run([TERRAFORM, "version"], capture_output=True, check=True)
        tf.append(time.perf_counter() - t)
    ratio = statistics.median(zdd) / statistics.median(tf)
    return {
        "zdd_help_s": round(statistics.median(zdd), 4),
        "terraform_version_s": round(statistics.median(tf), 4),
        "ratio": round(ratio, 3),
        "checks": [("zdd --help <= 1.5x terraform version", ratio <= 1.5)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer trials (a smoke run)")
    args = parser.parse_args()
    env = load_environment(ROOT / "environments" / "staging.yaml")
    trials = 5 if args.quick else 30
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(terse=True),
        },
    }
    parts: dict[str, Callable[[], Any]] = {
        "rollback_reaction": lambda: [
            rollback_reaction(env, p, trials, seed=7) for p in (0.25, 1.0)
        ],
        "wrapper_overhead": lambda: wrapper_overhead(4 if args.quick else 20),
        "api_calls": lambda: api_calls(env),
        "rendering": lambda: rendering(env),
        "startup": lambda: startup(5 if args.quick else 20),
        "analysis": lambda: analysis_benchmark(args.quick),
        "fault_trials": lambda: fault_trials(env, args.quick),
    }
    for name, measure in parts.items():
        try:
            results[name] = measure()
        except Exception as exc:  # one broken figure must not hide the others
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "checks": [(name, False)]}
    results["seconds"] = round(time.perf_counter() - started, 1)
    checks = [
        c
        for part in results.values()
        for item in (part if isinstance(part, list) else [part])
        if isinstance(item, dict)
        for c in item.get("checks", [])
    ]
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    else:
        for name, part in results.items():
            if name in ("machine", "seconds"):
                continue
            for item in part if isinstance(part, list) else [part]:
                if "line" in item:  # a part that sums itself up in one line
                    print(item["line"])
                shown = {k: v for k, v in item.items() if k not in ("checks", "line")}
                print(f"{name}: {json.dumps(shown)}")
        print()
        for label, ok in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {label}")
        print(f"\n{results['seconds']}s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
