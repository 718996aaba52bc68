"""`zdd --version`, in help too, and `python -m generator` as a second way in."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import generator
from tests.conftest import ROOT


def test_version_comes_from_the_package_metadata(run_cli) -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"zdd {version('zdd')}\n" == f"zdd {generator.__version__}\n"
    assert f"zdd {generator.__version__}" in run_cli("--help").stdout


def test_python_dash_m_generator_is_zdd(tmp_path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "generator", "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert (run.returncode, run.stdout) == (0, f"zdd {generator.__version__}\n")
    bad = subprocess.run(
        [sys.executable, "-m", "generator", "validate", "--env", "nope"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and "environment 'nope' not found" in bad.stderr
    assert (ROOT / "generator" / "__main__.py").is_file()
