"""The ``routes`` output: checked with the rest of the contract when the outputs are loaded,
before any AWS call (exit 2, one line naming the field)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import InputError
from generator.infra.outputs import Route, StackOutputs, parse_outputs
from tests.unit.cli.test_errors import ELB, OUTPUTS, STAGING, one_line

LISTENER = OUTPUTS.listener_arn
SECOND = f"{ELB}:listener/app/shop-staging/0123456789abcdef/aaaaaaaaaaaaaaaa"
RULE = LISTENER.replace(":listener/", ":listener-rule/") + "/1111111111111111"
RULE2 = SECOND.replace(":listener/", ":listener-rule/") + "/2222222222222222"
HEADER = LISTENER.replace(":listener/", ":listener-rule/") + "/3333333333333333"
GOOD = [
    Route(listener_arn=LISTENER, rule_arn=RULE, kind="rule"),
    Route(listener_arn=SECOND, rule_arn=RULE2, kind="rule"),
    Route(listener_arn=LISTENER, rule_arn=HEADER, kind="header"),
]


def _text(routes: list[Route], **changes: object) -> str:
    return OUTPUTS.model_copy(update={"routes": routes, **changes}).to_terraform_json()


def test_routes_load_and_round_trip() -> None:
    found = parse_outputs(_text(GOOD, test_listener_arn=None), "x")
    assert found.routes == GOOD
    assert [r.rule_arn for r in found.weighted_routes] == [RULE, RULE2]
    default = parse_outputs(_text([Route(listener_arn=LISTENER, kind="default")]), "x")
    assert default.all_routes[0].rule_arn is None


def test_outputs_without_routes_mean_the_default_action() -> None:
    assert OUTPUTS.all_routes == [Route(listener_arn=LISTENER, kind="default")]


BAD: list[tuple[list[Route], str]] = [
    ([], "routes: no default or rule route"),
    ([GOOD[2]], "routes: no default or rule route"),
    ([Route(listener_arn=SECOND, rule_arn=RULE2, kind="rule")], "routes: none is on listener_arn"),
    ([Route(listener_arn=LISTENER, rule_arn=RULE2, kind="rule")], "routes.0: rule"),
    ([Route(listener_arn=LISTENER, kind="rule")], "routes.0: a rule route needs rule_arn set"),
    ([Route(listener_arn=LISTENER, rule_arn=RULE, kind="default")], "routes.0: a default route"),
    ([GOOD[0], GOOD[0]], "routes.1: listed twice"),
    (
        [Route(listener_arn=LISTENER, kind="default"), GOOD[0]],
        "routes: mixes default and rule routes",
    ),
    (
        [GOOD[0], Route(listener_arn=SECOND, rule_arn=RULE2, kind="header")],
        "routes: a header route is on a listener without the service's rule",
    ),
]


@pytest.mark.parametrize(("routes", "message"), BAD)
def test_contradictory_routes_are_refused(routes: list[Route], message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_outputs(_text(routes, test_listener_arn=None), "terraform output")
    assert str(err.value).startswith("terraform output: " + message), err.value


def test_a_route_on_the_test_listener_is_refused() -> None:
    test = OUTPUTS.test_listener_arn
    assert test is not None
    rule = test.replace(":listener/", ":listener-rule/") + "/4444444444444444"
    routes = [GOOD[0], Route(listener_arn=test, rule_arn=rule, kind="rule")]
    with pytest.raises(InputError, match=r"routes\.1: is on the test listener"):
        parse_outputs(_text(routes), "x")


def test_commands_refuse_bad_routes_before_aws(run_cli, tmp_path: Path, no_aws: None) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "outputs.json"
    path.write_text(_text([GOOD[0], GOOD[0]], test_listener_arn=None))
    result = run_cli("status", "--env", STAGING, "--outputs", str(path), cwd=tmp_path)
    assert result.exit_code == 2
    assert "routes.1: listed twice" in one_line(result)


def test_a_route_of_another_region_is_refused(run_cli, tmp_path: Path, no_aws: None) -> None:  # type: ignore[no-untyped-def]
    far = SECOND.replace("eu-west-1", "us-east-1")
    rule = far.replace(":listener/", ":listener-rule/") + "/2222222222222222"
    path = tmp_path / "outputs.json"
    path.write_text(_text([GOOD[0], Route(listener_arn=far, rule_arn=rule, kind="rule")]))
    result = run_cli("status", "--env", STAGING, "--outputs", str(path), cwd=tmp_path)
    assert result.exit_code == 2
    assert "routes.1.listener_arn: in region us-east-1" in one_line(result)


def test_the_python_api_checks_routes_too() -> None:
    data = OUTPUTS.model_dump()
    data["routes"] = [r.model_dump() for r in (GOOD[0], GOOD[0])]
    with pytest.raises(ValueError, match="listed twice"):
        StackOutputs.model_validate(data)
