"""Budgets: the monthly cost budget, its notifications, the anomaly monitor, and the switches."""

from __future__ import annotations

import pytest

from environments import ENVIRONMENTS, load
from tests.monitoring_fixtures import CONFIG, synth_monitoring


@pytest.fixture(scope="module")
def stack():
    return synth_monitoring()[0]


def topic_reference(stack, name: str) -> str:
    key = next(k for k, t in stack.document["resource"]["aws_sns_topic"].items() if t["name"] == name)
    return f"${{aws_sns_topic.{key}.arn}}"


def test_monthly_cost_budget_with_actual_80_and_forecasted_100(stack) -> None:
    budget = stack.resource("aws_budgets_budget", name="agenticai-test-monthly-cost")
    assert (budget["budget_type"], budget["time_unit"]) == ("COST", "MONTHLY")
    assert (budget["limit_amount"], budget["limit_unit"]) == ("50.0", "USD")
    assert budget["provider"] == "aws.billing"
    notifications = {n["notification_type"]: n for n in budget["notification"]}
    assert set(notifications) == {"ACTUAL", "FORECASTED"}
    actual, forecast = notifications["ACTUAL"], notifications["FORECASTED"]
    assert (actual["threshold"], actual["threshold_type"], actual["comparison_operator"]) == (
        80,
        "PERCENTAGE",
        "GREATER_THAN",
    )
    assert (forecast["threshold"], forecast["threshold_type"]) == (100, "PERCENTAGE")
    assert actual["subscriber_sns_topic_arns"] == [topic_reference(stack, "agenticai-test-cost-warning")]
    assert forecast["subscriber_sns_topic_arns"] == [topic_reference(stack, "agenticai-test-cost-critical")]


def test_anomaly_monitor_alerts_the_cost_topic(stack) -> None:
    monitor = stack.resource("aws_ce_anomaly_monitor")
    assert (monitor["monitor_type"], monitor["monitor_dimension"]) == ("DIMENSIONAL", "SERVICE")
    subscription = stack.resource("aws_ce_anomaly_subscription")
    assert subscription["frequency"] == "IMMEDIATE"
    assert subscription["subscriber"] == [
        {"type": "SNS", "address": topic_reference(stack, "agenticai-test-cost-warning")}
    ]
    assert subscription["threshold_expression"]["dimension"] == {
        "key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
        "match_options": ["GREATER_THAN_OR_EQUAL"],
        "values": ["10"],
    }
    assert subscription["monitor_arn_list"][0].startswith("${aws_ce_anomaly_monitor.")


def test_switches_turn_budget_and_anomaly_monitor_off() -> None:
    stack, monitoring = synth_monitoring(CONFIG.replace(budget_enabled=False, anomaly_monitor_enabled=False))
    assert stack.count("aws_budgets_budget") == 0
    assert stack.count("aws_ce_anomaly_monitor") == 0
    assert monitoring.cost_budget is None
    only_budget, _ = synth_monitoring(CONFIG.replace(anomaly_monitor_enabled=False))
    assert only_budget.count("aws_budgets_budget") == 1
    assert only_budget.count("aws_ce_anomaly_subscription") == 0


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_budget_amount_from_config(env: str, stacks) -> None:
    config = load(env).monitoring
    budgets = stacks[env].resources("aws_budgets_budget")
    if not config.budget_enabled:
        assert budgets == []
        return
    assert [b["limit_amount"] for b in budgets] == [f"{config.monthly_budget_usd:.1f}"]


def test_prod_budget_is_the_seed_50_dollars(stacks) -> None:
    assert stacks["prod"].resource("aws_budgets_budget")["limit_amount"] == "50.0"


def test_local_turns_budget_and_anomaly_monitor_off_explicitly() -> None:
    local = load("local").monitoring
    assert (local.budget_enabled, local.anomaly_monitor_enabled, local.composite_alarms_enabled) == (
        False,
        False,
        False,
    )
    for env in ("dev", "staging", "prod"):
        config = load(env).monitoring
        assert config.budget_enabled
        assert config.anomaly_monitor_enabled
        assert config.composite_alarms_enabled
