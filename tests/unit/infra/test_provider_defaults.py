"""zdd leaves Terraform's provider installation to the user: it never writes a
provider_installation block, and its terraform runs get the environment as it is
(registry by default; a plugin cache or mirror when the user configured one)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator.infra.render import generate
from generator.infra.terraform import Terraform
from tests.conftest import ROOT
from tests.support.fake_terraform import install_fake_terraform

FAKE = """#!{python}
import json, os, sys
if sys.argv[1] == "version":
    print(json.dumps({"terraform_version": "1.9.0"}))
else:
    with open(os.environ["FAKE_TF_ENV"], "w") as out:
        json.dump(dict(os.environ), out)
"""


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install_fake_terraform(tmp_path, monkeypatch, FAKE)
    seen = tmp_path / "env.json"
    monkeypatch.setenv("FAKE_TF_ENV", str(seen))
    return seen


def _init_environ(stack: Path) -> dict[str, str]:
    stack.mkdir(exist_ok=True)
    Terraform(stack).init(backend=False)
    seen: dict[str, str] = json.loads(Path(os.environ["FAKE_TF_ENV"]).read_text())
    return seen


@pytest.mark.parametrize("configured", [False, True], ids=["registry", "user-configured"])
def test_terraform_runs_get_the_environment_as_it_is(
    fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: bool
) -> None:
    for key in ("TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR", "TF_CLI_ARGS", "TF_CLI_ARGS_init"):
        monkeypatch.delenv(key, raising=False)
    if configured:
        monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "team.tfrc"))
        monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(tmp_path / "plugins"))
    seen = _init_environ(tmp_path / "stack")
    added = {k: v for k, v in seen.items() if os.environ.get(k) != v}
    assert added == {"TF_IN_AUTOMATION": "1"}  # zdd's only addition: quieter output
    assert {k for k in os.environ if k not in seen} == set()
    if not configured:
        assert not {"TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR"} & set(seen)


def test_zdd_never_writes_a_provider_installation_block(tmp_path: Path, staging) -> None:
    generate(staging, tmp_path / "staging")
    written = [p for p in (tmp_path / "staging").rglob("*") if p.is_file()]
    assert len(written) > 5
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "provider_installation" not in text and "plugin_cache_dir" not in text, path
    assert not [p for p in tmp_path.rglob("*") if p.name in {".terraformrc", "terraform.rc"}]
    # nor does any code that ships: only the advice in an error names the block
    shipped = [*(ROOT / "generator").rglob("*.py"), *(ROOT / "templates").rglob("*.j2")]
    assert not [p for p in shipped if "provider_installation {" in p.read_text(encoding="utf-8")]
