#!/usr/bin/env python3
"""Estimate what the hardening itself costs per month, from the synthesized Terraform JSON.

    make synth && python scripts/estimate_costs.py              # every environment
    python scripts/estimate_costs.py --env prod --requests-per-month 5000000

For each environment it reads ``<stacks-dir>/<env>/cdk.tf.json`` (and the
``bootstrap-<env>`` stack's, for the state key) and prices what it finds with
the one dated table in ``scripts/prices.py``: the WAF web ACL, its rules and the
requests it inspects, dashboards beyond the free ones, alarms (standard and
metric math, per metric), composite alarms, canary runs, Secrets Manager
secrets, KMS keys, and log ingestion and storage at assumed volumes.

The *fixed* part (everything but requests and logs) is paid even with no
traffic. The estimate fails (exit 1) when it exceeds ``--max-fixed-share`` of
the environment's monthly budget (``monitoring.monthly_budget_usd``). Exit 2 on
an error such as a missing synth (the exit codes of every script: scripts/cli.py).

Resources are named by their logical names, the construct path inside the stack (``api/execution-logs``,
``waf/web-acl``), which is what the Terraform address is made of: a synthesized name may be an unresolved
``${...}`` reference until apply. Every line of the text output is under 100 characters.

This script reads files only and makes no AWS call, so it has no account check; without ``--env`` it
estimates every environment (never one by default). ``--json`` prints the estimates as JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python scripts/estimate_costs.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from environments import ENVIRONMENTS, EnvironmentConfigError, UnknownEnvironmentError, load  # noqa: E402
from environments.config import Tier  # noqa: E402
from scripts.prices import (  # noqa: E402
    DAYS_PER_MONTH,
    DEFAULT_MAX_FIXED_SHARE,
    FREE_DASHBOARDS,
    PRICES,
    PRICES_AS_OF,
    REGION,
    Assumptions,
)

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours)\)")
_TOKEN = re.compile(r"^\$\{.*\}$")


@dataclass(frozen=True)
class Line:
    """One row of the estimate."""

    item: str
    quantity: float
    unit: str
    unit_usd: float
    fixed: bool
    #: For a function log group with INFO sampled: what it would ingest without sampling. Default: none.
    unsampled_quantity: float | None = None

    @property
    def monthly_usd(self) -> float:
        return self.quantity * self.unit_usd


@dataclass(frozen=True)
class Estimate:
    environment: str
    budget_usd: float
    max_fixed_share: float
    lines: tuple[Line, ...]
    gated: bool = True
    """False for the emulator tier, which is never billed."""

    @property
    def total_usd(self) -> float:
        return sum(line.monthly_usd for line in self.lines)

    @property
    def fixed_usd(self) -> float:
        return sum(line.monthly_usd for line in self.lines if line.fixed)

    @property
    def fixed_share(self) -> float:
        return self.fixed_usd / self.budget_usd

    @property
    def within_limit(self) -> bool:
        return not self.gated or self.fixed_share <= self.max_fixed_share


def canary_runs_per_month(schedule_expression: str) -> int:
    """Runs in a 30-day month for ``rate(N minutes|hours)``."""
    match = _RATE.fullmatch(schedule_expression.strip())
    if match is None:
        raise ValueError(f"canary schedule {schedule_expression!r}: only rate(N minutes|hours) is priced")
    minutes = int(match.group(1)) * (60 if match.group(2).startswith("hour") else 1)
    return DAYS_PER_MONTH * 24 * 60 // minutes


def canary_line(name: str, schedule_expression: str) -> Line:
    from environments.config.canary import cron_runs_per_month  # business-hours schedules

    is_cron = schedule_expression.strip().startswith("cron(")
    runs = cron_runs_per_month(schedule_expression) if is_cron else canary_runs_per_month(schedule_expression)
    price = PRICES["canary_run"]
    return Line(f"Canary {name} ({schedule_expression})", runs, "runs", price.usd, fixed=True)


def _resources(document: dict, type_: str) -> list[dict]:
    """The resources of one type, each with its logical name under the key ``"logical_name"``."""
    return [
        {**body, "logical_name": logical_name(key, body)}
        for key, body in document.get("resource", {}).get(type_, {}).items()
    ]


def logical_name(key: str, body: dict) -> str:
    """The construct path without the stack (``api/execution-logs``), else the Terraform resource key."""
    path = body.get("//", {}).get("metadata", {}).get("path") if isinstance(body.get("//"), dict) else None
    if isinstance(path, str) and "/" in path:
        return path.split("/", 1)[1]
    return key


def _literal(value, fallback: str) -> str:
    return fallback if not isinstance(value, str) or _TOKEN.match(value) else value


def _alarm_metrics(alarm: dict) -> tuple[int, bool]:
    """(metrics CloudWatch bills for this alarm, high resolution?). Metric math bills each metric queried."""
    queries = alarm.get("metric_query") or []
    if queries:
        metrics = [q for q in queries if q.get("metric")]
        periods = [
            int(q["metric"].get("period", 60)) for q in metrics if str(q["metric"].get("period", "60")).isdigit()
        ]
        return max(1, len(metrics)), any(p < 60 for p in periods)
    period = alarm.get("period", 60)
    return 1, isinstance(period, int) and period < 60


def _waf_rule_count(acl: dict) -> int:
    rules = acl.get("rule")
    if isinstance(rules, list):
        return len(rules)
    rule_json = acl.get("rule_json")
    if isinstance(rule_json, str) and not _TOKEN.match(rule_json):
        try:
            return len(json.loads(rule_json))
        except ValueError:
            return 0
    return 0


def estimate_lines(documents: Sequence[dict], assumptions: Assumptions) -> list[Line]:
    """Price every resource of the given stacks' JSON documents."""
    lines: list[Line] = []
    p = PRICES
    docs = list(documents)

    def each(type_: str):
        for document in docs:
            yield from _resources(document, type_)

    for acl in each("aws_wafv2_web_acl"):
        name = acl["logical_name"]
        lines.append(Line(f"WAF web ACL {name}", 1, "web ACL", p["waf_web_acl"].usd, fixed=True))
        rules = _waf_rule_count(acl)
        if rules:
            lines.append(Line(f"WAF rules in {name}", rules, "rules", p["waf_rule"].usd, fixed=True))
        lines.append(
            Line(
                f"WAF requests ({assumptions.requests_per_month:,}/month assumed)",
                assumptions.requests_per_month / 1_000_000,
                "million requests",
                p["waf_requests"].usd,
                fixed=False,
            )
        )

    dashboards = list(each("aws_cloudwatch_dashboard"))
    if dashboards:
        billable = max(0, len(dashboards) - FREE_DASHBOARDS)
        lines.append(
            Line(
                f"CloudWatch dashboards ({len(dashboards)}, first {FREE_DASHBOARDS} free)",
                billable,
                "dashboards",
                p["dashboard"].usd,
                fixed=True,
            )
        )

    standard = math = high_res = 0
    standard_alarms = math_alarms = 0
    for alarm in each("aws_cloudwatch_metric_alarm"):
        metrics, high = _alarm_metrics(alarm)
        if high:
            high_res += metrics
        elif alarm.get("metric_query"):
            math += metrics
            math_alarms += 1
        else:
            standard += metrics
            standard_alarms += 1
    if standard:
        lines.append(
            Line(f"Alarms, standard ({standard_alarms})", standard, "alarm metrics", p["alarm_metric"].usd, True)
        )
    if math:
        lines.append(
            Line(
                f"Alarms, metric math ({math_alarms}, billed per metric)",
                math,
                "alarm metrics",
                p["alarm_metric"].usd,
                True,
            )
        )
    if high_res:
        lines.append(
            Line("Alarms, high resolution", high_res, "alarm metrics", p["alarm_metric_high_resolution"].usd, True)
        )
    composites = list(each("aws_cloudwatch_composite_alarm"))
    if composites:
        lines.append(Line("Composite alarms", len(composites), "alarms", p["composite_alarm"].usd, fixed=True))

    for canary in each("aws_synthetics_canary"):
        expression = canary.get("schedule", {}).get("expression", "")
        line = canary_line(canary["logical_name"], expression)
        lines.append(line)
        # The canary reads its API key from Secrets Manager on every run.
        lines.append(
            Line(
                "Secrets Manager calls by the canary",
                line.quantity / 10_000,
                "10k calls",
                p["secret_api_calls"].usd,
                True,
            )
        )

    secrets = list(each("aws_secretsmanager_secret"))
    if secrets:
        lines.append(Line("Secrets Manager secrets", len(secrets), "secrets", p["secret"].usd, fixed=True))
    keys = list(each("aws_kms_key"))
    if keys:
        lines.append(Line("KMS customer-managed keys", len(keys), "keys", p["kms_key"].usd, fixed=True))

    waf_log_gb = (
        assumptions.requests_per_month * assumptions.waf_log_share * assumptions.waf_log_kb_per_request / 1_000_000
    )
    # Metric filters are free; their metrics are custom metrics, billed only in hours a line matched.
    filter_metrics = {
        (f["metric_transformation"]["namespace"], f["metric_transformation"]["name"])
        for f in each("aws_cloudwatch_log_metric_filter")
    }
    if filter_metrics:
        item = f"Metric-filter metrics ({len(filter_metrics)}, each Cause one more)"
        lines.append(Line(item, len(filter_metrics), "metrics", p["custom_metric"].usd, fixed=False))
    sample_rates = {
        fn["logical_name"].rsplit("/", 1)[0]: float(rate)
        for fn in each("aws_lambda_function")
        if (rate := ((fn.get("environment") or {}).get("variables") or {}).get("LOG_SAMPLE_RATE")) is not None
    }
    for group in each("aws_cloudwatch_log_group"):
        name = group["logical_name"]
        retention = group.get("retention_in_days") or 0
        is_waf_log = _literal(group.get("name"), "").startswith("aws-waf-logs-")
        ingest_gb = waf_log_gb if is_waf_log else assumptions.log_gb_per_group_per_month
        item = f"Log ingestion {name}"
        rate = sample_rates.get(name.rsplit("/", 1)[0])
        if rate is not None and rate < 1:
            # A function's log group with INFO sampled (functions/sampling.py): WARN+ always, INFO at `rate`.
            before = ingest_gb
            ingest_gb = before * (
                assumptions.warn_share_of_function_logs + (1 - assumptions.warn_share_of_function_logs) * rate
            )
            item = f"Log ingestion {name} (INFO {rate:.0%})"
            lines.append(Line(item, ingest_gb, "GB", p["log_ingestion"].usd, fixed=False, unsampled_quantity=before))
        else:
            lines.append(Line(item, ingest_gb, "GB", p["log_ingestion"].usd, fixed=False))
        if retention:
            stored = ingest_gb * retention / DAYS_PER_MONTH  # steady state: `retention` days of data kept
            lines.append(Line(f"Log storage {name} ({retention} d)", stored, "GB-month", p["log_storage"].usd, False))
    return lines


def load_documents(stacks_dir: Path, env: str) -> list[dict]:
    main_stack = stacks_dir / env / "cdk.tf.json"
    if not main_stack.is_file():
        raise FileNotFoundError(f"{main_stack} not found; run `make synth` first")
    documents = [json.loads(main_stack.read_text())]
    bootstrap = stacks_dir / f"bootstrap-{env}" / "cdk.tf.json"
    if bootstrap.is_file():
        documents.append(json.loads(bootstrap.read_text()))
    return documents


def render(estimate: Estimate, assumptions: Assumptions) -> str:
    width = max([len(line.item) for line in estimate.lines] + [30])
    header = (
        f"Cost estimate: {estimate.environment} (prices as of {PRICES_AS_OF}, {REGION}; "
        f"{assumptions.requests_per_month:,} requests/month assumed)"
    )
    rows = [header, f"{'Resource':<{width}}  {'Quantity':>9}  {'Unit USD':>8}  {'Monthly':>8}  Kind"]
    rows.append("-" * len(rows[-1]))
    for line in estimate.lines:
        quantity = f"{line.quantity:,.0f}" if float(line.quantity).is_integer() else f"{line.quantity:,.3f}"
        rows.append(
            f"{line.item:<{width}}  {quantity:>9}  {'$' + format(line.unit_usd, 'g'):>8}  "
            f"{'$' + format(line.monthly_usd, '.2f'):>8}  {'fixed' if line.fixed else 'usage'}"
        )
    rows.append("-" * len(rows[1]))
    rows.append(f"{'Total':<{width}}  {'':>9}  {'':>8}  {'$' + format(estimate.total_usd, '.2f'):>8}")
    verdict = "OK" if estimate.within_limit else "OVER LIMIT"
    if not estimate.gated:
        verdict = "not gated (emulator tier)"
    rows.append(
        f"Fixed part: ${estimate.fixed_usd:.2f} = {estimate.fixed_share * 100:.1f}% of the "
        f"${estimate.budget_usd:.2f} budget (limit {estimate.max_fixed_share * 100:.0f}%): {verdict}"
    )
    sampled = [line for line in estimate.lines if line.unsampled_quantity is not None]
    if sampled:
        after = sum(line.quantity for line in sampled)
        before = sum(line.unsampled_quantity or 0 for line in sampled)
        unit = sampled[0].unit_usd
        rows.append(
            f"Function log ingestion with INFO sampled: {after:.2f} GB (${after * unit:.2f}); "
            f"before sampling: {before:.2f} GB (${before * unit:.2f})."
        )
    return "\n".join(rows)


def five_minute_canary_note() -> str:
    line = canary_line("alone", "rate(5 minutes)")
    return (
        f"For scale: a 5-minute canary alone is {line.quantity:,.0f} runs x ${line.unit_usd} = "
        f"${line.monthly_usd:.2f}/month (every 15 min: "
        f"${canary_line('alone', 'rate(15 minutes)').monthly_usd:.2f})."
    )


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise argparse.ArgumentTypeError(f"got {value!r}; allowed: a fraction > 0 and <= 1, e.g. 0.8")
    return share


def _positive_int(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"got {value!r}; allowed: a whole number >= 0")
    return int(value)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Exit status: 0 ok, 1 over the limit, 2 usage or no synth."
    )
    parser.add_argument(
        "--env", action="append", dest="envs", metavar="NAME", help="environment (repeatable; default: every one)"
    )
    parser.add_argument("--json", action="store_true", help="print the estimates as JSON")
    parser.add_argument("--stacks-dir", type=Path, default=Path("cdktf.out/stacks"), help="synth output")
    parser.add_argument("--requests-per-month", type=_positive_int, default=Assumptions.requests_per_month)
    parser.add_argument(
        "--max-fixed-share",
        type=_share,
        default=DEFAULT_MAX_FIXED_SHARE,
        help=f"fail when the fixed part exceeds this share of the budget (default {DEFAULT_MAX_FIXED_SHARE})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    assumptions = Assumptions(requests_per_month=args.requests_per_month)
    status = 0
    reports: list[str] = []
    documents_json: list[dict] = []
    for env in dict.fromkeys(args.envs or ENVIRONMENTS):
        try:
            config = load(env)
            documents = load_documents(args.stacks_dir, env)
            estimate = Estimate(
                environment=env,
                budget_usd=config.monitoring.monthly_budget_usd,
                max_fixed_share=args.max_fixed_share,
                lines=tuple(estimate_lines(documents, assumptions)),
                gated=config.tier is not Tier.EMULATOR,
            )
        except (UnknownEnvironmentError, EnvironmentConfigError, FileNotFoundError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if args.json:
            documents_json.append(estimate_json(estimate))
        else:
            reports.append(render(estimate, assumptions))
        if not estimate.within_limit:
            status = 1
    if args.json:
        print(json.dumps({"prices_as_of": PRICES_AS_OF, "region": REGION, "estimates": documents_json}, indent=2))
        return status
    print("\n\n".join(reports))
    print()
    print(five_minute_canary_note())
    return status


def estimate_json(estimate: Estimate) -> dict:
    return {
        "environment": estimate.environment,
        "budget_usd": estimate.budget_usd,
        "total_usd": round(estimate.total_usd, 2),
        "fixed_usd": round(estimate.fixed_usd, 2),
        "fixed_share": round(estimate.fixed_share, 4),
        "max_fixed_share": estimate.max_fixed_share,
        "within_limit": estimate.within_limit,
        "gated": estimate.gated,
        "lines": [
            {
                "item": line.item,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_usd": line.unit_usd,
                "monthly_usd": round(line.monthly_usd, 4),
                "fixed": line.fixed,
            }
            for line in estimate.lines
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
