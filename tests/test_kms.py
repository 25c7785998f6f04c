"""Property tests of the data key: one CMK per environment encrypts every log group, table, secret
and function environment the stack creates, and its key policy lets CloudWatch Logs use it."""

from __future__ import annotations

import json
import re

import pytest

from environments import ENVIRONMENTS, load
from tests.synth import Synthesized, existing_api_stack

#: What uses the key, and the attribute that names it.
ENCRYPTED: tuple[tuple[str, str], ...] = (
    ("aws_cloudwatch_log_group", "kms_key_id"),
    ("aws_secretsmanager_secret", "kms_key_id"),
    ("aws_lambda_function", "kms_key_arn"),
)


def data_key(stack: Synthesized, prefix: str) -> tuple[str, dict]:
    """The data key's Terraform expression (its ARN) and resource, found by its alias."""
    alias = stack.resource("aws_kms_alias", name=f"alias/{prefix}-data")
    name = re.fullmatch(r"\$\{aws_kms_key\.([^.]+)\.key_id\}", alias["target_key_id"]).group(1)
    return f"${{aws_kms_key.{name}.arn}}", stack.document["resource"]["aws_kms_key"][name]


def key_policy(stack: Synthesized, prefix: str) -> dict[str, dict]:
    """Sid -> statement (IAM policy JSON) of the data key's policy, rendered into ``aws_kms_key.policy``."""
    _, key = data_key(stack, prefix)
    document = json.loads(key["policy"])
    assert document["Version"] == "2012-10-17"
    return {s["Sid"]: s for s in document["Statement"]}


def assert_everything_uses(stack: Synthesized, arn: str) -> None:
    for type_, attribute in ENCRYPTED:
        resources = stack.resources(type_)
        assert resources, type_
        for resource in resources:
            assert resource.get(attribute) == arn, (type_, resource.get("name") or resource.get("function_name"))
    tables = stack.resources("aws_dynamodb_table")
    assert tables
    for table in tables:
        assert table["server_side_encryption"] == {"enabled": True, "kms_key_arn": arn}, table["name"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_one_rotating_data_key_with_its_alias(env, stacks) -> None:
    stack, prefix = stacks[env], load(env).name_prefix
    arn, key = data_key(stack, prefix)
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert json.loads(key["policy"])["Statement"]  # rendered JSON, not a policy-document data source
    assert arn.startswith("${aws_kms_key.data-key_")  # the stack's construct id "data-key": a stable address


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_log_group_table_secret_and_function_uses_the_data_key(env, stacks) -> None:
    stack = stacks[env]
    arn, _ = data_key(stack, load(env).name_prefix)
    assert_everything_uses(stack, arn)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_key_policy_root_administers_and_cloudwatch_logs_of_this_account_only(env, stacks) -> None:
    statements = key_policy(stacks[env], load(env).name_prefix)
    assert set(statements) == {"AccountAdministersKey", "CloudWatchLogsUseKey"}
    admin = statements["AccountAdministersKey"]
    [root] = admin["Principal"]["AWS"]
    assert root.endswith(".account_id}:root")
    assert admin["Action"] == ["kms:*"]
    assert admin["Resource"] == ["*"]
    logs = statements["CloudWatchLogsUseKey"]
    [service] = logs["Principal"]["Service"]
    assert service.startswith("logs.${data.aws_region.")
    assert service.endswith(".dns_suffix}")
    assert logs["Action"] == [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
    ]
    [log_groups] = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert ":logs:${data.aws_region." in log_groups
    assert log_groups.endswith(".account_id}:log-group:*")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_key_use_in_role_policies_is_limited_to_the_data_key(env, stacks) -> None:
    """Every IAM statement that grants a KMS action names the data key, with a condition, and never kms:*."""
    stack = stacks[env]
    arn, _ = data_key(stack, load(env).name_prefix)
    for document in stack.data_sources("aws_iam_policy_document"):
        path = document["//"]["metadata"]["path"]
        for statement in document["statement"]:
            kms = [a for a in statement["actions"] if a.startswith("kms:")]
            if not kms or "principals" in statement:  # key policies: checked above and in test_alerting
                continue
            if path.endswith(("/data-key/policy",)):
                continue
            assert statement["resources"] == [arn], (path, statement)
            assert statement.get("condition"), (path, statement)
            assert set(kms) <= {"kms:Decrypt", "kms:GenerateDataKey"}, (path, statement)


def test_existing_api_mode_encrypts_only_our_own_resources() -> None:
    _, stack = existing_api_stack("dev")
    config = load("dev")
    arn, _ = data_key(stack, config.name_prefix)
    assert_everything_uses(stack, arn)
    # Ours: the authorizer, its log group, the keys table, the pepper and canary secrets.
    assert [f["function_name"] for f in stack.resources("aws_lambda_function")] == ["agenticai-dev-authorizer"]
    assert sorted(t["name"] for t in stack.resources("aws_dynamodb_table")) == ["agenticai-dev-api-keys"]


def test_key_props_reject_a_deletion_window_over_thirty_days() -> None:

    from modules.core.kms import KeyProps

    with pytest.raises(ValueError, match=r"^KeyProps.deletion_window_days: got 31; allowed: 7 to 30$"):
        KeyProps(description="d", admin_principal_arn="arn", deletion_window_days=31)
    with pytest.raises(ValueError, match=r"^KeyProps.alias_name: got 'data'; allowed: a name starting with 'alias/'$"):
        KeyProps(description="d", admin_principal_arn="arn", alias_name="data")


def test_one_key_construct_gives_every_key_rotation_and_an_admin_statement_first(stacks) -> None:
    stack = stacks["prod"]
    keys = stack.resources("aws_kms_key")
    assert len(keys) >= 3  # the data key and the two alert-topic keys
    assert {(k["enable_key_rotation"], k["deletion_window_in_days"]) for k in keys} == {(True, 30)}
    first = [json.loads(k["policy"])["Statement"][0] for k in keys]
    assert all(statement["Action"] == ["kms:*"] for statement in first)
    assert all(set(statement["Principal"]) == {"AWS"} for statement in first)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_key_policy_is_a_policy_document_so_iam_wildcard_checks_stay_on(env, stacks) -> None:
    """checkov's CKV_AWS_109/111/356 read every aws_iam_policy_document as an identity policy: key policies
    (whose "Resource": "*" means the key itself) are rendered JSON instead, so those checks need no skip."""
    stack = stacks[env]
    for document in stack.data_sources("aws_iam_policy_document"):
        for statement in document["statement"]:
            assert not any(a.startswith("kms:") for a in statement["actions"] if "principals" in statement), document[
                "//"
            ]["metadata"]["path"]
    for key in stack.resources("aws_kms_key"):
        assert not key["policy"].startswith("${data.aws_iam_policy_document.")
