"""Remote state: every environment's S3 backend, and the bootstrap stack's state bucket."""

from __future__ import annotations

import json
import re

import pytest

from environments import ENVIRONMENTS, load


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_stack_uses_encrypted_s3_backend_with_lockfile(env: str, stacks) -> None:
    config = load(env)
    backend = stacks[env].document["terraform"]["backend"]
    assert list(backend) == ["s3"]
    s3 = backend["s3"]
    assert s3["bucket"] == config.state.bucket
    assert s3["key"] == config.state.key
    assert s3["region"] == config.state.region
    assert s3["encrypt"] is True
    assert s3["use_lockfile"] is True


def test_each_environment_has_its_own_state_bucket() -> None:
    buckets = [load(env).state.bucket for env in ENVIRONMENTS]
    assert len(set(buckets)) == len(buckets)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_bootstrap_stack_keeps_local_state_outside_the_synth_output(env: str, stacks) -> None:
    backend = stacks[f"bootstrap-{env}"].document["terraform"]["backend"]
    assert backend == {"local": {"path": f"../../../bootstrap-state/{env}/terraform.tfstate"}}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_bootstrap_state_bucket_is_hardened(env: str, stacks) -> None:
    config = load(env)
    stack = stacks[f"bootstrap-{env}"]
    bucket = stack.resource("aws_s3_bucket", bucket=config.state.bucket)
    assert "force_destroy" not in bucket or bucket["force_destroy"] is False

    key = stack.resource("aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["policy"].startswith("${data.aws_iam_policy_document.")
    key_policy = next(
        d
        for d in stack.data_sources("aws_iam_policy_document")
        if d["statement"][0]["sid"] == "AccountAdministersKeyThroughIam"
    )
    [principal] = key_policy["statement"][0]["principals"]
    assert principal["type"] == "AWS"
    assert re.fullmatch(
        r"arn:aws:iam::\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:root", principal["identifiers"][0]
    )
    assert stack.resource("aws_s3_bucket_versioning")["versioning_configuration"] == {"status": "Enabled"}

    sse = stack.resource("aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert sse["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert sse["apply_server_side_encryption_by_default"]["kms_master_key_id"].startswith("${aws_kms_key.")

    block = stack.resource("aws_s3_bucket_public_access_block")
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert stack.resource("aws_s3_bucket_ownership_controls")["rule"] == {"object_ownership": "BucketOwnerEnforced"}

    rules = {r["id"]: r for r in stack.resource("aws_s3_bucket_lifecycle_configuration")["rule"]}
    assert rules["expire-noncurrent-versions"]["noncurrent_version_expiration"] == [
        {"noncurrent_days": config.state.noncurrent_version_retention_days}
    ]
    assert rules["abort-incomplete-uploads"]["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]

    policy = next(
        d for d in stack.data_sources("aws_iam_policy_document") if d["statement"][0]["sid"] == "DenyInsecureTransport"
    )["statement"][0]
    assert policy["effect"] == "Deny"
    assert policy["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    assert stack.resource("aws_s3_bucket_policy")["policy"].startswith("${data.aws_iam_policy_document.")

    assert set(stack.outputs) >= {"state_bucket", "state_kms_key_arn"}


def test_optional_dynamodb_lock_table_for_old_terraform() -> None:
    from environments.config import StateConfig
    from modules.data.state import StateBucket
    from tests.synth import synth_scope

    config = StateConfig(bucket="agenticai-tfstate-test", region="us-east-1", dynamodb_table="agenticai-tf-locks")
    stack = synth_scope(lambda scope: StateBucket(scope, "state", config=config))
    table = stack.resource("aws_dynamodb_table", name="agenticai-tf-locks")
    assert table["hash_key"] == "LockID"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"]["kms_key_arn"].startswith("${aws_kms_key.")
    assert table["deletion_protection_enabled"] is True
    assert json.dumps(table).count("LockID") >= 2


def test_no_lock_table_by_default(stacks) -> None:
    for env in ENVIRONMENTS:
        assert stacks[f"bootstrap-{env}"].count("aws_dynamodb_table") == 0
