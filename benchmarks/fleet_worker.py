"""One zdd process of the fleet benchmark (``fleet_bench.py`` starts N of them).

It runs its releases one after the other, each at its appointed wall-clock time, with
zdd's production clients (adaptive retries) pointed at the throttling proxy
(``AWS_ENDPOINT_URL``). A release told to ``fire`` sets its new colour's alarm to ALARM
mid-bake, straight on the emulator (not through the proxy: the alarm is the world's, not
zdd's), ``phase`` of a poll interval after a poll. Afterwards it reads the listener and
the journal directly and checks the invariant (``tests.support.invariant``), and writes
what it saw as JSON: outcome, reaction time, calls by action, resident memory, CPU time.

Usage: python benchmarks/fleet_worker.py PLAN.json RESULT.json
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from benchmarks.rollback_bench import Hook  # noqa: E402
from generator.aws import AwsClients  # noqa: E402
from generator.config import Strategy, load_environment  # noqa: E402
from generator.events import Event, EventBus  # noqa: E402
from generator.infra.outputs import StackOutputs  # noqa: E402
from generator.journal.local import LocalStore  # noqa: E402
from generator.journal.model import Step  # noqa: E402
from generator.rollout.aws.alb import AlbListenerRouter  # noqa: E402
from generator.rollout.aws.wiring import build_engine  # noqa: E402
from generator.rollout.engine.engine import ReleaseSpec  # noqa: E402
from tests.support.invariant import Ending, check_ending  # noqa: E402

PAGE = resource.getpagesize()


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class Watch:
    """Times of the events a release's figures need, and the alarm injector."""

    def __init__(self, plan: dict[str, Any], release: dict[str, Any], moto: Any) -> None:
        self.plan, self.release, self.moto = plan, release, moto
        self.polls: list[float] = []
        self.rss: list[int] = []
        self.fired: float | None = None
        self.verified: float | None = None
        self.decided: float | None = None
        self.alarm: str | None = None
        self.lock = threading.Lock()

    def sink(self) -> Hook:
        return Hook(
            {
                "bake.poll": self.polled,
                "rollback.start": self.decide,
                "rollback.verified": self.back,
            }
        )

    def decide(self, event: Event) -> None:
        if self.decided is None:
            self.decided = time.perf_counter()

    def back(self, event: Event) -> None:
        if self.verified is None:
            self.verified = time.perf_counter()

    def polled(self, event: Event) -> None:
        self.rss.append(rss_bytes())
        self.polls.append(time.perf_counter())
        fire_after = self.release.get("fire_after_polls")
        if self.alarm and len(self.polls) == fire_after:
            delay = self.release["phase"] * self.plan["poll"]
            threading.Timer(delay, self.fire).start()

    def fire(self) -> None:
        assert self.alarm is not None
        self.moto.set_alarm_state(AlarmName=self.alarm, StateValue="ALARM", StateReason="fleet")
        self.fired = time.perf_counter()


def one_release(
    plan: dict[str, Any], release: dict[str, Any], clients: AwsClients, direct: dict[str, Any]
) -> Any:
    env = load_environment(ROOT / "environments" / "staging.yaml")
    env = env.model_copy(update={"name": plan["env_name"]})
    outputs = StackOutputs.model_validate(plan["outputs"])
    strategy = Strategy(
        min_healthy_targets=0, poll_seconds=plan["poll"], alarm_grace_seconds=plan["grace"]
    )
    moto, elbv2 = direct["cloudwatch"], direct["elbv2"]
    initial = AlbListenerRouter(elbv2, outputs).read().live
    assert initial is not None
    target = "green" if initial == "blue" else "blue"
    watch = Watch(plan, release, moto)
    if release.get("phase") is not None:
        watch.alarm = outputs.alarm_names[target][0]  # type: ignore[index]
    store = LocalStore(Path(plan["store"]), "shop", plan["env_name"])
    engine = build_engine(
        env.model_copy(update={"strategy": strategy}),
        outputs,
        clients,
        store,
        events=EventBus([watch.sink()]),
    )
    schedule = [Step(percent=p, bake_seconds=plan["bake"]) for p in plan["steps"]]
    time.sleep(max(release["go_at"] - time.time(), 0.0))
    started = time.perf_counter()
    outcome: BaseException | None = None
    try:
        engine.shift(ReleaseSpec(schedule, "steps"))
    except Exception as exc:  # judged below, by the invariant and the outcome
        outcome = exc
    took = time.perf_counter() - started
    if watch.alarm:
        moto.set_alarm_state(AlarmName=watch.alarm, StateValue="OK", StateReason="reset")
    weights = AlbListenerRouter(elbv2, outputs).read().weights
    verdict = check_ending(weights, store.load(), Ending.of(outcome), initial)
    reaction = detect = None
    if watch.fired is not None and watch.verified is not None and watch.decided is not None:
        reaction, detect = watch.verified - watch.fired, watch.decided - watch.fired
    return {
        "fire": watch.alarm is not None,
        "fired": watch.fired is not None,
        "outcome": "promoted" if outcome is None else type(outcome).__name__,
        "reason": "" if outcome is None else str(outcome)[:300],
        "seconds": took,
        "reaction_s": reaction,
        "detect_s": detect,  # of which: until zdd decided to roll back (the rest: moving)
        "lies": verdict.lies,
        "max_rss": max(watch.rss, default=rss_bytes()),
    }


def main() -> int:
    plan = json.loads(Path(sys.argv[1]).read_text())
    clients = AwsClients(boto3.Session(region_name=plan["region"]))
    calls: Counter[str] = Counter()
    for client in (clients.elbv2, clients.cloudwatch):
        client.meta.events.register(
            "before-call.*.*", lambda model, **_: calls.update([model.name])
        )
    # Straight to the emulator, not through the proxy: the benchmark's own reads and the
    # alarm it sets are not zdd's calls.
    session = boto3.Session(region_name=plan["region"])
    direct = {s: session.client(s, endpoint_url=plan["moto_url"]) for s in ("cloudwatch", "elbv2")}
    results = []
    for release in plan["releases"]:
        before = calls.copy()
        result = one_release(plan, release, clients, direct)
        result["calls"] = dict(calls - before)
        results.append(result)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"releases": results, "cpu_s": usage.ru_utime + usage.ru_stime}
    Path(sys.argv[2]).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
