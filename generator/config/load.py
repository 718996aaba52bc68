"""Environment files: found, read, parsed and validated, with one-line errors.

Every problem is reported as ``FILE: FIELD.PATH: what was expected (got VALUE)``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.config.model import Environment
from generator.config.placeholders import placeholder_problems
from generator.config.yamlfile import read_yaml
from generator.errors import ConfigError, InputError
from generator.files import ENV_FILE, read_capped

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


def _describe(value: object, limit: int = 80) -> str:
    """At most ``limit`` characters of ``value`` as JSON, however large the value is
    (an alias bomb is billions of values: only what is shown is ever walked)."""
    parts: list[str] = []
    size = 0

    def put(text: str) -> bool:
        nonlocal size
        parts.append(text)
        size += len(text)
        return size <= limit

    def walk(item: object, depth: int) -> bool:
        if isinstance(item, dict):
            if not put("{"):
                return False
            for i, (key, inner) in enumerate(item.items()):
                if not put((", " if i else "") + json.dumps(str(key)) + ": "):
                    return False
                if not walk(inner, depth + 1):
                    return False
            return put("}")
        if isinstance(item, list | tuple):
            if not put("["):
                return False
            for i, inner in enumerate(item):
                if (i and not put(", ")) or not walk(inner, depth + 1):
                    return False
            return put("]")
        try:
            return put(json.dumps(item, default=str))
        except (TypeError, ValueError):
            return put(repr(item)[: limit + 1])

    walk(value, 0)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


ENVIRONMENTS_VAR = "ZDD_ENVIRONMENTS"


def is_env_path(env: str) -> bool:
    """``--env`` names a file (rather than an environment) when it looks like a path."""
    return env.endswith((".yaml", ".yml")) or "/" in env or "\\" in env


def environments_dir(cwd: Path | None = None) -> Path:
    """Where ``--env NAME`` looks: ``$ZDD_ENVIRONMENTS``, else ``./environments``."""
    base = cwd or Path.cwd()
    return base / (os.environ.get(ENVIRONMENTS_VAR) or "environments")


def resolve_env_path(env: str, cwd: Path | None = None) -> Path:
    """``--env`` is a name (``NAME.yaml`` in ``environments_dir``) or a path to a YAML file."""
    base = cwd or Path.cwd()
    if is_env_path(env):
        return (base / env) if not Path(env).is_absolute() else Path(env)
    return environments_dir(cwd) / f"{env}.yaml"


def _not_found(env: str | Path, path: Path, display: str) -> str:
    """Where zdd looked, so a person can tell a typo from running in the wrong folder."""
    if isinstance(env, Path) or is_env_path(env):
        return f"{display}: no such environment file"
    folder = path.parent.resolve()
    where = f"{folder / path.name}" + (
        f" (from ${ENVIRONMENTS_VAR})" if os.environ.get(ENVIRONMENTS_VAR) else ""
    )
    if not folder.is_dir():
        return (
            f"environment {env!r} not found: looked for {where}, but {folder} does not exist "
            f"(run `zdd init`, set {ENVIRONMENTS_VAR}=DIR or pass --env PATH)"
        )
    names = sorted(p.stem for p in folder.glob("*.y*ml"))
    holds = f"{folder} holds {', '.join(names)}" if names else f"{folder} holds no *.yaml"
    return f"environment {env!r} not found: looked for {where}; {holds} (or pass --env PATH)"


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
    left = placeholder_problems(data, display)
    if left:
        raise ConfigError(display, left)
    try:
        return Environment.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(display, format_validation_error(display, exc)) from None


def load_environment(env: str | Path, cwd: Path | None = None) -> Environment:
    """Load and validate an environment by name or path."""
    path = env if isinstance(env, Path) else resolve_env_path(env, cwd)
    display = display_path(path, cwd)
    try:
        text = read_capped(path, ENV_FILE, "environment file", display)
    except FileNotFoundError:
        raise InputError(_not_found(env, path, display)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{display}: cannot be read ({exc.__class__.__name__})") from None
    return parse_environment(read_yaml(text, display), display)


def environment_dir(env: str | Path, cwd: Path | None = None) -> Path:
    path = env if isinstance(env, Path) else resolve_env_path(env, cwd)
    return path.parent
