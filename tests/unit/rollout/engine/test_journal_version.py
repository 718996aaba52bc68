"""Each deployment's journal entry records which zdd made the release."""

from __future__ import annotations

from pathlib import Path

import generator
from generator.config import Strategy
from generator.journal.local import LocalStore
from generator.rollout.engine.engine import ReleaseSpec
from generator.rollout.engine.schedule import build_schedule
from tests.conftest import engine_for


def test_the_journal_records_the_zdd_version(aws, clock, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    engine = engine_for(aws, clock, store)
    schedule = build_schedule(Strategy(type="all_at_once", bake_seconds=10))
    dep = engine.shift(ReleaseSpec(schedule, "all_at_once"))
    assert dep.status == "promoted"
    assert store.load().history[-1].zdd_version == generator.__version__
