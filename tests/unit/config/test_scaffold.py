"""`zdd init`: a file to fill in, .gitignore entries, never an overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.config import load_environment, parse_environment
from generator.config.scaffold import PLACEHOLDERS, environment_yaml, init_repository
from generator.errors import ConfigError, InputError

FILLED = {
    "<SERVICE>": "shop",
    "<REGION>": "eu-west-1",
    "<IMAGE-TAG>": "1.0.0",
    "<VPC-ID>": "vpc-0a1b2c3d4e5f60718",
    "<SUBNET-ID-1>": "subnet-0a1b2c3d4e5f60001",
    "<SUBNET-ID-2>": "subnet-0a1b2c3d4e5f60002",
    "<PUBLIC-SUBNET-ID-1>": "subnet-0a1b2c3d4e5f60101",
    "<PUBLIC-SUBNET-ID-2>": "subnet-0a1b2c3d4e5f60102",
    "<IMAGE>": "public.ecr.aws/nginx/nginx",
}


def fill(text: str) -> str:
    for placeholder, value in FILLED.items():
        text = text.replace(placeholder, value)
    return text


@pytest.fixture(autouse=True)
def _no_environments_variable(monkeypatch) -> None:
    monkeypatch.delenv("ZDD_ENVIRONMENTS", raising=False)


def test_init_writes_a_file_that_validates_once_filled(tmp_path: Path, run_cli) -> None:
    result = run_cli("init", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "environments" / "staging.yaml"
    assert f"created {Path('environments') / 'staging.yaml'}" in result.stdout
    assert result.stdout.rstrip().splitlines()[-3:] == [
        "  zdd validate --env staging",
        "  zdd generate --env staging",
        "  zdd plan --env staging",
    ]
    refused = run_cli("validate", "--env", "staging", cwd=tmp_path)
    assert refused.exit_code == 2
    named = {line.split(": ")[1] for line in refused.stderr.splitlines()}
    assert {"service", "region", "network.vpc_id", "network.subnet_ids[0]"} <= named
    assert {"container.image", "versions.blue"} <= named
    path.write_text(fill(path.read_text()))
    env = load_environment("staging", tmp_path)
    assert (env.name, env.service, env.region) == ("staging", "shop", "eu-west-1")


def test_every_default_shown_is_one_the_schema_accepts() -> None:
    """Uncommenting everything (here: writing every default out) still validates."""
    every = yaml.safe_load(fill(environment_yaml("staging", commented=False)))
    env = parse_environment(every, "every.yaml")
    assert env.capacity.desired == 2 and env.strategy.type == "canary"
    commented = environment_yaml("staging")
    assert "# capacity:" in commented and "#   desired: 2" in commented
    assert set(PLACEHOLDERS) and "<VPC-ID>" in commented
    with pytest.raises(ConfigError):
        parse_environment(yaml.safe_load(commented), "staging.yaml")


def test_gitignore_gets_build_and_the_journal_once(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n/build\n")
    done = init_repository("staging", tmp_path)
    assert done.gitignore_added == [".zdd/"]
    text = (tmp_path / ".gitignore").read_text()
    assert text.startswith("node_modules/\n/build\n\n# zdd:") and text.endswith(".zdd/\n")
    again = init_repository("production", tmp_path)
    assert again.gitignore_added == []
    assert (tmp_path / ".gitignore").read_text() == text


def test_init_never_overwrites(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "environments" / "staging.yaml"
    path.parent.mkdir()
    path.write_text("# mine\n")
    result = run_cli("init", "--env", "staging", cwd=tmp_path)
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert path.read_text() == "# mine\n"
    assert not (tmp_path / ".gitignore").exists()  # nothing written at all


def test_init_honours_zdd_environments_and_paths(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ZDD_ENVIRONMENTS", "deploy/envs")
    done = init_repository("prod", tmp_path)
    assert done.environment_file == tmp_path / "deploy" / "envs" / "prod.yaml"
    done = init_repository("ops/qa.yaml", tmp_path)
    assert done.environment_file == tmp_path / "ops" / "qa.yaml"
    assert "name: qa\n" in done.environment_file.read_text()
    assert done.next_commands[0] == "zdd validate --env ops/qa.yaml"
    with pytest.raises(InputError, match="cannot name an environment"):
        init_repository("Prod_1", tmp_path)
