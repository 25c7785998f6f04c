"""scripts/ops.py daily|weekly|monthly against the moto server, "not available" paths included."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from scripts import ops
from tests.support.emulator import use_emulator
from tests.support.html_page import check_page

PREFIX = "agenticai-local"


@pytest.fixture
def aws(moto_server, monkeypatch):
    import boto3

    use_emulator(moto_server, monkeypatch)
    # moto answers 500 to the APIs it lacks; a retry would only wait (retries are tested in test_monitor_costs).
    monkeypatch.setattr(ops, "MAX_RETRIES", 0)
    session = boto3.Session(region_name="us-east-1")
    session.run_id = uuid.uuid4().hex[:6]
    return session


def run(session, capsys, *args: str, now: dt.datetime | None = None) -> tuple[int, str, str]:
    code = ops.main([*args], session=session, now=now)
    out, err = capsys.readouterr()
    return code, out, err


def finding(report: dict, label: str) -> dict:
    return next(f for f in report["findings"] if f["label"] == label)


@pytest.fixture
def firing_alarm(aws):
    cloudwatch = aws.client("cloudwatch")
    name = f"{PREFIX}-ops-test-{aws.run_id}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")
    yield name
    cloudwatch.delete_alarms(AlarmNames=[name])


def test_daily_reports_alarms_waf_cost_and_unavailable_lines(aws, capsys, firing_alarm) -> None:
    now = dt.datetime.now(dt.UTC)
    aws.client("cloudwatch").put_metric_data(
        Namespace="AWS/WAFV2",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [
                    {"Name": "WebACL", "Value": f"{PREFIX}-waf"},
                    {"Name": "Region", "Value": "us-east-1"},
                    {"Name": "Rule", "Value": "ALL"},
                ],
                "Value": value,
                "Timestamp": now - dt.timedelta(hours=1),
            }
            for metric, value in (("AllowedRequests", 120.0), ("BlockedRequests", 7.0))
        ],
    )
    code, out, err = run(aws, capsys, "daily", "--env", "local", "--json", now=now)
    assert code == 1  # an alarm is in ALARM
    report = json.loads(out)
    assert report["action_needed"] is True
    in_alarm = finding(report, "in ALARM now")
    assert in_alarm["status"] == "action"
    assert firing_alarm in in_alarm["value"]
    # moto does not implement DescribeAlarmHistory: the line says so, the report goes on.
    history = finding(report, "state changes, last 24 h")
    assert history["status"] == "n/a"
    assert history["value"].startswith("not available (")
    assert finding(report, "success")["value"] == "canary disabled in this environment's config"
    waf = finding(report, "requests, last 24 h")
    assert waf["data"] == {"allowed": 120.0, "blocked": 7.0}
    cost = finding(report, "cost report")
    assert "AgenticAI Cost Report - " in cost["value"]
    assert "Status: " in cost["value"]
    assert "... daily: alarms / in ALARM now" in err  # progress on stderr


@pytest.mark.usefixtures("firing_alarm")
def test_daily_text_markdown_and_html(aws, capsys, tmp_path) -> None:
    page = tmp_path / "daily.html"
    code, out, _ = run(aws, capsys, "daily", "--env", "local", "--html", str(page))
    assert code == 1
    assert out.startswith("AgenticAI daily operations - local - ")
    assert "[ACTION] in ALARM now: " in out
    assert out.rstrip().endswith("need action")
    svgs = check_page(page.read_text(encoding="utf-8"))
    grid = svgs[1]
    states = {g.get("data-state") for g in grid.iter() if g.get("class") == "alarm"}
    assert "ALARM" in states
    code, out, _ = run(aws, capsys, "daily", "--env", "local", "--markdown")
    assert out.splitlines()[2] == "| | section | check | result |"
    assert any(line.startswith("| ⚠️ | alarms | in ALARM now |") for line in out.splitlines())


def test_weekly_backups_errors_and_latency(aws, capsys) -> None:
    dynamodb, s3, logs = aws.client("dynamodb"), aws.client("s3"), aws.client("logs")
    table, bare, bucket = (f"{PREFIX}-ops-{aws.run_id}-{n}" for n in ("pitr", "bare", "bucket"))
    group = f"/aws/lambda/{PREFIX}-ops-{aws.run_id}"
    for name in (table, bare):
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    dynamodb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    s3.create_bucket(Bucket=bucket)
    logs.create_log_group(logGroupName=group)
    try:
        code, out, _ = run(aws, capsys, "weekly", "--env", "local", "--json")
    finally:
        for name in (table, bare):
            dynamodb.delete_table(TableName=name)
        s3.delete_bucket(Bucket=bucket)
        logs.delete_log_group(logGroupName=group)
    report = json.loads(out)
    assert code == 1
    assert finding(report, f"table {table}")["value"].startswith("PITR on, restorable ")
    assert finding(report, f"table {bare}") == {**finding(report, f"table {bare}"), "status": "action"}
    assert finding(report, f"bucket {bucket}")["value"] == "versioning never enabled"
    # moto runs Logs Insights queries and finds nothing in an empty group.
    assert finding(report, f"top errors of {PREFIX}-ops-{aws.run_id}")["value"] == "none"
    assert finding(report, "p95 this week")["value"] == "no requests recorded"


def test_weekly_p95_without_extended_statistics_is_not_available(aws, capsys) -> None:
    """moto answers GetMetricStatistics without the p95 it was asked for: the line says "not available"."""
    aws.client("cloudwatch").put_metric_data(
        Namespace="AWS/ApiGateway",
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": [{"Name": "ApiName", "Value": f"{PREFIX}-api"}],
                "Value": 120.0,
                "Timestamp": dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
            }
        ],
    )
    code, out, _ = run(aws, capsys, "weekly", "--env", "local", "--json")
    line = finding(json.loads(out), "p95 this week")
    assert line["status"] == "n/a"
    assert line["value"] == "not available (no p95 in the GetMetricStatistics answer)"


def test_a_denied_logs_insights_query_is_not_available(aws, capsys) -> None:
    """Logs Insights refused (as without logs:StartQuery): that line says "not available", the rest goes on."""
    from botocore.exceptions import ClientError

    group = f"/aws/lambda/{PREFIX}-denied-{aws.run_id}"
    aws.client("logs").create_log_group(logGroupName=group)

    def deny(**_kwargs):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "StartQuery")

    aws.events.register("before-call.logs.StartQuery", deny)
    try:
        code, out, _ = run(aws, capsys, "weekly", "--env", "local", "--json")
    finally:
        aws.client("logs").delete_log_group(logGroupName=group)
    line = finding(json.loads(out), f"top errors of {PREFIX}-denied-{aws.run_id}")
    assert line == {**line, "status": "n/a", "value": "not available (StartQuery: AccessDeniedException: no)"}


def test_monthly_keys_cost_trend_drill_and_alarm_activity(aws, capsys, tmp_path) -> None:
    from modules.front_door.names import AuthNames

    dynamodb = aws.client("dynamodb")
    table = AuthNames.for_prefix(PREFIX).keys_table
    made_table = table not in dynamodb.list_tables()["TableNames"]  # else the e2e stack's: keep it
    if made_table:
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "key_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "key_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    old, new, off = (f"{aws.run_id}{n}".ljust(16, "0") for n in ("a", "b", "c"))
    for key_id, created, enabled in (
        (old, "2026-08-01T00:00:00Z", True),
        (new, "2026-11-20T00:00:00Z", True),
        (off, "2026-01-01T00:00:00Z", False),
    ):
        dynamodb.put_item(
            TableName=table,
            Item={"key_id": {"S": key_id}, "created_at": {"S": created}, "enabled": {"BOOL": enabled}},
        )
    (tmp_path / "local-latest.json").write_text(
        json.dumps(
            {
                "result": "passed",
                "started_at": "2026-11-15T10:00:00+00:00",
                "total_seconds": 312.5,
                "recovery_target_minutes": 60,
            }
        )
    )
    try:
        code, out, _ = run(aws, capsys, "monthly", "--env", "local", "--json", "--drill-dir", str(tmp_path), now=now)
    finally:
        for key_id in (old, new, off):
            dynamodb.delete_item(TableName=table, Key={"key_id": {"S": key_id}})
        if made_table:
            dynamodb.delete_table(TableName=table)
    report = json.loads(out)
    assert code == 1
    due = finding(report, "due for rotation (>= 90 days)")
    assert f"{old} (122 days)" in due["data"]
    assert not any(new in k for k in due["data"])
    assert off in finding(report, "disabled or expired, to delete")["data"]
    drill = finding(report, "last DR drill")
    assert drill["status"] == "ok"
    assert drill["value"] == "passed on 2026-11-15: 312 s against a 60 min target"
    assert finding(report, "last 3 months")["status"] in ("ok", "action")
    # moto does not implement DescribeAlarmHistory, which both alarm-activity lines need.
    assert finding(report, "alarm activity")["value"].startswith("not available (")


def test_monthly_without_a_drill_report_asks_for_one(aws, capsys, tmp_path) -> None:
    code, out, _ = run(aws, capsys, "monthly", "--env", "local", "--json", "--drill-dir", str(tmp_path))
    line = finding(json.loads(out), "last DR drill")
    assert code == 1
    assert line["status"] == "action"
    assert "run scripts/dr_drill.py" in line["value"]


def test_waf_managed_rule_versions_are_not_available_in_moto(aws) -> None:
    wafv2 = aws.client("wafv2")
    name = f"{PREFIX}-waf"
    existing = [a for a in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["Name"] == name]
    created = None
    if not existing:
        created = wafv2.create_web_acl(
            Name=name,
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            Rules=[
                {
                    "Name": "common",
                    "Priority": 1,
                    "Statement": {
                        "ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}
                    },
                    "OverrideAction": {"None": {}},
                    "VisibilityConfig": {
                        "SampledRequestsEnabled": False,
                        "CloudWatchMetricsEnabled": False,
                        "MetricName": "common",
                    },
                }
            ],
            VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "acl"},
        )["Summary"]
    try:
        ctx = ops.Context(connection=ops.connect("local", session=aws), now=dt.datetime.now(dt.UTC), args=None)
        findings = ops.guarded_section("waf", "managed rule groups", lambda: ops.check_waf_versions(ctx))
    finally:
        if created:
            wafv2.delete_web_acl(Name=name, Scope="REGIONAL", Id=created["Id"], LockToken=created["LockToken"])
    assert findings
    assert all(f.status == ops.NOT_AVAILABLE or "in use" in f.value for f in findings)


def test_wrong_account_exits_2_with_one_line(aws, capsys) -> None:
    code, out, err = run(aws, capsys, "weekly", "--env", "dev")
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "error: --env dev: the credentials are for account 123456789012, but dev is account 111111111111; "
        "refusing to run"
    ]


def test_json_and_markdown_together_is_a_usage_error(aws, capsys) -> None:
    code, _, err = run(aws, capsys, "daily", "--env", "local", "--json", "--markdown")
    assert code == 2
    assert err.startswith("error: --json and --markdown")
