"""Every hook kind: http against a local server, ecs_task and lambda on moto."""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from generator.config.hooks import EcsTaskHook, HttpHook, LambdaHook
from generator.config.rollout import Hook
from generator.hooks import HookClients, HookRunner
from generator.hooks.ecs_task import run_ecs_task
from generator.hooks.lambda_invoke import run_lambda
from tests.conftest import FakeClock

REGION = "eu-west-1"


class _Handler(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[list[tuple[int, bytes]]] = []
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, **dict(self.headers)})
        status, body = type(self).answers.pop(0) if type(self).answers else (200, b"ok")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.answers, _Handler.seen = [], []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _http(**spec: Any) -> HttpHook:
    return HttpHook.model_validate({"http": {"retry_seconds": 2, **spec}})


def _run(runner: HookRunner, hook: Any, clock: FakeClock, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.run([hook], env or {}, "green", now=clock.now, sleep=clock.sleep)


def test_http_hook_retries_until_status_and_body_match(server: str, clock: FakeClock) -> None:
    _Handler.answers = [(503, b"warming"), (200, b"not yet"), (200, b"all ok")]
    runner = HookRunner(cwd=Path.cwd(), test_url=server)
    hook = _http(path="/healthz?deep=1", body_contains="all ok", retries=3)
    [result] = _run(runner, hook, clock, {"ZDD_DEPLOYMENT_ID": "d1"})
    assert result.ok, result.detail
    assert clock.slept == [2, 2]  # two retries, on the engine's clock
    assert _Handler.seen[0]["path"] == "/healthz?deep=1"
    assert _Handler.seen[0]["X-Zdd-Deployment"] == "d1"


def test_http_hook_fails_after_its_retries(server: str, clock: FakeClock) -> None:
    _Handler.answers = [(500, b"")] * 3
    runner = HookRunner(cwd=Path.cwd(), test_url=server, production_url=server)
    [result] = _run(runner, _http(target="production", retries=2), clock)
    assert not result.ok
    assert result.detail == "status 500, expected 200 (after 3 attempts)"
    [missing] = _run(HookRunner(cwd=Path.cwd()), _http(), clock)
    assert not missing.ok and "no test URL" in missing.detail


def test_runner_gives_command_hooks_the_test_url_and_stops_at_a_failure(
    tmp_path: Path, clock: FakeClock
) -> None:
    out = tmp_path / "env.txt"
    runner = HookRunner(cwd=tmp_path, test_url="http://lb:8080", production_url="http://lb:80")
    hooks = [
        Hook(command=["sh", "-c", f'echo "$ZDD_TEST_URL $ZDD_PHASE" > {out}']),
        Hook(command=["sh", "-c", "exit 3"]),
        Hook(command=["sh", "-c", "echo never"]),
    ]
    results = runner.run(hooks, {"ZDD_PHASE": "post_test_traffic"}, "green")
    assert [r.ok for r in results] == [True, False]
    assert out.read_text().strip() == "http://lb:8080 post_test_traffic"


# -- ecs_task ------------------------------------------------------------------------


@pytest.fixture
def ecs() -> Iterator[Any]:
    with mock_aws():
        from moto.moto_api import state_manager

        state_manager.set_transition("ecs::task", {"progression": "manual", "times": 1})
        session = boto3.Session(region_name=REGION)
        ec2 = session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="t", Description="t", VpcId=vpc)["GroupId"]
        client = session.client("ecs")
        client.create_cluster(clusterName="shop-staging")
        taskdef = client.register_task_definition(
            family="shop-staging-green",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {"name": "app", "image": "nginx:v2", "cpu": 256, "memory": 512, "essential": True}
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        client.create_service(
            cluster="shop-staging",
            serviceName="shop-staging-green",
            taskDefinition=taskdef,
            desiredCount=0,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}
            },
        )
        yield client
        state_manager.unset_transition("ecs::task")


def _exit_code(code: int) -> None:
    """The task's container exits with ``code``: the task stops (moto never stops it)."""
    from moto.ecs.models import ecs_backends

    backend = ecs_backends["123456789012"][REGION]
    for task in backend.tasks["shop-staging"].values():
        for container in task.containers:
            container.exitCode = code
        task.last_status = task.desired_status = "STOPPED"


def _ecs_hook(**spec: Any) -> EcsTaskHook:
    return EcsTaskHook.model_validate({"ecs_task": spec, "poll_seconds": 5, "timeout_seconds": 60})


def test_ecs_task_runs_the_colours_task_definition_in_its_network(
    ecs: Any, clock: FakeClock
) -> None:
    clock.on_sleep.append(lambda _c: _exit_code(0))
    hook = _ecs_hook(command=["pytest", "smoke"])
    ref = ("shop-staging", "shop-staging-green")
    result = run_ecs_task(
        hook, ecs, ref, {"ZDD_TEST_URL": "http://lb:8080"}, now=clock.now, sleep=clock.sleep
    )
    assert result.ok, result.detail
    assert result.detail == "exit 0"
    [task] = ecs.describe_tasks(
        cluster="shop-staging", tasks=[ecs.list_tasks(cluster="shop-staging")["taskArns"][0]]
    )["tasks"]
    assert task["taskDefinitionArn"].endswith("shop-staging-green:1")
    override = task["overrides"]["containerOverrides"][0]
    assert override["command"] == ["pytest", "smoke"]
    assert {"name": "ZDD_TEST_URL", "value": "http://lb:8080"} in override["environment"]
    assert clock.slept  # waited for the task to stop, on the engine's clock


def test_ecs_task_exit_code_decides(ecs: Any, clock: FakeClock) -> None:
    clock.on_sleep.append(lambda _c: _exit_code(3))
    ref = ("shop-staging", "shop-staging-green")
    result = run_ecs_task(_ecs_hook(), ecs, ref, {}, now=clock.now, sleep=clock.sleep)
    assert not result.ok and result.detail == "exit 3"
    missing = run_ecs_task(
        _ecs_hook(service="nope"), ecs, ref, {}, now=clock.now, sleep=clock.sleep
    )
    assert not missing.ok and "not found" in missing.detail


# -- lambda --------------------------------------------------------------------------


def _function(session: boto3.Session) -> None:
    iam = session.client("iam")
    role = iam.create_role(
        RoleName="smoke",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    zipped = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return {'ok': True}\n")
    session.client("lambda").create_function(
        FunctionName="smoke-tests",
        Runtime="python3.11",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": zipped.getvalue()},
    )


def test_lambda_hook_invokes_with_the_deployments_context() -> None:
    # moto's Lambda runs functions in Docker; its simple backend does not and
    # answers from a queue instead, which is what this test needs.
    with mock_aws(config={"lambda": {"use_docker": False}}):
        from moto.awslambda_simple.models import lambda_simple_backends

        session = boto3.Session(region_name=REGION)
        _function(session)
        queue = lambda_simple_backends["123456789012"][REGION].lambda_simple_results_queue
        queue.extend([json.dumps({"ok": True}), json.dumps({"ok": False, "message": "3 failed"})])
        hook = LambdaHook.model_validate(
            {"lambda": {"function": "smoke-tests", "payload": {"suite": "q"}}}
        )
        client = session.client("lambda")
        runner = HookRunner(cwd=Path.cwd(), clients=HookClients(lambda_=lambda: client))
        [passed] = runner.run([hook], {"ZDD_TEST_URL": "http://lb:8080"}, "green")
        assert passed.ok
        [failed] = runner.run([hook], {}, "green")
        assert not failed.ok and failed.detail == "returned failure: 3 failed"


def test_lambda_function_error_fails_the_hook() -> None:
    # moto cannot raise a function error without Docker: botocore's Stubber stands in.
    client = boto3.client("lambda", region_name=REGION)
    hook = LambdaHook.model_validate({"lambda": {"function": "smoke-tests"}})
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(b'{"errorMessage": "boom"}'),
            },
        )
        result = run_lambda(hook, client, {"ZDD_DEPLOYMENT_ID": "d1"})
    assert not result.ok and result.detail == "function error: boom"
    assert not run_lambda(hook, None, {}).ok
