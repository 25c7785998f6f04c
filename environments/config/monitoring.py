"""Monitoring and alerting configuration."""

from __future__ import annotations

from dataclasses import dataclass

from environments.config.base import require_email, require_number, require_tuple


@dataclass(frozen=True)
class MonitoringConfig:
    """Alarms, alert recipients and the monthly budget.

    alert_emails: SNS email subscribers. Default: none (a production tier requires one).
    monthly_budget_usd: the AWS Budgets monthly cost budget. Default: $50, the seed's figure.
    """

    alert_emails: tuple[str, ...] = ()
    monthly_budget_usd: float = 50.0

    def __post_init__(self) -> None:
        require_tuple("monitoring.alert_emails", self.alert_emails)
        for email in self.alert_emails:
            require_email("monitoring.alert_emails", email)
        require_number(
            "monitoring.monthly_budget_usd",
            self.monthly_budget_usd,
            minimum=0,
            exclusive_minimum=True,
            maximum=1_000_000,
        )
