"""Every terraform run is bounded and visible: heartbeats name what is still being created,
and a run past its time limit is stopped with one line naming the resource. The terraform
here is a stub that starts creating a resource and never finishes; the clock is a fake one
that the wait advances, so a 30-minute limit passes in milliseconds."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from generator.cli._runtime import terraform_echo
from generator.errors import TerraformTimeout
from generator.infra.progress import Progress, duration
from generator.infra.terraform import Limits, Terraform
from tests.support.fake_terraform import install_fake_terraform

STUCK = "module.blue.aws_appautoscaling_target.this[0]"
NEVER_ENDS = f"""#!{{python}}
import json, sys, time

if sys.argv[1] == "version":
    print(json.dumps({{"terraform_version": "1.11.4"}}))
    sys.exit(0)
print("module.alb.aws_lb.this: Creating...", flush=True)
print("module.alb.aws_lb.this: Creation complete after 3m1s [id=arn:lb]", flush=True)
print("{STUCK}: Creating...", flush=True)
try:
    time.sleep(3600)  # like a provider retrying a call the emulator lacks
except KeyboardInterrupt:  # terraform's graceful stop on SIGINT
    print("Interrupt received.", flush=True)
    sys.exit(1)
"""


def test_a_run_past_its_limit_is_stopped_naming_the_resource_it_was_stuck_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock
) -> None:
    install_fake_terraform(tmp_path, monkeypatch, NEVER_ENDS)
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "p.tfplan").write_text("plan")
    stuck_seen = threading.Event()
    lines: list[str] = []

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith(STUCK):
            stuck_seen.set()

    def waiter(proc: subprocess.Popen[str], seconds: float) -> int | None:
        # no real waiting: once the stub has said what it creates, time just passes
        assert stuck_seen.wait(30), "the stub never started creating"
        clock.sleep(seconds)
        return proc.poll()

    limits = Limits(apply=1800, heartbeat=60)
    tf = Terraform(tmp_path / "stack", echo=echo, limits=limits, clock=clock.now, waiter=waiter)
    with pytest.raises(TerraformTimeout) as caught:
        tf.apply(Path("p.tfplan"))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "terraform apply ran past its time limit of 1800s (terraform.apply_timeout_seconds "
        f"in the environment), still creating {STUCK} (30m00s): terraform was sent SIGINT"
    )
    assert caught.value.exit_code == 1
    beats = [line for line in lines if line.startswith("zdd: ")]
    assert beats[0] == (
        f"zdd: terraform apply still running after 1m00s; in progress: creating {STUCK} (1m00s)"
    )
    assert len(beats) == 29  # one a minute, until the limit
    assert "aws_lb" not in "".join(beats)  # finished resources are not in progress


def test_a_run_within_its_limit_is_not_disturbed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_terraform(
        tmp_path,
        monkeypatch,
        '#!{python}\nimport json, sys\nprint(json.dumps({"terraform_version": "1.11.4"}))\n',
    )
    (tmp_path / "stack").mkdir()
    run = Terraform(tmp_path / "stack", limits=Limits(plan=60)).run(["terraform", "version"])
    assert run.returncode == 0


def test_progress_follows_terraforms_lines(clock) -> None:
    progress = Progress(clock.now)
    progress.see("aws_lb.this: Creating...")
    clock.sleep(70)
    progress.see("aws_ecs_service.app: Modifying... [id=arn:svc]")
    progress.see("aws_iam_role.x: Still creating... [10s elapsed]")  # began unseen
    clock.sleep(5)
    assert progress.describe() == (
        "creating aws_lb.this (1m15s), modifying aws_ecs_service.app (5s), "
        "creating aws_iam_role.x (5s)"
    )
    progress.see("aws_lb.this: Creation complete after 1m15s [id=arn:lb]")
    progress.see("aws_ecs_service.app: Modifications complete after 5s [id=arn:svc]")
    progress.see("aws_iam_role.x: Creation errored after 6s")
    assert progress.describe() == ""
    assert duration(3725) == "1h02m05s"


def test_deploy_shows_terraforms_summary_by_default_and_everything_when_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = [
        "Initializing the backend...",
        "data.aws_region.current: Reading...",
        "  # module.green.aws_ecs_service.this will be updated in-place",
        '      ~ task_definition = "app:1" -> (known after apply)',
        "Plan: 1 to add, 1 to change, 0 to destroy.",
        "module.green.aws_ecs_service.this: Modifying... [id=arn:svc]",
        "zdd: terraform apply still running after 1m00s; in progress: modifying x (1m00s)",
        "Apply complete! Resources: 1 added, 1 changed, 0 destroyed.",
    ]
    short = terraform_echo(verbose=False)
    for line in output:
        short(line)
    assert capsys.readouterr().err.splitlines() == [
        output[2],
        output[4],
        output[6],
        output[7],
    ]
    everything = terraform_echo(verbose=True)
    for line in output:
        everything(line)
    assert capsys.readouterr().err.splitlines() == output
