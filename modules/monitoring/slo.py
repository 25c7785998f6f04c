"""Multi-window, multi-burn-rate SLO alarms (Google SRE workbook, chapter 5), built as alarm specs.

For each objective (availability, latency, Lambda error rate) and each configured
:class:`BurnRateWindow`, two metric-math alarms measure the *bad-event ratio* over a long
and a short window; each fires when the ratio exceeds ``burn_rate x error budget``. A
composite alarm ``ALARM(long) AND ALARM(short)`` notifies: the long window proves enough
budget was spent (no paging on a blip), the short window proves it is still being spent
(the alert resets within minutes of recovery).

Objectives, from the seed's success metrics (targets are config values, ``SloConfig``):

* availability: ``100 * 5XXError / Count`` of the API stage, budget ``100 - availability_target``.
* latency: ``100 - PR(:threshold)`` of API ``Latency`` = % of requests slower than the
  threshold (percentile rank), budget ``100 - latency_target`` (p95 < 1 s = 5 % budget).
* error rate: ``100 * sum(Errors) / sum(Invocations)`` over every API function but the authorizer
  (a Lambda authorizer answers 401 by raising, which Lambda counts as an error), budget
  ``100 - error_rate_target``. A metric-math alarm reads at most 10 metrics, so this covers up to
  5 functions; a sixth gives a clear ``AlarmSpecError`` at synth time.

When ``composite_alarms_enabled`` is off (the emulator cannot create composite alarms), the
window alarms are still created and the **long-window alarm notifies on its own**. Trade-off:
it still pages only after the long window burned the budget, but it keeps alerting (and
resolves) up to a long window after recovery instead of a short one, and a flat spike that
has already ended can still open it.
"""

from __future__ import annotations

from dataclasses import dataclass

from environments.config.monitoring import BurnRateWindow, MonitoringConfig
from modules.core.refs import FunctionRef, ServiceRefs
from modules.monitoring.alarm_factory import (
    AlarmSpec,
    ComparisonOperator,
    CompositeAlarmSpec,
    MathExpression,
    Metric,
    TreatMissingData,
    duration_text,
)
from modules.monitoring.log_metrics import AUTHORIZER_ROLE
from modules.monitoring.metrics import ApiGatewayMetrics, LambdaMetrics


@dataclass(frozen=True)
class Objective:
    """One SLO: how to compute the bad-event percentage over a window, and its target."""

    key: str
    title: str
    target_percent: float
    description: str

    @property
    def budget_percent(self) -> float:
        return 100 - self.target_percent


@dataclass(frozen=True)
class SloAlarmSpecs:
    """The window alarms (created first) and the composites that combine them."""

    windows: tuple[AlarmSpec, ...]
    composites: tuple[CompositeAlarmSpec, ...]


def objectives(config: MonitoringConfig) -> tuple[Objective, ...]:
    slo = config.slo
    chosen = (
        Objective(
            "availability",
            "Availability SLO",
            slo.availability_target_percent,
            f"{slo.availability_target_percent:g} % of API requests succeed (not 5XX)",
        ),
        Objective(
            "latency",
            "Latency SLO",
            slo.latency_target_percent,
            f"{slo.latency_target_percent:g} % of API requests finish within {slo.latency_threshold_ms:g} ms",
        ),
    )
    if slo.error_rate_target_percent is None:  # opt-in: the availability objective counts failed handlers
        return chosen
    error_rate = Objective(
        "error-rate",
        "Lambda error-rate SLO",
        slo.error_rate_target_percent,
        f"{slo.error_rate_target_percent:g} % of Lambda invocations succeed",
    )
    return (*chosen, error_rate)


def bad_event_percent(objective: Objective, config: MonitoringConfig, refs: ServiceRefs, period: int) -> MathExpression:
    """The metric math giving the objective's bad-event percentage over one ``period``."""
    api = ApiGatewayMetrics(refs.api, period_seconds=period)
    if objective.key == "availability":
        return MathExpression(
            "100 * FILL(server_errors, 0) / requests",
            (api.server_errors(), api.requests()),
            "5XX responses (% of requests)",
        )
    if objective.key == "latency":
        threshold = f"{config.slo.latency_threshold_ms:g}"
        # PR(:t) is the percentile rank of t: the % of requests at or under the threshold.
        return MathExpression(
            "100 - fast",
            (api.latency(f"PR(:{threshold})").with_id("fast"),),
            f"Requests slower than {threshold} ms (%)",
        )
    metrics: list[Metric] = []
    for index, function in enumerate(handler_functions(refs)):
        lambda_ = LambdaMetrics(function, period_seconds=period)
        metrics.append(lambda_.errors().with_id(f"errors{index}"))
        metrics.append(lambda_.invocations().with_id(f"calls{index}"))
    errors = " + ".join(f"FILL({m.id}, 0)" for m in metrics if m.id.startswith("errors"))
    calls = " + ".join(f"FILL({m.id}, 0)" for m in metrics if m.id.startswith("calls"))
    return MathExpression(f"100 * ({errors}) / ({calls})", tuple(metrics), "Failed invocations (%)")


def handler_functions(refs: ServiceRefs) -> tuple[FunctionRef, ...]:
    """The functions whose errors are failed requests: all but the authorizer, whose Errors include its 401s."""
    return tuple(f for f in refs.functions if f.role != AUTHORIZER_ROLE)


def build_slo_specs(config: MonitoringConfig, refs: ServiceRefs) -> SloAlarmSpecs:
    """Two window alarms per objective and burn-rate window, plus one composite each (if enabled)."""
    composite = config.composite_alarms_enabled
    windows: list[AlarmSpec] = []
    composites: list[CompositeAlarmSpec] = []
    for window in config.slo.windows:
        pairs: list[tuple[AlarmSpec, ...]] = []
        for objective in objectives(config):
            if objective.key == "error-rate" and not handler_functions(refs):
                continue
            threshold = round(window.burn_rate * objective.budget_percent, 6)
            pair = tuple(
                _window_spec(
                    objective,
                    window,
                    config,
                    refs,
                    length,
                    seconds,
                    threshold,
                    notify=not composite and length == "long",
                )
                for length, seconds in (("long", window.long_window_seconds), ("short", window.short_window_seconds))
            )
            windows += pair
            pairs.append(pair)
        if composite:
            # One composite per burn-rate window over every objective (2 composites instead
            # of 6, $0.50 each); the notification names the window alarms in ALARM, the runbook lists them.
            names = ", ".join(
                o.title for o in objectives(config) if any(p[0].key.startswith(f"slo-{o.key}-") for p in pairs)
            )
            composites.append(
                CompositeAlarmSpec(
                    key=f"slo-{window.name}-burn",
                    title=f"SLO {window.name} burn",
                    summary=(
                        f"An objective ({names}) burns its error budget {window.burn_rate:g}x faster than "
                        f"sustainable over both {duration_text(window.long_window_seconds)} and "
                        f"{duration_text(window.short_window_seconds)}."
                    ),
                    severity=window.severity,
                    all_of=tuple(m for p in pairs for m in p),
                    groups=tuple(pairs),
                    checks=(
                        "Which objective: the window alarms in ALARM (notification's triggering alarms, runbook).",
                        "That objective's first checks in the window alarm's runbook section.",
                        "Recent deployments in the last long window; roll back if the burn began then.",
                    ),
                )
            )
    return SloAlarmSpecs(tuple(windows), tuple(composites))


def _window_spec(
    objective: Objective,
    window: BurnRateWindow,
    config: MonitoringConfig,
    refs: ServiceRefs,
    length: str,
    seconds: int,
    threshold: float,
    *,
    notify: bool,
) -> AlarmSpec:
    return AlarmSpec(
        key=f"slo-{objective.key}-{window.name}-{length}",
        title=f"{objective.title}: {window.name} burn, {length} window",
        summary=(
            f"Objective: {objective.description}. Bad events exceed {window.burn_rate:g}x the error budget "
            f"({objective.budget_percent:g} %) over {duration_text(seconds)}."
        ),
        severity=window.severity,
        metric=bad_event_percent(objective, config, refs, seconds),
        threshold=threshold,
        comparison=ComparisonOperator.GREATER_THAN,
        unit="%",
        # No traffic spends no error budget.
        treat_missing_data=TreatMissingData.NOT_BREACHING,
        checks=_checks(objective),
        notify=notify,
    )


def _checks(objective: Objective) -> tuple[str, str, str]:
    first = {
        "availability": "The API 5XX and Lambda error-rate alarms: which function or integration fails?",
        "latency": "The API latency p95 alarm and Latency versus IntegrationLatency on the dashboard.",
        "error-rate": "The per-function Lambda error-rate alarms: which function fails?",
    }[objective.key]
    return (
        first,
        "How much budget is left this month: the long-window alarm's graph over 30 days.",
        "Freeze risky deployments while the budget burns; roll back the last change if correlated.",
    )
