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
    # Without kms_key_id, Terraform sends AES256 and the bucket's SSE-KMS default never applies to state.
    assert s3["kms_key_id"] == config.state.kms_key_id == f"alias/{config.name_prefix}-tfstate"
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
    [admin] = json.loads(key["policy"])["Statement"]
    assert admin["Sid"] == "AccountAdministersKeyThroughIam"
    assert re.fullmatch(
        r"arn:aws:iam::\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:root", admin["Principal"]["AWS"][0]
    )
    state = {
        "bucket": "${{aws_s3_bucket.{}.id}}".format(
            next(
                k for k, b in stack.document["resource"]["aws_s3_bucket"].items() if b["bucket"] == config.state.bucket
            )
        )
    }
    assert stack.resource("aws_s3_bucket_versioning", **state)["versioning_configuration"] == {"status": "Enabled"}

    sse = stack.resource("aws_s3_bucket_server_side_encryption_configuration", **state)["rule"][0]
    assert sse["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert sse["apply_server_side_encryption_by_default"]["kms_master_key_id"].startswith("${aws_kms_key.")

    block = stack.resource("aws_s3_bucket_public_access_block", **state)
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert stack.resource("aws_s3_bucket_ownership_controls", **state)["rule"] == {
        "object_ownership": "BucketOwnerEnforced"
    }

    rules = {r["id"]: r for r in stack.resource("aws_s3_bucket_lifecycle_configuration", **state)["rule"]}
    assert rules["expire-noncurrent-versions"]["noncurrent_version_expiration"] == [
        {"noncurrent_days": config.state.noncurrent_version_retention_days}
    ]
    assert rules["abort-incomplete-uploads"]["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]

    statements = state_bucket_policy(stack)
    assert statements["DenyInsecureTransport"]["effect"] == "Deny"
    assert statements["DenyInsecureTransport"]["condition"] == [
        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    ]

    assert set(stack.outputs) >= {"state_bucket", "state_kms_key_arn", "state_kms_key_alias", "state_access_log_bucket"}


def state_bucket_policy(stack) -> dict[str, dict]:
    """Sid -> statement of the state bucket's policy document (the one that denies other encryption)."""
    return next(
        {statement["sid"]: statement for statement in d["statement"]}
        for d in stack.data_sources("aws_iam_policy_document")
        if any(statement.get("sid") == "DenyStateWritesUnderAnotherKey" for statement in d["statement"])
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_state_key_has_the_backend_alias_and_the_bucket_denies_other_encryption(env: str, stacks) -> None:
    config = load(env)
    stack = stacks[f"bootstrap-{env}"]
    alias = stack.resource("aws_kms_alias")
    assert alias["name"] == config.state.kms_key_id
    assert alias["target_key_id"].startswith("${aws_kms_key.")
    assert alias["target_key_id"].endswith(".key_id}")
    statements = state_bucket_policy(stack)
    without_kms, other_key = statements["DenyStateWritesWithoutSseKms"], statements["DenyStateWritesUnderAnotherKey"]
    for statement in (without_kms, other_key):
        assert statement["effect"] == "Deny"
        assert statement["actions"] == ["s3:PutObject"]
        assert statement["principals"] == [{"type": "*", "identifiers": ["*"]}]
        assert statement["resources"][0].endswith(".arn}/*")
    assert without_kms["condition"] == [
        {"test": "StringNotEquals", "variable": "s3:x-amz-server-side-encryption", "values": ["aws:kms"]}
    ]
    [condition] = other_key["condition"]
    assert condition["test"] == "StringNotEquals"
    assert condition["variable"] == "s3:x-amz-server-side-encryption-aws-kms-key-id"
    key_arn, alias_arn, alias_name = condition["values"]
    assert key_arn.startswith("${aws_kms_key.")
    assert key_arn.endswith(".arn}")
    assert alias_arn.startswith("${aws_kms_alias.")
    assert alias_name == config.state.kms_key_id


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_state_bucket_access_is_logged_to_a_protected_sse_s3_bucket(env: str, stacks) -> None:
    config = load(env)
    stack = stacks[f"bootstrap-{env}"]
    log_bucket = stack.resource("aws_s3_bucket", bucket=config.state.log_bucket)
    assert log_bucket.get("force_destroy") in (None, False)
    logging = stack.resource("aws_s3_bucket_logging")
    assert logging["target_prefix"] == "state-access/"
    assert logging["target_bucket"].startswith("${aws_s3_bucket.state_log-bucket")
    assert logging["bucket"].startswith("${aws_s3_bucket.state_bucket")
    encryptions = {
        e["bucket"]: e["rule"][0] for e in stack.resources("aws_s3_bucket_server_side_encryption_configuration")
    }
    log_sse = next(rule for bucket, rule in encryptions.items() if "log-bucket" in bucket)
    # Server access logs can only be delivered to SSE-S3 buckets.
    assert log_sse["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    statements = next(
        {statement["sid"]: statement for statement in d["statement"]}
        for d in stack.data_sources("aws_iam_policy_document")
        if any(statement.get("sid") == "S3ServerAccessLogsPolicy" for statement in d["statement"])
    )
    grant = statements["S3ServerAccessLogsPolicy"]
    assert grant["principals"] == [{"type": "Service", "identifiers": ["logging.s3.amazonaws.com"]}]
    assert {c["variable"] for c in grant["condition"]} == {"aws:SourceArn", "aws:SourceAccount"}
    assert statements["DenyLogDeletion"]["effect"] == "Deny"
    assert set(statements["DenyLogDeletion"]["actions"]) == {"s3:DeleteObject", "s3:DeleteObjectVersion"}
    assert "DenyInsecureTransport" in statements
    assert stack.count("aws_s3_bucket_public_access_block") == 2


def test_optional_dynamodb_lock_table_for_old_terraform() -> None:
    from environments.config import StateConfig
    from modules.data.state import StateBucket
    from tests.synth import synth_scope

    config = StateConfig(
        bucket="agenticai-tfstate-test",
        region="us-east-1",
        dynamodb_table="agenticai-tf-locks",
        kms_key_id="alias/agenticai-test-tfstate",
    )
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


@pytest.mark.parametrize(
    ("backend_kms", "expected"),
    [
        pytest.param(False, "AES256", id="old-backend-encrypt-only-writes-AES256"),
        pytest.param(True, "aws:kms", id="synthesized-backend-writes-under-the-state-key"),
    ],
)
def test_terraform_writes_state_under_the_state_key(
    backend_kms: bool, expected: str, stacks, terraform, moto_server, tmp_path
) -> None:
    """The real terraform binary writes state to moto through the synthesized S3 backend.

    The control case is the old backend (``encrypt = true`` and no ``kms_key_id``): Terraform sends AES256,
    which overrides the bucket's SSE-KMS default, so state was SSE-S3. The synthesized backend sends the
    state key's alias: the object is aws:kms under that key, and verify_deployment's check agrees.
    """
    from scripts import verify_deployment
    from scripts.e2e import boto3_client, emulator_env, write_backend_config
    from scripts.emulator.terraform import Terraform

    config = load("local")
    region = config.state.region
    s3, kms = boto3_client("s3", moto_server, region), boto3_client("kms", moto_server, region)
    bucket = f"tfstate-probe-{tmp_path.name[-20:].lower().replace('_', '-')}".rstrip("-")
    s3.create_bucket(Bucket=bucket)
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    alias = f"alias/probe-{bucket}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    s3.put_bucket_encryption(  # the bucket default the old backend's AES256 header overrode
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]
        },
    )
    backend = dict(stacks["local"].document["terraform"]["backend"]["s3"], bucket=bucket)
    assert backend["kms_key_id"] == config.state.kms_key_id
    backend["kms_key_id"] = alias  # the same key, under this test's own alias
    if not backend_kms:
        del backend["kms_key_id"]
    workdir = tmp_path / "stack"
    workdir.mkdir()
    document = {"terraform": {"backend": {"s3": backend}}, "output": {"probe": {"value": "state"}}}
    (workdir / "main.tf.json").write_text(json.dumps(document))
    tf = Terraform(emulator_env(moto_server, region), binary=terraform.binary)
    tf.init_s3(workdir, write_backend_config(tmp_path / "emulator.s3.tfbackend", endpoint=moto_server.url))
    tf.run(workdir, "apply", "-auto-approve", "-input=false", "-no-color")

    head = s3.head_object(Bucket=bucket, Key=backend["key"])
    assert head["ServerSideEncryption"] == expected
    dep = verify_deployment.Deployment(
        env="local",
        region=region,
        name_prefix=config.name_prefix,
        state_bucket=bucket,
        waf_enabled=False,
        usage_plan=None,
        usage_plan_name="",
        gateway_responses={},
        state_key=backend["key"],
        state_region=region,
        state_kms_key_id=alias,
    )
    aws = verify_deployment.Aws(region)
    aws._clients[("s3", region)], aws._clients[("kms", region)] = s3, kms
    [result] = verify_deployment.check_state_encryption(aws, dep)
    assert result.status == (verify_deployment.PASS if backend_kms else verify_deployment.FAIL), result
