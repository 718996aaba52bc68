"""Render an environment into a self-contained Terraform root stack (templates/ + modules/).

Rendering is pure until ``write_stack``: every file is rendered in memory first,
so bad input never leaves a half-written stack behind. Templates and modules are
package data (``generator.infra.assets``); the modules a stack uses are vendored
into it under ``modules/`` unless the environment pins another source.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2

from generator.colours import COLOURS, Colour
from generator.config import Environment
from generator.errors import InputError
from generator.files import SMALL_STATE, atomic_write, check_encodable, check_regular, read_capped
from generator.infra.assets import read_templates
from generator.infra.hcl import hcl_value
from generator.infra.ownership import Ownership, digest
from generator.infra.provider_lock import LOCK_FILE
from generator.infra.spec import ColourSpec, spec_from_env
from generator.infra.vendor import VENDOR_DIR, VendoredModule, module_source, vendor, vendored_names

MANIFEST = ".zdd-manifest.json"
_MODULE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_MODULE_PATH = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")


@dataclass(frozen=True)
class RenderedStack:
    """File name -> content of one root stack, and the modules vendored into it; not yet on disk."""

    files: dict[str, str]
    modules: dict[str, VendoredModule] = field(default_factory=dict)

    def all_files(self) -> dict[str, str]:
        """Every file zdd writes, by path relative to the stack directory."""
        found = dict(self.files)
        for module in self.modules.values():
            for path, text in module.files.items():
                found[f"{VENDOR_DIR}/{module.name}/{path}"] = text
        return found


_Compiled = tuple[tuple[str, jinja2.Template], ...]
_COMPILED: dict[Traversable | None, _Compiled] = {}


def _templates(templates_dir: Traversable | None) -> _Compiled:
    """Compiled once per process (the templates do not change while zdd runs)."""
    compiled = _COMPILED.get(templates_dir)
    if compiled is None:
        compiled = _COMPILED[templates_dir] = _compile(read_templates(templates_dir))
    return compiled


def _compile(sources: dict[str, str]) -> _Compiled:
    env = jinja2.Environment(
        loader=jinja2.DictLoader(sources),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # HCL, not HTML: strings go through the hcl filter instead
    )
    env.filters["hcl"] = hcl_value
    return tuple((name, env.get_template(name)) for name in sorted(sources))


def resource_tags(env: Environment) -> dict[str, str]:
    """Tags on every resource: the user's, then zdd's own (which win)."""
    return {
        **env.tags,
        "zdd:service": env.service,
        "zdd:environment": env.name,
        "ManagedBy": "zdd",
    }


def render_stack(
    env: Environment,
    out_dir: Path | None = None,
    templates_dir: Traversable | None = None,
    modules_dir: Traversable | None = None,
    specs: Mapping[Colour, ColourSpec] | None = None,
) -> RenderedStack:
    """Render every template for ``env``; a template that renders empty is not produced.

    ``out_dir`` is not needed any more (module sources no longer depend on where the
    stack is written) and kept for callers that pass it. ``templates_dir`` and
    ``modules_dir`` default to the ones packaged with zdd. ``specs``: what each colour
    runs (default: the environment file's spec with its ``versions``).
    """
    chosen = specs or {}
    context: dict[str, Any] = {
        "env": env,
        "specs": {c: chosen.get(c) or spec_from_env(env, env.versions[c]) for c in COLOURS},
        "colours": COLOURS,
        "tags": resource_tags(env),
        "module_source": lambda name: module_source(env.modules, name),
        "modules": f"./{VENDOR_DIR}",  # templates that still write `source = modules ~ "/NAME"`
    }
    files: dict[str, str] = {}
    for name, template in _templates(templates_dir):
        text = template.render(context)
        if text.strip():
            files[name.removesuffix(".j2")] = text.lstrip("\n")
    return RenderedStack(files, vendor(vendored_names(files), modules_dir))


@dataclass(frozen=True)
class _Manifest:
    files: set[str]
    modules: dict[str, tuple[str, set[str]]]  # name -> (digest, paths inside the module)
    hashes: dict[str, str] = field(default_factory=dict)  # path -> sha256 of what zdd wrote

    def ownership(self) -> Ownership:
        vendored = self.paths() - self.files
        return Ownership(
            self.hashes, frozenset(self.paths() - set(self.hashes)), frozenset(vendored)
        )

    def paths(self) -> set[str]:
        return self.files | {
            f"{VENDOR_DIR}/{name}/{path}"
            for name, (_, paths) in self.modules.items()
            for path in paths
        }


def _read_manifest(out_dir: Path) -> _Manifest:
    """What zdd wrote last time; only names it could have written are believed."""
    try:
        data = json.loads(read_capped(out_dir / MANIFEST, SMALL_STATE, "zdd manifest"))
        files = {str(f) for f in data.get("files", []) if "/" not in str(f) and str(f) != ".."}
        modules: dict[str, tuple[str, set[str]]] = {}
        for name, entry in (data.get("modules") or {}).items():
            paths = {
                str(p)
                for p in entry.get("files", [])
                if _MODULE_PATH.match(str(p)) and ".." not in str(p).split("/")
            }
            if _MODULE_NAME.match(str(name)):
                modules[str(name)] = (str(entry.get("digest", "")), paths)
        listed = files | {f"{VENDOR_DIR}/{n}/{p}" for n, (_, ps) in modules.items() for p in ps}
        hashes = {str(k): str(v) for k, v in (data.get("sha256") or {}).items() if str(k) in listed}
        return _Manifest(files, modules, hashes)
    except (OSError, ValueError, AttributeError, TypeError):
        return _Manifest(set(), {})


def _manifest_text(stack: RenderedStack) -> str:
    data: dict[str, Any] = {"generated_by": "zdd", "files": sorted(stack.files)}
    if stack.modules:
        data["modules"] = {
            name: {"digest": module.digest, "files": sorted(module.files)}
            for name, module in sorted(stack.modules.items())
        }
    data["sha256"] = {path: digest(text) for path, text in sorted(stack.all_files().items())}
    return json.dumps(data, indent=2) + "\n"


def _to_write(out_dir: Path, stack: RenderedStack, previous: _Manifest) -> dict[str, str]:
    """The files to write, all checked first: zdd replaces only what it wrote (InputError)."""
    owned = previous.ownership()
    skipped = {
        f"{VENDOR_DIR}/{module.name}/{path}"
        for module in stack.modules.values()
        if _unchanged_module(out_dir, module, previous)
        for path in module.files
    }
    return {
        rel: text
        for rel, text in sorted(stack.all_files().items())
        if rel not in skipped and owned.needs_write(out_dir / rel, rel, text)
    }


def _unchanged_module(out_dir: Path, module: VendoredModule, previous: _Manifest) -> bool:
    recorded = previous.modules.get(module.name)
    base = out_dir / VENDOR_DIR / module.name
    return recorded is not None and recorded[0] == module.digest and _all_there(base, module)


def _prune_empty_dirs(out_dir: Path, removed: list[str]) -> None:
    """Remove folders under ``modules/`` that removing zdd's files left empty."""
    parents = {p for name in removed for p in Path(name).parents if p.parts[:1] == (VENDOR_DIR,)}
    for parent in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: a user's file keeps its folder
            (out_dir / parent).rmdir()


def _all_there(base: Path, module: VendoredModule) -> bool:
    """Every file of the module on disk at its size: checked with stat(), nothing read."""
    try:
        return all(
            (base / path).stat().st_size == len(text.encode("utf-8"))
            for path, text in module.files.items()
        )
    except OSError:
        return False


def write_stack(stack: RenderedStack, out_dir: Path) -> list[str]:
    """Write the stack; remove files zdd wrote before that are no longer produced.

    Only paths listed in zdd's own manifest are ever removed, so a user's extra
    ``*.tf`` file or Terraform's ``.terraform/`` directory are never touched. A
    vendored module whose digest is the one recorded and whose files are all there,
    at their size, is neither read nor rewritten. A file zdd did not write (or that
    was edited since) is never replaced: InputError before anything is written
    (``infra.ownership``). Returns the paths removed.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: --out must be a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _read_manifest(out_dir)
    wanted = stack.all_files()
    check_encodable(wanted)  # a file that cannot be written stops the stack before any is
    check_regular(out_dir / MANIFEST)
    for rel, text in _to_write(out_dir, stack, previous).items():  # checked before any write
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out_dir / rel, text)
    owned = previous.ownership()
    stale = [
        name
        for name in sorted(previous.paths() - set(wanted))
        if owned.may_remove(out_dir / name, name)  # edited since: the user's now, kept
    ]
    for name in stale:
        (out_dir / name).unlink(missing_ok=True)
    _prune_empty_dirs(out_dir, stale)
    atomic_write(out_dir / MANIFEST, _manifest_text(stack))
    return stale


def generate(
    env: Environment,
    out_dir: Path,
    specs: Mapping[Colour, ColourSpec] | None = None,
    *,
    provider_lock: str | None = None,
) -> tuple[RenderedStack, list[str]]:
    """Render and write ``env`` into ``out_dir``; return the stack and the paths removed.

    ``specs``: what each colour runs (default: the environment file's, for both).
    ``provider_lock``: the committed provider lock file's text, written into the stack as
    ``.terraform.lock.hcl`` (``infra.provider_lock``)."""
    stack = render_stack(env, out_dir, specs=specs)
    if provider_lock is not None:
        stack = RenderedStack({**stack.files, LOCK_FILE: provider_lock}, stack.modules)
    removed = write_stack(stack, out_dir)
    return stack, removed
