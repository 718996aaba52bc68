"""The locked installs agree with pyproject.toml: a range edited without `make lock` fails here.

``make install`` installs tools/requirements-dev.txt exactly (``uv pip sync``), and the
checkov venv its own lock; pyproject.toml keeps ranges for people who install zdd. When the
two drift apart, CI would test versions pyproject no longer allows (or miss a new package).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "tools"
NPM = ROOT / "tools" / "npm"
# The platform the suite runs on: markers in pyproject are judged for it.
PLATFORM = {"python_version": "3.11", "sys_platform": "linux", "platform_system": "Linux"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins(lock: Path) -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of hashes) of a `uv pip compile --generate-hashes` file."""
    found: dict[str, tuple[Version, int]] = {}
    current: str | None = None
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            found[current] = (Version(match.group(2)), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
        elif not line.startswith(" "):
            current = None
    return found


def requirements(*sources: list[str]) -> list[Requirement]:
    wanted = [Requirement(text) for source in sources for text in source]
    return [r for r in wanted if r.marker is None or r.marker.evaluate(PLATFORM)]


def in_file(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def project() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]  # type: ignore[no-any-return]


def check(wanted: list[Requirement], locked: dict[str, tuple[Version, int]]) -> list[str]:
    problems = []
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement} is not in the lock")
            continue
        version, _ = locked[name]
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement}: the lock has {version}")
    return problems


def test_every_dependency_of_pyproject_is_locked_at_a_version_it_allows() -> None:
    meta = project()
    extras = meta["optional-dependencies"]
    assert isinstance(extras, dict)
    wanted = requirements(
        meta["dependencies"],  # type: ignore[arg-type]
        extras["dev"],
        extras["demo"],
        in_file(LOCKS / "requirements-dev.in"),
    )
    problems = check(wanted, pins(LOCKS / "requirements-dev.txt"))
    assert not problems, "pyproject.toml and the lock disagree (run `make lock`): " + "; ".join(
        problems
    )


def test_the_checkov_venv_is_locked_too() -> None:
    problems = check(
        requirements(in_file(LOCKS / "requirements-checkov.in")),
        pins(LOCKS / "requirements-checkov.txt"),
    )
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("lock", ["requirements-dev.txt", "requirements-checkov.txt"])
def test_every_pin_carries_hashes(lock: str) -> None:
    locked = pins(LOCKS / lock)
    assert len(locked) > 10
    unhashed = sorted(name for name, (_, hashes) in locked.items() if hashes == 0)
    assert not unhashed, f"{lock}: pins without hashes: {unhashed}"


def test_the_lock_knows_nothing_of_this_machine() -> None:
    """No absolute path or index host in a committed lock: it must install anywhere."""
    for lock in (*LOCKS.glob("requirements-*.txt"), NPM / "package-lock.json"):
        text = lock.read_text(encoding="utf-8")
        assert "file://" not in text and "/work/" not in text and "--index-url" not in text
        assert '"resolved"' not in text, f"{lock}: npm recorded a registry address"


def test_a_range_edited_without_relocking_is_caught(tmp_path: Path) -> None:
    locked = pins(LOCKS / "requirements-dev.txt")
    sqlglot, _ = locked["sqlglot"]
    too_new = f"sqlglot>={sqlglot.major + 1}"
    assert check(requirements([too_new]), locked) == [f"{too_new}: the lock has {sqlglot}"]
    assert check(requirements(["left-pad-for-python>=1"]), locked) == [
        "left-pad-for-python>=1 is not in the lock"
    ]


def test_npm_tools_are_pinned_exactly_and_locked() -> None:
    package = json.loads((NPM / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((NPM / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: not an exact version"
        entry = lock["packages"][f"node_modules/{name}"]
        assert entry["version"] == version
    unhashed = [
        path
        for path, entry in lock["packages"].items()
        if path and not entry.get("link") and not entry.get("integrity")
    ]
    assert not unhashed, f"npm packages without integrity hashes: {unhashed}"
