"""Every input zdd reads is capped, and only regular files are read.

An endless input (``/dev/zero``, a FIFO fed by ``yes``, a huge file) would
otherwise exhaust memory before any validation runs. ``read_capped`` opens the
file without blocking (a FIFO with no writer does not hang), checks with
``fstat`` on the opened descriptor that it is a regular file (no race between
the check and the read), and reads at most ``limit`` bytes plus one.
"""

from __future__ import annotations

import os
import stat
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
