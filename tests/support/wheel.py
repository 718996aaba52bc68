"""The wheel as users get it: built once from the checkout's files, installed into a clean
virtual environment (test machinery for the integration tier's ``wheel``/``venv_bin``).

The build runs on a copy of the checkout's files (what `git ls-files` lists, plus new
files not ignored), so setuptools never writes build/ or *.egg-info into the checkout.
The wheel is built with the locked setuptools (no isolated build environment to download),
and the virtual environment has no pip of its own: uv installs the wheel and its [demo]
extra into it at the versions of the lock (as constraints: the wheel's own metadata still
decides what it needs), without compiling bytecode, so it costs seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a process; its output, or an assertion naming it with all it said."""
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} (in {cwd}):\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def git_files(*args: str) -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("the wheel test builds from a git checkout")
    out = run(["git", "ls-files", "-z", *args], ROOT)
    return [name for name in out.split("\0") if name]


def build_wheel(source: Path, dist: Path) -> Path:
    for name in git_files("--cached", "--others", "--exclude-standard"):
        origin, target = ROOT / name, source / name
        if not origin.is_symlink() and not origin.exists():
            continue  # deleted in the working tree, not yet in git
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_symlink():
            target.symlink_to(os.readlink(origin))  # generator/_assets/{templates,modules}
        else:
            shutil.copy2(origin, target)
    wheel_argv = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    run([*wheel_argv, "-w", str(dist), str(source)], dist)
    (built,) = dist.glob("zdd-*.whl")
    return built


def install_wheel(wheel: Path, venv: Path) -> Path:
    """A clean venv with the wheel and its [demo] extra; returns its bin directory."""
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv)
    python = venv / "bin" / "python"
    uv = Path(sys.executable).parent / "uv"
    lock = ROOT / "tools" / "requirements-dev.txt"
    install = [str(uv), "pip", "install", "-q", "--python", str(python), "--no-compile"]
    run([*install, "-c", str(lock), f"{wheel}[demo]"], venv)
    return venv / "bin"


def wheel_environ(venv_bin: Path) -> dict[str, str]:
    """The environment of a user of the installed wheel: its venv first on PATH, nothing of
    the checkout's (PYTHONPATH, VIRTUAL_ENV, ZDD_ENVIRONMENTS)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "ZDD_ENVIRONMENTS", "PYTHONHOME"}
    }
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    return env
