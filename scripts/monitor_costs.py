#!/usr/bin/env python3
"""Monthly cost report for one AgenticAI environment, from Cost Explorer.

    python scripts/monitor_costs.py --env prod                 # this month, budget from AWS Budgets
    python scripts/monitor_costs.py --env prod --budget 50     # explicit budget
    python scripts/monitor_costs.py --month 2026-10 --json     # a past month, for machines

Exit status: 0 projected within budget, 1 projected over budget, 2 error.

Cost Explorer charges $0.01 per request, so the report makes at most two calls:
one ``GetCostAndUsage`` (DAILY, grouped by service: it gives both the service
table and the daily trend) and, for the current month, one ``GetCostForecast``
shown as a cross-check. The projection itself is computed from the daily spend:
spent so far + average daily spend x days remaining. Throttling is retried with
exponential backoff (throttled requests are not billed).

The budget comes from ``--budget``, else from the environment's AWS Budgets
monthly cost budget (the one whose name starts with the environment's name
prefix), else from ``monitoring.monthly_budget_usd`` in its config.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/monitor_costs.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from environments import ENVIRONMENTS, EnvironmentConfigError, UnknownEnvironmentError, load  # noqa: E402

#: Cost Explorer requests one report may make (each costs $0.01).
MAX_CE_CALLS = 2
THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "LimitExceededException"}
)
RETRY_ATTEMPTS = 5
RETRY_BASE_SECONDS = 1.0
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


class ReportError(Exception):
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
    """A Cost Explorer client that refuses a third request and retries throttling with backoff."""

    client: object
    sleep: Callable[[float], None] = time.sleep
    calls: int = 0

    def call(self, operation: str, **kwargs):
        from botocore.exceptions import ClientError

        if self.calls >= MAX_CE_CALLS:
            raise ReportError(f"refusing Cost Explorer request {self.calls + 1}: the limit is {MAX_CE_CALLS}")
        self.calls += 1
        for attempt in range(RETRY_ATTEMPTS):
            try:
                return getattr(self.client, operation)(**kwargs)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in THROTTLING_CODES or attempt == RETRY_ATTEMPTS - 1:
                    raise
                self.sleep(RETRY_BASE_SECONDS * 2**attempt)
        raise AssertionError("unreachable")


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


def render_text(report: Report, period: Period) -> str:
    title = f"AgenticAI Cost Report - {period.month_start.strftime('%B %Y')}"
    lines = [
        title,
        "=" * len(title),
        f"Environment: {report.environment} (budget from {report.budget_source})",
        f"Current Spending: ${report.spent:.2f} / ${report.budget:.2f} ({report.percent_of_budget:.1f}%)",
        f"Days Remaining: {report.days_remaining}",
        "",
        "By Service:",
    ]
    width = max((len(s["service"]) for s in report.services), default=7)
    for item in report.services:
        amount = f"${item['amount']:.2f}"
        lines.append(f"  {item['service']:<{width}}  {amount:>9}  {item['percent']:>5.1f}%")
    if not report.services:
        lines.append("  (no costs recorded)")
    lines += [
        "",
        f"Daily Trend: {sparkline([d['amount'] for d in report.daily]) or '(no data)'}",
        "",
        f"Projected End-of-Month: ${report.projected:.2f}",
    ]
    if report.forecast is not None:
        lines.append(f"Cost Explorer forecast: ${report.forecast:.2f}")
    if report.over_budget:
        lines.append(
            f"Status: OVER BUDGET - projected ${report.projected:.2f} exceeds ${report.budget:.2f} "
            f"by ${report.projected - report.budget:.2f}"
        )
    else:
        lines.append(f"Status: OK - projected {report.projected / report.budget * 100:.1f}% of budget")
    return "\n".join(lines)


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="prod", help=f"environment, one of {', '.join(ENVIRONMENTS)} (default: prod)")
    parser.add_argument(
        "--budget", type=parse_budget, help="monthly budget in USD (default: the AWS Budget, else the config)"
    )
    parser.add_argument("--month", type=parse_month, help="month to report, YYYY-MM (default: this month)")
    parser.add_argument("--as-of", type=parse_date, help="report as of this date, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the text report")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, *, session=None, sleep: Callable[[float], None] = time.sleep) -> int:
    args = parse_args(argv)
    try:
        config = load(args.env)
    except (UnknownEnvironmentError, EnvironmentConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    as_of = args.as_of or dt.datetime.now(dt.UTC).date()
    month_start = args.month or as_of.replace(day=1)
    if month_start > as_of:
        print(f"error: --month: got {month_start:%Y-%m}; allowed: a month up to {as_of:%Y-%m}", file=sys.stderr)
        return 2
    period = Period(month_start=month_start, as_of=as_of)

    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    session = session or boto3.Session()
    # Our own backoff (below) retries throttling; botocore's must not multiply the billed requests.
    no_retries = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    try:
        if args.budget is not None:
            budget, source = args.budget, "--budget"
        else:
            budgets = session.client("budgets", region_name="us-east-1", config=no_retries)
            budget, source = budget_from_aws(budgets, config.account_id, config.name_prefix) or (
                config.monitoring.monthly_budget_usd,
                f"environments/{config.name}.py",
            )
        ce = CostExplorer(session.client("ce", region_name="us-east-1", config=no_retries), sleep=sleep)
        report = build_report(environment=config.name, period=period, budget=budget, budget_source=source, ce=ce)
    except ClientError as error:
        info = error.response.get("Error", {})
        print(f"error: Cost Explorer: {info.get('Code', 'Error')}: {info.get('Message', error)}", file=sys.stderr)
        return 2
    except (BotoCoreError, ReportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**asdict(report), "over_budget": report.over_budget}, indent=2))
    else:
        print(render_text(report, period))
    return 1 if report.over_budget else 0


if __name__ == "__main__":
    sys.exit(main())
