"""dev: a shared development account. Protective rules count before they block."""

from environments.config import (
    AlarmThresholds,
    AuthConfig,
    CanaryConfig,
    CiConfig,
    EnvironmentConfig,
    MonitoringConfig,
    RuleAction,
    StateConfig,
    Tier,
    UsagePlanConfig,
    WafConfig,
)

CONFIG = EnvironmentConfig(
    name="dev",
    tier=Tier.DEVELOPMENT,
    account_id="111111111111",
    region="us-east-1",
    name_prefix="agenticai-dev",
    tags={"CostCenter": "agenticai-dev"},
    log_retention_days=14,
    state=StateConfig(bucket="agenticai-tfstate-111111111111-dev"),
    ci=CiConfig(github_owner="example-org", github_repository="agenticai"),
    monitoring=MonitoringConfig(
        alert_emails=("agenticai-dev-alerts@example.com",),
        # The hardening has a fixed monthly cost (WAF, alarms, keys, secrets): `make cost` shows it.
        monthly_budget_usd=40.0,
        # Development traffic is small and noisy: a few failures are a large share of it.
        thresholds=AlarmThresholds(lambda_error_rate_percent=10.0, api_5xx_count=20.0, api_latency_p95_ms=2000.0),
    ),
    waf=WafConfig(mode=RuleAction.COUNT),
    auth=AuthConfig(
        usage_plan=UsagePlanConfig(rate_limit_per_second=50, burst_limit=100),
        default_key_rate_limit_per_hour=200,
        rotation_grace_hours=1,
    ),
    # Every 15 minutes (a third of the 5-minute cost; `make cost`): dev needs a signal, not a 5-minute page.
    canary=CanaryConfig(schedule_minutes=15),
)
