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


# --- state encryption, public access blocks, protected methods, authorizer TTL, metering key values


def test_state_encryption_fails_under_aes256_and_passes_under_the_state_key(emulator, capsys) -> None:
    """The old backend (``encrypt`` without ``kms_key_id``) wrote AES256 state: FAIL; SSE-KMS under the key: PASS."""
    from environments import load

    state = load("local").state
    s3, kms = boto3_client("s3", emulator, REGION), boto3_client("kms", emulator, REGION)
    s3.create_bucket(Bucket=state.bucket)
    target = f"{state.bucket}/{state.key}"

    s3.put_object(Bucket=state.bucket, Key=state.key, Body=b"{}", ServerSideEncryption="AES256")
    verify_deployment.main(["--env", "local"])
    assert rows(capsys.readouterr().out)[("state encryption", target)] == "FAIL"

    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=state.kms_key_id, TargetKeyId=key)
    other = kms.create_key()["KeyMetadata"]["Arn"]
    s3.put_object(Bucket=state.bucket, Key=state.key, Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId=other)
    verify_deployment.main(["--env", "local"])
    out = capsys.readouterr().out
    assert rows(out)[("state encryption", target)] == "FAIL"  # SSE-KMS, but not the state key

    # What Terraform's S3 backend sends with kms_key_id = the alias.
    s3.put_object(
        Bucket=state.bucket, Key=state.key, Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId=state.kms_key_id
    )
    verify_deployment.main(["--env", "local"])
    assert rows(capsys.readouterr().out)[("state encryption", target)] == "PASS"


def test_public_access_block_fails_then_passes_on_every_bucket(emulator, capsys) -> None:
    from environments import load

    s3 = boto3_client("s3", emulator, REGION)
    bucket = f"{PREFIX}-artifacts"
    s3.create_bucket(Bucket=bucket)
    log_bucket = load("local").state.log_bucket  # not under the prefix: found through the config
    s3.create_bucket(Bucket=log_bucket)
    verify_deployment.main(["--env", "local"])
    weak = rows(capsys.readouterr().out)
    assert weak[("bucket public access block", bucket)] == "FAIL"
    assert weak[("bucket public access block", log_bucket)] == "FAIL"
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )
    verify_deployment.main(["--env", "local"])
    assert rows(capsys.readouterr().out)[("bucket public access block", bucket)] == "FAIL"  # one of four off
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    verify_deployment.main(["--env", "local"])
    assert rows(capsys.readouterr().out)[("bucket public access block", bucket)] == "PASS"


def _api_with_projects_and_health(apigw) -> tuple[str, str, str]:
    """A REST API shaped like an existing one: GET /api/projects without any protection, GET /health public."""
    api = apigw.create_rest_api(name=f"{PREFIX}-api")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    parent = apigw.create_resource(restApiId=api, parentId=root, pathPart="api")["id"]
    projects = apigw.create_resource(restApiId=api, parentId=parent, pathPart="projects")["id"]
    health = apigw.create_resource(restApiId=api, parentId=root, pathPart="health")["id"]
    for resource in (projects, health):
        apigw.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="MOCK")
    apigw.create_stage(restApiId=api, stageName="local", deploymentId=apigw.create_deployment(restApiId=api)["id"])
    return api, projects, health


def _authorizer(apigw, api: str, ttl: int) -> str:
    function = f"arn:aws:lambda:{REGION}:123456789012:function:{PREFIX}-authorizer"
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
    return apigw.create_authorizer(
        restApiId=api,
        name=f"{PREFIX}-api-key",
        type="REQUEST",
        authorizerUri=uri,
        identitySource="method.request.header.X-API-Key",
        authorizerResultTtlInSeconds=ttl,
    )["id"]


def test_protected_methods_and_authorizer_ttl_fail_then_pass(emulator, capsys) -> None:
    apigw = boto3_client("apigateway", emulator, REGION)
    api, projects, health = _api_with_projects_and_health(apigw)
    verify_deployment.main(["--env", "local"])
    weak = rows(capsys.readouterr().out)
    assert weak[("protected method", "GET:/api/projects")] == "FAIL"
    assert weak[("protected method", "GET:/health")] == "FAIL"  # behind the key by default
    assert weak[("authorizer result TTL", api)] == "FAIL"  # no authorizer at all

    cached = _authorizer(apigw, api, ttl=300)
    apigw.delete_method(restApiId=api, resourceId=projects, httpMethod="GET")
    apigw.put_method(
        restApiId=api, resourceId=projects, httpMethod="GET", authorizationType="CUSTOM", authorizerId=cached
    )  # the authorizer, but no API key required
    verify_deployment.main(["--env", "local"])
    half = rows(capsys.readouterr().out)
    assert half[("protected method", "GET:/api/projects")] == "FAIL"
    assert half[("authorizer result TTL", f"{PREFIX}-api-key")] == "FAIL"

    apigw.delete_authorizer(restApiId=api, authorizerId=cached)
    fresh = _authorizer(apigw, api, ttl=0)
    for resource in (projects, health):
        apigw.delete_method(restApiId=api, resourceId=resource, httpMethod="GET")
        apigw.put_method(
            restApiId=api,
            resourceId=resource,
            httpMethod="GET",
            authorizationType="CUSTOM",
            authorizerId=fresh,
            apiKeyRequired=True,
        )
    verify_deployment.main(["--env", "local"])
    hardened = rows(capsys.readouterr().out)
    assert hardened[("protected method", "GET:/api/projects")] == "PASS"
    assert hardened[("protected method", "GET:/health")] == "PASS"
    assert hardened[("authorizer result TTL", f"{PREFIX}-api-key")] == "PASS"


def test_usage_plan_key_values_fail_when_raw_and_pass_when_derived(emulator, capsys) -> None:
    apigw = boto3_client("apigateway", emulator, REGION)
    plan = apigw.create_usage_plan(name=f"{PREFIX}-default")["id"]
    raw_value = "ak_" + "Z" * 40  # what manage_keys used to store: the API key itself
    raw = apigw.create_api_key(name="partner-raw", value=raw_value, enabled=True)["id"]
    apigw.create_usage_plan_key(usagePlanId=plan, keyId=raw, keyType="API_KEY")
    verify_deployment.main(["--env", "local"])
    out = capsys.readouterr().out
    assert rows(out)[("usage-plan key value", "partner-raw")] == "FAIL"
    assert raw_value not in out  # a failing value may be a live key: never printed

    apigw.delete_usage_plan_key(usagePlanId=plan, keyId=raw)
    derived = apigw.create_api_key(name="partner-derived", value="agm_" + "0a" * 32, enabled=True)["id"]
    apigw.create_usage_plan_key(usagePlanId=plan, keyId=derived, keyType="API_KEY")
    verify_deployment.main(["--env", "local"])
    assert rows(capsys.readouterr().out)[("usage-plan key value", "partner-derived")] == "PASS"
