"""Seeded fault trials: 320 releases, each under one injected fault (a stop signal once
or twice, an exception, a lost or slow reply, a reset, a 5xx, throttling, a lost lease),
then 40 of each kind of issue 24 (a near split set by hand, racing abort/promote
requests, an interrupted `zdd rollback`, a trickling hook server;
``tests.support.trial_kinds``), against one
shared ``moto_server`` behind the fault proxy. After each: the invariant, then `zdd
resume`, then the invariant again. ``benchmarks/run`` runs the same trials."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from generator.config import load_environment
from tests.conftest import ROOT
from tests.support.faults import FAULT_KINDS
from tests.support.trial_world import TrialWorld
from tests.support.trials import KINDS, TRIALS, TrialResult, Trials

pytestmark = pytest.mark.integration
RESULTS: dict[int, TrialResult] = {}


@pytest.fixture(scope="module")
def trials(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trials]:
    env = load_environment(ROOT / "environments" / "staging.yaml")
    workdir = tmp_path_factory.mktemp("trials")
    with TrialWorld.started(env, server, workdir) as world:
        yield Trials(world)


@pytest.mark.parametrize("seed", range(TRIALS))
def test_fault_trial_keeps_the_invariant(trials: Trials, seed: int) -> None:
    result = trials.run(seed)
    RESULTS[seed] = result
    assert result.verdict.lies == [], result.describe()
    assert result.verdict.stuck == [], result.describe()


def test_the_trials_covered_every_kind_of_fault(trials: Trials) -> None:
    """Deterministic under any order or split (pytest-xdist): trials this process has not
    run yet (they ran on another worker, or were deselected) are run here."""
    for seed in range(TRIALS):
        if seed not in RESULTS:
            RESULTS[seed] = trials.run(seed)
            assert RESULTS[seed].ok, RESULTS[seed].describe()
    plans = [r.plan for r in RESULTS.values()]
    assert {p.kind for p in plans} == set(KINDS)
    assert {p.store for p in plans} == {"local", "dynamodb"}
    http = [p.fault for p in plans if p.fault is not None]
    assert {f.kind for f in http} == set(FAULT_KINDS)
    assert {f.operation for f in http} >= {
        "ModifyListener",
        "DescribeListeners",
        "DescribeAlarms",
        "GetItem",
        "PutItem",
    }
    assert Counter(p.kind for p in plans if p.seed >= 320) == {
        kind: 40 for kind in ("exact_split", "racing_requests", "undo_interrupted", "hook_trickle")
    }
    trickles = [p for p in plans if p.kind == "hook_trickle"]
    assert {p.stage for p in trickles} == {"pre_traffic", "post_step", "post_promote"}
    assert {p.how for p in trickles} == {"", "exception", "signal"}
    assert any(p.variant for p in trickles)  # the alarm fires while a post_step hook runs
    signals = Counter(p.signum for p in plans if "signal" in p.kind)
    assert len(signals) == 3  # SIGINT, SIGTERM and SIGHUP
    met = sum(1 for r in RESULTS.values() if r.fired)
    assert met >= TRIALS * 0.9  # nearly every trial really met its fault
