"""Alarms as data: typed alarm specs, and the one factory that turns them into CloudWatch alarms.

An :class:`AlarmSpec` says *what* to watch (a :class:`Metric` or a :class:`MathExpression`),
the threshold, the window and what an operator should check first. :class:`AlarmFactory` is
the only place that creates ``aws_cloudwatch_metric_alarm`` and ``aws_cloudwatch_composite_alarm``
resources, so naming (environment prefix), the description with its runbook link,
``actions_enabled`` and the alarm/OK actions are decided once. ``treat_missing_data`` has no
default: every spec chooses it deliberately.

Specs validate themselves at construction; an :class:`AlarmSpecError` names the alarm, the field,
the value received and the values allowed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.cloudwatch_composite_alarm import CloudwatchCompositeAlarm
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

from environments.config.base import ConfigError
from environments.config.monitoring import MAX_ALARM_WINDOW_SECONDS, Severity
from modules.core.naming import MAX_LENGTHS, Naming

#: The statistics CloudWatch names; percentiles (``p99``, ``p99.9``) are accepted too.
STATISTICS: tuple[str, ...] = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"p(\d{1,2}(\.\d{1,2})?|100)")
#: Extended statistics allowed inside metric math (percentile rank, trimmed count/mean...).
_EXTENDED_MATH_STAT = re.compile(r"(PR|TC|TM|TS|WM|IQM)\(\s*[\d.]*\s*:\s*[\d.]*\s*\)|IQM")
ALARM_NAME_LIMIT = MAX_LENGTHS["alarm"]
DESCRIPTION_LIMIT = 1024
#: In the description of an alarm without actions (an SLO window whose composite alarm notifies).
SILENT_MARKER = "Actions: none by design."
#: A metric alarm may read at most 10 metrics in its metric math.
MAX_MATH_METRICS = 10
#: At most three first checks per alarm: the runbook section stays short enough to read during an incident.
MAX_CHECKS = 3
_KEY = re.compile(r"[a-z0-9][a-z0-9-]*")
_QUERY_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")


class AlarmSpecError(ConfigError):
    """An invalid alarm spec: ``alarm '<key>': <field>: got <value>; allowed: <allowed>``."""

    def __init__(self, alarm: str, field: str, value: object, allowed: str) -> None:
        self.alarm = alarm
        super().__init__(f"alarm {alarm!r}: {field}", value, allowed)


class ComparisonOperator(enum.Enum):
    GREATER_THAN = "GreaterThanThreshold"
    GREATER_THAN_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    LESS_THAN = "LessThanThreshold"
    LESS_THAN_OR_EQUAL = "LessThanOrEqualToThreshold"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @classmethod
    def from_symbol(cls, symbol: str) -> ComparisonOperator:
        """``">="`` -> ``GREATER_THAN_OR_EQUAL`` (the form environment files use)."""
        for operator, text in _SYMBOLS.items():
            if text == symbol:
                return operator
        raise ValueError(f"comparison: got {symbol!r}; allowed: {', '.join(_SYMBOLS.values())}")


_SYMBOLS = {
    ComparisonOperator.GREATER_THAN: ">",
    ComparisonOperator.GREATER_THAN_OR_EQUAL: ">=",
    ComparisonOperator.LESS_THAN: "<",
    ComparisonOperator.LESS_THAN_OR_EQUAL: "<=",
}


class TreatMissingData(enum.Enum):
    """What a period without data means. Chosen per alarm, never defaulted."""

    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"
    IGNORE = "ignore"
    MISSING = "missing"


def check_statistic(alarm: str, field_: str, value: object, *, in_math: bool) -> None:
    ok = isinstance(value, str) and (
        value in STATISTICS or _PERCENTILE.fullmatch(value) or (in_math and _EXTENDED_MATH_STAT.fullmatch(value))
    )
    if not ok:
        extra = ", PR(:n) and other extended statistics in metric math" if in_math else ""
        raise AlarmSpecError(alarm, field_, value, f"one of {', '.join(STATISTICS)}, or a percentile like p99{extra}")


def _check_period(alarm: str, field_: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (value in (10, 30) or (value >= 60 and value % 60 == 0))
    ):
        raise AlarmSpecError(alarm, field_, value, "10, 30, or a multiple of 60 seconds")
    if value > MAX_ALARM_WINDOW_SECONDS:
        raise AlarmSpecError(alarm, field_, value, f"at most {MAX_ALARM_WINDOW_SECONDS} seconds")


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric and how to aggregate it: the one metric type of alarms and graphs.

    Build them from the catalogue (``modules.monitoring.metrics``), not by hand, so each metric's
    namespace, name and dimensions are written once.

    dimensions: dimension name -> value (a literal or a Terraform reference from ``ServiceRefs``).
    statistic: ``Sum``, ``Average``, ``Maximum``... or a percentile such as ``p95``.
    period_seconds: aggregation period. Default: 300 s (the seed's "5 minutes").
    id: the metric's id inside metric math. Default: ``m1``.
    """

    namespace: str
    metric_name: str
    statistic: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    period_seconds: int = 300
    id: str = "m1"

    def __post_init__(self) -> None:
        object.__setattr__(self, "dimensions", MappingProxyType(dict(self.dimensions)))

    def with_id(self, id: str) -> Metric:
        """The same metric under another metric-math id."""
        return replace(self, id=id)

    def with_period(self, period_seconds: int) -> Metric:
        """The same metric aggregated over another period."""
        return replace(self, period_seconds=period_seconds)

    def validate(self, alarm: str, *, in_math: bool = False) -> None:
        check_statistic(alarm, "statistic", self.statistic, in_math=in_math)
        _check_period(alarm, "period_seconds", self.period_seconds)
        if _QUERY_ID.fullmatch(self.id) is None:
            raise AlarmSpecError(alarm, "metric id", self.id, "a lowercase-initial id such as m1")


@dataclass(frozen=True)
class MathExpression:
    """Metric math over ``metrics``; the alarm compares the expression's value to the threshold.

    expression: e.g. ``100 * errors / invocations``; refers to the metrics by their ``id``.
    label: what the expression measures (shown on the alarm's graph).
    """

    expression: str
    metrics: tuple[Metric, ...]
    label: str

    @property
    def period_seconds(self) -> int:
        return self.metrics[0].period_seconds if self.metrics else 0

    def validate(self, alarm: str) -> None:
        if not self.metrics:
            raise AlarmSpecError(alarm, "metrics", self.metrics, "at least one metric")
        if len(self.metrics) > MAX_MATH_METRICS:
            raise AlarmSpecError(alarm, "metrics", len(self.metrics), f"at most {MAX_MATH_METRICS} metrics")
        ids = [m.id for m in self.metrics]
        if len(set(ids)) != len(ids):
            raise AlarmSpecError(alarm, "metric ids", tuple(ids), "distinct ids")
        for metric in self.metrics:
            metric.validate(alarm, in_math=True)
        periods = sorted({m.period_seconds for m in self.metrics})
        if len(periods) > 1:
            raise AlarmSpecError(alarm, "metric periods", tuple(periods), "one period for every metric of the alarm")
        for found in set(re.findall(r"\b[a-z][a-zA-Z0-9_]*\b", self.expression)) - set(ids):
            if found not in _MATH_FUNCTIONS:
                raise AlarmSpecError(alarm, "expression", self.expression, f"ids from {', '.join(ids)} ({found!r})")


_MATH_FUNCTIONS = frozenset({"e", "pi"})


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm, as data. The factory adds name prefix, description, runbook link and actions.

    key: stable, environment-independent id (``lambda-error-rate-projects``); the Terraform
        address, the alarm name suffix and the runbook anchor.
    title: one line naming the condition.
    summary: what the alarm means for users of the API (description and runbook).
    severity: routes the alarm to that severity's SNS topic.
    metric: the metric or metric math being compared.
    threshold, comparison: fires when ``value <comparison> threshold``.
    unit: how the threshold reads in the runbook (``%``, ``ms``, ``requests``, ``USD``...).
    evaluation_periods, datapoints_to_alarm: "M of N"; Default: 1 of 1.
    treat_missing_data: required; no default (a deliberate choice per alarm).
    checks: what an operator should check first, in order: three steps for the built-in alarms,
        one action for an environment's ``extra_alarms``.
    notify: send alarm/OK actions. Default: on; SLO windows combined by a composite turn it off.
    """

    key: str
    title: str
    summary: str
    severity: Severity
    metric: Metric | MathExpression
    threshold: float
    comparison: ComparisonOperator
    unit: str
    treat_missing_data: TreatMissingData
    checks: tuple[str, ...]
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    notify: bool = True

    def __post_init__(self) -> None:
        key = self.key
        if not isinstance(key, str) or _KEY.fullmatch(key) is None:
            raise AlarmSpecError(str(key), "key", key, "lowercase letters, digits and hyphens")
        if not isinstance(self.severity, Severity):
            raise AlarmSpecError(key, "severity", self.severity, "a Severity")
        if not isinstance(self.comparison, ComparisonOperator):
            raise AlarmSpecError(key, "comparison", self.comparison, "a ComparisonOperator")
        if not isinstance(self.treat_missing_data, TreatMissingData):
            allowed = ", ".join(f"TreatMissingData.{m.name}" for m in TreatMissingData)
            raise AlarmSpecError(key, "treat_missing_data", self.treat_missing_data, f"one of {allowed}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)) or self.threshold < 0:
            raise AlarmSpecError(key, "threshold", self.threshold, "a number >= 0")
        if isinstance(self.evaluation_periods, bool) or not isinstance(self.evaluation_periods, int):
            raise AlarmSpecError(key, "evaluation_periods", self.evaluation_periods, "an integer >= 1")
        if self.evaluation_periods < 1:
            raise AlarmSpecError(key, "evaluation_periods", self.evaluation_periods, "an integer >= 1")
        if self.datapoints_to_alarm is not None and not (1 <= self.datapoints_to_alarm <= self.evaluation_periods):
            raise AlarmSpecError(
                key,
                "datapoints_to_alarm",
                self.datapoints_to_alarm,
                f"an integer from 1 to evaluation_periods ({self.evaluation_periods})",
            )
        if isinstance(self.metric, (Metric, MathExpression)):
            self.metric.validate(key)
        else:
            raise AlarmSpecError(key, "metric", self.metric, "a Metric or a MathExpression")
        if self.metric.period_seconds * self.evaluation_periods > MAX_ALARM_WINDOW_SECONDS:
            raise AlarmSpecError(
                key,
                "evaluation_periods",
                self.evaluation_periods,
                f"period x evaluation_periods <= {MAX_ALARM_WINDOW_SECONDS} s",
            )
        if not (isinstance(self.checks, tuple) and 1 <= len(self.checks) <= MAX_CHECKS and all(self.checks)):
            raise AlarmSpecError(key, "checks", self.checks, f"a tuple of 1 to {MAX_CHECKS} non-empty strings")

    @property
    def window_seconds(self) -> int:
        return self.metric.period_seconds * self.evaluation_periods

    @property
    def condition(self) -> str:
        """``> 5 %`` style text for descriptions and the runbook."""
        return f"{self.comparison.symbol} {self.threshold:g} {self.unit}".rstrip()


@dataclass(frozen=True)
class CompositeAlarmSpec:
    """Alarms when every alarm in ``all_of`` is in ALARM (multi-window burn rate).

    groups: several such sets, any of which fires the composite (``(A AND B) OR (C AND D)``): one
        composite serves several objectives (fewer alarms). ``all_of`` is then every member.
        Default: none (one group, ``all_of``).
    """

    key: str
    title: str
    summary: str
    severity: Severity
    all_of: tuple[AlarmSpec, ...]
    checks: tuple[str, str, str]
    groups: tuple[tuple[AlarmSpec, ...], ...] = ()

    def __post_init__(self) -> None:
        if _KEY.fullmatch(self.key) is None:
            raise AlarmSpecError(self.key, "key", self.key, "lowercase letters, digits and hyphens")
        if len(self.all_of) < 2:
            raise AlarmSpecError(self.key, "all_of", len(self.all_of), "at least two alarms")
        if self.groups:
            flat = tuple(m for group in self.groups for m in group)
            if flat != self.all_of or any(len(group) < 2 for group in self.groups):
                allowed = "groups of at least two alarms whose members, in order, are all_of"
                raise AlarmSpecError(self.key, "groups", tuple(tuple(m.key for m in g) for g in self.groups), allowed)

    @property
    def rule_groups(self) -> tuple[tuple[AlarmSpec, ...], ...]:
        """The AND-groups of the rule, OR-ed together."""
        return self.groups or (self.all_of,)


@dataclass(frozen=True)
class AlarmTopics:
    """The SNS topic ARN that receives each severity's alarm and OK notifications."""

    by_severity: Mapping[Severity, str]

    def arn(self, severity: Severity) -> str:
        try:
            return self.by_severity[severity]
        except KeyError:
            have = ", ".join(s.name for s in self.by_severity)
            raise KeyError(f"no alert topic for severity {severity.name}; topics exist for {have}") from None


class AlarmFactory(Construct):
    """Creates every CloudWatch alarm of one region from specs; the one place alarm policy lives.

    naming: the environment prefix (alarm name ``<prefix>-<spec.key>``, checked against 255 chars).
    topics: severity -> SNS topic; each alarm sends ALARM and OK to its severity's topic.
    runbook_url: each description ends with ``Runbook: <runbook_url>#<spec.key>``.
    actions_enabled: whether alarms notify (config ``monitoring.actions_enabled``).
    provider: the provider (region) the alarms are created in. Default: the stack's default provider.

    ``self.alarms`` maps spec key -> alarm resource, ``self.specs`` keeps the specs created.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        naming: Naming,
        topics: AlarmTopics,
        runbook_url: str,
        actions_enabled: bool,
        provider: TerraformProvider | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.naming = naming
        self.topics = topics
        self.runbook_url = runbook_url
        self.actions_enabled = actions_enabled
        self.provider = provider
        self.alarms: dict[str, CloudwatchMetricAlarm | CloudwatchCompositeAlarm] = {}
        self.specs: list[AlarmSpec | CompositeAlarmSpec] = []

    def alarm_name(self, key: str) -> str:
        name = f"{self.naming.prefix}-{key}"
        if len(name) > ALARM_NAME_LIMIT:
            raise AlarmSpecError(key, "alarm name", name, f"at most {ALARM_NAME_LIMIT} characters (got {len(name)})")
        return name

    def description(self, spec: AlarmSpec | CompositeAlarmSpec, condition: str) -> str:
        severity = spec.severity.value.upper()
        # Posture checks (scripts/verify_deployment.py) recognise deliberately silent alarms by this marker.
        silent = f" {SILENT_MARKER}" if isinstance(spec, AlarmSpec) and not spec.notify else ""
        text = f"[{severity}] {spec.title}: {condition}. {spec.summary}{silent} Runbook: {self.runbook_url}#{spec.key}"
        if len(text) > DESCRIPTION_LIMIT:
            raise AlarmSpecError(spec.key, "description", len(text), f"at most {DESCRIPTION_LIMIT} characters")
        return text

    def _actions(self, spec: AlarmSpec | CompositeAlarmSpec, notify: bool) -> list[str]:
        return [self.topics.arn(spec.severity)] if notify else []

    def create(self, spec: AlarmSpec) -> CloudwatchMetricAlarm:
        """Create one metric alarm (single metric or metric math) from ``spec``."""
        if spec.key in self.alarms:
            raise AlarmSpecError(spec.key, "key", spec.key, "a key not used by another alarm")
        window = duration_text(spec.window_seconds)
        condition = f"{spec.condition} over {window}"
        if spec.datapoints_to_alarm:
            condition += f" ({spec.datapoints_to_alarm} of {spec.evaluation_periods} periods)"
        actions = self._actions(spec, spec.notify)
        metric = spec.metric
        # One metric: its fields on the alarm. Metric math: metric_query, and the single-metric fields unset.
        single = metric if isinstance(metric, Metric) else None
        percentile = single is not None and _PERCENTILE.fullmatch(single.statistic) is not None
        alarm = CloudwatchMetricAlarm(
            self,
            spec.key,
            alarm_name=self.alarm_name(spec.key),
            alarm_description=self.description(spec, condition),
            comparison_operator=spec.comparison.value,
            threshold=spec.threshold,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=spec.treat_missing_data.value,
            actions_enabled=self.actions_enabled,
            alarm_actions=actions,
            ok_actions=actions,
            provider=self.provider,
            namespace=single.namespace if single else None,
            metric_name=single.metric_name if single else None,
            dimensions=(dict(single.dimensions) or None) if single else None,
            period=single.period_seconds if single else None,
            statistic=single.statistic if single and not percentile else None,
            extended_statistic=single.statistic if single and percentile else None,
            metric_query=_metric_queries(metric) if isinstance(metric, MathExpression) else None,
        )
        self.alarms[spec.key] = alarm
        self.specs.append(spec)
        return alarm

    def create_composite(self, spec: CompositeAlarmSpec) -> CloudwatchCompositeAlarm:
        """Create a composite alarm that fires when every alarm in ``spec.all_of`` is in ALARM."""
        if spec.key in self.alarms:
            raise AlarmSpecError(spec.key, "key", spec.key, "a key not used by another alarm")
        members = []
        for member in spec.all_of:
            if member.key not in self.alarms:
                raise AlarmSpecError(spec.key, "all_of", member.key, "alarms created by this factory first")
            members.append(member)
        ands = [" AND ".join(f'ALARM("{self.alarm_name(m.key)}")' for m in group) for group in spec.rule_groups]
        rule = ands[0] if len(ands) == 1 else " OR ".join(f"({a})" for a in ands)
        condition = " or ".join(
            " and ".join(f"{m.condition} over {duration_text(m.window_seconds)}" for m in group)
            for group in spec.rule_groups
        )
        actions = self._actions(spec, True)
        alarm = CloudwatchCompositeAlarm(
            self,
            spec.key,
            alarm_name=self.alarm_name(spec.key),
            alarm_description=self.description(spec, condition),
            alarm_rule=rule,
            actions_enabled=self.actions_enabled,
            alarm_actions=actions,
            ok_actions=actions,
            provider=self.provider,
            # The rule names alarms by name: make Terraform create them first.
            depends_on=[self.alarms[m.key] for m in members],
        )
        self.alarms[spec.key] = alarm
        self.specs.append(spec)
        return alarm


def _metric_queries(math: MathExpression) -> list[CloudwatchMetricAlarmMetricQuery]:
    """The metrics of ``math`` (not returned) and the expression (the alarm's value)."""
    queries = [
        CloudwatchMetricAlarmMetricQuery(
            id=m.id,
            return_data=False,
            metric=CloudwatchMetricAlarmMetricQueryMetric(
                namespace=m.namespace,
                metric_name=m.metric_name,
                dimensions=dict(m.dimensions) or None,
                period=m.period_seconds,
                stat=m.statistic,
            ),
        )
        for m in math.metrics
    ]
    result = CloudwatchMetricAlarmMetricQuery(id="e1", expression=math.expression, label=math.label, return_data=True)
    return [*queries, result]


def duration_text(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"
