"""Truthful hand-offs: `zdd resume` and `zdd abort` when another run holds the lease.

Provably dead (this host, process gone): taken over at once, with the DynamoDB store
too. Maybe dead (another host, lease running): waited for with a countdown, then
taken. Alive (it renews its lease): refused, naming it, and nothing moves.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest

from generator.demo.injectors import RecordingSink
from generator.errors import LockHeld
from generator.journal.dynamo import DynamoStore
from generator.journal.model import Deployment, JournalDoc, Step
from generator.journal.protocol import Owner
from generator.rollout.aws.alb import AlbListenerRouter
from tests.conftest import engine_for
from tests.unit.journal.conftest import create_table

SCHEDULE = [Step(percent=10, bake_seconds=30), Step(percent=100, bake_seconds=30)]
SPLIT = {"blue": 90, "green": 10}
BLUE = {"blue": 100, "green": 0}


@pytest.fixture
def table(aws) -> Iterator[object]:
    client = boto3.client("dynamodb", region_name="eu-west-1")
    create_table(client, "zdd-handoff")
    yield client
    client.delete_table(TableName="zdd-handoff")


def _store(table, clock) -> DynamoStore:  # type: ignore[no-untyped-def]
    return DynamoStore(table, "zdd-handoff", "shop", "staging", lease_seconds=60, clock=clock.now)


def _left_mid_bake(aws, store: DynamoStore, clock, holder: Owner) -> None:
    router = AlbListenerRouter(aws.client("elbv2"), aws.outputs)
    router.set_weights(router.read(), dict(SPLIT))
    dep = Deployment(
        id="killed0001",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=aws.outputs.listener_arn,
        schedule=SCHEDULE,
        step_index=0,
        weights=dict(SPLIT),
        started_at=clock.now(),
    )
    store.save(JournalDoc(service="shop", environment="staging", current=dep))
    store.acquire(holder)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_resume_after_kill_9_on_this_host_takes_over_at_once(aws, clock, table) -> None:
    import socket

    store = _store(table, clock)
    _left_mid_bake(aws, store, clock, Owner("killed", socket.gethostname(), _dead_pid(), "shift"))
    dep = engine_for(aws, clock, store).resume()
    assert dep is not None and dep.status == "promoted"
    assert clock.now() - dep.started_at < 60 + 2 * 30 + 30  # no wait for the 60 s lease
    assert aws.weights() == {"blue": 0, "green": 100}


def test_resume_waits_for_a_maybe_dead_holder_with_a_countdown(aws, clock, table) -> None:
    store = _store(table, clock)
    _left_mid_bake(aws, store, clock, Owner("elsewhere", "ci-runner-7", 4242, "shift"))
    engine = engine_for(aws, clock, store)
    seen = RecordingSink()
    engine.events.sinks.append(seen)
    dep = engine.resume()
    assert dep is not None and dep.status == "promoted"
    waits = [e.message for e in seen.events if e.kind == "lease.wait"]
    assert waits and "lapses in 60.0s" in waits[0] and "ci-runner-7" in waits[0]
    assert "lapses in 0.0s" in waits[-1] or "lapses in 5.0s" in waits[-1]


def test_resume_refuses_a_holder_that_renews_its_lease(aws, clock, table) -> None:
    store = _store(table, clock)
    alive = Owner("alive", "ci-runner-8", 99, "shift")
    _left_mid_bake(aws, store, clock, alive)
    clock.on_sleep.append(lambda _c: store.heartbeat(alive))  # it keeps running
    with pytest.raises(LockHeld, match="renewed its lease meanwhile: it is running"):
        engine_for(aws, clock, store).resume()
    assert aws.weights() == SPLIT


def test_abort_after_kill_9_elsewhere_acts_once_the_lease_lapses(aws, clock, table) -> None:
    store = _store(table, clock)
    _left_mid_bake(aws, store, clock, Owner("elsewhere", "ci-runner-7", 4242, "shift"))
    dep = engine_for(aws, clock, store).request("abort", wait=True)
    assert dep.status == "aborted"
    assert aws.weights() == BLUE
    assert store.load().history[-1].status == "aborted"
    assert store.lock_info() is None


def test_a_store_refusing_the_lease_with_no_holder_is_not_spun_against(clock) -> None:
    """A store that refuses the lease yet names no holder (a change of hands it cannot
    explain): the wait backs off, then says so, instead of calling AWS in a tight loop."""
    from generator.rollout.lease import acquire_when_lapsed

    class Refusing:
        calls = 0

        def acquire(self, owner: Owner, *, take_over: bool = False, force: bool = False) -> None:
            self.calls += 1
            raise LockHeld("changed hands while acquiring")

        def lock_info(self) -> None:
            return None

    store = Refusing()
    with pytest.raises(LockHeld, match="changed hands"):
        acquire_when_lapsed(store, Owner.current("zdd resume"), clock, lambda _: None, poll=5)  # type: ignore[arg-type]
    assert store.calls == 5 and len(clock.slept) == 3  # backed off between the attempts
