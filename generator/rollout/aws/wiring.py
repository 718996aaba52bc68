"""Wiring: the AWS-backed router and health signals an engine runs with.

Adding a health signal is a new class in ``signals`` (or its own module) and one
line in ``default_signals``; adding a router is a class and one line in
``run_context``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.colours import Colour
from generator.config import Environment, Strategy
from generator.config.analysis import Analysis
from generator.events import EventBus
from generator.hooks import HookClients, hook_runner_for
from generator.infra.outputs import StackOutputs
from generator.journal.budget import HANDOFF_LIMIT
from generator.journal.model import Handoff
from generator.journal.protocol import DEFAULT_LEASE_SECONDS, DeploymentStore, Owner
from generator.rollout.analysis.queries import Dimensions
from generator.rollout.aws.alarms import CloudWatchAlarms
from generator.rollout.aws.metric_analysis import MetricAnalysis
from generator.rollout.aws.rules import router_for
from generator.rollout.aws.targets import HealthyTargets
from generator.rollout.engine.context import EngineSettings, RunContext
from generator.rollout.engine.engine import Engine
from generator.rollout.ports import Clock, HealthSignal, SystemClock

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client

    from generator.aws import AwsClients
    from generator.infra.provision import LiveReader


def default_signals(
    elbv2: ElasticLoadBalancingv2Client,
    cloudwatch: CloudWatchClient,
    outputs: StackOutputs,
    strategy: Strategy,
) -> list[HealthSignal]:
    """The signals every release is judged by."""
    return [
        CloudWatchAlarms(cloudwatch, outputs.alarm_names, allow_unwatched=strategy.allow_unwatched),
        HealthyTargets(elbv2, outputs.target_group_arns, strategy.min_healthy_targets),
    ]


def analysis_signals(
    cloudwatch: CloudWatchClient,
    outputs: StackOutputs,
    analysis: Analysis | None,
    clock: Clock | None,
) -> list[HealthSignal]:
    """The environment's ``analysis`` section as a signal, when it has one."""
    if analysis is None:
        return []
    dimensions = None
    if outputs.load_balancer_arn_suffix and outputs.target_group_arn_suffixes:
        dimensions = Dimensions(outputs.load_balancer_arn_suffix, outputs.target_group_arn_suffixes)
    return [MetricAnalysis(cloudwatch, analysis, dimensions, (clock or SystemClock()).now)]


def run_context(
    env: Environment,
    outputs: StackOutputs,
    clients: AwsClients,
    store: DeploymentStore,
    *,
    events: EventBus | None = None,
    clock: Clock | None = None,
    owner: Owner | None = None,
    env_dir: Path | None = None,
) -> RunContext:
    """The collaborators of a release of ``env`` on AWS: the routes' router, alarms,
    target health (and metric analysis when configured), the journal, hooks.

    Strategy (poll, grace, gate timeout), stickiness, analysis and hooks all come from
    ``env``; hooks run in ``env_dir`` (the environment file's folder; default: here).
    """
    strategy = env.strategy
    clock = clock or SystemClock()
    return RunContext(
        router=router_for(clients.elbv2, outputs, stickiness=env.load_balancer.stickiness),
        signals=(
            *default_signals(clients.elbv2, clients.cloudwatch, outputs, strategy),
            *analysis_signals(clients.cloudwatch, outputs, env.analysis, clock),
        ),
        store=store,
        settings=replace(
            EngineSettings.from_strategy(strategy),
            heartbeat_seconds=min(30.0, lease_of(store) / 4),
        ),
        events=events or EventBus(),
        clock=clock,
        owner=owner or Owner.current("zdd"),
        hooks=env.hooks,
        hooks_cwd=env_dir or Path.cwd(),
        versions=dict(outputs.versions or {}),  # what each colour runs, per the stack
        hook_runner=hook_runner_for(
            env,
            outputs,
            env_dir or Path.cwd(),
            HookClients(ecs=lambda: clients.ecs, lambda_=lambda: clients.lambda_),
        ),
        handoff=handoff_of(env, outputs, lease_of(store)),
    )


def lease_of(store: DeploymentStore) -> float:
    """How long the store's leases last (the engine renews at a quarter of that)."""
    return float(getattr(store, "lease_seconds", None) or DEFAULT_LEASE_SECONDS)


def handoff_of(env: Environment, outputs: StackOutputs, lease_seconds: float) -> Handoff | None:
    """What `zdd warden` needs to end a release of ``env`` whose runner died, or None when
    it would not fit its budget (the warden then only notifies)."""
    handoff = Handoff(
        on_orphan=env.warden.on_orphan,
        region=env.region,
        lease_seconds=lease_seconds,
        # The colours' specs are for rendering; the warden only moves weights.
        outputs=json.loads(outputs.model_dump_json(exclude_none=True, exclude={"colour_specs"})),
        strategy=env.strategy.model_dump(mode="json", exclude_defaults=True),
        notify=env.webhooks.model_dump(mode="json", exclude_defaults=True),
    )
    return handoff if len(handoff.model_dump_json()) <= HANDOFF_LIMIT else None


def build_engine(
    env: Environment,
    outputs: StackOutputs,
    clients: AwsClients,
    store: DeploymentStore,
    *,
    events: EventBus | None = None,
    clock: Clock | None = None,
    owner: Owner | None = None,
    env_dir: Path | None = None,
) -> Engine:
    """A finished engine for one release of ``env`` on AWS (see ``run_context``).

    A variant for tests or benchmarks: ``build_engine(env.model_copy(update=...), ...)``,
    or ``Engine(dataclasses.replace(run_context(...), router=...))``.
    """
    return Engine(
        run_context(
            env, outputs, clients, store, events=events, clock=clock, owner=owner, env_dir=env_dir
        )
    )


def listener_reader(elbv2: ElasticLoadBalancingv2Client) -> LiveReader:
    """The live colour of a stack, read from every route (its production listener)."""

    def read(outputs: StackOutputs) -> Colour | None:
        return router_for(elbv2, outputs).read().live

    return read
