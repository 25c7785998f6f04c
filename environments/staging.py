"""staging: production-like, in its own account; WAF rules still count."""

from environments.config import (
    CanaryConfig,
    CiConfig,
    EnvironmentConfig,
    MonitoringConfig,
    RuleAction,
    StateConfig,
    Tier,
    WafConfig,
)

CONFIG = EnvironmentConfig(
    name="staging",
    tier=Tier.STAGING,
    account_id="222222222222",
    region="us-east-1",
    name_prefix="agenticai-staging",
    tags={"CostCenter": "agenticai-staging"},
    log_retention_days=30,
    state=StateConfig(bucket="agenticai-tfstate-222222222222-staging"),
    ci=CiConfig(github_owner="example-org", github_repository="agenticai"),
    monitoring=MonitoringConfig(
        alert_emails=("agenticai-staging-alerts@example.com",),
        # The hardening has a fixed monthly cost (WAF, alarms, keys, secrets): `make cost` shows it.
        monthly_budget_usd=40.0,
    ),
    waf=WafConfig(mode=RuleAction.COUNT),
    # Every 10 minutes (half the 5-minute canary cost; `make cost`): production-like.
    canary=CanaryConfig(schedule_minutes=10),
)
