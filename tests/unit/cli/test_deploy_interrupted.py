"""`zdd deploy` holds the listener's lease from before terraform applies, renews it while
terraform runs, and a stop signal during terraform stops terraform (never an orphan),
is journalled and exits 1, never 130 (issue 24, class 11; issue 25)."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator import interrupts
from generator.infra import terraform as terraform_module
from generator.journal.local import LocalStore
from generator.journal.protocol import Owner
from generator.rollout import lease as lease_module
from tests.conftest import ROOT
from tests.support.fake_terraform import install_fake_terraform

STAGING = ROOT / "environments" / "staging.yaml"
PLAN = ROOT / "tests" / "fixtures" / "plans" / "idle-create-accept.json"

FAKE = """#!{python}
import json, os, signal, sys, time

def note(line):
    with open(os.environ["FAKE_TF_LOG"], "a") as log:
        log.write(line + "\\n")

args = sys.argv[1:]
note("run " + args[0])
if args[0] == "version":
    print(json.dumps({"terraform_version": "1.9.0"}))
elif args[0] == "output":
    print("{}")
elif args[0] == "plan":
    out = [a.split("=", 1)[1] for a in args if a.startswith("-out=")][0]
    open(out, "w").write("a saved plan")
    sys.exit(2)
elif args[0] == "show":
    print(open(os.environ["FAKE_TF_PLAN"]).read())
elif args[0] == "apply":
    def stop(signum, frame):
        note("got " + signal.Signals(signum).name)
        time.sleep(0.2)  # terraform finishes what is in flight, releases its state lock
        note("stopped")
        sys.exit(1)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    note("applying")
    end = time.time() + 5
    while time.time() < end:
        time.sleep(0.02)
    note("apply finished")
"""


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install_fake_terraform(tmp_path, monkeypatch, FAKE)
    log = tmp_path / "terraform.log"
    monkeypatch.setenv("FAKE_TF_LOG", str(log))
    monkeypatch.setenv("FAKE_TF_PLAN", str(PLAN))
    monkeypatch.setattr(lease_module, "RENEW_SECONDS", 0.05, raising=False)
    monkeypatch.setattr(terraform_module, "STOP_SECONDS", 5.0, raising=False)
    return log


@pytest.fixture
def handlers() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in interrupts.STOP_SIGNALS}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)
    interrupts.reset()


class Renewals:
    """Counts lease renewals made while the fake terraform applies."""

    def __init__(self, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.during_apply = 0
        original = LocalStore.heartbeat

        def heartbeat(store: LocalStore, owner: Owner) -> None:
            original(store, owner)
            text = log.read_text() if log.exists() else ""
            if "applying" in text and "got SIG" not in text:
                self.during_apply += 1

        monkeypatch.setattr(LocalStore, "heartbeat", heartbeat)


def _interrupt_once_applying(log: Path, renewals: Renewals) -> threading.Thread:
    def run() -> None:
        end = time.monotonic() + 20
        while time.monotonic() < end:
            text = log.read_text() if log.exists() else ""
            if "applying" in text and renewals.during_apply >= 2:
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _deploy(run_cli: Any, tmp_path: Path) -> Any:
    return run_cli(
        *("deploy", "--env", str(STAGING), "--version", "2.0.0"),
        *("--stack-dir", str(tmp_path / "stack"), "--store", str(tmp_path / "store")),
    )


def test_sigint_during_the_apply_stops_terraform_journals_and_exits_1(
    run_cli: Any,
    tmp_path: Path,
    fake_terraform: Path,
    handlers: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renewals = Renewals(fake_terraform, monkeypatch)
    sender = _interrupt_once_applying(fake_terraform, renewals)
    result = _deploy(run_cli, tmp_path)
    sender.join(1)
    log = fake_terraform.read_text().splitlines()
    assert result.exit_code == 1, result.stderr
    assert "got SIGINT" in log and "stopped" in log  # forwarded, and waited for
    assert "apply finished" not in log
    assert "interrupted during terraform apply" in result.stderr
    store = LocalStore(tmp_path / "store", "shop", "staging")
    refusal = store.load().refusals[-1]
    assert refusal.stage == "terraform_apply"
    assert refusal.release is not None and refusal.release.startswith("2.0.0+")  # TAG+DIGEST
    assert "SIGINT" in refusal.reason and "no weight was moved" in refusal.reason
    assert renewals.during_apply >= 2  # the lease was renewed while terraform applied
    assert store.lock_info() is None  # and released at the end


def test_a_second_deploy_is_refused_before_terraform_runs(
    run_cli: Any, tmp_path: Path, fake_terraform: Path, handlers: None
) -> None:
    store = LocalStore(tmp_path / "store", "shop", "staging")
    store.acquire(Owner("otherrun1234", socket.gethostname(), os.getpid(), "deploy"))
    result = _deploy(run_cli, tmp_path)
    assert result.exit_code == 3, result.stderr
    assert "listener locked by" in result.stderr and "deploy" in result.stderr
    log = fake_terraform.read_text() if fake_terraform.exists() else ""
    assert "run init" not in log and "run apply" not in log


def test_a_deploy_killed_during_its_apply_does_not_block_the_next_one(
    run_cli: Any,
    tmp_path: Path,
    fake_terraform: Path,
    handlers: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Killed (-9) while terraform applied: nothing was journalled, so `zdd resume` has
    nothing to finish; the next deploy takes the dead run's lease over."""
    from tests.support.trial_world import dead_pid

    store = LocalStore(tmp_path / "store", "shop", "staging")
    store.acquire(Owner("killedrun123", socket.gethostname(), dead_pid(), "deploy"))
    renewals = Renewals(fake_terraform, monkeypatch)
    sender = _interrupt_once_applying(fake_terraform, renewals)
    result = _deploy(run_cli, tmp_path)
    sender.join(1)
    assert "listener locked" not in result.stderr
    assert "run apply" in fake_terraform.read_text()  # it went on to apply
    assert result.exit_code == 1, result.stderr  # then was stopped, as in the test above


def test_a_second_stop_signal_kills_a_terraform_that_ignores_the_first(
    tmp_path: Path, handlers: None
) -> None:
    """terraform's own convention: Ctrl-C twice does not wait for a graceful stop. The
    signal handler absorbs the second signal, so the wait watches what it received."""
    import subprocess

    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGINT, "
            "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert stubborn.stdout is not None and stubborn.stdout.readline() == "ready\n"
    threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    interrupts.install()
    try:
        with pytest.raises(KeyboardInterrupt):  # the first signal stops zdd's own work
            time.sleep(5)
        said = terraform_module.stop_gracefully(stubborn)
    finally:
        stubborn.kill()
    assert "was interrupted twice" in said and "SIGKILL" in said
    assert stubborn.wait(5) == -signal.SIGKILL


def test_an_apply_past_its_time_limit_is_journalled(tmp_path: Path) -> None:
    """A terraform run stopped at its time limit is a refusal in the journal, like a stop
    signal: `zdd status` and the report say why the release never started."""
    from generator.errors import TerraformTimeout
    from generator.events import EventBus
    from generator.rollout.interrupted import apply_interrupted

    store = LocalStore(tmp_path / "store", "shop", "staging")
    timeout = TerraformTimeout(
        ["terraform", "apply"],
        1800,
        "terraform.apply_timeout_seconds",
        "creating module.green.aws_ecs_service.this",
        "stopped; no weight was moved",
    )
    with pytest.raises(TerraformTimeout), apply_interrupted(store, EventBus(), "2.0.0", "deploy"):
        raise timeout
    refusal = store.load().refusals[-1]
    assert refusal.stage == "terraform_apply" and refusal.release == "2.0.0"
    assert "module.green.aws_ecs_service.this" in refusal.reason
