"""The terraform binary: found (``ZDD_TERRAFORM``, PATH), and its version checked once.

Asking terraform its version costs a process (about 0.1 s), so the answer is cached on
disk per binary path, size and modification time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from generator.errors import InputError
from generator.files import SMALL_STATE, read_capped

MIN_VERSION = (1, 5)  # the floor the generated code targets (OpenTofu 1.6 is equivalent)


def find_terraform(explicit: str | None = None) -> str:
    """The binary: ``explicit``, else ``ZDD_TERRAFORM``, else ``terraform`` on PATH."""
    candidate = explicit or os.environ.get("ZDD_TERRAFORM") or shutil.which("terraform")
    if not candidate or not (Path(candidate).is_file() and os.access(candidate, os.X_OK)):
        where = candidate or "PATH"
        raise InputError(
            f"terraform not found ({where}): install Terraform 1.5 or later, "
            "or set ZDD_TERRAFORM to its path"
        )
    check_version(candidate)
    return candidate


def _version_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "zdd" / "terraform-versions.json"


def _binary_key(binary: str) -> str:
    stat = os.stat(binary)
    return f"{os.path.realpath(binary)}:{stat.st_size}:{stat.st_mtime_ns}"


@lru_cache(maxsize=8)
def check_version(binary: str) -> tuple[int, int, int]:
    """Return the binary's version; refuse anything older than 1.0.

    Asking terraform costs a process (about 0.1 s), so the answer is cached on
    disk per binary path, size and modification time.
    """
    cache = _version_cache()
    key = _binary_key(binary)
    try:
        known = json.loads(read_capped(cache, SMALL_STATE, "terraform version cache"))
        cached = known.get(key)
    except (OSError, ValueError, AttributeError, InputError):  # a bad cache is asked again
        known, cached = {}, None
    if isinstance(cached, list) and len(cached) == 3:
        return (int(cached[0]), int(cached[1]), int(cached[2]))
    parsed = _ask_version(binary)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        known = known if isinstance(known, dict) else {}
        known[key] = list(parsed)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home only costs the next run 0.1 s
    return parsed


MAX_VERSION_ANSWER = 64 * 1024  # characters of `version -json` read; its answer is ~200


def _ask_version(binary: str) -> tuple[int, int, int]:
    try:
        proc = subprocess.run(
            [binary, "version", "-json"], capture_output=True, text=True, timeout=60, check=False
        )
        answer = json.loads(proc.stdout[:MAX_VERSION_ANSWER])
    except (OSError, ValueError, RecursionError, subprocess.TimeoutExpired):
        answer = None
    # Any JSON may come back (a list, a number, a nested object): only a string will do.
    version = answer.get("terraform_version") if isinstance(answer, dict) else None
    if not isinstance(version, str):
        raise InputError(f"{binary}: does not answer `terraform version -json`")
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        raise InputError(f"{binary}: unreadable version {version!r}")
    parsed = (int(match[1]), int(match[2]), int(match[3]))
    if parsed[:2] < MIN_VERSION:
        raise InputError(
            f"{binary}: Terraform {version} is too old; zdd needs 1.5 or later "
            "(set ZDD_TERRAFORM to a newer binary)"
        )
    return parsed
