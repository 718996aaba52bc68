"""Rollback reaction: zdd against the hand-rolled script it replaces, side by side.

Both watch the green colour's alarms every P seconds while green takes 50 %; an alarm
enters ALARM at a chosen phase of the poll interval, and the clock stops when the
listener is read back with all weight on blue. The hand-rolled loop is the least any
poller can do: DescribeAlarms each P, then one ModifyListener and one DescribeListeners
to see it. zdd does more on the way, by design (#13): it journals the decision and the
intent first, reads the listener before acting, and reads it back after.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from generator.config import Environment, Strategy
from generator.demo.emulator import create_twin_environments, moto_server_process
from generator.errors import ReleaseFailed
from generator.events import Event, EventBus
from generator.infra.outputs import StackOutputs
from generator.journal.local import LocalStore
from generator.journal.model import Step
from generator.rollout.aws.wiring import build_engine
from generator.rollout.engine.engine import ReleaseSpec
from tests.support.clients import aws_clients

Result = dict[str, Any]
# zdd's extra work before the move (one journal write, one DescribeListeners) may cost
# this much more than the hand-rolled loop, as a ratio of medians and of maxima.
MAX_RATIO = 1.15


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


def _forward(outputs: StackOutputs, blue: int, green: int) -> list[Any]:
    groups = [
        {"TargetGroupArn": outputs.target_group_arns["blue"], "Weight": blue},
        {"TargetGroupArn": outputs.target_group_arns["green"], "Weight": green},
    ]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]


def _weights(listener: dict[str, Any], outputs: StackOutputs) -> tuple[int, int]:
    groups = listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    by_arn = {g["TargetGroupArn"]: g["Weight"] for g in groups}
    return by_arn[outputs.target_group_arns["blue"]], by_arn[outputs.target_group_arns["green"]]


def hand_rolled(
    elbv2: Any, cloudwatch: Any, outputs: StackOutputs, poll: float, started: threading.Event
) -> float:
    """The script zdd replaces; returns when blue has all weight again (read back)."""
    arn = outputs.listener_arn
    elbv2.modify_listener(ListenerArn=arn, DefaultActions=_forward(outputs, 50, 50))
    alarms = outputs.alarm_names["green"]
    started.set()
    while True:
        polled_at = time.perf_counter()
        states = cloudwatch.describe_alarms(AlarmNames=alarms)["MetricAlarms"]
        if any(a["StateValue"] == "ALARM" for a in states):
            elbv2.modify_listener(ListenerArn=arn, DefaultActions=_forward(outputs, 100, 0))
            listener = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]
            if _weights(listener, outputs) == (100, 0):
                return time.perf_counter()
            raise RuntimeError("hand-rolled rollback did not take")
        time.sleep(max(polled_at + poll - time.perf_counter(), 0.0))


def _zdd(
    env: Environment, session: Any, outputs: StackOutputs, store: Path, poll: float
) -> Callable[[threading.Event], float]:
    elbv2, cloudwatch = session.client("elbv2"), session.client("cloudwatch")

    def run(started: threading.Event) -> float:
        marks: dict[str, float] = {}

        def verified(event: Event) -> None:
            marks.setdefault("back", time.perf_counter())

        hook = Hook({"bake.start": lambda e: started.set(), "rollback.verified": verified})
        bus = EventBus([hook])
        # The plain emulator runs no tasks: no healthy targets needed.
        strategy = Strategy(min_healthy_targets=0, poll_seconds=poll, alarm_grace_seconds=30)
        engine = build_engine(
            env.model_copy(update={"strategy": strategy}),
            outputs,
            aws_clients(session, elbv2=elbv2, cloudwatch=cloudwatch),
            LocalStore(store, "shop", "bench"),
            events=bus,
        )
        with suppress(ReleaseFailed):
            engine.shift(
                ReleaseSpec(
                    [Step(percent=50, bake_seconds=60), Step(percent=100, bake_seconds=0)],
                    "steps",
                )
            )
        return marks["back"]

    return run


def _trial(
    watcher: Callable[[threading.Event], float], injector: Any, alarm: str, delay: float
) -> float:
    """Start ``watcher``; ``delay`` seconds after it starts watching, fire the alarm."""
    started = threading.Event()
    fired: list[float] = []

    def fire() -> None:
        started.wait(30)
        time.sleep(delay)
        injector.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="bench")
        fired.append(time.perf_counter())

    thread = threading.Thread(target=fire)
    thread.start()
    back = watcher(started)
    thread.join()
    injector.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="bench reset")
    return back - fired[0]


# moto_server without its garbage collector. A full collection in the emulator (its
# heap holds the EC2, ECS and IAM models) stalled one call for 200 ms, on whichever side
# happened to make it; AWS has no such pause to measure.
QUIET_EMULATOR = """#!{python}
import gc
import sys

from moto.server import main

gc.disable()
sys.exit(main())
"""


def _quiet_emulator(directory: Path) -> str:
    launcher = directory / "moto_server_without_gc"
    launcher.write_text(QUIET_EMULATOR.format(python=sys.executable))
    launcher.chmod(0o755)
    return str(launcher)


def rollback_reaction(env: Environment, poll: float, trials: int, seed: int) -> Result:
    """Alarm to verified rollback, zdd and the hand-rolled loop alternating per phase."""
    import boto3

    rng = random.Random(seed)
    # Stratified phases: evenly spaced over the poll interval, shuffled, so 30 trials
    # sample the phase uniformly instead of depending on one lucky or unlucky draw.
    phases = [(i + 0.5) / trials for i in range(trials)]
    rng.shuffle(phases)
    zdd: list[float] = []
    script: list[float] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        moto_server_process(_quiet_emulator(Path(tmp))) as url,
    ):
        os.environ["AWS_ENDPOINT_URL"] = url
        try:
            session = boto3.Session(region_name=env.region)
            outputs = create_twin_environments(session, env)
            injector = session.client("cloudwatch")
            alarm = outputs.alarm_names["green"][0]
            elbv2, cloudwatch = session.client("elbv2"), session.client("cloudwatch")
            run_zdd = _zdd(env, session, outputs, Path(tmp) / "journal", poll)
            # The emulator's setup (its clients, the stack's resources) lives in this
            # process, not in a zdd process: freeze it, so that a full collection of it
            # (70-220 ms here) does not land on whichever trial runs at the time.
            gc.collect()
            gc.freeze()

            def run_script(started: threading.Event) -> float:
                return hand_rolled(elbv2, cloudwatch, outputs, poll, started)

            for i, phase in enumerate(phases):
                delay = poll * (1 + phase)  # polls run at start + k*P
                order = [(run_zdd, zdd), (run_script, script)]
                for watcher, into in order if i % 2 else reversed(order):
                    into.append(_trial(watcher, injector, alarm, delay))
        finally:
            gc.unfreeze()
            os.environ.pop("AWS_ENDPOINT_URL", None)
    median, worst = statistics.median(zdd), max(zdd)
    base_median, base_worst = statistics.median(script), max(script)
    return {
        "poll_seconds": poll,
        "trials": trials,
        "zdd": {"median_s": round(median, 4), "max_s": round(worst, 4)},
        "hand_rolled": {"median_s": round(base_median, 4), "max_s": round(base_worst, 4)},
        "median_over_poll": {
            "zdd": round(median / poll, 3),
            "hand_rolled": round(base_median / poll, 3),
        },
        "ratio": {
            "median": round(median / base_median, 3),
            "max": round(worst / base_worst, 3),
        },
        "checks": [
            (
                f"rollback median <= {MAX_RATIO}x the hand-rolled loop's (P={poll}s)",
                median <= MAX_RATIO * base_median,
            ),
            (
                f"rollback max <= {MAX_RATIO}x the hand-rolled loop's (P={poll}s)",
                worst <= MAX_RATIO * base_worst,
            ),
        ],
        "shown": [
            (
                f"rollback median <= 0.6*P (P={poll}s): zdd {median / poll:.2f}*P, "
                f"hand-rolled {base_median / poll:.2f}*P",
                median <= 0.6 * poll,
            ),
            (
                f"rollback max <= P + 50 ms (P={poll}s): zdd P{1000 * (worst - poll):+.0f} ms, "
                f"hand-rolled P{1000 * (base_worst - poll):+.0f} ms",
                worst <= poll + 0.05,
            ),
        ],
    }
