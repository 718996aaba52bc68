"""`zdd deploy`'s Terraform half: the version lands on the idle colour, guarded."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import (
    InputError,
    NoStackOutputs,
    PlanRefused,
    StateUnreadable,
    TerraformError,
)
from generator.infra.outputs import StackOutputs
from generator.infra.plan import PlanSummary, ResourceChange
from generator.infra.provision import OUTPUTS_FILE, plan_stack, put_version_on_idle

OUTPUTS = StackOutputs(
    listener_arn="arn:listener",
    test_listener_arn="arn:test",
    load_balancer_dns_name="lb",
    target_group_arns={"blue": "arn:tg/blue", "green": "arn:tg/green"},
    alarm_names={"blue": ["b"], "green": ["g"]},
)


def fake_terraform(
    changes: list[ResourceChange], calls: list[str], state_error: str | None = None
) -> type:
    """python-terraform's stand-in: an empty state until applied; ``state_error`` makes
    ``terraform output`` fail with that stderr instead."""

    class FakeTerraform:
        applied = False

        def __init__(self, working_dir: Path, **_: object) -> None:
            self.dir = working_dir

        def output(self) -> StackOutputs:
            calls.append("output")
            if state_error is not None:
                raise TerraformError(["terraform", "output"], 1, state_error)
            if not FakeTerraform.applied:
                raise NoStackOutputs("terraform output: no outputs (nothing applied yet)")
            return OUTPUTS

        def init(self, **_: object) -> None:
            calls.append("init")

        def plan(self, plan_file: Path) -> bool:
            calls.append("plan")
            return bool(changes)

        def show_plan(self, plan_file: Path, **_: object) -> PlanSummary:
            return PlanSummary("0.2", tuple(changes))

        def apply(self, plan_file: Path) -> None:
            calls.append("apply")
            FakeTerraform.applied = True

    return FakeTerraform


def live_blue(outputs: StackOutputs) -> str:
    return "blue"


def change(module: str, actions: tuple[str, ...]) -> ResourceChange:
    return ResourceChange(
        f"{module}.aws_ecs_task_definition.this", module, "aws_ecs_task_definition", "this", actions
    )


def test_first_release_renders_version_on_the_idle_colour(staging, tmp_path: Path) -> None:
    calls: list[str] = []
    tf = fake_terraform([change("module.green", ("create",))], calls)
    out = put_version_on_idle(staging, "2.0.0", tmp_path, live_blue, terraform=tf)
    assert calls == ["init", "output", "plan", "apply", "output"]
    assert out == OUTPUTS  # the stack's outputs, also written for `--outputs`
    assert "arn:listener" in (tmp_path / OUTPUTS_FILE).read_text()
    main = (tmp_path / "main.tf").read_text()
    green = main.split('module "green"')[1].split("health_check")[0]
    blue = main.split('module "blue"')[1].split("health_check")[0]
    assert 'image_tag      = "2.0.0"' in green
    assert 'image_tag      = "1.0.0"' in blue


def test_plan_touching_the_live_colour_is_refused_and_not_applied(staging, tmp_path: Path) -> None:
    calls: list[str] = []
    tf = fake_terraform([change("module.blue", ("delete", "create"))], calls)
    with pytest.raises(
        PlanRefused, match=r"module.blue.aws_ecs_task_definition.this \[delete, create\]"
    ):
        put_version_on_idle(staging, "2.0.0", tmp_path, live_blue, terraform=tf)
    assert "apply" not in calls


def test_bad_version_is_bad_input(staging, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a valid image tag"):
        put_version_on_idle(
            staging, "2.0 beta", tmp_path, live_blue, terraform=fake_terraform([], [])
        )


S3_DENIED = """
Error: Failed to load state: AccessDenied: Access Denied
	status code: 403, request id: 1234

"""


def test_an_unreadable_state_stops_deploy_before_any_plan(staging, tmp_path: Path) -> None:
    """Bug: any failure of `terraform output` was "never applied", so the guard protected
    the colour named in the environment file instead of the live one."""
    calls: list[str] = []
    tf = fake_terraform([change("module.blue", ("update",))], calls, state_error=S3_DENIED)
    with pytest.raises(StateUnreadable) as caught:
        put_version_on_idle(staging, "2.0.0", tmp_path, live_blue, terraform=tf)
    assert calls == ["init", "output"]  # no plan, no apply
    message = str(caught.value)
    assert "\n" not in message
    assert str(tmp_path) in message
    assert "Failed to load state: AccessDenied: Access Denied" in message
    assert caught.value.exit_code == 1


def test_an_unreadable_state_stops_zdd_plan(staging, tmp_path: Path) -> None:
    calls: list[str] = []
    tf = fake_terraform([], calls, state_error="Error: dial tcp: i/o timeout\n")
    with pytest.raises(StateUnreadable, match="dial tcp: i/o timeout"):
        plan_stack(staging, tmp_path, tmp_path / "p.tfplan", live_blue, terraform=tf)
    assert "plan" not in calls


def test_an_empty_state_is_a_first_apply_protecting_the_files_colour(
    staging, tmp_path: Path
) -> None:
    calls: list[str] = []
    tf = fake_terraform([], calls)
    guarded = plan_stack(staging, tmp_path, tmp_path / "p.tfplan", live_blue, terraform=tf)
    assert guarded.verdict.live == staging.live_colour
    assert calls == ["init", "output", "plan"]
