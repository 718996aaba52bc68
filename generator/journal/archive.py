"""The whole history, for the views that show it (zdd status --history, zdd report).

A store keeps only recent deployments in the journal document and moves older ones
to archive records (see journal/budget.py). Engines never read the archive; views
call ``load_full``, which reads it once.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from generator.journal.model import Deployment, JournalDoc


class _Loads(Protocol):
    def load(self) -> JournalDoc: ...


@runtime_checkable
class HistoryArchive(Protocol):
    """A store that keeps older deployments outside the journal document."""

    def load_archive(self, doc: JournalDoc) -> list[Deployment]:
        """The archived deployments of ``doc`` (records 0 .. doc.archived-1), oldest first."""
        ...


def load_full(store: _Loads) -> JournalDoc:
    """The journal with its whole history, archived deployments included, oldest first.

    For reading only (it says ``archived=0`` and carries every deployment): a change
    to the journal goes through ``store.load`` and ``update``.
    """
    doc = store.load()
    if not doc.archived or not isinstance(store, HistoryArchive):
        return doc
    inline = {d.id for d in doc.history}
    older = [d for d in store.load_archive(doc) if d.id not in inline]
    history = sorted([*older, *doc.history], key=lambda d: d.started_at)
    return doc.model_copy(update={"history": history, "archived": 0})
