"""Files zdd writes: always whole, never half (temporary file, fsync, rename)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so a reader sees the old or the new file, whole.

    The data and the directory entry are fsynced: after a crash or power loss the
    file is either the old one or the new one. Raises OSError; the temporary file
    never outlives a failure. A target that exists and is not a regular file (a
    symbolic link, a FIFO, a device, a directory) is refused (InputError), never
    renamed over.
    """
    check_regular(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def check_regular(path: Path) -> None:
    """Raise InputError when ``path`` exists and is not a regular file (lstat: a symbolic
    link is refused, not followed).

    What remains: the check and the rename are two steps, so a process that can write
    the directory may swap in a link between them; no portable rename refuses to
    replace a non-regular target. zdd's own targets live in directories it is run on.
    """
    import stat

    from generator.bounded import kind_of
    from generator.errors import InputError

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{path}: is {kind_of(mode)}; zdd writes only regular files and never replaces "
            "anything else (nothing was written)"
        )


def check_encodable(files: Mapping[str, str]) -> None:
    """Raise InputError unless every text has a UTF-8 form (a lone surrogate has none).

    Called before the first of several files is written, so a set of files is
    written whole or not at all.
    """
    from generator.errors import InputError

    for name, text in files.items():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                f"{name}: cannot be written: character {exc.start} has no UTF-8 form "
                "(a lone surrogate?); nothing was written"
            ) from None
