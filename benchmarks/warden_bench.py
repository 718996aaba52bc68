"""The warden's reaction: from an orphan's lease expiry to traffic read back on blue.

moto never fires EventBridge Scheduler schedules (and cannot invoke Lambda here), so the
schedule's ticks are simulated: a loop makes one `zdd warden` pass (the handler's code)
at every tick of a period S, on wall time, against moto in process. Each trial leaves a
release split 90/10 whose dead runner's lease expires at a phase spread evenly over S;
the figure is the time from that expiry until the pass that rolled it back returned
(the listener read back on blue), as a multiple of S plus one poll P: a warden can do no
better than wait for its next tick, then take one poll's worth of time to act.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from generator.aws import AwsClients
from generator.config import Environment
from generator.events import EventBus
from generator.journal.local import LocalStore
from generator.journal.model import Deployment, Step
from generator.journal.protocol import Owner
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.aws.wiring import handoff_of
from generator.rollout.warden import Warden

PERIOD = 1.0  # S, scaled down from a minute so trials take seconds
POLL = 0.25  # P
LEASE = 0.5


def _orphan(
    session: Any, outputs: Any, env: Environment, store: LocalStore, expires: float
) -> None:
    router = AlbListenerRouter(session.client("elbv2"), outputs)
    router.set_weights(router.read(), {"blue": 90, "green": 10})
    dep = Deployment(
        id=f"orphan{int(expires * 1000) % 10**6:06d}",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=outputs.listener_arn,
        schedule=[Step(percent=10, bake_seconds=60), Step(percent=100, bake_seconds=60)],
        step_index=0,
        weights={"blue": 90, "green": 10},
        started_at=time.time(),
        handoff=handoff_of(env, outputs, LEASE),
    )
    doc = store.load()
    doc.archive_current()
    doc.current = dep
    store.save(doc)
    store.clock = lambda: expires - LEASE
    store.acquire(Owner("deadbeef0000", "gone-runner", 1, "zdd shift"), force=True)
    store.clock = time.time


def warden_reaction(env: Environment, trials: int) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from generator.demo.emulator import create_twin_environments

    delays: list[float] = []
    with mock_aws(), tempfile.TemporaryDirectory() as tmp:
        session = boto3.Session(region_name=env.region)
        outputs = create_twin_environments(session, env)
        store = LocalStore(Path(tmp), env.service, env.name, lease_seconds=LEASE)
        clients = AwsClients(session)  # type: ignore[arg-type]
        keeper = Warden(tmp, lambda _r: clients, lambda _o, _h: EventBus())
        router = AlbListenerRouter(session.client("elbv2"), outputs)
        for i in range(trials):
            tick0 = time.time() + 0.2
            expires = tick0 + PERIOD * (i + 0.5) / trials  # phases spread over S
            _orphan(session, outputs, env, store, expires)
            k = 1
            while True:  # the simulated schedule: one pass per tick
                time.sleep(max(0.0, tick0 + k * PERIOD - time.time()))
                keeper.run_pass()
                if router.read().weights == {"blue": 100, "green": 0}:
                    delays.append(time.time() - expires)
                    break
                k += 1
    unit = PERIOD + POLL
    median, worst = statistics.median(delays), max(delays)
    return {
        "line": f"warden reaction (simulated schedule ticks: moto never fires schedules), "
        f"S = {PERIOD:g} s, P = {POLL:g} s, {trials} trials: median {median * 1000:.0f} ms, "
        f"max {worst * 1000:.0f} ms = {worst / unit:.2f}x (S + P)",
        "median_ms": round(median * 1000),
        "max_ms": round(worst * 1000),
        "max_over_s_plus_p": round(worst / unit, 3),
        "checks": [(f"warden reaction: max <= 1.0x (S + P) ({worst / unit:.2f}x)", worst <= unit)],
    }
