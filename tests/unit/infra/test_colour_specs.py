"""A colour's whole spec is released: the idle colour from the file, the live one as recorded
and checked against what runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from generator.aws import AwsClients
from generator.colours import Colour
from generator.errors import SpecDrift
from generator.infra.outputs import StackOutputs, parse_outputs
from generator.infra.provision import plan_stack
from generator.infra.running import (
    AwsSpecObserver,
    Observed,
    check_recorded,
    rendered_specs,
    upgraded_spec,
)
from generator.infra.spec import ColourSpec, release_name, spec_diff, spec_from_env
from tests.unit.infra.test_provision import OUTPUTS, fake_terraform

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-password-AbCdEf"
POLICY = "arn:aws:iam::123456789012:policy/app-read"
READ_ONLY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
    '"Resource":"*"}]}'
)


def _changed(staging: Any) -> Any:
    """The staging file with every field of the spec changed."""
    container = staging.container.model_copy(
        update={
            "environment": {"LOG_LEVEL": "debug", "FEATURE_X": "on"},
            "secrets": {"DB_PASSWORD": SECRET},
            "cpu": 512,
            "memory": 1024,
            "command": ["nginx", "-g", "daemon off;"],
            "entry_point": ["/docker-entrypoint.sh"],
            "port": 8080,
            "scratch_paths": ["/tmp"],
            "readonly_root_filesystem": False,
            "log_retention_days": 30,
            "task_role_policy_arns": [POLICY],
        }
    )
    health = staging.health_check.model_copy(
        update={"path": "/ready", "matcher": "200-299", "grace_period_seconds": 90}
    )
    return staging.model_copy(update={"container": container, "health_check": health})


def _recorded(specs: dict[Colour, ColourSpec]) -> StackOutputs:
    return OUTPUTS.model_copy(update={"colour_specs": {c: s.to_json() for c, s in specs.items()}})


def test_a_release_is_named_by_its_tag_and_the_digest_of_the_rest(staging) -> None:
    old, new = spec_from_env(staging, "v7"), spec_from_env(_changed(staging), "v7")
    assert re.fullmatch(r"v7\+[0-9a-f]{8}", old.release)
    assert old.digest == spec_from_env(staging, "v8").digest  # the tag is not in the digest
    assert new.release != old.release  # a config-only release has a name of its own
    assert release_name("v7", None) == "v7"  # a journal of an older zdd: the tag alone


def test_the_diff_names_keys_added_removed_and_changed_secrets_by_arn(staging) -> None:
    lines = spec_diff(spec_from_env(staging, "1.0.0"), spec_from_env(_changed(staging), "1.0.0"))
    assert '+ environment.FEATURE_X = "on"' in lines
    assert '~ environment.LOG_LEVEL: "info" -> "debug"' in lines
    assert f'+ secrets.DB_PASSWORD = "{SECRET}"' in lines
    assert "~ cpu: 256 -> 512" in lines
    assert '~ health_check.path: "/healthz" -> "/ready"' in lines
    assert '- command (was ["x"])' in spec_diff(
        spec_from_env(staging, "1").model_copy(update={"command": ["x"]}),
        spec_from_env(staging, "1"),
    )
    assert spec_diff(spec_from_env(staging, "1"), spec_from_env(staging, "1")) == []


def test_the_live_colour_keeps_its_recorded_spec_the_idle_takes_the_file(staging) -> None:
    before = spec_from_env(staging, "1.0.0")
    outputs = _recorded({"blue": before, "green": before})
    specs, recorded = rendered_specs(
        _changed(staging), outputs, "blue", lambda o, c: {}, version="2.0.0"
    )
    assert recorded and specs["blue"] == before
    assert specs["green"] == spec_from_env(_changed(staging), "2.0.0")


def test_without_a_release_the_idle_colour_keeps_its_own_spec(staging) -> None:
    """After a release the old colour keeps what it ran (for `zdd rollback`): a plan
    without --version is empty even though the file now says something else."""
    old, new = spec_from_env(staging, "1.0.0"), spec_from_env(_changed(staging), "1.1.0")
    outputs = _recorded({"blue": new, "green": old})
    specs, _ = rendered_specs(_changed(staging), outputs, "blue", lambda o, c: {})
    assert specs == {"blue": new, "green": old}


@pytest.mark.parametrize(
    ("observed", "field"),
    [
        ({"cpu": 1024}, "cpu runs 1024 but its release recorded 256"),
        ({"environment": {"LOG_LEVEL": "info", "X": "1"}}, "environment.X runs '1'"),
        ({"secrets": {"DB_PASSWORD": SECRET}}, f"secrets.DB_PASSWORD runs '{SECRET}'"),
        ({"health_check": {"path": "/other"}}, "health_check.path runs '/other'"),
        ({"task_role_policy_arns": [POLICY]}, "task_role_policy_arns runs"),
        ({"log_driver": "splunk"}, "log_driver runs 'splunk' but its release recorded 'awslogs'"),
    ],
)
def test_what_runs_against_the_record_stops_on_one_line(
    staging, observed: Observed, field: str
) -> None:
    with pytest.raises(SpecDrift, match=re.escape(f"blue colour: {field}")) as caught:
        check_recorded("blue", spec_from_env(staging, "1.0.0"), observed)
    assert "\n" not in str(caught.value) and caught.value.exit_code == 4


def test_policies_are_compared_without_order(staging) -> None:
    spec = spec_from_env(staging, "1").model_copy(update={"task_role_policy_arns": ["a", "b"]})
    check_recorded("green", spec, {"task_role_policy_arns": ["b", "a"]})


def test_a_stack_of_an_older_zdd_is_read_from_aws_over_the_file(staging) -> None:
    old = OUTPUTS.model_copy(update={"versions": {"blue": "img:0.9", "green": "img:1.0"}})
    observed = {"cpu": 512, "memory": 1024, "health_check": {"path": "/old"}, "log_driver": "x"}
    spec = upgraded_spec(staging, old, "blue", observed)
    assert (spec.cpu, spec.memory, spec.tag) == (512, 1024, "0.9")
    assert spec.health_check.path == "/old"
    assert spec.health_check.grace_period_seconds == staging.health_check.grace_period_seconds


def test_the_record_survives_an_outputs_file() -> None:
    spec = ColourSpec.model_validate_json(
        '{"image":"i","tag":"t","environment":{},"secrets":{},"cpu":256,"memory":512,'
        '"port":80,"health_check":{"path":"/","matcher":"200","interval_seconds":10,'
        '"timeout_seconds":5,"healthy_threshold":3,"unhealthy_threshold":3,'
        '"grace_period_seconds":60},"scratch_paths":[],"readonly_root_filesystem":true,'
        '"log_retention_days":365,"task_role_policy_arns":[]}'
    )
    outputs = _recorded({"blue": spec, "green": spec})
    again = parse_outputs(outputs.to_terraform_json(), "o.json")
    assert again.colour_specs == outputs.colour_specs


def _full_task_definition(aws: Any, staging: Any, colour: Colour, cpu: str) -> None:
    """A task definition shaped as the twin module writes it, with its log group and role."""
    ref = aws.outputs.ecs_services[colour]
    iam, logs = aws.client("iam"), aws.client("logs")
    role = iam.create_role(RoleName=f"task-{colour}-{cpu}", AssumeRolePolicyDocument="{}")
    if not iam.list_policies(Scope="Local")["Policies"]:
        iam.create_policy(PolicyName="app-read", PolicyDocument=READ_ONLY)
    iam.attach_role_policy(RoleName=f"task-{colour}-{cpu}", PolicyArn=POLICY)
    group = f"/zdd/{ref.service}-{cpu}"
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    arn = aws.client("ecs").register_task_definition(
        family=ref.service,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=cpu,
        memory="1024",
        taskRoleArn=role["Role"]["Arn"],
        containerDefinitions=[
            {
                "name": "app",
                "image": f"{staging.container.image}:2.0.0",
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                "secrets": [{"name": "DB_PASSWORD", "valueFrom": SECRET}],
                "command": ["nginx"],
                "readonlyRootFilesystem": True,
                "mountPoints": [{"sourceVolume": "scratch-0", "containerPath": "/tmp"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": group}},
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    aws.client("ecs").update_service(cluster=ref.cluster, service=ref.service, taskDefinition=arn)


def test_ecs_the_target_group_logs_and_iam_are_read_back(aws, staging) -> None:
    _full_task_definition(aws, staging, "green", "512")
    seen = AwsSpecObserver(lambda: AwsClients(aws.session))(aws.outputs, "green")
    assert seen["tag"] == "2.0.0" and seen["image"] == staging.container.image
    assert (seen["cpu"], seen["memory"], seen["port"]) == (512, 1024, 80)
    assert seen["secrets"] == {"DB_PASSWORD": SECRET} and seen["command"] == ["nginx"]
    assert (seen["scratch_paths"], seen["log_retention_days"]) == (["/tmp"], 30)
    assert seen["task_role_policy_arns"] == [POLICY]
    assert seen["health_check"]["path"] == staging.health_check.path
    recorded = upgraded_spec(staging, aws.outputs, "green", seen)
    check_recorded("green", recorded, seen)  # what was read back is what runs
    with pytest.raises(SpecDrift, match="green colour: cpu runs 512 but its release recorded 256"):
        check_recorded("green", recorded.model_copy(update={"cpu": 256}), seen)


def test_deploy_refuses_a_live_colour_changed_outside_zdd(aws, staging, tmp_path: Path) -> None:
    """The record says one thing, ECS another: exit 4 before anything is planned."""
    _full_task_definition(aws, staging, "blue", "1024")
    seen = AwsSpecObserver(lambda: AwsClients(aws.session))
    recorded = upgraded_spec(staging, aws.outputs, "blue", seen(aws.outputs, "blue"))
    outputs = aws.outputs.model_copy(
        update={
            "colour_specs": {
                c: recorded.model_copy(update={"cpu": 512}).to_json() for c in ("blue", "green")
            }
        }
    )
    calls: list[str] = []
    tf = fake_terraform([], calls)
    tf.applied = True
    tf.output = lambda self: outputs  # type: ignore[attr-defined]
    with pytest.raises(SpecDrift, match="blue colour: cpu runs 1024 but its release recorded 512"):
        plan_stack(staging, tmp_path, tmp_path / "p", lambda o: "blue", observe=seen, terraform=tf)
    assert "plan" not in calls


def test_a_refused_first_plan_after_upgrading_explains_the_one_time_step() -> None:
    from generator.errors import PlanRefused
    from generator.infra.guard import judge
    from generator.infra.plan import PlanSummary, ResourceChange
    from generator.infra.provision import GuardedPlan

    change = ResourceChange(
        "module.blue.aws_ecs_service.this",
        "module.blue",
        "aws_ecs_service",
        "this",
        ("update",),
        changed=("health_check_grace_period_seconds",),
    )
    plan = PlanSummary("1.2", (change,))
    old = GuardedPlan(Path("p"), plan, judge(plan, "blue"), recorded=False)
    with pytest.raises(PlanRefused, match="recorded no colour spec") as caught:
        old.enforce()
    assert "put those fields back as they were for one release" in str(caught.value)
    recorded = GuardedPlan(Path("p"), plan, judge(plan, "blue"))
    with pytest.raises(PlanRefused) as again:
        recorded.enforce()
    assert "recorded no colour spec" not in str(again.value)
