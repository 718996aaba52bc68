"""Rendered stacks of the example environments, byte for byte as committed.

tests/fixtures/golden/ holds what `zdd generate` wrote for each example before the
package was reshaped; a change to rendering shows up here as a diff of the fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import load_environment
from generator.infra.render import generate
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "fixtures" / "golden"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", ["staging", "production"])
def test_render_matches_the_golden_stack(name: str, tmp_path: Path) -> None:
    generate(load_environment(ROOT / "environments" / f"{name}.yaml"), tmp_path)
    assert _tree(tmp_path) == _tree(GOLDEN / name)
