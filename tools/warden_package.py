"""Build the warden's Lambda zip: `make warden-zip` (or `python -m tools.warden_package OUT`).

The zip holds zdd's ``generator`` package (templates and modules included) and its
runtime dependencies, installed from PyPI as manylinux2014 x86_64 wheels for Python
3.11 (the Lambda runtime), at the versions locked in tools/requirements-dev.txt:
what the tests passed with is what runs in the account. Handler:
``generator.rollout.warden.handler``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "tools" / "requirements-dev.txt"
PLATFORM = "x86_64-manylinux2014"
PYTHON = "3.11"
LAMBDA_ENV = {"python_version": PYTHON, "sys_platform": "linux", "platform_system": "Linux"}
HANDLER = "generator.rollout.warden.handler"
# Runtime dependencies the warden never imports: python-terraform (the warden runs no
# terraform) is published as an sdist only, and the zip takes wheels only.
LEFT_OUT = {"python-terraform"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path = LOCK) -> dict[str, str]:
    """name -> version pinned in the lock file."""
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", line)
        if found:
            pins[_norm(found.group(1))] = found.group(2)
    return pins


def runtime_pins(lock: Path = LOCK) -> list[str]:
    """zdd's runtime dependencies and theirs (no extras), pinned as locked."""
    pins = locked_versions(lock)
    wanted: set[str] = set()
    todo = [Requirement(r) for r in metadata.requires("zdd") or []]
    while todo:
        req = todo.pop()
        env = {**LAMBDA_ENV, "extra": ""}
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = _norm(req.name)
        if name in wanted or name in LEFT_OUT:
            continue
        if name not in pins:
            raise SystemExit(f"{lock.name}: {name} (needed by zdd) is not locked; run `make lock`")
        wanted.add(name)
        todo += [Requirement(r) for r in metadata.requires(name) or []]
    return [f"{name}=={pins[name]}" for name in sorted(wanted)]


def build(out: Path) -> Path:
    """Write the zip to ``out`` (its parent created) and return it."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        uv = Path(sys.executable).parent / "uv"
        subprocess.run(
            [
                str(uv if uv.exists() else "uv"),
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--only-binary",
                ":all:",
                "--python-platform",
                PLATFORM,
                "--python-version",
                PYTHON,
                "--target",
                str(site),
                *runtime_pins(),
            ],
            check=True,
        )
        shutil.copytree(  # symlinked assets copied as files
            ROOT / "generator",
            site / "generator",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".terraform*"),
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(site.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(site).as_posix())
    return out


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/warden.zip")
    built = build(out)
    print(f"{built}: {built.stat().st_size // 1024} KiB; handler {HANDLER}")


if __name__ == "__main__":
    main()
