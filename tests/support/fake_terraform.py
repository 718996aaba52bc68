"""A stand-in terraform binary for unit tests: a script zdd runs through ``ZDD_TERRAFORM``.

Each test module keeps its own script (what its terraform answers); this writes it as an
executable, points zdd at it, and gives zdd's version cache a directory of the test's own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def install_fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    """Write ``script`` (``{python}`` becomes this interpreter) as ``tmp_path/bin/terraform``
    and make it the terraform zdd runs; return its path."""
    binary = tmp_path / "bin" / "terraform"
    binary.parent.mkdir(exist_ok=True)
    binary.write_text(script.replace("{python}", sys.executable), encoding="utf-8")
    binary.chmod(0o755)
    monkeypatch.setenv("ZDD_TERRAFORM", str(binary))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return binary
