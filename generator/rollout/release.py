"""The release use cases: gates, then schedule, then engine; used by CLI, demo and library.

``deploy`` orders its work so that nothing is applied before every gate that
could refuse the release has passed: validate the version, the migrations gate,
then render, plan, guard and apply the idle colour, then shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.aws import AwsClients
from generator.colours import Colour
from generator.config import Environment, Strategy
from generator.events import EventBus
from generator.infra.outputs import StackOutputs, load_outputs
from generator.infra.provision import check_version_tag, put_version_on_idle
from generator.infra.terraform import Echo, Terraform
from generator.journal.model import Deployment
from generator.journal.store import DeploymentStore, Owner
from generator.migrations.gates import pending_release_migrations
from generator.rollout.context import Clock
from generator.rollout.engine import Engine, ReleaseSpec
from generator.rollout.schedule import build_schedule
from generator.rollout.wiring import build_engine, listener_reader


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

    def engine(self, outputs: StackOutputs, strategy: Strategy | None = None) -> Engine:
        return build_engine(
            elbv2=self.clients.elbv2,
            cloudwatch=self.clients.cloudwatch,
            outputs=outputs,
            store=self.store,
            strategy=strategy or self.env.strategy,
            events=self.events,
            clock=self.clock,
            owner=Owner.current(self.command),
            hooks=self.env.hooks,
            hooks_cwd=self.env_dir,
            stickiness=self.env.load_balancer.stickiness,
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
    migrations = pending_release_migrations(ctx.env, ctx.env_dir, ctx.store)
    return _shift(ctx, outputs, strategy, to, release, migrations, break_lock)


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
    """Gates first; then ``version`` goes onto the idle colour through Terraform; then shift."""
    check_version_tag(version)
    build_schedule(strategy)  # a schedule that cannot be built refuses before any apply
    migrations = pending_release_migrations(ctx.env, ctx.env_dir, ctx.store)
    outputs_file = put_version_on_idle(
        ctx.env,
        version,
        stack_dir,
        listener_reader(ctx.clients.elbv2),
        echo=echo,
        terraform=terraform,
    )
    outputs = load_outputs(outputs_file)
    return _shift(ctx, outputs, strategy, None, version, migrations, break_lock)


def _shift(
    ctx: ReleaseContext,
    outputs: StackOutputs,
    strategy: Strategy,
    to: Colour | None,
    release: str | None,
    migrations: list[str],
    break_lock: bool,
) -> Deployment:
    spec = ReleaseSpec(
        schedule=build_schedule(strategy),
        strategy=strategy.type,
        to=to,
        release=release,
        migrations=migrations,
    )
    return ctx.engine(outputs, strategy).shift(spec, break_lock=break_lock)


def resume(
    ctx: ReleaseContext, outputs: StackOutputs, *, break_lock: bool = False
) -> Deployment | None:
    """Finish an interrupted deployment from its journal, or complete its rollback."""
    return ctx.engine(outputs).resume(break_lock=break_lock)


def control(
    ctx: ReleaseContext, outputs: StackOutputs, what: Literal["promote", "abort"]
) -> Deployment:
    """``zdd promote`` / ``zdd abort``."""
    return ctx.engine(outputs).request(what)
