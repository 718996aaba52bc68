"""`zdd plan --version V`: the release a pipeline plans for review puts V on the idle colour."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest

from generator.errors import InputError
from generator.infra import provision
from generator.infra.outputs import StackOutputs
from generator.infra.plan import PlanSummary

OUTPUTS = StackOutputs(
    listener_arn="arn:listener",
    test_listener_arn="arn:test",
    load_balancer_dns_name="lb",
    target_group_arns={"blue": "arn:tg/blue", "green": "arn:tg/green"},
    alarm_names={"blue": ["b"], "green": ["g"]},
)


class FakeTerraform:
    """Terraform with a stack already applied; records the plans it was asked for."""

    plans: ClassVar[list[Path]] = []

    def __init__(self, working_dir: Path, **_: object) -> None:
        self.dir = working_dir

    def init(self, **_: object) -> None:
        return None

    def output(self) -> StackOutputs:
        return OUTPUTS

    def plan(self, plan_file: Path) -> bool:
        FakeTerraform.plans.append(plan_file)
        return True

    def show_plan(self, plan_file: Path, **_: object) -> PlanSummary:
        return PlanSummary("1.2", ())


def _tags(stack: Path) -> dict[str, str]:
    text = (stack / "main.tf").read_text()
    found = re.findall(r'module "(blue|green)" \{.*?image_tag\s*=\s*"([^"]+)"', text, re.S)
    return dict(found)


@pytest.mark.parametrize(("live", "idle"), [("blue", "green"), ("green", "blue")])
def test_the_version_goes_onto_the_idle_colour(
    staging, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live: str, idle: str
) -> None:
    monkeypatch.setattr(provision, "Terraform", FakeTerraform)
    running = {"blue": "1.0.0", "green": "0.9.0"}
    guarded = provision.plan_stack(
        staging,
        tmp_path / "stack",
        tmp_path / "release.tfplan",
        lambda outputs: live,  # type: ignore[arg-type,return-value]
        observe=lambda outputs, colour: {"tag": running[colour]},
        version="1.1.0",
    )
    assert guarded.verdict.live == live
    assert _tags(tmp_path / "stack") == {live: running[live], idle: "1.1.0"}
    assert FakeTerraform.plans[-1] == tmp_path / "release.tfplan"


def test_without_a_version_the_colours_keep_what_runs(
    staging, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provision, "Terraform", FakeTerraform)
    provision.plan_stack(
        staging,
        tmp_path / "stack",
        tmp_path / "p.tfplan",
        lambda outputs: "blue",  # type: ignore[arg-type,return-value]
        observe=lambda outputs, colour: {"tag": {"blue": "1.0.0", "green": "0.9.0"}[colour]},
    )
    assert _tags(tmp_path / "stack") == {"blue": "1.0.0", "green": "0.9.0"}


def test_a_bad_tag_is_refused_before_anything_runs(staging, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--version"):
        provision.plan_stack(
            staging,
            tmp_path,
            tmp_path / "p",
            lambda o: "blue",
            version="bad tag",  # type: ignore[arg-type,return-value]
        )
