"""MonitoringConfig validation: one test per rule, each asserting the message."""

from __future__ import annotations

import pytest  # noqa: F401

from environments.config.extensions import ExtraAlarm, ExtraWidget, MetricQuery
from environments.config.monitoring import (
    AlarmThresholds,
    BurnRateWindow,
    MonitoringConfig,
    Severity,
    SloConfig,
)
from tests.support.rejects import rejects


def test_defaults_are_the_seed_values() -> None:
    config = MonitoringConfig()
    t = config.thresholds
    assert (t.lambda_error_rate_percent, t.api_5xx_count, t.lambda_duration_ms) == (5, 10, 10_000)
    assert config.monthly_budget_usd == 50
    assert config.billing_threshold_usd == 40
    assert (config.slo.availability_target_percent, config.slo.latency_threshold_ms) == (99.9, 1000)
    assert [w.name for w in config.slo.windows] == ["fast", "slow"]
    assert config.composite_alarms_enabled
    assert config.budget_enabled
    assert config.anomaly_monitor_enabled


def test_rejects_bad_email() -> None:
    error = rejects(
        r"^monitoring.alert_emails\[0\]: got 'ops-at-example'; allowed: an email address like ops@example.com$",
        lambda: MonitoringConfig(alert_emails=("ops-at-example",)),
    )
    assert error.field == "monitoring.alert_emails[0]"


def test_rejects_bad_page_email() -> None:
    rejects(
        r"^monitoring.page_emails\[0\]: got 'pager@'; allowed: an email",
        lambda: MonitoringConfig(page_emails=("pager@",)),
    )


def test_rejects_alert_emails_as_a_list() -> None:
    rejects(
        r"^monitoring.alert_emails: got \[.*\]; allowed: a tuple", lambda: MonitoringConfig(alert_emails=["a@b.co"])
    )


def test_rejects_non_positive_budget() -> None:
    rejects(
        r"^monitoring.monthly_budget_usd: got -5; allowed: a number > 0",
        lambda: MonitoringConfig(monthly_budget_usd=-5),
    )


def test_rejects_negative_threshold() -> None:
    rejects(
        r"^monitoring.thresholds.api_5xx_count: got -1; allowed: a number >= 0$",
        lambda: AlarmThresholds(api_5xx_count=-1),
    )


def test_rejects_error_rate_above_100_percent() -> None:
    rejects(
        r"^monitoring.thresholds.lambda_error_rate_percent: got 150; allowed: a number >= 0 and <= 100$",
        lambda: AlarmThresholds(lambda_error_rate_percent=150),
    )


def test_rejects_severity_as_a_string() -> None:
    rejects(
        r"^monitoring.email_min_severity: got 'warning'; allowed: one of Severity.INFO, Severity.WARNING, "
        r"Severity.CRITICAL$",
        lambda: MonitoringConfig(email_min_severity="warning"),
    )


def test_rejects_switch_that_is_not_a_bool() -> None:
    rejects(
        r"^monitoring.composite_alarms_enabled: got 'no'; allowed: True or False$",
        lambda: MonitoringConfig(composite_alarms_enabled="no"),
    )


def test_rejects_runbook_url_that_is_not_https() -> None:
    rejects(r"^monitoring.runbook_url: got 'docs/RUNBOOK.md'", lambda: MonitoringConfig(runbook_url="docs/RUNBOOK.md"))


def test_rejects_thresholds_of_the_wrong_type() -> None:
    rejects(r"^monitoring.thresholds: got \{\}; allowed: an AlarmThresholds$", lambda: MonitoringConfig(thresholds={}))


def test_rejects_duplicate_window_names() -> None:
    window = BurnRateWindow("fast", 3600, 300, 14.4, Severity.CRITICAL)
    rejects(
        r"^monitoring.slo.windows: got \('fast', 'fast'\); allowed: windows with distinct names$",
        lambda: SloConfig(windows=(window, window)),
    )


def test_rejects_window_longer_than_a_day() -> None:
    rejects(
        r"long_window_seconds: got 90000; allowed: an integer >= 60 and <= 86400$",
        lambda: BurnRateWindow("slow", 90_000, 300, 2, Severity.WARNING),
    )


def test_severity_order() -> None:
    assert Severity.INFO.rank < Severity.WARNING.rank < Severity.CRITICAL.rank


def metric(**overrides) -> MetricQuery:
    return MetricQuery(**{"namespace": "AWS/SQS", "metric_name": "NumberOfMessagesSent", **overrides})


def extra_alarm(**overrides) -> ExtraAlarm:
    values = {
        "key": "orders-backlog",
        "description": "Orders are piling up.",
        "severity": Severity.WARNING,
        "metric": metric(),
        "comparison": ">",
        "threshold": 100.0,
        "runbook": "Check the order consumer's logs.",
    }
    return ExtraAlarm(**{**values, **overrides})


def test_extension_points_default_to_none() -> None:
    assert MonitoringConfig().extra_alarms == ()
    assert MonitoringConfig().extra_widgets == ()


def test_extra_alarm_and_widget_build() -> None:
    widget = ExtraWidget(title="Orders", metrics=(metric(statistic="p99.9", period_seconds=60),))
    config = MonitoringConfig(extra_alarms=(extra_alarm(datapoints_to_alarm=1),), extra_widgets=(widget,))
    assert config.extra_alarms[0].metric.statistic == "Sum"
    assert config.extra_widgets[0].width == 12


def test_rejects_duplicate_extra_alarm_keys() -> None:
    rejects(
        r"^monitoring.extra_alarms: got \('orders-backlog', 'orders-backlog'\); allowed: each key at most once$",
        lambda: MonitoringConfig(extra_alarms=(extra_alarm(), extra_alarm())),
    )


def test_rejects_extra_alarm_key_that_is_not_a_slug() -> None:
    rejects(
        r"^monitoring.extra_alarms\['Orders'\].key: got 'Orders'; allowed: a lowercase slug",
        lambda: extra_alarm(key="Orders"),
    )


def test_rejects_extra_alarm_nan_threshold() -> None:
    rejects(
        r"^monitoring.extra_alarms\['orders-backlog'\].threshold: got nan; allowed: a finite number",
        lambda: extra_alarm(threshold=float("nan")),
    )


def test_rejects_unknown_comparison() -> None:
    rejects(
        r"^monitoring.extra_alarms\['orders-backlog'\].comparison: got '=='; allowed: one of '>', '>=', '<', '<='$",
        lambda: extra_alarm(comparison="=="),
    )


def test_rejects_datapoints_above_evaluation_periods() -> None:
    rejects(
        r"^monitoring.extra_alarms\['orders-backlog'\].datapoints_to_alarm: got 3; "
        r"allowed: at most evaluation_periods \(2\)$",
        lambda: extra_alarm(evaluation_periods=2, datapoints_to_alarm=3),
    )


def test_rejects_runbook_that_is_not_a_sentence() -> None:
    rejects(
        r"^monitoring.extra_alarms\['orders-backlog'\].runbook: got 'page'; allowed: one or more sentences",
        lambda: extra_alarm(runbook="page"),
    )


def test_rejects_unknown_statistic() -> None:
    rejects(r"^monitoring.metric.statistic: got 'Median'; allowed: Sum, Average", lambda: metric(statistic="Median"))


def test_rejects_period_that_is_not_whole_minutes() -> None:
    rejects(
        r"^monitoring.metric.period_seconds: got 90; allowed: an integer >= 60 and <= 86400",
        lambda: metric(period_seconds=90),
    )


def test_rejects_widget_without_metrics() -> None:
    rejects(r"^monitoring.extra_widgets\[\].metrics: got \(\)", lambda: ExtraWidget(title="Empty", metrics=()))


def test_rejects_widget_wider_than_the_dashboard() -> None:
    rejects(
        r"^monitoring.extra_widgets\[\].width: got 25; allowed: an integer >= 1 and <= 24$",
        lambda: ExtraWidget(title="Wide", metrics=(metric(),), width=25),
    )
