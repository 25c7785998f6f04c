"""scripts/dr_drill.py against the moto server: a passing drill, a failure halfway that still cleans up, --dry-run."""

from __future__ import annotations

import json
import uuid

import pytest

from scripts import dr_drill
from tests.support.emulator import use_emulator

PREFIX = "agenticai-local"


@pytest.fixture
def aws(moto_server, monkeypatch):
    """A session on the moto server, with two PITR tables and a versioned bucket of the local environment."""
    import boto3

    use_emulator(moto_server, monkeypatch)
    session = boto3.Session(region_name="us-east-1")
    dynamodb, s3 = session.client("dynamodb"), session.client("s3")
    run = uuid.uuid4().hex[:6]
    tables = [f"{PREFIX}-dr-test-{run}-{name}" for name in ("orders", "users")]
    for table in tables:
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        for index in range(30):
            dynamodb.put_item(TableName=table, Item={"id": {"S": f"{index}"}, "value": {"N": str(index * 7)}})
    bucket = f"{PREFIX}-dr-test-{run}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="config.json", Body=b'{"v": 1}')
    s3.put_object(Bucket=bucket, Key="config.json", Body=b'{"v": 2}')
    session.test_tables, session.test_bucket = tables, bucket
    yield session
    for table in tables:
        dynamodb.delete_table(TableName=table)
    for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=bucket)


def only(session) -> list[str]:
    """This test's tables and bucket: other tests of the session may leave tables of the local prefix."""
    return [arg for table in session.test_tables for arg in ("--table", table)] + ["--bucket", session.test_bucket]


def scratch_left(session, bucket: str) -> list[str]:
    tables = [t for t in session.client("dynamodb").list_tables()["TableNames"] if dr_drill.SCRATCH_MARK in t]
    objects = session.client("s3").list_object_versions(Bucket=bucket, Prefix=dr_drill.S3_SCRATCH_PREFIX)
    return tables + [v["Key"] for v in objects.get("Versions", []) + objects.get("DeleteMarkers", [])]


def test_drill_passes_writes_reports_and_leaves_nothing(aws, capsys, tmp_path) -> None:
    code = dr_drill.main(["--env", "local", "--report-dir", str(tmp_path), "--json", *only(aws)], session=aws)
    out, err = capsys.readouterr()
    assert code == 0, out + err
    report = json.loads(out)
    assert report["result"] == "passed"
    assert report["recovery_target_minutes"] == 60
    steps = {step["name"]: step for step in report["steps"]}
    for table in aws.test_tables:
        assert steps[f"compare {table}"]["ok"]
        assert steps[f"compare {table}"]["detail"] == "30 items, 25 sampled hashes equal"
    object_step = steps[f"restore an object version in {aws.test_bucket}"]
    assert object_step["ok"]
    assert object_step["detail"].startswith("config.json version ")
    assert all(step["seconds"] >= 0 for step in report["steps"])
    assert report["cleanup"]
    assert all(entry["deleted"] for entry in report["cleanup"])
    assert scratch_left(aws, aws.test_bucket) == []
    # The report ops monthly reads, plus the dated JSON and text.
    latest = json.loads((tmp_path / "local-latest.json").read_text())
    assert latest == report
    assert len(list(tmp_path.glob("local-*.txt"))) == 1
    assert "... cleanup: deleting every scratch resource" in err


def test_failure_halfway_still_deletes_every_scratch_resource(aws, capsys, tmp_path, monkeypatch) -> None:
    """The first comparison passes, the second raises: both restored tables are deleted all the same."""
    real_compare = dr_drill.compare_tables
    calls = []

    def compare_then_fail(dynamodb, source, copy):
        calls.append(copy)
        if len(calls) == 2:
            raise RuntimeError("simulated failure during the second comparison")
        return real_compare(dynamodb, source, copy)

    monkeypatch.setattr(dr_drill, "compare_tables", compare_then_fail)
    code = dr_drill.main(["--env", "local", "--report-dir", str(tmp_path), *only(aws)], session=aws)
    out, _ = capsys.readouterr()
    assert code == 1
    assert "Result: FAILED" in out
    assert "[FAILED] compare" in out
    assert "simulated failure during the second comparison" in out
    report = json.loads((tmp_path / "local-latest.json").read_text())
    assert report["result"] == "failed"
    deleted = {entry["resource"]: entry["deleted"] for entry in report["cleanup"]}
    assert len(deleted) == 2
    assert all(deleted.values())
    assert {f"dynamodb table {copy}" for copy in calls} <= set(deleted)
    assert scratch_left(aws, aws.test_bucket) == []


def test_a_scratch_table_that_cannot_be_deleted_fails_the_drill(aws, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dr_drill.Scratch, "_delete_table", lambda *_: False)
    try:
        code = dr_drill.main(["--env", "local", "--report-dir", str(tmp_path), *only(aws)], session=aws)
        out, _ = capsys.readouterr()
        assert code == 1
        assert "[ LEFT ] dynamodb table" in out
    finally:
        dynamodb = aws.client("dynamodb")
        for table in dynamodb.list_tables()["TableNames"]:
            if dr_drill.SCRATCH_MARK in table:
                dynamodb.delete_table(TableName=table)


def test_dry_run_lists_actions_and_cost_and_creates_nothing(aws, capsys, tmp_path) -> None:
    code = dr_drill.main(["--env", "local", "--dry-run", "--json", "--report-dir", str(tmp_path)], session=aws)
    plan = json.loads(capsys.readouterr().out)
    assert code == 0
    assert any(aws.test_tables[0] in action for action in plan["actions"])
    assert any(aws.test_bucket in action for action in plan["actions"])
    assert plan["expected_cost_usd"] >= 0
    assert plan["recovery_target_minutes"] == 60
    assert list(tmp_path.iterdir()) == []
    assert scratch_left(aws, aws.test_bucket) == []


def test_missed_target_is_action_needed(aws, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dr_drill, "recovery_target_minutes", lambda _config: 0.0)
    code = dr_drill.main(["--env", "local", "--report-dir", str(tmp_path), *only(aws)], session=aws)
    out, _ = capsys.readouterr()
    assert code == 1
    assert "Result: MISSED TARGET" in out


def test_wrong_account_exits_2_with_one_line(aws, capsys, tmp_path) -> None:
    code = dr_drill.main(["--env", "dev", "--report-dir", str(tmp_path)], session=aws)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "credentials are for account 123456789012, but dev is account 111111111111" in err


def test_the_recovery_target_comes_from_the_environment_config() -> None:
    from environments import load

    config = load("local")
    assert dr_drill.recovery_target_minutes(config) == 60
    faster = config.replace(backups=config.backups.replace(recovery_target_minutes=15))
    assert dr_drill.recovery_target_minutes(faster) == 15
