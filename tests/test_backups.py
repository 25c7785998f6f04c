"""Data protection: every bucket, every table, in every environment; the existing-API mode; validation."""

from __future__ import annotations

import re

import pytest

from environments import ENVIRONMENTS, load
from environments.config import BackupConfig, ConfigError, Tier
from modules.core.naming import Naming
from tests.support.rejects import rejects

#: The stack's data key (``modules.core.kms.DataKey`` with id ``data-key``), as tables reference it.
DATA_KEY_ARN = "${aws_kms_key.data-key_5D719C34.arn}"

BUCKET_REF = re.compile(r"^\$\{aws_s3_bucket\.([^.]+)\.(?:bucket|id)\}$")
PROTECTIONS = (
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_policy",
)


def _by_bucket(stack, type_: str) -> dict[str, dict]:
    """Protection resources of one type, keyed by the bucket resource they reference."""
    found = {}
    for resource in stack.resources(type_):
        match = BUCKET_REF.match(resource["bucket"])
        assert match, f"{type_} must reference a bucket resource, got {resource['bucket']!r}"
        assert match.group(1) not in found, f"two {type_} for one bucket"
        found[match.group(1)] = resource
    return found


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_bucket_has_every_protection(env: str, stacks) -> None:
    stack = stacks[env]
    buckets = set(stack.document["resource"]["aws_s3_bucket"])
    assert buckets, "the demo API has at least its artifacts bucket"
    for type_ in PROTECTIONS:
        assert set(_by_bucket(stack, type_)) == buckets, type_


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_bucket_protection_values(env: str, stacks) -> None:
    config = load(env)
    stack = stacks[env]
    for versioning in stack.resources("aws_s3_bucket_versioning"):
        assert versioning["versioning_configuration"] == {"status": "Enabled"}
    for sse in stack.resources("aws_s3_bucket_server_side_encryption_configuration"):
        rule = sse["rule"][0]
        assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
        assert rule["bucket_key_enabled"] is True
    for block in stack.resources("aws_s3_bucket_public_access_block"):
        flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        assert all(block[f] is True for f in flags)
    for ownership in stack.resources("aws_s3_bucket_ownership_controls"):
        assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}
    for lifecycle in stack.resources("aws_s3_bucket_lifecycle_configuration"):
        rules = {r["id"]: r for r in lifecycle["rule"]}
        assert rules["abort-incomplete-uploads"]["abort_incomplete_multipart_upload"] == [
            {"days_after_initiation": config.backups.abort_incomplete_multipart_upload_days}
        ]
        assert all(r["status"] == "Enabled" and r["filter"] == [{"prefix": ""}] for r in rules.values())
        assert lifecycle["depends_on"][0].startswith("aws_s3_bucket_versioning.")
    # The API's buckets keep noncurrent versions for the configured 30 days (the canary's for 1 day).
    noncurrent = sorted(
        {
            r["noncurrent_version_expiration"][0]["noncurrent_days"]
            for lc in stack.resources("aws_s3_bucket_lifecycle_configuration")
            for r in lc["rule"]
            if r["id"] == "expire-noncurrent-versions"
        }
    )
    assert config.backups.noncurrent_version_expiration_days in noncurrent


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_bucket_policy_denies_plain_http(env: str, stacks) -> None:
    stack = stacks[env]
    tls_docs = {
        key: doc
        for key, doc in stack.document["data"]["aws_iam_policy_document"].items()
        if any(s.get("sid") == "DenyInsecureTransport" for s in doc["statement"])
    }
    policies = stack.resources("aws_s3_bucket_policy")
    assert len(policies) == len(stack.resources("aws_s3_bucket"))
    for policy in policies:
        key = re.match(r"^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$", policy["policy"]).group(1)
        statement = tls_docs[key]["statement"][0]
        assert statement["effect"] == "Deny"
        assert statement["actions"] == ["s3:*"]
        assert statement["principals"] == [{"type": "*", "identifiers": ["*"]}]
        assert statement["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
        bucket = BUCKET_REF.match(policy["bucket"]).group(1)
        assert statement["resources"] == [f"${{aws_s3_bucket.{bucket}.arn}}", f"${{aws_s3_bucket.{bucket}.arn}}/*"]
        # Ordered after the public access block: S3 rejects concurrent bucket-level changes.
        assert policy["depends_on"][0].startswith("aws_s3_bucket_public_access_block.")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_table_has_pitr_kms_and_the_configured_deletion_protection(env: str, stacks) -> None:
    config = load(env)
    tables = stacks[env].resources("aws_dynamodb_table")
    assert len(tables) >= 2  # projects, api keys (which also holds the hourly counters)
    for table in tables:
        assert table["point_in_time_recovery"] == {"enabled": True}, table["name"]
        assert table["server_side_encryption"] == {"enabled": True, "kms_key_arn": DATA_KEY_ARN}, table["name"]
        assert table["deletion_protection_enabled"] is config.backups.deletion_protection, table["name"]


def test_prod_tables_cannot_be_deleted(stacks) -> None:
    assert load("prod").backups.deletion_protection is True
    assert all(t["deletion_protection_enabled"] is True for t in stacks["prod"].resources("aws_dynamodb_table"))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_queue_is_encrypted_and_every_source_queue_has_a_redrive_policy(env: str, stacks) -> None:
    queues = stacks[env].resources("aws_sqs_queue")
    assert queues
    assert all(q.get("sqs_managed_sse_enabled") is True or q.get("kms_master_key_id") for q in queues)
    dead_letter_arns = {
        f"${{aws_sqs_queue.{k}.arn}}"
        for k, q in stacks[env].document["resource"]["aws_sqs_queue"].items()
        if "redrive_policy" not in q
    }
    for queue in queues:
        if "redrive_policy" in queue:
            assert any(arn[2:-1] in queue["redrive_policy"] for arn in dead_letter_arns)


def _existing_refs():
    from modules.core.refs import BucketRef, QueueRef, RestApiRef, ServiceRefs, TableRef

    return ServiceRefs(
        api=RestApiRef("abc123", "legacy", "prod", "arn:stage", "arn:exec", "https://abc123.example/prod"),
        tables=(TableRef("projects", "legacy-projects", "arn:aws:dynamodb:us-east-1:1:table/legacy-projects"),),
        queues=(QueueRef("projects", "legacy-q", "arn:aws:sqs:us-east-1:1:legacy-q", "https://sqs/legacy-q"),),
        buckets=(
            BucketRef("artifacts", "legacy-artifacts", "arn:aws:s3:::legacy-artifacts"),
            BucketRef("uploads", "legacy-uploads", "arn:aws:s3:::legacy-uploads"),
        ),
        managed=False,
    )


def test_existing_buckets_get_separate_protection_resources() -> None:
    from modules.data.backups import DataProtection
    from tests.synth import synth_scope

    refs = _existing_refs()
    built = {}

    def build(scope):
        built["protection"] = DataProtection(scope, "backups", config=BackupConfig(), refs=refs)

    stack = synth_scope(build)
    assert stack.count("aws_s3_bucket") == 0  # nothing of the existing API is created
    for type_ in PROTECTIONS:
        assert sorted(r["bucket"] for r in stack.resources(type_)) == ["legacy-artifacts", "legacy-uploads"], type_
    lifecycle = stack.resource("aws_s3_bucket_lifecycle_configuration", bucket="legacy-uploads")
    rules = {r["id"]: r for r in lifecycle["rule"]}
    assert rules["expire-noncurrent-versions"]["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    # Tables and queues of an existing API are not Terraform's: listed for verify_deployment.py instead.
    assert stack.count("aws_dynamodb_table") == 0
    assert built["protection"].unmanaged_tables == refs.tables
    assert built["protection"].unmanaged_queues == refs.queues
    assert set(built["protection"].buckets) == {"artifacts", "uploads"}


def test_tables_are_built_with_the_table_protection() -> None:
    from modules.core.kms import DataKey
    from modules.data.tables import TableProps, encrypted_table
    from tests.synth import synth_scope

    protection = BackupConfig(deletion_protection=True).table_protection

    def build(scope):
        data_key = DataKey(scope, "data-key", naming=Naming("t"))
        encrypted_table(
            scope,
            "t",
            props=TableProps(
                name="t1",
                hash_key="id",
                kms_key_arn=data_key.arn,
                point_in_time_recovery=protection.point_in_time_recovery,
                deletion_protection=protection.deletion_protection,
            ),
        )

    table = synth_scope(build).resource("aws_dynamodb_table", name="t1")
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"] == {"enabled": True, "kms_key_arn": DATA_KEY_ARN}
    assert table["deletion_protection_enabled"] is True
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["attribute"] == [{"name": "id", "type": "S"}]


def test_table_props_reject_a_bad_hash_key() -> None:
    from modules.data.tables import TableProps

    with pytest.raises(ValueError, match=r"TableProps.hash_key: got 'a b'; allowed: 1-255 characters"):
        TableProps(name="t", hash_key="a b", kms_key_arn="arn")


def test_default_noncurrent_retention_is_the_seeds_30_days() -> None:
    assert BackupConfig().noncurrent_version_expiration_days == 30
    assert BackupConfig().table_protection.point_in_time_recovery is True


def test_rejects_noncurrent_retention_of_zero_days() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^backups.noncurrent_version_expiration_days: got 0; allowed: an integer "
        r">= 1 and <= 3650",
    ):
        BackupConfig(noncurrent_version_expiration_days=0)


def test_rejects_abort_incomplete_uploads_after_a_year() -> None:
    rejects(
        r"^backups.abort_incomplete_multipart_upload_days: got 400",
        lambda: BackupConfig(abort_incomplete_multipart_upload_days=400),
    )


def test_rejects_deletion_protection_that_is_not_a_bool() -> None:
    rejects(
        r"^backups.deletion_protection: got 'yes'; allowed: True or False",
        lambda: BackupConfig(deletion_protection="yes"),
    )


def test_rejects_production_tier_without_deletion_protection() -> None:

    prod = load("prod")
    assert prod.tier is Tier.PRODUCTION
    with pytest.raises(
        ConfigError,
        match=r"^backups.deletion_protection: got False; allowed: True when tier is "
        r"Tier.PRODUCTION",
    ):
        prod.replace(backups=BackupConfig(deletion_protection=False))
