"""zdd: zero-downtime blue/green releases on AWS, as a library first.

    from generator import AwsClients, ReleaseContext, load_environment, open_store, shift

The CLI (``generator.cli``) is glue over these names. They are imported on first
use so that ``import generator`` (and ``zdd --help``) stays fast; the
``TYPE_CHECKING`` block gives type checkers the precise types.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from generator._version import __version__

if TYPE_CHECKING:
    from generator.aws import AwsClients
    from generator.colours import COLOURS, Colour, other_colour
    from generator.config import Environment, load_environment
    from generator.errors import ZddError
    from generator.infra.guard import Verdict, judge
    from generator.infra.hcl import hcl_string
    from generator.infra.outputs import StackOutputs, load_outputs
    from generator.infra.plan import PlanSummary, load_plan
    from generator.infra.provision import plan_stack, put_version_on_idle
    from generator.infra.render import generate, render_stack, write_stack
    from generator.infra.terraform import Terraform
    from generator.journal import open_store
    from generator.journal.dynamo import DynamoStore
    from generator.journal.local import LocalStore
    from generator.journal.model import Deployment, JournalDoc
    from generator.journal.protocol import DeploymentStore
    from generator.migrations import check_sql, pending_release_migrations
    from generator.rollout.aws.alarms import CloudWatchAlarms
    from generator.rollout.aws.alb import AlbListenerRouter
    from generator.rollout.aws.targets import HealthyTargets
    from generator.rollout.aws.wiring import build_engine
    from generator.rollout.engine.context import EngineSettings
    from generator.rollout.engine.engine import Engine, ReleaseSpec
    from generator.rollout.engine.schedule import STRATEGIES, build_schedule
    from generator.rollout.ports import HealthSignal, Reading, TrafficRouter
    from generator.rollout.release import ReleaseContext, deploy, shift

_EXPORTS = {
    "AwsClients": "generator.aws",
    "COLOURS": "generator.colours",
    "Colour": "generator.colours",
    "other_colour": "generator.colours",
    "Environment": "generator.config",
    "load_environment": "generator.config",
    "ZddError": "generator.errors",
    "Verdict": "generator.infra.guard",
    "judge": "generator.infra.guard",
    "hcl_string": "generator.infra.hcl",
    "StackOutputs": "generator.infra.outputs",
    "load_outputs": "generator.infra.outputs",
    "PlanSummary": "generator.infra.plan",
    "load_plan": "generator.infra.plan",
    "plan_stack": "generator.infra.provision",
    "put_version_on_idle": "generator.infra.provision",
    "generate": "generator.infra.render",
    "render_stack": "generator.infra.render",
    "write_stack": "generator.infra.render",
    "Terraform": "generator.infra.terraform",
    "DynamoStore": "generator.journal.dynamo",
    "LocalStore": "generator.journal.local",
    "Deployment": "generator.journal.model",
    "JournalDoc": "generator.journal.model",
    "DeploymentStore": "generator.journal.protocol",
    "open_store": "generator.journal",
    "check_sql": "generator.migrations",
    "pending_release_migrations": "generator.migrations",
    "EngineSettings": "generator.rollout.engine.context",
    "Engine": "generator.rollout.engine.engine",
    "ReleaseSpec": "generator.rollout.engine.engine",
    "ReleaseContext": "generator.rollout.release",
    "deploy": "generator.rollout.release",
    "shift": "generator.rollout.release",
    "AlbListenerRouter": "generator.rollout.aws.alb",
    "TrafficRouter": "generator.rollout.ports",
    "STRATEGIES": "generator.rollout.engine.schedule",
    "build_schedule": "generator.rollout.engine.schedule",
    "CloudWatchAlarms": "generator.rollout.aws.alarms",
    "HealthSignal": "generator.rollout.ports",
    "HealthyTargets": "generator.rollout.aws.targets",
    "Reading": "generator.rollout.ports",
    "build_engine": "generator.rollout.aws.wiring",
}

__all__ = [
    "COLOURS",
    "STRATEGIES",
    "AlbListenerRouter",
    "AwsClients",
    "CloudWatchAlarms",
    "Colour",
    "Deployment",
    "DeploymentStore",
    "DynamoStore",
    "Engine",
    "EngineSettings",
    "Environment",
    "HealthSignal",
    "HealthyTargets",
    "JournalDoc",
    "LocalStore",
    "PlanSummary",
    "Reading",
    "ReleaseContext",
    "ReleaseSpec",
    "StackOutputs",
    "Terraform",
    "TrafficRouter",
    "Verdict",
    "ZddError",
    "__version__",
    "build_engine",
    "build_schedule",
    "check_sql",
    "deploy",
    "generate",
    "hcl_string",
    "judge",
    "load_environment",
    "load_outputs",
    "load_plan",
    "open_store",
    "other_colour",
    "pending_release_migrations",
    "plan_stack",
    "put_version_on_idle",
    "render_stack",
    "shift",
    "write_stack",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'generator' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value
