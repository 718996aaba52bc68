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
# Core: everything but the CLI and the demo (the emulator with zdd's additions, built on it).
EDGES = {"cli", "demo"}
MAX_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function; for ``from M import
    n`` both ``M`` and ``M.n`` (``n`` may be a submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _module_name(path: Path, top: Path) -> str:
    parts = list(path.relative_to(top.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(top: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (a package's own children
    excepted: importing them from its ``__init__`` is how a package exports)."""
    paths = {_module_name(p, top): p for p in sorted(top.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        edges = graph.setdefault(name, set())
        for target in _imports(path):
            while target and target not in paths:
                target = target.rpartition(".")[0]
            if target and target != name and not target.startswith(f"{name}."):
                edges.add(target)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_core_never_imports_the_cli_or_the_demo() -> None:
    offenders = []
    for path in _modules():
        if _layer(path) in EDGES or _layer(path) == "__main__":  # entry points
            continue
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "generator" and len(parts) > 1 and parts[1] in EDGES:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_no_import_cycles_not_even_inside_functions() -> None:
    assert import_cycles(import_graph(PACKAGE)) == []


def test_the_cycle_check_finds_a_cycle_made_by_an_import_inside_a_function() -> None:
    """tests/fixtures/cyclic_package: ``orders`` imports ``billing`` at the top, ``billing``
    imports ``orders`` inside a function. Without function-level imports it looks acyclic."""
    fixture = ROOT / "tests" / "fixtures" / "cyclic_package"
    assert import_cycles(import_graph(fixture)) == [
        ["cyclic_package.billing", "cyclic_package.orders"]
    ]


def test_the_package_never_imports_the_tests() -> None:
    """tests/support (trials, fault points, the traffic simulator...) is never shipped:
    nothing in generator/ may import it, or anything else under tests/."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _modules()
        for module in _imports(path)
        if module == "tests" or module.startswith("tests.")
    ]
    assert offenders == []


def _rollout_offenders(part: str, banned: set[str]) -> list[str]:
    offenders = []
    for path in sorted((PACKAGE / "rollout" / part).rglob("*.py")):
        for module in _imports(path):
            parts = module.split(".")
            if parts[:2] == ["generator", "rollout"] and len(parts) > 2 and parts[2] in banned:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    return offenders


def test_the_engine_knows_ports_never_adapters_views_or_use_cases() -> None:
    assert _rollout_offenders("engine", {"aws", "views", "release"}) == []


def test_analysis_is_pure() -> None:
    """Statistics, check verdicts and queries: no AWS client, no engine, no adapter."""
    assert _rollout_offenders("analysis", {"engine", "aws", "views", "release", "ports"}) == []
    touches_aws = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((PACKAGE / "rollout" / "analysis").rglob("*.py"))
        for module in _imports(path)
        if module.split(".")[0] in ("boto3", "botocore", "mypy_boto3_cloudwatch")
    ]
    assert touches_aws == []


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


def test_readme_layout_matches_the_tree() -> None:
    """Every folder and top-level module of generator/ (and of rollout/) is in the README's
    layout, and everything the layout names there exists."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Development", 1)[1].split("```\n", 2)[1]
    package = layout.split("generator/", 1)[1].split("\ntemplates/", 1)[0]
    named = set(re.findall(r"^ {2,4}(\w+)/", package, re.MULTILINE))
    named |= set(re.findall(r"\b(\w+)\.py\b", package))
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    folders |= {p.name for p in (PACKAGE / "rollout").iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    modules |= {p.stem for p in (PACKAGE / "rollout").glob("*.py") if not p.stem.startswith("_")}
    assert named == folders | modules
