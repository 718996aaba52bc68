"""Releases on ECS end to end, as a team starts them: the installed wheel in an empty git
repository (`zdd init`, filled in, `zdd lock`), then `zdd plan`, `zdd apply`, `zdd deploy`
and `zdd rollback` as processes, real `terraform apply` through the real AWS provider,
moto_server (with the emulator's ECS scheduler: tasks, targets, rollouts, the circuit
breaker) as AWS.

The tests share one stack and run in order: plan and apply, three consecutive deploys
(an image, then a release of configuration only, then an image again, raced by a second
deploy that must refuse before it applies; each planned with the committed provider lock
file, never rewritten), a rollback after the last promotion that brings the previous
colour back with its previous spec, a release whose configuration never starts, `zdd
adopt` after a hand-made change to the listener; then plans: one changing every field of
the spec at once (only the idle colour is touched), one changing shared infrastructure
(each change shown with its class; one that touches what serves is refused).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from subprocess import PIPE
from typing import Any

import boto3
import pytest
import yaml

from generator.demo.moto import (
    create_network,
    environment_with_network,
    terraform_environ,
    write_emulator_override,
)
from tests.support.providers import needs_a_provider_source, provider_environ
from tests.support.wheel import run, wheel_environ
from tests.unit.config.test_scaffold import fill

pytestmark = pytest.mark.integration


class Stack:
    """The staging environment as a team starts it: the installed wheel in an empty git
    repository, `zdd init` filled in with the emulator's network, its provider lock file
    committed by `zdd lock`, the idle colour scaled down."""

    def __init__(self, root: Path, url: str, venv_bin: Path) -> None:
        self.root, self.url, self.bin = root, url, venv_bin
        self.environ = {
            **wheel_environ(venv_bin),
            **terraform_environ(url),
            **provider_environ(),
            "AWS_MAX_ATTEMPTS": "2",
            "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
        }
        for key in ("PYTHONPATH", "VIRTUAL_ENV", "ZDD_ENVIRONMENTS"):
            self.environ.pop(key, None)
        run(["git", "init", "-q"], root)
        assert "zdd validate --env staging" in self.zdd_ok("init")
        self.env_file = root / "environments" / "staging.yaml"
        self.env_file.write_text(fill(self.env_file.read_text()))
        environment_with_network(self.env_file, create_network(url), self.env_file.parent)
        data = yaml.safe_load(self.env_file.read_text())
        data.setdefault("strategy", {}).update(
            bake_seconds=0.3, poll_seconds=0.1, ready_timeout_seconds=120
        )
        data.setdefault("capacity", {}).update(
            desired=1, min=1, max=2, idle="scaled_down", scale_down_after_seconds=1
        )
        self.env_file.write_text(yaml.safe_dump(data, sort_keys=False))
        self.zdd_ok("lock")
        self.lock_file = root / "environments" / "staging.terraform.lock.hcl"
        self.locked = self.lock_file.read_bytes()
        self.stack_dir = root / "build" / "staging"
        self.stack_dir.mkdir(parents=True)
        write_emulator_override(self.stack_dir)

    def zdd_ok(self, *args: str) -> str:
        done = self.zdd(*args)
        assert done.returncode == 0, f"zdd {' '.join(args)}: {done.stdout}{done.stderr[-3000:]}"
        return done.stdout + done.stderr

    def zdd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "zdd"), *args, *(("--env", "staging") if args[0] != "init" else ())],
            cwd=self.root,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=900,
        )

    def journal_exists(self) -> bool:
        return (self.root / ".zdd" / "shop-staging.json").is_file()

    def outputs(self) -> dict[str, Any]:
        data = json.loads((self.stack_dir / "zdd-outputs.json").read_text())
        return {key: value["value"] for key, value in data.items()}

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="eu-west-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def weights(self) -> dict[str, int]:
        out = self.outputs()
        colours = {arn: colour for colour, arn in out["target_group_arns"].items()}
        listener = self.client("elbv2").describe_listeners(ListenerArns=[out["listener_arn"]])
        groups = listener["Listeners"][0]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        return {colour: 0 for colour in ("blue", "green")} | {
            colours[g["TargetGroupArn"]]: g["Weight"] for g in groups
        }

    def live(self) -> str:
        return next(c for c, w in self.weights().items() if w == 100)

    def service(self, colour: str) -> dict[str, Any]:
        ref = self.outputs()["ecs_services"][colour]
        ecs = self.client("ecs")
        found = ecs.describe_services(cluster=ref["cluster"], services=[ref["service"]])
        svc: dict[str, Any] = found["services"][0]
        definition = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])
        svc["image"] = definition["taskDefinition"]["containerDefinitions"][0]["image"]
        return svc

    def version(self, colour: str) -> str:
        return str(self.service(colour)["image"]).rsplit(":", 1)[-1]

    def task_definition(self, colour: str) -> dict[str, Any]:
        ecs = self.client("ecs")
        found = ecs.describe_task_definition(taskDefinition=self.service(colour)["taskDefinition"])
        definition: dict[str, Any] = found["taskDefinition"]
        return definition

    def environment(self, colour: str) -> dict[str, str]:
        container = self.task_definition(colour)["containerDefinitions"][0]
        return {e["name"]: e["value"] for e in container.get("environment", [])}

    def health_path(self, colour: str) -> str:
        arn = self.outputs()["target_group_arns"][colour]
        groups = self.client("elbv2").describe_target_groups(TargetGroupArns=[arn])
        return str(groups["TargetGroups"][0]["HealthCheckPath"])

    def edit(self, section: str, **values: Any) -> None:
        """Change the environment file as a user would."""
        data = yaml.safe_load(self.env_file.read_text())
        data.setdefault(section, {}).update(values)  # `zdd init` may leave a section out
        self.env_file.write_text(yaml.safe_dump(data, sort_keys=False))

    def changed_resources(self) -> list[str]:
        plan = json.loads((self.stack_dir / "zdd.tfplan.json").read_text())
        return [
            change["address"]
            for change in plan.get("resource_changes", [])
            if change["change"]["actions"] not in (["no-op"], ["read"])
        ]

    def deploy_raced(self, version: str) -> list[subprocess.CompletedProcess[str]]:
        """Two `zdd deploy` of ``version`` started together."""
        command = [
            str(self.bin / "zdd"),
            "deploy",
            "--version",
            version,
            "--env",
            str(self.env_file),
        ]
        runs = [
            subprocess.Popen(
                command, cwd=self.root, env=self.environ, stdout=PIPE, stderr=PIPE, text=True
            )
            for _ in range(2)
        ]
        done = []
        for proc in runs:
            out, err = proc.communicate(timeout=900)
            done.append(subprocess.CompletedProcess(command, proc.returncode, out, err))
        return done

    def journal(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads((self.root / ".zdd" / "shop-staging.json").read_text())
        return doc


@pytest.fixture(scope="module")
def stack(server: str, venv_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not shutil.which("terraform"):
        pytest.fail("needs terraform on PATH: make test")
    needs_a_provider_source()
    tmp = tmp_path_factory.mktemp("ecs-e2e")
    (tmp / "work").mkdir()
    yield Stack(tmp / "work", server, venv_bin)


def test_a_new_repository_plans_and_applies_with_its_committed_provider_lock(
    stack: Stack,
) -> None:
    planned = stack.zdd_ok("plan")
    assert "plan accepted" in planned
    assert "applied" in stack.zdd_ok("apply")
    assert "listener_arn" in run(["terraform", "output", "-json"], stack.stack_dir, stack.environ)
    assert stack.lock_file.read_bytes() == stack.locked
    assert (stack.stack_dir / ".terraform.lock.hcl").read_bytes() == stack.locked
    ignored = run(["git", "status", "--porcelain", "--ignored"], stack.root)
    assert "?? environments/" in ignored and "!! build/" in ignored  # the lock is committed


SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf"


def _config_release(stack: Stack) -> None:
    """A release of configuration only: the tag stays 1.1.0."""
    stack.edit(
        "container",
        environment={"LOG_LEVEL": "info", "FEATURE_X": "on"},
        secrets={"DB_PASSWORD": SECRET},
        cpu=512,
        memory=1024,
    )
    stack.edit("health_check", path="/ready")


def test_three_consecutive_deploys_each_promoted_keeping_the_previous_version(
    stack: Stack,
) -> None:
    previous = "1.0.0"
    for version in ("1.1.0", "1.1.0", "1.3.0"):
        if stack.journal_exists() and len(stack.journal()["history"]) == 1:
            _config_release(stack)
        if version == "1.3.0":  # a second deploy at once: refused before it applies
            runs = stack.deploy_raced(version)
            assert sorted(r.returncode for r in runs) == [0, 3], [r.stderr[-2000:] for r in runs]
            refused = next(r for r in runs if r.returncode == 3)
            assert (
                "locked by" in refused.stderr
                and "Apply complete" not in refused.stdout + refused.stderr
            )
        else:
            done = stack.zdd("deploy", "--version", version)
            assert done.returncode == 0, done.stderr[-3000:]
        live = stack.live()
        idle = "green" if live == "blue" else "blue"
        assert stack.version(live) == version
        assert stack.version(idle) == previous  # kept, at 0 tasks, for `zdd rollback`
        assert stack.service(idle)["desiredCount"] == 0  # scaled down after the window
        assert stack.service(live)["desiredCount"] == 1
        previous = version
        if len(stack.journal()["history"]) == 2:  # the config-only release went out whole
            assert stack.environment(live)["FEATURE_X"] == "on"
            assert stack.task_definition(live)["cpu"] == "512"
            assert stack.health_path(live) == "/ready"
            assert "FEATURE_X" not in stack.environment(idle)  # the old colour kept its own
            assert stack.health_path(idle) != "/ready"  # its own path, as `zdd init` wrote it
            plan = stack.zdd("plan")  # what was released is what the stack says: no change
            assert plan.returncode == 0, plan.stderr[-3000:]
            assert stack.changed_resources() == []
    ups = [c for c in stack.journal()["capacity"] if c["action"] == "scale_up"]
    downs = [c for c in stack.journal()["capacity"] if c["action"] == "scale_down"]
    assert len(ups) >= 2 and len(downs) == 3  # each release scaled its colour up first
    history = stack.journal()["history"]
    assert [d["status"] for d in history] == ["promoted"] * 3
    names = [d["release"] for d in history]
    assert names[0].startswith("1.1.0+") and names[1].startswith("1.1.0+")
    assert names[0] != names[1]  # a config-only release has a name of its own
    assert any("FEATURE_X" in line for line in history[1]["changes"])


def test_rollback_after_promotion_scales_the_previous_colour_up_and_moves_back(
    stack: Stack,
) -> None:
    before = stack.live()
    previous = "green" if before == "blue" else "blue"
    assert stack.service(previous)["desiredCount"] == 0
    done = stack.zdd("rollback", "--reason", "e2e")
    assert done.returncode == 0, done.stderr[-3000:]
    assert stack.live() == previous and stack.version(previous) == "1.1.0"
    assert stack.environment(previous)["FEATURE_X"] == "on"  # with its previous spec
    assert stack.task_definition(previous)["memory"] == "1024"
    assert stack.service(previous)["desiredCount"] == 1
    last = stack.journal()["history"][-1]
    assert (last["strategy"], last["status"]) == ("rollback", "rolled_back")


def test_a_deploy_whose_rollout_fails_never_moves_weight(stack: Stack) -> None:
    """A bad configuration (same tag; the emulator's circuit breaker trips on the value)
    never takes traffic; the live colour keeps the spec it ran, read back from ECS."""
    before, live = stack.weights(), stack.live()
    kept = stack.task_definition(live)["containerDefinitions"][0]
    stack.edit("container", environment={"LOG_LEVEL": "info", "FEATURE_Y": "crashloop"})
    done = stack.zdd("deploy", "--version", "1.1.0")
    assert done.returncode == 1, done.stderr[-3000:]
    assert "circuit breaker" in done.stderr and "nothing was moved" in done.stderr
    assert stack.weights() == before
    assert stack.journal()["current"] is None
    assert stack.task_definition(live)["containerDefinitions"][0] == kept


def test_after_a_hand_made_split_zdd_adopt_records_the_listener_a_person_fixed(
    stack: Stack,
) -> None:
    live = stack.live()
    idle = "green" if live == "blue" else "blue"
    groups = stack.outputs()["target_group_arns"]

    def by_hand(weights: dict[str, int]) -> None:
        stack.client("elbv2").modify_listener(
            ListenerArn=stack.outputs()["listener_arn"],
            DefaultActions=[
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": groups[c], "Weight": w} for c, w in weights.items()
                        ]
                    },
                }
            ],
        )

    by_hand({live: 50, idle: 50})
    refused = stack.zdd("shift")
    assert refused.returncode == 4, refused.stderr[-3000:]
    assert "zdd adopt --env ENV --live COLOUR --reason TEXT" in refused.stderr
    by_hand({live: 100, idle: 0})  # the person's decision: back where it was
    said = stack.zdd_ok("adopt", "--live", live, "--reason", "split by hand during an incident")
    assert f"all traffic on {live}" in said
    last = stack.journal()["history"][-1]
    assert (last["strategy"], last["status"], last["weights"]) == (
        "adopt",
        "aborted",
        {live: 100, idle: 0},
    )
    assert stack.lock_file.read_bytes() == stack.locked  # every plan used it as it is


def test_every_field_of_the_spec_at_once_touches_only_the_idle_colour(stack: Stack) -> None:
    idle = "green" if stack.live() == "blue" else "blue"
    stack.edit(
        "container",
        environment={"LOG_LEVEL": "debug", "NEW": "1"},
        secrets={"API_KEY": SECRET},
        cpu=1024,
        memory=2048,
        command=["nginx", "-g", "daemon off;"],
        entry_point=["/docker-entrypoint.sh"],
        port=8081,
        scratch_paths=["/tmp"],
        readonly_root_filesystem=False,
        log_retention_days=30,
        task_role_policy_arns=["arn:aws:iam::123456789012:policy/app-read"],
    )
    stack.edit(
        "health_check",
        path="/live",
        matcher="200-299",
        interval_seconds=20,
        timeout_seconds=6,
        healthy_threshold=2,
        unhealthy_threshold=4,
        grace_period_seconds=30,
    )
    done = stack.zdd("plan", "--version", "2.0.0")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    changed = stack.changed_resources()
    # Only the idle colour's own modules: its twin and its alarms (a new port replaces its
    # target group, whose ARN suffix the alarms watch); nothing shared.
    mine = (f"module.{idle}.", f"module.alarms_{idle}.")
    assert changed and all(a.startswith(mine) for a in changed), changed
    for field in ("cpu", "environment.NEW", "secrets.API_KEY", "health_check.path", "port"):
        assert field in done.stdout  # the spec diff, in the plan summary


def test_shared_changes_show_their_class_and_one_that_serves_is_refused(stack: Stack) -> None:
    stack.edit("load_balancer", idle_timeout=120)  # touches what serves
    stack.edit("network", allowed_cidrs=["10.0.0.0/8", "172.16.0.0/12"])  # a new rule: safe
    done = stack.zdd("plan")
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-3000:]
    assert "safe while serving" in done.stdout + done.stderr
    assert "touches what serves" in done.stdout + done.stderr
    assert "idle_timeout" in done.stdout + done.stderr
