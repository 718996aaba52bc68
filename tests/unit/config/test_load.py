"""Environments: every bad file exits 2 with one line naming the field; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

BAD = sorted((FIXTURES / "bad_environments").glob("*.yaml"))


def test_corpus_is_large_enough() -> None:
    assert len(BAD) >= 30


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_environment_is_rejected_cleanly(path: Path, run_cli, tmp_path: Path) -> None:
    expect = path.read_text().splitlines()[0].removeprefix("# expect: ")
    for args in (
        ["validate", "--env", str(path)],
        ["generate", "--env", str(path), "--out", str(tmp_path / "out")],
    ):
        result = run_cli(*args)
        assert result.exit_code == 2, result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        assert expect in result.stderr
        assert path.name in result.stderr
        for line in result.stderr.strip().splitlines():
            assert line.split(": ")[0].endswith(path.name), line  # every line names the file
    assert not (tmp_path / "out").exists()


def test_examples_validate(run_cli) -> None:
    for name in ("staging", "production"):
        result = run_cli("validate", "--env", name, cwd=ROOT)
        assert result.exit_code == 0, result.stderr


def test_env_by_name_resolves_under_environments(run_cli, tmp_path: Path) -> None:
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "qa.yaml").write_text(
        (ROOT / "environments" / "staging.yaml").read_text()
    )
    assert run_cli("validate", "--env", "qa", cwd=tmp_path).exit_code == 0
    missing = run_cli("validate", "--env", "nope", cwd=tmp_path)
    assert missing.exit_code == 2
    # where zdd looked, and what is there instead
    assert str(tmp_path / "environments" / "nope.yaml") in missing.stderr
    assert "holds qa" in missing.stderr


def test_several_problems_give_one_line_each(run_cli, tmp_path: Path) -> None:
    text = (ROOT / "environments" / "staging.yaml").read_text()
    text = text.replace("port: 80\n  cpu", "port: 0\n  cpu").replace(
        "period_seconds: 60", "period_seconds: 45"
    )
    bad = tmp_path / "two.yaml"
    bad.write_text(text)
    result = run_cli("validate", "--env", str(bad))
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2
    assert len(lines) == 2
    assert any("container.port" in line for line in lines)
    assert any("alarms.period_seconds" in line for line in lines)
