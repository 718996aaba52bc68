"""`zdd pipeline`: glue over generator.pipeline, errors as exit codes."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

PIN = "zdd @ git+https://git.example/platform/zdd@v0.1.0"


def test_pipeline_renders_and_warns(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "workflows"
    result = run_cli("pipeline", "github", "--install", PIN, "--out", str(out), cwd=ROOT)
    assert result.exit_code == 0, result.stderr
    assert "zdd-production.yml" in result.stdout
    assert (out / "zdd-staging-control.yml").is_file()
    assert "warning: staging: Terraform state is local" in result.stderr
    again = run_cli(
        "pipeline", "github", "--install", PIN, "--env", "production", "--out", str(out), cwd=ROOT
    )
    assert "removed zdd-staging.yml (no longer generated)" in again.stdout


def test_pipeline_pins_the_zdd_it_installs(run_cli, tmp_path: Path) -> None:
    result = run_cli(
        "pipeline", "gitlab", "--install", "zdd-release==1.2.3", "--out", str(tmp_path), cwd=ROOT
    )
    assert result.exit_code == 0, result.stderr
    assert 'ZDD_INSTALL: "zdd-release==1.2.3"' in (tmp_path / "pipeline.yml").read_text()


def test_pipeline_needs_to_be_told_where_ci_installs_zdd_from(run_cli, tmp_path: Path) -> None:
    # "zdd" on PyPI is another project: no default may install it.
    result = run_cli("pipeline", "github", "--out", str(tmp_path), cwd=ROOT)
    assert result.exit_code == 2 and "--install" in result.stderr
    assert not any(tmp_path.iterdir())


def test_pipeline_bad_input_exits_2(run_cli, tmp_path: Path) -> None:
    assert run_cli("pipeline", "jenkins", "--out", str(tmp_path), cwd=ROOT).exit_code == 2
    assert (
        run_cli("pipeline", "github", "--install", PIN, "--env", "nope", cwd=tmp_path).exit_code
        == 2
    )
    assert run_cli("pipeline", "github", "--install", PIN, cwd=tmp_path).exit_code == 2
