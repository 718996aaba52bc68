"""The rendered S3 backend against the emulator: Terraform accepts it and keeps state there."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from generator.infra.render import generate
from tests.unit.infra.test_state_backend import ROLE, state_env

pytestmark = pytest.mark.integration

BACKEND_OVERRIDES = """\
endpoints = {{ s3 = "{url}", sts = "{url}", iam = "{url}", dynamodb = "{url}" }}
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
access_key                  = "testing"
secret_key                  = "testing"
"""


@pytest.mark.parametrize(
    "state",
    [
        # S3's lock file, the DynamoDB table beside it, a role: every setting at once (the
        # table alone renders as older Terraform's backend: tests/unit/infra)
        {"role_arn": ROLE, "lock_table": "team-locks"},
    ],
    ids=["lockfile-table-and-role"],
)
def test_rendered_backend_initialises_and_keeps_state_in_the_bucket(
    terraform_bin: str, server: str, tmp_path: Path, state: dict[str, Any]
) -> None:
    """Terraform itself accepts each rendered backend block (fmt, init, apply against the
    emulator: the role assumed through STS, the state locked and written to its key)."""
    env = state_env(key=f"states/{len(state)}-{sorted(state)[-1]}.tfstate", **state)
    stack = tmp_path / "stack"
    stack.mkdir()
    generate(env, tmp_path / "rendered")
    # versions.tf alone: the backend and provider blocks, no resources to create
    (stack / "versions.tf").write_text((tmp_path / "rendered" / "versions.tf").read_text())
    (tmp_path / "backend.hcl").write_text(BACKEND_OVERRIDES.format(url=server))
    session = boto3.Session("testing", "testing", region_name=env.region)
    s3 = session.client("s3", endpoint_url=server)
    if not s3.list_buckets()["Buckets"]:
        s3.create_bucket(
            Bucket="team-state", CreateBucketConfiguration={"LocationConstraint": env.region}
        )
    if state.get("role_arn"):  # the lock table lives in the state account
        creds = session.client("sts", endpoint_url=server).assume_role(
            RoleArn=ROLE, RoleSessionName="test"
        )["Credentials"]
        session = boto3.Session(
            creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], env.region
        )
    dynamodb = session.client("dynamodb", endpoint_url=server)
    if "team-locks" not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName="team-locks",
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def tf(*args: str) -> None:
        proc = subprocess.run(
            [terraform_bin, f"-chdir={stack}", *args, "-no-color"],
            capture_output=True,
            text=True,
            check=False,
            env={**_tf_env(), "AWS_EC2_METADATA_DISABLED": "true"},
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr

    tf("fmt", "-check")
    tf("init", "-input=false", f"-backend-config={tmp_path / 'backend.hcl'}")
    tf("apply", "-input=false", "-auto-approve")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="team-state").get("Contents", [])]
    assert env.state_key in keys
    assert not [k for k in keys if k.endswith(".tflock")]  # the lock was released


def _tf_env() -> dict[str, str]:
    keep = ("PATH", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR", "HOME")
    return {k: os.environ[k] for k in keep if k in os.environ}
