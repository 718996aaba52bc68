"""Every failure is one line with the contract's exit code; `--debug` keeps the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.infra.outputs import StackOutputs
from generator.journal.local import LocalStore
from generator.journal.model import Deployment, JournalDoc, Step
from tests.conftest import FIXTURES, ROOT

STAGING = str(ROOT / "environments" / "staging.yaml")
ELB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012"
OUTPUTS = StackOutputs(
    listener_arn=f"{ELB}:listener/app/shop-staging/0123456789abcdef/0123456789abcdef",
    test_listener_arn=f"{ELB}:listener/app/shop-staging/0123456789abcdef/fedcba9876543210",
    target_group_arns={
        "blue": f"{ELB}:targetgroup/shop-staging-blue/0123456789abcdef",
        "green": f"{ELB}:targetgroup/shop-staging-green/0123456789abcdef",
    },
    alarm_names={"blue": ["b"], "green": ["g"]},
    load_balancer_dns_name="lb.example",
)


def one_line(result) -> str:  # type: ignore[no-untyped-def]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return str(lines[0])


def outputs_file(tmp_path: Path, outputs: StackOutputs = OUTPUTS, **changes: object) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(outputs.model_copy(update=changes).to_terraform_json())
    return str(path)


@pytest.fixture
def no_aws(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Any AWS call would fail at once (exit 1): an exit 2 proves none was made."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


def test_debug_shows_the_traceback_and_keeps_the_exit_code(run_cli) -> None:
    bad = sorted((FIXTURES / "bad_environments").glob("*-port-zero.yaml"))[0]
    plain = run_cli("validate", "--env", str(bad))
    debug = run_cli("--debug", "validate", "--env", str(bad))
    assert plain.exit_code == debug.exit_code == 2
    assert "Traceback" in debug.stderr and "Traceback" not in plain.stderr


def test_an_unexpected_exception_is_one_line_exit_1(run_cli, monkeypatch) -> None:
    import generator.config

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something zdd did not expect\nsecond line")

    monkeypatch.setattr(generator.config, "load_environment", boom)
    result = run_cli("validate", "--env", STAGING)
    assert result.exit_code == 1
    assert "RuntimeError: something zdd did not expect" in one_line(result)
    debug = run_cli("--debug", "validate", "--env", STAGING)
    assert debug.exit_code == 1 and "Traceback" in debug.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", ""], "--steps: must increase and end at 100"),
        (["--bake", "inf"], "--bake: must be 0 or more and at most 86400"),
        (["--bake", "-1"], "--bake"),
        (["--poll", "nan"], "--poll: must be more than 0"),
        (["--poll", "0"], "--poll"),
        (["--webhook", "slack"], "--webhook: 'slack' must be an http(s) URL"),
        (["--store", "s3://bucket/zdd"], "--store: must be a directory or dynamodb://TABLE"),
        (["--store", "file:///var/zdd"], "--store"),
        (["--store", ""], "--store"),
    ],
)
def test_bad_flags_are_exit_2_before_any_aws_call(
    run_cli, tmp_path: Path, no_aws: None, args: list[str], message: str
) -> None:
    found = outputs_file(tmp_path)
    result = run_cli("shift", "--env", STAGING, "--outputs", found, *args, cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    assert message in one_line(result)


@pytest.mark.parametrize("command", ["shift", "status", "resume", "abort", "promote"])
@pytest.mark.parametrize(
    ("arn", "message"),
    [
        ("not-an-arn", "listener_arn: expected an ELB listener ARN"),
        (
            OUTPUTS.listener_arn.replace("eu-west-1", "us-east-1"),
            "in region us-east-1, but the environment's region is eu-west-1",
        ),
    ],
    ids=["garbage", "other-region"],
)
def test_outputs_naming_a_garbage_or_foreign_listener_are_exit_2(
    run_cli, tmp_path: Path, no_aws: None, command: str, arn: str, message: str
) -> None:
    found = outputs_file(tmp_path, listener_arn=arn)
    result = run_cli(command, "--env", STAGING, "--outputs", found, cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    assert message in one_line(result)


def _journal_in_progress(store_dir: Path, listener_arn: str) -> None:
    dep = Deployment(
        id="dead00beef",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=listener_arn,
        schedule=[Step(percent=10, bake_seconds=30), Step(percent=100, bake_seconds=30)],
        weights={"blue": 90, "green": 10},
        step_index=0,
        started_at=1_700_000_000.0,
    )
    LocalStore(store_dir, "shop", "staging").save(
        JournalDoc(service="shop", environment="staging", current=dep)
    )


def test_a_listener_that_does_not_exist(run_cli, aws, tmp_path: Path) -> None:
    """Starting on it is bad input (2); a journalled deployment on it is drift (4)."""
    gone = aws.outputs.listener_arn[:-4] + "beef"
    found = outputs_file(tmp_path, aws.outputs, listener_arn=gone)
    store = tmp_path / "store"
    shift = run_cli("shift", "--env", STAGING, "--outputs", found, "--store", str(store))
    assert shift.exit_code == 2, shift.stderr
    assert "does not exist" in one_line(shift)
    _journal_in_progress(store, gone)
    for command in ("status", "resume", "abort", "promote"):
        result = run_cli(command, "--env", STAGING, "--outputs", found, "--store", str(store))
        assert result.exit_code == 4, (command, result.stderr)
        assert "Traceback" not in result.stderr  # events may come first; the error is last
        assert "does not exist" in result.stderr.strip().splitlines()[-1]


def test_a_journal_that_is_not_utf8_is_one_line(run_cli, tmp_path: Path, no_aws: None) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "shop-staging.json").write_bytes(b"\xff\xfe\x00garbage")
    found = outputs_file(tmp_path)
    for command in ("status", "resume"):
        result = run_cli(command, "--env", STAGING, "--outputs", found, "--store", str(store))
        assert result.exit_code == 1, result.stderr
        assert "journal is corrupt" in one_line(result)


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\xff", b"[" * 100_000 + b"]" * 100_000],
    ids=["random-bytes", "deeply-nested"],
)
def test_check_plan_on_unreadable_input_is_one_line(run_cli, tmp_path: Path, content) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.json"
    plan.write_bytes(content)
    result = run_cli("check-plan", str(plan), "--env", STAGING, "--live", "blue")
    assert result.exit_code == 2
    assert str(plan) in one_line(result)


def _plan(tmp_path: Path, **change: object) -> str:
    item = {"address": "module.blue.aws_ecs_service.this", "change": {"actions": ["update"]}}
    item.update(change)  # type: ignore[arg-type]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "1.2", "resource_changes": [item]}))
    return str(path)


def test_check_plan_judges_resources_without_a_module_address(run_cli, tmp_path: Path) -> None:
    refused = run_cli("check-plan", _plan(tmp_path), "--env", STAGING, "--live", "blue")
    assert refused.exit_code == 3
    assert "module.blue.aws_ecs_service.this [update]" in refused.stderr
    accepted = run_cli("check-plan", _plan(tmp_path), "--env", STAGING, "--live", "green")
    assert accepted.exit_code == 0, accepted.stderr


def test_check_plan_with_a_bare_module_address(run_cli, tmp_path: Path) -> None:
    path = _plan(tmp_path, module_address="module")
    result = run_cli("check-plan", path, "--env", STAGING, "--live", "blue")
    assert result.exit_code == 3, result.stderr  # the address still says module.blue
    assert "Traceback" not in result.stderr
