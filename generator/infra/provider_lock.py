"""The stack's provider lock file, kept where the team commits it.

Terraform records the provider versions and checksums a configuration uses in
``.terraform.lock.hcl`` beside the root module: for zdd that is ``build/ENV``, which
``zdd init`` tells git to ignore. The committed copy lives beside the environment file
instead, as ``ENV.terraform.lock.hcl`` (ENV being the environment's name), and is
rendered into the stack like any other file before ``terraform init``, which then runs
with ``-lockfile=readonly``: a plan never changes the versions the team reviewed.

Ownership (zdd never replaces a file it did not write): the committed file is
Terraform's, and zdd writes it in two cases only: when it does not exist (the first plan
keeps what ``terraform init`` chose, for the team to commit) and when a person runs
``zdd lock``, the command whose whole purpose is to refresh it (``terraform providers
lock``; the change is theirs to review in git). The copy in ``build/ENV`` is a rendered
file with its hash in the stack's manifest, so a copy changed by hand there (a
``terraform init -upgrade`` run in the stack) is refused, not overwritten.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.errors import InputError
from generator.files import SMALL_STATE, read_capped

LOCK_FILE = ".terraform.lock.hcl"
AWS_PROVIDER = "*/hashicorp/aws"  # HOST/NAMESPACE/TYPE, as Terraform lays out a mirror
_FS_MIRROR = re.compile(r'filesystem_mirror\s*\{[^}]*?\bpath\s*=\s*"([^"]+)"', re.S)
_PLATFORM_FILE = re.compile(r"_([a-z0-9]+_[a-z0-9]+)\.zip$")


def committed_lock_path(env_dir: Path, env_name: str) -> Path:
    """``ENV.terraform.lock.hcl`` beside the environment file."""
    return env_dir / f"{env_name}{LOCK_FILE}"


def read_committed_lock(path: Path) -> str | None:
    """The committed lock file's text; None when there is none yet."""
    try:
        return read_capped(path, SMALL_STATE, "provider lock file")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise InputError(f"{path}: provider lock file is not UTF-8 text") from None


def keep_first_lock(stack_dir: Path, committed: Path) -> bool:
    """After the first ``terraform init``: the lock file it wrote becomes the committed one.

    Only when none exists: created exclusively, so a file that appeared meanwhile is kept.
    """
    try:
        text = read_capped(stack_dir / LOCK_FILE, SMALL_STATE, "provider lock file")
    except FileNotFoundError:
        return False
    try:
        fd = os.open(committed, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return True


def configured_mirror(environ: Mapping[str, str]) -> Path | None:
    """The filesystem mirror of the CLI configuration Terraform will read, if any."""
    config = environ.get("TF_CLI_CONFIG_FILE") or str(Path.home() / ".terraformrc")
    try:
        text = read_capped(Path(config), SMALL_STATE, "Terraform CLI configuration")
    except (OSError, InputError, UnicodeDecodeError):
        return None
    match = _FS_MIRROR.search(text)
    return Path(match[1]) if match else None


def mirror_platforms(mirror: Path) -> set[str]:
    """The platforms a filesystem mirror holds hashicorp/aws for (unpacked or zipped)."""
    found: set[str] = set()
    try:
        for base in mirror.glob(AWS_PROVIDER):
            for entry in base.iterdir():
                if entry.is_dir():
                    found |= {p.name for p in entry.iterdir() if p.is_dir()}
                elif match := _PLATFORM_FILE.search(entry.name):
                    found.add(match[1])
    except OSError:
        return set()
    return found


@dataclass(frozen=True)
class LockPlan:
    """Which platforms ``zdd lock`` asks for, and where from."""

    platforms: tuple[str, ...]
    skipped: tuple[str, ...] = ()
    fs_mirror: Path | None = None


def lock_plan(wanted: list[str], mirror: Path | None) -> LockPlan:
    """The platforms to lock: all of ``wanted`` from the registry; from a filesystem mirror,
    those it holds (it can vouch for nothing else). InputError when it holds none."""
    if mirror is None:
        return LockPlan(tuple(wanted))
    held = mirror_platforms(mirror)
    platforms = tuple(p for p in wanted if p in held)
    if not platforms:
        raise InputError(
            f"{mirror}: the provider mirror holds hashicorp/aws for "
            f"{', '.join(sorted(held)) or 'no platform'}, none of {', '.join(wanted)}; "
            "name one it holds with --platform"
        )
    return LockPlan(platforms, tuple(p for p in wanted if p not in held), mirror)
