"""Keeping a journal document inside its budgets (journal/budget.py), for every store.

``compact`` is pure: it returns the document to write (every record clipped to its
budget, older deployments taken out) and the deployments to archive. The caller's
objects are not clipped, so a running release keeps its full in-memory record and
every write clips it the same way again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from generator.errors import StoreError
from generator.journal import budget
from generator.journal.budget import clip_text
from generator.journal.model import Deployment, JournalDoc, JournalEvent


def _json_size(value: Any) -> int:
    try:
        return len(to_json(value))
    except PydanticSerializationError:
        return budget.DATA_LIMIT + 1  # cannot be measured: clipped; dump_journal names it


def _clip_data(data: dict[str, Any]) -> dict[str, Any]:
    if _json_size(data) <= budget.DATA_LIMIT or set(data) == {"_clipped"}:
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        small = _json_size(value) <= budget.DATA_VALUE_LIMIT
        out[key] = value if small else clip_text(_text(value), budget.DATA_VALUE_LIMIT)
    if _json_size(out) <= budget.DATA_LIMIT:
        return out
    return {"_clipped": clip_text(_text(data), budget.DATA_VALUE_LIMIT)}


def _text(value: Any) -> str:
    try:
        return to_json(value).decode("utf-8", "replace")
    except PydanticSerializationError:
        return repr(value)


def _clip_event(event: JournalEvent) -> JournalEvent:
    message = clip_text(event.message)
    data = _clip_data(event.data)
    if message is event.message and data is event.data:
        return event
    return event.model_copy(update={"message": message, "data": data})


def _dropped(event: JournalEvent) -> int:
    if event.kind == budget.TRUNCATED_KIND and isinstance(event.data.get("dropped"), int):
        return int(event.data["dropped"])
    return 1


def clip_events(events: list[JournalEvent], head: int, tail: int) -> list[JournalEvent]:
    """The first ``head`` and last ``tail`` events, and one marker counting the others."""
    if len(events) <= head + tail:
        return [_clip_event(e) for e in events]
    middle = events[head : len(events) - tail]
    dropped = sum(_dropped(e) for e in middle)
    marker = JournalEvent(
        at=middle[0].at,
        kind=budget.TRUNCATED_KIND,
        message=f"{dropped} events not kept (the journal's size budget)",
        data={"dropped": dropped},
    )
    kept_tail = events[len(events) - tail :] if tail else []
    return [_clip_event(e) for e in [*events[:head], marker, *kept_tail]]


def _clip_record(dep: Deployment, head: int, tail: int) -> Deployment:
    update: dict[str, Any] = {"events": clip_events(dep.events, head, tail)}
    if dep.outcome_reason is not None:
        update["outcome_reason"] = clip_text(dep.outcome_reason)
    if dep.pending is not None:
        update["pending"] = dep.pending.model_copy(update={"reason": clip_text(dep.pending.reason)})
    update["verdicts"] = [
        v.model_copy(update={"detail": clip_text(v.detail)}) for v in dep.verdicts
    ]
    update["step_verdicts"] = [
        s.model_copy(
            update={
                "verdicts": [
                    v.model_copy(update={"detail": clip_text(v.detail)}) for v in s.verdicts
                ]
            }
        )
        for s in dep.step_verdicts
    ]
    return dep.model_copy(update=update)


def fit_deployment(dep: Deployment) -> Deployment:
    """``dep`` held to ``DEPLOYMENT_BUDGET``: fewer events kept until it fits."""
    head, tail = budget.EVENTS_HEAD, budget.EVENTS_TAIL
    while True:
        fitted = _clip_record(dep, head, tail)
        if head + tail == 0 or record_size(fitted) <= budget.DEPLOYMENT_BUDGET:
            return fitted
        head, tail = head // 2, tail // 2


def record_size(model: Deployment | JournalDoc) -> int:
    """Bytes of the record's JSON (UTF-8), as a store writes it."""
    try:
        return len(model.model_dump_json().encode("utf-8", "surrogatepass"))
    except PydanticSerializationError:
        return 0  # dump_journal refuses it with the reason


@dataclass(frozen=True)
class Compacted:
    """What to write: ``live`` (the document), and ``evicted`` to archive first."""

    live: JournalDoc
    evicted: list[Deployment]  # archive records live.archived - len(evicted) .. live.archived - 1
    kept: list[int]  # indexes of the caller's history that stay inline

    @property
    def first_seq(self) -> int:
        return self.live.archived - len(self.evicted)

    def settle(self, doc: JournalDoc) -> None:
        """Apply the move to the archive to the caller's document, once written."""
        doc.history = [doc.history[i] for i in self.kept]
        doc.archived = self.live.archived
        doc.archived_migrations = list(self.live.archived_migrations)
        doc.refusals = doc.refusals[len(doc.refusals) - len(self.live.refusals) :]


def _evictable(doc: JournalDoc) -> list[int]:
    """Indexes of history that may leave, oldest first: all but the last promoted one."""
    promoted = [i for i, d in enumerate(doc.history) if d.status == "promoted"]
    keep = promoted[-1] if promoted else None  # rollback windows and finalize read it
    return [i for i in range(len(doc.history)) if i != keep]


def compact(doc: JournalDoc) -> Compacted:
    """``doc`` inside its budgets, with the deployments that must go to the archive."""
    history = [fit_deployment(d) for d in doc.history]
    evictable = _evictable(doc)
    surplus = max(len(history) - budget.INLINE_HISTORY, 0)
    out = set(evictable[:surplus])
    refusals = [
        r.model_copy(update={"reason": clip_text(r.reason, budget.REFUSAL_TEXT_LIMIT)})
        for r in doc.refusals
    ]
    base = doc.model_copy(update={"current": fit_deployment(doc.current) if doc.current else None})
    while True:
        kept = [i for i in range(len(history)) if i not in out]
        evicted = [history[i] for i in sorted(out)]
        live = _live(base, [history[i] for i in kept], evicted, refusals)
        if record_size(live) <= budget.LIVE_BUDGET:
            break
        more = [i for i in evictable if i not in out]
        if more:
            out.add(more[0])
        elif refusals:
            refusals = refusals[1:]
        else:
            break  # the store's item guard names what is left
    return Compacted(live, evicted, kept)


def _live(
    base: JournalDoc, history: list[Deployment], evicted: list[Deployment], refusals: list[Any]
) -> JournalDoc:
    shipped = {m for d in evicted if d.status == "promoted" for m in d.migrations}
    return base.model_copy(
        update={
            "history": history,
            "archived": base.archived + len(evicted),
            "archived_migrations": sorted({*base.archived_migrations, *shipped}),
            "refusals": refusals,
        }
    )


def dump_record(dep: Deployment) -> str:
    """The JSON of one archived deployment, checked to read back as the same record."""
    try:
        text = dep.model_dump_json()
        Deployment.model_validate_json(text)
    except (PydanticSerializationError, ValueError) as exc:
        raise StoreError(
            f"journal not written: deployment {dep.id} cannot be archived ({exc})"
        ) from None
    return text
