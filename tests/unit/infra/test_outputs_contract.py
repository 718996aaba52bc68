"""Issue 24, class 4: stack outputs that contradict themselves are bad input (exit 2),
refused as a whole when they are loaded, before any AWS call."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import InputError
from generator.infra.outputs import EcsService, StackOutputs, parse_outputs
from tests.unit.cli.test_errors import ELB, OUTPUTS, STAGING, one_line

OTHER_LB_LISTENER = f"{ELB}:listener/app/other-lb/1111111111111111/2222222222222222"
GREEN_TG = OUTPUTS.target_group_arns["green"]
SUFFIXES = {c: arn.split(":")[-1] for c, arn in OUTPUTS.target_group_arns.items()}

CONTRADICTIONS: list[tuple[dict[str, object], str]] = [
    ({"test_listener_arn": OUTPUTS.listener_arn}, "test_listener_arn: is the production listener"),
    ({"test_listener_arn": OTHER_LB_LISTENER}, "test_listener_arn: belongs to another load"),
    (
        {"target_group_arns": {"blue": GREEN_TG, "green": GREEN_TG}},
        "target_group_arns: blue and green are the same target group",
    ),
    (
        {"target_group_arns": {"blue": OUTPUTS.listener_arn, "green": GREEN_TG}},
        "target_group_arns: a colour's target group is one of the listeners",
    ),
    ({"alarm_names": {"blue": ["5xx", "latency"], "green": ["5xx"]}}, "alarm_names: '5xx'"),
    ({"alarm_names": {"blue": [""], "green": ["g"]}}, "alarm_names: an alarm name is empty"),
    (
        {"target_group_arn_suffixes": {"blue": SUFFIXES["green"], "green": SUFFIXES["blue"]}},
        "target_group_arn_suffixes.blue: ",
    ),
    ({"load_balancer_arn_suffix": "app/other-lb/1111"}, "load_balancer_arn_suffix: "),
    (
        {
            "ecs_services": {
                "blue": EcsService(cluster="c", service="s"),
                "green": EcsService(cluster="c", service="s"),
            }
        },
        "ecs_services: blue and green are the same service",
    ),
]


def _text(**changes: object) -> str:
    return OUTPUTS.model_copy(update=changes).to_terraform_json()


@pytest.mark.parametrize(("changes", "message"), CONTRADICTIONS)
def test_contradictory_outputs_are_refused_naming_the_field(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError) as err:
        parse_outputs(_text(**changes), "terraform output")
    assert str(err.value).startswith("terraform output: " + message), err.value
    assert "\n" not in str(err.value)


def test_coherent_outputs_still_load() -> None:
    found = parse_outputs(
        _text(
            target_group_arn_suffixes=SUFFIXES,
            load_balancer_arn_suffix="app/shop-staging/0123456789abcdef",
        ),
        "x",
    )
    assert isinstance(found, StackOutputs)


def test_the_python_api_cannot_build_contradictory_outputs() -> None:
    data = OUTPUTS.model_dump()
    data["test_listener_arn"] = data["listener_arn"]
    with pytest.raises(ValueError, match="test_listener_arn"):
        StackOutputs.model_validate(data)


@pytest.mark.parametrize("command", ["shift", "status", "resume", "abort", "promote", "rollback"])
@pytest.mark.parametrize(("changes", "message"), CONTRADICTIONS[:3])
def test_every_command_refuses_them_with_exit_2_before_aws(
    run_cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    no_aws: None,
    command: str,
    changes: dict[str, object],
    message: str,
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(_text(**changes))
    result = run_cli(command, "--env", STAGING, "--outputs", str(path), cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    assert message in one_line(result)
