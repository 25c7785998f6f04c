"""prod: the customer-facing API. Everything blocks, pages and is kept longest."""

from environments.config import (
    ApiConfig,
    AuthConfig,
    BackupConfig,
    BusinessHours,
    CanaryConfig,
    CiConfig,
    EnvironmentConfig,
    FunctionLoggingConfig,
    MonitoringConfig,
    RuleAction,
    StateConfig,
    Tier,
    UsagePlanConfig,
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
    ci=CiConfig(github_owner="example-org", github_repository="agenticai"),
    monitoring=MonitoringConfig(
        alert_emails=("agenticai-oncall@example.com",),
        monthly_budget_usd=50.0,
        # INFO lines for 1 invocation in 10; WARNING and above always (functions/sampling.py).
        function_logging=FunctionLoggingConfig(info_sample_rate=0.1),
    ),
    waf=WafConfig(mode=RuleAction.BLOCK),
    backups=BackupConfig(deletion_protection=True),
    # The seed's usage plan is 1000 rps, burst 2000, 1000 requests per HOUR. The hourly limit is the
    # authorizer's exact per-key counter (default_key_rate_limit_per_hour); the plan keeps only the
    # throttle, so a client retrying at 429 never burns a daily quota (docs/KEYS.md "Rate limits").
    auth=AuthConfig(
        usage_plan=UsagePlanConfig(rate_limit_per_second=1000, burst_limit=2000),
        default_key_rate_limit_per_hour=1000,
        authorizer_reserved_concurrency=200,
    ),
    api=ApiConfig(reserved_concurrency=100),
    # Every 5 minutes, Mon-Fri 08:00-18:00 UTC (2,571 runs instead of 8,640: `make cost`). Out of hours
    # the real traffic's 5XX, error-rate and SLO alarms detect failures; the canary proves the API works
    # when the working day's clients are not calling. Its alarm keeps its state through the night.
    canary=CanaryConfig(business_hours=BusinessHours()),
)
