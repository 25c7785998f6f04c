"""Metrics from log lines: the authorizer's decisions and the handlers' 5xx causes.

Every function logs JSON through Lambda's logging configuration (``modules/api/function.py``), so
the ``extra`` fields of a log call are top-level JSON fields that a metric filter selects:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#metric-filters-extract-json

* The authorizer logs one line per decision: ``{"decision": D, "reason": R, "key_id": K, ...}``.
  One filter per outcome (allow, unauthorized, each deny reason, rate_limited, fail_closed) counts
  it as ``Authorizer<Outcome>`` in the environment's namespace. The CRITICAL authorizer alarm
  reads ``AuthorizerFailClosed`` only: a 401 (no key) or a deny is the authorizer working.
* A handler that answers 5xx logs ``{"event": "server_error", "status": S, "cause": C}``; one filter
  per handler counts it as ``ServerErrors`` with the ``Cause`` dimension (the exception class).

Metric filters, not Embedded Metric Format, by cost: a filter is free and reads lines the functions
write anyway, while EMF adds a ``_aws`` metadata block (~200 bytes) to every line, paid as log
ingestion ($0.50/GB), and needs the metric definitions in the function code. Both bill the custom
metrics the same ($0.30 per metric-month, prorated by the hour, only in hours with data):
https://aws.amazon.com/cloudwatch/pricing/ . A filter publishes only when a line matches (no
``default_value``), so a quiet outcome costs nothing and an alarm on it sees "no data", which its
``treat_missing_data`` turns into OK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from constructs import Construct

from modules.core.refs import FunctionRef, ServiceRefs
from modules.monitoring.alarm_factory import Metric
from modules.monitoring.metrics import FIVE_MINUTES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from modules.core.naming import Naming

__all__ = [
    "AUTHORIZER_OUTCOMES",
    "AUTHORIZER_ROLE",
    "AuthorizerOutcome",
    "LogMetricFilters",
    "LogMetrics",
    "log_group_name",
    "namespace",
]

#: The function role whose decision log is counted (``ServiceRefs``); its Lambda Errors include 401s.
AUTHORIZER_ROLE = "authorizer"


@dataclass(frozen=True)
class AuthorizerOutcome:
    """One counted outcome of the decision log: a decision, optionally narrowed to one reason."""

    key: str
    metric_name: str
    decision: str
    reason: str | None = None

    @property
    def pattern(self) -> str:
        if self.reason is None:
            return f'{{ $.decision = "{self.decision}" }}'
        return f'{{ ($.decision = "{self.decision}") && ($.reason = "{self.reason}") }}'


#: The decision log: every decision and each deny reason. fail_closed counts whatever its reason.
AUTHORIZER_OUTCOMES: tuple[AuthorizerOutcome, ...] = (
    AuthorizerOutcome("allow", "AuthorizerAllow", "allow"),
    AuthorizerOutcome("unauthorized", "AuthorizerUnauthorized", "unauthorized"),
    AuthorizerOutcome("deny-malformed-key", "AuthorizerDenyMalformedKey", "deny", "malformed_key"),
    AuthorizerOutcome("deny-unknown-key", "AuthorizerDenyUnknownKey", "deny", "unknown_key"),
    AuthorizerOutcome("deny-disabled-key", "AuthorizerDenyDisabledKey", "deny", "disabled_key"),
    AuthorizerOutcome("deny-expired-key", "AuthorizerDenyExpiredKey", "deny", "expired_key"),
    AuthorizerOutcome("deny-no-quota", "AuthorizerDenyNoQuota", "deny", "no_quota"),
    AuthorizerOutcome("rate-limited", "AuthorizerRateLimited", "rate_limited"),
    AuthorizerOutcome("fail-closed", "AuthorizerFailClosed", "fail_closed"),
)
SERVER_ERROR_PATTERN = '{ $.event = "server_error" }'
SERVER_ERRORS_METRIC = "ServerErrors"


def namespace(naming: Naming) -> str:
    """The environment's custom-metric namespace: ``AgenticAI/<prefix>``."""
    return f"AgenticAI/{naming.prefix}"


def log_group_name(function: FunctionRef) -> str:
    """Lambda's log group of a function (the one ``PythonFunction`` creates and ``logging_config`` names)."""
    return f"/aws/lambda/{function.function_name}"


@dataclass(frozen=True)
class LogMetrics:
    """The catalogue of log-derived metrics of one environment (alarms and the dashboard read these).

    namespace: the environment's namespace (:func:`namespace`).
    period_seconds: aggregation period. Default: 300 s.
    """

    namespace: str
    period_seconds: int = FIVE_MINUTES
    _ids: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({o.metric_name: o.key.replace("-", "_") for o in AUTHORIZER_OUTCOMES})
    )

    def outcome(self, key: str) -> Metric:
        """The count of one authorizer outcome (``fail-closed``, ``deny-unknown-key``...) per period."""
        for outcome in AUTHORIZER_OUTCOMES:
            if outcome.key == key:
                return Metric(
                    self.namespace, outcome.metric_name, "Sum", {}, self.period_seconds, self._ids[outcome.metric_name]
                )
        allowed = ", ".join(o.key for o in AUTHORIZER_OUTCOMES)
        raise KeyError(f"authorizer outcome: got {key!r}; allowed: {allowed}")

    def outcomes(self) -> tuple[Metric, ...]:
        return tuple(self.outcome(o.key) for o in AUTHORIZER_OUTCOMES)

    def fail_closed(self) -> Metric:
        return self.outcome("fail-closed")


class LogMetricFilters(Construct):
    """The metric filters of one environment: the authorizer's outcomes and each handler's 5xx causes.

    Attributes: ``filters`` (filter key -> resource), ``metrics`` (the :class:`LogMetrics`),
    ``has_authorizer`` (False when ``refs`` has no authorizer: no decision filters, no fail-closed alarm).
    """

    def __init__(self, scope: Construct, id: str, *, naming: Naming, refs: ServiceRefs) -> None:
        super().__init__(scope, id)
        self.metrics = LogMetrics(namespace(naming))
        self.filters: dict[str, CloudwatchLogMetricFilter] = {}
        self.has_authorizer = False
        for function in refs.functions:
            group = log_group_name(function)
            if function.role == AUTHORIZER_ROLE:
                self.has_authorizer = True
                for outcome in AUTHORIZER_OUTCOMES:
                    self._filter(f"authorizer-{outcome.key}", group, outcome.pattern, outcome.metric_name)
            else:
                role = function.role.replace("_", "-").lower()
                self._filter(
                    f"server-errors-{role}", group, SERVER_ERROR_PATTERN, SERVER_ERRORS_METRIC, {"Cause": "$.cause"}
                )

    def _filter(
        self, key: str, group: str, pattern: str, metric_name: str, dimensions: dict[str, str] | None = None
    ) -> None:
        self.filters[key] = CloudwatchLogMetricFilter(
            self,
            key,
            name=key,
            log_group_name=group,
            pattern=pattern,
            metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                name=metric_name,
                namespace=self.metrics.namespace,
                value="1",
                unit="Count",
                dimensions=dimensions,
            ),
        )
