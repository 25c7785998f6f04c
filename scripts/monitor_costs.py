#!/usr/bin/env python3
"""Monthly cost report for one AgenticAI environment, from Cost Explorer, in the seed's format.

    python scripts/monitor_costs.py --env prod                 # this month, budget from AWS Budgets
    python scripts/monitor_costs.py --env prod --budget 50     # explicit budget
    python scripts/monitor_costs.py --env dev --month 2026-10 --json          # a past month, for machines
    python scripts/monitor_costs.py --env prod --html cost.html               # plus a self-contained page

``--env`` is required (no default environment) and the caller's account must be the environment's
``account_id`` (checked with STS GetCallerIdentity first). Exit status (scripts/cli.py): 0 projected within
budget, 1 projected over budget, 2 usage or config error (wrong account included), 3 AWS unreachable or denied.

The text report is the seed's (DESIGN.md, "Cost Monitoring Script"), line for line: title and its ``=``
underline, ``Current Spending``, ``Days Remaining``, ``By Service:`` with ``  <Service>:<padding>$X.XX (P%)``,
``Projected End-of-Month`` and ``Status: ✓ Within Budget`` / ``Status: ✗ Over Budget by $X.XX``. The extra
lines (environment and budget source, daily trend, Cost Explorer's forecast) come after that sequence.

Cost Explorer charges $0.01 per request, so the report makes at most two calls:
one ``GetCostAndUsage`` (DAILY, grouped by service: it gives both the service
table and the daily trend) and, for the current month, one ``GetCostForecast``
shown as a cross-check. The projection itself is computed from the daily spend:
spent so far + average daily spend x days remaining. Throttling is retried by
botocore's standard retry mode (throttled requests are not billed).

The budget comes from ``--budget``, else from the environment's AWS Budgets
monthly cost budget (the one whose name starts with the environment's name
prefix), else from ``monitoring.monthly_budget_usd`` in its config.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import html
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/monitor_costs.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.cli import EXIT_ACTION_NEEDED, EXIT_OK, CliError, add_common_arguments, connect, guarded  # noqa: E402

#: Cost Explorer requests one report may make (each costs $0.01).
MAX_CE_CALLS = 2
#: botocore standard-mode retries per Cost Explorer request (throttled requests are not billed).
CE_MAX_RETRIES = 4
SPARK = "▁▂▃▄▅▆▇█"

#: Cost Explorer's service names -> the short names of the report.
SHORT_NAMES = {
    "AWS Lambda": "Lambda",
    "Amazon API Gateway": "API Gateway",
    "Amazon DynamoDB": "DynamoDB",
    "Amazon Simple Storage Service": "S3",
    "Amazon Simple Queue Service": "SQS",
    "Amazon Simple Notification Service": "SNS",
    "AmazonCloudWatch": "CloudWatch",
    "Amazon CloudWatch": "CloudWatch",
    "AWS WAF": "WAF",
    "AWS Key Management Service": "KMS",
    "AWS Secrets Manager": "Secrets Manager",
    "AWS X-Ray": "X-Ray",
    "AWS Cost Explorer": "Cost Explorer",
    "Amazon CloudWatch Logs": "CloudWatch Logs",
}


class ReportError(CliError):
    """A failure the user can act on; printed as one line, exit status 2."""


def short_name(service: str) -> str:
    if service in SHORT_NAMES:
        return SHORT_NAMES[service]
    for prefix in ("Amazon ", "AWS "):
        if service.startswith(prefix):
            return service[len(prefix) :]
    return service


def sparkline(values: Sequence[float]) -> str:
    """One block character per value, scaled between the smallest and the largest."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:  # a flat line: mid-height, or the floor when there is no spend at all
        return (SPARK[3] if high else SPARK[0]) * len(values)
    return "".join(SPARK[round((v - low) / (high - low) * (len(SPARK) - 1))] for v in values)


@dataclass(frozen=True)
class Period:
    """The reported month and how much of it has passed as of ``as_of``."""

    month_start: dt.date
    as_of: dt.date

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.month_start.year, self.month_start.month)[1]

    @property
    def next_month(self) -> dt.date:
        return self.month_start + dt.timedelta(days=self.days_in_month)

    @property
    def is_current(self) -> bool:
        return self.month_start <= self.as_of < self.next_month

    @property
    def end(self) -> dt.date:
        """Cost Explorer's exclusive end: tomorrow for the current month (today's costs so far)."""
        return self.as_of + dt.timedelta(days=1) if self.is_current else self.next_month

    @property
    def days_elapsed(self) -> int:
        return (self.end - self.month_start).days

    @property
    def days_remaining(self) -> int:
        return self.days_in_month - self.days_elapsed


@dataclass
class CostExplorer:
    """A Cost Explorer client that refuses a third request. Retries are the client's (botocore standard mode)."""

    client: object
    #: Client for best-effort requests (the forecast): one attempt, no retry, since a missing forecast only
    #: drops a cross-check line. Default: ``client``.
    best_effort_client: object | None = None
    calls: int = 0

    def call(self, operation: str, *, best_effort: bool = False, **kwargs):
        if self.calls >= MAX_CE_CALLS:
            raise ReportError(f"refusing Cost Explorer request {self.calls + 1}: the limit is {MAX_CE_CALLS}")
        self.calls += 1
        client = (self.best_effort_client or self.client) if best_effort else self.client
        return getattr(client, operation)(**kwargs)


@dataclass
class Report:
    environment: str
    month: str
    as_of: str
    spent: float
    budget: float
    budget_source: str
    percent_of_budget: float
    days_remaining: int
    services: list[dict] = field(default_factory=list)
    daily: list[dict] = field(default_factory=list)
    projected: float = 0.0
    forecast: float | None = None
    status: str = "within_budget"
    cost_explorer_calls: int = 0

    @property
    def over_budget(self) -> bool:
        return self.status == "over_budget"


def fetch_costs(ce: CostExplorer, period: Period) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """One GetCostAndUsage call: per-service totals and per-day totals."""
    response = ce.call(
        "get_cost_and_usage",
        TimePeriod={"Start": period.month_start.isoformat(), "End": period.end.isoformat()},
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
        GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
    )
    services: dict[str, float] = {}
    daily: list[tuple[str, float]] = []
    for day in response.get("ResultsByTime", []):
        day_total = 0.0
        for group in day.get("Groups", []):
            amount = float(group["Metrics"]["UnblendedCost"]["Amount"])
            name = short_name(group["Keys"][0])
            services[name] = services.get(name, 0.0) + amount
            day_total += amount
        if not day.get("Groups") and "UnblendedCost" in day.get("Total", {}):
            day_total = float(day["Total"]["UnblendedCost"]["Amount"])
        daily.append((day["TimePeriod"]["Start"], day_total))
    if response.get("NextPageToken"):
        # Following it would cost a request; a month of daily service groups fits one page in practice.
        print("warning: Cost Explorer returned more pages; the report covers the first", file=sys.stderr)
    return services, daily


def fetch_forecast(ce: CostExplorer, period: Period) -> float | None:
    """Cost Explorer's forecast for the rest of the month, or None where it is unavailable."""
    from botocore.exceptions import BotoCoreError, ClientError

    if not period.is_current or period.days_remaining == 0:
        return None
    try:
        response = ce.call(
            "get_cost_forecast",
            best_effort=True,
            TimePeriod={"Start": period.end.isoformat(), "End": period.next_month.isoformat()},
            Metric="UNBLENDED_COST",
            Granularity="MONTHLY",
        )
        return float(response["Total"]["Amount"])
    except (BotoCoreError, ClientError, KeyError, ValueError):
        return None  # new accounts have no forecast yet; emulators do not implement it


def budget_from_aws(budgets_client, account_id: str, name_prefix: str) -> tuple[float, str] | None:
    """The monthly COST budget whose name starts with the environment's prefix, if it can be read."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        found = budgets_client.describe_budgets(AccountId=account_id).get("Budgets", [])
    except (BotoCoreError, ClientError):
        return None
    for budget in found:
        if (
            budget.get("BudgetName", "").startswith(name_prefix)
            and budget.get("BudgetType") == "COST"
            and budget.get("TimeUnit") == "MONTHLY"
        ):
            try:
                return float(budget["BudgetLimit"]["Amount"]), f"AWS Budgets ({budget['BudgetName']})"
            except (KeyError, ValueError):
                return None
    return None


def build_report(
    *,
    environment: str,
    period: Period,
    budget: float,
    budget_source: str,
    ce: CostExplorer,
) -> Report:
    services, daily = fetch_costs(ce, period)
    spent = round(sum(services.values()) if services else sum(v for _, v in daily), 2)
    average_daily = spent / period.days_elapsed if period.days_elapsed else 0.0
    projected = round(spent + average_daily * period.days_remaining, 2)
    forecast_rest = fetch_forecast(ce, period)
    ranked = sorted(services.items(), key=lambda item: (-item[1], item[0]))
    return Report(
        environment=environment,
        month=period.month_start.strftime("%Y-%m"),
        as_of=period.as_of.isoformat(),
        spent=spent,
        budget=round(budget, 2),
        budget_source=budget_source,
        percent_of_budget=round(spent / budget * 100, 1),
        days_remaining=period.days_remaining,
        services=[
            {"service": name, "amount": round(amount, 2), "percent": round(amount / spent * 100, 1) if spent else 0.0}
            for name, amount in ranked
        ],
        daily=[{"date": day, "amount": round(amount, 2)} for day, amount in daily],
        projected=projected,
        forecast=None if forecast_rest is None else round(spent + forecast_rest, 2),
        status="over_budget" if projected > budget else "within_budget",
        cost_explorer_calls=ce.calls,
    )


def seed_lines(report: Report, period: Period) -> list[str]:
    """The seed's report, line for line (DESIGN.md, "Cost Monitoring Script")."""
    title = f"AgenticAI Cost Report - {period.month_start.strftime('%B %Y')}"
    lines = [
        title,
        "=" * len(title),
        f"Current Spending: ${report.spent:.2f} / ${report.budget:.2f} ({report.percent_of_budget:.1f}%)",
        f"Days Remaining: {report.days_remaining}",
        "",
        "By Service:",
    ]
    # "  Lambda:      $5.20 (41.8%)": the labels padded to the longest one, then one space.
    width = max((len(s["service"]) + 1 for s in report.services), default=0)
    for item in report.services:
        lines.append(f"  {item['service'] + ':':<{width}} ${item['amount']:.2f} ({item['percent']:.1f}%)")
    if not report.services:
        lines.append("  (no costs recorded)")
    lines += ["", f"Projected End-of-Month: ${report.projected:.2f}"]
    if report.over_budget:
        lines.append(f"Status: ✗ Over Budget by ${report.projected - report.budget:.2f}")
    else:
        lines.append("Status: ✓ Within Budget")
    return lines


def render_text(report: Report, period: Period) -> str:
    """The seed's lines, then this report's extras (environment, budget source, daily trend, forecast)."""
    lines = seed_lines(report, period)
    lines += [
        "",
        f"Environment: {report.environment} (budget from {report.budget_source})",
        f"Daily Trend: {sparkline([d['amount'] for d in report.daily]) or '(no data)'}",
    ]
    if report.forecast is not None:
        lines.append(f"Cost Explorer forecast: ${report.forecast:.2f}")
    return "\n".join(lines)


# --- HTML --------------------------------------------------------------------------------------------------------
# One self-contained page: inline CSS and SVG, no script and nothing fetched from the network. tests/ parse it
# with the standard library (xml.etree for the SVG, html.parser for the page): no browser is installed here and
# CI would have to install Debian's chromium (~300 MB) only to look at two charts; the parsers check what a
# browser needs (well-formed SVG with its namespace and viewBox, no external reference) in milliseconds.

SVG_NS = "http://www.w3.org/2000/svg"
ALARM_COLOURS = {"OK": "#2e7d32", "ALARM": "#c62828", "INSUFFICIENT_DATA": "#9e9e9e"}


def svg_spend_chart(report: Report, period: Period, *, width: int = 640, height: int = 240) -> str:
    """Cumulative daily spend (line), the budget (dashed line) and the projection to month end (dotted)."""
    pad = 40
    days = period.days_in_month
    top = max(report.budget, report.projected, report.spent, 0.01) * 1.1

    def x(day: float) -> float:
        return round(pad + (width - 2 * pad) * day / days, 1)

    def y(usd: float) -> float:
        return round(height - pad - (height - 2 * pad) * usd / top, 1)

    total, points = 0.0, [f"{x(0)},{y(0)}"]
    for index, day in enumerate(report.daily, 1):
        total += day["amount"]
        points.append(f"{x(index)},{y(total)}")
    elapsed = len(report.daily)
    parts = [
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">',
        "<title>Daily spend against the budget</title>",
        f'<line class="axis" x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#555"/>',
        f'<line class="budget" x1="{x(0)}" y1="{y(report.budget)}" x2="{x(days)}" y2="{y(report.budget)}" '
        f'stroke="#c62828" stroke-dasharray="6 4"/>',
        f'<text x="{x(0) + 4}" y="{y(report.budget) - 4}" font-size="11">budget ${report.budget:.2f}</text>',
        f'<polyline class="spend" fill="none" stroke="#1565c0" stroke-width="2" points="{" ".join(points)}"/>',
        f'<line class="projection" x1="{x(elapsed)}" y1="{y(report.spent)}" x2="{x(days)}" '
        f'y2="{y(report.projected)}" stroke="#1565c0" stroke-dasharray="2 3"/>',
        f'<text x="{x(days) - 4}" y="{y(report.projected) - 4}" font-size="11" text-anchor="end">'
        f"projected ${report.projected:.2f}</text>",
        "</svg>",
    ]
    return "".join(parts)


def svg_alarm_grid(alarms: Sequence[dict], *, columns: int = 4, cell_width: int = 200, cell_height: int = 28) -> str:
    """One cell per alarm ({"name", "state"}), coloured by state."""
    rows = max(1, -(-len(alarms) // columns))
    width, height = columns * cell_width, rows * cell_height
    parts = [f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    parts.append("<title>Alarm states</title>")
    for index, alarm in enumerate(alarms):
        left, top = (index % columns) * cell_width, (index // columns) * cell_height
        colour = ALARM_COLOURS.get(alarm["state"], "#9e9e9e")
        parts.append(
            f'<g class="alarm" data-state="{html.escape(alarm["state"])}">'
            f'<rect x="{left + 1}" y="{top + 1}" width="{cell_width - 2}" height="{cell_height - 2}" fill="{colour}"/>'
            f'<text x="{left + 6}" y="{top + 18}" font-size="11" fill="#fff">{html.escape(alarm["name"][:30])}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: Report, period: Period, *, alarms: Sequence[dict] | None = None, extra: str = "") -> str:
    """A self-contained page: the seed's text, the spend chart, and (for ``ops daily``) the alarm grid."""
    title = f"AgenticAI Cost Report - {period.month_start.strftime('%B %Y')} ({report.environment})"
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        svg_spend_chart(report, period),
        f"<pre>{html.escape(render_text(report, period))}</pre>",
    ]
    if alarms is not None:
        sections += ["<h2>Alarms</h2>", svg_alarm_grid(alarms)]
    if extra:
        sections.append(f"<pre>{html.escape(extra)}</pre>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f5f5f5;padding:1em}</style>"
        "</head><body>" + "".join(sections) + "</body></html>\n"
    )


def parse_month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {value!r}; allowed: a month as YYYY-MM, e.g. 2026-11") from None


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {value!r}; allowed: a date as YYYY-MM-DD") from None


def parse_budget(value: str) -> float:
    try:
        budget = float(value)
    except ValueError:
        budget = float("nan")
    if not budget > 0 or budget == float("inf"):
        raise argparse.ArgumentTypeError(f"got {value!r}; allowed: a positive amount in USD, e.g. 50")
    return budget


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Exit status: 0 ok, 1 over budget, 2 usage, 3 AWS error."
    )
    add_common_arguments(parser, json_help="print JSON instead of the text report (same schema as before)")
    parser.add_argument(
        "--budget", type=parse_budget, help="monthly budget in USD (default: the AWS Budget, else the config)"
    )
    parser.add_argument("--month", type=parse_month, help="month to report, YYYY-MM (default: this month)")
    parser.add_argument("--as-of", type=parse_date, help="report as of this date, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML page to FILE")
    return parser.parse_args(argv)


def period_for(month: dt.date | None, as_of: dt.date | None) -> Period:
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    month_start = month or as_of.replace(day=1)
    if month_start > as_of:
        raise CliError(f"--month: got {month_start:%Y-%m}; allowed: a month up to {as_of:%Y-%m}")
    return Period(month_start=month_start, as_of=as_of)


def cost_report(connection, period: Period, budget: float | None = None) -> Report:
    """The report for ``connection``'s environment (an account-checked scripts.cli.Connection)."""
    config = connection.config
    if budget is not None:
        source = "--budget"
    else:
        budgets = connection.client("budgets", region="us-east-1")
        budget, source = budget_from_aws(budgets, config.account_id, config.name_prefix) or (
            config.monitoring.monthly_budget_usd,
            f"environments/{config.name}.py",
        )
    ce = CostExplorer(
        connection.client("ce", region="us-east-1", max_retries=CE_MAX_RETRIES),
        best_effort_client=connection.client("ce", region="us-east-1", max_retries=0),
    )
    return build_report(environment=config.name, period=period, budget=budget, budget_source=source, ce=ce)


def report_json(report: Report) -> str:
    return json.dumps({**asdict(report), "over_budget": report.over_budget}, indent=2)


@guarded
def main(argv: Sequence[str] | None = None, *, session=None) -> int:
    args = parse_args(argv)
    period = period_for(args.month, args.as_of)
    connection = connect(args.env, session=session)
    report = cost_report(connection, period, args.budget)
    print(report_json(report) if args.json else render_text(report, period))
    if args.html:
        args.html.write_text(render_html(report, period), encoding="utf-8")
    return EXIT_ACTION_NEEDED if report.over_budget else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
