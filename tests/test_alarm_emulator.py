"""Monitoring with the emulator switches (environments/local.py) applies on a real moto server.

Metric-math alarms, KMS-encrypted SNS topics with policies, email subscriptions and the
dashboard are created by `terraform apply` with the real provider, then read back with boto3.
"""

from __future__ import annotations

import json

import pytest

from tests.monitoring_fixtures import emulator_config, synth_monitoring

pytestmark = pytest.mark.terraform

PREFIX = "agenticai-emulated"


@pytest.fixture(scope="module")
def applied(terraform, moto_server, tmp_path_factory: pytest.TempPathFactory):
    from modules.core.naming import Naming

    # Namespaced by prefix: the moto server is shared by the whole session.
    stack, monitoring = synth_monitoring(emulator_config(), region="us-east-1", naming=Naming(PREFIX))
    work = tmp_path_factory.mktemp("monitoring-apply")
    (work / "cdk.tf.json").write_text(json.dumps(stack.document))
    env = {**moto_server.env("us-east-1"), "AWS_EC2_METADATA_DISABLED": "true"}
    terraform.run(work, "init", "-input=false", "-no-color", env=env)
    terraform.run(work, "apply", "-auto-approve", "-input=false", "-no-color", env=env, timeout=300)
    plan = terraform.run(work, "plan", "-detailed-exitcode", "-input=false", "-no-color", env=env, check=False)
    return monitoring, moto_server, plan


def client(server, service: str):
    import boto3

    env = server.env("us-east-1")
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    )


def test_every_alarm_spec_is_an_alarm_in_the_emulator(applied) -> None:
    monitoring, server, _ = applied
    cloudwatch = client(server, "cloudwatch")
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=f"{PREFIX}-", MaxRecords=100)["MetricAlarms"]
    assert {a["AlarmName"] for a in alarms} == {f"{PREFIX}-{s.key}" for s in monitoring.specs}
    by_name = {a["AlarmName"]: a for a in alarms}
    error_rate = by_name[f"{PREFIX}-lambda-error-rate"]
    expression = next(m for m in error_rate["Metrics"] if "Expression" in m)
    assert expression["Expression"].startswith("MAX([100 * FILL(errors0, 0) / calls0")
    assert error_rate["Threshold"] == 5
    assert error_rate["TreatMissingData"] == "notBreaching"
    assert error_rate["AlarmActions"] == [f"arn:aws:sns:us-east-1:123456789012:{PREFIX}-alerts-critical"]


def test_topics_are_encrypted_and_subscribed(applied) -> None:
    _, server, _ = applied
    sns = client(server, "sns")
    arn = f"arn:aws:sns:us-east-1:123456789012:{PREFIX}-alerts-critical"
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["KmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert "cloudwatch.amazonaws.com" in attributes["Policy"]
    endpoints = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]}
    assert endpoints == {"ops@example.com", "pager@example.com"}
    key_id = attributes["KmsMasterKeyId"].rsplit("/", 1)[1]
    assert client(server, "kms").get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True


def test_dashboard_exists_with_the_typed_body(applied) -> None:
    monitoring, server, _ = applied
    body = json.loads(client(server, "cloudwatch").get_dashboard(DashboardName=f"{PREFIX}-overview")["DashboardBody"])
    assert [w["properties"].get("title") for w in body["widgets"]] == [
        w.title for w in monitoring.dashboard.body.widgets
    ]
    alarms = next(w for w in body["widgets"] if w["type"] == "alarm")["properties"]["alarms"]
    assert all(arn.startswith(f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{PREFIX}-") for arn in alarms)


def test_second_plan_is_empty(applied) -> None:
    """No perpetual diff: policies, dashboard body and metric math read back exactly as written."""
    *_, plan = applied
    assert plan.returncode == 0, plan.stdout[-3000:]
