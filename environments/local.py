"""local: the emulator profile, deployed to a moto server on loopback by ``make e2e``.

Features the emulator does not implement are switched off here, explicitly,
and listed in docs/EMULATOR.md's table. Nothing about the emulator's
endpoint is configured here: the provider is pointed at it with environment
variables at run time, so this stack's JSON is valid for a real account too.
"""

from environments.config import (
    CanaryConfig,
    EnvironmentConfig,
    FunctionLoggingConfig,
    MonitoringConfig,
    RuleAction,
    StateConfig,
    Tier,
    WafConfig,
)

CONFIG = EnvironmentConfig(
    name="local",
    tier=Tier.EMULATOR,
    # moto's fixed account id.
    account_id="123456789012",
    region="us-east-1",
    name_prefix="agenticai-local",
    log_retention_days=7,
    state=StateConfig(bucket="agenticai-tfstate-123456789012-local"),
    monitoring=MonitoringConfig(
        alert_emails=("agenticai-local@example.com",),
        monthly_budget_usd=10.0,
        # moto implements neither composite alarms nor Cost Explorer anomaly monitors (the provider
        # retries for a very long time) and fails some Budgets reads. The SLO windows stay as metric
        # alarms (the long window notifies alone); budget and anomaly monitor exist in dev/staging/prod.
        composite_alarms_enabled=False,
        budget_enabled=False,
        anomaly_monitor_enabled=False,
        # moto does not store a function's LoggingConfig: every plan would show a change.
        function_logging=FunctionLoggingConfig(json_logging_config_enabled=False),
    ),
    waf=WafConfig(mode=RuleAction.BLOCK),
    # moto's Synthetics CreateCanary answers with a malformed response, so the apply would fail.
    # The canary is still covered: node --test, terraform validate and the prod/dev stack tests.
    canary=CanaryConfig(enabled=False),
)
