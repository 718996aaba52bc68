"""The demo's third release: rolled back by the comparison with live, no alarm firing.

Ten simulated minutes run in about a second: a ``SimulatedClock`` advances
when the engine sleeps, and each tick pushes the minutes that ended into the
emulator with PutMetricData (``TrafficFeed``), split by the listener's weights.
The new colour returns 5xx six times as often as live, well under the 5 % alarm.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from generator.colours import Colour, other_colour
from generator.config import Environment
from generator.config.analysis import Analysis
from generator.demo.traffic import Profile, TrafficFeed
from generator.errors import ReleaseFailed
from generator.events import EventBus, EventSink
from generator.infra.outputs import StackOutputs
from generator.journal.model import Deployment
from generator.journal.protocol import DeploymentStore
from generator.rollout import release
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.views.verdicts import render_steps, step_verdicts

if TYPE_CHECKING:
    from pathlib import Path

    from generator.aws import AwsClients


class SimulatedClock:
    """Virtual time: ``sleep`` advances it at once and calls the tick callbacks."""

    def __init__(self, start: float, on_tick: list[Callable[[SimulatedClock], None]]) -> None:
        self.t = start
        self.on_tick = on_tick

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)
        for tick in self.on_tick:
            tick(self)


def analysis_release(
    env: Environment,
    env_dir: Path,
    clients: AwsClients,
    outputs: StackOutputs,
    store: DeploymentStore,
    sinks: list[EventSink],
    say: Callable[[str], None],
    apply: Callable[[Colour, str], StackOutputs] | None = None,
) -> Deployment:
    """Release v4 with ``analysis`` configured; returns its journalled deployment."""
    live = AlbListenerRouter(clients.elbv2, outputs).read().live or env.live_colour
    target: Colour = other_colour(live)
    say(
        f"\n4. release v4 -> {target} by canary, judged by comparison with {live}: its 5xx "
        "rate is 3 % against live's 0.5 %, under the 5 % alarm (10 simulated minutes)"
    )
    if apply is not None:  # v4 goes onto the idle colour first, as for the other releases
        outputs = apply(target, "v4")
    start = float(int(time.time() // 60) * 60)
    feed = TrafficFeed(
        clients.cloudwatch,
        clients.elbv2,
        outputs,
        start - 60,
        {live: Profile(0.005), target: Profile(0.03)},
        rps=50,
    )
    judged = env.model_copy(update={"analysis": Analysis(settle_seconds=0)})
    strategy = judged.strategy.model_copy(
        update={
            "type": "canary",
            "bake_seconds": 300,
            "poll_seconds": 10,
            "alarm_grace_seconds": 120,
            "gates": [],
        }
    )
    ctx = release.ReleaseContext(
        env=judged,
        env_dir=env_dir,
        clients=clients,
        store=store,
        events=EventBus(sinks),
        command="demo",
        clock=SimulatedClock(start, [feed]),
    )
    try:
        release.shift(ctx, outputs, strategy, release="v4")
    except ReleaseFailed:
        pass
    finally:
        ctx.events.close()
    doc = store.load()
    dep = doc.history[-1]
    say("   verdicts that decided it:")
    say("\n".join(render_steps({dep.id: step_verdicts(doc).get(dep.id, [])})))
    return dep
