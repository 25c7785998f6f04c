"""The alarm catalogue: which alarms exist, built as data from config and ``ServiceRefs``.

Nothing here creates resources; :class:`modules.monitoring.alarm_factory.AlarmFactory` does. Each builder
returns :class:`AlarmSpec` values, so the runbook generator and the tests read the same list the
stack deploys.

Choices that apply to every alarm below:

* Windows are 5 minutes (the seed's "over 5 minutes") unless stated.
* **Lambda duration uses p99**, not Maximum: one cold start or one retried request should not
  page anyone, but a tail where 1 % of calls take over 10 s is a real problem (it is close to
  the function timeout, and API Gateway gives up after 29 s). Maximum would page on a single
  outlier; Average hides the tail.
* **API latency uses p95** (the seed's success metric "p95 < 1 s").
* Rates are metric math over sums (``100 * errors / invocations``), never raw counts, so they
  do not scale with traffic.
* ``treat_missing_data`` is chosen per alarm: "no data" means "no traffic" for error, throttle
  and latency metrics (notBreaching), "keep the last state" for the sparse billing metric
  (ignore), and "the canary stopped running" for the canary (breaching).

Every metric comes from the catalogue (``modules.monitoring.metrics``). An environment's own
alarms (``monitoring.extra_alarms``) become specs in :func:`extra_alarm_specs` and go through
the same factory as the built-in ones.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from environments.config.base import ConfigError
from environments.config.monitoring import MonitoringConfig, Severity
from modules.core.refs import FunctionRef, QueueRef, ServiceRefs, TableRef
from modules.monitoring.alarm_factory import AlarmSpec, ComparisonOperator, MathExpression, Metric, TreatMissingData
from modules.monitoring.log_metrics import AUTHORIZER_ROLE, LogMetrics
from modules.monitoring.metrics import (
    ApiGatewayMetrics,
    BillingMetrics,
    CanaryMetrics,
    DynamoDbMetrics,
    LambdaMetrics,
    SqsMetrics,
    WafMetrics,
    metric_from_query,
)

if TYPE_CHECKING:
    from environments.config.extensions import ExtraAlarm

# WafMetrics and CanaryMetrics are re-exported: the WAF construct and the stack import them from here.
__all__ = ["CanaryMetrics", "WafMetrics", "billing_alarm", "build_alarm_specs", "extra_alarm_specs", "role_key"]

GT = ComparisonOperator.GREATER_THAN
NO_TRAFFIC = TreatMissingData.NOT_BREACHING


def role_key(role: str) -> str:
    """A role as it appears in alarm keys: ``api_keys`` -> ``api-keys``."""
    return role.replace("_", "-").lower()


def build_alarm_specs(
    config: MonitoringConfig,
    refs: ServiceRefs,
    *,
    region: str,
    waf: WafMetrics | None = None,
    canary: CanaryMetrics | None = None,
    log_metrics: LogMetrics | None = None,
) -> tuple[AlarmSpec, ...]:
    """Every regional alarm of one environment (the billing alarm is separate: it lives in us-east-1).

    log_metrics: the metric-filter metrics; with an authorizer in ``refs`` they give the fail-closed
    alarm. Default: none (no authorizer alarm: the authorizer's Lambda Errors count its 401s).
    """
    t = config.thresholds
    specs: list[AlarmSpec] = [*api_alarms(config, refs)]
    handlers = tuple(f for f in refs.functions if f.role != AUTHORIZER_ROLE)
    if handlers:
        specs.append(lambda_error_rate(handlers, t.lambda_error_rate_percent))
    if refs.functions:
        specs.append(lambda_duration(refs.functions, t.lambda_duration_ms))
        specs.append(lambda_throttles(t.lambda_throttles_count))
    if log_metrics is not None and any(f.role == AUTHORIZER_ROLE for f in refs.functions):
        specs.append(authorizer_fail_closed(log_metrics, t.authorizer_fail_closed_count))
    specs += [dynamodb_throttles(table, t.dynamodb_throttled_requests_count) for table in refs.tables]
    for queue in refs.queues:
        if queue.is_dead_letter:
            specs.append(dlq_depth(queue, t.dlq_depth_count))
        else:
            specs.append(queue_age(queue, t.sqs_oldest_message_age_seconds))
    if waf is not None:
        specs.append(waf_blocked_spike(waf, region=region, threshold=t.waf_blocked_requests_count))
    if canary is not None:
        specs.append(canary_success(canary))
    return tuple(specs)


def api_alarms(config: MonitoringConfig, refs: ServiceRefs) -> tuple[AlarmSpec, ...]:
    t = config.thresholds
    api = ApiGatewayMetrics(refs.api)

    return (
        AlarmSpec(
            key="api-5xx",
            title="API 5XX errors",
            summary="The API returned server errors: callers saw failures the API caused.",
            severity=Severity.CRITICAL,
            metric=api.server_errors(),
            threshold=t.api_5xx_count,
            comparison=GT,
            unit="errors",
            treat_missing_data=NO_TRAFFIC,
            checks=(
                "Which function failed: the Lambda error-rate alarms and the dashboard's Lambda errors graph.",
                "API Gateway execution logs for the stage (integration timeouts, authorizer failures).",
                "Recent deployments (terraform apply, function code) in the last hour; roll back if correlated.",
            ),
        ),
        AlarmSpec(
            key="api-4xx-rate",
            title="API 4XX rate",
            summary="Many requests were rejected (bad keys, throttling by the usage plan, WAF blocks or bad input).",
            # INFO: keyless scans and clients at their limit raise it; they are normal traffic, not a page.
            severity=Severity.INFO,
            metric=MathExpression(
                "100 * client_errors / requests",
                (api.client_errors(), api.requests()),
                "4XX responses (% of requests)",
            ),
            threshold=t.api_4xx_rate_percent,
            comparison=GT,
            unit="%",
            treat_missing_data=NO_TRAFFIC,
            checks=(
                "The access log's status codes: 401/403 (keys, authorizer), 429 (usage plan), 400 (bad input).",
                "The WAF row of the dashboard: a blocked-request spike means an attack or a rule false positive.",
                "Whether a client release changed its requests or lost its API key.",
            ),
        ),
        AlarmSpec(
            key="api-latency-p95",
            title="API latency p95",
            summary="The slowest 5 % of requests are slower than the latency objective.",
            severity=Severity.WARNING,
            metric=api.latency("p95"),
            threshold=t.api_latency_p95_ms,
            comparison=GT,
            unit="ms",
            treat_missing_data=NO_TRAFFIC,
            checks=(
                "Latency versus IntegrationLatency on the dashboard: the API layer or the Lambda behind it?",
                "Lambda duration p95 and concurrent executions (cold starts, a slow dependency).",
                "DynamoDB throttles and SQS backlog on the dashboard's lower row.",
            ),
        ),
    )


def lambda_error_rate(functions: Sequence[FunctionRef], threshold_percent: float) -> AlarmSpec:
    """One alarm over every handler's error rate: the highest ``100 * errors / invocations`` of them.

    Consolidated: one alarm instead of one per function, same metrics, same severity and one
    runbook entry; the dashboard's Lambda graphs show which function it is. The authorizer is not in
    ``functions``: its Errors include every 401 it answers (keyless scans).
    """
    metrics: list[Metric] = []
    rates = []
    for index, function in enumerate(functions):
        lambda_ = LambdaMetrics(function)
        metrics += [lambda_.errors().with_id(f"errors{index}"), lambda_.invocations().with_id(f"calls{index}")]
        rates.append(f"100 * FILL(errors{index}, 0) / calls{index}")
    roles = ", ".join(f.role for f in functions)
    return AlarmSpec(
        key="lambda-error-rate",
        title="Lambda error rate",
        summary=f"A request handler ({roles}) fails a large share of its invocations (the highest rate counts).",
        severity=Severity.CRITICAL,
        metric=MathExpression(
            f"MAX([{', '.join(rates)}])", tuple(metrics), "Errors (% of invocations), worst function"
        ),
        threshold=threshold_percent,
        comparison=GT,
        unit="%",
        treat_missing_data=NO_TRAFFIC,
        checks=(
            "The dashboard's Lambda error-rate graph: which function; then its log group's newest ERROR lines.",
            "Recent deployments of the function's code or configuration; roll back if the errors began then.",
            "Its dependencies: DynamoDB throttles, SQS errors, and the function's timeout (Duration near it?).",
        ),
    )


def lambda_duration(functions: Sequence[FunctionRef], threshold_ms: float) -> AlarmSpec:
    """One alarm over every function's p99 duration (the slowest function counts); consolidated like the error rate."""
    metrics = tuple(LambdaMetrics(f).duration("p99").with_id(f"p99_{i}") for i, f in enumerate(functions))
    return AlarmSpec(
        key="lambda-duration-p99",
        title="Lambda duration p99",
        summary="1 % of some function's invocations run longer than the limit (p99 of the slowest function).",
        severity=Severity.WARNING,
        metric=MathExpression(f"MAX([{', '.join(m.id for m in metrics)}])", metrics, "Duration p99 (ms), slowest"),
        threshold=threshold_ms,
        comparison=GT,
        unit="ms",
        treat_missing_data=NO_TRAFFIC,
        checks=(
            'The dashboard\'s Lambda duration graph, then Logs Insights: `filter @type = "platform.report"`.',
            "Slow dependencies: DynamoDB latency and throttles, downstream HTTP calls.",
            "Cold starts (initDurationMs in the report records) and the memory size (more memory = more CPU).",
        ),
    )


def lambda_throttles(threshold: float) -> AlarmSpec:
    """Throttles of every function in the account (Lambda's metric without dimensions): one metric, one alarm.

    Each environment has its own account, so the account-wide series is this environment's functions
    (and its canary's). https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    """
    return AlarmSpec(
        key="lambda-throttles",
        title="Lambda throttles",
        summary="Invocations of a function were rejected for lack of concurrency (reserved or account-wide).",
        severity=Severity.WARNING,
        metric=LambdaMetrics.account().throttles(),
        threshold=threshold,
        comparison=GT,
        unit="throttles",
        treat_missing_data=NO_TRAFFIC,
        checks=(
            "The dashboard's Lambda graphs: which function's ConcurrentExecutions reached its reserved concurrency.",
            "The account's unreserved concurrency (Lambda console, Account settings) and other functions' use.",
            "Whether a traffic spike is legitimate (usage plan, WAF rate rule) before raising limits.",
        ),
    )


def authorizer_fail_closed(log_metrics: LogMetrics, threshold: float) -> AlarmSpec:
    """The authorizer could not decide (DynamoDB or Secrets Manager failed) and refused the caller.

    Counted from its decision log (``log_metrics``), never from Lambda's Errors: a Lambda authorizer
    answers 401 by raising ``Unauthorized``, which Lambda counts as an error, so keyless internet scans
    would page on Errors.
    """
    return AlarmSpec(
        key="authorizer-fail-closed",
        title="Authorizer failing closed",
        summary="The authorizer could not reach its key table or pepper and refused callers that may hold valid keys.",
        severity=Severity.CRITICAL,
        metric=log_metrics.fail_closed(),
        threshold=threshold,
        comparison=GT,
        unit="decisions",
        treat_missing_data=NO_TRAFFIC,
        checks=(
            'The authorizer\'s log group: `filter decision = "fail_closed"` (WARNING lines; the cause is logged).',
            "The API key and rate-limit tables (DynamoDB alarms) and the pepper secret (KMS key, permissions).",
            "Recent changes to the authorizer's code, role or environment; roll back if correlated.",
        ),
    )


def dynamodb_throttles(table: TableRef, threshold: float) -> AlarmSpec:
    metrics = DynamoDbMetrics(table)
    return AlarmSpec(
        key=f"dynamodb-throttles-{role_key(table.role)}",
        title=f"DynamoDB throttled requests ({table.role})",
        summary=(
            f"Reads or writes to the {table.role} table were throttled. Read + write throttle events are used: "
            "ThrottledRequests needs a per-operation dimension."
        ),
        severity=Severity.WARNING,
        metric=MathExpression(
            "FILL(reads, 0) + FILL(writes, 0)",
            (metrics.read_throttle_events(), metrics.write_throttle_events()),
            "Throttle events",
        ),
        threshold=threshold,
        comparison=GT,
        unit="events",
        treat_missing_data=NO_TRAFFIC,
        checks=(
            "Consumed versus provisioned capacity on the dashboard (on-demand tables throttle on sudden 2x peaks).",
            "A hot partition key: CloudWatch Contributor Insights for the table.",
            "Retry storms from the functions (Lambda invocations and errors at the same time).",
        ),
    )


def queue_age(queue: QueueRef, threshold_seconds: float) -> AlarmSpec:
    return AlarmSpec(
        key=f"sqs-oldest-message-age-{role_key(queue.role)}",
        title=f"SQS age of oldest message ({queue.role})",
        summary=f"Messages wait too long in the {queue.role} queue: its consumer is slow, failing or stopped.",
        severity=Severity.WARNING,
        metric=SqsMetrics(queue).oldest_message_age(),
        threshold=threshold_seconds,
        comparison=GT,
        unit="seconds",
        treat_missing_data=NO_TRAFFIC,
        checks=(
            "The consumer function's errors and throttles (Lambda alarms, dashboard).",
            "The event source mapping is enabled and its batch size and concurrency are sane.",
            "A poison message being retried: the dead-letter queue's depth.",
        ),
    )


def dlq_depth(queue: QueueRef, threshold: float) -> AlarmSpec:
    return AlarmSpec(
        key=f"sqs-dlq-depth-{role_key(queue.role)}",
        title=f"Dead-letter queue not empty ({queue.role})",
        summary=f"Messages failed every retry and were moved to {queue.role}; that work is not done.",
        severity=Severity.WARNING,
        metric=SqsMetrics(queue).visible_messages(),
        threshold=threshold,
        comparison=GT,
        unit="messages",
        treat_missing_data=NO_TRAFFIC,
        checks=(
            "Read (do not delete) a message: `aws sqs receive-message --visibility-timeout 0` on the DLQ.",
            "The consumer's log group at the message's timestamps for the failure.",
            "After the fix, redrive the messages to the source queue (SQS console, Start DLQ redrive).",
        ),
    )


def waf_blocked_spike(waf: WafMetrics, *, region: str, threshold: float) -> AlarmSpec:
    return AlarmSpec(
        key="waf-blocked-spike",
        title="WAF blocked-request spike",
        summary="The web ACL blocked an unusual number of requests: an attack, a scanner or a false positive.",
        severity=Severity.INFO,
        metric=waf.blocked_requests(region=region),
        threshold=threshold,
        comparison=GT,
        unit="requests",
        treat_missing_data=NO_TRAFFIC,
        checks=(
            "The WAF row of the dashboard: which rule blocks (per-rule BlockedRequests).",
            "Sampled requests of that rule in the WAF console: source IPs, paths, user agents.",
            "If legitimate clients are blocked (4XX rate up, complaints), set that rule to COUNT in config.",
        ),
    )


def canary_success(canary: CanaryMetrics) -> AlarmSpec:
    return AlarmSpec(
        key="canary-success",
        title="Canary success below 100 %",
        summary="The synthetic check of the public API failed on consecutive runs: users likely see it too.",
        severity=Severity.CRITICAL,
        metric=canary.success_percent(),
        threshold=100,
        comparison=ComparisonOperator.LESS_THAN,
        unit="%",
        # One period per run (config canary.alarm_consecutive_failed_runs): N failed runs in a row.
        evaluation_periods=canary.consecutive_failed_runs,
        datapoints_to_alarm=canary.consecutive_failed_runs,
        # Around the clock, a canary that stopped running is itself an outage of our monitoring. On a
        # business-hours schedule every night has no data: keep the last state (MISSING) instead, so the
        # alarm neither pages at 18:00 nor forgets a failure at the end of the day.
        treat_missing_data=TreatMissingData.BREACHING if canary.runs_continuously else TreatMissingData.MISSING,
        checks=(
            "The canary's latest run in the Synthetics console: the failed step, its screenshot/HAR and logs.",
            "The API alarms (5XX, latency, authorizer): is the API failing or only the canary's path?",
            "The canary's API key and its usage-plan quota (a 403/429 means the canary, not the API).",
        ),
    )


def billing_alarm(config: MonitoringConfig) -> AlarmSpec:
    """EstimatedCharges over a share of the budget. Billing metrics exist only in us-east-1."""
    return AlarmSpec(
        key="billing-estimated-charges",
        title="Estimated charges",
        summary=(
            f"This month's estimated AWS charges passed {config.thresholds.billing_percent_of_budget:g} % of "
            f"the ${config.monthly_budget_usd:g} budget. Needs billing alerts enabled in the account."
        ),
        severity=Severity.WARNING,
        metric=BillingMetrics().estimated_charges(),
        threshold=config.billing_threshold_usd,
        comparison=GT,
        unit="USD",
        # The metric is sparse (a few datapoints a day): keep the last state instead of flapping.
        treat_missing_data=TreatMissingData.IGNORE,
        checks=(
            "Cost Explorer, this month, grouped by service: which service grew?",
            "Request volume on the dashboard: abuse (WAF, usage plans) or organic growth?",
            "Log ingestion and retention, Lambda duration x memory, DynamoDB capacity mode.",
        ),
    )


def extra_alarm_specs(extras: Sequence[ExtraAlarm], *, taken_keys: Collection[str]) -> tuple[AlarmSpec, ...]:
    """An environment's ``monitoring.extra_alarms`` as specs, for the same factory as the built-in alarms.

    taken_keys: the keys of the built-in alarms (regional, SLO, billing); an extra alarm may not reuse
    one, since the key is the alarm name, the Terraform address and the runbook anchor.
    """
    specs: list[AlarmSpec] = []
    seen = set(taken_keys)
    for index, extra in enumerate(extras):
        if extra.key in seen:
            owner = "another extra alarm" if extra.key in {s.key for s in specs} else "a built-in alarm"
            allowed = f"a key no other alarm uses ({owner} is {extra.key!r})"
            raise ConfigError(f"monitoring.extra_alarms[{index}].key", extra.key, allowed)
        seen.add(extra.key)
        specs.append(extra_alarm_spec(extra, index=index))
    return tuple(specs)


def extra_alarm_spec(extra: ExtraAlarm, *, index: int = 0) -> AlarmSpec:
    """One ``ExtraAlarm`` as a spec: its description is the title, its ``runbook`` text the one check."""
    metric = metric_from_query(extra.metric)
    return AlarmSpec(
        key=extra.key,
        title=extra.description,
        summary=(
            f"An alarm of this environment (monitoring.extra_alarms[{index}]) on "
            f"{metric.namespace} {metric.metric_name} ({metric.statistic})."
        ),
        severity=extra.severity,
        metric=metric,
        threshold=extra.threshold,
        comparison=ComparisonOperator.from_symbol(extra.comparison),
        unit="",
        treat_missing_data=TreatMissingData(extra.treat_missing_data),
        checks=(extra.runbook,),
        evaluation_periods=extra.evaluation_periods,
        datapoints_to_alarm=extra.datapoints_to_alarm,
    )
