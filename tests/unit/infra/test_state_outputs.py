"""Only an empty state means "never applied"; any failure of `terraform output` stops.

A fake terraform binary (``ZDD_TERRAFORM``) answers ``version -json`` and, for
``output -json``, whatever the test puts in ``FAKE_TF_STDOUT``/``FAKE_TF_STDERR``/
``FAKE_TF_EXIT``: the wrapper runs it as a real process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import StateUnreadable
from generator.infra.provision import applied_outputs, live_colour
from tests.conftest import FIXTURES
from tests.support.fake_terraform import install_fake_terraform

FAKE = """#!/bin/sh
case "$1" in
  version) echo '{"terraform_version": "1.9.0"}' ;;
  output)
    printf '%s' "$FAKE_TF_STDOUT"
    printf '%s' "$FAKE_TF_STDERR" >&2
    exit "${FAKE_TF_EXIT:-0}" ;;
  *) echo "unexpected: $*" >&2; exit 9 ;;
esac
"""

BACKEND_DOWN = """
Error: error loading state: RequestError: send request failed
caused by: Get "https://state.s3.eu-west-1.amazonaws.com/": dial tcp: i/o timeout

"""


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install_fake_terraform(tmp_path, monkeypatch, FAKE)
    directory = tmp_path / "stack"
    directory.mkdir()
    return directory


def _answers(monkeypatch: pytest.MonkeyPatch, stdout: str, stderr: str = "", code: int = 0) -> None:
    monkeypatch.setenv("FAKE_TF_STDOUT", stdout)
    monkeypatch.setenv("FAKE_TF_STDERR", stderr)
    monkeypatch.setenv("FAKE_TF_EXIT", str(code))


def _never(outputs: object) -> None:
    raise AssertionError("no outputs: the listener must not be read")


def test_an_empty_state_is_never_applied(
    stack: Path, monkeypatch: pytest.MonkeyPatch, staging
) -> None:
    _answers(monkeypatch, "{}\n")
    assert applied_outputs(stack) is None
    # `zdd apply` on a first apply protects the colour the environment file names
    assert live_colour(staging, stack, _never, first_apply=True) == staging.live_colour


def test_a_failing_terraform_output_stops_with_one_line(
    stack: Path, monkeypatch: pytest.MonkeyPatch, staging
) -> None:
    _answers(monkeypatch, "", BACKEND_DOWN, 1)
    with pytest.raises(StateUnreadable) as caught:
        live_colour(staging, stack, _never, first_apply=True)
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert message.startswith(f"{stack}: cannot read the stack's outputs")
    assert "error loading state: RequestError: send request failed" in message
    assert caught.value.exit_code == 1


def test_check_plan_on_an_unreadable_state_exits_1_naming_the_stack(
    stack: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    _answers(monkeypatch, "", BACKEND_DOWN, 1)
    plan = FIXTURES / "plans" / "idle-update-accept.json"
    result = run_cli(
        "check-plan", str(plan), "--env", "environments/staging.yaml", "--stack-dir", str(stack)
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(stack) in lines[0] and "error loading state: RequestError" in lines[0]
    assert "Traceback" not in result.stderr


def test_zdd_generate_still_renders_when_the_state_cannot_be_read(
    stack: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    """Rendering only: `zdd plan` reads the state again before anything is applied."""
    _answers(monkeypatch, "", BACKEND_DOWN, 1)
    result = run_cli("generate", "--env", "environments/staging.yaml", "--out", str(stack))
    assert result.exit_code == 0, result.stderr
    assert (stack / "main.tf").is_file()
