"""Many releases in one account: jittered polls, backing off while AWS throttles, and a
throttled signal that is unknown, never OK (moto in process, injected clock)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from generator.aws import is_throttling
from generator.config import Strategy
from generator.errors import ReleaseFailed
from generator.journal.local import LocalStore
from generator.rollout.engine.cadence import Cadence
from generator.rollout.engine.engine import Engine, ReleaseSpec
from generator.rollout.engine.schedule import build_schedule
from generator.rollout.ports import Reading
from tests.conftest import engine_for


class ThrottledCloudWatch:
    """CloudWatch whose DescribeAlarms calls number ``throttled`` (1-based) are refused for
    their rate, as AWS refuses them once botocore's retries give up."""

    def __init__(self, real: Any, throttled: set[int] | None = None, after: int = 0) -> None:
        self.real = real
        self.throttled = throttled or set()
        self.after = after  # from this call on, every call is throttled (0: never)
        self.calls = 0

    def describe_alarms(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls in self.throttled or (self.after and self.calls >= self.after):
            error = {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}
            raise ClientError(error, "DescribeAlarms")  # type: ignore[arg-type]
        return self.real.describe_alarms(**kwargs)


def _engine(
    aws: Any, clock: Any, tmp_path: Path, cloudwatch: Any, draw: Callable[[], float]
) -> Engine:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    engine = engine_for(aws, clock, store, poll=5, grace=30, cloudwatch=cloudwatch)
    return Engine(replace(engine.ctx, random=draw))


def _spec(bake: float = 60) -> ReleaseSpec:
    strategy = Strategy(type="steps", steps=[50, 100], bake_seconds=bake)
    return ReleaseSpec(build_schedule(strategy), "steps")


def _bake_sleeps(clock: Any) -> list[float]:
    return [round(s, 6) for s in clock.slept]


def test_poll_intervals_are_jittered_below_p_and_repeat_with_the_seed(
    aws: Any, clock: Any, tmp_path: Path
) -> None:
    engine = _engine(aws, clock, tmp_path, aws.client("cloudwatch"), random.Random(7).random)
    start = clock.now()
    assert engine.shift(_spec()).status == "promoted"
    first = _bake_sleeps(clock)
    polls = first[:-1]  # the last sleep of each bake is cut short by its end
    assert all(4.5 <= s <= 5.0 for s in polls[:5])  # P·(1 - 0.1·u): never longer than P
    assert len(set(polls[:5])) == 5  # not one cadence shared with every other release
    assert clock.now() - start >= 120  # the bakes are as long as asked

    clock.slept.clear()
    again = _engine(aws, clock, tmp_path, aws.client("cloudwatch"), random.Random(7).random)
    assert again.shift(_spec()).to_colour == "blue"  # the next release, back to blue
    assert _bake_sleeps(clock) == first  # an injected, seeded source: the same cadence


def test_throttled_reads_back_off_without_stretching_the_bake(
    aws: Any, clock: Any, tmp_path: Path
) -> None:
    # Calls 1-2: pre-flight and the first bake poll; 3-5 throttled in a row.
    cloudwatch = ThrottledCloudWatch(aws.client("cloudwatch"), throttled={3, 4, 5})
    engine = _engine(aws, clock, tmp_path, cloudwatch, lambda: 0.5)  # a fixed draw: exact
    start = clock.now()
    dep = engine.shift(_spec())
    assert dep.status == "promoted"
    sleeps = clock.slept
    # P·(1 - 0.1·u) = 4.75 s; then, throttled, P·(1 + u·(2^k - 1)): 7.5 s, 12.5 s capped
    # at a third of the 30 s grace (10 s), 10 s; then 4.75 s again.
    assert [round(s, 2) for s in sleeps[:5]] == [4.75, 7.5, 10.0, 10.0, 4.75]
    assert max(sleeps) <= 10.0
    # Each bake still ends when it is due: two bakes of 60 s, nothing added.
    assert clock.now() - start == pytest.approx(120, abs=0.01)
    unthrottled_polls = 2 + 2 * 13  # pre-flight + 60 s / 4.75 s, two bakes
    assert cloudwatch.calls <= unthrottled_polls - 2


def test_a_signal_throttled_past_the_grace_is_unknown_and_fails_closed(
    aws: Any, clock: Any, tmp_path: Path
) -> None:
    cloudwatch = ThrottledCloudWatch(aws.client("cloudwatch"), after=3)
    engine = _engine(aws, clock, tmp_path, cloudwatch, random.Random(1).random)
    with pytest.raises(ReleaseFailed, match="failing closed") as caught:
        engine.shift(_spec(bake=600))
    assert "Throttling" in str(caught.value)
    assert aws.weights() == {"blue": 100, "green": 0}  # rolled back, read back
    # Never taken for OK: the bake did not pass on throttled reads; it failed once the
    # grace (30 s) ran out, polling at most every 10 s meanwhile.
    assert 30 <= sum(clock.slept) < 30 + 10 + 5 + 1


def test_only_a_rate_refusal_counts_as_throttling() -> None:
    def error(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "x"}}, "Op")  # type: ignore[arg-type]

    assert is_throttling(error("Throttling")) and is_throttling(error("ThrottlingException"))
    assert is_throttling(error("ProvisionedThroughputExceededException"))
    assert not is_throttling(error("AccessDenied")) and not is_throttling(ValueError("x"))


def test_the_cadence_returns_to_p_after_one_clean_poll() -> None:
    cadence = Cadence(poll=2.0, jitter=0.0, grace=60.0, random=lambda: 0.5)
    throttled = [Reading("alarms", "unknown", "throttled", throttled=True)]
    clean = [Reading("alarms", "ok")]
    # Between P and P·2^k (a draw of 0.5: half way), at most a third of the grace.
    assert [cadence.after(throttled) for _ in range(6)] == [3.0, 5.0, 9.0, 17.0, 20.0, 20.0]
    assert cadence.after(clean) == 2.0
    assert Cadence(poll=2.0, jitter=0.5, grace=60.0, random=lambda: 1.0).after(clean) == 1.0
