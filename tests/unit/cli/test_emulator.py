"""`zdd emulator`: the demo's and the tests' emulator for a team's own repository, started,
used, and stopped by Ctrl-C (exit 0); without moto, one line saying what to install."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import yaml

from tests.conftest import ROOT

STAGING = ROOT / "environments" / "staging.yaml"


def test_emulator_prints_its_variables_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    team = tmp_path / "team"  # a team's environment, with its committed provider lock file
    team.mkdir()
    (team / "staging.yaml").write_text(STAGING.read_text())
    (team / "staging.terraform.lock.hcl").write_text("# the team's lock\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator",
            "emulator",
            "--json",
            "--env",
            str(team / "staging.yaml"),
        ],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())  # one JSON line, once it answers
        variables = ready["variables"]
        assert variables["AWS_ENDPOINT_URL"] == ready["endpoint"]
        assert ready["endpoint"].startswith("http://127.0.0.1:")
        assert variables["AWS_REGION"] == variables["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED"} <= set(
            variables
        )
        ec2 = boto3.client(
            "ec2",
            endpoint_url=variables["AWS_ENDPOINT_URL"],
            region_name=variables["AWS_REGION"],
            aws_access_key_id=variables["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=variables["AWS_SECRET_ACCESS_KEY"],
        )
        network = ready["network"]
        vpcs = ec2.describe_vpcs(VpcIds=[network["vpc_id"]])["Vpcs"]
        assert [v["VpcId"] for v in vpcs] == [network["vpc_id"]]
        # the environment file's copy, for ZDD_ENVIRONMENTS, uses what was created
        copies = Path(variables["ZDD_ENVIRONMENTS"])
        assert copies == tmp_path / "build" / "emulator" / "environments"
        copy = yaml.safe_load((copies / "staging.yaml").read_text())
        assert copy["network"]["vpc_id"] == network["vpc_id"]
        assert set(copy["network"]["subnet_ids"]) <= set(network["subnet_ids"])
        # plans of the copy use the team's provider lock file, as plans of the original do
        assert (copies / "staging.terraform.lock.hcl").read_text() == "# the team's lock\n"

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_emulator_without_moto_says_what_to_install(run_cli, monkeypatch, tmp_path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "moto" else real(name, *a)
    )
    result = run_cli("emulator", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == "zdd: the emulator needs moto: pip install 'zdd[demo]'\n"
    assert result.stdout == ""


def test_emulator_on_a_port_in_use_is_exit_2(run_cli, tmp_path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("emulator", "--port", str(port), cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"zdd: --port {port}: cannot listen on 127.0.0.1:{port}")


def test_emulator_checks_its_environments_before_starting(run_cli, tmp_path) -> None:
    result = run_cli("emulator", "--env", "missing", cwd=tmp_path)
    assert result.exit_code == 2
    assert "environment 'missing' not found" in result.stderr
