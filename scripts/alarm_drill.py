#!/usr/bin/env python3
"""Alarm drill: set each alarm to ALARM, check its notification reached its topic, set it back to OK.

    python scripts/alarm_drill.py --env prod --dry-run          # what would be drilled
    python scripts/alarm_drill.py --env prod                    # every alarm that notifies
    python scripts/alarm_drill.py --env prod --alarm api-5xx    # one alarm (its key, as in docs/RUNBOOK.md)

The seed's alarm test and its monthly "review and update alarms". For each alarm of the environment
(``<prefix>-*`` in its region, and in us-east-1 for the billing alarm) that has alarm actions, the drill
calls ``SetAlarmState`` to ALARM (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html),
checks that CloudWatch executed each action, then sets the alarm back to OK (always, even when a check
failed). On a real account "executed" is read from the alarm's history: an ``Action`` item
"Successfully executed action <topic ARN>" after the drill began
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html).
It also lists every subscription of those topics still ``PendingConfirmation``: nobody is reached through
them (https://docs.aws.amazon.com/sns/latest/api/API_Subscription.html).

On the emulator tier (``local``, moto): moto records the state change but never runs alarm actions
(moto/cloudwatch/models.py ``FakeAlarm.update_state`` only appends history; checked at moto 5.2.5 and at
getmoto/moto 0af643a5, 2026-08-22). So there the drill publishes, to each of the alarm's topics, the
notification CloudWatch would send (the seed's Alert Message Format: AlarmName, AlarmDescription,
NewStateValue, NewStateReason, StateChangeTime, Region, AlarmArn): that exercises the alarm -> topic ->
subscriber wiring, not CloudWatch's own delivery. Every alarm message this script sends says it is a drill.

Exit status (scripts/cli.py): 0 every drilled alarm notified and no subscription is pending, 1 an alarm
did not notify, its actions are disabled, or a subscription is pending, 2 usage (unknown --alarm key,
wrong account), 3 AWS error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.cli import (  # noqa: E402
    EXIT_ACTION_NEEDED,
    EXIT_OK,
    CliError,
    add_common_arguments,
    connect,
    guarded,
    progress,
)

#: The seed's Alert Message Format: what every alarm notification must carry.
ALERT_FIELDS = (
    "AlarmName",
    "AlarmDescription",
    "NewStateValue",
    "NewStateReason",
    "StateChangeTime",
    "Region",
    "AlarmArn",
)
DRILL_REASON = "Alarm drill (scripts/alarm_drill.py): not an incident; the alarm is set back to OK."
BILLING_REGION = "us-east-1"
#: How long CloudWatch may take to record an executed action, and how often the drill looks.
DEFAULT_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 5.0

Deliver = Callable[[Any, dict[str, Any], datetime], dict[str, bool]]


@dataclass
class AlarmResult:
    """One alarm's drill. delivered: topic ARN -> the notification reached it."""

    key: str
    name: str
    region: str
    topics: list[str]
    actions_enabled: bool
    reached_alarm: bool = False
    delivered: dict[str, bool] = field(default_factory=dict)
    restored: bool = False

    @property
    def passed(self) -> bool:
        return (
            self.actions_enabled
            and self.reached_alarm
            and self.restored
            and bool(self.delivered)
            and all(self.delivered.values())
        )


@dataclass
class DrillReport:
    environment: str
    emulator: bool
    alarms: list[AlarmResult]
    silent: list[str]
    pending_subscriptions: dict[str, list[str]]

    @property
    def passed(self) -> bool:
        return all(a.passed for a in self.alarms) and not any(self.pending_subscriptions.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "emulator": self.emulator,
            "passed": self.passed,
            "alarms": [{**asdict(a), "passed": a.passed} for a in self.alarms],
            "silent_by_design": self.silent,
            "pending_subscriptions": self.pending_subscriptions,
        }


def alarm_notification(alarm: dict[str, Any], *, region: str, state: str, reason: str, when: datetime) -> dict:
    """The notification CloudWatch publishes for ``alarm`` entering ``state`` (the seed's Alert Message Format)."""
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription", ""),
        "NewStateValue": state,
        "NewStateReason": reason,
        "StateChangeTime": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000",
        "Region": region,
        "AlarmArn": alarm["AlarmArn"],
    }


def history_delivery(
    cloudwatch: Any,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Deliver:
    """A real account: each topic is delivered when the alarm's history records its action as executed."""

    def deliver(_sns: Any, alarm: dict[str, Any], start: datetime) -> dict[str, bool]:
        topics = list(alarm.get("AlarmActions", []))
        deadline = clock() + timeout_seconds
        while True:
            items = cloudwatch.describe_alarm_history(
                AlarmName=alarm["AlarmName"], HistoryItemType="Action", StartDate=start, MaxRecords=100
            )["AlarmHistoryItems"]
            summaries = [i.get("HistorySummary", "") for i in items]
            found = {t: any(f"Successfully executed action {t}" in s for s in summaries) for t in topics}
            if all(found.values()) or clock() >= deadline:
                return found
            sleep(poll_seconds)

    return deliver


def publishing_delivery(region: str) -> Deliver:
    """The emulator: publish the notification CloudWatch would send (moto runs no alarm actions)."""

    def deliver(sns: Any, alarm: dict[str, Any], start: datetime) -> dict[str, bool]:
        message = alarm_notification(alarm, region=region, state="ALARM", reason=DRILL_REASON, when=start)
        delivered = {}
        for topic in alarm.get("AlarmActions", []):
            subject = f'ALARM: "{alarm["AlarmName"]}" (alarm drill)'[:100]
            response = sns.publish(TopicArn=topic, Subject=subject, Message=json.dumps(message))
            delivered[topic] = bool(response.get("MessageId"))
        return delivered

    return deliver


def list_alarms(cloudwatch: Any, prefix: str) -> list[dict[str, Any]]:
    alarms: list[dict[str, Any]] = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=f"{prefix}-", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    ):
        alarms += page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
    return alarms


def pending_subscriptions(sns: Any, topics: Sequence[str]) -> dict[str, list[str]]:
    """Topic ARN -> endpoints whose subscription is still PendingConfirmation."""
    pending: dict[str, list[str]] = {}
    for topic in sorted(set(topics)):
        subscriptions = []
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic):
            subscriptions += page.get("Subscriptions", [])
        waiting = [s["Endpoint"] for s in subscriptions if s.get("SubscriptionArn") == "PendingConfirmation"]
        if waiting:
            pending[topic] = waiting
    return pending


def drill_one(
    cloudwatch: Any, sns: Any, alarm: dict[str, Any], *, key: str, region: str, deliver: Deliver
) -> AlarmResult:
    name = alarm["AlarmName"]
    result = AlarmResult(key, name, region, list(alarm.get("AlarmActions", [])), bool(alarm.get("ActionsEnabled")))
    start = datetime.now(UTC)
    try:
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason=DRILL_REASON)
        state = _state(cloudwatch, name)
        result.reached_alarm = state == "ALARM"
        if result.reached_alarm and result.actions_enabled:
            result.delivered = deliver(sns, alarm, start)
    finally:
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason=DRILL_REASON + " Back to OK.")
        result.restored = _state(cloudwatch, name) == "OK"
    return result


def _state(cloudwatch: Any, name: str) -> str:
    found = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    alarms = found.get("MetricAlarms", []) + found.get("CompositeAlarms", [])
    return alarms[0]["StateValue"] if alarms else "MISSING"


def select(alarms: list[tuple[str, dict[str, Any]]], prefix: str, keys: Sequence[str]) -> list[tuple[str, dict]]:
    """The alarms to drill: ``keys`` (alarm names without ``<prefix>-``), or all. Unknown key: CliError (exit 2)."""
    by_key = {a["AlarmName"][len(prefix) + 1 :]: (region, a) for region, a in alarms}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        allowed = ", ".join(sorted(by_key)) or "none (no alarm deployed)"
        raise CliError(f"--alarm: got {unknown[0]!r}; allowed: {allowed}")
    return [by_key[k] for k in (keys or sorted(by_key))]


def run(connection: Any, *, keys: Sequence[str], dry_run: bool, deliver_for: Callable[..., Deliver]) -> DrillReport:
    config = connection.config
    prefix = config.name_prefix
    emulator = config.tier.value == "emulator"
    regions = list(dict.fromkeys([config.region, BILLING_REGION]))
    clients = {r: (connection.client("cloudwatch", region=r), connection.client("sns", region=r)) for r in regions}
    found = [(r, a) for r in regions for a in list_alarms(clients[r][0], prefix)]
    chosen = select(found, prefix, keys)
    silent = [a["AlarmName"] for _, a in chosen if not a.get("AlarmActions")]
    drilled = [(r, a) for r, a in chosen if a.get("AlarmActions")]
    results: list[AlarmResult] = []
    topics_by_region: dict[str, list[str]] = {}
    for region, alarm in drilled:
        topics_by_region.setdefault(region, []).extend(alarm["AlarmActions"])
        key = alarm["AlarmName"][len(prefix) + 1 :]
        if dry_run:
            results.append(AlarmResult(key, alarm["AlarmName"], region, list(alarm["AlarmActions"]), True))
            continue
        progress(f"drilling {alarm['AlarmName']} ({region})")
        cloudwatch, sns = clients[region]
        deliver = deliver_for(cloudwatch=cloudwatch, region=region, emulator=emulator)
        results.append(drill_one(cloudwatch, sns, alarm, key=key, region=region, deliver=deliver))
    pending: dict[str, list[str]] = {}
    for region, topics in topics_by_region.items():
        pending.update(pending_subscriptions(clients[region][1], topics))
    return DrillReport(config.name, emulator, results, silent, pending)


def default_delivery(*, cloudwatch: Any, region: str, emulator: bool) -> Deliver:
    return publishing_delivery(region) if emulator else history_delivery(cloudwatch)


def render_text(report: DrillReport, *, dry_run: bool) -> str:
    head = f"Alarm drill - {report.environment}" + (" (dry run: no alarm changes state)" if dry_run else "")
    lines = [head]
    if report.emulator and not dry_run:
        lines.append("emulator: moto runs no alarm actions; the drill published the notification CloudWatch sends")
    for a in report.alarms:
        if dry_run:
            lines.append(f"  - {a.key} ({a.region}) -> {', '.join(t.rsplit(':', 1)[-1] for t in a.topics)}")
            continue
        verdict = "ok" if a.passed else "FAILED"
        problems = []
        if not a.actions_enabled:
            problems.append("actions disabled")
        if not a.reached_alarm:
            problems.append("did not reach ALARM")
        problems += [f"not delivered to {t}" for t, ok in a.delivered.items() if not ok]
        if not a.restored:
            problems.append("not back to OK")
        lines.append(f"  {verdict:6} {a.key} ({a.region})" + (f": {'; '.join(problems)}" if problems else ""))
    if report.silent:
        lines.append(f"  silent by design (no actions; a composite notifies): {len(report.silent)}")
    for topic, endpoints in report.pending_subscriptions.items():
        lines.append(f"  PENDING CONFIRMATION on {topic}: {', '.join(endpoints)} (nobody is reached through them)")
    if not dry_run:
        lines.append("Result: " + ("passed" if report.passed else "ACTION NEEDED"))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 passed, 1 an alarm did not notify or a subscription is pending, 2 usage, 3 AWS error.",
    )
    add_common_arguments(parser, json_help="print the report as JSON instead of text")
    parser.add_argument(
        "--alarm", action="append", default=[], help="drill this alarm key only (repeatable; default: every alarm)"
    )
    parser.add_argument("--dry-run", action="store_true", help="list the alarms and their topics; change nothing")
    return parser.parse_args(argv)


@guarded
def main(
    argv: Sequence[str] | None = None, *, session: Any = None, deliver_for: Callable[..., Deliver] | None = None
) -> int:
    args = parse_args(argv)
    connection = connect(args.env, session=session)
    report = run(connection, keys=args.alarm, dry_run=args.dry_run, deliver_for=deliver_for or default_delivery)
    if args.json:
        document = report.to_json()
        document["dry_run"] = args.dry_run
        print(json.dumps(document, indent=2))
    else:
        print(render_text(report, dry_run=args.dry_run))
    if args.dry_run:
        return EXIT_OK
    return EXIT_OK if report.passed else EXIT_ACTION_NEEDED


if __name__ == "__main__":
    sys.exit(main())
