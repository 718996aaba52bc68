"""The generated GitLab pipeline, run by gitlab-ci-local against moto_server.

Real jobs in a real git repository: `zdd validate`, `zdd plan` with real
terraform and the real AWS provider, the manual release job applying that plan
and shifting traffic. The only test-only inputs are CI variables: moto's endpoint,
a fake OIDC token (moto answers AssumeRoleWithWebIdentity, so the pipeline's own
OIDC path is the one used), the provider mirror and an offline pip.

gitlab-ci-local starts a container for a job with an ``image``; there is no
container engine here, so the test removes the one ``image:`` line of the hidden
``.zdd`` job and the jobs run in a shell, in the repository, which also keeps the
local Terraform state between pipelines (a real project has a state backend).
gitlab-ci-local 4.55 cannot run the unedited file without one: ``Job.imageName()``
returns an image for every job that has ``image:`` (an empty expansion becomes
``:latest``), ``--shell-executor-no-image`` applies only to jobs without ``image:``,
and ``--container-executable`` must name a docker-compatible CLI (volume create,
create, cp, start --attach). The install step of the unedited file, run as written in
an environment without git, is tested in test_wheel.py.

The tests share one world and run in order: create, release, bad canary, refusal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from generator.demo.moto import create_network, environment_with_network
from generator.pipeline import Pins
from tests.conftest import ROOT
from tests.support.providers import needs_a_provider_source, provider_environ

pytestmark = pytest.mark.integration
GITLAB_CI_LOCAL = ROOT / ".tools" / "node_modules" / ".bin" / "gitlab-ci-local"
BIN = Path(sys.executable).parent
ROLE = "arn:aws:iam::123456789012:role/zdd-staging-{}"
# A JWT with no signature: moto accepts any token, and nothing else ever sees it.
ID_TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwcm9qZWN0X3BhdGg6cGxhdGZvcm0vc2hvcCJ9."
RESULT = re.compile(r"^ (PASS|FAIL) +(\S+)", re.M)
EXIT = re.compile(r"^(\S+) +finished in .*FAIL (\d+)", re.M)


@dataclass
class Run:
    code: int
    log: str
    seconds: float
    jobs: dict[str, str] = field(default_factory=dict)  # job -> PASS or FAIL
    exits: dict[str, int] = field(default_factory=dict)  # failed job -> its exit code


def _needs() -> None:
    missing = [str(p) for p in (GITLAB_CI_LOCAL,) if not p.exists()]
    missing += [tool for tool in ("rsync", "git", "node") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `make tools` (see the Makefile)")
    needs_a_provider_source()


def _pinned_terraform() -> str:
    """The machine's Terraform if it is the version the pipeline pins (else it downloads)."""
    wanted = f"Terraform v{Pins('zdd').terraform_version}"
    candidates = [os.environ.get("ZDD_TERRAFORM", "")]
    candidates += [str(Path(d) / "terraform") for d in os.environ["PATH"].split(os.pathsep)]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            first = subprocess.run([candidate, "version"], capture_output=True, text=True).stdout
            if first.splitlines()[:1] == [wanted]:
                return candidate
    pytest.fail(f"needs {wanted}, the version the generated pipeline pins (ZDD_TERRAFORM=PATH)")


def _job_path(tmp: Path) -> str:
    """PATH of the jobs: zdd, its python and the pinned terraform first, then the system."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "zdd").symlink_to(BIN / "zdd")
    (bin_dir / "terraform").symlink_to(_pinned_terraform())
    # A script, not a link: a venv's python finds its venv from the path it is run by.
    python = bin_dir / "python3"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    rest = [d for d in os.environ["PATH"].split(os.pathsep) if Path(d) != BIN]
    return os.pathsep.join([str(bin_dir), *rest])


class Project:
    """A git repository with the generated pipeline, and moto_server as its AWS."""

    def __init__(self, root: Path, url: str, path: str) -> None:
        self.root, self.url, self.path = root, url, path
        self.runs = 0
        self.env_file = root / "environments" / "staging.yaml"
        network = create_network(url)
        environment_with_network(
            ROOT / "environments" / "staging.yaml", network, root / "environments"
        )
        self.edit_env(lambda d: d["strategy"].update(bake_seconds=1, poll_seconds=0.2))
        self.git("init", "-q", "-b", "main")
        self.git("remote", "add", "origin", "https://gitlab.example.com/platform/shop.git")
        generated = subprocess.run(
            [str(BIN / "zdd"), "pipeline", "gitlab", "--install", "zdd==0.1.0"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        assert generated.returncode == 0, generated.stderr
        pipeline = root / ".gitlab" / "zdd" / "pipeline.yml"
        text = pipeline.read_text()
        assert text.count('  image: "python:3.12-slim"\n') == 1
        pipeline.write_text(text.replace('  image: "python:3.12-slim"\n', ""))
        (root / ".gitlab-ci.yml").write_text("include:\n  - local: .gitlab/zdd/pipeline.yml\n")
        (root / ".gitignore").write_text("build/\n.gitlab-ci-local/\n")
        self.commit("pipeline")

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git(
            "-c", "user.name=zdd", "-c", "user.email=zdd@example.com", "commit", "-qm", message
        )

    def edit_env(self, change: Any) -> None:
        data = yaml.safe_load(self.env_file.read_text())
        change(data)
        self.env_file.write_text(yaml.safe_dump(data, sort_keys=False))

    def pipeline(self, version: str | None = None) -> Run:
        """Every job of a default-branch pipeline, the manual release included; with
        ``version``, the pipeline variable that releases it onto the idle colour."""
        variables = {
            **({"ZDD_VERSION": version} if version else {}),
            "AWS_ENDPOINT_URL": self.url,
            # The provider's web-identity exchange ignores AWS_ENDPOINT_URL: name STS too.
            "AWS_ENDPOINT_URL_STS": self.url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "2",
            "ZDD_ID_TOKEN": ID_TOKEN,
            "ZDD_STAGING_PLAN_ROLE_ARN": ROLE.format("plan"),
            "ZDD_STAGING_RELEASE_ROLE_ARN": ROLE.format("release"),
            **provider_environ(),
            "PIP_NO_INDEX": "1",  # `pip install zdd==VERSION` finds it in this venv
            "GITLAB_CI": "true",  # gitlab-ci-local says "false" to tell it from GitLab
        }
        argv = [str(GITLAB_CI_LOCAL), "--no-color", "--manual", "zdd:release:staging"]
        for key, value in variables.items():
            argv += ["--variable", f"{key}={value}"]
        environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        environ["PATH"] = self.path
        started = time.monotonic()
        done = subprocess.run(
            argv, cwd=self.root, env=environ, capture_output=True, text=True, timeout=900
        )
        log = done.stdout + done.stderr
        self.runs += 1
        (self.root.parent / f"pipeline-{self.runs}.log").write_text(log)  # for a failure
        return Run(
            done.returncode,
            log,
            time.monotonic() - started,
            {job: verdict for verdict, job in RESULT.findall(log)},
            {job: int(code) for job, code in EXIT.findall(log)},
        )

    def outputs(self) -> dict[str, Any]:
        data = json.loads((self.root / "build" / "staging.outputs.json").read_text())
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
        arns = {arn: colour for colour, arn in self.outputs()["target_group_arns"].items()}
        listener = self.client("elbv2").describe_listeners(
            ListenerArns=[self.outputs()["listener_arn"]]
        )["Listeners"][0]
        groups = listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        return {arns[g["TargetGroupArn"]]: g["Weight"] for g in groups}

    def drift(self) -> str | None:
        """What a plan of the unchanged stack would change (moto answers lacking fields)."""
        plan = subprocess.run(
            [
                _pinned_terraform(),
                "-chdir=build/staging",
                "plan",
                "-input=false",
                "-detailed-exitcode",
                "-lock=false",
                "-no-color",
            ],
            cwd=self.root,
            env={
                **os.environ,
                "AWS_ENDPOINT_URL": self.url,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_MAX_ATTEMPTS": "2",
            },
            capture_output=True,
            text=True,
        )
        assert plan.returncode in (0, 2), plan.stdout + plan.stderr
        if plan.returncode == 0:
            return None
        (self.root.parent / "drift.txt").write_text(plan.stdout)
        return "; ".join(re.findall(r"# (\S+) will be updated in-place", plan.stdout))


@pytest.fixture(scope="module")
def project(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    _needs()
    tmp = tmp_path_factory.mktemp("gitlab")
    (tmp / "repo").mkdir()
    yield Project(tmp / "repo", server, _job_path(tmp))


def _report(name: str, run: Run) -> str:
    return f"{name}: exit {run.code} in {run.seconds:.0f} s, jobs {run.jobs}, exits {run.exits}"


def test_first_pipeline_creates_the_stack_and_passes_every_job(project: Project) -> None:
    run = project.pipeline()
    print(_report("create", run))
    assert run.code == 0, run.log[-4000:]
    assert run.jobs == {
        "zdd:validate:staging": "PASS",
        "zdd:plan:staging": "PASS",
        "zdd:release:staging": "PASS",
    }
    assert "no new release, no traffic to move" in run.log  # created, nothing to shift to
    assert (
        json.loads((project.root / "build" / "staging.tfplan.gitlab.json").read_text())["create"]
        > 20
    )
    assert project.weights() == {"blue": 100, "green": 0}


def _released_stack_is_stable(project: Project) -> None:
    """The emulator round-trips the stack (``generator.demo.moto``): an unchanged plan is
    empty. When it is not, the release jobs below would be refused for a reason that is the
    emulator's, so say which resources drift, as a failure."""
    drift = project.drift()
    assert not drift, (
        f"moto_server does not round-trip the stack: an unchanged plan updates {drift}"
    )


def test_good_release_passes_every_job(project: Project) -> None:
    _released_stack_is_stable(project)
    run = project.pipeline(version="1.1.0")
    print(_report("release", run))
    assert run.code == 0, run.log[-4000:]
    assert set(run.jobs.values()) == {"PASS"} and len(run.jobs) == 3
    assert "section_start" in run.log  # a collapsible section per step
    assert project.weights() == {"blue": 0, "green": 100}


def test_bad_canary_fails_the_release_job_with_exit_1_after_rollback(project: Project) -> None:
    _released_stack_is_stable(project)
    project.edit_env(lambda d: d["strategy"].update(bake_seconds=60))
    project.commit("bake a minute")
    alarm = project.outputs()["alarm_names"]["blue"][0]
    stop = threading.Event()

    def fire_when_the_canary_takes_traffic() -> None:
        while not stop.wait(0.2):
            try:
                if project.weights()["blue"] > 0:
                    project.client("cloudwatch").set_alarm_state(
                        AlarmName=alarm, StateValue="ALARM", StateReason="test: 5xx 40%"
                    )
                    return
            except Exception:  # outputs not written yet: the release job is still applying
                continue

    watcher = threading.Thread(target=fire_when_the_canary_takes_traffic, daemon=True)
    watcher.start()
    try:
        run = project.pipeline(version="1.2.0")  # onto blue, idle now
    finally:
        stop.set()
        watcher.join(5)
    print(_report("bad canary", run))
    assert run.jobs["zdd:release:staging"] == "FAIL", run.log[-4000:]
    assert run.exits == {"zdd:release:staging": 1}
    assert "rolled back" in run.log
    assert project.weights() == {"blue": 0, "green": 100}
    project.client("cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="OK", StateReason="test: recovered"
    )


def test_refused_plan_fails_the_plan_job_with_exit_3(project: Project) -> None:
    live = "green" if project.weights()["green"] == 100 else "blue"
    # A release changes only the idle colour's spec; the target groups' deregistration delay
    # is a load balancer setting rendered for both colours: the live one changes too.
    project.edit_env(lambda d: d["load_balancer"].update(deregistration_delay_seconds=5))
    project.commit("deregistration delay")
    run = project.pipeline()
    print(_report("refused", run))
    assert run.jobs["zdd:plan:staging"] == "FAIL", run.log[-4000:]
    assert run.exits == {"zdd:plan:staging": 3}
    assert "zdd:release:staging" not in run.jobs  # never reached
    assert f"belongs to the live colour {live}" in run.log
