"""The journal stays writable whatever it holds (issue 24, class 10).

DynamoDB refuses an item over 400 KB (moto too, at about 405,000 bytes): a journal
that grows past it makes every release fail and leaves abort and resume stuck. These
tests drive both stores with long histories, huge deployments and journals written
by the one-item layout, and measure what is written the way DynamoDB counts it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.journal import budget
from generator.journal.archive import load_full
from generator.journal.compact import compact, record_size
from generator.journal.dynamo import DynamoStore, item_size
from generator.journal.local import LocalStore
from generator.journal.model import Deployment, JournalDoc, JournalEvent, Step
from generator.journal.protocol import update

Factory = Callable[[], LocalStore | DynamoStore]
ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/a/1/2"


def deployment(
    n: int, *, status: str = "rolled_back", events: int = 30, pad: int = 100
) -> Deployment:
    return Deployment(
        id=f"d{n:06d}",
        release=f"v{n}",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn=ARN,
        schedule=[Step(percent=10, bake_seconds=60), Step(percent=100, bake_seconds=60)],
        status=status,  # type: ignore[arg-type]
        weights={"blue": 100, "green": 0},
        started_at=1.7e9 + n,
        finished_at=1.7e9 + n + 0.5,
        migrations=[f"m/{n:06d}.sql@sha256:{n:016x}"] if status == "promoted" else [],
        events=[
            JournalEvent(at=1.7e9 + n, kind="bake.poll", message=f"{i} " + "x" * pad)
            for i in range(events)
        ],
    )


def live_size(store: LocalStore | DynamoStore) -> int:
    """What the live record weighs: the DynamoDB item as DynamoDB counts it, or the JSON."""
    if isinstance(store, DynamoStore):
        item = store.client.get_item(TableName=store.table, Key={"pk": {"S": store.doc_key}})
        return item_size(item["Item"])
    return len(store.load().model_dump_json().encode("utf-8"))


def test_a_long_history_keeps_the_live_record_bounded_and_whole(any_store: Factory) -> None:
    store = any_store()
    total = 0
    for _ in range(30):  # 1,500 deployments of ~4 KB: 6 MB of history in all

        def add(doc: JournalDoc, start: int = total) -> None:
            doc.history += [deployment(start + i) for i in range(50)]

        update(store, add)
        total += 50
        assert live_size(store) <= budget.ITEM_LIMIT
    doc = any_store().load()
    assert len(doc.history) <= budget.INLINE_HISTORY + 1
    assert doc.archived + len(doc.history) == total
    full = load_full(any_store())
    assert [d.id for d in full.history] == [f"d{n:06d}" for n in range(total)]
    assert full.history[0] == deployment(0)  # archived records keep their events


def test_one_deployment_with_100k_events_and_megabytes_of_output_fits(any_store: Factory) -> None:
    store = any_store()
    dep = deployment(1, status="in_progress", events=100_000, pad=10)
    dep.events[500].message = "hook printed: " + "é" * 3_000_000  # a hook's megabytes
    dep.events.append(
        JournalEvent(at=2e9, kind="hook.failed", message="x", data={"out": "y" * 10**6})
    )
    dep.outcome_reason = "z" * 10**6
    doc = JournalDoc(service="shop", environment="staging", current=dep)
    store.save(doc)
    assert len(doc.current.events) == 100_001  # the caller's record is not clipped
    assert live_size(store) <= budget.ITEM_LIMIT
    kept = any_store().load().current
    assert kept is not None and record_size(kept) <= budget.DEPLOYMENT_BUDGET
    assert kept.events[0].message == dep.events[0].message  # how it started
    assert kept.events[-1].kind == "hook.failed"  # how it ended
    assert len(json.dumps(kept.events[-1].data)) <= budget.DATA_LIMIT
    assert len(kept.outcome_reason or "") <= budget.TEXT_LIMIT
    assert "characters cut" in (kept.outcome_reason or "")

    def more(d: JournalDoc) -> None:  # a reloaded record keeps counting what it dropped
        assert d.current is not None
        d.current.events += [JournalEvent(at=2e9, kind="late", message=str(i)) for i in range(500)]

    update(store, more)
    final = any_store().load().current
    assert final is not None and final.events[-1].message == "499"
    dropped = sum(e.data["dropped"] for e in final.events if e.kind == budget.TRUNCATED_KIND)
    markers = sum(1 for e in final.events if e.kind == budget.TRUNCATED_KIND)
    assert dropped + len(final.events) - markers == 100_501


def previous_layout(doc: JournalDoc) -> str:
    """The document as the one-item layout (schema 1) wrote it: no archive fields."""
    data = doc.model_dump(mode="json")
    del data["archived"], data["archived_migrations"]
    data["schema_version"] = 1
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def near_limit(current: Deployment | None = None, target: int = 396_000) -> JournalDoc:
    """A journal of the previous layout a little under DynamoDB's limit: 100 deployments."""
    history = [
        deployment(n, status="promoted" if n % 3 == 0 else "rolled_back", events=15)
        for n in range(100)
    ]
    doc = JournalDoc(service="shop", environment="staging", current=current, history=history)
    doc.version = 7
    room = target - len(previous_layout(doc).encode("utf-8"))
    assert room > 0
    history[-1].outcome_reason = "r" * room
    return doc


def plant(store: LocalStore | DynamoStore, doc: JournalDoc) -> None:
    """Write ``doc`` in the previous layout, as the code before issue 24 left it."""
    text = previous_layout(doc)
    if isinstance(store, DynamoStore):
        store.client.put_item(
            TableName=store.table,
            Item={
                "pk": {"S": store.doc_key},
                "version": {"N": str(doc.version)},
                "doc": {"S": text},
            },
        )
    else:
        store.directory.mkdir(parents=True, exist_ok=True)
        store.path.write_text(text, encoding="utf-8")


def test_a_journal_of_the_previous_layout_is_read_and_split_on_the_next_write(
    any_store: Factory,
) -> None:
    store = any_store()
    old = near_limit(deployment(100, status="in_progress", events=10))
    plant(store, old)
    read = store.load()
    assert read.history == old.history and read.current == old.current and read.archived == 0

    def abort(d: JournalDoc) -> None:
        assert d.current is not None
        d.current.request = "abort"
        d.current.events += [JournalEvent(at=2e9, kind="rollback", message="m" * 200)] * 40

    update(store, abort)
    doc = any_store().load()
    assert doc.current is not None and doc.current.request == "abort"
    assert len(doc.history) <= budget.INLINE_HISTORY + 1
    assert live_size(store) <= budget.LIVE_BUDGET
    full = load_full(any_store())
    assert [d.id for d in full.history] == [d.id for d in old.history]
    shipped = {m for d in old.history if d.status == "promoted" for m in d.migrations}
    inline = {m for d in doc.history for m in d.migrations}
    assert shipped <= {*doc.archived_migrations, *inline}  # the migration gate still sees them


@pytest.mark.parametrize("seed", range(20))
def test_every_document_compacts_inside_its_budgets_and_stably(seed: int) -> None:
    rng = random.Random(seed)

    def text() -> str:
        unit = "".join(rng.choices('a\né😀\x01"\\', k=10))  # escapes and wide characters
        return unit * rng.choice([1, 50, 2_000])

    def dep(n: int) -> Deployment:
        d = deployment(n, status=rng.choice(["promoted", "rolled_back", "aborted"]), events=0)
        d.events = [
            JournalEvent(at=float(i), kind="k", message=text(), data={"v": text(), "w": [text()]})
            for i in range(rng.choice([0, 50, 400]))
        ]
        d.outcome_reason = text()
        return d

    doc = JournalDoc(
        service="shop",
        environment="staging",
        current=dep(999),
        history=[dep(n) for n in range(rng.randint(0, 40))],
    )
    plan = compact(doc)
    assert record_size(plan.live) <= budget.LIVE_BUDGET
    for d in [plan.live.current, *plan.live.history, *plan.evicted]:
        assert d is not None and record_size(d) <= budget.DEPLOYMENT_BUDGET
    kept = [d.id for d in [*plan.evicted, *plan.live.history]]
    assert sorted(kept) == sorted(d.id for d in doc.history)  # nothing lost, nothing twice
    assert compact(plan.live).live == plan.live  # rewriting a written journal changes nothing


def test_a_local_archive_line_cut_by_a_crash_loses_no_later_record(tmp_path: Path) -> None:
    """A crash mid-append leaves a line without its newline; the next append must not be
    glued to it (both would be unreadable and the next record lost)."""
    store = LocalStore(tmp_path, "shop", "staging")
    update(store, lambda doc: doc.history.extend(deployment(n) for n in range(20)))
    archived = store.load().archived
    assert archived > 0
    with store.archive_path.open("a", encoding="utf-8") as out:
        out.write('{"seq": 999, "deployment": {"id": "half')  # the crash
    update(store, lambda doc: doc.history.extend(deployment(n) for n in range(20, 40)))
    doc = store.load()
    assert doc.archived > archived
    assert [d.id for d in load_full(store).history] == [f"d{n:06d}" for n in range(40)]
