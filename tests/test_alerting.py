"""Alert topics: KMS encryption with rotation, key and topic policies, severity routing of subscriptions."""

from __future__ import annotations

import json

import pytest

from environments import ENVIRONMENTS, load
from environments.config.monitoring import MonitoringConfig, Severity
from modules.monitoring.alerting import PUBLISHERS
from tests.monitoring_fixtures import CONFIG, synth_monitoring


@pytest.fixture(scope="module")
def stack():
    return synth_monitoring()[0]


def key_for(stack, topic_name: str) -> dict:
    topic = stack.resource("aws_sns_topic", name=topic_name)
    reference = topic["kms_master_key_id"]
    assert reference.startswith("${aws_kms_key.")
    assert reference.endswith(".arn}")
    return stack.document["resource"]["aws_kms_key"][reference.split(".")[1]]


def test_one_topic_per_severity_encrypted_with_a_rotating_key(stack) -> None:
    for severity in Severity:
        key = key_for(stack, f"agenticai-test-alerts-{severity.value}")
        assert key["enable_key_rotation"] is True
        assert key["deletion_window_in_days"] == 30
        assert "provider" not in key  # the stack's region


def test_cost_topics_and_their_key_are_in_us_east_1(stack) -> None:
    for severity in (Severity.WARNING, Severity.CRITICAL):
        topic = stack.resource("aws_sns_topic", name=f"agenticai-test-cost-{severity.value}")
        assert topic["provider"] == "aws.billing"
        assert key_for(stack, topic["name"])["provider"] == "aws.billing"
    assert stack.count("aws_kms_key") == 2
    assert {a["name"] for a in stack.resources("aws_kms_alias")} == {
        "alias/agenticai-test-alerts",
        "alias/agenticai-test-cost",
    }


def test_key_policy_lets_alert_services_use_the_key_for_this_account_only(stack) -> None:
    keys = {key_for(stack, f"agenticai-test-{purpose}-critical")["policy"] for purpose in ("alerts", "cost")}
    assert len(keys) == 2
    for policy in keys:
        admin, publishers = json.loads(policy)["Statement"]
        assert admin["Action"] == ["kms:*"]
        [root] = admin["Principal"]["AWS"]
        assert root.startswith("arn:aws:iam::${data.aws_caller_identity.")
        assert root.endswith(".account_id}:root")
        assert publishers["Sid"] == "AlertPublishersUseKey"
        assert publishers["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert set(publishers["Principal"]) == {"Service"}
        assert {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"} <= set(publishers["Principal"]["Service"])
        # Confused-deputy protection: the services use the key only on behalf of this account.
        [account] = publishers["Condition"]["StringEquals"]["aws:SourceAccount"]
        assert account.startswith("${data.aws_caller_identity.")


def topic_policies(stack) -> list[dict[str, dict]]:
    """Sid -> statement of every topic policy document."""
    return [
        {s["sid"]: s for s in d["statement"]}
        for d in stack.data_sources("aws_iam_policy_document")
        if any(s.get("sid") == "AlertPublishers" for s in d["statement"])
    ]


def test_topic_policy_lets_alert_services_publish_from_this_account_only(stack) -> None:
    assert stack.count("aws_sns_topic_policy") == 5
    documents = topic_policies(stack)
    assert len(documents) == 5
    for document in documents:
        publish = document["AlertPublishers"]
        assert publish["actions"] == ["SNS:Publish"]
        assert publish["condition"][0]["variable"] == "aws:SourceAccount"
        assert publish["condition"][0]["values"][0].startswith("${data.aws_caller_identity.")
        assert publish["principals"][0]["type"] == "Service"
        assert set(publish["principals"][0]["identifiers"]) == set(PUBLISHERS)


def test_topic_policy_grants_no_administration_and_denies_plain_http(stack) -> None:
    """Subscribe/SetTopicAttributes/DeleteTopic stay with IAM (the account's administrators), not any principal."""
    for document in topic_policies(stack):
        assert set(document) == {"DenyInsecureTransport", "AlertPublishers"}
        allows = [s for s in document.values() if s.get("effect", "Allow") == "Allow"]
        assert all(s["actions"] == ["SNS:Publish"] for s in allows)
        assert all(p["type"] == "Service" for s in allows for p in s["principals"])
        deny = document["DenyInsecureTransport"]
        assert deny["effect"] == "Deny"
        assert deny["principals"] == [{"type": "*", "identifiers": ["*"]}]
        assert {"SNS:Publish", "SNS:Subscribe", "SNS:SetTopicAttributes", "SNS:DeleteTopic"} <= set(deny["actions"])
        assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def subscribers(stack, topic_name: str) -> set[str]:
    topic_key = next(k for k, t in stack.document["resource"]["aws_sns_topic"].items() if t["name"] == topic_name)
    return {
        s["endpoint"]
        for s in stack.resources("aws_sns_topic_subscription")
        if s["topic_arn"] == f"${{aws_sns_topic.{topic_key}.arn}}"
    }


def test_severity_routing_of_email_subscriptions(stack) -> None:
    assert subscribers(stack, "agenticai-test-alerts-info") == set()
    assert subscribers(stack, "agenticai-test-alerts-warning") == {"ops@example.com"}
    assert subscribers(stack, "agenticai-test-alerts-critical") == {"ops@example.com", "pager@example.com"}
    assert subscribers(stack, "agenticai-test-cost-warning") == {"ops@example.com"}
    for s in stack.resources("aws_sns_topic_subscription"):
        assert s["protocol"] == "email"


def test_min_severity_info_mails_every_topic() -> None:
    stack, _ = synth_monitoring(CONFIG.replace(email_min_severity=Severity.INFO))
    assert subscribers(stack, "agenticai-test-alerts-info") == {"ops@example.com"}


def test_emails_for_deduplicates() -> None:
    config = MonitoringConfig(alert_emails=("a@example.com",), page_emails=("a@example.com", "b@example.com"))
    assert config.emails_for(Severity.CRITICAL) == ("a@example.com", "b@example.com")
    assert config.emails_for(Severity.INFO) == ()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_subscribes_its_recipients(env: str, stacks) -> None:
    config = load(env)
    stack = stacks[env]
    endpoints = {s["endpoint"] for s in stack.resources("aws_sns_topic_subscription")}
    assert endpoints == set(config.monitoring.alert_emails) | set(config.monitoring.page_emails)
    for topic in stack.resources("aws_sns_topic"):
        if topic["name"].startswith(f"{config.name_prefix}-alerts-") or topic["name"].startswith(
            f"{config.name_prefix}-cost-"
        ):
            assert topic["kms_master_key_id"].startswith("${aws_kms_key.")


def test_pager_endpoints_subscribe_the_critical_alerts_topic_over_https_from_ssm() -> None:
    config = CONFIG.replace(page_endpoint_parameters=("/agenticai/test/pager/pagerduty",))
    stack, _ = synth_monitoring(config)
    [parameter_key] = stack.document["data"]["aws_ssm_parameter"]
    parameter = stack.document["data"]["aws_ssm_parameter"][parameter_key]
    assert parameter == {**parameter, "name": "/agenticai/test/pager/pagerduty", "with_decryption": True}
    [pager] = [s for s in stack.resources("aws_sns_topic_subscription") if s["protocol"] == "https"]
    critical = next(
        k for k, t in stack.document["resource"]["aws_sns_topic"].items() if t["name"].endswith("alerts-critical")
    )
    assert pager["topic_arn"] == f"${{aws_sns_topic.{critical}.arn}}"  # critical only; cost topics stay email
    assert pager["endpoint"] == f"${{data.aws_ssm_parameter.{parameter_key}.value}}"  # the URL never in JSON
    assert pager["endpoint_auto_confirms"] is True
    [precondition] = pager["lifecycle"]["precondition"]
    assert precondition["condition"] == (
        f'${{startswith(nonsensitive(data.aws_ssm_parameter.{parameter_key}.value), "https://")}}'
    )
    assert "/agenticai/test/pager/pagerduty" in precondition["error_message"]


def test_no_pager_subscription_by_default(stack) -> None:
    assert not [s for s in stack.resources("aws_sns_topic_subscription") if s["protocol"] != "email"]
    assert "aws_ssm_parameter" not in stack.document.get("data", {})


def test_rejects_page_endpoint_that_is_not_an_ssm_parameter_name() -> None:
    from tests.support.rejects import rejects

    rejects(
        r"^monitoring.page_endpoint_parameters\[0\]: got 'https://events.pagerduty.com/x'; allowed: an SSM "
        r"parameter name starting with '/'",
        lambda: MonitoringConfig(page_endpoint_parameters=("https://events.pagerduty.com/x",)),
    )


def test_rejects_the_same_page_endpoint_twice() -> None:
    from tests.support.rejects import rejects

    rejects(
        r"^monitoring.page_endpoint_parameters: got \('/p', '/p'\); allowed: each parameter at most once",
        lambda: MonitoringConfig(page_endpoint_parameters=("/p", "/p")),
    )


def test_pager_subscription_passes_terraform_validate(terraform, tmp_path) -> None:
    """The precondition's expression (a sensitive SSM value, made non-sensitive for the check) is valid HCL."""
    stack, _ = synth_monitoring(CONFIG.replace(page_endpoint_parameters=("/agenticai/test/pager/x",)))
    (tmp_path / "main.tf.json").write_text(json.dumps(stack.document))
    terraform.run(tmp_path, "init", "-backend=false", "-input=false", "-no-color")
    result = json.loads(terraform.run(tmp_path, "validate", "-json", "-no-color", check=False).stdout)
    assert result["valid"], result["diagnostics"]
