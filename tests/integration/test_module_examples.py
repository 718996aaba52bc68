"""Each module's examples/ root, with the real terraform: fmt-clean, its module found,
every required input given and no unknown one; validated when a provider is at hand."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from tests.conftest import ROOT
from tests.support.providers import needs_a_provider_source

pytestmark = pytest.mark.integration

EXAMPLES = sorted((ROOT / "modules").glob("*/examples/*/main.tf"))
META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}
# A copy of the modules, so that terraform's .terraform/ never lands in the checkout.
COPY_IGNORING = shutil.ignore_patterns(".terraform*", "tests")


def _terraform(binary: str, cwd: Path, *args: str) -> str:
    run = subprocess.run(
        [binary, *args, "-no-color"], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, f"terraform {' '.join(args)} in {cwd}:\n{run.stdout}{run.stderr}"
    return run.stdout


def _variables(module: Path) -> dict[str, bool]:
    """Name -> required, from the module's variables.tf."""
    with (module / "variables.tf").open() as handle:
        blocks = hcl2.load(handle).get("variable", [])
    return {name.strip('"'): "default" not in body for b in blocks for name, body in b.items()}


def test_every_module_has_an_example() -> None:
    with_examples = {p.parts[-4] for p in EXAMPLES}
    assert with_examples == {p.parent.name for p in (ROOT / "modules").glob("*/variables.tf")}


@pytest.mark.parametrize("main_tf", EXAMPLES, ids=lambda p: f"{p.parts[-4]}/{p.parts[-2]}")
def test_example_calls_its_module_right(main_tf: Path, terraform_bin: str, tmp_path: Path) -> None:
    module = main_tf.parents[2]
    copy = tmp_path / module.name
    shutil.copytree(module, copy, ignore=COPY_IGNORING)
    example = copy / main_tf.parent.relative_to(module)
    _terraform(terraform_bin, example, "fmt", "-check", "-recursive", "-diff")
    _terraform(terraform_bin, example, "get")
    with main_tf.open() as handle:
        calls = [
            body
            for block in hcl2.load(handle).get("module", [])
            for body in block.values()
            if body.get("source") == '"../../"'
        ]
    assert calls, f'{main_tf} does not call its module with source = "../../"'
    variables = _variables(module)
    required = {name for name, needed in variables.items() if needed}
    for call in calls:
        given = set(call) - META_ARGUMENTS - {"__is_block__"}
        assert given <= set(variables), f"unknown inputs: {given - set(variables)}"
        assert required <= given, f"required inputs missing: {required - given}"


def test_examples_validate_with_the_real_provider(terraform_bin: str, tmp_path: Path) -> None:
    """One root calling every example: the provider's schema is loaded once, not per example."""
    needs_a_provider_source()
    shutil.copytree(ROOT / "modules", tmp_path / "modules", ignore=COPY_IGNORING)
    root = tmp_path / "all_examples"
    root.mkdir()
    (root / "main.tf").write_text(
        "".join(
            f'module "{p.parts[-4]}_{p.parts[-2]}" {{\n'
            f'  source = "../modules/{p.parts[-4]}/examples/{p.parts[-2]}"\n}}\n\n'
            for p in EXAMPLES
        )
    )
    _terraform(terraform_bin, root, "init", "-backend=false", "-input=false")
    assert "The configuration is valid" in _terraform(terraform_bin, root, "validate")
