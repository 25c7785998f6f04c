"""The disaster-recovery procedures of docs/BACKUPS.md, step for step, against the moto server.

Each boto3 call below is the SDK form of one ``aws`` command in docs/BACKUPS.md's
"Disaster recovery" section (same operation, same parameters). moto copies all
items on a point-in-time restore whatever the time given, so this proves the
procedure and its parameters, not AWS's restore semantics.
"""

from __future__ import annotations

import uuid

import pytest

from tests.support.emulator import use_emulator


@pytest.fixture
def aws(moto_server, monkeypatch):
    import boto3

    use_emulator(moto_server, monkeypatch)
    return boto3.Session(region_name="us-east-1")


def test_pitr_restore_to_a_new_table(aws) -> None:
    dynamodb = aws.client("dynamodb")
    source = f"dr-projects-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=source,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    dynamodb.update_continuous_backups(
        TableName=source, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    dynamodb.put_item(TableName=source, Item={"id": {"S": "p-1"}, "name": {"S": "kept"}})

    # 1. aws dynamodb describe-continuous-backups --table-name <table>
    backups = dynamodb.describe_continuous_backups(TableName=source)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    earliest = backups["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]

    # 2. aws dynamodb restore-table-to-point-in-time --source-table-name <table>
    #      --target-table-name <table>-restored --restore-date-time <time>
    #      --sse-specification-override Enabled=true,SSEType=KMS
    target = f"{source}-restored"
    dynamodb.restore_table_to_point_in_time(
        SourceTableName=source,
        TargetTableName=target,
        RestoreDateTime=earliest,
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"},
    )
    # 3. aws dynamodb wait table-exists --table-name <table>-restored
    dynamodb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    items = dynamodb.scan(TableName=target)["Items"]
    assert items == [{"id": {"S": "p-1"}, "name": {"S": "kept"}}]
    # The restored table does not inherit PITR: step 4 turns it back on.
    dynamodb.update_continuous_backups(
        TableName=target, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    status = dynamodb.describe_continuous_backups(TableName=target)["ContinuousBackupsDescription"]
    assert status["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_s3_restore_an_overwritten_and_a_deleted_object(aws) -> None:
    s3 = aws.client("s3")
    bucket = f"dr-artifacts-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="report.json", Body=b"good")
    s3.put_object(Bucket=bucket, Key="report.json", Body=b"bad overwrite")
    s3.put_object(Bucket=bucket, Key="deleted.json", Body=b"still here")
    s3.delete_object(Bucket=bucket, Key="deleted.json")

    # Overwritten: aws s3api list-object-versions --bucket <b> --prefix report.json
    versions = s3.list_object_versions(Bucket=bucket, Prefix="report.json")["Versions"]
    previous = next(v for v in versions if not v["IsLatest"])
    #   then: aws s3api copy-object --bucket <b> --key report.json --copy-source "<b>/report.json?versionId=<id>"
    s3.copy_object(
        Bucket=bucket,
        Key="report.json",
        CopySource={"Bucket": bucket, "Key": "report.json", "VersionId": previous["VersionId"]},
    )
    assert s3.get_object(Bucket=bucket, Key="report.json")["Body"].read() == b"good"

    # Deleted: remove its delete marker:
    #   aws s3api delete-object --bucket <b> --key deleted.json --version-id <marker id>
    markers = s3.list_object_versions(Bucket=bucket, Prefix="deleted.json")["DeleteMarkers"]
    marker = next(m for m in markers if m["IsLatest"])
    s3.delete_object(Bucket=bucket, Key="deleted.json", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="deleted.json")["Body"].read() == b"still here"
