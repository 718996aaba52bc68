"""`zdd demo` inside the suite: outcomes read from the store and the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.demo import run_demo
from generator.journal.local import LocalStore
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_demo_promotes_v2_and_rolls_back_v3(
    terraform_bin: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = run_demo("staging", bake_seconds=0.3, json_mode=True, workdir=tmp_path)
    assert result.ok
    history = LocalStore(result.store_dir, "shop", "staging").load().history
    assert [(d.release, d.status) for d in history] == [("v2", "promoted"), ("v3", "rolled_back")]
    assert history[0].to_colour == "green" and history[1].to_colour == "blue"
    assert "5xx" in (history[1].outcome_reason or "")
    assert result.final_weights == {"blue": 0, "green": 100}  # read from the emulator at the end
    assert (tmp_path / "staging" / "main.tf").exists()
    assert (tmp_path / "staging" / "zdd-outputs.json").exists()
