"""The warden in the stack: rendered when the environment enables it, never otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.config import load_environment
from generator.errors import ConfigError
from generator.infra.render import render_stack
from tests.conftest import ROOT


def _env(tmp_path: Path, **changes: Any):  # type: ignore[no-untyped-def]
    data = yaml.safe_load((ROOT / "environments" / "staging.yaml").read_text())
    data.update(changes)
    path = tmp_path / "staging.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_environment(path)


def test_an_enabled_warden_is_rendered_with_its_schedule(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        store={"url": "dynamodb://shop-zdd"},
        warden={"enabled": True, "schedule": "rate(5 minutes)", "on_orphan": "resume"},
    )
    stack = render_stack(env)
    text = stack.files["warden.tf"]
    assert 'schedule_expression = "rate(5 minutes)"' in text
    assert "listener_arns       = [module.alb.listener_arn, module.alb.test_listener_arn]" in text
    assert "notify_bus_arns     = []" in text
    assert "table_name          = module.deployment_store.table_name" in text
    assert "warden" in stack.modules


def test_no_warden_unless_enabled(staging) -> None:
    stack = render_stack(staging)
    assert "warden.tf" not in stack.files and "warden" not in stack.modules


def test_a_warden_needs_the_dynamodb_store(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"warden\.enabled: .*dynamodb://TABLE"):
        _env(tmp_path, warden={"enabled": True})


def test_a_schedule_eventbridge_would_refuse_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"warden\.schedule"):
        _env(tmp_path, store={"url": "dynamodb://t"}, warden={"schedule": "every minute"})


def test_a_warden_on_a_shared_load_balancer_may_move_only_the_services_rules(
    tmp_path: Path,
) -> None:
    """On an existing ALB there is no `module.alb`: the warden gets the listeners the
    service's rules sit on (its policy covers their rules, nothing else of the ALB)."""
    data = yaml.safe_load((ROOT / "tests" / "fixtures" / "routes" / "orders.yaml").read_text())
    data.update(store={"url": "dynamodb://orders-zdd"}, warden={"enabled": True})
    path = tmp_path / "orders.yaml"
    path.write_text(yaml.safe_dump(data))
    stack = render_stack(load_environment(path))
    text = stack.files["warden.tf"]
    assert "module.alb" not in text
    assert "listener_arns       = local.listener_arns" in text
    assert "local.listener_arns" in stack.files["routes.tf"]
