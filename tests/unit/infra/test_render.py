"""Rendering: deterministic, fmt-clean, cleans up after itself, right structure."""

from __future__ import annotations

import subprocess
from pathlib import Path

import hcl2
import pytest

from generator.config import load_environment
from generator.errors import InputError
from generator.infra.render import MANIFEST, RenderedStack, generate, render_stack, write_stack
from tests.conftest import ROOT

EXAMPLES = ["staging", "production"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_rendering_twice_is_byte_identical(name: str, tmp_path: Path) -> None:
    env = load_environment(ROOT / "environments" / f"{name}.yaml")
    generate(env, tmp_path / "a")
    first = {str(p): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    generate(env, tmp_path / "a")
    second = {str(p): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    assert first == second
    assert {"main.tf", "outputs.tf", "versions.tf"} <= {Path(p).name for p in first}


@pytest.mark.integration
def test_rendered_and_modules_are_fmt_clean(terraform_bin: str, tmp_path: Path) -> None:
    for name in EXAMPLES:
        env = load_environment(ROOT / "environments" / f"{name}.yaml")
        generate(env, tmp_path / name)
    for directory in (tmp_path, ROOT / "modules"):
        proc = subprocess.run(
            [terraform_bin, "fmt", "-check", "-recursive", "-diff", str(directory)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rerender_removes_only_files_zdd_wrote(tmp_path: Path) -> None:
    out = tmp_path / "stack"
    write_stack(RenderedStack({"a.tf": "# a\n", "b.tf": "# b\n"}), out)
    (out / "mine.tf").write_text("# the user's own file\n")
    (out / ".terraform").mkdir()
    write_stack(RenderedStack({"a.tf": "# a2\n"}), out)
    assert (out / "a.tf").read_text() == "# a2\n"
    assert not (out / "b.tf").exists()
    assert (out / "mine.tf").exists()
    assert (out / ".terraform").is_dir()
    assert (out / MANIFEST).exists()


def test_store_file_appears_only_with_dynamodb(tmp_path: Path) -> None:
    staging = load_environment(ROOT / "environments" / "staging.yaml")
    production = load_environment(ROOT / "environments" / "production.yaml")
    assert "store.tf" not in render_stack(staging, tmp_path).files
    assert "store.tf" in render_stack(production, tmp_path).files
    # switching an environment away from DynamoDB removes the file on the next render
    generate(production, tmp_path / "p")
    generate(production.model_copy(update={"store": staging.store}), tmp_path / "p")
    assert not (tmp_path / "p" / "store.tf").exists()


def _parse(path: Path) -> dict:
    with path.open() as handle:
        return hcl2.load(handle)


def _unquote(value: str) -> str:
    return value.strip('"') if isinstance(value, str) else value


def test_production_listener_forwards_to_both_colours_and_ignores_weights() -> None:
    module = _parse(ROOT / "modules" / "weighted_alb" / "main.tf")
    listeners = {
        _unquote(k): v
        for block in module["resource"]
        for t, items in block.items()
        if _unquote(t) == "aws_lb_listener"
        for k, v in items.items()
    }
    production = listeners["production"]
    forward = production["default_action"][0]["forward"][0]
    arns = [g["arn"] for g in forward["target_group"]]
    assert any("blue" in a for a in arns) and any("green" in a for a in arns)
    assert all("weight" in g for g in forward["target_group"])
    assert "stickiness" in forward
    ignored = production["lifecycle"][0]["ignore_changes"]
    assert "default_action" in str(ignored)


def test_each_colours_alarms_use_that_colours_target_group(tmp_path: Path) -> None:
    env = load_environment(ROOT / "environments" / "production.yaml")
    generate(env, tmp_path)
    stack = _parse(tmp_path / "main.tf")
    modules = {_unquote(k): v for block in stack["module"] for k, v in block.items()}
    for colour in ("blue", "green"):
        alarms = modules[f"alarms_{colour}"]
        assert f"module.{colour}.target_group_arn_suffix" in str(alarms["target_group_arn_suffix"])
        assert _unquote(alarms["name"]) == f"{env.prefix}-{colour}"
        twin = modules[colour]
        assert _unquote(twin["image_tag"]) == env.versions[colour]
    alarms_module = (ROOT / "modules" / "rollback_alarms" / "main.tf").read_text()
    assert alarms_module.count("TargetGroup  = var.target_group_arn_suffix") == 1
    assert alarms_module.count("dimensions  = local.dimensions") == 2


def test_outputs_are_exactly_the_contract(tmp_path: Path) -> None:
    env = load_environment(ROOT / "environments" / "staging.yaml")
    generate(env, tmp_path)
    outputs = _parse(tmp_path / "outputs.tf")
    names = {_unquote(k) for block in outputs["output"] for k in block}
    assert names == {
        "listener_arn",
        "test_listener_arn",
        "target_group_arns",
        "alarm_names",
        "load_balancer_dns_name",
        "versions",
        "ecs_services",
        "load_balancer_arn_suffix",
        "target_group_arn_suffixes",
        "routes",
        "colour_specs",
    }


def test_user_strings_are_escaped_in_the_stack(tmp_path: Path) -> None:
    env = load_environment(ROOT / "environments" / "staging.yaml")
    evil = env.model_copy(
        update={"tags": {"owner": '${file("/etc/passwd")}', "note": 'a "b"\n%{x}'}}
    )
    text = render_stack(evil, tmp_path).files["versions.tf"]
    assert '"$${file(\\"/etc/passwd\\")}"' in text
    assert '"a \\"b\\"\\n%%{x}"' in text


def test_a_stack_that_cannot_be_written_whole_is_not_written_at_all(tmp_path: Path) -> None:
    """A lone surrogate once stopped `generate` half-way through writing the stack."""
    good = RenderedStack({"main.tf": "# ok\n", "outputs.tf": "# ok\n"})
    bad = RenderedStack({"main.tf": "# ok\n", "outputs.tf": 'x = "\ud800"\n'})
    out = tmp_path / "stack"
    with pytest.raises(InputError, match=r"outputs.tf: cannot be written.*nothing was written"):
        write_stack(bad, out)
    assert not out.exists() or not any(out.iterdir())
    write_stack(good, out)
    before = {p.name: p.read_text() for p in out.iterdir()}
    with pytest.raises(InputError):
        write_stack(RenderedStack({"main.tf": "# changed\n", "z.tf": "\udfff"}), out)
    assert {p.name: p.read_text() for p in out.iterdir()} == before
