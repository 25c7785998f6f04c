"""prod: the customer-facing API. Everything blocks, pages and is kept longest."""

from environments.config import (
    BackupConfig,
    EnvironmentConfig,
    MonitoringConfig,
    RuleAction,
    StateConfig,
    Tier,
    WafConfig,
)

CONFIG = EnvironmentConfig(
    name="prod",
    tier=Tier.PRODUCTION,
    account_id="333333333333",
    region="us-west-2",
    name_prefix="agenticai-prod",
    tags={"CostCenter": "agenticai-prod", "DataClassification": "confidential"},
    log_retention_days=90,
    state=StateConfig(bucket="agenticai-tfstate-333333333333-prod"),
    monitoring=MonitoringConfig(
        alert_emails=("agenticai-oncall@example.com",),
        monthly_budget_usd=50.0,
    ),
    waf=WafConfig(mode=RuleAction.BLOCK),
    backups=BackupConfig(deletion_protection=True),
)
