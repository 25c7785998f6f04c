"""The metric catalogue: one factory per AWS service, each metric defined once.

Alarms (``alarms.py``), SLOs (``slo.py``) and the dashboard (``dashboard.py``) take their metrics
from here, so a namespace, metric name, dimension set or default statistic is written in one
place (the idea of cdk-monitoring-constructs' ``MetricFactory``). Every factory method returns a
:class:`~modules.monitoring.alarm_factory.Metric`, the one metric type alarms and graphs share;
alarm math renames a metric with :meth:`Metric.with_id`, the dashboard labels it with
``dashboard.GraphLine``.

Each factory takes the resource it measures (a ``FunctionRef``, ``TableRef``... from
``ServiceRefs``), never a name assembled by hand, and an aggregation ``period_seconds``.

Dimension sets, from the AWS metric references:

* Lambda ``FunctionName``: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
* API Gateway ``ApiName`` + ``Stage``: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
* DynamoDB ``TableName``: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
* SQS ``QueueName``: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
* WAF ``WebACL`` + ``Region`` + ``Rule``: https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
* Synthetics ``CanaryName``: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_metrics.html
* Billing ``Currency`` (us-east-1 only): https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/monitor_estimated_charges_with_cloudwatch.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from modules.core.refs import FunctionRef, QueueRef, RestApiRef, TableRef
from modules.monitoring.alarm_factory import Metric

if TYPE_CHECKING:
    from environments.config.extensions import MetricQuery

__all__ = [
    "FIVE_MINUTES",
    "ApiGatewayMetrics",
    "BillingMetrics",
    "CanaryMetrics",
    "DynamoDbMetrics",
    "LambdaMetrics",
    "Metric",
    "SqsMetrics",
    "WafMetrics",
    "metric_from_query",
]

#: The default aggregation period (the seed's "over 5 minutes").
FIVE_MINUTES = 300
#: EstimatedCharges is published a few times a day; 6 h periods always hold a datapoint.
BILLING_PERIOD_SECONDS = 21_600


@dataclass(frozen=True)
class LambdaMetrics:
    """AWS/Lambda metrics of one function, or of the whole account (:meth:`account`).

    function: the function (``FunctionName`` dimension); None: no dimension (every function).
    period_seconds: aggregation period of every metric. Default: 300 s.
    """

    function: FunctionRef | None
    period_seconds: int = FIVE_MINUTES

    @classmethod
    def account(cls, period_seconds: int = FIVE_MINUTES) -> LambdaMetrics:
        """Every function of the account and region together (Lambda's metrics without dimensions)."""
        return cls(None, period_seconds)

    def _metric(self, name: str, statistic: str) -> Metric:
        dims = {} if self.function is None else {"FunctionName": self.function.function_name}
        return Metric("AWS/Lambda", name, statistic, dims, self.period_seconds, _id(name))

    def invocations(self) -> Metric:
        return self._metric("Invocations", "Sum")

    def errors(self) -> Metric:
        return self._metric("Errors", "Sum")

    def throttles(self) -> Metric:
        return self._metric("Throttles", "Sum")

    def concurrent_executions(self) -> Metric:
        return self._metric("ConcurrentExecutions", "Maximum")

    def duration(self, statistic: str = "p99") -> Metric:
        """Duration in ms. Default: p99 (a tail, not one cold start; see ``alarms.py``)."""
        return self._metric("Duration", statistic)


@dataclass(frozen=True)
class ApiGatewayMetrics:
    """AWS/ApiGateway metrics of one REST API stage.

    api: the API and stage (``ApiName`` and ``Stage`` dimensions).
    period_seconds: aggregation period of every metric. Default: 300 s.
    """

    api: RestApiRef
    period_seconds: int = FIVE_MINUTES

    def _metric(self, name: str, statistic: str, id: str) -> Metric:
        dims = {"ApiName": self.api.name, "Stage": self.api.stage_name}
        return Metric("AWS/ApiGateway", name, statistic, dims, self.period_seconds, id)

    def requests(self) -> Metric:
        return self._metric("Count", "Sum", "requests")

    def client_errors(self) -> Metric:
        return self._metric("4XXError", "Sum", "client_errors")

    def server_errors(self) -> Metric:
        return self._metric("5XXError", "Sum", "server_errors")

    def latency(self, statistic: str = "p95") -> Metric:
        """End-to-end latency in ms. Default: p95 (the seed's success metric)."""
        return self._metric("Latency", statistic, "latency")

    def integration_latency(self, statistic: str = "p95") -> Metric:
        """Backend (Lambda) latency in ms. Default: p95."""
        return self._metric("IntegrationLatency", statistic, "integration_latency")


@dataclass(frozen=True)
class DynamoDbMetrics:
    """AWS/DynamoDB metrics of one table.

    table: the table (``TableName`` dimension).
    period_seconds: aggregation period of every metric. Default: 300 s.
    """

    table: TableRef
    period_seconds: int = FIVE_MINUTES

    def _metric(self, name: str, id: str) -> Metric:
        return Metric("AWS/DynamoDB", name, "Sum", {"TableName": self.table.name}, self.period_seconds, id)

    def consumed_read_capacity(self) -> Metric:
        return self._metric("ConsumedReadCapacityUnits", "reads_consumed")

    def consumed_write_capacity(self) -> Metric:
        return self._metric("ConsumedWriteCapacityUnits", "writes_consumed")

    def read_throttle_events(self) -> Metric:
        """Read throttle events (``ThrottledRequests`` needs a per-operation dimension)."""
        return self._metric("ReadThrottleEvents", "reads")

    def write_throttle_events(self) -> Metric:
        return self._metric("WriteThrottleEvents", "writes")


@dataclass(frozen=True)
class SqsMetrics:
    """AWS/SQS metrics of one queue.

    queue: the queue (``QueueName`` dimension).
    period_seconds: aggregation period of every metric. Default: 300 s.
    """

    queue: QueueRef
    period_seconds: int = FIVE_MINUTES

    def _metric(self, name: str, id: str) -> Metric:
        return Metric("AWS/SQS", name, "Maximum", {"QueueName": self.queue.name}, self.period_seconds, id)

    def visible_messages(self) -> Metric:
        return self._metric("ApproximateNumberOfMessagesVisible", "visible")

    def oldest_message_age(self) -> Metric:
        """Age of the oldest message in seconds."""
        return self._metric("ApproximateAgeOfOldestMessage", "oldest")


@dataclass(frozen=True)
class WafMetrics:
    """AWS/WAFV2 metrics of the regional web ACL (built by the WAF construct).

    web_acl_name: the web ACL's name (the ``WebACL`` dimension).
    rule_metric_names: each rule's ``metric_name`` (the ``Rule`` dimension), charted per rule.
        Default: none (only the ACL-wide ``ALL`` series is charted).
    period_seconds: aggregation period of every metric. Default: 300 s.
    """

    web_acl_name: str
    rule_metric_names: tuple[str, ...] = ()
    period_seconds: int = FIVE_MINUTES

    def _metric(self, name: str, region: str, rule: str) -> Metric:
        dims = {"WebACL": self.web_acl_name, "Region": region, "Rule": rule}
        return Metric("AWS/WAFV2", name, "Sum", dims, self.period_seconds, _id(name))

    def allowed_requests(self, *, region: str, rule: str = "ALL") -> Metric:
        """Requests allowed in ``region``. rule: a rule's metric name. Default: ``ALL`` (the whole ACL)."""
        return self._metric("AllowedRequests", region, rule)

    def blocked_requests(self, *, region: str, rule: str = "ALL") -> Metric:
        """Requests blocked in ``region``. rule: a rule's metric name. Default: ``ALL`` (the whole ACL)."""
        return self._metric("BlockedRequests", region, rule)


@dataclass(frozen=True)
class CanaryMetrics:
    """CloudWatchSynthetics metrics of the API canary, and how its alarm counts failed runs.

    canary_name: the canary's name (``CanaryName`` dimension).
    run_interval_seconds: the canary's schedule; each run is one alarm period, so "2 evaluation
        periods" means "2 runs". Default: 300 s (every 5 minutes).
    consecutive_failed_runs: runs below 100 % success before the canary alarm fires (config
        ``canary.alarm_consecutive_failed_runs``). Required: no default.
    runs_continuously: the canary runs around the clock (a ``rate()`` schedule). False on a business-hours
        schedule, where a period without a run is a night, not an outage. Default: True.
    """

    canary_name: str
    run_interval_seconds: int = FIVE_MINUTES
    consecutive_failed_runs: int = field(kw_only=True)
    runs_continuously: bool = field(default=True, kw_only=True)

    def _metric(self, name: str, id: str) -> Metric:
        return Metric(
            "CloudWatchSynthetics", name, "Average", {"CanaryName": self.canary_name}, self.run_interval_seconds, id
        )

    def success_percent(self) -> Metric:
        return self._metric("SuccessPercent", "success")

    def duration(self) -> Metric:
        """Run duration in ms."""
        return self._metric("Duration", "duration")


@dataclass(frozen=True)
class BillingMetrics:
    """AWS/Billing metrics (published in us-east-1 only, and only with billing alerts enabled).

    currency: the ``Currency`` dimension. Default: ``USD``.
    """

    currency: str = "USD"

    def estimated_charges(self) -> Metric:
        """This month's estimated charges, Maximum over 6 h (the metric is sparse)."""
        return Metric(
            "AWS/Billing", "EstimatedCharges", "Maximum", {"Currency": self.currency}, BILLING_PERIOD_SECONDS, "charges"
        )


def metric_from_query(query: MetricQuery) -> Metric:
    """An environment's ``MetricQuery`` (``extra_alarms``, ``extra_widgets``) as a catalogue metric."""
    return Metric(query.namespace, query.metric_name, query.statistic, dict(query.dimensions), query.period_seconds)


def _id(metric_name: str) -> str:
    """A metric-math id from a metric name: ``ConcurrentExecutions`` -> ``concurrent_executions``."""
    out = "".join(f"_{c.lower()}" if c.isupper() else c for c in metric_name)
    return out.lstrip("_")
