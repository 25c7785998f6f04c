"""Extension points: alarms and dashboard widgets an environment adds beside the built-in catalogue.

An :class:`ExtraAlarm` is declared in ``MonitoringConfig.extra_alarms`` and reaches the alarm
factory, the dashboard and the runbook like a built-in alarm; an :class:`ExtraWidget` in
``MonitoringConfig.extra_widgets`` adds one graph to the dashboard.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from environments.config.base import ConfigError, ConfigModel, InstanceOf, Pattern, Severity, Slug

__all__ = ["ExtraAlarm", "ExtraWidget", "MetricQuery", "Severity"]


DimensionName = Annotated[str, Pattern(r".{1,255}", "a dimension name")]
Dimension = tuple[DimensionName, Annotated[str, Pattern(r".{1,1024}", "a dimension value")]]


class MetricQuery(ConfigModel):
    """One CloudWatch metric with its statistic and period."""

    config_path = "monitoring.metric"
    namespace: Annotated[str, Pattern(r"[^:\s][^:]{0,254}", "a CloudWatch namespace (1-255 characters, no ':')")]
    """The metric's namespace, e.g. ``AWS/Lambda``."""
    metric_name: Annotated[str, Pattern(r"\S.{0,254}", "a CloudWatch metric name (1-255 characters)")]
    """The metric's name, e.g. ``Errors``."""
    dimensions: tuple[Dimension, ...] = ()
    """``(name, value)`` pairs, e.g. ``(("FunctionName", "agenticai-prod-projects"),)``. Default: none."""
    statistic: Annotated[
        str,
        Pattern(
            r"Sum|Average|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d)?",
            "Sum, Average, Minimum, Maximum, SampleCount, or a percentile pNN / pNN.N",
        ),
    ] = "Sum"
    """The statistic. Default: Sum."""
    period_seconds: int = Field(300, ge=60, le=86_400, multiple_of=60)
    """The aggregation period: 60 s or a multiple of 60 s. Default: 300 s."""
    label: str | None = None
    """The legend label. Default: CloudWatch's (the metric name)."""


class ExtraAlarm(ConfigModel):
    """An alarm on any metric, routed, named and documented like the built-in ones."""

    config_path = "monitoring.extra_alarms[]"
    key_field = "key"
    key: Slug
    """The alarm's id: part of its name and its runbook anchor; unique among extra alarms."""
    description: Annotated[str, Pattern(r"\S[\s\S]{0,511}", "a non-empty description")]
    """What the alarm means, shown in the notification."""
    severity: Severity
    """The topic the alarm notifies."""
    metric: InstanceOf[MetricQuery]
    """The metric the alarm watches."""
    comparison: Literal[">", ">=", "<", "<="]
    """How the statistic compares with the threshold."""
    threshold: float
    """The value compared with the statistic (finite)."""
    evaluation_periods: int = Field(1, ge=1, le=100)
    """Periods evaluated. Default: 1."""
    datapoints_to_alarm: int | None = Field(None, ge=1)
    """Breaching periods among ``evaluation_periods`` that fire the alarm. Default: all of them."""
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "notBreaching"
    """What a missing datapoint counts as. Default: notBreaching (no traffic is not an outage)."""
    runbook: Annotated[str, Pattern(r"\S[\s\S]*[.!?]", "one or more sentences (ending with '.', '!' or '?')")]
    """What on-call does when the alarm fires; printed in the runbook."""

    @model_validator(mode="after")
    def _datapoints_fit(self) -> ExtraAlarm:
        if self.datapoints_to_alarm is not None and self.datapoints_to_alarm > self.evaluation_periods:
            allowed = f"at most evaluation_periods ({self.evaluation_periods})"
            raise ConfigError("datapoints_to_alarm", self.datapoints_to_alarm, allowed)
        return self


class ExtraWidget(ConfigModel):
    """A dashboard graph of up to 20 metrics."""

    config_path = "monitoring.extra_widgets[]"
    title: Annotated[str, Pattern(r"\S.{0,254}", "a non-empty title")]
    """The widget's title."""
    metrics: tuple[InstanceOf[MetricQuery], ...] = Field(min_length=1, max_length=20)
    """The metrics plotted, 1 to 20."""
    width: int = Field(12, ge=1, le=24)
    """Width in grid columns (the dashboard is 24 wide). Default: 12, half the dashboard."""
    height: int = Field(6, ge=1, le=1000)
    """Height in grid rows. Default: 6."""
