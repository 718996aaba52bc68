"""One suite for both stores: versioned writes and listener locks."""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from pydantic import ValidationError

from generator.errors import InputError, LeaseLost, LockHeld, StoreError
from generator.journal import open_store
from generator.journal.dynamo import DynamoStore
from generator.journal.local import LocalStore
from generator.journal.model import (
    Deployment,
    Intent,
    JournalDoc,
    JournalEvent,
    Step,
    dump_journal,
)
from generator.journal.protocol import Owner, VersionConflict, update


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


# -- issue 13: every failure one line; every document written reads back -----------


def test_a_journal_that_is_not_utf8_is_corrupt_in_one_line(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, "shop", "staging")
    store.path.write_bytes(b"\xff\xfe{not text")
    with pytest.raises(StoreError, match="corrupt") as caught:
        store.load()
    assert len(str(caught.value).splitlines()) == 1


@pytest.mark.parametrize("content", [b"\xff\xfe", b"{not json", b'{"owner": 1}'])
def test_an_unreadable_local_lock_file_is_one_line(tmp_path: Path, content: bytes) -> None:
    store = LocalStore(tmp_path, "shop", "staging")
    store.lease_path.write_bytes(content)
    with pytest.raises(StoreError, match="lock file unreadable"):
        store.lock_info()


def test_a_dynamodb_lease_item_that_is_not_json_is_one_line() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName="zdd",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        store = DynamoStore(client, "zdd", "shop", "staging")
        client.put_item(
            TableName="zdd",
            Item={"pk": {"S": store.lock_key}, "owner": {"S": "x"}, "lease": {"S": "{oops"}},
        )
        with pytest.raises(StoreError, match=r"lock item .* is corrupt") as caught:
            store.lock_info()
        assert len(str(caught.value).splitlines()) == 1
        with pytest.raises(StoreError):
            store.acquire(Owner("me", "ci", 1, "shift"))


def test_a_removed_lock_is_a_lost_lease(make_store) -> None:
    factory, _ = make_store
    store = factory()
    owner = Owner("me", "elsewhere", 1, "shift")
    store.acquire(owner)
    store.release(owner)
    with pytest.raises(LeaseLost, match="nobody") as caught:
        store.heartbeat(owner)
    assert caught.value.exit_code == 3


def _random_value(rng: random.Random, depth: int = 0) -> object:
    kinds = ["int", "float", "str", "bool", "none"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.randint(-(10**12), 10**12)
    if kind == "float":
        return rng.uniform(-1e9, 1e9)
    if kind == "str":
        return "".join(rng.choice('aé€😀\n"\\ {}$%') for _ in range(rng.randint(0, 12)))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "list":
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def _random_deployment(rng: random.Random, n: int) -> Deployment:
    weights = {"blue": rng.randint(0, 100)}
    weights["green"] = 100 - weights["blue"]
    steps = [*sorted(rng.sample(range(1, 100), rng.randint(0, 3))), 100]
    return Deployment(
        id=f"d{n}",
        release=rng.choice([None, "v1.2.3", "é"]),
        strategy=rng.choice(["canary", "linear", "steps"]),
        from_colour="blue",
        to_colour="green",
        listener_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/a/1/2",
        schedule=[
            Step(percent=p, bake_seconds=rng.uniform(0, 86400), gate=rng.random() < 0.2)
            for p in steps
        ],
        status=rng.choice(["in_progress", "waiting_gate", "rolling_back", "promoted", "aborted"]),
        step_index=rng.randint(-1, len(steps) - 1),
        weights=weights,
        pending=rng.choice(
            [None, Intent(before=weights, after=dict(weights), reason="step", at=rng.random())]
        ),
        request=rng.choice([None, "promote", "abort"]),
        started_at=1.7e9 + rng.random(),
        finished_at=rng.choice([None, 1.8e9]),
        migrations=[f"a/{i:03d}.sql@sha256:{i:016x}" for i in range(rng.randint(0, 3))],
        events=[
            JournalEvent(
                at=rng.random(),
                kind="step.verified",
                message="m",
                data={"weights": weights, "extra": _random_value(rng)},
            )
            for _ in range(rng.randint(0, 5))
        ],
    )


@pytest.mark.parametrize("seed", range(40))
def test_every_journal_document_written_reads_back(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    doc = JournalDoc(
        service="shop",
        environment="staging",
        current=_random_deployment(rng, 0) if rng.random() < 0.7 else None,
        history=[_random_deployment(rng, i + 1) for i in range(rng.randint(0, 4))],
        finalized_migrations=[f"x/{i}.sql" for i in range(rng.randint(0, 3))],
    )
    text = dump_journal(doc, 1)
    assert JournalDoc.model_validate_json(text) == doc.model_copy(update={"version": 1})
    store = LocalStore(tmp_path, "shop", "staging")
    store.save(doc)
    assert store.load() == doc


def test_a_document_that_would_not_read_back_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="finite"):
        Step(percent=10, bake_seconds=math.inf)
    store = LocalStore(tmp_path, "shop", "staging")
    update(store, lambda d: d.finalized_migrations.append("a.sql"))
    before = store.path.read_text()
    doc = store.load()
    doc.finalized_migrations.append("\ud800")  # no UTF-8 form
    with pytest.raises(StoreError, match="not written"):
        store.save(doc)
    doc = store.load()
    doc.current = _random_deployment(random.Random(1), 9)
    doc.current.finished_at = math.inf  # set after the model was built: JSON would say null
    with pytest.raises(StoreError, match="not written"):
        store.save(doc)
    assert store.path.read_text() == before
    assert store.load().version == 1


@pytest.mark.parametrize("url", ["s3://bucket/zdd", "file:///tmp/zdd", "", "  ", "dynamodb://a"])
def test_a_store_url_that_is_neither_a_directory_nor_dynamodb_is_refused(url: str) -> None:
    with pytest.raises(InputError, match="--store") as caught:
        open_store(url, "shop", "staging")
    assert caught.value.exit_code == 2
