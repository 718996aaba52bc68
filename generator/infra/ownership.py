"""zdd never replaces what it did not write.

The manifest of a generated directory records, for each file zdd wrote, the
SHA-256 of what it wrote. A file may be replaced only when it is absent, already
holds what zdd would write, or still holds exactly what zdd recorded (zdd wrote
it and nobody edited it since). Anything else (a hand-written ``main.tf``, a
workflow of the same name, a generated file edited by hand) is refused, naming
the file, before any file is written. A target that is not a regular file (a
symbolic link, a FIFO, a device, a directory) is never written through or over.

Manifests written before hashes were recorded list names only: a listed file is
believed to be zdd's (it was, when that zdd wrote it), once; the next manifest
records its hash. Vendored module copies (``modules/NAME/``) that zdd wrote are
zdd's by contract: an edited copy is put back, as it always was.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import InputError
from generator.files import MiB, kind_of, read_capped_bytes

MAX_OWNED_FILE = 16 * MiB  # larger than any file zdd generates


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Ownership:
    """What the previous manifest says zdd wrote: hashes, and names without one (old)."""

    hashes: Mapping[str, str] = field(default_factory=dict)
    legacy: frozenset[str] = frozenset()
    # Vendored module copies zdd wrote: zdd's by contract (the module's source is the
    # package), so an edited copy is put back; a file zdd never wrote there is not.
    vendored: frozenset[str] = frozenset()

    def _current(self, target: Path, rel: str) -> bytes | None:
        """The target's bytes; None when absent; InputError when not a regular file."""
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(mode):
            raise InputError(
                f"{target}: is {kind_of(mode)}, not a file zdd wrote; zdd writes only regular "
                "files: move it away (nothing was written)"
            )
        return read_capped_bytes(target, MAX_OWNED_FILE, "generated file")

    def zdd_wrote(self, rel: str, current: bytes) -> bool:
        if rel in self.vendored:
            return True
        recorded = self.hashes.get(rel)
        if recorded is not None:
            return hashlib.sha256(current).hexdigest() == recorded
        return rel in self.legacy

    def needs_write(self, target: Path, rel: str, text: str) -> bool:
        """Whether ``target`` must be written; InputError when zdd may not replace it."""
        current = self._current(target, rel)
        if current is None:
            return True
        if current == text.encode("utf-8"):
            return False  # unchanged files keep their mtime: nothing downstream rebuilds
        if self.zdd_wrote(rel, current):
            return True
        raise InputError(
            f"{target}: exists and zdd did not write it (or it was edited since zdd did); "
            "zdd never replaces such a file: move it away or merge your change into the "
            "environment (nothing was written)"
        )

    def may_remove(self, target: Path, rel: str) -> bool:
        """A file zdd no longer produces is removed only if it still holds what zdd wrote."""
        try:
            current = self._current(target, rel)
        except (InputError, OSError):
            return False
        return current is not None and self.zdd_wrote(rel, current)
