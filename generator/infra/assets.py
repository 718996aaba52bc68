"""zdd's own Terraform sources at run time: ``templates/`` and ``modules/`` as package data.

Both folders live at the top of the repository. ``generator/_assets/templates`` and
``generator/_assets/modules`` are relative symlinks to them: a checkout and an editable
install read them in place, and setuptools follows them when it builds a wheel, which
therefore carries real copies. So one lookup, ``importlib.resources``, finds them from a
wheel, a zip, an editable install and a checkout, and nothing here knows where the
package sits on disk. Everything is a ``Traversable``: inside a zip there is no path.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from importlib.resources.abc import Traversable

from generator.errors import ZddError

# Never vendored into a stack: the module's own tests, examples and documentation, and
# hidden files (``.terraform/`` of a developer who ran terraform inside the module).
_NOT_VENDORED = frozenset({"tests", "examples"})
_NOT_VENDORED_SUFFIXES = (".tftest.hcl", ".md")


def assets() -> Traversable:
    return files("generator") / "_assets"


def templates_dir() -> Traversable:
    """The jinja2 templates of the per-environment root stack (``*.tf.j2``)."""
    return assets() / "templates"


def modules_dir() -> Traversable:
    """The reusable Terraform modules, one folder each."""
    return assets() / "modules"


def read_templates(directory: Traversable | None = None) -> dict[str, str]:
    """Name -> source of every ``*.tf.j2``; an install without any is broken (exit 1)."""
    directory = directory or templates_dir()
    try:
        found = {
            entry.name: entry.read_text(encoding="utf-8")
            for entry in directory.iterdir()
            if entry.name.endswith(".tf.j2") and entry.is_file()
        }
    except OSError:
        found = {}
    if not found:
        raise ZddError(f"{directory}: no *.tf.j2 templates found; the zdd install is broken")
    return found


def _walk(directory: Traversable, prefix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in directory.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if not prefix and entry.name in _NOT_VENDORED:
                continue
            found.update(_walk(entry, f"{prefix}{entry.name}/"))
        elif not entry.name.endswith(_NOT_VENDORED_SUFFIXES):
            found[f"{prefix}{entry.name}"] = entry.read_text(encoding="utf-8")
    return found


def module_files(name: str, directory: Traversable | None = None) -> dict[str, str]:
    """Path inside the module -> content of every file a stack needs from module ``name``."""
    module = (directory or modules_dir()) / name
    try:
        found = _walk(module, "") if module.is_dir() else {}
    except OSError:
        found = {}
    if not any(path.endswith(".tf") for path in found):
        raise ZddError(f"{module}: module {name!r} is not in the zdd install; it is broken")
    return dict(sorted(found.items()))


def digest(files_: dict[str, str]) -> str:
    """A content hash of a set of files: paths and bytes, in a stable order."""
    h = hashlib.sha256()
    for path in sorted(files_):
        data = files_[path].encode("utf-8")
        h.update(f"{path}\0{len(data)}\0".encode())
        h.update(data)
    return f"sha256:{h.hexdigest()}"
