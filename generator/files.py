"""Files zdd reads and writes.

Writes are whole, never half (temporary file, fsync, rename), and never land on what is
not a regular file. Every input zdd reads is capped, and only regular files are read.

An endless input (``/dev/zero``, a FIFO fed by ``yes``, a huge file) would
otherwise exhaust memory before any validation runs. ``read_capped`` opens the
file without blocking (a FIFO with no writer does not hang), checks with
``fstat`` on the opened descriptor that it is a regular file (no race between
the check and the read), and reads at most ``limit`` bytes plus one.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator.errors import InputError

KiB = 1024
MiB = 1024 * KiB

# Caps per kind of input: generous for real files, far below what hurts.
ENV_FILE = 1 * MiB
OUTPUTS_FILE = 8 * MiB
PLAN_JSON = 256 * MiB  # `terraform show -json` of a very large plan
MIGRATION_FILE = 16 * MiB
JOURNAL_FILE = 64 * MiB
SMALL_STATE = 1 * MiB  # leases, caches, manifests

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit // KiB} KiB"


def read_capped_bytes(path: Path, limit: int, what: str, display: str | None = None) -> bytes:
    """At most ``limit`` bytes of the regular file ``path``.

    Raises InputError (one line naming ``display`` or ``path``, and ``what``) for a
    non-regular file or one over the cap; OSError (FileNotFoundError included) is
    left to the caller.
    """
    name = display or str(path)
    mode = os.stat(path).st_mode  # refuse before opening: opening a device can act
    if not stat.S_ISREG(mode):
        raise InputError(f"{name}: {what} must be a regular file, not {kind_of(mode)}")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode  # what was opened, not what was checked
        if not stat.S_ISREG(mode):
            raise InputError(f"{name}: {what} must be a regular file, not {kind_of(mode)}")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(MiB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:
        raise InputError(f"{name}: {what} is larger than {_size(limit)}; refusing to read it")
    return b"".join(chunks)


def read_capped(path: Path, limit: int, what: str, display: str | None = None) -> str:
    """``read_capped_bytes`` decoded as UTF-8 (UnicodeDecodeError is left to the caller)."""
    return read_capped_bytes(path, limit, what, display).decode("utf-8")


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
