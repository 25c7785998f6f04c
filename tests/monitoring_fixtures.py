"""Shared inputs for the monitoring tests: literal ServiceRefs and a minimal Monitoring stack."""

from __future__ import annotations

from environments.config.monitoring import MonitoringConfig, Severity, SloConfig
from modules.core.naming import Naming
from modules.core.refs import FunctionRef, QueueRef, RestApiRef, ServiceRefs, TableRef
from modules.monitoring.metrics import CanaryMetrics, WafMetrics
from tests.synth import Synthesized, synth_scope

NAMING = Naming("agenticai-test")
REGION = "us-west-2"
WAF = WafMetrics("agenticai-test-waf", ("agenticai-test-rate-limit", "agenticai-test-common"))
CANARY = CanaryMetrics("agenticai-test-api", run_interval_seconds=300, consecutive_failed_runs=2)

REFS = ServiceRefs(
    api=RestApiRef(
        rest_api_id="abc123",
        name="agenticai-test-api",
        stage_name="v1",
        stage_arn="arn:aws:apigateway:us-west-2::/restapis/abc123/stages/v1",
        execution_arn="arn:aws:execute-api:us-west-2:123456789012:abc123",
        invoke_url="https://abc123.execute-api.us-west-2.amazonaws.com/v1",
    ),
    functions=(
        FunctionRef("projects", "agenticai-test-projects", "arn:aws:lambda:us-west-2:123456789012:function:p"),
        FunctionRef("health", "agenticai-test-health", "arn:aws:lambda:us-west-2:123456789012:function:h"),
        FunctionRef("authorizer", "agenticai-test-authorizer", "arn:aws:lambda:us-west-2:123456789012:function:a"),
    ),
    tables=(
        TableRef("projects", "agenticai-test-projects", "arn:aws:dynamodb:us-west-2:123456789012:table/p"),
        TableRef("api_keys", "agenticai-test-api-keys", "arn:aws:dynamodb:us-west-2:123456789012:table/k"),
    ),
    queues=(
        QueueRef("projects", "agenticai-test-projects", "arn:aws:sqs:us-west-2:123456789012:p", "https://sqs/p"),
        QueueRef(
            "projects_dlq", "agenticai-test-projects-dlq", "arn:aws:sqs:us-west-2:123456789012:d", "https://sqs/d", True
        ),
    ),
)

#: The error-rate objective is opt-in; the fixture turns it on so that all three objectives are tested.
CONFIG = MonitoringConfig(
    alert_emails=("ops@example.com",),
    page_emails=("pager@example.com",),
    slo=SloConfig(error_rate_target_percent=99.9),
)


def synth_monitoring(
    config: MonitoringConfig = CONFIG,
    *,
    refs: ServiceRefs = REFS,
    waf: WafMetrics | None = WAF,
    canary: CanaryMetrics | None = CANARY,
    region: str = REGION,
    naming: Naming = NAMING,
) -> tuple[Synthesized, object]:
    """A minimal stack holding one Monitoring construct; returns its JSON and the construct."""
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from modules.monitoring.monitoring import Monitoring

    built = {}

    def build(stack) -> None:
        billing = AwsProvider(stack, "aws-billing", region="us-east-1", alias="billing")
        built["monitoring"] = Monitoring(
            stack,
            "monitoring",
            config=config,
            naming=naming,
            refs=refs,
            region=region,
            billing_provider=billing,
            waf=waf,
            canary=canary,
        )

    return synth_scope(build), built["monitoring"]


def emulator_config() -> MonitoringConfig:
    """CONFIG with the emulator switches of environments/local.py."""
    return CONFIG.replace(composite_alarms_enabled=False, budget_enabled=False, anomaly_monitor_enabled=False)


def extra_alarm(**overrides):
    """One ``monitoring.extra_alarms`` entry: a custom application metric with its own runbook action."""
    from environments.config.extensions import ExtraAlarm, MetricQuery

    values = dict(
        key="orders-failed",
        description="Orders failing at checkout",
        severity=Severity.CRITICAL,
        metric=MetricQuery(
            namespace="AgenticAI/App",
            metric_name="OrdersFailed",
            dimensions=(("Service", "checkout"),),
            statistic="Sum",
        ),
        comparison=">=",
        threshold=5,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        runbook="Check the checkout service's payment provider status page, then its log group.",
    )
    values.update(overrides)
    return ExtraAlarm(**values)


def extra_widget(**overrides):
    """One ``monitoring.extra_widgets`` entry: two custom metrics, the second with its own period."""
    from environments.config.extensions import ExtraWidget, MetricQuery

    values = dict(
        title="Checkout",
        metrics=(
            MetricQuery(namespace="AgenticAI/App", metric_name="OrdersPlaced", label="orders placed"),
            MetricQuery(namespace="AgenticAI/App", metric_name="OrdersFailed", period_seconds=60),
        ),
        width=8,
        height=4,
    )
    values.update(overrides)
    return ExtraWidget(**values)
