"""A colour's whole runtime spec: what a release changes, what the live colour keeps.

The idle colour is rendered from the environment file's spec; the live colour from the
spec recorded when it was released (the stack's ``colour_specs`` output, written by
Terraform from the rendered values), checked against what runs (``infra.running``).
A release is named by its tag plus a short digest of the rest of its spec, so a release
that changes only configuration has a name of its own: ``v7+c3d4e5f6``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from generator.config import Environment
from generator.errors import InputError


class HealthSpec(BaseModel):
    """The target group's health check, and how long ECS ignores it for a new task."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    matcher: str
    interval_seconds: int
    timeout_seconds: int
    healthy_threshold: int
    unhealthy_threshold: int
    grace_period_seconds: int


class ColourSpec(BaseModel):
    """Everything one colour runs that a release may change. Secrets are ARNs, never values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str  # repository, without the tag
    tag: str
    environment: dict[str, str]
    secrets: dict[str, str]  # NAME -> ARN (Secrets Manager or SSM)
    cpu: int
    memory: int
    command: list[str] | None = None
    entry_point: list[str] | None = None
    port: int
    health_check: HealthSpec
    scratch_paths: list[str]
    readonly_root_filesystem: bool
    log_retention_days: int
    task_role_policy_arns: list[str]

    def to_json(self) -> str:
        """Compact, keys sorted: what the stack records in ``colour_specs``."""
        return json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))

    @property
    def digest(self) -> str:
        """8 hex digits of everything but the tag: equal specs, equal digests."""
        rest = self.model_dump(exclude={"tag"})
        text = json.dumps(rest, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]

    @property
    def release(self) -> str:
        """How a release of this spec is named: ``TAG+DIGEST``."""
        return release_name(self.tag, self.digest)


def release_name(tag: str, digest: str | None) -> str:
    """``TAG+DIGEST``; the tag alone when there is no digest (a journal of an older zdd).
    ``+`` is never part of an image tag, so the name reads back unambiguously."""
    return f"{tag}+{digest}" if digest else tag


def spec_from_env(env: Environment, tag: str) -> ColourSpec:
    """The spec the environment file asks for, with ``tag``."""
    c, h = env.container, env.health_check
    return ColourSpec(
        image=c.image,
        tag=tag,
        environment=dict(c.environment),
        secrets=dict(c.secrets),
        cpu=c.cpu,
        memory=c.memory,
        command=list(c.command) if c.command is not None else None,
        entry_point=list(c.entry_point) if c.entry_point is not None else None,
        port=c.port,
        health_check=HealthSpec(**h.model_dump()),  # the same fields, recorded as released
        scratch_paths=list(c.scratch_paths),
        readonly_root_filesystem=c.readonly_root_filesystem,
        log_retention_days=c.log_retention_days,
        task_role_policy_arns=list(c.task_role_policy_arns),
    )


def parse_recorded(text: str, where: str) -> ColourSpec:
    """A spec from the stack's record; a record that does not parse is drift-worthy input."""
    try:
        return ColourSpec.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{where}: recorded spec unreadable at {loc}: {err['msg']}") from None


def flatten(spec: ColourSpec) -> dict[str, Any]:
    """Dotted key -> value: maps open up one level (``environment.LOG_LEVEL``)."""
    found: dict[str, Any] = {}
    for key, value in spec.model_dump().items():
        if isinstance(value, dict):
            for inner, v in value.items():
                found[f"{key}.{inner}"] = v
        elif value is not None:
            found[key] = value
    return found


def spec_diff(old: ColourSpec, new: ColourSpec) -> list[str]:
    """What changes from ``old`` to ``new``, one line a key: ``+`` added, ``-`` removed,
    ``~`` changed. Secrets show their ARN (the reference), never a value."""
    before, after = flatten(old), flatten(new)
    lines: list[str] = []
    for key in sorted(before.keys() | after.keys()):
        if key not in before:
            lines.append(f"+ {key} = {_shown(after[key])}")
        elif key not in after:
            lines.append(f"- {key} (was {_shown(before[key])})")
        elif before[key] != after[key]:
            lines.append(f"~ {key}: {_shown(before[key])} -> {_shown(after[key])}")
    return lines


def _shown(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
