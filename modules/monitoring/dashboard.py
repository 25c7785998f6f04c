"""The CloudWatch dashboard, built from typed widget objects (never hand-written JSON).

Layout (24-column grid, the seed's 2x2 on top)::

    y=0   | API Gateway (12x6)          | Lambda (12x6)            |
    y=6   | DynamoDB (12x6)             | SQS (12x6)               |
    y=12  | API error rate % (12x6)     | Lambda error rate % (12x6) |
    y=18  | WAF (12x6, if a web ACL)    | Canary (12x6, if one)    |
    y=24  | Authorizer decisions (24x6, from its decision log)     |
    y=30  | Alarm status (24x6)                                    |
    y=36  | the environment's ``monitoring.extra_widgets``, left to right, wrapping at 24 columns |

Each alarmed metric's graph carries the alarm's threshold as a horizontal annotation.
Every line on a graph is a catalogue metric (``modules.monitoring.metrics``) with display options
(:class:`GraphLine`): the dashboard and the alarms read the same metric definitions.

:class:`DashboardBody` checks at construction that every widget fits the grid and that no two
overlap; :class:`Dashboard` additionally checks that every metric dimension value is one of the
stack's real resources (from ``ServiceRefs``, the WAF and the canary), so a typo'd or stale name
fails the synth instead of drawing an empty graph.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from constructs import Construct

from environments.config.base import ConfigError
from environments.config.monitoring import AlarmThresholds
from modules.core.naming import Naming
from modules.core.refs import ServiceRefs
from modules.monitoring.alarm_factory import Metric, check_statistic
from modules.monitoring.log_metrics import AUTHORIZER_OUTCOMES, AUTHORIZER_ROLE, LogMetrics
from modules.monitoring.metrics import (
    ApiGatewayMetrics,
    CanaryMetrics,
    DynamoDbMetrics,
    LambdaMetrics,
    SqsMetrics,
    WafMetrics,
    metric_from_query,
)

if TYPE_CHECKING:
    from environments.config.extensions import ExtraWidget

GRID_COLUMNS = 24
#: CloudWatch's alarm status widget shows at most 100 alarms.
MAX_STATUS_ALARMS = 100
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class DashboardError(ConfigError):
    """An invalid widget: ``widget '<title>': <field>: got <value>; allowed: <allowed>``."""

    def __init__(self, widget: str, field: str, value: object, allowed: str) -> None:
        super().__init__(f"widget {widget!r}: {field}", value, allowed)


@dataclass(frozen=True)
class GraphLine:
    """One line on a graph: a catalogue :class:`Metric` plus how it is drawn.

    The metric's statistic is drawn; its period is the widget's unless ``period_seconds`` is set.

    label: the legend text.
    right_axis: draw on the right y axis (milliseconds next to counts). Default: the left axis.
    color: ``#rrggbb``. Default: CloudWatch picks one from its palette.
    period_seconds: this line's aggregation period. Default: the widget's period.
    id: the line's id for an :class:`ExpressionLine` of the same widget. Default: none.
    visible: draw the line (off: only an expression reads it). Default: on.
    """

    metric: Metric
    label: str
    right_axis: bool = False
    color: str | None = None
    period_seconds: int | None = None
    id: str | None = None
    visible: bool = True

    def __post_init__(self) -> None:
        check_statistic(self.label, "statistic", self.metric.statistic, in_math=False)
        if self.color is not None and _COLOR.fullmatch(self.color) is None:
            raise DashboardError(self.label, "color", self.color, "a #rrggbb colour such as #d62728")

    @property
    def dimensions(self) -> Mapping[str, str]:
        return self.metric.dimensions

    def to_json(self) -> list[Any]:
        options: dict[str, Any] = {"stat": self.metric.statistic, "label": self.label}
        if self.right_axis:
            options["yAxis"] = "right"
        if self.color is not None:
            options["color"] = self.color
        if self.period_seconds is not None:
            options["period"] = self.period_seconds
        if self.id is not None:
            options["id"] = self.id
        if not self.visible:
            options["visible"] = False
        pairs = [item for pair in self.metric.dimensions.items() for item in pair]
        return [self.metric.namespace, self.metric.metric_name, *pairs, options]


@dataclass(frozen=True)
class ExpressionLine:
    """A metric-math line over the widget's :class:`GraphLine` ids (an error rate next to its counts).
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Dashboard-Body-Structure.html
    """

    expression: str
    label: str
    id: str
    right_axis: bool = False

    @property
    def dimensions(self) -> Mapping[str, str]:
        return {}

    def to_json(self) -> list[Any]:
        options: dict[str, Any] = {"expression": self.expression, "label": self.label, "id": self.id}
        if self.right_axis:
            options["yAxis"] = "right"
        return [options]


@dataclass(frozen=True)
class Annotation:
    """A horizontal line at an alarm's threshold on the graph of the metric it watches."""

    label: str
    value: float
    right_axis: bool = False

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"label": self.label, "value": self.value}
        if self.right_axis:
            result["yAxis"] = "right"
        return result


@dataclass(frozen=True)
class Placement:
    """Where a widget sits: column ``x`` (0-23), row ``y``, and its size in grid units."""

    x: int
    y: int
    width: int
    height: int = 6


@dataclass(frozen=True)
class GraphWidget:
    """A time-series graph of ``metrics``. period_seconds: aggregation period. Default: 300 s.

    annotations: the thresholds of the alarms on these metrics, as horizontal lines. Default: none.
    """

    title: str
    placement: Placement
    region: str
    metrics: tuple[GraphLine | ExpressionLine, ...]
    period_seconds: int = 300
    annotations: tuple[Annotation, ...] = ()

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
                **(
                    {"annotations": {"horizontal": [a.to_json() for a in self.annotations]}} if self.annotations else {}
                ),
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
    log_metrics: LogMetrics | None = None,
    thresholds: AlarmThresholds | None = None,
) -> DashboardBody:
    """The seed's 2x2 dashboard, the error rates, WAF and canary, the authorizer's decisions, the alarm status.

    log_metrics: the decision-log metrics; with an authorizer in ``refs`` they draw its outcomes
    (allow, 401, each deny reason, rate-limited, fail-closed). Default: no decisions row.
    thresholds: the alarm thresholds drawn as annotations on the graphs they watch. Default: the
    defaults of :class:`AlarmThresholds`.
    """
    t = thresholds or AlarmThresholds()
    api = ApiGatewayMetrics(refs.api)
    handlers = [f for f in refs.functions if f.role != AUTHORIZER_ROLE]
    lambda_lines: list[GraphLine] = []
    rate_lines: list[GraphLine | ExpressionLine] = []
    for function in refs.functions:
        fn = LambdaMetrics(function)
        role = function.role
        lambda_lines += [
            GraphLine(fn.invocations(), f"{role} invocations"),
            GraphLine(fn.errors(), f"{role} errors"),
            GraphLine(fn.throttles(), f"{role} throttles"),
            GraphLine(fn.concurrent_executions(), f"{role} concurrent"),
            GraphLine(fn.duration("p50"), f"{role} duration p50 (ms)", right_axis=True),
            GraphLine(fn.duration("p99"), f"{role} duration p99 (ms)", right_axis=True),
        ]
    for index, function in enumerate(handlers):
        fn = LambdaMetrics(function)
        rate_lines += [
            GraphLine(fn.errors(), f"{function.role} errors", id=f"errors{index}", visible=False),
            GraphLine(fn.invocations(), f"{function.role} invocations", id=f"calls{index}", visible=False),
            ExpressionLine(f"100 * errors{index} / calls{index}", f"{function.role} errors (%)", f"rate{index}"),
        ]
    table_lines: list[GraphLine] = []
    for table in refs.tables:
        db = DynamoDbMetrics(table)
        table_lines += [
            GraphLine(db.consumed_read_capacity(), f"{table.role} read units"),
            GraphLine(db.consumed_write_capacity(), f"{table.role} write units"),
            GraphLine(db.read_throttle_events(), f"{table.role} read throttles", right_axis=True),
            GraphLine(db.write_throttle_events(), f"{table.role} write throttles", right_axis=True),
        ]
    queue_lines: list[GraphLine] = []
    for queue in refs.queues:
        sqs = SqsMetrics(queue)
        queue_lines += [
            GraphLine(sqs.visible_messages(), f"{queue.role} visible"),
            GraphLine(sqs.oldest_message_age(), f"{queue.role} oldest (s)", right_axis=True),
        ]
    widgets: list[Widget] = [
        GraphWidget(
            "API Gateway",
            Placement(0, 0, 12),
            region,
            (
                GraphLine(api.requests(), "requests"),
                GraphLine(api.client_errors(), "4XX"),
                GraphLine(api.server_errors(), "5XX"),
                GraphLine(api.latency("p50"), "latency p50 (ms)", right_axis=True),
                GraphLine(api.latency("p95"), "latency p95 (ms)", right_axis=True),
                GraphLine(api.integration_latency("p95"), "integration latency p95 (ms)", right_axis=True),
            ),
            annotations=(
                Annotation("api-5xx alarm", t.api_5xx_count),
                Annotation("api-latency-p95 alarm (ms)", t.api_latency_p95_ms, right_axis=True),
            ),
        ),
        _graph_or_note(
            "Lambda",
            Placement(12, 0, 12),
            region,
            lambda_lines,
            (
                Annotation("lambda-throttles alarm", t.lambda_throttles_count),
                Annotation("lambda-duration-p99 alarm (ms)", t.lambda_duration_ms, right_axis=True),
            ),
        ),
        _graph_or_note(
            "DynamoDB",
            Placement(0, 6, 12),
            region,
            table_lines,
            (Annotation("dynamodb-throttles alarm", t.dynamodb_throttled_requests_count, right_axis=True),),
        ),
        _graph_or_note(
            "SQS",
            Placement(12, 6, 12),
            region,
            queue_lines,
            (
                Annotation("sqs-dlq-depth alarm", t.dlq_depth_count),
                Annotation("sqs-oldest-message-age alarm (s)", t.sqs_oldest_message_age_seconds, right_axis=True),
            ),
        ),
        # The seed's "Error Rate": rates (metric math) next to the counts above.
        GraphWidget(
            "API Gateway error rate (%)",
            Placement(0, 12, 12),
            region,
            (
                GraphLine(api.requests(), "requests", id="requests", visible=False),
                GraphLine(api.client_errors(), "4XX", id="client_errors", visible=False),
                GraphLine(api.server_errors(), "5XX", id="server_errors", visible=False),
                ExpressionLine("100 * client_errors / requests", "4XX (% of requests)", "rate4xx"),
                ExpressionLine("100 * server_errors / requests", "5XX (% of requests)", "rate5xx"),
            ),
            annotations=(Annotation("api-4xx-rate alarm", t.api_4xx_rate_percent),),
        ),
        _graph_or_note(
            "Lambda error rate (%)",
            Placement(12, 12, 12),
            region,
            rate_lines,
            (Annotation("lambda-error-rate alarm", t.lambda_error_rate_percent),),
        ),
    ]
    row = 18
    if waf is not None or canary is not None:
        if waf is not None:
            waf_lines = [
                GraphLine(waf.allowed_requests(region=region), "allowed (all rules)"),
                GraphLine(waf.blocked_requests(region=region), "blocked (all rules)"),
            ]
            waf_lines += [
                GraphLine(waf.blocked_requests(region=region, rule=rule), f"blocked by {rule}")
                for rule in waf.rule_metric_names
            ]
            annotation = Annotation("waf-blocked-spike alarm", t.waf_blocked_requests_count)
            widgets.append(
                GraphWidget("WAF", Placement(0, row, 12), region, tuple(waf_lines), annotations=(annotation,))
            )
        if canary is not None:
            widgets.append(
                GraphWidget(
                    "Canary",
                    Placement(12, row, 12),
                    region,
                    (
                        GraphLine(canary.success_percent(), "success (%)"),
                        GraphLine(canary.duration(), "duration (ms)", right_axis=True),
                    ),
                    period_seconds=canary.run_interval_seconds,
                    annotations=(Annotation("canary-success alarm (%)", 100),),
                )
            )
        row += 6
    if log_metrics is not None and any(f.role == AUTHORIZER_ROLE for f in refs.functions):
        outcome_lines = tuple(
            GraphLine(log_metrics.outcome(o.key), o.key, right_axis=o.key == "allow") for o in AUTHORIZER_OUTCOMES
        )
        annotation = Annotation("authorizer-fail-closed alarm", t.authorizer_fail_closed_count)
        widgets.append(
            GraphWidget("Authorizer decisions", Placement(0, row, 24), region, outcome_lines, annotations=(annotation,))
        )
        row += 6
    arns = tuple(alarm_arns)
    if arns:
        widgets.append(AlarmStatusWidget("Alarms", Placement(0, row, 24), arns))
    return DashboardBody(tuple(widgets))


def extra_widgets_layout(extras: Sequence[ExtraWidget], *, region: str, below_row: int) -> tuple[GraphWidget, ...]:
    """An environment's ``monitoring.extra_widgets`` as graphs under the built-in widgets.

    Placed in order, left to right from row ``below_row``, starting a new row when the next widget
    does not fit in the 24 columns. A widget's period is its first metric's; a metric with another
    period keeps its own (``GraphLine.period_seconds``).
    """
    placed: list[GraphWidget] = []
    x, y, row_height = 0, below_row, 0
    for extra in extras:
        if x > 0 and x + extra.width > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        period = extra.metrics[0].period_seconds if extra.metrics else 300
        lines = tuple(
            GraphLine(
                metric_from_query(query),
                query.label or query.metric_name,
                period_seconds=None if query.period_seconds == period else query.period_seconds,
            )
            for query in extra.metrics
        )
        placed.append(GraphWidget(extra.title, Placement(x, y, extra.width, extra.height), region, lines, period))
        x += extra.width
        row_height = max(row_height, extra.height)
    return tuple(placed)


def _bottom(body: DashboardBody) -> int:
    return max((w.placement.y + w.placement.height for w in body.widgets), default=0)


def _graph_or_note(
    title: str,
    placement: Placement,
    region: str,
    lines: Sequence[GraphLine | ExpressionLine],
    annotations: tuple[Annotation, ...] = (),
) -> Widget:
    if lines:
        return GraphWidget(title, placement, region, tuple(lines), annotations=annotations)
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
    log_metrics: add the authorizer's decisions (from its log) when given. Default: no row.
    extra_widgets: the environment's own graphs (config ``monitoring.extra_widgets``), placed under
        the built-in widgets. Their dimensions are not checked against the stack's resources: they
        may chart any metric (an application's custom namespace). Default: none.

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
        extra_widgets: Sequence[ExtraWidget] = (),
        log_metrics: LogMetrics | None = None,
        thresholds: AlarmThresholds | None = None,
    ) -> None:
        super().__init__(scope, id)
        built_in = seed_layout(
            refs,
            region=region,
            alarm_arns=alarm_arns,
            waf=waf,
            canary=canary,
            log_metrics=log_metrics,
            thresholds=thresholds,
        )
        allowed = known_dimension_values(refs, region=region, waf=waf, canary=canary)
        unknown = built_in.dimension_values() - allowed
        if unknown:
            raise DashboardError("dashboard", "dimension values", sorted(unknown), "names of this stack's resources")
        extras = extra_widgets_layout(extra_widgets, region=region, below_row=_bottom(built_in))
        self.body = DashboardBody((*built_in.widgets, *extras)) if extras else built_in
        self.name = naming.name("overview")
        self.dashboard = CloudwatchDashboard(
            self, "dashboard", dashboard_name=self.name, dashboard_body=self.body.to_json()
        )
