"""The package's shape: layers point one way, modules stay small, the public API is typed."""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

import generator
from generator.config.model import StrategyType
from generator.rollout.engine.schedule import STRATEGIES
from tests.conftest import ROOT

PACKAGE = ROOT / "generator"
# Core: everything but the CLI, the shared test machinery and the demo built on it.
EDGES = {"cli", "testing"}
MAX_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_core_never_imports_the_cli_or_the_test_machinery() -> None:
    offenders = []
    for path in _modules():
        if _layer(path) in EDGES or _layer(path) in ("demo", "__main__"):  # entry points
            continue
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "generator" and len(parts) > 1 and parts[1] in EDGES:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_layers_point_one_way() -> None:
    """config knows no layer above it; infra never knows the traffic engine; journal
    and migrations never know the engine either."""
    forbidden = {
        "config": {"infra", "rollout", "journal", "migrations"},
        "infra": {"rollout", "journal"},
        "journal": {"rollout", "infra", "migrations"},
        "migrations": {"rollout", "infra"},
    }
    offenders = []
    for path in _modules():
        banned = forbidden.get(_layer(path), set())
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "generator" and len(parts) > 1 and parts[1] in banned:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_no_module_is_a_monolith() -> None:
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in _modules()
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_no_function_is_a_monolith() -> None:
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    assert long == {}


def test_public_api_is_what_the_package_says() -> None:
    exported = set(generator.__all__) - {"__version__"}
    assert exported == set(generator._EXPORTS)
    for name in exported:
        assert getattr(generator, name) is not None
    assert generator.__version__


def test_every_strategy_in_the_schema_has_a_schedule() -> None:
    assert set(typing.get_args(StrategyType)) == set(STRATEGIES)


def test_readme_library_section_lists_exactly_the_exports() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using it as a library", 1)[1].split("\n## ", 1)[0]
    table = section.split("| area | exports |", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"`(\w+)`", table))
    assert listed == set(generator.__all__)
    example = section.split("```python", 1)[1].split("```", 1)[0]
    imported = re.search(r"from generator import ([\w, ]+)", example)
    assert imported is not None
    assert {n.strip() for n in imported.group(1).split(",")} <= set(generator.__all__)
