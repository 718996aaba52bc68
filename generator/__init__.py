"""zdd: zero-downtime blue/green releases on AWS, as a library first.

    from generator import load_environment, render_stack, Engine, ReleaseSpec

The CLI (``generator.cli``) only calls what is exported here. Names are loaded
on first use so that importing the package (and ``zdd --help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Environment": "generator.config",
    "load_environment": "generator.config",
    "render_stack": "generator.render",
    "write_stack": "generator.render",
    "generate": "generator.render",
    "hcl_string": "generator.hcl",
    "Terraform": "generator.terraform",
    "PlanSummary": "generator.plan",
    "load_plan": "generator.plan",
    "judge": "generator.guard",
    "StackOutputs": "generator.outputs",
    "load_outputs": "generator.outputs",
    "TrafficShifter": "generator.traffic",
    "AlarmWatcher": "generator.alarms",
    "Engine": "generator.deploy",
    "EngineSettings": "generator.deploy",
    "ReleaseSpec": "generator.deploy",
    "build_schedule": "generator.strategy",
    "LocalStore": "generator.store",
    "DynamoStore": "generator.store",
    "open_store": "generator.store",
    "check_sql": "generator.migrations",
    "AwsClients": "generator.aws",
    "ZddError": "generator.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'generator' has no attribute {name!r}")
    return getattr(import_module(module), name)
