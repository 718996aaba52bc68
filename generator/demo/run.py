"""`zdd demo`: the whole story on an embedded AWS emulator, in about a minute and a half.

Renders the environment and applies it with the real terraform and AWS provider
against an embedded moto (``generator.demo.stack``; when Terraform or the
provider cannot run it says why and falls back to a stand-in that creates the twin
environments directly), then runs three releases through the production code path:
v2 passes its canary and is promoted; v3's 5xx alarm fires during its canary and it
is rolled back; v4 is rolled back by its comparison with live.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.aws import AwsClients
from generator.colours import Colour, other_colour
from generator.config import Environment, environment_dir, load_environment
from generator.errors import ReleaseFailed
from generator.events import EventBus, EventSink, Origin, jsonable
from generator.events.select import console_sink
from generator.infra.outputs import StackOutputs
from generator.journal.local import LocalStore
from generator.journal.model import Deployment
from generator.journal.protocol import DeploymentStore
from generator.rollout import release
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.ports import format_weights


@dataclass
class DemoResult:
    ok: bool
    store_dir: Path
    outputs: StackOutputs
    final_weights: dict[Colour, int]
    releases: list[Deployment] = field(default_factory=list)
    report: Path | None = None  # the HTML report of the releases
    applied: bool = False  # True: the stack was applied by terraform; False: the stand-in


def _sinks(json_mode: bool, origin: Origin | None = None) -> list[EventSink]:
    """The same console view as the CLI: live panel, plain lines or JSON Lines."""
    return [console_sink(json_mode, origin)]


def write_demo_report(store: DeploymentStore, path: Path, releases: int) -> Path:
    """The HTML report of the demo's releases (the last ``releases`` in the journal)."""
    from generator.report import export

    export(store, last=releases, html=path)
    return path


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


def _with_idle_scaled_down(env: Environment, seconds: float) -> Environment:
    """The demo's environment: the idle colour runs 0 tasks, retired ``seconds`` after."""
    capacity = env.capacity.model_copy(
        update={"idle": "scaled_down", "scale_down_after_seconds": seconds}
    )
    return env.model_copy(update={"capacity": capacity})


def _slow_rollouts(describes: int = 4) -> None:
    """The emulator's ECS finishes a rollout after a few looks, so readiness is seen waiting."""
    from generator.demo.ecs_scheduler import SETTINGS

    SETTINGS.describes_to_settle = describes


def _apply_release(
    session: Any, env: Environment, outputs: StackOutputs, colour: Colour, version: str
) -> StackOutputs:
    """What `terraform apply` does to the idle colour: a task definition running ``version``."""
    from generator.demo.ecs_world import register_task_definition

    assert outputs.ecs_services is not None and outputs.versions is not None
    ref = outputs.ecs_services[colour]
    arn = register_task_definition(session, env, colour, version)
    session.client("ecs").update_service(
        cluster=ref.cluster, service=ref.service, taskDefinition=arn
    )
    image = f"{env.container.image}:{version}"
    return outputs.model_copy(update={"versions": {**outputs.versions, colour: image}})


def _tasks_line(session: Any, outputs: StackOutputs) -> str:
    """Each colour's image tag and running/desired tasks, as ECS reports them."""
    from generator.infra.ecs import AwsEcsServices, tag_of

    services = AwsEcsServices(session.client("ecs"), session.client("application-autoscaling"))
    parts = []
    for colour, ref in (outputs.ecs_services or {}).items():
        state = services.describe(ref)
        tag = tag_of(services.image(state.task_definition))
        parts.append(f"{colour} runs {tag}: {state.running} running, {state.desired} desired")
    return ", ".join(parts)


def _analysis_release(
    session: Any,
    env: Environment,
    env_name: str,
    clients: AwsClients,
    outputs: StackOutputs,
    store: LocalStore,
    json_mode: bool,
) -> Deployment:
    """Release v4: rolled back by the comparison with live while no alarm fires."""
    from generator.demo.analysis import analysis_release

    sinks = _sinks(json_mode, Origin(env.service, env.name))
    return analysis_release(
        env,
        environment_dir(env_name),
        clients,
        outputs,
        store,
        sinks,
        lambda text: _say(json_mode, text),
        lambda colour, version: _apply_release(session, env, outputs, colour, version),
    )


def _canary(env: Environment, bake_seconds: float) -> Any:
    return env.strategy.model_copy(
        update={
            "type": "canary",
            "bake_seconds": bake_seconds,
            "poll_seconds": max(bake_seconds / 8, 0.05),
            "alarm_grace_seconds": bake_seconds,
            "gates": [],
        }
    )


def _canary_release(
    demo: _Demo, version: str, bad: bool, bake_seconds: float
) -> tuple[Deployment, bool]:
    """One release by canary; ``bad``: its 5xx alarm fires and it is rolled back."""
    from generator.demo.injectors import AlarmOnEvent

    env, outputs, cloudwatch = demo.env, demo.outputs, demo.clients.cloudwatch
    live = AlbListenerRouter(demo.clients.elbv2, outputs).read().live or env.live_colour
    target: Colour = other_colour(live)
    demo.say(
        f"\n3. release {version} -> {target} by canary"
        + (" (its 5xx alarm will fire during the canary)" if bad else "")
    )
    alarm = outputs.alarm_names[target][0]
    injector = AlarmOnEvent(
        cloudwatch, alarm, reason="demo: 5xx rate 23% > 5% (injected)", armed=bad
    )
    ctx = release.ReleaseContext(
        env=env,
        env_dir=environment_dir(demo.env_name),
        clients=demo.clients,
        store=demo.store,
        events=EventBus([*_sinks(demo.json_mode, Origin(env.service, env.name)), injector]),
        command="demo",
    )
    try:
        applied = _apply_release(demo.session, env, outputs, target, version)
        release.shift(ctx, applied, _canary(env, bake_seconds), release=version)
        outcome_ok = not bad
    except ReleaseFailed:
        outcome_ok = bad
    finally:
        ctx.events.close()
    if bad:  # the incident is over: the alarm recovers for whatever comes next
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="demo: recovered")
    demo.say(f"   ECS now: {_tasks_line(demo.session, outputs)}")
    return demo.store.load().history[-1], outcome_ok


@dataclass
class _Demo:
    """What the releases share: the applied stack, its emulator's clients and the journal."""

    env_name: str
    env: Environment
    outputs: StackOutputs
    session: Any
    clients: AwsClients
    store: LocalStore
    json_mode: bool

    def say(self, text: str) -> None:
        _say(self.json_mode, text)


def _releases(demo: _Demo, bake_seconds: float) -> tuple[list[Deployment], bool]:
    """v2 promoted, v3 rolled back by its alarm, v4 rolled back by the analysis."""
    demo.say(
        "\n   Each release below simulates what its `terraform apply` would do to the idle\n"
        "   colour (a new task definition, the service updated in the emulator's ECS),\n"
        "   instead of another plan and apply; the rest is the production code path."
    )
    releases: list[Deployment] = []
    ok = True
    for version, bad in (("v2", False), ("v3", True)):
        dep, outcome_ok = _canary_release(demo, version, bad, bake_seconds)
        releases.append(dep)
        ok = ok and outcome_ok
    judged = _analysis_release(
        demo.session,
        demo.env,
        demo.env_name,
        demo.clients,
        demo.outputs,
        demo.store,
        demo.json_mode,
    )
    releases.append(judged)
    return releases, ok and judged.status == "rolled_back"


def _print_result(
    json_mode: bool, ok: bool, releases: list[Deployment], report: Path, final: Any, began: float
) -> None:
    if json_mode:
        result = {
            "result": {
                "status": "ok" if ok else "unexpected",
                "ok": ok,
                "releases": [jsonable(r.model_dump()) for r in releases],
                "report": str(report),
            }
        }
        print(json.dumps(result, sort_keys=True, default=str), flush=True)
        return
    print("\nSummary", file=sys.stderr)
    for dep in releases:
        print("\n".join(_timeline(dep)), file=sys.stderr)
    verdict = "the releases behaved as expected" if ok else "UNEXPECTED OUTCOME"
    print(
        f"\nlive: {final.live} ({format_weights(final.weights)}); {verdict}; "
        f"{time.monotonic() - began:.1f}s in all",
        file=sys.stderr,
    )
    print(f"report of the releases: {report}", file=sys.stderr)


def run_demo(
    env_name: str = "staging",
    *,
    bake_seconds: float = 2.0,
    json_mode: bool = False,
    workdir: Path | None = None,
) -> DemoResult:
    from generator.demo.emulator import moto_server, pointed_at
    from generator.demo.stack import demo_environment, twin_stack

    began = time.monotonic()
    work = workdir or Path("build") / "demo"
    env_file, packaged = demo_environment(env_name, work)
    if packaged:
        _say(json_mode, f"0. no {env_name} environment here: using zdd's example ({env_file})")
    env_name = str(env_file)  # a path: every step below reads this file
    region = load_environment(env_name).region
    store_dir = work / ".zdd"

    def adjust(env: Environment) -> Environment:
        return _with_idle_scaled_down(env, bake_seconds)

    with moto_server(region, for_terraform=True) as emulator, pointed_at(emulator):
        stack = twin_stack(emulator, env_name, adjust, work, lambda text: _say(json_mode, text))
        env, outputs = stack.env, stack.outputs
        store = LocalStore(store_dir, env.service, env.name)
        for stale in (store.path, store.lease_path):
            stale.unlink(missing_ok=True)
        session = emulator.session()
        demo = _Demo(env_name, env, outputs, session, AwsClients(session), store, json_mode)
        _slow_rollouts()
        try:
            releases, ok = _releases(demo, bake_seconds)
            final = AlbListenerRouter(demo.clients.elbv2, outputs).read()
        finally:
            _slow_rollouts(0)

    promoted, rolled_back = releases[0], releases[1]
    ok = (
        ok
        and promoted.status == "promoted"
        and rolled_back.status == "rolled_back"
        and final.weights[promoted.to_colour] == 100
    )
    report = write_demo_report(store, work / "report.html", len(releases))
    _print_result(json_mode, ok, releases, report, final, began)
    return DemoResult(ok, store_dir, outputs, dict(final.weights), releases, report, stack.applied)
