"""Environment files: found, read, parsed and validated, with one-line errors.

Every problem is reported as ``FILE: FIELD.PATH: what was expected (got VALUE)``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from generator.config.model import Environment
from generator.errors import ConfigError, InputError

_TYPE_NAMES = frozenset({"int", "float", "str", "bool", "list", "dict", "none"})


def _is_branch_tag(item: str) -> bool:
    """Pydantic names the union branch that failed (``int``, ``StepSpec``,
    ``function-after[...]``, ``literal[...]``): noise to a person, never a field."""
    return item in _TYPE_NAMES or "[" in item or "(" in item or item[:1].isupper()


def _format_loc(loc: tuple[int | str, ...]) -> str:
    """``strategy.steps[1].percent``: the path a person would write."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif not _is_branch_tag(item):
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(top level)"


def _describe(value: object) -> str:
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def format_validation_error(display: str, exc: ValidationError) -> list[str]:
    """One line per problem: ``FILE: FIELD.PATH: what was expected (got VALUE)``."""
    lines: list[str] = []
    seen: set[str] = set()
    for err in exc.errors():
        loc = _format_loc(tuple(err["loc"]))
        kind = err["type"]
        msg = str(err["msg"]).removeprefix("Value error, ")
        named = re.match(r"^([a-z_]+(?:\.[a-z_]+)*): (.*)$", msg)
        across = named is not None and (
            loc == "(top level)" or named.group(1).startswith(loc + ".")
        )
        if named is not None and across:  # a check across fields names its own field
            loc, msg = named.group(1), named.group(2)
        if kind == "missing":
            line = f"{display}: {loc}: required field is missing"
        elif kind == "extra_forbidden":
            line = f"{display}: {loc}: unknown field (check the spelling)"
        elif "(got " in msg or across:
            line = f"{display}: {loc}: {msg}"
        else:
            line = f"{display}: {loc}: {msg[:1].lower() + msg[1:]} (got {_describe(err['input'])})"
        # A union reports one error per branch; a person needs the first only.
        key = f"{loc}|{kind.split('_')[0]}"
        if key not in seen:
            seen.add(key)
            lines.append(line)
    return lines


def resolve_env_path(env: str, cwd: Path | None = None) -> Path:
    """``--env`` is a name (``environments/NAME.yaml``) or a path to a YAML file."""
    base = cwd or Path.cwd()
    if env.endswith((".yaml", ".yml")) or "/" in env or "\\" in env:
        return (base / env) if not Path(env).is_absolute() else Path(env)
    return base / "environments" / f"{env}.yaml"


def display_path(path: Path, cwd: Path | None = None) -> str:
    base = (cwd or Path.cwd()).resolve()
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return str(path)


def parse_environment(data: Any, display: str) -> Environment:
    """Validate already-loaded YAML data; raise ConfigError with one line per problem."""
    if not isinstance(data, dict):
        raise ConfigError(
            display,
            [f"{display}: (top level): must be a mapping of fields (got {_describe(data)})"],
        )
    try:
        return Environment.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(display, format_validation_error(display, exc)) from None


def load_environment(env: str | Path, cwd: Path | None = None) -> Environment:
    """Load and validate an environment by name or path."""
    path = env if isinstance(env, Path) else resolve_env_path(env, cwd)
    display = display_path(path, cwd)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{display}: no such environment file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{display}: cannot be read ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(display, [f"{display}: (yaml) {where}: {problem}"]) from None
    return parse_environment(data, display)


def environment_dir(env: str | Path, cwd: Path | None = None) -> Path:
    path = env if isinstance(env, Path) else resolve_env_path(env, cwd)
    return path.parent
