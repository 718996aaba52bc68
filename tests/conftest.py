"""Shared fixtures: the real terraform binary, moto in process, a fake clock, the CLI."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from generator.config import Environment, Hooks, Strategy
    from generator.config.analysis import Analysis

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


def terraform_binary() -> str:
    """``ZDD_TERRAFORM``, else ``terraform`` on PATH: 1.5 or later, or the suite fails."""
    from generator.infra.terraform import find_terraform

    return find_terraform()


# The longest modules first: each module runs on one worker (pytest-xdist, loadscope), so
# a long one that starts last ends last. From `make test`'s printed slowest tests.
LONGEST_FIRST = (
    "test_ecs_release_e2e.py",
    "test_gitlab_pipeline.py",
    "test_stack_apply.py",
    "test_wheel.py",
    "test_module_tftests.py",
    "test_shared_alb.py",
    "test_demo.py",
    "test_upgrade.py",
    "test_fault_trials.py",
    "test_e2e.py",
    "test_budget.py",
    "test_signals_e2e.py",
    "test_warden_e2e.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: order kept


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    path = terraform_binary()
    os.environ["ZDD_TERRAFORM"] = path
    return path


@dataclass
class FakeClock:
    """now() and sleep() for the engine: sleeping advances time and runs due callbacks."""

    t: float = 1_700_000_000.0
    slept: list[float] = field(default_factory=list)
    _due: list[tuple[float, Callable[[], None]]] = field(default_factory=list)
    on_sleep: list[Callable[[FakeClock], None]] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        due = [cb for when, cb in self._due if when <= self.t]
        self._due = [(w, cb) for w, cb in self._due if w > self.t]
        for cb in due:
            cb()
        for hook in list(self.on_sleep):
            hook(self)
        if len(self.slept) > 100_000:
            raise RuntimeError("fake clock: the engine never stopped sleeping")

    def at(self, delay: float, callback: Callable[[], None]) -> None:
        self._due.append((self.t + delay, callback))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def staging():
    from generator.config import load_environment

    return load_environment(ROOT / "environments" / "staging.yaml")


_WORLD: dict[str, object] = {}


def _world_alive(session: object, outputs: object) -> bool:
    try:
        session.client("elbv2").describe_listeners(  # type: ignore[attr-defined]
            ListenerArns=[outputs.listener_arn]  # type: ignore[attr-defined]
        )
    except Exception:
        return False
    return not _failed_rollouts(session, outputs)


def _failed_rollouts(session: object, outputs: object) -> bool:
    """A crash-looping release leaves its FAILED rollout listed, which restoring the
    service does not clear: readiness would refuse every later release of that colour."""
    ecs = session.client("ecs")  # type: ignore[attr-defined]
    for ref in (outputs.ecs_services or {}).values():  # type: ignore[attr-defined]
        described = ecs.describe_services(cluster=ref.cluster, services=[ref.service])
        for svc in described["services"]:
            if any(d.get("rolloutState") == "FAILED" for d in svc.get("deployments", [])):
                return True
    return False


def _restore_world(session: object, outputs: object, env: object) -> None:
    """Put back what a test may have changed: weights, stickiness, ECS services and their
    targets, alarms."""
    from generator.demo.ecs_world import restore_services

    live = env.live_colour  # type: ignore[attr-defined]
    elbv2 = session.client("elbv2")  # type: ignore[attr-defined]
    cloudwatch = session.client("cloudwatch")  # type: ignore[attr-defined]
    tgs = outputs.target_group_arns  # type: ignore[attr-defined]
    elbv2.modify_listener(
        ListenerArn=outputs.listener_arn,  # type: ignore[attr-defined]
        DefaultActions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": tgs[c], "Weight": 100 if c == live else 0}
                        for c in ("blue", "green")
                    ],
                    "TargetGroupStickinessConfig": {"Enabled": False, "DurationSeconds": 3600},
                },
            }
        ],
    )
    idle = "green" if live == "blue" else "blue"
    elbv2.modify_listener(
        ListenerArn=outputs.test_listener_arn,  # type: ignore[attr-defined]
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tgs[idle]}],
    )
    restore_services(session, env, outputs.ecs_services)  # type: ignore[arg-type,attr-defined]
    for names in outputs.alarm_names.values():  # type: ignore[attr-defined]
        for name in names:
            cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="reset")


@pytest.fixture
def aws(staging) -> Iterator[object]:
    """moto in process with the staging twin environments created.

    The world is built once and restored before each test (building it costs
    most of a second; restoring it a few milliseconds). A test that resets moto
    itself only makes the next one build it again.
    """
    import boto3
    from moto import mock_aws

    from generator.demo.emulator import create_twin_environments

    mock = mock_aws()
    mock.start(reset=False)
    try:
        session = _WORLD.get("session")
        outputs = _WORLD.get("outputs")
        if session is None or not _world_alive(session, outputs):
            mock.stop(remove_data=False)
            mock = mock_aws()
            mock.start(reset=True)
            session = boto3.Session(region_name=staging.region)
            outputs = create_twin_environments(session, staging)
            _WORLD.update(session=session, outputs=outputs)
        else:
            _restore_world(session, outputs, staging)
        yield AwsWorld(session, outputs)
    finally:
        mock.stop(remove_data=False)  # kept for the next test; other mocks reset on start


@dataclass
class AwsWorld:
    session: object
    outputs: object

    def client(self, name: str):  # type: ignore[no-untyped-def]
        return self.session.client(name)  # type: ignore[attr-defined]

    def weights(self) -> dict[str, int]:
        from generator.rollout.aws.alb import AlbListenerRouter

        return AlbListenerRouter(self.client("elbv2"), self.outputs).read().weights  # type: ignore[arg-type]

    def set_alarm(
        self, name: str, state: str = "ALARM", reason: str = "test: threshold crossed"
    ) -> None:
        self.client("cloudwatch").set_alarm_state(
            AlarmName=name, StateValue=state, StateReason=reason
        )


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys, monkeypatch) -> Callable[..., CliResult]:
    """Run `zdd ARGS` in process through the real entry point (exit codes included)."""
    from generator.cli import main

    def run(*args: str, cwd: Path | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["zdd", *args])
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@functools.cache
def _staging() -> Environment:
    from generator.config import load_environment

    return load_environment(ROOT / "environments" / "staging.yaml")


def engine_env(
    strategy: Strategy | None = None, hooks: Hooks | None = None, analysis: Analysis | None = None
) -> Environment:
    """The staging environment as engine tests run it: ``strategy`` (default: one
    healthy target needed), ``hooks`` (default: none), ``analysis`` (default: none)."""
    from generator.config import Hooks, Strategy

    return _staging().model_copy(
        update={
            "strategy": strategy or Strategy(min_healthy_targets=1),
            "hooks": hooks or Hooks(),
            "analysis": analysis,
        }
    )


def engine_for(
    aws: AwsWorld,
    clock: FakeClock,
    store: object,
    *,
    poll: float = 5,
    grace: float = 30,
    hooks: object = None,
    hooks_cwd: Path | None = None,
    cloudwatch: object = None,
    elbv2: object = None,
    events: object = None,
    strategy: object = None,
    outputs: object = None,
):  # type: ignore[no-untyped-def]
    """The production wiring (``build_engine``: ALB router, alarms, target health) on
    moto with plain clients and a fake clock; ``strategy`` replaces poll and grace."""
    from generator.config import Strategy
    from generator.events import EventBus
    from generator.rollout.aws.wiring import build_engine
    from tests.support.clients import aws_clients

    strategy = strategy or Strategy(
        min_healthy_targets=1, poll_seconds=poll, alarm_grace_seconds=grace
    )
    return build_engine(
        engine_env(strategy, hooks),  # type: ignore[arg-type]
        outputs or aws.outputs,  # type: ignore[arg-type]
        aws_clients(
            aws.session,
            elbv2=elbv2 or aws.client("elbv2"),
            cloudwatch=cloudwatch or aws.client("cloudwatch"),
        ),
        store,  # type: ignore[arg-type]
        events=events or EventBus(),  # type: ignore[arg-type]
        clock=clock,
        env_dir=hooks_cwd,
    )


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any AWS call would fail at once (exit 1): an exit 2 proves none was made."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
