"""The CloudWatch dashboard, built from typed widget objects (never hand-written JSON).

Layout (24-column grid, the seed's 2x2 on top)::

    y=0   | API Gateway (12x6)          | Lambda (12x6)            |
    y=6   | DynamoDB (12x6)             | SQS (12x6)               |
    y=12  | WAF (12x6, if a web ACL)    | Canary (12x6, if one)    |
    y=18  | Alarm status (24x6)                                    |

:class:`DashboardBody` checks at construction that every widget fits the grid and that no two
overlap; :class:`Dashboard` additionally checks that every metric dimension value is one of the
stack's real resources (from ``ServiceRefs``, the WAF and the canary), so a typo'd or stale name
fails the synth instead of drawing an empty graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from constructs import Construct

from environments.config.base import ConfigError
from modules.core.naming import Naming
from modules.core.refs import ServiceRefs
from modules.monitoring.alarm_factory import check_statistic
from modules.monitoring.alarms import CanaryMetrics, WafMetrics, api_dims, lambda_dims

GRID_COLUMNS = 24
#: CloudWatch's alarm status widget shows at most 100 alarms.
MAX_STATUS_ALARMS = 100


class DashboardError(ConfigError):
    """An invalid widget: ``widget '<title>': <field>: got <value>; allowed: <allowed>``."""

    def __init__(self, widget: str, field: str, value: object, allowed: str) -> None:
        super().__init__(f"widget {widget!r}: {field}", value, allowed)


@dataclass(frozen=True)
class GraphMetric:
    """One line on a graph: a metric, its statistic, a label and the axis it is drawn on."""

    namespace: str
    metric_name: str
    statistic: str
    label: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    right_axis: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "dimensions", MappingProxyType(dict(self.dimensions)))
        check_statistic(self.label, "statistic", self.statistic, in_math=False)

    def to_json(self) -> list[Any]:
        options: dict[str, Any] = {"stat": self.statistic, "label": self.label}
        if self.right_axis:
            options["yAxis"] = "right"
        pairs = [item for pair in self.dimensions.items() for item in pair]
        return [self.namespace, self.metric_name, *pairs, options]


@dataclass(frozen=True)
class Placement:
    """Where a widget sits: column ``x`` (0-23), row ``y``, and its size in grid units."""

    x: int
    y: int
    width: int
    height: int = 6


@dataclass(frozen=True)
class GraphWidget:
    """A time-series graph of ``metrics``. period_seconds: aggregation period. Default: 300 s."""

    title: str
    placement: Placement
    region: str
    metrics: tuple[GraphMetric, ...]
    period_seconds: int = 300

    def validate(self) -> None:
        if not self.metrics:
            raise DashboardError(self.title, "metrics", self.metrics, "at least one metric")

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "metric",
            **_position(self.placement),
            "properties": {
                "title": self.title,
                "view": "timeSeries",
                "stacked": False,
                "region": self.region,
                "period": self.period_seconds,
                "metrics": [m.to_json() for m in self.metrics],
            },
        }


@dataclass(frozen=True)
class AlarmStatusWidget:
    """The state of ``alarm_arns`` at a glance (CloudWatch's alarm status widget)."""

    title: str
    placement: Placement
    alarm_arns: tuple[str, ...]

    def validate(self) -> None:
        if not 1 <= len(self.alarm_arns) <= MAX_STATUS_ALARMS:
            raise DashboardError(self.title, "alarm_arns", len(self.alarm_arns), f"1 to {MAX_STATUS_ALARMS} alarms")

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "alarm",
            **_position(self.placement),
            "properties": {"title": self.title, "alarms": list(self.alarm_arns), "sortBy": "stateUpdatedTimestamp"},
        }


@dataclass(frozen=True)
class TextWidget:
    """Markdown text."""

    title: str
    placement: Placement
    markdown: str

    def validate(self) -> None:
        if not self.markdown:
            raise DashboardError(self.title, "markdown", self.markdown, "non-empty text")

    def to_json(self) -> dict[str, Any]:
        return {"type": "text", **_position(self.placement), "properties": {"markdown": self.markdown}}


Widget = GraphWidget | AlarmStatusWidget | TextWidget


@dataclass(frozen=True)
class DashboardBody:
    """The widgets of one dashboard, checked against the 24-column grid."""

    widgets: tuple[Widget, ...]

    def __post_init__(self) -> None:
        occupied: dict[tuple[int, int], str] = {}
        for widget in self.widgets:
            p = widget.placement
            if not 1 <= p.width <= GRID_COLUMNS:
                raise DashboardError(widget.title, "width", p.width, f"1 to {GRID_COLUMNS} columns")
            if p.x < 0 or p.x + p.width > GRID_COLUMNS:
                raise DashboardError(
                    widget.title, "x", p.x, f"0 to {GRID_COLUMNS - p.width} so that x + width <= {GRID_COLUMNS}"
                )
            if p.y < 0 or not 1 <= p.height <= 1000:
                raise DashboardError(widget.title, "placement", p, "y >= 0 and a height of 1 to 1000 rows")
            widget.validate()
            for cell in ((x, y) for x in range(p.x, p.x + p.width) for y in range(p.y, p.y + p.height)):
                if cell in occupied:
                    raise DashboardError(widget.title, "placement", p, f"a free area (overlaps {occupied[cell]!r})")
                occupied[cell] = widget.title

    def dimension_values(self) -> set[str]:
        return {
            value
            for widget in self.widgets
            if isinstance(widget, GraphWidget)
            for metric in widget.metrics
            for value in metric.dimensions.values()
        }

    def to_json(self) -> str:
        return json.dumps({"widgets": [w.to_json() for w in self.widgets]}, separators=(",", ":"))


def _position(p: Placement) -> dict[str, int]:
    return {"x": p.x, "y": p.y, "width": p.width, "height": p.height}


def seed_layout(
    refs: ServiceRefs,
    *,
    region: str,
    alarm_arns: Iterable[str] = (),
    waf: WafMetrics | None = None,
    canary: CanaryMetrics | None = None,
) -> DashboardBody:
    """The seed's 2x2 dashboard, then WAF and canary rows, then the alarm status widget."""
    api = api_dims(refs)

    def api_metric(name: str, stat: str, label: str, right: bool = False) -> GraphMetric:
        return GraphMetric("AWS/ApiGateway", name, stat, label, api, right)

    lambda_metrics: list[GraphMetric] = []
    for function in refs.functions:
        dims = lambda_dims(function)
        role = function.role
        lambda_metrics += [
            GraphMetric("AWS/Lambda", "Invocations", "Sum", f"{role} invocations", dims),
            GraphMetric("AWS/Lambda", "Errors", "Sum", f"{role} errors", dims),
            GraphMetric("AWS/Lambda", "Throttles", "Sum", f"{role} throttles", dims),
            GraphMetric("AWS/Lambda", "ConcurrentExecutions", "Maximum", f"{role} concurrent", dims),
            GraphMetric("AWS/Lambda", "Duration", "p50", f"{role} duration p50 (ms)", dims, True),
            GraphMetric("AWS/Lambda", "Duration", "p95", f"{role} duration p95 (ms)", dims, True),
        ]
    table_metrics: list[GraphMetric] = []
    for table in refs.tables:
        dims = {"TableName": table.name}
        table_metrics += [
            GraphMetric("AWS/DynamoDB", "ConsumedReadCapacityUnits", "Sum", f"{table.role} read units", dims),
            GraphMetric("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "Sum", f"{table.role} write units", dims),
            GraphMetric("AWS/DynamoDB", "ReadThrottleEvents", "Sum", f"{table.role} read throttles", dims, True),
            GraphMetric("AWS/DynamoDB", "WriteThrottleEvents", "Sum", f"{table.role} write throttles", dims, True),
        ]
    queue_metrics: list[GraphMetric] = []
    for queue in refs.queues:
        dims = {"QueueName": queue.name}
        queue_metrics += [
            GraphMetric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", f"{queue.role} visible", dims),
            GraphMetric("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", f"{queue.role} oldest (s)", dims, True),
        ]
    widgets: list[Widget] = [
        GraphWidget(
            "API Gateway",
            Placement(0, 0, 12),
            region,
            (
                api_metric("Count", "Sum", "requests"),
                api_metric("4XXError", "Sum", "4XX"),
                api_metric("5XXError", "Sum", "5XX"),
                api_metric("Latency", "p50", "latency p50 (ms)", True),
                api_metric("Latency", "p95", "latency p95 (ms)", True),
                api_metric("IntegrationLatency", "p95", "integration latency p95 (ms)", True),
            ),
        ),
        _graph_or_note("Lambda", Placement(12, 0, 12), region, lambda_metrics),
        _graph_or_note("DynamoDB", Placement(0, 6, 12), region, table_metrics),
        _graph_or_note("SQS", Placement(12, 6, 12), region, queue_metrics),
    ]
    row = 12
    if waf is not None or canary is not None:
        if waf is not None:
            waf_metrics = [
                GraphMetric("AWS/WAFV2", name, "Sum", f"{label} (all rules)", _waf_dims(waf, region, "ALL"))
                for name, label in (("AllowedRequests", "allowed"), ("BlockedRequests", "blocked"))
            ]
            waf_metrics += [
                GraphMetric("AWS/WAFV2", "BlockedRequests", "Sum", f"blocked by {rule}", _waf_dims(waf, region, rule))
                for rule in waf.rule_metric_names
            ]
            widgets.append(GraphWidget("WAF", Placement(0, row, 12), region, tuple(waf_metrics)))
        if canary is not None:
            dims = {"CanaryName": canary.canary_name}
            widgets.append(
                GraphWidget(
                    "Canary",
                    Placement(12, row, 12),
                    region,
                    (
                        GraphMetric("CloudWatchSynthetics", "SuccessPercent", "Average", "success (%)", dims),
                        GraphMetric("CloudWatchSynthetics", "Duration", "Average", "duration (ms)", dims, True),
                    ),
                    period_seconds=canary.run_interval_seconds,
                )
            )
        row += 6
    arns = tuple(alarm_arns)
    if arns:
        widgets.append(AlarmStatusWidget("Alarms", Placement(0, row, 24), arns))
    return DashboardBody(tuple(widgets))


def _waf_dims(waf: WafMetrics, region: str, rule: str) -> dict[str, str]:
    return {"WebACL": waf.web_acl_name, "Region": region, "Rule": rule}


def _graph_or_note(title: str, placement: Placement, region: str, metrics: list[GraphMetric]) -> Widget:
    if metrics:
        return GraphWidget(title, placement, region, tuple(metrics))
    return TextWidget(title, placement, f"### {title}\nNo {title} resources in this stack's ServiceRefs.")


def known_dimension_values(
    refs: ServiceRefs, *, region: str, waf: WafMetrics | None, canary: CanaryMetrics | None
) -> set[str]:
    """Every dimension value a widget may use: the stack's real resources."""
    values = {refs.api.name, refs.api.stage_name, region, "ALL"}
    values |= {f.function_name for f in refs.functions} | {t.name for t in refs.tables} | {q.name for q in refs.queues}
    if waf is not None:
        values |= {waf.web_acl_name, *waf.rule_metric_names}
    if canary is not None:
        values.add(canary.canary_name)
    return values


class Dashboard(Construct):
    """The environment's CloudWatch dashboard, ``<prefix>-overview``.

    refs: the API's resources (metric dimensions). region: the stack's region (widgets need it).
    alarm_arns: alarms for the status widget. Default: none (no status widget).
    waf, canary: add the WAF and canary row when given. Default: no row.

    Attributes: ``body`` (the typed DashboardBody), ``dashboard`` (the resource), ``name``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        naming: Naming,
        refs: ServiceRefs,
        region: str,
        alarm_arns: Iterable[str] = (),
        waf: WafMetrics | None = None,
        canary: CanaryMetrics | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.body = seed_layout(refs, region=region, alarm_arns=alarm_arns, waf=waf, canary=canary)
        allowed = known_dimension_values(refs, region=region, waf=waf, canary=canary)
        unknown = self.body.dimension_values() - allowed
        if unknown:
            raise DashboardError("dashboard", "dimension values", sorted(unknown), "names of this stack's resources")
        self.name = naming.name("overview")
        self.dashboard = CloudwatchDashboard(
            self, "dashboard", dashboard_name=self.name, dashboard_body=self.body.to_json()
        )
