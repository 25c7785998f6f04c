#!/usr/bin/env python3
"""The seed's maintenance schedule (DESIGN.md, "Maintenance and Operations") as three commands.

    python scripts/ops.py daily   --env prod [--html daily.html]   # alarms, canary, cost report, WAF counts
    python scripts/ops.py weekly  --env prod                        # top errors, p95 trend, backup status
    python scripts/ops.py monthly --env prod [--rotation-days 90]   # keys, cost trend, WAF versions, alarms, DR

One entry point with subcommands rather than three scripts: the three share the account check, the resource
discovery by name prefix, the "not available" handling and the three output formats (text, ``--json``,
``--markdown`` for a ticket or chat), and an operator remembers one command. Each line of the report is a
:class:`Finding` whose status is ``ok``, ``action`` (someone has to do something) or ``n/a`` (the API is not
available: not implemented by the emulator, not enabled in the account, or denied for this one call). A line
that is not available never fails the report.

Exit status (scripts/cli.py): 0 nothing to do, 1 at least one finding needs action, 2 usage or config error
(credentials for another account included), 3 AWS unreachable or denied (the account check failed).

Resources are found by the environment's ``name_prefix`` (alarms, tables, buckets, log groups), and by the names
the stack gives them (``<prefix>-api`` for the canary and the REST API, ``<prefix>-waf`` for the web ACL). Tables
and objects the DR drill creates (``-drill-`` in the name) are not reported. Read-only: the commands only call
Describe/Get/List, Logs Insights queries and Cost Explorer (``daily`` and ``monthly`` each make Cost Explorer
requests, $0.01 each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.cli import (  # noqa: E402
    EXIT_ACTION_NEEDED,
    EXIT_AWS,
    EXIT_OK,
    CliError,
    Connection,
    add_common_arguments,
    aws_error_line,
    connect,
    guarded,
    progress,
)

OK, ACTION, NOT_AVAILABLE = "ok", "action", "n/a"
ROOT = Path(__file__).resolve().parent.parent
#: Where scripts/dr_drill.py writes its reports and ``monthly`` reads the latest.
DEFAULT_DRILL_DIR = ROOT / "reports" / "dr-drill"
#: Retries of the report's read-only calls (botocore standard mode). Tests set 0: moto answers 500 to the APIs it
#: lacks, and each retry would only wait.
MAX_RETRIES = 2
#: A DR drill older than this is due again (the seed: monthly).
DRILL_MAX_AGE_DAYS = 31
#: How long a Logs Insights query may run before its line says "not available".
INSIGHTS_TIMEOUT_SECONDS = 60
TOP_ERRORS = 5
ERROR_QUERY = (
    "filter @message like /(?i)(error|exception|traceback)/ "
    f"| stats count(*) as occurrences by @message | sort occurrences desc | limit {TOP_ERRORS}"
)


@dataclass
class Finding:
    """One line of a report."""

    section: str
    label: str
    value: str
    status: str = OK
    data: Any = None


@dataclass
class Context:
    connection: Connection
    now: dt.datetime
    args: argparse.Namespace
    #: (monitor_costs.Report, Period) once the daily cost report ran, for --html.
    cost: Any = None
    clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def config(self):
        return self.connection.config

    @property
    def prefix(self) -> str:
        return self.config.name_prefix

    def client(self, service: str, region: str | None = None):
        key = (service, region or self.config.region)
        if key not in self.clients:
            self.clients[key] = self.connection.client(service, region=key[1], max_retries=MAX_RETRIES)
        return self.clients[key]


class NotAvailable(Exception):
    """The data for a line cannot be had (API missing in the emulator, no datapoints with that statistic...)."""


def guarded_section(section: str, label: str, check: Callable[[], list[Finding]]) -> list[Finding]:
    """Run one check; an AWS error or a missing API becomes one "not available" line instead of a failure."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return check()
    except NotAvailable as error:
        return [Finding(section, label, f"not available ({error})", NOT_AVAILABLE)]
    except (ClientError, BotoCoreError, NotImplementedError) as error:
        return [Finding(section, label, f"not available ({aws_error_line(error)})", NOT_AVAILABLE)]
    except (KeyError, TypeError, ValueError) as error:  # an answer without a field we read: that line only
        return [Finding(section, label, f"not available (unexpected answer: {error!r})", NOT_AVAILABLE)]


def _pages(client, operation: str, key: str, **kwargs) -> Iterable[Any]:
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def _own(name: str, prefix: str) -> bool:
    return name.startswith(prefix) and "-drill-" not in name


# --------------------------------------------------------------------------- daily


def alarms(ctx: Context) -> list[dict]:
    """Metric and composite alarms of the environment: [{"name", "state"}], by name."""
    found = []
    pages = (
        ctx.client("cloudwatch")
        .get_paginator("describe_alarms")
        .paginate(AlarmNamePrefix=ctx.prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    )
    for page in pages:
        found += page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
    return sorted(({"name": a["AlarmName"], "state": a["StateValue"]} for a in found), key=lambda a: a["name"])


def check_alarm_states(ctx: Context) -> list[Finding]:
    current = alarms(ctx)
    firing = [a["name"] for a in current if a["state"] == "ALARM"]
    value = f"{len(firing)} of {len(current)} in ALARM" + (f": {', '.join(firing)}" if firing else "")
    return [Finding("alarms", "in ALARM now", value, ACTION if firing else OK, {"alarms": current})]


def alarm_history(ctx: Context, days: int) -> list[dict]:
    """State changes of the environment's alarms in the last ``days`` days (DescribeAlarmHistory)."""
    items = _pages(
        ctx.client("cloudwatch"),
        "describe_alarm_history",
        "AlarmHistoryItems",
        HistoryItemType="StateUpdate",
        StartDate=ctx.now - dt.timedelta(days=days),
        EndDate=ctx.now,
    )
    return [
        {"alarm": i["AlarmName"], "time": i["Timestamp"].isoformat(), "summary": i.get("HistorySummary", "")}
        for i in items
        if _own(i["AlarmName"], ctx.prefix)
    ]


def check_state_changes(ctx: Context) -> list[Finding]:
    changes = alarm_history(ctx, days=1)
    lines = [f"{c['time']} {c['alarm']}: {c['summary']}" for c in changes]
    return [Finding("alarms", "state changes, last 24 h", f"{len(changes)}" + "".join(f"\n  {x}" for x in lines))]


def metric_sum(ctx: Context, namespace: str, name: str, dimensions: dict[str, str], hours: int, stat="Sum"):
    response = ctx.client("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=ctx.now - dt.timedelta(hours=hours),
        EndTime=ctx.now,
        Period=hours * 3600,
        Statistics=[stat],
    )
    return [p[stat] for p in response.get("Datapoints", []) if stat in p]


def check_canary(ctx: Context) -> list[Finding]:
    if not ctx.config.canary.enabled:
        return [Finding("canary", "success", "canary disabled in this environment's config")]
    name = f"{ctx.prefix}-api"
    points = metric_sum(ctx, "CloudWatchSynthetics", "SuccessPercent", {"CanaryName": name}, 24, "Average")
    findings = []
    if points:
        success = sum(points) / len(points)
        findings.append(Finding("canary", "success, last 24 h", f"{success:.1f}%", ACTION if success < 100 else OK))
    else:
        findings.append(Finding("canary", "success, last 24 h", "no runs recorded", ACTION))

    def failed_runs() -> list[Finding]:
        runs = ctx.client("synthetics").get_canary_runs(Name=name, MaxResults=100).get("CanaryRuns", [])
        failed = [r for r in runs if r.get("Status", {}).get("State") == "FAILED"]
        reasons = sorted({r["Status"].get("StateReason", "?") for r in failed})
        value = f"{len(failed)} failed runs" + "".join(f"\n  {reason}" for reason in reasons)
        return [Finding("canary", "failed steps", value, ACTION if failed else OK)]

    return findings + guarded_section("canary", "failed steps", failed_runs)


def check_waf(ctx: Context) -> list[Finding]:
    if not ctx.config.waf.enabled:
        return [Finding("waf", "requests", "WAF disabled in this environment's config")]
    dims = {"WebACL": f"{ctx.prefix}-waf", "Region": ctx.config.region, "Rule": "ALL"}
    allowed = sum(metric_sum(ctx, "AWS/WAFV2", "AllowedRequests", dims, 24))
    blocked = sum(metric_sum(ctx, "AWS/WAFV2", "BlockedRequests", dims, 24))
    return [
        Finding(
            "waf",
            "requests, last 24 h",
            f"{allowed:,.0f} allowed, {blocked:,.0f} blocked",
            data={"allowed": allowed, "blocked": blocked},
        )
    ]


def check_cost(ctx: Context) -> list[Finding]:
    from scripts import monitor_costs

    progress("cost report (Cost Explorer)")
    period = monitor_costs.period_for(None, ctx.now.date())
    report = monitor_costs.cost_report(ctx.connection, period)
    ctx.cost = (report, period)  # for --html
    text = "\n".join(monitor_costs.seed_lines(report, period))
    return [
        Finding(
            "cost",
            "cost report",
            "\n" + text,
            ACTION if report.over_budget else OK,
            {k: v for k, v in asdict(report).items() if k != "daily"},
        )
    ]


DAILY: tuple[tuple[str, str, Callable[[Context], list[Finding]]], ...] = (
    ("alarms", "in ALARM now", check_alarm_states),
    ("alarms", "state changes, last 24 h", check_state_changes),
    ("canary", "success", check_canary),
    ("cost", "cost report", check_cost),
    ("waf", "requests", check_waf),
)

# --------------------------------------------------------------------------- weekly


def insights_query(ctx: Context, group: str, start: dt.datetime, end: dt.datetime) -> list[dict]:
    logs = ctx.client("logs")
    query = logs.start_query(
        logGroupName=group, startTime=int(start.timestamp()), endTime=int(end.timestamp()), queryString=ERROR_QUERY
    )
    deadline = time.monotonic() + INSIGHTS_TIMEOUT_SECONDS
    while True:
        result = logs.get_query_results(queryId=query["queryId"])
        if result["status"] in ("Complete", "Failed", "Cancelled", "Timeout"):
            break
        if time.monotonic() > deadline:
            raise NotAvailable(f"the query did not finish in {INSIGHTS_TIMEOUT_SECONDS} s")
        time.sleep(1)  # polling an asynchronous query, as Logs Insights requires
    if result["status"] != "Complete":
        raise NotAvailable(f"query {result['status']}")
    rows = [{cell["field"]: cell["value"] for cell in row} for row in result.get("results", [])]
    return [{"message": r.get("@message", "").strip(), "count": int(r.get("occurrences", 0))} for r in rows]


def check_top_errors(ctx: Context) -> list[Finding]:
    groups = [
        g["logGroupName"]
        for g in _pages(ctx.client("logs"), "describe_log_groups", "logGroups", logGroupNamePrefix="/aws/lambda/")
        if g["logGroupName"].removeprefix("/aws/lambda/").startswith(ctx.prefix)
    ]
    findings = []
    for group in groups:
        function = group.removeprefix("/aws/lambda/")
        progress(f"Logs Insights: top errors of {function}")

        def one(group: str = group, function: str = function) -> list[Finding]:
            top = insights_query(ctx, group, ctx.now - dt.timedelta(days=7), ctx.now)
            value = "none" if not top else "".join(f"\n  {t['count']:>6}  {t['message'][:100]}" for t in top)
            return [Finding("errors", f"top errors of {function}", value, ACTION if top else OK, top)]

        findings += guarded_section("errors", f"top errors of {function}", one)
    return findings or [Finding("errors", "top errors", f"no /aws/lambda/{ctx.prefix}* log group found", ACTION)]


def p95(ctx: Context, start: dt.datetime, end: dt.datetime) -> float | None:
    response = ctx.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/ApiGateway",
        MetricName="Latency",
        Dimensions=[{"Name": "ApiName", "Value": f"{ctx.prefix}-api"}],
        StartTime=start,
        EndTime=end,
        Period=int((end - start).total_seconds()),
        ExtendedStatistics=["p95"],
    )
    points = response.get("Datapoints", [])
    if not points:
        return None
    values = [p.get("ExtendedStatistics", {}).get("p95") for p in points]
    if None in values:
        raise NotAvailable("no p95 in the GetMetricStatistics answer")
    return max(values)


def check_latency(ctx: Context) -> list[Finding]:
    week = dt.timedelta(days=7)
    this_week = p95(ctx, ctx.now - week, ctx.now)
    last_week = p95(ctx, ctx.now - 2 * week, ctx.now - week)
    limit = ctx.config.monitoring.slo.latency_threshold_ms
    if this_week is None:
        return [Finding("latency", "p95 this week", "no requests recorded")]
    trend = "" if last_week is None else f" (last week {last_week:.0f} ms, {this_week - last_week:+.0f} ms)"
    status = ACTION if this_week > limit else OK
    data = {"this_week_ms": this_week, "last_week_ms": last_week, "threshold_ms": limit}
    return [Finding("latency", "p95 this week", f"{this_week:.0f} ms{trend}; target < {limit:.0f} ms", status, data)]


def check_backups(ctx: Context) -> list[Finding]:
    dynamodb, s3 = ctx.client("dynamodb"), ctx.client("s3")
    findings = []
    for table in sorted(t for t in _pages(dynamodb, "list_tables", "TableNames") if _own(t, ctx.prefix)):
        pitr = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        pitr = pitr.get("PointInTimeRecoveryDescription", {})
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            findings.append(Finding("backups", f"table {table}", "PITR is OFF", ACTION))
            continue
        earliest, latest = (pitr.get(k) for k in ("EarliestRestorableDateTime", "LatestRestorableDateTime"))
        when = ""
        if earliest is not None and latest is not None:
            first, last = (t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") for t in (earliest, latest))
            when = f", restorable {first} to {last} UTC"
        value = f"PITR on{when}"
        findings.append(Finding("backups", f"table {table}", value, data={"pitr": True}))
    buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    for bucket in sorted(b for b in buckets if _own(b, ctx.prefix) or b == ctx.config.state.bucket):
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status", "never enabled")
        findings.append(
            Finding("backups", f"bucket {bucket}", f"versioning {status}", OK if status == "Enabled" else ACTION)
        )
    return findings or [Finding("backups", "tables and buckets", f"none found with prefix {ctx.prefix}", ACTION)]


WEEKLY = (
    ("errors", "top errors", check_top_errors),
    ("latency", "p95 this week", check_latency),
    ("backups", "backup status", check_backups),
)

# --------------------------------------------------------------------------- monthly


def check_keys(ctx: Context) -> list[Finding]:
    from modules.front_door.names import AuthNames

    table = AuthNames.for_prefix(ctx.prefix).keys_table
    items = list(_pages(ctx.client("dynamodb"), "scan", "Items", TableName=table))
    due, disabled = [], []
    for item in items:
        key_id = item["key_id"]["S"]
        created = item.get("created_at", {}).get("S")
        expired = "expires_at" in item and int(item["expires_at"]["N"]) < ctx.now.timestamp()
        if not item.get("enabled", {}).get("BOOL", False) or expired:
            disabled.append(key_id)
        elif created:
            age = (ctx.now - dt.datetime.fromisoformat(created.replace("Z", "+00:00"))).days
            if age >= ctx.args.rotation_days and "replaced_by" not in item:
                due.append(f"{key_id} ({age} days)")
    return [
        Finding(
            "keys",
            f"due for rotation (>= {ctx.args.rotation_days} days)",
            f"{len(due)}" + "".join(f"\n  {k}" for k in due),
            ACTION if due else OK,
            due,
        ),
        Finding(
            "keys",
            "disabled or expired, to delete",
            f"{len(disabled)}" + "".join(f"\n  {k}" for k in disabled),
            ACTION if disabled else OK,
            disabled,
        ),
    ]


def check_cost_trend(ctx: Context) -> list[Finding]:
    progress("cost trend (Cost Explorer, one request)")
    this_month = ctx.now.date().replace(day=1)
    start = (this_month - dt.timedelta(days=80)).replace(day=1)
    response = ctx.client("ce", "us-east-1").get_cost_and_usage(
        TimePeriod={"Start": start.isoformat(), "End": this_month.isoformat()},
        Granularity="MONTHLY",
        Metrics=["UnblendedCost"],
    )
    months = []
    for result in response.get("ResultsByTime", []):
        amount = result.get("Total", {}).get("UnblendedCost", {}).get("Amount")
        if amount is None:
            amount = sum(float(g["Metrics"]["UnblendedCost"]["Amount"]) for g in result.get("Groups", []))
        months.append({"month": result["TimePeriod"]["Start"][:7], "amount": round(float(amount), 2)})
    budget = ctx.config.monitoring.monthly_budget_usd
    over = [m for m in months if m["amount"] > budget]
    value = ", ".join(f"{m['month']} ${m['amount']:.2f}" for m in months) or "no data"
    return [Finding("cost", "last 3 months", f"{value} (budget ${budget:.2f})", ACTION if over else OK, months)]


def check_waf_versions(ctx: Context) -> list[Finding]:
    if not ctx.config.waf.enabled:
        return [Finding("waf", "managed rule groups", "WAF disabled in this environment's config")]
    wafv2 = ctx.client("wafv2")
    name = f"{ctx.prefix}-waf"
    summary = next((a for a in wafv2.list_web_acls(Scope="REGIONAL").get("WebACLs", []) if a["Name"] == name), None)
    if summary is None:
        return [Finding("waf", "managed rule groups", f"web ACL {name} not found", ACTION)]
    acl = wafv2.get_web_acl(Name=name, Scope="REGIONAL", Id=summary["Id"])["WebACL"]
    findings = []
    for rule in acl.get("Rules", []):
        group = rule.get("Statement", {}).get("ManagedRuleGroupStatement")
        if not group:
            continue
        label = f"{group['VendorName']}/{group['Name']}"

        def one(group: dict = group, label: str = label) -> list[Finding]:
            available = wafv2.list_available_managed_rule_group_versions(
                VendorName=group["VendorName"], Name=group["Name"], Scope="REGIONAL"
            )
            in_use = group.get("Version") or f"default ({available.get('CurrentDefaultVersion', '?')})"
            latest = (available.get("Versions") or [{}])[0].get("Name", "?")
            behind = bool(group.get("Version")) and group["Version"] != latest
            return [Finding("waf", label, f"in use {in_use}, latest {latest}", ACTION if behind else OK)]

        findings += guarded_section("waf", label, one)
    return findings or [Finding("waf", "managed rule groups", "none in the web ACL")]


def check_alarm_activity(ctx: Context) -> list[Finding]:
    names = [a["name"] for a in alarms(ctx)]
    fired: dict[str, int] = {}
    for change in alarm_history(ctx, days=30):
        if "to ALARM" in change["summary"]:
            fired[change["alarm"]] = fired.get(change["alarm"], 0) + 1
    never = [n for n in names if n not in fired]
    most = sorted(fired.items(), key=lambda item: (-item[1], item[0]))[:5]
    return [
        Finding("alarms", "never fired, last 30 days", f"{len(never)} of {len(names)}", data=never),
        Finding(
            "alarms",
            "fired most, last 30 days",
            ", ".join(f"{n} ({c})" for n, c in most) or "none fired",
            data=dict(most),
        ),
    ]


def check_dr_drill(ctx: Context) -> list[Finding]:
    path = Path(ctx.args.drill_dir) / f"{ctx.config.name}-latest.json"
    if not path.is_file():
        return [Finding("dr", "last DR drill", f"none recorded ({path}); run scripts/dr_drill.py", ACTION)]
    report = json.loads(path.read_text())
    when = dt.datetime.fromisoformat(report["started_at"])
    age = (ctx.now - when).days
    value = (
        f"{report['result']} on {when:%Y-%m-%d}: {report['total_seconds']:.0f} s "
        f"against a {report['recovery_target_minutes']} min target"
    )
    status = ACTION if report["result"] != "passed" or age > DRILL_MAX_AGE_DAYS else OK
    if age > DRILL_MAX_AGE_DAYS:
        value += f"; {age} days ago, due again"
    return [Finding("dr", "last DR drill", value, status, report)]


MONTHLY = (
    ("keys", "API keys", check_keys),
    ("cost", "last 3 months", check_cost_trend),
    ("waf", "managed rule groups", check_waf_versions),
    ("alarms", "alarm activity", check_alarm_activity),
    ("dr", "last DR drill", check_dr_drill),
)
SCHEDULES = {"daily": DAILY, "weekly": WEEKLY, "monthly": MONTHLY}

# --------------------------------------------------------------------------- output


def run_schedule(ctx: Context, schedule: str) -> list[Finding]:
    findings: list[Finding] = []
    for section, label, check in SCHEDULES[schedule]:
        progress(f"{schedule}: {section} / {label}")
        findings += guarded_section(section, label, functools.partial(check, ctx))
    return findings


_MARK = {OK: "ok", ACTION: "ACTION", NOT_AVAILABLE: "n/a"}


def render_text(title: str, findings: Sequence[Finding]) -> str:
    lines = [title, "=" * len(title)]
    section = None
    for f in findings:
        if f.section != section:
            section = f.section
            lines += ["", f"{section.upper()}"]
        first, *rest = f.value.split("\n")
        lines.append(f"  [{_MARK[f.status]:^6}] {f.label}: {first}".rstrip())
        lines += [f"           {line.rstrip()}" if line.strip() else "" for line in rest]
    actions = sum(f.status == ACTION for f in findings)
    lines += ["", f"{actions} finding(s) need action" if actions else "Nothing to do"]
    return "\n".join(lines)


def render_markdown(title: str, findings: Sequence[Finding]) -> str:
    icon = {OK: "✅", ACTION: "⚠️", NOT_AVAILABLE: "➖"}
    lines = [f"### {title}", "", "| | section | check | result |", "|---|---|---|---|"]
    for f in findings:
        value = f.value.strip().replace("\n", "<br>").replace("|", "\\|")
        lines.append(f"| {icon[f.status]} | {f.section} | {f.label} | {value} |")
    return "\n".join(lines)


def render_json(title: str, findings: Sequence[Finding]) -> str:
    return json.dumps(
        {
            "title": title,
            "action_needed": any(f.status == ACTION for f in findings),
            "findings": [asdict(f) for f in findings],
        },
        indent=2,
        default=str,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Exit status: 0 ok, 1 action needed, 2 usage, 3 AWS error."
    )
    commands = parser.add_subparsers(dest="schedule", required=True)
    for name, text in (
        ("daily", "alarms in ALARM and state changes, canary success, the cost report, WAF counts"),
        ("weekly", "top errors per function, p95 latency this week against last, backup status"),
        ("monthly", "keys to rotate or delete, cost trend, WAF rule group versions, alarm activity, DR drill"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        add_common_arguments(sub)
        sub.add_argument("--markdown", action="store_true", help="print Markdown (a table for a ticket or chat)")
        if name == "daily":
            sub.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML page")
        if name == "monthly":
            sub.add_argument("--rotation-days", type=int, default=90, help="key age that is due (default: 90)")
            sub.add_argument(
                "--drill-dir",
                type=Path,
                default=DEFAULT_DRILL_DIR,
                help="where scripts/dr_drill.py wrote its reports (default: reports/dr-drill)",
            )
    args = parser.parse_args(argv)
    if getattr(args, "rotation_days", 1) < 1:
        parser.error(f"--rotation-days: got {args.rotation_days}; allowed: an integer >= 1")
    return args


@guarded
def main(argv: Sequence[str] | None = None, *, session=None, now: dt.datetime | None = None) -> int:
    args = parse_args(argv)
    if args.json and args.markdown:
        raise CliError("--json and --markdown: got both; allowed: one of them")
    connection = connect(args.env, session=session)
    ctx = Context(connection=connection, now=now or dt.datetime.now(dt.UTC), args=args)
    findings = run_schedule(ctx, args.schedule)
    title = f"AgenticAI {args.schedule} operations - {connection.config.name} - {ctx.now:%Y-%m-%d}"
    render = render_json if args.json else render_markdown if args.markdown else render_text
    print(render(title, findings))
    if getattr(args, "html", None):
        write_html(ctx, args.html, title, findings)
    return EXIT_ACTION_NEEDED if any(f.status == ACTION for f in findings) else EXIT_OK


def write_html(ctx: Context, path: Path, title: str, findings: Sequence[Finding]) -> None:
    from scripts import monitor_costs

    states: list[dict] = next((f.data["alarms"] for f in findings if f.label == "in ALARM now" and f.data), [])
    if ctx.cost is None:
        raise CliError("--html: the cost report was not available, so there is no chart to draw", code=EXIT_AWS)
    report, period = ctx.cost
    path.write_text(monitor_costs.render_html(report, period, alarms=states, extra=render_text(title, findings)))


if __name__ == "__main__":
    sys.exit(main())
