"""Versions come from what runs: the stack's outputs and ECS, never the file once applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.aws import AwsClients
from generator.colours import Colour
from generator.config import Strategy
from generator.errors import AwsError
from generator.infra.ecs import tag_of
from generator.infra.outputs import StackOutputs, parse_outputs
from generator.infra.provision import generate_as_deployed, put_version_on_idle
from generator.infra.running import AwsSpecObserver, Observed
from generator.rollout.engine.context import EngineSettings
from tests.unit.infra.test_provision import OUTPUTS, fake_terraform
from tests.unit.rollout.release_world import release_image

DEPLOYED = OUTPUTS.model_copy(
    update={"versions": {"blue": "repo/app:1.0.0", "green": "repo/app:2.0.0"}}
)


def _image_tags(main_tf: str) -> dict[str, str]:
    found = {}
    for colour in ("blue", "green"):
        block = main_tf.split(f'module "{colour}"')[1].split("health_check")[0]
        found[colour] = block.split("image_tag")[1].split('"')[1]
    return found


def _applied(outputs: StackOutputs) -> type:
    tf = fake_terraform([], [])
    tf.applied = True
    tf.output = lambda self: outputs  # type: ignore[attr-defined]
    return tf


def test_consecutive_deploys_keep_the_live_colours_running_version(staging, tmp_path: Path) -> None:
    """Bug: the live colour's version came from the file, so deploy #2 touched production."""

    def live_green(outputs: StackOutputs) -> Colour:
        return "green"

    put_version_on_idle(staging, "3.0.0", tmp_path, live_green, terraform=_applied(DEPLOYED))
    assert _image_tags((tmp_path / "main.tf").read_text()) == {"blue": "3.0.0", "green": "2.0.0"}


def test_what_ecs_runs_wins_over_what_terraform_applied(staging, tmp_path: Path) -> None:
    def live_green(outputs: StackOutputs) -> Colour:
        return "green"

    def from_ecs(outputs: StackOutputs, colour: Colour) -> Observed:
        # e.g. a circuit breaker rolled green back
        return {"tag": {"blue": "0.9.0", "green": "1.9.0"}[colour]}

    put_version_on_idle(
        staging, "3.0.0", tmp_path, live_green, terraform=_applied(DEPLOYED), observe=from_ecs
    )
    assert _image_tags((tmp_path / "main.tf").read_text()) == {"blue": "3.0.0", "green": "1.9.0"}


def test_generate_before_any_apply_renders_the_files_versions(staging, tmp_path: Path) -> None:
    generate_as_deployed(staging, tmp_path / "never-applied")
    main = (tmp_path / "never-applied" / "main.tf").read_text()
    assert _image_tags(main) == {"blue": "1.0.0", "green": "1.0.0"}


def test_versions_read_from_ecs_after_a_release(aws, staging) -> None:
    outputs = release_image(aws, staging, "green", "2.0.0")
    observe = AwsSpecObserver(lambda: AwsClients(aws.session))
    stale = outputs.model_copy(update={"versions": aws.outputs.versions})  # before the apply
    assert {c: observe(stale, c)["tag"] for c in ("blue", "green")} == {
        "blue": "1.0.0",
        "green": "2.0.0",
    }


def test_unreadable_ecs_stops_instead_of_guessing(aws) -> None:
    """Once the stack exists, what the live colour runs is read, never guessed from the
    stack's ``versions`` output."""
    gone = DEPLOYED.model_copy(update={"ecs_services": aws.outputs.ecs_services})
    aws.client("ecs").delete_service(
        cluster=aws.outputs.ecs_services["green"].cluster,
        service=aws.outputs.ecs_services["green"].service,
        force=True,
    )
    observe = AwsSpecObserver(lambda: AwsClients(aws.session))
    with pytest.raises(AwsError, match="cannot read what the green colour runs"):
        observe(gone, "green")
    assert observe(OUTPUTS, "green") == {}  # an old stack names no service: nothing to read


def test_tags_of_image_references() -> None:
    assert tag_of("repo/app:1.2.3") == "1.2.3"
    assert tag_of("host:5000/app:v2@sha256:abc") == "v2"
    assert tag_of("host:5000/app@sha256:abc") is None


def test_outputs_without_versions_or_ecs_services_still_load(aws) -> None:
    old = json.loads(OUTPUTS.to_terraform_json())
    assert "versions" not in old and "ecs_services" not in old
    assert parse_outputs(json.dumps(old), "old.json") == OUTPUTS
    again = parse_outputs(aws.outputs.to_terraform_json(), "new.json")
    assert again == aws.outputs
    assert again.ecs_services is not None and again.ecs_services["green"].service.endswith("green")


def test_gate_timeout_comes_from_the_strategy() -> None:
    settings = EngineSettings.from_strategy(Strategy(gate_timeout_seconds=900))
    assert settings.gate_timeout_seconds == 900
    assert EngineSettings.from_strategy(Strategy()).gate_timeout_seconds == 86400


def test_generate_says_when_it_cannot_read_what_the_live_colour_runs(
    staging, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Rendering only, so it renders the file's spec; but never silently."""
    from generator.errors import AwsError
    from generator.infra import provision

    stack = tmp_path / "applied"
    monkeypatch.setattr(provision, "applied_outputs", lambda stack_dir: DEPLOYED)

    def unreachable(outputs: StackOutputs, colour: Colour) -> Observed:
        raise AwsError("DescribeServices failed: could not connect")

    said: list[str] = []
    generate_as_deployed(staging, stack, unreachable, lambda outputs: "green", warn=said.append)
    assert len(said) == 1 and "could not connect" in said[0] and "`zdd plan`" in said[0]
    assert (stack / "main.tf").is_file()
