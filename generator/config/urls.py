"""Where zdd keeps its journal: checked the same way in an environment file
(``store.url``) and on the command line (``--store``)."""

from __future__ import annotations

import re

TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


def store_url_problem(url: str) -> str | None:
    """Why ``url`` is not a store (a directory, or ``dynamodb://TABLE``), or None.

    Anything else with a scheme (``s3://``, ``file://``) is refused rather than
    becoming a local folder named ``s3:``: a runner that expects a shared lock
    must not silently get a private one.
    """
    if not url.strip():
        return "must be a directory or dynamodb://TABLE, not empty"
    if url.startswith("dynamodb://"):
        if not TABLE.match(url.removeprefix("dynamodb://")):
            return "dynamodb://TABLE needs a valid DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)"
        return None
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url) and not re.match(r"^[A-Za-z]:[\\/]", url):
        return "must be a directory or dynamodb://TABLE; no other scheme is supported"
    if any(ord(c) < 32 for c in url):
        return "must be a directory or dynamodb://TABLE, without control characters"
    return None
