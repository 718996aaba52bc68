"""Module sources of a rendered stack: vendored copies inside it, or a pinned git ref or registry.

A vendored stack holds everything ``terraform init`` needs (``modules/NAME/...`` beside
its root files), so it can be archived, moved or planned from another repository. Teams
that publish zdd's modules reference them instead, always pinned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from generator.config.sources import ModuleSource
from generator.infra.assets import digest, module_files
from generator.infra.hcl import hcl_string

VENDOR_DIR = "modules"
# Starts with a literal, so the regex engine skips ahead to each "source" (a pattern
# anchored with ^ under MULTILINE is tried at every line: 5-8x slower on a stack).
_VENDORED_SOURCE = re.compile(rf'source[ \t]*=[ \t]*"\./{VENDOR_DIR}/([A-Za-z0-9_-]+)"')


@dataclass(frozen=True)
class VendoredModule:
    """One of zdd's modules as copied into a stack: path inside the module -> content."""

    name: str
    files: dict[str, str]

    @property
    def digest(self) -> str:
        return digest(self.files)


def module_source(source: ModuleSource, name: str) -> str:
    """The ``source`` (and, from a registry, ``version``) lines of a module block.

    Rendered inside a block indented by two spaces, aligned as ``terraform fmt`` aligns.
    """
    if source.git:
        return f"source = {hcl_string(f'{source.git}//{source.path}/{name}?ref={source.ref}')}"
    if source.registry:
        address = source.registry.replace("{name}", name)
        return f"source  = {hcl_string(address)}\n  version = {hcl_string(source.version or '')}"
    return f"source = {hcl_string(f'./{VENDOR_DIR}/{name}')}"


def vendored_names(files: dict[str, str]) -> list[str]:
    """Modules the rendered root files take from ``./modules/``: lines that are
    ``source = "./modules/NAME"`` (indented or not; never inside another line)."""
    names: set[str] = set()
    for text in files.values():
        for match in _VENDORED_SOURCE.finditer(text):
            line_start = text.rfind("\n", 0, match.start()) + 1
            if not text[line_start : match.start()].strip():
                names.add(match[1])
    return sorted(names)


_READ: dict[tuple[str, Traversable | None], VendoredModule] = {}


def vendor(names: list[str], modules_dir: Traversable | None = None) -> dict[str, VendoredModule]:
    """Copies of the named modules, read from the zdd install once per process (they do
    not change while zdd runs, like the templates)."""
    found: dict[str, VendoredModule] = {}
    for name in names:
        key = (name, modules_dir)
        if key not in _READ:
            _READ[key] = VendoredModule(name, module_files(name, modules_dir))
        found[name] = _READ[key]
    return found
