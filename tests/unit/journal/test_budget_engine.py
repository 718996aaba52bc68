"""Abort, resume and concurrent writers with a DynamoDB journal at the item limit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from generator.journal.archive import load_full
from generator.journal.dynamo import DynamoStore
from generator.journal.model import Deployment, Intent, JournalDoc, Step
from generator.journal.protocol import VersionConflict, update
from tests.conftest import engine_for
from tests.unit.journal.conftest import create_table
from tests.unit.journal.test_budget import deployment, live_size, near_limit, plant


@pytest.fixture
def table(aws) -> Iterator[DynamoStore]:
    client = aws.client("dynamodb")
    name = f"zdd-{uuid.uuid4().hex[:8]}"
    create_table(client, name)
    try:
        yield DynamoStore(client, name, "shop", "staging")
    finally:
        client.delete_table(TableName=name)


def _left_behind(aws, clock, **fields: object) -> Deployment:
    return Deployment(
        id="dead00beef",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=aws.outputs.listener_arn,
        schedule=[Step(percent=10, bake_seconds=30), Step(percent=100, bake_seconds=30)],
        weights={"blue": 100, "green": 0},
        started_at=clock.now(),
        **fields,  # type: ignore[arg-type]
    )


def test_abort_works_with_a_journal_at_the_limit(aws, clock, table: DynamoStore) -> None:
    plant(table, near_limit(_left_behind(aws, clock)))
    table.clock = clock.now
    engine_for(aws, clock, table).request("abort")
    assert aws.weights() == {"blue": 100, "green": 0}
    doc = table.load()
    assert doc.current is None and doc.history[-1].status == "aborted"
    assert live_size(table) <= 400_000
    assert len(load_full(table).history) == 101


def test_resume_works_with_a_journal_at_the_limit(aws, clock, table: DynamoStore) -> None:
    intent = Intent(
        before={"blue": 100, "green": 0}, after={"blue": 90, "green": 10}, reason="step", at=0.0
    )
    plant(table, near_limit(_left_behind(aws, clock, pending=intent)))
    table.clock = clock.now
    dep = engine_for(aws, clock, table).resume()
    assert dep is not None and dep.status == "promoted"
    assert aws.weights() == {"blue": 0, "green": 100}
    assert table.load().history[-1].id == "dead00beef"


def test_a_stale_writer_never_overwrites_an_archived_record(table: DynamoStore) -> None:
    """Two writers archive under the same number; the one that lost the race is refused."""
    seed = JournalDoc(
        service="shop",
        environment="staging",
        history=[deployment(0, status="promoted"), *(deployment(n) for n in range(1, 6))],
    )
    table.save(seed)
    a, b = table.load(), table.load()
    b.history.append(deployment(6))  # evicts d000001 (d000000 is the last promoted)
    table.save(b)
    a.history.append(deployment(7, status="promoted"))  # would evict d000000 under that number
    with pytest.raises(VersionConflict):
        table.save(a)
    update(table, lambda d: d.history.append(deployment(7, status="promoted")))
    ids = [d.id for d in load_full(table).history]
    assert ids == [f"d{n:06d}" for n in range(8)]
