"""`zdd init`: scaffold a team's repository for zdd.

Writes ``environments/NAME.yaml`` with every required field (placeholders such as
``<VPC-ID>`` that ``zdd validate`` names until they are filled) and every other field
as a commented default, read from the schema itself so it cannot drift from it. Adds
``build/`` and ``.zdd/`` to ``.gitignore``. Never overwrites a file.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from generator.config import Environment, display_path, resolve_env_path
from generator.config.base import SLUG
from generator.config.load import is_env_path
from generator.errors import InputError

# What a team must decide; everything else has a default.
PLACEHOLDERS: dict[str, object] = {
    "service": "<SERVICE>",
    "region": "<REGION>",
    "versions": {"blue": "<IMAGE-TAG>", "green": "<IMAGE-TAG>"},
    "network.vpc_id": "<VPC-ID>",
    "network.subnet_ids": ["<SUBNET-ID-1>", "<SUBNET-ID-2>"],
    "network.alb_subnet_ids": ["<PUBLIC-SUBNET-ID-1>", "<PUBLIC-SUBNET-ID-2>"],
    "container.image": "<IMAGE>",
}
GITIGNORE_ENTRIES = ("build/", ".zdd/")
_GITIGNORE_HEADER = "# zdd: rendered Terraform stacks and the local journal"
# Sections shown as a hand-written example instead: they have no defaults to show.
_EXAMPLES = {
    "state": [
        "# state:  # S3 backend of the Terraform state; omit for local state",
        "#   bucket: my-terraform-state",
        "#   use_lockfile: true  # S3's own state lock (Terraform 1.10+)",
        "#   # lock_table: my-terraform-locks  # DynamoDB locking, for older Terraform",
        "#   # role_arn: arn:aws:iam::111122223333:role/terraform-state  # a state account",
    ],
}
_SKIPPED = {"database", "analysis"}  # optional features: see the configuration reference

HEADER = """\
# zdd environment {name!r}: twin environments (blue and green) behind one load balancer.
# Replace every <PLACEHOLDER>; `zdd validate --env {arg}` names each one still left.
# Commented lines show the defaults: uncomment and change only what you need. Every
# field is described in the configuration reference of zdd's README.
"""


@dataclass(frozen=True)
class Scaffold:
    """What ``zdd init`` did, and what to run next."""

    environment_file: Path
    gitignore: Path
    gitignore_added: list[str]
    next_commands: list[str]


def _json(value: object) -> str:
    """A default as YAML: JSON is valid YAML and quotes what YAML would misread."""
    return json.dumps(_plain(value), default=str)


def _plain(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _default(field: FieldInfo) -> object:
    if field.default is not PydanticUndefined:
        return field.default
    if field.default_factory is not None:
        return field.default_factory()  # type: ignore[call-arg]
    return PydanticUndefined


def _section(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _accepts(model: type[BaseModel], name: str, value: object) -> bool:
    """Would the section accept this default written out? (Some fields belong to another
    strategy type, and writing them out is an error even with their default.)"""
    try:
        model.model_validate({name: value})
    except ValidationError as exc:
        return not any(tuple(err["loc"][:1]) in ((name,), ()) for err in exc.errors())
    return True


@dataclass(frozen=True)
class _Writer:
    """Lines of one section: ``indent`` before the comment mark, ``inner`` after it."""

    commented: bool
    indent: str = ""
    inner: str | None = None  # None: not inside a commented section

    def line(self, text: str, *, comment: bool) -> str:
        if self.inner is not None:
            return f"{self.indent}# {self.inner}{text}"
        return f"{self.indent}# {text}" if comment and self.commented else f"{self.indent}{text}"

    def nested(self, *, comment: bool) -> _Writer:
        if self.inner is not None:
            return _Writer(self.commented, self.indent, self.inner + "  ")
        if comment and self.commented:
            return _Writer(self.commented, self.indent, "  ")
        return _Writer(self.commented, self.indent + "  ")


def _field(owner: type[BaseModel], name: str, field: FieldInfo, path: str, w: _Writer) -> list[str]:
    note = f"  # {field.description}" if field.description else ""
    if path in PLACEHOLDERS:
        value = _json(PLACEHOLDERS[path]).replace('"', "")  # <PLACEHOLDERS> unquoted
        return [w.line(f"{name}: {value}{note}", comment=False)]
    default = _default(field)
    nested = _section(field.annotation)
    if default is PydanticUndefined:
        if nested is None:
            return []
        inner = w.nested(comment=False)  # a required section: its fields, one by one
        return [w.line(f"{name}:", comment=False), *_model(nested, f"{path}.", inner)]
    if isinstance(default, BaseModel) and nested is not None:
        doc = (nested.__doc__ or "").strip().split("\n")[0]
        head = w.line(f"{name}:" + (f"  # {doc}" if doc else ""), comment=True)
        return [head, *_model(nested, f"{path}.", w.nested(comment=True))]
    if not _accepts(owner, name, default):
        return []
    return [w.line(f"{name}: {_json(default)}{note}", comment=True)]


def _model(model: type[BaseModel], prefix: str, w: _Writer) -> list[str]:
    return [
        line
        for name, field in model.model_fields.items()
        for line in _field(model, name, field, f"{prefix}{name}", w)
    ]


def environment_yaml(name: str, arg: str | None = None, *, commented: bool = True) -> str:
    """The scaffolded environment file; ``commented=False`` writes every default out."""
    body: list[str] = [HEADER.format(name=name, arg=arg or name), f"name: {name}"]
    previous = 1
    for field_name, field in Environment.model_fields.items():
        if field_name == "name" or field_name in _SKIPPED:
            continue
        if field_name in _EXAMPLES:
            body += ["", *_EXAMPLES[field_name]] if commented else []
            continue
        lines = _field(Environment, field_name, field, field_name, _Writer(commented))
        if lines and (len(lines) > 1 or previous > 1):
            body.append("")  # sections stand apart; top-level scalars stay together
        body += lines
        previous = len(lines) or previous
    return "\n".join(body) + "\n"


def _missing_ignores(gitignore: Path) -> list[str]:
    try:
        present = {line.strip().strip("/") for line in gitignore.read_text("utf-8").splitlines()}
    except FileNotFoundError:
        present = set()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{gitignore}: cannot be read ({exc.__class__.__name__})") from None
    return [entry for entry in GITIGNORE_ENTRIES if entry.strip("/") not in present]


def init_repository(env: str = "staging", cwd: Path | None = None) -> Scaffold:
    """Scaffold ``env`` (a name, or a path to a YAML file) in the repository at ``cwd``."""
    base = cwd or Path.cwd()
    path = resolve_env_path(env, base)
    name = path.stem if is_env_path(env) else env
    if len(name) > 20 or not SLUG.match(name):
        raise InputError(
            f"--env: {name!r} cannot name an environment: 2-20 lowercase letters, digits "
            "and hyphens, starting with a letter"
        )
    display = display_path(path, base)
    gitignore = base / ".gitignore"
    missing = _missing_ignores(gitignore)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite, even racing
            handle.write(environment_yaml(name, env))
    except FileExistsError:
        raise InputError(
            f"{display}: already exists; zdd init never overwrites a file "
            "(edit it, or pass another --env NAME)"
        ) from None
    if missing:
        try:
            existing = gitignore.read_text("utf-8")
        except FileNotFoundError:
            existing = ""
        sep = "" if not existing or existing.endswith("\n") else "\n"
        block = "\n".join([_GITIGNORE_HEADER, *missing]) + "\n"
        with gitignore.open("a", encoding="utf-8") as handle:
            handle.write(sep + ("\n" if existing else "") + block)
    return Scaffold(
        environment_file=path,
        gitignore=gitignore,
        gitignore_added=missing,
        next_commands=[
            f"zdd validate --env {env}",
            f"zdd generate --env {env}",
            f"zdd plan --env {env}",
        ],
    )
