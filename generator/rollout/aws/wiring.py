"""Wiring: the AWS-backed router and health signals an engine runs with.

Adding a health signal is a new class in ``signals`` (or its own module) and one
line in ``default_signals``; adding a router is a class and one line in
``build_engine``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from generator.colours import Colour
from generator.config import Hooks, Strategy
from generator.config.analysis import Analysis
from generator.config.infra import Stickiness
from generator.events import EventBus
from generator.infra.outputs import StackOutputs
from generator.journal.protocol import DeploymentStore, Owner
from generator.rollout.analysis.queries import Dimensions
from generator.rollout.aws.alarms import CloudWatchAlarms
from generator.rollout.aws.alb import AlbListenerRouter
from generator.rollout.aws.metric_analysis import MetricAnalysis
from generator.rollout.aws.targets import HealthyTargets
from generator.rollout.engine.context import EngineSettings
from generator.rollout.engine.engine import Engine
from generator.rollout.ports import Clock, HealthSignal, SystemClock

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client

    from generator.hooks import HookRunner
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


def build_engine(
    *,
    elbv2: ElasticLoadBalancingv2Client,
    cloudwatch: CloudWatchClient,
    outputs: StackOutputs,
    store: DeploymentStore,
    strategy: Strategy,
    settings: EngineSettings | None = None,
    events: EventBus | None = None,
    clock: Clock | None = None,
    owner: Owner | None = None,
    hooks: Hooks | None = None,
    hooks_cwd: Path | None = None,
    extra_signals: Sequence[HealthSignal] = (),
    stickiness: Stickiness | None = None,
    analysis: Analysis | None = None,
    hook_runner: HookRunner | None = None,
) -> Engine:
    """An engine for one stack on AWS: ALB listener router, alarms and target health.

    ``stickiness`` (the environment's) is applied with every move; None keeps the
    listener's own.
    """
    return Engine(
        router=AlbListenerRouter(elbv2, outputs, stickiness=stickiness),
        signals=[
            *default_signals(elbv2, cloudwatch, outputs, strategy),
            *analysis_signals(cloudwatch, outputs, analysis, clock),
            *extra_signals,
        ],
        store=store,
        settings=settings or EngineSettings.from_strategy(strategy),
        events=events,
        clock=clock,
        owner=owner,
        hooks=hooks,
        hooks_cwd=hooks_cwd,
        versions=outputs.versions,  # what each colour runs, per the stack
        hook_runner=hook_runner,
    )


def listener_reader(elbv2: ElasticLoadBalancingv2Client) -> LiveReader:
    """The live colour of a stack, read from its production listener."""

    def read(outputs: StackOutputs) -> Colour | None:
        return AlbListenerRouter(elbv2, outputs).read().live

    return read
