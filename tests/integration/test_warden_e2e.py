"""A release that outlives its runner: real `zdd` subprocesses killed (-9) or frozen
(SIGSTOP) mid-bake with the DynamoDB store on moto_server, then `zdd warden`,
`zdd resume` or `zdd abort`. Leases last one second (``store.lease_seconds``), so
no test waits long for one to lapse."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from generator.config import load_environment
from generator.demo.emulator import EMULATOR_CREDENTIALS, create_twin_environments
from generator.infra.outputs import StackOutputs
from generator.journal.model import JournalDoc
from generator.rollout.aws.alb import AlbListenerRouter
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
ZDD = str(Path(sys.executable).parent / "zdd")
BLUE = {"blue": 100, "green": 0}
LEASE = 1.0


class World:
    """The staging twin environments on moto_server, built once for the module."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.url = url
        self.tmp = tmp
        self.base = yaml.safe_load((ROOT / "environments" / "staging.yaml").read_text())
        env = load_environment(ROOT / "environments" / "staging.yaml")
        self.region = env.region
        self.session = boto3.Session(
            region_name=env.region, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        self.environ = {
            **os.environ,
            **EMULATOR_CREDENTIALS,
            "AWS_ENDPOINT_URL": url,
            "AWS_DEFAULT_REGION": env.region,
        }
        os.environ["AWS_ENDPOINT_URL"] = url
        try:
            self.outputs: StackOutputs = create_twin_environments(self.session, env)
        finally:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        self.outputs_file = tmp / "outputs.json"
        self.outputs_file.write_text(self.outputs.to_terraform_json())
        self.tables = 0

    def client(self, name: str) -> Any:
        return self.session.client(name, endpoint_url=self.url)

    def router(self) -> AlbListenerRouter:
        return AlbListenerRouter(self.client("elbv2"), self.outputs)

    def weights(self) -> dict[str, int]:
        return dict(self.router().read().weights)

    def fresh(self, on_orphan: str = "rollback") -> str:
        """Traffic on blue, a new journal table, an environment file using it."""
        router = self.router()
        if router.read().weights != BLUE:
            router.set_weights(router.read(), dict(BLUE))  # type: ignore[arg-type]
        self.tables += 1
        table = f"zdd-warden-{self.tables}"
        self.client("dynamodb").create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        data = {
            **self.base,
            "store": {"url": f"dynamodb://{table}", "lease_seconds": LEASE},
            "warden": {"on_orphan": on_orphan},
        }
        path = self.tmp / f"staging-{self.tables}.yaml"
        path.write_text(yaml.safe_dump(data))
        self.env_file = str(path)
        self.table = table
        return table

    def zdd(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [ZDD, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environ,
            cwd=self.tmp,
        )

    def on_env(self, command: str, *extra: str) -> subprocess.Popen[str]:
        outputs = ["--outputs", str(self.outputs_file)]
        return self.zdd(command, "--env", self.env_file, *outputs, *extra)

    def shift_until_baking(self, bake: str) -> subprocess.Popen[str]:
        proc = self.on_env("shift", "--steps", "10,100", "--bake", bake, "--poll", "0.05", "--json")
        assert proc.stdout is not None
        for line in proc.stdout:
            if json.loads(line).get("event", {}).get("kind") == "bake.start":
                return proc
        raise AssertionError(proc.communicate(timeout=30))

    def orphan(self) -> None:
        """What a runner killed mid-bake leaves, written directly (no process to start):
        the listener at 90/10, the deployment in the journal, a lease long lapsed."""
        from generator.journal.dynamo import DynamoStore
        from generator.journal.model import Deployment, Step
        from generator.journal.protocol import Owner
        from generator.rollout.aws.wiring import handoff_of

        env = load_environment(Path(self.env_file))
        router = self.router()
        router.set_weights(router.read(), {"blue": 90, "green": 10})
        store = DynamoStore(
            self.client("dynamodb"), self.table, "shop", "staging", clock=lambda: 1_000_000.0
        )
        dep = Deployment(
            id="orphan0001",
            strategy="canary",
            from_colour="blue",
            to_colour="green",
            listener_arn=self.outputs.listener_arn,
            schedule=[Step(percent=10, bake_seconds=30), Step(percent=100, bake_seconds=30)],
            step_index=0,
            weights={"blue": 90, "green": 10},
            started_at=time.time(),
            handoff=handoff_of(env, self.outputs, LEASE),
        )
        store.save(JournalDoc(service="shop", environment="staging", current=dep))
        store.acquire(Owner("deadbeef0000", "ci-runner-7", 4242, "zdd shift"))

    def warden(self) -> subprocess.Popen[str]:
        return self.zdd("warden", "--store", f"dynamodb://{self.table}", "--json")

    def journal(self) -> JournalDoc:
        item = self.client("dynamodb").get_item(
            TableName=self.table, Key={"pk": {"S": "journal#shop#staging"}}, ConsistentRead=True
        )["Item"]
        return JournalDoc.model_validate_json(item["doc"]["S"])


@pytest.fixture(scope="module")
def world(server: str, tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(server, tmp_path_factory.mktemp("warden"))


def _killed(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def _verdicts(out: str) -> list[dict[str, Any]]:
    return [json.loads(line)["warden"] for line in out.splitlines() if '"warden"' in line]


def test_kill_9_mid_bake_then_two_wardens_one_rolls_back(world: World) -> None:
    world.fresh()
    _killed(world.shift_until_baking("30"))
    assert world.weights() == {"blue": 90, "green": 10}
    time.sleep(LEASE + 0.2)  # the dead runner's lease lapses
    wardens = [world.warden() for _ in range(2)]  # two at once: the lease picks one
    results = [(w.communicate(timeout=60), w.returncode) for w in wardens]
    assert [code for _, code in results] == [0, 0], results
    actions = sorted(v["action"] for (out, _), _ in results for v in _verdicts(out))
    assert actions.count("rolled_back") == 1, results
    assert world.weights() == BLUE
    last = world.journal().history[-1]
    assert last.status == "rolled_back" and "zdd warden" in (last.outcome_reason or "")


def test_kill_9_mid_bake_with_on_orphan_resume_promotes(world: World) -> None:
    world.fresh(on_orphan="resume")
    _killed(world.shift_until_baking("0.5"))
    time.sleep(LEASE + 0.2)
    warden = world.warden()
    out, err = warden.communicate(timeout=60)
    assert warden.returncode == 0, err
    assert [v["action"] for v in _verdicts(out)] == ["resumed"]
    assert world.weights() == {"blue": 0, "green": 100}
    assert world.journal().history[-1].status == "promoted"


def test_a_frozen_runner_never_moves_traffic_after_the_warden(world: World) -> None:
    world.fresh()
    runner = world.shift_until_baking("30")
    runner.send_signal(signal.SIGSTOP)
    try:
        time.sleep(LEASE + 0.2)
        warden = world.warden()
        out, err = warden.communicate(timeout=60)
        assert [v["action"] for v in _verdicts(out)] == ["rolled_back"], err
    finally:
        runner.send_signal(signal.SIGCONT)
    _, err = runner.communicate(timeout=60)
    assert runner.returncode == 3, err  # it lost its lease: refused, nothing moved
    assert "lost the listener lock" in err
    assert world.weights() == BLUE
    last = world.journal().history[-1]
    assert last.status == "rolled_back" and "zdd warden" in (last.outcome_reason or "")


def test_resume_right_after_kill_9_takes_over_truthfully(world: World) -> None:
    world.fresh()
    _killed(world.shift_until_baking("0.5"))
    resume = world.on_env("resume")  # no wait: this host's holder is provably dead
    _, err = resume.communicate(timeout=60)
    assert resume.returncode == 0, err
    assert "run `zdd resume`" not in err
    assert world.weights() == {"blue": 0, "green": 100}


def test_abort_right_after_kill_9_rolls_back_itself(world: World) -> None:
    world.fresh()
    _killed(world.shift_until_baking("30"))
    abort = world.on_env("abort")
    out, err = abort.communicate(timeout=60)
    assert abort.returncode == 0, err
    assert "has not acted on it yet" not in out + err
    assert world.weights() == BLUE
    assert world.journal().history[-1].status == "aborted"


@pytest.fixture(scope="session")
def warden_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Lambda artefact, built once per session (wheels from PyPI, as locked)."""
    from tools.warden_package import build

    return build(tmp_path_factory.mktemp("warden-zip") / "warden.zip")


def test_the_packaged_lambda_handler_does_what_the_command_does(
    world: World, warden_zip: Path, tmp_path: Path
) -> None:
    unpacked = tmp_path / "lambda"
    unpacked.mkdir()
    with zipfile.ZipFile(warden_zip) as archive:
        archive.extractall(unpacked)
    world.fresh()
    world.orphan()
    invoke = (  # as the Lambda runtime does: the zip's root on sys.path, nothing else
        f"import json, sys; sys.path.insert(0, {str(unpacked)!r}); "
        "from generator.rollout.warden import handler; "
        "print(json.dumps(handler({}, None)))"
    )
    # -I: no environment-driven paths nor user site; -S: not even this venv's packages.
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", invoke],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **world.environ,
            "ZDD_WARDEN_STORE": f"dynamodb://{world.table}",
            "AWS_REGION": world.region,
        },
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(reply["verdicts"]) == 1 and ": rolled_back: " in reply["verdicts"][0], reply
    assert world.weights() == BLUE
    last = world.journal().history[-1]
    assert last.status == "rolled_back" and "zdd warden" in (last.outcome_reason or "")
