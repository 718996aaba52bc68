"""A store that cannot be one is bad input (exit 2), said before anything runs.

``--store`` naming a file, a path below a file, a DynamoDB table that does not
exist or one keyed otherwise than zdd's (``pk``, a string, the only key) would
otherwise fail later, at the first read or write, with a store error (exit 1)
whose text does not say what to fix. Kept apart from the stores themselves: a
check, not a behaviour of reading and writing.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import InputError
from generator.files import kind_of

if TYPE_CHECKING:
    from generator.journal.protocol import DeploymentStore

EXPECTED_KEY = [{"AttributeName": "pk", "KeyType": "HASH"}]
CREATE_HINT = "a table with one string partition key named pk"


def check_store(store: DeploymentStore) -> None:
    """Raise InputError (one line) when ``store`` cannot hold a journal."""
    from generator.journal.dynamo import DynamoStore
    from generator.journal.local import LocalStore

    if isinstance(store, LocalStore):
        check_directory(store.directory)
    elif isinstance(store, DynamoStore):
        check_table(store.client, store.table)


def check_directory(directory: Path) -> None:
    """The directory, or the first of its ancestors that exists, must be a directory."""
    for path in (directory, *directory.parents):
        try:
            mode = path.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue  # look further up: an ancestor that is a file is the problem
        except OSError:
            return  # unreadable: the store says so when it is used
        if not stat.S_ISDIR(mode):
            what = "is" if path == directory else f"is below {path}, which is"
            raise InputError(
                f"--store: {directory} {what} {kind_of(mode)}; expected a directory "
                "(or dynamodb://TABLE)"
            )
        return


def check_table(client: Any, table: str) -> None:
    """The table exists and is keyed as zdd writes it; unknowable (no permission to
    describe it, AWS unreachable) is left to the first read, which says why."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        described = client.describe_table(TableName=table)["Table"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise InputError(
                f"--store: dynamodb://{table}: no such table in this account and region; "
                f"create {CREATE_HINT}"
            ) from None
        return
    except BotoCoreError:
        return
    keys = described.get("KeySchema") or []
    types = {
        a.get("AttributeName"): a.get("AttributeType")
        for a in described.get("AttributeDefinitions") or []
    }
    if keys != EXPECTED_KEY or types.get("pk") != "S":
        shown = ", ".join(f"{k.get('AttributeName')} ({k.get('KeyType')})" for k in keys)
        raise InputError(
            f"--store: dynamodb://{table}: keyed by {shown or 'nothing'}; zdd needs {CREATE_HINT}"
        )
