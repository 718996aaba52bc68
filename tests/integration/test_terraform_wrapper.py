"""The wrapper against the real terraform binary (>= 1.5), on provider-free configurations."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator.errors import InputError, TerraformError
from generator.infra.terraform import Terraform, check_version

pytestmark = pytest.mark.integration

CONFIG = textwrap.dedent(
    """
    variable "greeting" {
      type    = string
      default = "hello"
    }

    output "listener_arn" {
      value = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2"
    }

    output "test_listener_arn" {
      value = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/3"
    }

    output "target_group_arns" {
      value = { blue = "arn:tg/blue", green = "arn:tg/green" }
    }

    output "alarm_names" {
      value = { blue = ["b-5xx"], green = ["g-5xx"] }
    }

    output "load_balancer_dns_name" {
      value = "${var.greeting}.elb.example"
    }
    """
)


@pytest.fixture
def stack(tmp_path: Path, terraform_bin: str) -> Terraform:
    (tmp_path / "main.tf").write_text(CONFIG)
    lines: list[str] = []
    tf = Terraform(tmp_path, binary=terraform_bin, echo=lines.append, lock_timeout="1s")
    tf.echoed = lines  # type: ignore[attr-defined]
    return tf


def test_version_is_checked(terraform_bin: str) -> None:
    assert check_version(terraform_bin) >= (1, 0, 0)


def test_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="terraform not found"):
        Terraform(tmp_path, binary=str(tmp_path / "nope"))


def test_init_plan_apply_output(stack: Terraform, tmp_path: Path) -> None:
    stack.init(backend=False)
    plan = tmp_path / "one.tfplan"
    assert stack.plan(plan) is True  # exit code 2 means "changes", not failure
    summary = stack.show_plan(plan, save_json=tmp_path / "one.tfplan.json")
    assert summary.format_version.startswith("1.")  # what terraform >= 1.5 writes
    assert summary.changes == ()  # outputs only: no resource changes
    saved = json.loads((tmp_path / "one.tfplan.json").read_text())
    assert saved["format_version"] == summary.format_version  # the JSON, kept for reviewers
    stack.apply(plan)
    outputs = stack.output()
    assert outputs.target_group_arns == {"blue": "arn:tg/blue", "green": "arn:tg/green"}
    assert outputs.load_balancer_dns_name == "hello.elb.example"
    # streamed as it ran, not after
    assert any("Apply complete" in line for line in stack.echoed)  # type: ignore[attr-defined]
    again = tmp_path / "two.tfplan"
    assert stack.plan(again) is False  # no changes: exit code 0


def test_every_command_has_input_false(stack: Terraform) -> None:
    for command in ("init", "plan", "apply", "output"):
        assert "-input=false" in stack.argv(command)


def test_variables_reach_the_plan(stack: Terraform, tmp_path: Path) -> None:
    stack.init(backend=False)
    plan = tmp_path / "v.tfplan"
    stack.plan(plan, variables={"greeting": "bonjour"})
    stack.apply(plan)
    assert stack.raw_outputs()["load_balancer_dns_name"] == "bonjour.elb.example"


def test_failure_carries_terraforms_message(tmp_path: Path, terraform_bin: str) -> None:
    (tmp_path / "main.tf").write_text('output "x" {\n  value = undefined_thing.attr\n}\n')
    tf = Terraform(tmp_path, binary=terraform_bin)
    tf.init(backend=False)
    with pytest.raises(TerraformError) as caught:
        tf.plan(tmp_path / "p.tfplan")
    assert caught.value.returncode == 1
    assert "undefined_thing" in caught.value.stderr
    assert "Reference to undeclared resource" in str(caught.value)


def test_failure_names_the_first_error_where_it_is_and_why(tmp_path: Path, terraform_bin) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "x" {\n  type = number\n}\n\n'
        'resource "terraform_data" "a" {\n  input = var.x\n\n'
        "  lifecycle {\n    precondition {\n      condition     = var.x > 5\n"
        '      error_message = "x must be above 5."\n    }\n  }\n}\n'
    )
    tf = Terraform(tmp_path, binary=terraform_bin)
    tf.init(backend=False)
    with pytest.raises(TerraformError) as caught:
        tf.plan(tmp_path / "p.tfplan", variables={"x": "1"})
    message = str(caught.value)
    assert "Resource precondition failed (at main.tf line" in message
    assert message.endswith("x must be above 5.")
    assert "\n" not in message  # one line, not the tail of stderr


def test_apply_needs_a_saved_plan(stack: Terraform, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such plan file"):
        stack.apply(tmp_path / "missing.tfplan")


HOLDER = """
import fcntl, sys
f = open(sys.argv[1], "a+")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


def test_lock_contention_between_processes(stack: Terraform, tmp_path: Path) -> None:
    stack.init(backend=False)
    first = tmp_path / "first.tfplan"
    stack.plan(first)
    stack.apply(first)  # creates terraform.tfstate, which the local backend locks
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "terraform.tfstate")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(TerraformError) as caught:
            stack.plan(tmp_path / "blocked.tfplan")  # -lock-timeout=1s, then gives up
        assert "lock" in caught.value.stderr.lower()
    finally:
        holder.communicate("")
    assert stack.plan(tmp_path / "after.tfplan") is False


def test_plugin_cache_dir_is_created(tmp_path: Path, terraform_bin: str) -> None:
    cache = tmp_path / "plugins"
    Terraform(
        tmp_path, binary=terraform_bin, env={"TF_PLUGIN_CACHE_DIR": str(cache), "PATH": "/usr/bin"}
    )
    assert cache.is_dir()
