"""The deployment journal (what AWS cannot tell) and the stores that keep it."""

from generator.journal.model import (
    Deployment,
    Intent,
    JournalDoc,
    JournalEvent,
    LockInfo,
    Step,
)
from generator.journal.store import DeploymentStore, Owner, open_store, update

__all__ = [
    "Deployment",
    "DeploymentStore",
    "Intent",
    "JournalDoc",
    "JournalEvent",
    "LockInfo",
    "Owner",
    "Step",
    "open_store",
    "update",
]
