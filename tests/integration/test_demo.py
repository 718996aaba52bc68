"""`zdd demo` inside the suite: outcomes read from the store, the emulator and terraform's state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from generator.demo.run import run_demo
from generator.events import SCHEMA_PATH
from generator.journal.local import LocalStore
from tests.conftest import ROOT
from tests.support.providers import needs_a_provider_source

pytestmark = pytest.mark.integration


def test_demo_applies_the_stack_then_promotes_v2_and_rolls_back_v3_and_v4(
    terraform_bin: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    needs_a_provider_source()
    monkeypatch.chdir(ROOT)
    result = run_demo("staging", bake_seconds=0.3, json_mode=True, workdir=tmp_path)
    assert result.ok
    # applied by the real terraform, not the stand-in; outputs from `terraform output`
    stack = tmp_path / "staging"
    assert result.applied
    assert (stack / "terraform.tfstate").exists() and (stack / "emulator_override.tf").exists()
    state = json.loads((stack / "terraform.tfstate").read_text(encoding="utf-8"))
    assert state["outputs"]["listener_arn"]["value"] == result.outputs.listener_arn
    assert any(r["type"] == "aws_lb_listener" for r in state["resources"])
    history = LocalStore(result.store_dir, "shop", "staging").load().history
    assert [(d.release, d.status) for d in history] == [
        ("v2", "promoted"),
        ("v3", "rolled_back"),
        ("v4", "rolled_back"),
    ]
    assert [d.to_colour for d in history] == ["green", "blue", "blue"]
    assert "5xx" in (history[1].outcome_reason or "")
    assert "analysis failed" in (history[2].outcome_reason or "")
    assert result.final_weights == {"blue": 0, "green": 100}  # read from the emulator at the end
    assert (stack / "main.tf").exists()
    saved = json.loads((stack / "zdd-outputs.json").read_text(encoding="utf-8"))
    assert saved["listener_arn"]["value"] == result.outputs.listener_arn
    # the report of its releases, and --json lines that follow the documented schema
    assert result.report is not None and result.report == tmp_path / "report.html"
    html = result.report.read_text(encoding="utf-8")
    assert all(f'data-deployment="{d.id}"' in html for d in history)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert all(validator.is_valid(line) for line in lines)
    assert lines[-1]["result"]["report"] == str(result.report)


def test_demo_without_a_provider_falls_back_to_the_stand_in_and_says_why(
    terraform_bin: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(ROOT)
    # No provider anywhere, with or without a network: an empty mirror and no `direct`.
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    rc = tmp_path / "terraform.rc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{ path = "{empty}" }}\n}}\n')
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    monkeypatch.delenv("TF_PLUGIN_CACHE_DIR", raising=False)
    result = run_demo("staging", bake_seconds=0.3, workdir=tmp_path)
    assert result.ok and not result.applied
    assert not (tmp_path / "staging" / "terraform.tfstate").exists()
    err = capsys.readouterr().err
    assert (
        "FALLBACK: terraform cannot run here: terraform init failed (exit 1): "
        "Failed to query available provider packages: " in err
    )
    assert "To fix: give terraform a source for its providers" in err
    assert "STAND-IN" in err
