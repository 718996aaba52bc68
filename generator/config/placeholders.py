"""Placeholders that ``zdd init`` writes (``<SERVICE>``, ``<VPC-ID>``...) and the check that
names each one still left, before the schema would only say what it expected."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

PLACEHOLDER = re.compile(r"^<[A-Z][A-Z0-9-]*>$")
_MAX_VISITS = 100_000  # bounded like the YAML reader: shared (aliased) values are not re-walked


def _walk(value: Any, path: str, seen: set[int]) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if PLACEHOLDER.match(value):
            yield path or "(top level)", value
        return
    if not isinstance(value, dict | list) or id(value) in seen or len(seen) >= _MAX_VISITS:
        return
    seen.add(id(value))
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key), seen)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]", seen)


def placeholder_problems(data: Any, display: str) -> list[str]:
    """One line per placeholder left in loaded YAML data: ``FILE: FIELD: ...``."""
    return [
        f"{display}: {path}: still the placeholder {value} that `zdd init` wrote; fill it in"
        for path, value in _walk(data, "", set())
    ]
