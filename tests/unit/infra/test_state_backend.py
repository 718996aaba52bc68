"""The S3 backend as teams keep it: S3's own lock file, an optional DynamoDB table, a role
assumed into a central state account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.config import Environment, load_environment
from generator.config.rollout import StateBackend
from generator.errors import ConfigError
from generator.infra.render import generate
from tests.conftest import ROOT

ROLE = "arn:aws:iam::111122223333:role/terraform-state"


def state_env(**state: Any) -> Environment:
    """The staging example with ``state: {bucket: team-state, **state}``."""
    base = load_environment(ROOT / "environments" / "staging.yaml")
    backend = StateBackend.model_validate({"bucket": "team-state", **state})
    return base.model_copy(update={"state": backend})


def _versions(env: Environment, tmp_path: Path) -> str:
    generate(env, tmp_path)
    return (tmp_path / "versions.tf").read_text()


def test_default_state_locks_with_s3s_lock_file_and_needs_terraform_1_10(tmp_path: Path) -> None:
    text = _versions(state_env(), tmp_path)
    assert "use_lockfile = true" in text
    assert "dynamodb_table" not in text
    assert 'required_version = ">= 1.10"' in text


def test_a_dynamodb_table_alone_keeps_older_terraform(tmp_path: Path) -> None:
    text = _versions(state_env(use_lockfile=False, lock_table="team-locks"), tmp_path)
    assert 'dynamodb_table = "team-locks"' in text
    assert "use_lockfile" not in text
    assert 'required_version = ">= 1.5"' in text


def test_a_central_state_account_is_reached_by_assuming_its_role(tmp_path: Path) -> None:
    text = _versions(state_env(role_arn=ROLE), tmp_path)
    assert f'assume_role = {{\n      role_arn = "{ROLE}"\n    }}' in text


def test_state_without_any_lock_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    source = (ROOT / "environments" / "staging.yaml").read_text()
    path.write_text(source + "state:\n  bucket: team-state\n  use_lockfile: false\n")
    with pytest.raises(ConfigError, match=r"state: .*needs a lock: keep use_lockfile"):
        load_environment(path)


def test_a_role_that_is_not_an_iam_role_arn_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    source = (ROOT / "environments" / "staging.yaml").read_text()
    path.write_text(source + "state:\n  bucket: team-state\n  role_arn: terraform-state\n")
    with pytest.raises(ConfigError, match=r"state.role_arn: must be an IAM role ARN"):
        load_environment(path)
