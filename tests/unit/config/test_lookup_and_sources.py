"""Where `--env` looks, the fields that reach module inputs, module sources, placeholders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.config import load_environment, parse_environment
from generator.errors import ConfigError, InputError
from tests.conftest import ROOT

STAGING = ROOT / "environments" / "staging.yaml"


def _staging() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(STAGING.read_text())
    return data


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_environment(data, "env.yaml")
    return caught.value.problems


# -- --env NAME --------------------------------------------------------------


def test_a_name_is_looked_up_in_the_current_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ZDD_ENVIRONMENTS", raising=False)
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "staging.yaml").write_text(STAGING.read_text())
    monkeypatch.chdir(tmp_path)
    assert load_environment("staging").name == "staging"


def test_zdd_environments_moves_the_folder(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "staging.yaml").write_text(STAGING.read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZDD_ENVIRONMENTS", "deploy")
    assert load_environment("staging").service == "shop"
    with pytest.raises(InputError) as caught:
        load_environment("prod")
    message = str(caught.value)
    assert str(tmp_path / "deploy" / "prod.yaml") in message
    assert "$ZDD_ENVIRONMENTS" in message and "holds staging" in message


def test_not_found_says_where_zdd_looked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ZDD_ENVIRONMENTS", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        load_environment("staging")
    message = str(caught.value)
    assert str(tmp_path / "environments" / "staging.yaml") in message
    assert "does not exist" in message and "zdd init" in message
    with pytest.raises(InputError, match="no such environment file"):
        load_environment("elsewhere/staging.yaml")


# -- inputs the environment file reaches ---------------------------------------


def test_web_acl_alarm_actions_and_log_retention() -> None:
    data = _staging()
    data["load_balancer"]["web_acl_arn"] = (
        "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop/0f2a8c3e-1b4d"
    )
    data["alarms"]["actions"] = ["arn:aws:sns:eu-west-1:123456789012:oncall"]
    data["container"]["log_retention_days"] = 90
    env = parse_environment(data, "env.yaml")
    assert env.load_balancer.web_acl_arn and env.alarms.actions and env.container
    assert env.container.log_retention_days == 90


@pytest.mark.parametrize(
    ("section", "field", "value", "expected"),
    [
        ("load_balancer", "web_acl_arn", "arn:aws:wafv2:eu-west-1:1:global/webacl/x/y", "regional"),
        ("load_balancer", "web_acl_arn", "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x/y",
         "region eu-west-1"),
        ("alarms", "actions", ["arn:aws:sqs:eu-west-1:123456789012:q"], "SNS topic ARN"),
        ("alarms", "actions", ["arn:aws:sns:us-east-1:123456789012:t"], "region eu-west-1"),
        ("alarms", "actions", [f"arn:aws:sns:eu-west-1:123456789012:t{i}" for i in range(6)],
         "at most 5"),
        ("container", "log_retention_days", 10, "CloudWatch Logs accepts"),
    ],
)  # fmt: skip
def test_bad_inputs_are_one_line_each(section: str, field: str, value: Any, expected: str) -> None:
    data = _staging()
    data[section][field] = value
    problems = _problems(data)
    assert len(problems) == 1
    assert problems[0].startswith(f"env.yaml: {section}.{field}")
    assert expected in problems[0]


# -- module sources --------------------------------------------------------------


@pytest.mark.parametrize(
    ("modules", "expected"),
    [
        ({"git": "git::https://example.com/acme/zdd.git"}, "modules.ref: required with git"),
        ({"git": "https://example.com/acme/zdd.git", "ref": "v1"}, "git::SCHEME://"),
        ({"git": "git::https://example.com/zdd.git//sub", "ref": "v1"}, "modules.path"),
        ({"git": "git::https://example.com/zdd.git?ref=v1", "ref": "v1"}, "without ?query"),
        ({"registry": "acme/zdd-{name}/aws"}, "modules.version: required"),
        ({"registry": "acme/zdd/aws", "version": "1.0.0"}, "with {name} once"),
        ({"registry": "acme/zdd-{name}/aws", "version": "~> 1.0"}, "exact version"),
        ({"git": "git::https://e.com/z.git", "ref": "v1", "registry": "a/{name}/aws",
          "version": "1.0.0"}, "not both"),
        ({"ref": "v1"}, "applies to git only"),
        ({"path": "tf"}, "applies to git only"),
    ],
)  # fmt: skip
def test_module_sources_must_be_pinned_and_well_formed(
    modules: dict[str, str], expected: str
) -> None:
    data = _staging()
    data["modules"] = modules
    problems = _problems(data)
    assert len(problems) == 1 and problems[0].startswith("env.yaml: modules"), problems
    assert expected in problems[0]


def test_module_sources_that_are_fine() -> None:
    for modules in (
        {"git": "git::https://example.com/acme/zdd.git", "ref": "v0.1.0"},
        {"git": "git::ssh://git@example.com/acme/infra.git", "ref": "0a1b2c3", "path": "tf/zdd"},
        {"git": "git@example.com:acme/zdd.git", "ref": "release/1.x"},
        {"registry": "acme/zdd-{name}/aws", "version": "1.2.0"},
        {"registry": "registry.example.com:8443/acme/{name}/aws", "version": "1.2.0-rc.1"},
    ):
        data = _staging()
        data["modules"] = modules
        assert not parse_environment(data, "env.yaml").modules.vendored


# -- placeholders ----------------------------------------------------------------


def test_each_placeholder_left_is_named() -> None:
    data = _staging()
    data["service"] = "<SERVICE>"
    data["network"]["subnet_ids"] = ["subnet-0a1b2c3d4e5f60001", "<SUBNET-ID-2>"]
    assert _problems(data) == [
        "env.yaml: service: still the placeholder <SERVICE> that `zdd init` wrote; fill it in",
        "env.yaml: network.subnet_ids[1]: still the placeholder <SUBNET-ID-2> that `zdd init` "
        "wrote; fill it in",
    ]
