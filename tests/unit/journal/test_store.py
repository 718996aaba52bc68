"""One suite for both stores: versioned writes and listener locks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from generator.errors import LockHeld, StoreError
from generator.journal.dynamo import DynamoStore
from generator.journal.local import LocalStore
from generator.journal.model import JournalDoc
from generator.journal.store import Owner, VersionConflict, open_store, update


class Clock:
    t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["local", "dynamodb"])
def make_store(request, tmp_path: Path) -> Iterator[object]:
    clock = Clock()
    if request.param == "local":
        yield lambda: LocalStore(tmp_path, "shop", "staging", lease_seconds=60, clock=clock), clock
        return
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName="zdd",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield (
            lambda: DynamoStore(client, "zdd", "shop", "staging", lease_seconds=60, clock=clock),
            clock,
        )


def test_empty_store_reads_an_empty_journal(make_store) -> None:
    factory, _ = make_store
    doc = factory().load()
    assert doc.current is None and doc.history == [] and doc.version == 0


def test_writes_are_versioned(make_store) -> None:
    factory, _ = make_store
    a, b = factory(), factory()
    first = a.load()
    second = b.load()
    first.finalized_migrations = ["001.sql"]
    a.save(first)
    second.finalized_migrations = ["002.sql"]
    with pytest.raises(VersionConflict):
        b.save(second)
    assert a.load().finalized_migrations == ["001.sql"]
    update(b, lambda d: d.finalized_migrations.append("002.sql"))
    assert b.load().finalized_migrations == ["001.sql", "002.sql"]


def test_a_held_lock_names_its_holder(make_store) -> None:
    factory, _ = make_store
    store = factory()
    first, second = Owner("aaa", "ci-1", os.getpid(), "shift"), Owner("bbb", "ci-2", 1, "shift")
    store.acquire(first)
    with pytest.raises(LockHeld, match=r"aaa .*ci-1.*since") as caught:
        factory().acquire(second)
    assert caught.value.exit_code == 3
    store.release(first)
    factory().acquire(second)


def test_a_gone_holder_is_taken_over_only_by_resume_or_break_lock(make_store) -> None:
    factory, clock = make_store
    gone = Owner("dead", "elsewhere", 999_999, "shift")
    factory().acquire(gone)
    clock.t += 120  # the lease expired: its holder stopped heartbeating
    with pytest.raises(LockHeld, match="zdd resume"):
        factory().acquire(Owner("new", "ci", 1, "shift"))
    factory().acquire(Owner("resumer", "ci", 1, "resume"), take_over=True)
    assert factory().lock_info().owner == "resumer"
    factory().acquire(Owner("forcer", "ci", 1, "shift"), force=True)
    assert factory().lock_info().owner == "forcer"


def test_a_live_holder_is_not_taken_over_by_resume(make_store) -> None:
    factory, _ = make_store
    factory().acquire(Owner("alive", "elsewhere", 1, "shift"))
    with pytest.raises(LockHeld):
        factory().acquire(Owner("resumer", "ci", 1, "resume"), take_over=True)


def test_heartbeat_extends_the_lease(make_store) -> None:
    factory, clock = make_store
    owner = Owner("me", "elsewhere", 1, "shift")
    store = factory()
    store.acquire(owner)
    before = store.lock_info().expires
    clock.t += 30
    store.heartbeat(owner)
    assert store.lock_info().expires == before + 30


def test_local_store_writes_atomically_and_detects_corruption(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, "shop", "staging")
    update(store, lambda d: d.finalized_migrations.append("a.sql"))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert JournalDoc.model_validate_json(store.path.read_text()).finalized_migrations == ["a.sql"]
    store.path.write_text("{ half a journal")
    with pytest.raises(StoreError, match="corrupt"):
        store.load()


def test_unwritable_directory_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = open_store(str(blocker / "sub"), "shop", "staging")
    with pytest.raises(StoreError):
        store.acquire(Owner.current("shift"))
