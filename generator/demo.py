"""`zdd demo`: the whole story on an embedded AWS emulator, in under a minute.

Renders the environment, checks it with the real terraform, creates the twin
environments in moto (standing in for ``terraform apply``), then runs two
releases through the production code path: v2 passes its canary and is
promoted; v3's 5xx alarm fires during its canary and it is rolled back.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator.aws import AwsClients
from generator.colours import Colour, other_colour
from generator.config import environment_dir, load_environment
from generator.errors import ReleaseFailed
from generator.events import EventBus, EventSink, JsonSink, PlainSink, RichSink
from generator.infra.outputs import StackOutputs
from generator.infra.render import generate
from generator.journal.local import LocalStore
from generator.journal.model import Deployment
from generator.rollout import release
from generator.rollout.routing import AlbListenerRouter, format_weights


@dataclass
class DemoResult:
    ok: bool
    store_dir: Path
    outputs: StackOutputs
    final_weights: dict[Colour, int]
    releases: list[Deployment] = field(default_factory=list)


def _sinks(json_mode: bool) -> list[EventSink]:
    if json_mode:
        return [JsonSink(sys.stdout)]
    return [RichSink() if sys.stderr.isatty() else PlainSink(sys.stderr)]


def _say(json_mode: bool, text: str) -> None:
    if not json_mode:
        print(text, file=sys.stderr, flush=True)


def _timeline(dep: Deployment) -> list[str]:
    start = dep.started_at
    lines = [f"release {dep.release}: {dep.from_colour} -> {dep.to_colour}: {dep.status.upper()}"]
    for e in dep.events:
        weights = e.data.get("weights")
        shown = f"  [{format_weights(weights)}]" if isinstance(weights, dict) else ""
        lines.append(f"  +{e.at - start:6.2f}s  {e.message}{shown}")
    return lines


def _check_terraform(stack_dir: Path, json_mode: bool) -> None:
    from python_terraform import IsFlagged

    from generator.infra.render import MODULES_DIR
    from generator.infra.terraform import Terraform, check_version

    tf = Terraform(stack_dir)
    tf.run(tf.argv("fmt", check=IsFlagged, recursive=IsFlagged, input=None))
    tf.run(tf.argv("fmt", str(MODULES_DIR), check=IsFlagged, recursive=IsFlagged, input=None))
    version = ".".join(map(str, check_version(tf.binary)))
    _say(json_mode, f"   terraform {version} fmt -check: stack and modules are clean")


def run_demo(
    env_name: str = "staging",
    *,
    bake_seconds: float = 2.0,
    json_mode: bool = False,
    workdir: Path | None = None,
) -> DemoResult:
    from generator.testing.emulator import create_twin_environments, moto_server, pointed_at
    from generator.testing.injectors import AlarmOnEvent

    began = time.monotonic()
    env = load_environment(env_name)
    work = workdir or Path("build") / "demo"
    stack_dir = work / env.name
    generate(env, stack_dir)
    _say(json_mode, f"1. rendered Terraform for {env.service}/{env.name} into {stack_dir}")
    _check_terraform(stack_dir, json_mode)
    store_dir = work / ".zdd"
    store = LocalStore(store_dir, env.service, env.name)
    for stale in (store.path, store.lease_path):
        stale.unlink(missing_ok=True)

    with moto_server(env.region) as emulator, pointed_at(emulator):
        session = emulator.session()
        _say(
            json_mode,
            f"2. creating the twin environments in an embedded AWS emulator ({emulator.endpoint})\n"
            "   This stands in for `terraform apply`: no AWS provider can run offline. It\n"
            "   builds the same load balancer, target groups, weighted listener and alarms\n"
            "   from the same model and yields the same stack outputs, so everything after\n"
            "   it is the production code path.",
        )
        outputs = create_twin_environments(session, env)
        (stack_dir / "zdd-outputs.json").write_text(outputs.to_terraform_json(), encoding="utf-8")
        clients = AwsClients(session)
        elbv2, cloudwatch = clients.elbv2, clients.cloudwatch
        strategy = env.strategy.model_copy(
            update={
                "type": "canary",
                "bake_seconds": bake_seconds,
                "poll_seconds": max(bake_seconds / 8, 0.05),
                "alarm_grace_seconds": bake_seconds,
                "gates": [],
            }
        )
        releases: list[Deployment] = []
        ok = True
        for version, bad in (("v2", False), ("v3", True)):
            live = AlbListenerRouter(elbv2, outputs).read().live or env.live_colour
            target: Colour = other_colour(live)
            _say(
                json_mode,
                f"\n3. release {version} -> {target} by canary"
                + (" (its 5xx alarm will fire during the canary)" if bad else ""),
            )
            injector = AlarmOnEvent(
                cloudwatch,
                outputs.alarm_names[target][0],
                reason="demo: 5xx rate 23% > 5% (injected)",
                armed=bad,
            )
            ctx = release.ReleaseContext(
                env=env,
                env_dir=environment_dir(env_name),
                clients=clients,
                store=store,
                events=EventBus([*_sinks(json_mode), injector]),
                command="demo",
            )
            try:
                release.shift(ctx, outputs, strategy, release=version)
                outcome_ok = not bad
            except ReleaseFailed:
                outcome_ok = bad
            finally:
                ctx.events.close()
            if bad:  # the incident is over: the alarm recovers for whatever comes next
                cloudwatch.set_alarm_state(
                    AlarmName=outputs.alarm_names[target][0],
                    StateValue="OK",
                    StateReason="demo: recovered",
                )
            doc = store.load()
            releases.append(doc.history[-1])
            ok = ok and outcome_ok
        final = AlbListenerRouter(elbv2, outputs).read()

    promoted, rolled_back = releases[0], releases[1]
    ok = (
        ok
        and promoted.status == "promoted"
        and rolled_back.status == "rolled_back"
        and final.weights[promoted.to_colour] == 100
    )
    if json_mode:
        result = {"result": {"ok": ok, "releases": [r.model_dump() for r in releases]}}
        print(json.dumps(result, sort_keys=True, default=str), flush=True)
    else:
        print("\nSummary", file=sys.stderr)
        for dep in releases:
            print("\n".join(_timeline(dep)), file=sys.stderr)
        verdict = "both releases behaved as expected" if ok else "UNEXPECTED OUTCOME"
        print(
            f"\nlive: {final.live} ({format_weights(final.weights)}); {verdict}; "
            f"{time.monotonic() - began:.1f}s in all",
            file=sys.stderr,
        )
    return DemoResult(ok, store_dir, outputs, dict(final.weights), releases)
