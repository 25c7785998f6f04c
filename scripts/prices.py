"""The one price table used by ``scripts/estimate_costs.py`` (``make cost``).

On-demand list prices in USD for us-east-1 (us-west-2 is the same for every
line here), without the free tier unless a line says so. Check them against
https://aws.amazon.com/pricing/ when ``PRICES_AS_OF`` is more than a few months
old, then update the date together with the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

PRICES_AS_OF = "2026-11-01"
REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    """One line of the price list: ``usd`` per ``unit``."""

    usd: float
    unit: str
    source: str


PRICES = MappingProxyType(
    {
        "waf_web_acl": Price(5.00, "web ACL per month", "aws.amazon.com/waf/pricing"),
        "waf_rule": Price(1.00, "rule or managed rule group per month", "aws.amazon.com/waf/pricing"),
        "waf_requests": Price(0.60, "million requests inspected", "aws.amazon.com/waf/pricing"),
        "dashboard": Price(3.00, "dashboard per month, after the first 3 free", "aws.amazon.com/cloudwatch/pricing"),
        "alarm_metric": Price(0.10, "standard-resolution alarm metric per month", "aws.amazon.com/cloudwatch/pricing"),
        "alarm_metric_high_resolution": Price(
            0.30, "high-resolution (<60 s) alarm metric per month", "aws.amazon.com/cloudwatch/pricing"
        ),
        "composite_alarm": Price(0.50, "composite alarm per month", "aws.amazon.com/cloudwatch/pricing"),
        "canary_run": Price(0.0012, "Synthetics canary run", "aws.amazon.com/cloudwatch/pricing"),
        "secret": Price(0.40, "secret per month", "aws.amazon.com/secrets-manager/pricing"),
        "secret_api_calls": Price(0.05, "10,000 API calls", "aws.amazon.com/secrets-manager/pricing"),
        "kms_key": Price(1.00, "customer-managed key per month", "aws.amazon.com/kms/pricing"),
        "custom_metric": Price(0.30, "custom metric per month (prorated hourly)", "aws.amazon.com/cloudwatch/pricing"),
        "log_ingestion": Price(0.50, "GB ingested into CloudWatch Logs", "aws.amazon.com/cloudwatch/pricing"),
        "log_storage": Price(0.03, "GB-month stored in CloudWatch Logs", "aws.amazon.com/cloudwatch/pricing"),
    }
)

#: Dashboards CloudWatch does not charge for, per account (each environment has its own account).
FREE_DASHBOARDS = 3
#: Days in the month the estimate uses (canary runs, and log storage at steady state).
DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class Assumptions:
    """Usage the estimate assumes, since the JSON cannot say how busy the API will be.

    requests_per_month: API requests that the web ACL inspects. Default: 1 million
        (about 0.4 requests per second on average).
    log_gb_per_group_per_month: what each log group ingests. Default: 0.5 GB.
    waf_log_share: the fraction of requests WAF logs (BLOCK/COUNT only when the
        logging filter is on). Default: 0.1.
    waf_log_kb_per_request: size of one WAF log record. Default: 1.5 KB.
    warn_share_of_function_logs: the share of a function's log bytes at WARNING and above (plus
        Lambda's platform records), which INFO sampling (``LOG_SAMPLE_RATE``) never drops. Default: 0.2.
    """

    requests_per_month: int = 1_000_000
    log_gb_per_group_per_month: float = 0.5
    waf_log_share: float = 0.1
    waf_log_kb_per_request: float = 1.5
    warn_share_of_function_logs: float = 0.2


#: The share of an environment's monthly budget the fixed part may take; `make cost` fails above it.
#: 80 % matches the billing alarm threshold ($40 of $50): fixed costs alone must not trip it.
DEFAULT_MAX_FIXED_SHARE = 0.8
