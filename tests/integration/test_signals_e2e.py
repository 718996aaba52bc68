"""Stop signals to a real `zdd shift` process: SIGINT, SIGTERM and SIGHUP, once and twice,
during a bake and while a ModifyListener is in flight (held by the fault proxy). After
each: the listener read back and the journal agree, and `zdd resume` leaves nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.config import load_environment
from generator.demo.emulator import (
    EMULATOR_CREDENTIALS,
    Emulator,
    create_twin_environments,
    pointed_at,
    reset_emulator,
)
from generator.journal.model import JournalDoc
from generator.rollout.aws.alb import AlbListenerRouter
from tests.conftest import ROOT
from tests.support.faults import FaultProxy

pytestmark = pytest.mark.integration
ZDD = str(Path(sys.executable).parent / "zdd")
ENV_FILE = ROOT / "environments" / "staging.yaml"
BLUE = {"blue": 100, "green": 0}


@pytest.fixture(scope="module")
def emulator(server: str) -> Iterator[tuple[str, FaultProxy]]:
    with FaultProxy(server) as proxy:  # zdd's ECS scheduler: releases wait for tasks
        yield server, proxy


class Stack:
    def __init__(self, url: str, proxy: FaultProxy, tmp: Path) -> None:
        reset_emulator(url)
        proxy.clear()
        self.proxy = proxy
        self.tmp = tmp
        env = load_environment(ENV_FILE)
        self.emulator = Emulator(url, env.region)
        with pointed_at(self.emulator):
            self.outputs = create_twin_environments(self.emulator.session(), env)
        self.outputs_file = tmp / "outputs.json"
        self.outputs_file.write_text(self.outputs.to_terraform_json())
        self.store = tmp / "store"
        self.environ = {
            **os.environ,
            **EMULATOR_CREDENTIALS,
            "AWS_ENDPOINT_URL": proxy.url,  # every call of zdd goes through the proxy
            "AWS_DEFAULT_REGION": env.region,
        }

    def weights(self) -> dict[str, int]:
        elbv2 = self.emulator.session().client("elbv2", endpoint_url=self.emulator.endpoint)
        return AlbListenerRouter(elbv2, self.outputs).read().weights  # type: ignore[return-value]

    def zdd(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [ZDD, *args, "--env", str(ENV_FILE), "--outputs", str(self.outputs_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environ,
            cwd=self.tmp,
        )

    def shift(self) -> subprocess.Popen[str]:
        return self.zdd(
            "shift", "--store", str(self.store), "--json", "--steps", "10,100", "--bake", "120",
            "--poll", "0.2",
        )  # fmt: skip

    def journal(self) -> JournalDoc:
        return JournalDoc.model_validate_json((self.store / "shop-staging.json").read_text())

    def resume(self) -> subprocess.CompletedProcess[str]:
        proc = self.zdd("resume", "--store", str(self.store))
        out, err = proc.communicate(timeout=120)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def stack(emulator: tuple[str, FaultProxy], tmp_path: Path) -> Stack:
    return Stack(*emulator, tmp_path)


def wait_for(proc: subprocess.Popen[str], kind: str) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line).get("event", {}).get("kind") == kind:
            return
    raise AssertionError(f"no {kind} event; stderr: {proc.stderr.read() if proc.stderr else ''}")


def rolled_back_and_nothing_left(stack: Stack, proc: subprocess.Popen[str]) -> None:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "rolled back to blue" in err
    assert stack.weights() == BLUE
    doc = stack.journal()
    assert doc.current is None and doc.history[-1].status == "rolled_back"
    after = stack.resume()
    assert after.returncode == 0, after.stderr
    assert "nothing to resume" in after.stdout
    assert stack.weights() == BLUE


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("times", [1, 2], ids=["once", "twice"])
def test_a_stop_signal_during_a_bake_rolls_back(stack: Stack, signum: int, times: int) -> None:
    proc = stack.shift()
    wait_for(proc, "bake.start")
    for _ in range(times):
        proc.send_signal(signum)  # twice: a millisecond apart
    rolled_back_and_nothing_left(stack, proc)


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_a_stop_signal_while_modify_listener_is_in_flight(stack: Stack, applied: bool) -> None:
    hold = stack.proxy.hold("ModifyListener", applied=applied)
    proc = stack.shift()
    assert hold.arrived.wait(60), "zdd never called ModifyListener"
    proc.send_signal(signal.SIGTERM)
    hold.release(reply=False)  # the reply never comes: zdd must read, not assume
    rolled_back_and_nothing_left(stack, proc)


def test_a_second_signal_while_the_rollback_is_in_flight(stack: Stack) -> None:
    rollback = stack.proxy.hold("ModifyListener", nth=2, applied=True)
    proc = stack.shift()
    wait_for(proc, "bake.start")
    proc.send_signal(signal.SIGINT)
    assert rollback.arrived.wait(60), "no rollback ModifyListener"
    proc.send_signal(signal.SIGINT)  # cannot cut the rollback short
    proc.send_signal(signal.SIGHUP)
    rollback.release()
    rolled_back_and_nothing_left(stack, proc)
