"""Terraform's JSON plan (``terraform show -json PLAN``) as typed objects.

Only the parts the guard needs are read: ``format_version`` and
``resource_changes[]`` with ``address``, ``module_address``, ``type``, ``name``,
``change.actions`` and, for updates in place, the top-level attributes that differ
between ``change.before`` and ``change.after`` (or are unknown until applied,
``change.after_unknown``). Anything else in the file is ignored, so plans from
Atlantis, Terraform Cloud or another CI job read the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import InputError
from generator.files import PLAN_JSON, read_capped

KNOWN_ACTIONS = frozenset({"no-op", "create", "read", "update", "delete", "forget"})


@dataclass(frozen=True)
class ResourceChange:
    address: str
    module_address: str | None
    type: str
    name: str
    actions: tuple[str, ...]
    colour_tag: str | None = None
    # Updates in place: the top-level attributes that change. None when the plan does
    # not say (no before/after objects): the guard then assumes anything may change.
    changed: tuple[str, ...] | None = None

    @property
    def is_replace(self) -> bool:
        return set(self.actions) == {"create", "delete"}

    @property
    def is_harmless(self) -> bool:
        return self.actions in (("no-op",), ("read",))

    @property
    def is_create_only(self) -> bool:
        return self.actions == ("create",)

    @property
    def label(self) -> str:
        return "replace" if self.is_replace else "+".join(self.actions)


@dataclass(frozen=True)
class PlanSummary:
    format_version: str
    changes: tuple[ResourceChange, ...]

    @property
    def has_changes(self) -> bool:
        return any(not c.is_harmless for c in self.changes)


def _fail(source: str, what: str) -> InputError:
    return InputError(f"{source}: {what}")


def _colour_tag(change: dict[str, Any]) -> str | None:
    for side in ("before", "after"):
        values = change.get(side)
        if isinstance(values, dict):
            for key in ("tags_all", "tags"):
                tags = values.get(key)
                if isinstance(tags, dict) and tags.get("zdd:colour") in ("blue", "green"):
                    return str(tags["zdd:colour"])
    return None


def _unknown(marks: Any) -> bool:
    """Whether an ``after_unknown`` entry marks anything (nested blocks mark leaves)."""
    if isinstance(marks, dict):
        return any(_unknown(v) for v in marks.values())
    if isinstance(marks, list):
        return any(_unknown(v) for v in marks)
    return marks is True


def changed_attributes(change: dict[str, Any]) -> tuple[str, ...] | None:
    """Top-level attributes an update changes, sorted; None when before/after are absent."""
    before, after = change.get("before"), change.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    unknown = change.get("after_unknown")
    unknown = unknown if isinstance(unknown, dict) else {}
    names = set(before) | set(after) | set(unknown)
    return tuple(
        sorted(
            name
            for name in names
            if before.get(name) != after.get(name) or _unknown(unknown.get(name))
        )
    )


def parse_plan(data: Any, source: str) -> PlanSummary:
    """Validate the shape of a JSON plan; raise InputError naming the field."""
    if not isinstance(data, dict):
        raise _fail(source, "plan JSON must be an object (terraform show -json PLAN)")
    version = data.get("format_version")
    if not isinstance(version, str) or not version.split(".")[0].isdigit():
        raise _fail(source, 'format_version: expected a string such as "1.0"')
    # Terraform 1.0 writes "0.2"; 1.1 and later write "1.x". Both share the fields read here.
    if version.split(".")[0] not in ("0", "1"):
        raise _fail(source, f"format_version: expected 0.x or 1.x (got {version!r})")
    raw = data.get("resource_changes", [])
    if not isinstance(raw, list):
        raise _fail(source, "resource_changes: expected a list")
    changes: list[ResourceChange] = []
    for i, item in enumerate(raw):
        where = f"resource_changes[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("address"), str):
            raise _fail(source, f"{where}.address: expected a string")
        change = item.get("change")
        if not isinstance(change, dict):
            raise _fail(source, f"{where}.change: expected an object")
        actions = change.get("actions")
        if (
            not isinstance(actions, list)
            or not actions
            or not all(isinstance(a, str) and a in KNOWN_ACTIONS for a in actions)
        ):
            raise _fail(
                source,
                f"{where}.change.actions: expected a list of {sorted(KNOWN_ACTIONS)} "
                f"(got {json.dumps(actions)})",
            )
        module = item.get("module_address")
        changes.append(
            ResourceChange(
                address=item["address"],
                module_address=module if isinstance(module, str) else None,
                type=str(item.get("type", "")),
                name=str(item.get("name", "")),
                actions=tuple(actions),
                colour_tag=_colour_tag(change),
                changed=changed_attributes(change) if "update" in actions else None,
            )
        )
    return PlanSummary(version, tuple(changes))


def load_plan(path: Path) -> PlanSummary:
    """Read a ``terraform show -json`` file; unreadable or malformed input is exit 2."""
    try:
        text = read_capped(path, PLAN_JSON, "plan JSON")
    except UnicodeDecodeError:
        raise _fail(str(path), "not JSON (not UTF-8 text); expected terraform show -json") from None
    except OSError as exc:
        raise _fail(
            str(path), f"cannot be read ({exc.strerror or exc.__class__.__name__})"
        ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _fail(str(path), f"not JSON (line {getattr(exc, 'lineno', '?')})") from None
    except RecursionError:
        raise _fail(str(path), "JSON nested too deeply to be a Terraform plan") from None
    return parse_plan(data, str(path))
