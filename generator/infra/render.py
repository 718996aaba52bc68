"""Render an environment into a Terraform root stack (templates/ + modules/).

Rendering is pure until ``write_stack``: every file is rendered in memory first,
so bad input never leaves a half-written stack behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from generator.colours import COLOURS
from generator.config import Environment
from generator.errors import InputError, ZddError
from generator.files import atomic_write
from generator.infra.hcl import hcl_value

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = PROJECT_ROOT / "templates"
MODULES_DIR = PROJECT_ROOT / "modules"
MANIFEST = ".zdd-manifest.json"


@dataclass(frozen=True)
class RenderedStack:
    """File name -> content of one root stack, not yet on disk."""

    files: dict[str, str]


@lru_cache(maxsize=4)
def _jinja(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,  # templates do not change while zdd runs: no stat() per render
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # HCL, not HTML: strings go through the hcl filter instead
    )
    env.filters["hcl"] = hcl_value
    return env


@lru_cache(maxsize=4)
def _templates(templates_dir: Path) -> tuple[tuple[str, jinja2.Template], ...]:
    jenv = _jinja(templates_dir)
    names = sorted(p.name for p in templates_dir.glob("*.tf.j2"))
    return tuple((name, jenv.get_template(name)) for name in names)


def resource_tags(env: Environment) -> dict[str, str]:
    """Tags on every resource: the user's, then zdd's own (which win)."""
    return {
        **env.tags,
        "zdd:service": env.service,
        "zdd:environment": env.name,
        "ManagedBy": "zdd",
    }


def modules_source(out_dir: Path, modules_dir: Path = MODULES_DIR) -> str:
    """Relative path from the stack to modules/, as Terraform wants local sources."""
    rel = os.path.relpath(modules_dir.resolve(), out_dir.resolve())
    rel = rel.replace(os.sep, "/")
    return rel if rel.startswith(".") else f"./{rel}"


def render_stack(
    env: Environment,
    out_dir: Path,
    templates_dir: Path = TEMPLATES_DIR,
    modules_dir: Path = MODULES_DIR,
) -> RenderedStack:
    """Render every template for ``env``; a template that renders empty is not produced."""
    templates = _templates(templates_dir)
    if not templates:
        raise ZddError(f"{templates_dir}: no *.tf.j2 templates found; the zdd install is broken")
    context = {
        "env": env,
        "colours": COLOURS,
        "tags": resource_tags(env),
        "modules": modules_source(out_dir, modules_dir),
    }
    files: dict[str, str] = {}
    for name, template in templates:
        text = template.render(context)
        if text.strip():
            files[name.removesuffix(".j2")] = text.lstrip("\n")
    return RenderedStack(files)


def _previous_files(out_dir: Path) -> set[str]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return {str(f) for f in data.get("files", []) if "/" not in str(f)}
    except (OSError, ValueError, AttributeError):
        return set()


def write_stack(stack: RenderedStack, out_dir: Path) -> list[str]:
    """Write the stack; remove files zdd wrote before that are no longer produced.

    Only names listed in zdd's own manifest are ever removed, so a user's extra
    ``*.tf`` file or Terraform's ``.terraform/`` directory are never touched.
    Returns the names removed.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: --out must be a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    stale = sorted(_previous_files(out_dir) - set(stack.files))
    for name, text in sorted(stack.files.items()):
        target = out_dir / name
        try:
            if target.read_text(encoding="utf-8") == text:
                continue
        except OSError:
            pass
        atomic_write(target, text)
    for name in stale:
        (out_dir / name).unlink(missing_ok=True)
    manifest = json.dumps({"generated_by": "zdd", "files": sorted(stack.files)}, indent=2) + "\n"
    atomic_write(out_dir / MANIFEST, manifest)
    return stale


def generate(env: Environment, out_dir: Path) -> tuple[RenderedStack, list[str]]:
    """Render and write ``env`` into ``out_dir``; return the stack and the names removed."""
    stack = render_stack(env, out_dir)
    removed = write_stack(stack, out_dir)
    return stack, removed
