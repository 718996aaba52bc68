"""Every module can be adopted on its own: a README whose tables match its Terraform,
a usage example, and an examples/ root that calls it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools.module_docs import END, START, module_dirs, module_reference, rewrite, section

MODULES = module_dirs(ROOT / "modules")


def test_every_module_is_found() -> None:
    assert {m.name for m in MODULES} >= {
        "deployment_store",
        "rollback_alarms",
        "state_backend",
        "twin_environment",
        "weighted_alb",
    }


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_readme_tables_match_the_module(module: Path) -> None:
    readme = (module / "README.md").read_text(encoding="utf-8")
    assert section(readme) == module_reference(module), "run: python -m tools.module_docs modules"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_readme_has_a_purpose_a_usage_example_and_an_example_root(module: Path) -> None:
    readme = (module / "README.md").read_text(encoding="utf-8")
    purpose = readme.split("\n## ", 1)[0]
    assert readme.startswith(f"# {module.name}\n") and len(purpose.split()) > 20
    usage = readme.split("## Usage", 1)[1].split("```hcl", 1)[1].split("```", 1)[0]
    assert 'module "' in usage and f"//modules/{module.name}?ref=" in usage
    examples = sorted((module / "examples").glob("*/main.tf"))
    assert examples, f"{module.name} has no examples/NAME/main.tf"
    assert all('source = "../../"' in e.read_text(encoding="utf-8") for e in examples)


def test_every_variable_and_output_is_in_the_tables() -> None:
    table = module_reference(ROOT / "modules" / "weighted_alb")
    assert "| `web_acl_arn` | `string` | `null` |" in table
    assert "| `name` | `string` | required |" in table
    assert table.index("required") < table.index("`null`")  # required inputs first
    assert "| `listener_arn` |" in table.split("### Outputs", 1)[1]


def test_rewrite_adds_or_replaces_the_section(tmp_path: Path) -> None:
    module = tmp_path / "thing"
    module.mkdir()
    (module / "variables.tf").write_text(
        'variable "size" {\n  type        = number\n  description = "How big."\n'
        "  default     = 3\n}\n"
    )
    (module / "outputs.tf").write_text(
        'output "id" {\n  description = "The id."\n  value       = 1\n}\n'
    )
    (module / "README.md").write_text("# thing\n\nDoes things.\n")
    assert rewrite(module) is True
    text = (module / "README.md").read_text()
    assert text.startswith("# thing\n\nDoes things.\n\n" + START)
    assert "| `size` | `number` | `3` | How big. |" in text and text.endswith(END + "\n")
    assert rewrite(module) is False
    (module / "README.md").write_text(text.replace("How big.", "stale") + "\nAfter.\n")
    assert rewrite(module) is True
    assert (module / "README.md").read_text().endswith(END + "\n\nAfter.\n")
