"""Shared fixtures: the real terraform binary, moto in process, a fake clock, the CLI."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

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
    candidates = [os.environ.get("ZDD_TERRAFORM"), str(Path(sys.prefix) / "bin" / "terraform")]
    for c in candidates:
        if c and Path(c).is_file():
            return c
    found = shutil.which("terraform")
    if not found:
        raise RuntimeError("terraform binary not found: install the dev extra")
    return found


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


@pytest.fixture
def aws(staging) -> Iterator[object]:
    """moto in process with the staging twin environments created."""
    import boto3
    from moto import mock_aws

    from generator.emulator import create_twin_environments

    with mock_aws():
        session = boto3.Session(region_name=staging.region)
        outputs = create_twin_environments(session, staging)
        yield AwsWorld(session, outputs)


@dataclass
class AwsWorld:
    session: object
    outputs: object

    def client(self, name: str):  # type: ignore[no-untyped-def]
        return self.session.client(name)  # type: ignore[attr-defined]

    def weights(self) -> dict[str, int]:
        from generator.traffic import TrafficShifter

        return TrafficShifter(self.client("elbv2"), self.outputs).read().weights  # type: ignore[arg-type]

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
