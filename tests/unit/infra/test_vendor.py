"""Self-contained stacks: packaged templates and modules, vendoring, pinned sources."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator.config import load_environment
from generator.config.sources import ModuleSource
from generator.errors import ZddError
from generator.infra import assets, render
from generator.infra.render import MANIFEST, generate, render_stack
from generator.infra.vendor import module_source
from tests.conftest import ROOT

STAGING = ROOT / "environments" / "staging.yaml"
PRODUCTION = ROOT / "environments" / "production.yaml"


def _tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def test_packaged_templates_and_modules_are_the_top_level_folders() -> None:
    """One lookup (importlib.resources) serves every install; in a checkout it reads the
    top-level folders themselves, through generator/_assets."""
    packaged = assets.templates_dir()
    names = {entry.name for entry in packaged.iterdir() if entry.name.endswith(".tf.j2")}
    assert names == {p.name for p in (ROOT / "templates").glob("*.tf.j2")}
    for module in (ROOT / "modules").iterdir():
        for name in ("main.tf", "variables.tf"):
            got = (assets.modules_dir() / module.name / name).read_text(encoding="utf-8")
            assert got == (module / name).read_text(encoding="utf-8")


def test_a_stack_holds_the_modules_it_uses(tmp_path: Path) -> None:
    staging, production = load_environment(STAGING), load_environment(PRODUCTION)
    stack, _ = generate(staging, tmp_path / "staging")
    assert sorted(stack.modules) == ["rollback_alarms", "twin_environment", "weighted_alb"]
    assert "deployment_store" in render_stack(production).modules  # only with dynamodb://
    main = (tmp_path / "staging" / "main.tf").read_text()
    assert 'source = "./modules/twin_environment"' in main
    assert ".." not in "".join(line for line in main.splitlines() if "source" in line)
    vendored = tmp_path / "staging" / "modules" / "weighted_alb"
    assert (vendored / "main.tf").read_text() == (ROOT / "modules/weighted_alb/main.tf").read_text()
    # what a stack needs, not the module's own tests, examples and documentation
    assert not (vendored / "examples").exists() and not (vendored / "README.md").exists()
    manifest = json.loads((tmp_path / "staging" / MANIFEST).read_text())
    entry = manifest["modules"]["weighted_alb"]
    assert entry["digest"] == stack.modules["weighted_alb"].digest
    assert entry["digest"].startswith("sha256:") and "main.tf" in entry["files"]


def test_unchanged_modules_are_not_rewritten(tmp_path: Path) -> None:
    env = load_environment(STAGING)
    generate(env, tmp_path)
    vendored = tmp_path / "modules" / "rollback_alarms" / "main.tf"
    os.utime(vendored, (1_000_000, 1_000_000))
    generate(env, tmp_path)
    assert vendored.stat().st_mtime == 1_000_000
    vendored.write_text("# edited by hand\n")  # a different size: zdd puts its own back
    generate(env, tmp_path)
    assert vendored.read_text() == (ROOT / "modules/rollback_alarms/main.tf").read_text()


def test_stale_vendored_files_go_and_user_files_stay(tmp_path: Path) -> None:
    production = load_environment(PRODUCTION)
    generate(production, tmp_path)
    store = tmp_path / "modules" / "deployment_store"
    assert (store / "main.tf").exists()
    (tmp_path / "modules" / "twin_environment" / "override.tf").write_text("# mine\n")
    (tmp_path / "modules" / "mine").mkdir()
    (tmp_path / "modules" / "mine" / "main.tf").write_text("# a module of my own\n")
    staging_store = load_environment(STAGING).store
    _, removed = generate(production.model_copy(update={"store": staging_store}), tmp_path)
    assert "modules/deployment_store/main.tf" in removed
    assert not store.exists()  # emptied, so removed
    assert (tmp_path / "modules" / "twin_environment" / "override.tf").exists()
    assert (tmp_path / "modules" / "mine" / "main.tf").exists()


def test_a_pinned_source_replaces_the_vendored_copies(tmp_path: Path) -> None:
    env = load_environment(STAGING)
    generate(env, tmp_path)
    pinned = env.model_copy(
        update={"modules": ModuleSource(git="git::https://example.com/acme/zdd.git", ref="v1.2.0")}
    )
    stack, removed = generate(pinned, tmp_path)
    assert stack.modules == {}
    assert not (tmp_path / "modules").exists()
    assert "modules/weighted_alb/main.tf" in removed
    main = (tmp_path / "main.tf").read_text()
    assert (
        'source = "git::https://example.com/acme/zdd.git//modules/weighted_alb?ref=v1.2.0"'
    ) in main


def test_module_source_lines() -> None:
    registry = ModuleSource(registry="app.example.com/acme/zdd-{name}/aws", version="1.2.0")
    assert module_source(registry, "weighted_alb") == (
        'source  = "app.example.com/acme/zdd-weighted_alb/aws"\n  version = "1.2.0"'
    )
    git = ModuleSource(git="git@example.com:acme/infra.git", ref="abc123", path="tf/zdd")
    assert (
        module_source(git, "x") == 'source = "git@example.com:acme/infra.git//tf/zdd/x?ref=abc123"'
    )
    assert module_source(ModuleSource(), "x") == 'source = "./modules/x"'


def test_registry_sources_render_fmt_clean_blocks() -> None:
    env = load_environment(STAGING).model_copy(
        update={"modules": ModuleSource(registry="acme/zdd-{name}/aws", version="0.3.1")}
    )
    main = render_stack(env).files["main.tf"]
    assert '  source  = "acme/zdd-weighted_alb/aws"\n  version = "0.3.1"\n\n' in main


def test_no_templates_is_an_error_not_an_empty_stack(tmp_path: Path, run_cli, monkeypatch) -> None:
    with pytest.raises(ZddError, match=r"no \*\.tf\.j2 templates found"):
        render_stack(load_environment(STAGING), templates_dir=tmp_path)
    monkeypatch.setattr(assets, "templates_dir", lambda: tmp_path / "nowhere")
    monkeypatch.setattr(render, "_COMPILED", {})  # as in a fresh process
    result = run_cli("generate", "--env", str(STAGING), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "no *.tf.j2 templates found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_module_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "twin_environment").mkdir()  # empty: no Terraform in it either
    with pytest.raises(ZddError, match=r"module '[a-z_]+' is not in the zdd install"):
        render_stack(load_environment(STAGING), modules_dir=tmp_path)


def test_environment_inputs_reach_the_modules() -> None:
    env = load_environment(PRODUCTION)
    arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop/0f2a8c3e-1b4d-4e6f-9a7b"
    topic = "arn:aws:sns:eu-west-1:123456789012:oncall"
    env = env.model_copy(
        update={
            "load_balancer": env.load_balancer.model_copy(update={"web_acl_arn": arn}),
            "alarms": env.alarms.model_copy(update={"actions": [topic]}),
            "container": env.container.model_copy(update={"log_retention_days": 731}),
        }
    )
    main = render_stack(env).files["main.tf"]
    assert f'  web_acl_arn         = "{arn}"\n' in main
    assert main.count(f'  alarm_actions            = ["{topic}"]\n') == 2
    assert main.count("  log_retention_days    = 731\n") == 2


def test_only_source_lines_name_vendored_modules() -> None:
    from generator.infra.hcl import hcl_string
    from generator.infra.vendor import vendored_names

    evil = hcl_string('source = "./modules/evil"')  # a user's string, escaped
    files = {
        "main.tf": (
            'module "a" {\n  source = "./modules/twin"\n}\n'
            'module "b" {\nsource="./modules/alb"\n}\n'
            '# source = "./modules/commented"\n'
            f"tags = {{ note = {evil} }}\n"
            'other_source = "./modules/not_a_source"\n'
        ),
        "store.tf": 'module "s" {\n  source = "./modules/twin"\n}\n',
    }
    assert vendored_names(files) == ["alb", "twin"]
