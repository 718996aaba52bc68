"""The deployment journal (what AWS cannot tell) and the stores that keep it.

``open_store`` picks the store for a URL: a local directory (default) or a DynamoDB
table. Both implement ``protocol.DeploymentStore``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generator.config.urls import store_url_problem
from generator.errors import InputError, StoreError
from generator.journal.dynamo import DynamoStore
from generator.journal.local import LocalStore
from generator.journal.model import (
    Deployment,
    Intent,
    JournalDoc,
    JournalEvent,
    LockInfo,
    Step,
)
from generator.journal.protocol import DEFAULT_LEASE_SECONDS, DeploymentStore, Owner, update

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

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


def open_store(
    url: str,
    service: str,
    environment: str,
    *,
    base_dir: Path | None = None,
    dynamodb: Callable[[], DynamoDBClient] | None = None,
    lease_seconds: float | None = None,
) -> DeploymentStore:
    """``dynamodb://TABLE`` or a directory (relative to ``base_dir``)."""
    lease = DEFAULT_LEASE_SECONDS if lease_seconds is None else lease_seconds
    problem = store_url_problem(url)
    if problem:
        raise InputError(f"--store: {problem} (got {url!r})")
    if url.startswith("dynamodb://"):
        if dynamodb is None:
            raise StoreError("a DynamoDB store needs AWS access")
        return DynamoStore(
            dynamodb(), url.removeprefix("dynamodb://"), service, environment, lease_seconds=lease
        )
    directory = Path(url)
    if not directory.is_absolute():
        directory = (base_dir or Path.cwd()) / directory
    return LocalStore(directory, service, environment, lease_seconds=lease)
