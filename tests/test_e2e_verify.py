"""scripts/verify_deployment.py: clean errors on bad input, and real FAILs on a weak deployment.

The full PASS path runs in ``make e2e`` against the applied ``local`` stack; here a moto server holds
hand-made resources that are deliberately *not* hardened, then hardened one by one, so each check
is shown to fail and to pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import verify_deployment
from scripts.e2e import boto3_client
from scripts.emulator.moto_server import MotoServer

PREFIX = "agenticai-local"
REGION = "us-east-1"


@pytest.fixture
def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with MotoServer(log_path=tmp_path / "moto.log") as server:
        for key, value in server.env(REGION).items():
            monkeypatch.setenv(key, value)
        yield server


def rows(output: str) -> dict[tuple[str, str], str]:
    """(check, resource) -> status, from the printed table."""
    table = {}
    for line in output.splitlines()[1:-1]:
        parts = line.split()
        for status in (verify_deployment.PASS, verify_deployment.FAIL, verify_deployment.SKIP):
            if status in parts:
                index = parts.index(status)
                table[(" ".join(parts[: index - 1]), parts[index - 1])] = status
    return table


def test_rejects_unknown_environment(capsys) -> None:
    assert verify_deployment.main(["--env", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --env: unknown environment 'nope'; valid environments: dev, staging, prod, local")
    assert "Traceback" not in err


def test_rejects_outputs_that_are_not_json(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "outputs.json"
    bad.write_text("state_bucket = x")
    assert verify_deployment.main(["--env", "local", "--outputs", str(bad)]) == 2
    assert "--outputs: " in capsys.readouterr().err
    assert verify_deployment.main(["--env", "local", "--outputs", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_rejects_unknown_region(capsys) -> None:
    assert verify_deployment.main(["--env", "local", "--region", "mars-1"]) == 2
    assert capsys.readouterr().err.startswith("error: --region: got 'mars-1'; allowed: one of ")


def test_outputs_accept_terraform_output_json(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"table_names": {"value": ["a", "b"], "type": ["list", "string"], "sensitive": False}}))
    assert verify_deployment.load_outputs(path) == {"table_names": ["a", "b"]}


def test_each_check_fails_on_a_weak_deployment_and_passes_once_hardened(emulator, capsys) -> None:
    dynamodb = boto3_client("dynamodb", emulator, REGION)
    s3 = boto3_client("s3", emulator, REGION)
    sns = boto3_client("sns", emulator, REGION)
    cloudwatch = boto3_client("cloudwatch", emulator, REGION)
    table = f"{PREFIX}-projects"
    bucket = f"{PREFIX}-artifacts"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    s3.create_bucket(Bucket=bucket)
    topic = sns.create_topic(Name=f"{PREFIX}-critical")["TopicArn"]
    alarm = {
        "AlarmName": f"{PREFIX}-errors",
        "MetricName": "Errors",
        "Namespace": "AWS/Lambda",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    cloudwatch.put_metric_alarm(**alarm)

    assert verify_deployment.main(["--env", "local"]) == 1
    weak = rows(capsys.readouterr().out)
    assert weak[("table PITR", table)] == "FAIL"
    assert weak[("bucket versioning", bucket)] == "FAIL"
    assert weak[("alarm actions", f"{PREFIX}-errors")] == "FAIL"
    assert weak[("SNS topic encryption", f"{PREFIX}-critical")] == "FAIL"
    assert weak[("web ACL on stage", "-")] == "FAIL"  # no API at all
    assert weak[("usage-plan limits", f"{PREFIX}-default")] == "FAIL"
    assert weak[("gateway responses", "-")] == "FAIL"
    assert weak[("stage logging", "-")] == "FAIL"
    assert weak[("log group encryption", "-")] == "FAIL"  # no log group at all

    dynamodb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue="alias/agenticai-local")
    cloudwatch.put_metric_alarm(**alarm, AlarmActions=[topic])

    assert verify_deployment.main(["--env", "local"]) == 1  # the API checks still fail
    hardened = rows(capsys.readouterr().out)
    assert hardened[("table PITR", table)] == "PASS"
    assert hardened[("bucket versioning", bucket)] == "PASS"
    assert hardened[("bucket encryption", bucket)] == "PASS"
    assert hardened[("alarm actions", f"{PREFIX}-errors")] == "PASS"
    assert hardened[("SNS topic encryption", f"{PREFIX}-critical")] == "PASS"


def test_silent_alarm_by_design_is_skip_not_pass(emulator, capsys) -> None:
    boto3_client("cloudwatch", emulator, REGION).put_metric_alarm(
        AlarmName=f"{PREFIX}-slo-short-window",
        AlarmDescription=f"Short burn-rate window. {verify_deployment.SILENT_MARKER}",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    verify_deployment.main(["--env", "local"])
    assert rows(capsys.readouterr().out)[("alarm actions", f"{PREFIX}-slo-short-window")] == "SKIP"


def test_stage_logging_and_log_group_encryption_fail_then_pass(emulator, capsys) -> None:
    apigw = boto3_client("apigateway", emulator, REGION)
    logs = boto3_client("logs", emulator, REGION)
    kms = boto3_client("kms", emulator, REGION)
    api = apigw.create_rest_api(name=f"{PREFIX}-api")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api)["id"]
    apigw.create_stage(restApiId=api, stageName="local", deploymentId=deployment)
    group = f"/aws/lambda/{PREFIX}-projects"
    logs.create_log_group(logGroupName=group)

    verify_deployment.main(["--env", "local"])
    weak = rows(capsys.readouterr().out)
    assert weak[("stage logging", "local:access-log")] == "FAIL"
    assert weak[("stage logging", "local:method-settings")] == "FAIL"  # metrics off
    assert weak[("log group encryption", group)] == "FAIL"

    access_log = f"/aws/apigateway/{PREFIX}-access"
    logs.create_log_group(logGroupName=access_log, kmsKeyId=kms.create_key()["KeyMetadata"]["Arn"])
    logs.delete_log_group(logGroupName=group)  # moto has no AssociateKmsKey: recreate it encrypted
    logs.create_log_group(logGroupName=group, kmsKeyId=kms.create_key()["KeyMetadata"]["Arn"])
    arn = f"arn:aws:logs:{REGION}:123456789012:log-group:{access_log}"
    apigw.update_stage(
        restApiId=api,
        stageName="local",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
            {"op": "replace", "path": "/accessLogSettings/format", "value": '{"requestId":"$context.requestId"}'},
            {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"},
        ],
    )
    verify_deployment.main(["--env", "local"])
    out = capsys.readouterr().out
    hardened = rows(out)
    assert hardened[("log group encryption", group)] == "PASS"
    assert hardened[("log group encryption", access_log)] == "PASS"
    assert hardened[("stage logging", "local:access-log")] == "PASS"
    assert hardened[("stage logging", "local:method-settings")] == "PASS"


@pytest.mark.usefixtures("emulator")
def test_json_lists_every_result(capsys) -> None:
    assert verify_deployment.main(["--env", "local", "--json"]) == 1  # nothing deployed: checks fail
    results = json.loads(capsys.readouterr().out)
    assert results
    assert set(results[0]) == {"check", "target", "status", "detail"}
    assert {r["status"] for r in results} <= {"PASS", "FAIL", "SKIP"}


@pytest.mark.usefixtures("emulator")
def test_wrong_account_exits_2_with_one_line(capsys) -> None:
    assert verify_deployment.main(["--env", "dev"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "error: --env dev: the credentials are for account 123456789012, but dev is account 111111111111; "
        "refusing to run"
    ]


def test_no_credentials_exits_3(monkeypatch, capsys) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert verify_deployment.main(["--env", "local"]) == 3
    assert capsys.readouterr().err == (
        "error: no AWS credentials found (configure a profile, SSO or environment credentials)\n"
    )
