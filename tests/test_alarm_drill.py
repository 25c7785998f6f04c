"""scripts/alarm_drill.py on the moto server, and the seed's metric-driven alarm test on a real account (live).

moto records SetAlarmState but runs no alarm actions (FakeAlarm.update_state only appends history), so on
the emulator the drill publishes the notification CloudWatch would send; these tests check that it reaches an
SQS queue subscribed to the alarm's topic with every field of the seed's Alert Message Format.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest

from scripts import alarm_drill
from tests.support.emulator import use_emulator

PREFIX = "agenticai-local"


@pytest.fixture
def aws(moto_server, monkeypatch):
    """A session on moto with a topic, an SQS queue subscribed to it, a notifying and a silent alarm."""
    import boto3

    use_emulator(moto_server, monkeypatch)
    session = boto3.Session(region_name="us-east-1")
    sns, sqs, cloudwatch = session.client("sns"), session.client("sqs"), session.client("cloudwatch")
    run = uuid.uuid4().hex[:6]
    topic = sns.create_topic(Name=f"{PREFIX}-drill-{run}-critical")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{PREFIX}-drill-{run}-probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    common = {
        "MetricName": "5XXError",
        "Namespace": "AWS/ApiGateway",
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 10,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }
    keys = {"paging": f"drill-{run}-api-5xx", "silent": f"drill-{run}-slo-window"}
    cloudwatch.put_metric_alarm(
        AlarmName=f"{PREFIX}-{keys['paging']}",
        AlarmDescription="[CRITICAL] API 5XX errors: > 10 errors over 5 minutes. Runbook: https://x#api-5xx",
        ActionsEnabled=True,
        AlarmActions=[topic],
        OKActions=[topic],
        **common,
    )
    cloudwatch.put_metric_alarm(AlarmName=f"{PREFIX}-{keys['silent']}", ActionsEnabled=True, **common)
    session.drill = {"topic": topic, "queue_url": queue_url, "keys": keys}
    yield session
    cloudwatch.delete_alarms(AlarmNames=[f"{PREFIX}-{k}" for k in keys.values()])
    sqs.delete_queue(QueueUrl=queue_url)
    sns.delete_topic(TopicArn=topic)


def _messages(session) -> list[dict]:
    received = session.client("sqs").receive_message(
        QueueUrl=session.drill["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1
    )
    return [json.loads(json.loads(m["Body"])["Message"]) for m in received.get("Messages", [])]


def test_drill_sets_alarm_delivers_the_alert_format_and_restores_ok(aws, capsys) -> None:
    key = aws.drill["keys"]["paging"]
    code = alarm_drill.main(["--env", "local", "--alarm", key, "--json"], session=aws)
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    (result,) = report["alarms"]
    assert (result["key"], result["reached_alarm"], result["restored"], result["passed"]) == (key, True, True, True)
    assert result["delivered"] == {aws.drill["topic"]: True}
    (message,) = _messages(aws)
    assert set(alarm_drill.ALERT_FIELDS) <= set(message)
    assert message["AlarmName"] == f"{PREFIX}-{key}"
    assert message["NewStateValue"] == "ALARM"
    assert message["AlarmDescription"].startswith("[CRITICAL] API 5XX errors")
    assert message["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{PREFIX}-{key}"
    assert message["Region"] == "us-east-1"
    assert "drill" in message["NewStateReason"]
    # Back to OK, and the state change to ALARM is in moto's history.
    cloudwatch = aws.client("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=[f"{PREFIX}-{key}"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "OK"


def test_alarm_without_actions_is_reported_silent_not_drilled(aws, capsys) -> None:
    key = aws.drill["keys"]["silent"]
    code = alarm_drill.main(["--env", "local", "--alarm", key, "--json"], session=aws)
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["alarms"] == []
    assert report["silent_by_design"] == [f"{PREFIX}-{key}"]


def test_an_undelivered_notification_is_action_needed(aws, capsys) -> None:
    def lost(**_: object):
        def deliver(_sns, alarm, _start):
            return {topic: False for topic in alarm["AlarmActions"]}

        return deliver

    key = aws.drill["keys"]["paging"]
    code = alarm_drill.main(["--env", "local", "--alarm", key], session=aws, deliver_for=lost)
    out = capsys.readouterr().out
    assert code == 1
    assert f"FAILED {key} (us-east-1): not delivered to {aws.drill['topic']}" in out
    assert "Result: ACTION NEEDED" in out
    state = aws.client("cloudwatch").describe_alarms(AlarmNames=[f"{PREFIX}-{key}"])["MetricAlarms"][0]["StateValue"]
    assert state == "OK"  # set back even though the check failed


def test_dry_run_changes_no_state_and_sends_nothing(aws, capsys) -> None:
    key = aws.drill["keys"]["paging"]
    code = alarm_drill.main(["--env", "local", "--alarm", key, "--dry-run"], session=aws)
    out = capsys.readouterr().out
    assert code == 0
    assert f"  - {key} (us-east-1) -> {PREFIX}-drill-" in out
    alarm = aws.client("cloudwatch").describe_alarms(AlarmNames=[f"{PREFIX}-{key}"])["MetricAlarms"][0]
    assert "drill" not in alarm.get("StateReason", "")
    assert _messages(aws) == []


def test_unknown_alarm_key_is_a_usage_error(aws, capsys) -> None:
    code = alarm_drill.main(["--env", "local", "--alarm", "no-such-alarm"], session=aws)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: --alarm: got 'no-such-alarm'; allowed: ")
    assert len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- pure parts


class _Sns:
    def __init__(self, subscriptions: dict[str, list[dict]]) -> None:
        self.subscriptions = subscriptions

    def get_paginator(self, _name: str):
        outer = self

        class _Pages:
            def paginate(self, TopicArn: str):  # noqa: N803 - boto3's parameter name
                return [{"Subscriptions": outer.subscriptions.get(TopicArn, [])}]

        return _Pages()


def test_pending_confirmation_subscriptions_are_reported() -> None:
    sns = _Sns(
        {
            "arn:critical": [
                {"Endpoint": "oncall@example.com", "SubscriptionArn": "arn:critical:1"},
                {"Endpoint": "pager@example.com", "SubscriptionArn": "PendingConfirmation"},
            ],
            "arn:warning": [{"Endpoint": "oncall@example.com", "SubscriptionArn": "arn:warning:1"}],
        }
    )
    assert alarm_drill.pending_subscriptions(sns, ["arn:critical", "arn:warning"]) == {
        "arn:critical": ["pager@example.com"]
    }
    report = alarm_drill.DrillReport("prod", False, [], [], {"arn:critical": ["pager@example.com"]})
    assert report.passed is False
    assert "PENDING CONFIRMATION on arn:critical: pager@example.com" in alarm_drill.render_text(report, dry_run=False)


def test_history_delivery_reads_executed_actions_from_the_alarm_history() -> None:
    class _CloudWatch:
        calls = 0

        def describe_alarm_history(self, **_: object):
            self.calls += 1
            summary = "Successfully executed action arn:topic" if self.calls > 1 else "Failed to execute action"
            return {"AlarmHistoryItems": [{"HistorySummary": summary}]}

    now = [0.0]
    deliver = alarm_drill.history_delivery(
        _CloudWatch(),
        timeout_seconds=30,
        poll_seconds=5,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert deliver(None, {"AlarmName": "a", "AlarmActions": ["arn:topic"]}, None) == {"arn:topic": True}

    class _Silent:
        def describe_alarm_history(self, **_: object):
            return {"AlarmHistoryItems": []}

    never = alarm_drill.history_delivery(
        _Silent(),
        timeout_seconds=10,
        poll_seconds=5,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert never(None, {"AlarmName": "a", "AlarmActions": ["arn:topic"]}, None) == {"arn:topic": False}


# ----------------------------------------------------------------------------- the seed's test, live


def _live_session():
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        pytest.skip("no AWS credentials: the live alarm test needs a real account (docs/MONITORING.md)")
    return session


@pytest.mark.live
def test_alarm_triggers_on_errors() -> None:
    """The seed's test, metric-driven: six errors in a period drive a real alarm to ALARM (then it is deleted).

    Uses a scratch alarm on a scratch metric (``AgenticAI/AlarmDrill``), so no real alarm and nobody is paged.
    ``ALARM_TEST_REGION`` picks the region (default: the session's, else us-east-1).
    """
    session = _live_session()
    region = os.environ.get("ALARM_TEST_REGION") or session.region_name or "us-east-1"
    cloudwatch = session.client("cloudwatch", region_name=region)
    name = f"agenticai-alarm-test-{uuid.uuid4().hex[:8]}"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        AlarmDescription="Scratch alarm of tests/test_alarm_drill.py::test_alarm_triggers_on_errors",
        Namespace="AgenticAI/AlarmDrill",
        MetricName="Errors",
        Dimensions=[{"Name": "Alarm", "Value": name}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        ActionsEnabled=False,
    )
    try:
        for _ in range(6):  # the seed's six errors
            cloudwatch.put_metric_data(
                Namespace="AgenticAI/AlarmDrill",
                MetricData=[{"MetricName": "Errors", "Dimensions": [{"Name": "Alarm", "Value": name}], "Value": 1}],
            )
        deadline = time.monotonic() + 300
        state = "INSUFFICIENT_DATA"
        while time.monotonic() < deadline:
            state = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]
            if state == "ALARM":
                break
            time.sleep(15)  # polling a real service's evaluation (about once a minute), not test synchronisation
        assert state == "ALARM"
    finally:
        cloudwatch.delete_alarms(AlarmNames=[name])


def test_credentials_for_another_account_are_refused(aws, capsys) -> None:
    # moto's account is 123456789012, not dev's: the drill changes nothing and exits 2.
    code = alarm_drill.main(["--env", "dev", "--dry-run"], session=aws)
    err = capsys.readouterr().err
    assert code == 2
    assert "refusing to run" in err
