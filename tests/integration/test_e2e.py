"""End to end: moto_server over HTTP on 127.0.0.1, the zdd CLI as a subprocess."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from generator.config import load_environment
from generator.demo.emulator import (
    EMULATOR_CREDENTIALS,
    create_twin_environments,
    free_port,
    reset_emulator,
)
from generator.infra.outputs import StackOutputs
from generator.journal.model import JournalDoc
from generator.rollout.aws.alb import AlbListenerRouter
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
ZDD = str(Path(sys.executable).parent / "zdd")
ENV_FILE = str(ROOT / "environments" / "staging.yaml")


class World:
    def __init__(self, url: str, tmp: Path) -> None:
        reset_emulator(url)
        self.url = url
        self.tmp = tmp
        self.env = load_environment(Path(ENV_FILE))
        self.session = boto3.Session(
            region_name=self.env.region,
            **{"aws_access_key_id": "testing", "aws_secret_access_key": "testing"},
        )
        self.environ = {
            **os.environ,
            **EMULATOR_CREDENTIALS,
            "AWS_ENDPOINT_URL": url,
            "AWS_DEFAULT_REGION": self.env.region,
        }
        os.environ["AWS_ENDPOINT_URL"] = url
        try:
            self.outputs: StackOutputs = create_twin_environments(self.session, self.env)
            self.elbv2 = self.session.client("elbv2")
            self.cloudwatch = self.session.client("cloudwatch")
        finally:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        self.outputs_file = tmp / "outputs.json"
        self.outputs_file.write_text(self.outputs.to_terraform_json())
        self.store = tmp / "store"

    def client(self, name: str):  # type: ignore[no-untyped-def]
        return self.session.client(name, endpoint_url=self.url)

    def weights(self) -> dict[str, int]:
        return AlbListenerRouter(self.client("elbv2"), self.outputs).read().weights  # type: ignore[arg-type]

    def zdd(
        self, *args: str, extra_env: dict[str, str] | None = None, env_file: str = ENV_FILE
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [ZDD, *args, "--env", env_file, "--outputs", str(self.outputs_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.environ, **(extra_env or {})},
            cwd=self.tmp,
        )

    def shift(self, *extra: str, store: str | None = None, **kw: object) -> subprocess.Popen[str]:
        return self.zdd("shift", "--store", store or str(self.store), "--json", *extra, **kw)  # type: ignore[arg-type]

    def journal(self) -> JournalDoc:
        return JournalDoc.model_validate_json((self.store / "shop-staging.json").read_text())


@pytest.fixture
def world(server: str, tmp_path: Path) -> World:
    return World(server, tmp_path)


def test_good_canary_promotes(world: World) -> None:
    proc = world.shift("--strategy", "canary", "--bake", "0.3", "--poll", "0.05")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert world.weights() == {"blue": 0, "green": 100}
    result = json.loads(out.strip().splitlines()[-1])["result"]
    assert result["status"] == "promoted"
    assert world.journal().history[-1].status == "promoted"


def test_bad_canary_rolls_back(world: World) -> None:
    proc = world.shift("--strategy", "canary", "--bake", "30", "--poll", "0.05")
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line).get("event", {}).get("kind") == "bake.start":
            break
    world.client("cloudwatch").set_alarm_state(
        AlarmName=world.outputs.alarm_names["green"][0], StateValue="ALARM", StateReason="5xx 40%"
    )
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "shop-staging-green-5xx-rate" in err and "5xx 40%" in err
    assert world.weights() == {"blue": 100, "green": 0}
    assert world.journal().history[-1].status == "rolled_back"


def _race(world: World, store: str) -> None:
    procs = [
        world.shift("--steps", "50,100", "--bake", "1.5", "--poll", "0.05", store=store)
        for _ in range(2)
    ]
    # communicate, not wait: an unread stdout pipe would block a --json run once full.
    errs = [p.communicate(timeout=60)[1] for p in procs]
    results = [(p.returncode, err) for p, err in zip(procs, errs, strict=True)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 3], results
    loser = next(err for code, err in results if code == 3)
    assert "locked by" in loser and "since" in loser
    assert world.weights() == {"blue": 0, "green": 100}


def test_two_runs_on_one_listener_local_store(world: World) -> None:
    _race(world, str(world.store))


def test_two_runs_on_one_listener_dynamodb_store(world: World) -> None:
    world.client("dynamodb").create_table(
        TableName="zdd-deployments",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    _race(world, "dynamodb://zdd-deployments")


def test_unreachable_dynamodb_store_moves_nothing(world: World) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    proc = world.shift(
        "--bake",
        "0",
        store="dynamodb://zdd-deployments",
        extra_env={"AWS_ENDPOINT_URL_DYNAMODB": dead},
    )
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "dynamodb://zdd-deployments" in err and "Traceback" not in err
    assert world.weights() == {"blue": 100, "green": 0}


def test_unwritable_store_directory_moves_nothing(world: World) -> None:
    blocker = world.tmp / "blocker"
    blocker.write_text("a file, not a directory")
    proc = world.shift("--bake", "0", store=str(blocker / "store"))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err  # bad input, said before any AWS call (issue 24)
    assert "--store" in err and "Traceback" not in err
    assert world.weights() == {"blue": 100, "green": 0}


def test_listener_changed_mid_run_exits_4(world: World) -> None:
    proc = world.shift("--steps", "10,50,100", "--bake", "1", "--poll", "0.05")
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line).get("event", {}).get("kind") == "bake.start":
            break
    shifter = AlbListenerRouter(world.client("elbv2"), world.outputs)
    shifter.set_weights(shifter.read(), {"blue": 100, "green": 0})  # a human in the console
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    assert "expects blue 90% / green 10%" in err and "has blue 100% / green 0%" in err
    assert world.weights() == {"blue": 100, "green": 0}


@pytest.mark.parametrize("seed", range(20))
def test_sigkill_at_a_random_moment_then_resume(world: World, seed: int) -> None:
    rng = random.Random(seed)
    proc = world.shift("--steps", "10,50,100", "--bake", "0.25", "--poll", "0.05")
    time.sleep(rng.uniform(0.3, 2.0))  # the victim runs in real time; this picks the moment
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    resume = world.zdd("resume", "--store", str(world.store))
    _out, err = resume.communicate(timeout=60)
    assert resume.returncode in (0, 1), err  # finished, or rolled back on purpose
    weights = world.weights()
    assert sorted(weights.values()) == [0, 100], weights
    doc = world.journal() if (world.store / "shop-staging.json").exists() else None
    if doc is None:  # killed before the journal was first written: nothing moved
        assert weights == {"blue": 100, "green": 0}
        return
    assert doc.current is None, doc.current  # never stuck in progress
    last = doc.history[-1] if doc.history else None
    if last is not None:
        live = "green" if weights["green"] == 100 else "blue"
        assert live == (last.to_colour if last.status == "promoted" else last.from_colour)


def test_status_shows_history(world: World) -> None:
    world.shift("--strategy", "all_at_once", "--bake", "0").communicate(timeout=60)
    proc = world.zdd("status", "--store", str(world.store), "--history", "--json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert report["live"] == "green"
    assert report["history"][0]["outcome"] == "promoted"
    assert {a["state"] for a in report["alarms"]["green"]} == {"OK"}


def test_contract_migration_blocks_shift_until_finalize(world: World) -> None:
    (world.tmp / "migrations").mkdir()
    (world.tmp / "migrations" / "001_drop.sql").write_text(
        "ALTER TABLE users DROP COLUMN legacy;\n"
    )
    env_file = world.tmp / "staging.yaml"
    env_file.write_text(
        Path(ENV_FILE).read_text()
        + "database:\n  migrations: migrations\n  dialect: postgres\n  rollback_window_seconds: 0\n"
    )
    proc = world.zdd("shift", "--store", str(world.store), "--bake", "0", env_file=str(env_file))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    assert "001_drop.sql:1: contract" in err
    assert world.weights() == {"blue": 100, "green": 0}
    done = subprocess.run(
        [ZDD, "finalize", "--env", str(env_file), "--store", str(world.store)],
        capture_output=True,
        text=True,
        env=world.environ,
        cwd=world.tmp,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    proc = world.zdd("shift", "--store", str(world.store), "--bake", "0", env_file=str(env_file))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert world.weights() == {"blue": 0, "green": 100}
