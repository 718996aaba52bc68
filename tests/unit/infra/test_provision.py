"""`zdd deploy`'s Terraform half: the version lands on the idle colour, guarded."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import InputError, PlanRefused, TerraformError
from generator.infra.outputs import StackOutputs
from generator.infra.plan import PlanSummary, ResourceChange
from generator.infra.provision import OUTPUTS_FILE, put_version_on_idle

OUTPUTS = StackOutputs(
    listener_arn="arn:listener",
    test_listener_arn="arn:test",
    load_balancer_dns_name="lb",
    target_group_arns={"blue": "arn:tg/blue", "green": "arn:tg/green"},
    alarm_names={"blue": ["b"], "green": ["g"]},
)


def fake_terraform(changes: list[ResourceChange], calls: list[str]) -> type:
    class FakeTerraform:
        applied = False

        def __init__(self, working_dir: Path, **_: object) -> None:
            self.dir = working_dir

        def output(self) -> StackOutputs:
            calls.append("output")
            if not FakeTerraform.applied:
                raise TerraformError(["terraform", "output"], 1, "no state")
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
