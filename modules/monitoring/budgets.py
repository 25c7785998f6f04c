"""Cost guard rails: an AWS Budgets monthly cost budget and a Cost Explorer anomaly monitor.

The budget notifies the cost topics at **actual 80 %** (warning) and **forecasted 100 %**
(critical) of ``monitoring.monthly_budget_usd``. Each environment is its own AWS account, so
the budget covers the whole account (no cost-allocation tag filter, which would only work
after the tag is activated in Billing). The anomaly monitor (one ``SERVICE`` monitor per
account, an AWS limit) alerts immediately when an anomaly's total impact reaches
``anomaly_threshold_usd``.

Both APIs are global and served from us-east-1; they are created with the same provider and
publish to the same us-east-1 cost topics as the billing alarm.
"""

from __future__ import annotations

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.budgets_budget import BudgetsBudget, BudgetsBudgetNotification
from cdktf_cdktf_provider_aws.ce_anomaly_monitor import CeAnomalyMonitor
from cdktf_cdktf_provider_aws.ce_anomaly_subscription import (
    CeAnomalySubscription,
    CeAnomalySubscriptionSubscriber,
    CeAnomalySubscriptionThresholdExpression,
    CeAnomalySubscriptionThresholdExpressionDimension,
)
from constructs import Construct

from environments.config.monitoring import MonitoringConfig, Severity
from modules.core.naming import Naming
from modules.monitoring.alarm_factory import AlarmTopics

#: (notification type, % of the budget, severity routed to).
BUDGET_NOTIFICATIONS: tuple[tuple[str, float, Severity], ...] = (
    ("ACTUAL", 80.0, Severity.WARNING),
    ("FORECASTED", 100.0, Severity.CRITICAL),
)


class CostBudget(Construct):
    """The monthly cost budget, and the anomaly monitor when ``anomaly_monitor_enabled``.

    config: ``monthly_budget_usd``, ``anomaly_monitor_enabled``, ``anomaly_threshold_usd``.
    topics: where notifications go (warning and critical).
    provider: the us-east-1 provider of the cost topics. Default: the stack's default provider.

    Attributes: ``budget`` (None unless ``budget_enabled``); ``anomaly_monitor`` and ``anomaly_subscription`` (or None).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: MonitoringConfig,
        naming: Naming,
        topics: AlarmTopics,
        provider: TerraformProvider | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.budget: BudgetsBudget | None = None
        if config.budget_enabled:
            self.budget = BudgetsBudget(
                self,
                "monthly",
                name=naming.name("monthly-cost"),
                budget_type="COST",
                time_unit="MONTHLY",
                limit_amount=f"{config.monthly_budget_usd:.1f}",
                limit_unit="USD",
                notification=[
                    BudgetsBudgetNotification(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                        subscriber_sns_topic_arns=[topics.arn(severity)],
                    )
                    for kind, percent, severity in BUDGET_NOTIFICATIONS
                ],
                provider=provider,
            )
        self.anomaly_monitor: CeAnomalyMonitor | None = None
        self.anomaly_subscription: CeAnomalySubscription | None = None
        if config.anomaly_monitor_enabled:
            self.anomaly_monitor = CeAnomalyMonitor(
                self,
                "anomaly-monitor",
                name=naming.name("cost-anomalies"),
                monitor_type="DIMENSIONAL",
                monitor_dimension="SERVICE",
                provider=provider,
            )
            self.anomaly_subscription = CeAnomalySubscription(
                self,
                "anomaly-subscription",
                name=naming.name("cost-anomalies"),
                # SNS subscribers require IMMEDIATE (daily/weekly summaries are email-only).
                frequency="IMMEDIATE",
                monitor_arn_list=[self.anomaly_monitor.arn],
                subscriber=[CeAnomalySubscriptionSubscriber(type="SNS", address=topics.arn(Severity.WARNING))],
                threshold_expression=CeAnomalySubscriptionThresholdExpression(
                    dimension=CeAnomalySubscriptionThresholdExpressionDimension(
                        key="ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                        match_options=["GREATER_THAN_OR_EQUAL"],
                        values=[f"{config.anomaly_threshold_usd:g}"],
                    )
                ),
                provider=provider,
            )
