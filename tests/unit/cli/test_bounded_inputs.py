"""Issue 24, class 8: every input is bounded and every format validated; a bad one is
one line and exit 2 (with ``--json``, a ``result`` line last), never an unexpected error."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import ValidationError

from generator import files as bounded
from generator.config import load_environment
from generator.config.notify import Webhooks
from generator.errors import InputError, StoreError
from generator.events.core import Origin
from generator.events.notify import link_for
from generator.events.text import iso
from generator.journal.local import LocalStore
from generator.journal.model import Deployment, JournalDoc, LockInfo, Step
from tests.unit.cli.test_errors import OUTPUTS, STAGING, one_line

# -- a capped reader, regular files only ---------------------------------------------


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "endless.yaml"
    os.mkfifo(path)
    return path


def test_a_character_device_is_refused_without_reading(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must be a regular file, not a character device"):
        bounded.read_capped(Path("/dev/zero"), bounded.ENV_FILE, "environment file")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path)
    done: list[BaseException] = []

    def read() -> None:
        try:
            bounded.read_capped(fifo, bounded.ENV_FILE, "environment file")
        except BaseException as exc:
            done.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # unblock the reader before failing
        with open(fifo, "w"):
            pass
    assert done and isinstance(done[0], InputError) and "a FIFO" in str(done[0])


def test_a_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (bounded.KiB + 1))
    with pytest.raises(InputError, match="larger than 1 KiB"):
        bounded.read_capped(big, bounded.KiB, "x")
    assert bounded.read_capped(big, 2 * bounded.KiB, "x") == " " * (bounded.KiB + 1)


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "big", "dir"])
def test_env_and_outputs_that_are_endless_are_exit_2(
    run_cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    no_aws: None,
    target: str,
) -> None:
    if target == "fifo":
        path = str(_fifo(tmp_path))
    elif target == "big":
        big = tmp_path / "big.yaml"
        big.write_bytes(b"#" * (bounded.OUTPUTS_FILE + 1))
        path = str(big)
    elif target == "dir":
        path = str(tmp_path)
    else:
        path = target
    env = run_cli("validate", "--env", path, cwd=tmp_path)
    assert env.exit_code == 2, env.stderr
    one_line(env)
    outputs = run_cli("status", "--env", STAGING, "--outputs", path, cwd=tmp_path)
    assert outputs.exit_code == 2, outputs.stderr
    if target != "dir":  # a directory is refused by the option itself (click's usage text)
        one_line(outputs)


def test_a_plan_json_or_migration_that_is_a_device_is_exit_2(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from generator.infra.plan import load_plan
    from generator.migrations.classify import read_migration

    with pytest.raises(InputError, match="character device"):
        load_plan(Path("/dev/zero"))
    with pytest.raises(InputError, match="character device"):
        read_migration(Path("/dev/zero"), "V1__x.sql")


# -- timestamps outside the platform's date range --------------------------------------


@pytest.mark.parametrize("ts", [1e300, 1e20, 253402300800.0, -1e20])
def test_dates_never_overflow_when_formatted(ts: float) -> None:
    assert iso(ts)
    info = LockInfo.model_construct(owner="me", host="h", pid=1, since=ts, expires=ts)
    assert "since" in info.describe()


@pytest.mark.parametrize("field", ["started_at", "finished_at"])
@pytest.mark.parametrize("ts", [1e300, 1e20, -5.0])
def test_a_journal_with_out_of_range_timestamps_is_refused_when_read(
    tmp_path: Path, field: str, ts: float
) -> None:
    store = LocalStore(tmp_path, "shop", "staging")
    dep = Deployment(
        id="dead00beef",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=OUTPUTS.listener_arn,
        schedule=[Step(percent=100, bake_seconds=0)],
        weights={"blue": 0, "green": 100},
        started_at=1000.0,
        finished_at=1000.0,
        status="promoted",
    )
    doc = JournalDoc(service="shop", environment="staging", history=[dep])
    data = json.loads(doc.model_dump_json())
    data["history"][0][field] = ts
    store.path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="corrupt") as caught:
        store.load()
    assert "\n" not in str(caught.value)


def test_a_lock_file_with_an_out_of_range_time_is_one_line(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, "shop", "staging")
    store.lease_path.write_text(json.dumps({"owner": "x", "since": 1e300, "expires": 1e300}))
    with pytest.raises(StoreError, match="lock file unreadable"):
        store.lock_info()


def test_report_and_resume_on_such_a_journal_are_one_line(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = load_environment(Path(STAGING))
    store = LocalStore(tmp_path / "store", env.service, env.name)
    store.directory.mkdir()
    doc = JournalDoc(service=env.service, environment=env.name)
    data = json.loads(doc.model_dump_json())
    data["refusals"] = [{"at": 1e300, "reason": "x", "command": "shift"}]
    store.path.write_text(json.dumps(data))
    for command in (["report", "--markdown"], ["resume", "--outputs", _outputs(tmp_path)]):
        result = run_cli(*command, "--env", STAGING, "--store", str(store.directory))
        assert result.exit_code in (1, 2), result.stderr
        assert "unexpected" not in one_line(result)


def _outputs(tmp_path: Path) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(OUTPUTS.to_terraform_json())
    return str(path)


# -- webhooks.link: {field} only ------------------------------------------------------

HOSTILE_LINKS = [
    "https://ci/{deployment_id.__class__}",
    "https://ci/{deployment_id.__class__.__mro__}",
    "https://ci/{deployment_id[0]}",
    "https://ci/{service:>999999999}",
    "https://ci/{service:{environment}}",
    "https://ci/{deployment_id!r}",
    "https://ci/{secret}",
    "https://ci/{0}",
    "https://ci/{}",
    "https://ci/{",
]


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_link_templates_allow_only_known_placeholders(link: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Webhooks(link=link)
    assert len(caught.value.errors()) == 1


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_a_hostile_template_built_in_code_yields_no_link(link: str) -> None:
    from generator.events.core import Event, Snapshot

    snap = Snapshot("abc", None, "blue", "green", {"blue": 100, "green": 0}, 0, 1, "x", "canary")
    event = Event(kind="deployment.start", message="m", at=0.0, deployment=snap)
    assert link_for(link, event, Origin("shop", "staging")) is None


def test_good_templates_still_work() -> None:
    Webhooks(link="https://ci/runs?zdd={deployment_id}&s={service}&e={environment}&x={{lit}}")


# -- terraform version -json that is not an object --------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "[1, 2]",
        "5",
        '"1.5.0"',
        "null",
        '{"terraform_version": 1}',
        '{"terraform_version": [1]}',
        "{}",
    ],
)
def test_a_terraform_answering_odd_json_is_exit_2(monkeypatch, answer: str) -> None:  # type: ignore[no-untyped-def]
    from generator.infra import terraform_binary as terraform

    def fake_run(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args[0], 0, answer, "")

    monkeypatch.setattr(terraform.subprocess, "run", fake_run)
    with pytest.raises(InputError, match="does not answer `terraform version -json`"):
        terraform._ask_version("/bin/terraform-fake")


# -- zdd apply with a missing or odd plan file ------------------------------------------


@pytest.mark.parametrize("plan", ["missing.tfplan", "fifo", "/dev/null"])
def test_apply_with_a_missing_plan_is_exit_2(
    run_cli, tmp_path: Path, no_aws: None, plan: str
) -> None:  # type: ignore[no-untyped-def]
    if plan == "fifo":
        os.mkfifo(tmp_path / "fifo")
    result = run_cli("apply", "--env", STAGING, plan, cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    assert "plan file" in one_line(result)


# -- --store that cannot be a store ------------------------------------------------------


def test_store_naming_a_file_is_exit_2(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for store in (blocker, blocker / "sub"):
        result = run_cli("report", "--env", STAGING, "--store", str(store), "--markdown")
        assert result.exit_code == 2, result.stderr
        assert "expected a directory" in one_line(result)


@pytest.mark.parametrize("schema", ["missing", "other-key", "range-key", "number-key"])
def test_store_naming_a_table_zdd_cannot_use_is_exit_2(run_cli, monkeypatch, schema: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=load_environment(Path(STAGING)).region)
        keys: dict[str, Any] = {
            "other-key": ([("id", "HASH")], [("id", "S")]),
            "range-key": ([("pk", "HASH"), ("sk", "RANGE")], [("pk", "S"), ("sk", "S")]),
            "number-key": ([("pk", "HASH")], [("pk", "N")]),
        }
        if schema in keys:
            key, attrs = keys[schema]
            client.create_table(
                TableName="zdd-t",
                KeySchema=[{"AttributeName": n, "KeyType": k} for n, k in key],
                AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in attrs],
                BillingMode="PAY_PER_REQUEST",
            )
        result = run_cli("report", "--env", STAGING, "--store", "dynamodb://zdd-t", "--markdown")
    assert result.exit_code == 2, result.stderr
    assert "--store: dynamodb://zdd-t: " in one_line(result)


# -- --json: a result line last, bad input included ---------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["apply", "--json", "missing.tfplan"],
        ["shift", "--json", "--outputs", "/dev/zero"],
        ["shift", "--json", "--no-such-flag"],
        ["status", "--json", "--store", "/dev/null"],
    ],
)
def test_json_mode_ends_with_a_result_line_on_bad_input(
    run_cli, tmp_path: Path, no_aws: None, args: list[str]
) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(*args[:1], "--env", STAGING, *args[1:], cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["result"]["exit_code"] == 2 and last["result"]["status"] == "invalid"
    assert last["result"]["error"]
