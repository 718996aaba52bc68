"""The release use cases: gates, then schedule, then engine; used by CLI, demo and library.

``deploy`` orders its work so that nothing is applied before every gate that
could refuse the release has passed: validate the version, the migrations gate,
take the listener's lease (held and renewed until the release ends), then render,
plan, guard and apply the idle colour, then make it ready (scale it up if it was
scaled down, wait for its ECS rollout), then shift. A stop signal while terraform
runs stops terraform too and is journalled (``apply_interrupted``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.aws import AwsClients
from generator.colours import Colour, other_colour
from generator.config import Environment, Strategy
from generator.errors import MigrationRefused, RefusedError, ZddError
from generator.events import EventBus
from generator.infra.arns import check_outputs
from generator.infra.ecs import AwsEcsServices, EcsServices, tag_of
from generator.infra.outputs import StackOutputs
from generator.infra.provider_lock import committed_lock_path
from generator.infra.provision import check_version_tag, put_version_on_idle
from generator.infra.running import AwsSpecObserver
from generator.infra.spec import parse_recorded, spec_diff, spec_from_env
from generator.infra.terraform import Echo, Terraform
from generator.journal.model import Deployment
from generator.journal.protocol import DeploymentStore, Owner
from generator.migrations.gates import pending_release_migrations
from generator.rollout.adopt import adopt_live
from generator.rollout.aws.capacity import retire_idle, scale_up
from generator.rollout.aws.readiness import await_readiness
from generator.rollout.aws.wiring import build_engine, listener_reader
from generator.rollout.engine.context import RunContext
from generator.rollout.engine.engine import Engine, ReleaseSpec
from generator.rollout.engine.schedule import build_schedule
from generator.rollout.interrupted import apply_interrupted
from generator.rollout.lease import LeaseKeeper
from generator.rollout.ports import Clock, SystemClock


@dataclass
class ReleaseContext:
    """One environment's release machinery: its file, AWS, journal and event sinks."""

    env: Environment
    env_dir: Path
    clients: AwsClients
    store: DeploymentStore
    events: EventBus
    command: str = "zdd"
    clock: Clock | None = None
    services: EcsServices | None = None  # default: ECS and Application Auto Scaling

    def ecs(self) -> EcsServices:
        if self.services is None:
            self.services = AwsEcsServices(self.clients.ecs, self.clients.application_autoscaling)
        return self.services

    def engine(
        self, outputs: StackOutputs, strategy: Strategy | None = None, owner: Owner | None = None
    ) -> Engine:
        """The engine of this environment's stack; ``strategy``: the effective one (with
        command-line overrides), default the environment's; ``owner``: the lease holder
        when the release already holds it (``deploy`` takes it before its apply)."""
        check_outputs(outputs, self.env.region)  # garbage or another region: exit 2, no AWS call
        env = self.env if strategy is None else self.env.model_copy(update={"strategy": strategy})
        return build_engine(
            env,
            outputs,
            self.clients,
            self.store,
            events=self.events,
            clock=self.clock,
            owner=owner or Owner.current(self.command),
            env_dir=self.env_dir,
        )


def shift(
    ctx: ReleaseContext,
    outputs: StackOutputs,
    strategy: Strategy,
    *,
    to: Colour | None = None,
    release: str | None = None,
    break_lock: bool = False,
) -> Deployment:
    """The migrations gate, then the schedule, then the engine."""
    spec = ReleaseSpec(build_schedule(strategy), strategy.type, to=to, release=release)
    spec.migrations = _migrations_gate(ctx, release)
    return _shift(ctx, outputs, strategy, spec, break_lock)


def deploy(
    ctx: ReleaseContext,
    version: str,
    stack_dir: Path,
    strategy: Strategy,
    *,
    break_lock: bool = False,
    echo: Echo | None = None,
    terraform: type[Terraform] = Terraform,
) -> Deployment:
    """Gates first; then, holding the listener's lease, ``version`` goes onto the idle
    colour through Terraform; then shift."""
    check_version_tag(version)
    # The release's name: its tag plus a digest of the rest of its spec (a release that
    # changes only configuration has a name of its own).
    name = spec_from_env(ctx.env, version).release
    # A schedule that cannot be built refuses before any apply.
    spec = ReleaseSpec(build_schedule(strategy), strategy.type, release=name)
    spec.migrations = _migrations_gate(ctx, name)
    # The lease is held (and renewed) from before the apply to the idle colour until the
    # release ends: a second deploy is refused before it applies anything.
    owner = Owner.current(ctx.command)
    with LeaseKeeper(ctx.store, owner, force=break_lock) as lease:
        with apply_interrupted(ctx.store, ctx.events, name, ctx.command, ctx.clock):
            outputs = put_version_on_idle(
                ctx.env,
                version,
                stack_dir,
                listener_reader(ctx.clients.elbv2),
                echo=echo,
                terraform=terraform,
                observe=AwsSpecObserver(lambda: ctx.clients),
                provider_lock=committed_lock_path(ctx.env_dir, ctx.env.name),
            )
        lease.check()
        spec.changes = released_changes(ctx.env, outputs, version)
        return _shift(ctx, outputs, strategy, spec, break_lock, owner)


def released_changes(env: Environment, outputs: StackOutputs, version: str) -> list[str]:
    """The spec diff from the other colour to the one just applied with ``version``, as
    the journal keeps it (bounded: ``journal.budget``)."""
    from generator.journal.budget import SPEC_CHANGE_TEXT, SPEC_CHANGES_KEPT, clip_text

    if outputs.colour_specs is None:
        return []
    new = spec_from_env(env, version)
    specs = {
        c: parse_recorded(text, f"colour_specs.{c}") for c, text in outputs.colour_specs.items()
    }
    idle = next((c for c, s in specs.items() if s == new), None)
    if idle is None:
        return []
    lines = spec_diff(specs[other_colour(idle)], new)
    kept = [clip_text(line, SPEC_CHANGE_TEXT) for line in lines[:SPEC_CHANGES_KEPT]]
    if len(lines) > SPEC_CHANGES_KEPT:
        kept.append(f"... {len(lines) - SPEC_CHANGES_KEPT} more")
    return kept


def _shift(
    ctx: ReleaseContext,
    outputs: StackOutputs,
    strategy: Strategy,
    spec: ReleaseSpec,
    break_lock: bool,
    owner: Owner | None = None,
) -> Deployment:
    """The engine reads the listener once, under the lock, and makes the target ready
    (scale-up, readiness) before its pre-flight."""
    engine = ctx.engine(outputs, strategy, owner)

    def prepare(run: RunContext, target: Colour) -> None:
        _make_ready(ctx, run, outputs, strategy, target, "release")

    dep = engine.shift(spec, break_lock=break_lock, prepare=prepare)
    retire_idle(engine.ctx, ctx.ecs(), outputs, ctx.env, wait=True, poll=strategy.poll_seconds)
    return dep


def _make_ready(
    ctx: ReleaseContext,
    run: RunContext,
    outputs: StackOutputs,
    strategy: Strategy,
    colour: Colour,
    why: str,
) -> None:
    """Scale ``colour`` up if it was scaled down, then wait for its readiness."""
    if outputs.ecs_services is not None:
        scale_up(run, ctx.ecs(), outputs, ctx.env, colour, reason=why)
    await_readiness(
        run,
        ctx.ecs(),
        ctx.clients.elbv2,
        outputs,
        colour,
        timeout=strategy.ready_timeout_seconds,
        poll=strategy.poll_seconds,
        min_healthy=strategy.min_healthy_targets,
    )


def resume(
    ctx: ReleaseContext, outputs: StackOutputs, *, break_lock: bool = False
) -> Deployment | None:
    """Finish an interrupted deployment from its journal, or complete its rollback."""
    return ctx.engine(outputs).resume(break_lock=break_lock)


def _migrations_gate(ctx: ReleaseContext, release: str | None) -> list[str]:
    """The migrations gate; a refusal is journalled and announced like any other."""
    try:
        return pending_release_migrations(ctx.env, ctx.env_dir, ctx.store)
    except MigrationRefused as exc:
        from generator.journal.model import Actor, Refusal
        from generator.rollout.engine.refusals import record_refusal

        now = (ctx.clock or SystemClock()).now()
        refusal = Refusal(at=now, stage="migrations", reason=str(exc), release=release)
        record_refusal(ctx.store, ctx.events, refusal, Actor.detect(ctx.command))
        raise


def control(
    ctx: ReleaseContext, outputs: StackOutputs, what: Literal["promote", "abort"]
) -> Deployment:
    """``zdd promote`` / ``zdd abort``: the deployment as it stands once the request was
    acted on (by this process, or within a few polls by the zdd that holds the listener)."""
    from generator.rollout.views.outcome import settle_request

    dep = ctx.engine(outputs).request(what, wait=True)
    poll = ctx.env.strategy.poll_seconds
    done = settle_request(
        ctx.store, dep, poll_seconds=min(poll, 5.0), timeout=min(3 * poll + 5, 60), clock=ctx.clock
    )
    if what == "abort" and done.status == "promoted":  # never "done as asked" (exit 0)
        raise ZddError(
            f"deployment {done.id} was promoted before the abort could be acted on; "
            "`zdd rollback` undoes the promotion"
        )
    return done


def revert(
    ctx: ReleaseContext, outputs: StackOutputs, *, reason: str, wait: bool = True
) -> Deployment:
    """``zdd rollback``: after a promotion, all traffic back on the previous colour.

    A previous colour that was scaled down is scaled up and waited for first, or,
    without ``wait``, the rollback is refused (exit 3) with how long it would take.
    """
    strategy = ctx.env.strategy
    engine = ctx.engine(outputs)

    def prepare(run: RunContext, colour: Colour) -> None:
        if (
            outputs.ecs_services is not None
            and ctx.ecs().describe(outputs.ecs_services[colour]).desired == 0
        ):
            hc = ctx.env.health_check
            about = 60 + hc.interval_seconds * hc.healthy_threshold  # start, pull, checks
            if not wait:
                raise RefusedError(
                    f"{colour} is scaled down: rolling back first scales it up, about "
                    f"{about:g}s (at most {strategy.ready_timeout_seconds:g}s); "
                    "run without --no-wait to do that"
                )
            run.emit(
                "rollback.wait",
                f"{colour} is scaled down: scaling it up first; ready in about {about:g}s "
                f"(at most {strategy.ready_timeout_seconds:g}s)",
                "warning",
            )
        _make_ready(ctx, run, outputs, strategy, colour, "zdd rollback")

    def release(colour: Colour) -> str | None:
        return tag_of(outputs.versions[colour]) if outputs.versions else None

    dep = engine.revert(reason=reason, prepare=prepare, release=release)
    retire_idle(engine.ctx, ctx.ecs(), outputs, ctx.env, wait=True, poll=strategy.poll_seconds)
    return dep


def retire(ctx: ReleaseContext, outputs: StackOutputs) -> int | None:
    """``zdd finalize``'s capacity half: the idle colour to 0 tasks if that is due."""
    return retire_idle(ctx.engine(outputs).ctx, ctx.ecs(), outputs, ctx.env, wait=False)


def adopt(ctx: ReleaseContext, outputs: StackOutputs, colour: Colour, reason: str) -> Deployment:
    """``zdd adopt``: the listener's real state (all weight on ``colour``, read back through
    the same router a release moves) recorded as the truth, with who and why."""
    run = ctx.engine(outputs).ctx
    return adopt_live(run.store, run.router.read, colour, reason, clock=run.clock, owner=run.owner)
