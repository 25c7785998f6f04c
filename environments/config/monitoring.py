"""Monitoring and alerting configuration: thresholds, SLO targets, alert routing, budgets.

Every threshold that differs between environments lives here; ``modules/monitoring/alarms.py``
turns these values into typed alarm specs and ``modules/monitoring/alarm_factory.py`` turns the
specs into CloudWatch alarms.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from environments.config.base import (
    ConfigError,
    require_email,
    require_enum,
    require_int,
    require_number,
    require_pattern,
    require_tuple,
)

#: CloudWatch accepts alarm periods of 10, 30, 60 s or any multiple of 60 s; a period times its
#: evaluation periods may not exceed one day.
MAX_ALARM_WINDOW_SECONDS = 86_400


class Severity(enum.Enum):
    """The seed's AlertSeverity. Each severity has its own SNS topic; ``rank`` orders them."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True)
class AlarmThresholds:
    """Per-environment alarm thresholds. Each default is the seed's value or an operational default.

    lambda_error_rate_percent: Lambda Errors / Invocations (metric math) over 5 minutes. Default: 5 %, the seed.
    api_5xx_count: API Gateway 5XXError sum in 5 minutes. Default: 10, the seed.
    lambda_duration_ms: Lambda Duration p99 over 5 minutes. Default: 10,000 ms, the seed.
    billing_percent_of_budget: the EstimatedCharges alarm fires at this share of
        ``monthly_budget_usd``. Default: 80 % ($40 of the seed's $50 budget).
    api_4xx_rate_percent: API Gateway 4XXError / Count over 5 minutes. Default: 10 %.
    api_latency_p95_ms: API Gateway Latency p95 over 5 minutes. Default: 1,000 ms, the seed's success metric.
    lambda_throttles_count: Lambda Throttles sum in 5 minutes above which to alarm. Default: 0 (any throttle).
    dynamodb_throttled_requests_count: read + write throttle events in 5 minutes. Default: 0 (any throttle).
    sqs_oldest_message_age_seconds: ApproximateAgeOfOldestMessage of a work queue. Default: 300 s.
    dlq_depth_count: visible messages in a dead-letter queue above which to alarm. Default: 0 (any message).
    authorizer_errors_count: authorizer Lambda Errors in 5 minutes. Default: 0 (any error locks callers out).
    waf_blocked_requests_count: WAF BlockedRequests in 5 minutes (a spike). Default: 100.
    """

    lambda_error_rate_percent: float = 5.0
    api_5xx_count: float = 10.0
    lambda_duration_ms: float = 10_000.0
    billing_percent_of_budget: float = 80.0
    api_4xx_rate_percent: float = 10.0
    api_latency_p95_ms: float = 1_000.0
    lambda_throttles_count: float = 0.0
    dynamodb_throttled_requests_count: float = 0.0
    sqs_oldest_message_age_seconds: float = 300.0
    dlq_depth_count: float = 0.0
    authorizer_errors_count: float = 0.0
    waf_blocked_requests_count: float = 100.0

    def __post_init__(self) -> None:
        for name in (
            "lambda_error_rate_percent",
            "api_4xx_rate_percent",
        ):
            require_number(f"monitoring.thresholds.{name}", getattr(self, name), minimum=0, maximum=100)
        require_number(
            "monitoring.thresholds.billing_percent_of_budget",
            self.billing_percent_of_budget,
            minimum=0,
            exclusive_minimum=True,
            maximum=1000,
        )
        for name in (
            "api_5xx_count",
            "lambda_duration_ms",
            "api_latency_p95_ms",
            "lambda_throttles_count",
            "dynamodb_throttled_requests_count",
            "sqs_oldest_message_age_seconds",
            "dlq_depth_count",
            "authorizer_errors_count",
            "waf_blocked_requests_count",
        ):
            require_number(f"monitoring.thresholds.{name}", getattr(self, name), minimum=0)


@dataclass(frozen=True)
class BurnRateWindow:
    """One multi-window burn-rate alert: both windows must burn faster than ``burn_rate``.

    name: short id used in alarm names (``fast``, ``slow``).
    long_window_seconds: the window that proves enough budget was spent.
    short_window_seconds: the window that proves it is still being spent (fast reset).
    burn_rate: multiple of the sustainable error-budget spend rate.
    severity: the topic the combined alert goes to.
    """

    name: str
    long_window_seconds: int
    short_window_seconds: int
    burn_rate: float
    severity: Severity

    def __post_init__(self) -> None:
        field_ = f"monitoring.slo.windows[{self.name!r}]"
        require_pattern(f"{field_}.name", self.name, r"[a-z][a-z0-9-]{0,15}", "1-16 lowercase letters or digits")
        for attr in ("long_window_seconds", "short_window_seconds"):
            value = getattr(self, attr)
            require_int(f"{field_}.{attr}", value, minimum=60, maximum=MAX_ALARM_WINDOW_SECONDS)
            if value % 60:
                raise ConfigError(f"{field_}.{attr}", value, "a multiple of 60 seconds (a CloudWatch alarm period)")
        if self.short_window_seconds >= self.long_window_seconds:
            raise ConfigError(
                f"{field_}.short_window_seconds",
                self.short_window_seconds,
                f"less than long_window_seconds ({self.long_window_seconds})",
            )
        require_number(f"{field_}.burn_rate", self.burn_rate, minimum=0, exclusive_minimum=True, maximum=1000)
        require_enum(f"{field_}.severity", self.severity, Severity)


#: Google SRE workbook defaults: 2 % of a 30-day budget in 1 h pages; 5 % in 6 h files a ticket.
DEFAULT_BURN_RATE_WINDOWS: tuple[BurnRateWindow, ...] = (
    BurnRateWindow(
        "fast", long_window_seconds=3600, short_window_seconds=300, burn_rate=14.4, severity=Severity.CRITICAL
    ),
    BurnRateWindow(
        "slow", long_window_seconds=21600, short_window_seconds=1800, burn_rate=6.0, severity=Severity.WARNING
    ),
)


@dataclass(frozen=True)
class SloConfig:
    """Service-level objectives (the seed's success metrics) and their burn-rate alerts.

    availability_target_percent: share of API requests that must not be 5XX. Default: 99.9 %.
    latency_threshold_ms: the latency objective's limit. Default: 1,000 ms (p95 < 1 s).
    latency_target_percent: share of requests that must be faster than the limit. Default: 95 %
        (that is, p95 < 1 s expressed as an SLO with an error budget of 5 %).
    error_rate_target_percent: share of Lambda invocations that must succeed. Default: 99.9 %
        (the seed's "error rate < 0.1 %").
    windows: the burn-rate alerts. Default: fast (1 h and 5 min at 14.4x, critical) and
        slow (6 h and 30 min at 6x, warning).
    """

    availability_target_percent: float = 99.9
    latency_threshold_ms: float = 1_000.0
    latency_target_percent: float = 95.0
    error_rate_target_percent: float = 99.9
    windows: tuple[BurnRateWindow, ...] = DEFAULT_BURN_RATE_WINDOWS

    def __post_init__(self) -> None:
        for name in ("availability_target_percent", "latency_target_percent", "error_rate_target_percent"):
            require_number(f"monitoring.slo.{name}", getattr(self, name), minimum=50, maximum=100)
            if getattr(self, name) >= 100:
                raise ConfigError(f"monitoring.slo.{name}", getattr(self, name), "a target below 100 (no error budget)")
        require_number("monitoring.slo.latency_threshold_ms", self.latency_threshold_ms, minimum=1)
        require_tuple("monitoring.slo.windows", self.windows)
        names = [w.name for w in self.windows]
        if len(set(names)) != len(names):
            raise ConfigError("monitoring.slo.windows", tuple(names), "windows with distinct names")
        for window in self.windows:
            if not isinstance(window, BurnRateWindow):
                raise ConfigError("monitoring.slo.windows", window, "BurnRateWindow values")
            for name in ("availability_target_percent", "latency_target_percent", "error_rate_target_percent"):
                budget = 1 - getattr(self, name) / 100
                if window.burn_rate * budget >= 1:
                    raise ConfigError(
                        f"monitoring.slo.windows[{window.name!r}].burn_rate",
                        window.burn_rate,
                        f"less than {1 / budget:g}, or the {name} alarm could never fire",
                    )


@dataclass(frozen=True)
class MonitoringConfig:
    """Alarms, alert recipients, the dashboard and the monthly budget.

    alert_emails: SNS email subscribers for every severity from ``email_min_severity`` up.
        Default: none (a production tier requires one).
    page_emails: extra subscribers of the critical topic only (a pager's email gateway). Default: none.
    email_min_severity: the lowest severity mailed to ``alert_emails``. Default: WARNING (info alerts
        stay on their topic for chat or ticket integrations).
    monthly_budget_usd: the AWS Budgets monthly cost budget. Default: $50, the seed's figure.
    thresholds: alarm thresholds. Default: the seed's values (see AlarmThresholds).
    slo: SLO targets and burn-rate windows. Default: 99.9 % availability, p95 < 1 s, 99.9 % success.
    actions_enabled: alarms notify their topics. Default: on (off silences every alarm, e.g. in a drill).
    runbook_url: the published docs/RUNBOOK.md; each alarm description links to its section.
        Default: the repository's copy on GitHub.
    composite_alarms_enabled: combine SLO windows with composite alarms (long AND short). Default: on.
        Off (the emulator): each window stays a metric alarm and the long window notifies alone.
    budget_enabled: create the AWS Budgets cost budget. Default: on.
    anomaly_monitor_enabled: create a Cost Explorer anomaly monitor and subscription. Default: on.
    anomaly_threshold_usd: total anomaly impact in USD that triggers an alert. Default: $10.
    """

    alert_emails: tuple[str, ...] = ()
    monthly_budget_usd: float = 50.0
    page_emails: tuple[str, ...] = ()
    email_min_severity: Severity = Severity.WARNING
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    slo: SloConfig = field(default_factory=SloConfig)
    actions_enabled: bool = True
    runbook_url: str = "https://github.com/agenticai/agenticai-hardening/blob/main/docs/RUNBOOK.md"
    composite_alarms_enabled: bool = True
    budget_enabled: bool = True
    anomaly_monitor_enabled: bool = True
    anomaly_threshold_usd: float = 10.0

    def __post_init__(self) -> None:
        for name in ("alert_emails", "page_emails"):
            require_tuple(f"monitoring.{name}", getattr(self, name))
            for email in getattr(self, name):
                require_email(f"monitoring.{name}", email)
        require_number(
            "monitoring.monthly_budget_usd",
            self.monthly_budget_usd,
            minimum=0,
            exclusive_minimum=True,
            maximum=1_000_000,
        )
        require_enum("monitoring.email_min_severity", self.email_min_severity, Severity)
        if not isinstance(self.thresholds, AlarmThresholds):
            raise ConfigError("monitoring.thresholds", self.thresholds, "an AlarmThresholds")
        if not isinstance(self.slo, SloConfig):
            raise ConfigError("monitoring.slo", self.slo, "an SloConfig")
        for name in ("actions_enabled", "composite_alarms_enabled", "budget_enabled", "anomaly_monitor_enabled"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"monitoring.{name}", getattr(self, name), "True or False")
        require_pattern("monitoring.runbook_url", self.runbook_url, r"https://[^\s#]+", "an https:// URL without '#'")
        require_number(
            "monitoring.anomaly_threshold_usd", self.anomaly_threshold_usd, minimum=0, exclusive_minimum=True
        )

    @property
    def billing_threshold_usd(self) -> float:
        """The EstimatedCharges alarm threshold: ``billing_percent_of_budget`` of the monthly budget."""
        return round(self.monthly_budget_usd * self.thresholds.billing_percent_of_budget / 100, 2)

    def emails_for(self, severity: Severity) -> tuple[str, ...]:
        """The addresses subscribed to ``severity``'s topic, in config order, without duplicates."""
        emails = list(self.alert_emails) if severity.rank >= self.email_min_severity.rank else []
        if severity is Severity.CRITICAL:
            emails += self.page_emails
        return tuple(dict.fromkeys(emails))
