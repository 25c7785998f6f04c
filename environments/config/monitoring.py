"""Monitoring and alerting configuration: thresholds, SLO targets, alert routing, budgets."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import Field, model_validator

from environments.config.base import ConfigError, ConfigModel, Email, InstanceOf, Pattern, Severity, unique
from environments.config.extensions import ExtraAlarm, ExtraWidget

#: CloudWatch accepts alarm periods of 10, 30, 60 s or any multiple of 60 s; a period times its
#: evaluation periods may not exceed one day.
MAX_ALARM_WINDOW_SECONDS = 86_400
_REPOSITORY = "https://github.com/agenticai/agenticai-hardening"


class AlarmThresholds(ConfigModel):
    """Per-environment alarm thresholds. Each default is the seed's value or an operational default."""

    config_path = "monitoring.thresholds"
    lambda_error_rate_percent: float = Field(5.0, ge=0, le=100)
    """Lambda Errors / Invocations (metric math) over 5 minutes. Default: 5 %, the seed."""
    api_5xx_count: float = Field(10.0, ge=0)
    """API Gateway 5XXError sum in 5 minutes. Default: 10, the seed."""
    lambda_duration_ms: float = Field(10_000.0, ge=0)
    """Lambda Duration p99 over 5 minutes. Default: 10,000 ms, the seed."""
    billing_percent_of_budget: float = Field(80.0, gt=0, le=1000)
    """The EstimatedCharges alarm fires at this share of ``monthly_budget_usd``. Default: 80 % ($40 of the
    seed's $50 budget)."""
    api_4xx_rate_percent: float = Field(10.0, ge=0, le=100)
    """API Gateway 4XXError / Count over 5 minutes. Default: 10 %."""
    api_latency_p95_ms: float = Field(1_000.0, ge=0)
    """API Gateway Latency p95 over 5 minutes. Default: 1,000 ms, the seed's success metric."""
    lambda_throttles_count: float = Field(0.0, ge=0)
    """Lambda Throttles sum in 5 minutes above which to alarm. Default: 0 (any throttle)."""
    dynamodb_throttled_requests_count: float = Field(0.0, ge=0)
    """Read + write throttle events in 5 minutes. Default: 0 (any throttle)."""
    sqs_oldest_message_age_seconds: float = Field(300.0, ge=0)
    """ApproximateAgeOfOldestMessage of a work queue. Default: 300 s."""
    dlq_depth_count: float = Field(0.0, ge=0)
    """Visible messages in a dead-letter queue above which to alarm. Default: 0 (any message)."""
    authorizer_fail_closed_count: float = Field(0.0, ge=0)
    """Authorizer ``fail_closed`` decisions in 5 minutes (from its decision log; 401s and denies never count).
    Default: 0 (any fail-closed decision locked a caller out)."""
    waf_blocked_requests_count: float = Field(100.0, ge=0)
    """WAF BlockedRequests in 5 minutes (a spike). Default: 100."""


class ApplicationLogLevel(enum.Enum):
    """Lambda's ``application_log_level`` values (JSON log format only).
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html"""

    TRACE = "TRACE"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"
    FATAL = "FATAL"


class SystemLogLevel(enum.Enum):
    """Lambda's ``system_log_level`` values (the runtime's own START/END/REPORT records)."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"


class FunctionLoggingConfig(ConfigModel):
    """How every Lambda function logs: JSON through Lambda's logging configuration, and INFO sampling."""

    config_path = "monitoring.function_logging"
    application_log_level: ApplicationLogLevel = ApplicationLogLevel.INFO
    """The lowest level of the functions' own log lines that Lambda keeps. Default: INFO."""
    system_log_level: SystemLogLevel = SystemLogLevel.INFO
    """The lowest level of Lambda's platform records kept (REPORT lines are INFO). Default: INFO (keeps the
    REPORT lines the duration runbook queries)."""
    json_logging_config_enabled: bool = True
    """Set Lambda's ``logging_config`` (JSON format and the levels) on every function. Default: on. Off (the
    emulator): moto does not store a function's LoggingConfig, so every plan would show a change; the functions
    then log text and ``LOG_SAMPLE_RATE`` still applies."""
    info_sample_rate: float = Field(1.0, ge=0, le=1)
    """Share of invocations that log at INFO (``LOG_SAMPLE_RATE``, read by ``functions/sampling.py``); the
    rest log WARNING and above only. Default: 1.0 (every invocation)."""


class BurnRateWindow(ConfigModel):
    """One multi-window burn-rate alert: both windows must burn faster than ``burn_rate``."""

    config_path = "monitoring.slo.windows"
    key_field = "name"
    name: Annotated[str, Pattern(r"[a-z][a-z0-9-]{0,15}", "1-16 lowercase letters or digits")]
    """Short id used in alarm names (``fast``, ``slow``)."""
    long_window_seconds: int = Field(ge=60, le=MAX_ALARM_WINDOW_SECONDS)
    """The window that proves enough budget was spent (whole minutes: a CloudWatch alarm period)."""
    short_window_seconds: int = Field(ge=60, le=MAX_ALARM_WINDOW_SECONDS)
    """The window that proves it is still being spent (fast reset); shorter than the long window."""
    burn_rate: float = Field(gt=0, le=1000)
    """Multiple of the sustainable error-budget spend rate."""
    severity: Severity
    """The topic the combined alert goes to."""

    def __init__(self, *args: Any, **data: Any) -> None:  # declared here so type checkers accept positional fields
        super().__init__(*args, **data)

    @model_validator(mode="after")
    def _windows_fit(self) -> BurnRateWindow:
        for name in ("long_window_seconds", "short_window_seconds"):
            if getattr(self, name) % 60:
                raise ConfigError(name, getattr(self, name), "a multiple of 60 seconds (a CloudWatch alarm period)")
        if self.short_window_seconds >= self.long_window_seconds:
            allowed = f"less than long_window_seconds ({self.long_window_seconds})"
            raise ConfigError("short_window_seconds", self.short_window_seconds, allowed)
        return self


#: Google SRE workbook defaults: 2 % of a 30-day budget in 1 h pages; 5 % in 6 h files a ticket.
DEFAULT_BURN_RATE_WINDOWS = (
    BurnRateWindow("fast", 3600, 300, 14.4, Severity.CRITICAL),  # 1 h and 5 min at 14.4x
    BurnRateWindow("slow", 21600, 1800, 6.0, Severity.WARNING),  # 6 h and 30 min at 6x
)


class SloConfig(ConfigModel):
    """Service-level objectives (the seed's success metrics) and their burn-rate alerts."""

    config_path = "monitoring.slo"
    availability_target_percent: float = Field(99.9, ge=50, lt=100)
    """Share of API requests that must not be 5XX. Default: 99.9 %."""
    latency_threshold_ms: float = Field(1_000.0, ge=1)
    """The latency objective's limit. Default: 1,000 ms (p95 < 1 s)."""
    latency_target_percent: float = Field(95.0, ge=50, lt=100)
    """Share of requests faster than the limit. Default: 95 % (p95 < 1 s as an SLO with a 5 % error budget)."""
    error_rate_target_percent: float | None = Field(None, ge=50, lt=100)
    """Share of the handlers' Lambda invocations that must succeed, as a third burn-rate objective.
    Default: none. The availability objective already holds the seed's "error rate < 0.1 %" as clients see it
    (a failed handler is a 5XX), and the per-function error-rate alarm and the DLQ alarm cover the worker;
    this objective would add 4 metric-math alarms of up to 10 metrics each (about $2.40 a month)."""
    windows: tuple[InstanceOf[BurnRateWindow], ...] = DEFAULT_BURN_RATE_WINDOWS
    """The burn-rate alerts. Default: fast (1 h/5 min at 14.4x, critical) and slow (6 h/30 min at 6x, warning)."""

    @model_validator(mode="after")
    def _windows_can_fire(self) -> SloConfig:
        unique("windows", (w.name for w in self.windows), "windows with distinct names")
        for window in self.windows:
            for name in ("availability_target_percent", "latency_target_percent", "error_rate_target_percent"):
                if getattr(self, name) is None:
                    continue
                budget = 1 - getattr(self, name) / 100
                if window.burn_rate * budget >= 1:
                    allowed = f"less than {1 / budget:g}, or the {name} alarm could never fire"
                    raise ConfigError(f"windows[{window.name!r}].burn_rate", window.burn_rate, allowed)
        return self


class MonitoringConfig(ConfigModel):
    """Alarms, alert recipients, the dashboard and the monthly budget."""

    config_path = "monitoring"
    alert_emails: tuple[Email, ...] = ()
    """Subscribers of every severity from ``email_min_severity`` up. Default: none (a production tier needs one)."""
    monthly_budget_usd: float = Field(50.0, gt=0, le=1_000_000)
    """The AWS Budgets monthly cost budget. Default: $50, the seed's figure."""
    page_emails: tuple[Email, ...] = ()
    """Extra subscribers of the critical topic only (a pager's email gateway). Default: none."""
    page_endpoint_parameters: tuple[
        Annotated[str, Pattern(r"/[A-Za-z0-9_.\-/]{1,1010}", "an SSM parameter name starting with '/'")], ...
    ] = ()
    """SSM parameters (SecureString), each holding an incident tool's HTTPS SNS integration URL (PagerDuty,
    Opsgenie...), subscribed to the critical alerts topic. The URL carries the tool's integration key, which
    lets anyone raise incidents, so it stays out of git and synthesized JSON: Terraform reads it at apply
    and checks that it is an ``https://`` URL (docs/PAGING.md). Default: none (email only)."""
    acknowledgement_target_minutes: int = Field(15, ge=1, le=240)
    """How soon on-call acknowledges a critical page; the runbook states it. Default: 15 (the seed's target)."""
    email_min_severity: Severity = Severity.WARNING
    """The lowest severity mailed to ``alert_emails``. Default: WARNING (info stays on its topic, for chat/tickets)."""
    thresholds: InstanceOf[AlarmThresholds] = AlarmThresholds()
    """Alarm thresholds. Default: the seed's values (see AlarmThresholds)."""
    slo: InstanceOf[SloConfig] = SloConfig()
    """SLO targets and burn-rate windows. Default: 99.9 % availability, p95 < 1 s, 99.9 % success."""
    actions_enabled: bool = True
    """Alarms notify their topics. Default: on (off silences every alarm, e.g. in a drill)."""
    runbook_url: Annotated[str, Pattern(r"https://[^\s#]+", "an https:// URL without '#'")] = (
        f"{_REPOSITORY}/blob/main/docs/RUNBOOK.md"
    )
    """The published docs/RUNBOOK.md; each alarm description links to its section. Default: the copy on GitHub."""
    composite_alarms_enabled: bool = True
    """Combine SLO windows with composite alarms (long AND short). Default: on. Off (the emulator): the long
    window's metric alarm notifies alone."""
    budget_enabled: bool = True
    """Create the AWS Budgets cost budget. Default: on."""
    anomaly_monitor_enabled: bool = True
    """Create a Cost Explorer anomaly monitor and subscription. Default: on."""
    anomaly_threshold_usd: float = Field(10.0, gt=0)
    """Total anomaly impact in USD that triggers an alert. Default: $10."""
    extra_alarms: tuple[InstanceOf[ExtraAlarm], ...] = ()
    """Alarms on any metric, beside the built-in ones; they reach the dashboard and runbook alike. Default: none."""
    extra_widgets: tuple[InstanceOf[ExtraWidget], ...] = ()
    """Extra dashboard graphs, after the built-in widgets. Default: none."""
    function_logging: InstanceOf[FunctionLoggingConfig] = FunctionLoggingConfig()
    """Lambda log format, levels and INFO sampling of every function. Default: JSON, INFO, every invocation."""

    @model_validator(mode="after")
    def _unique_extra_alarm_keys(self) -> MonitoringConfig:
        unique("extra_alarms", (alarm.key for alarm in self.extra_alarms), "each key at most once")
        unique("page_endpoint_parameters", self.page_endpoint_parameters, "each parameter at most once")
        return self

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
