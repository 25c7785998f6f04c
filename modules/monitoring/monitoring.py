"""Monitoring for one environment: alert topics, alarms, SLO alarms, the dashboard and budgets.

Wiring only; each concern lives in its own module:

* ``alerting.AlertTopics``: KMS-encrypted SNS topics per severity, twice: in the stack's region
  (service alarms) and in us-east-1 (``cost`` topics: billing alarm, budget, anomalies; an
  alarm can only notify a topic in its own region and billing metrics exist only in us-east-1).
* ``metrics``: the metric catalogue (one factory per service) that alarms, SLOs and the dashboard read.
* ``alarms`` + ``slo``: the catalogue of alarm specs; ``alarm_factory.AlarmFactory`` creates them.
* ``dashboard.Dashboard`` and ``budgets.CostBudget``.

Extension points (per environment, no code change): ``config.extra_alarms`` become specs created by
the same factory after the built-in alarms (naming, runbook link, severity routing), and appear on
the alarm status widget and in the runbook; ``config.extra_widgets`` are placed on the dashboard
under the built-in widgets.

Optional inputs from other constructs: ``waf`` (a :class:`WafMetrics`) adds the WAF
blocked-spike alarm and the WAF graph; ``canary`` (a :class:`CanaryMetrics`) adds the
canary alarm (SuccessPercent < 100 for ``consecutive_failed_runs`` runs) and the canary graph.
"""

from __future__ import annotations

from cdktf import TerraformProvider
from constructs import Construct

from environments.config.monitoring import MonitoringConfig, Severity
from modules.core.naming import Naming
from modules.core.refs import ServiceRefs
from modules.monitoring.access import DashboardReadPolicy
from modules.monitoring.alarm_factory import AlarmFactory, AlarmSpec, CompositeAlarmSpec
from modules.monitoring.alarms import billing_alarm, build_alarm_specs, extra_alarm_specs
from modules.monitoring.alerting import AlertTopics
from modules.monitoring.budgets import CostBudget
from modules.monitoring.dashboard import Dashboard
from modules.monitoring.log_metrics import LogMetricFilters
from modules.monitoring.metrics import CanaryMetrics, WafMetrics
from modules.monitoring.slo import build_slo_specs

__all__ = ["CanaryMetrics", "Monitoring", "WafMetrics"]


class Monitoring(Construct):
    """Everything that watches one environment and tells people about it.

    config: thresholds, SLOs, recipients, switches (``environments/config/monitoring.py``).
    naming: the environment's name prefix. refs: the API's resources.
    region: the stack's region (dashboard widgets and WAF metrics name it).
    billing_provider: an AwsProvider for us-east-1 (billing metrics, cost topics, budgets).
    waf, canary: optional; see the module docstring. Default: not monitored.

    Attributes: ``topics``, ``cost_topics``, ``alarm_factory``, ``billing_alarm_factory``,
    ``specs`` (every alarm spec created, in order), ``alarms`` (key -> resource),
    ``dashboard``, ``cost_budget`` (None when budget and anomaly monitor are both off).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: MonitoringConfig,
        naming: Naming,
        refs: ServiceRefs,
        region: str,
        billing_provider: TerraformProvider,
        waf: WafMetrics | None = None,
        canary: CanaryMetrics | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.topics = AlertTopics(self, "alerts", config=config, naming=naming)
        self.cost_topics = AlertTopics(
            self,
            "cost-alerts",
            config=config,
            naming=naming,
            purpose="cost",
            severities=(Severity.WARNING, Severity.CRITICAL),
            provider=billing_provider,
        )
        # One alarm policy for both regions: same naming, runbook link and actions switch.
        self.alarm_factory = AlarmFactory(
            self,
            "alarms",
            naming=naming,
            topics=self.topics.alarm_topics,
            runbook_url=config.runbook_url,
            actions_enabled=config.actions_enabled,
        )
        self.billing_alarm_factory = AlarmFactory(
            self,
            "billing",
            naming=naming,
            topics=self.cost_topics.alarm_topics,
            runbook_url=config.runbook_url,
            actions_enabled=config.actions_enabled,
            provider=billing_provider,
        )
        #: Metric filters on the authorizer's decision log and the handlers' server-error lines.
        self.log_metrics = LogMetricFilters(self, "log-metrics", naming=naming, refs=refs)
        for spec in build_alarm_specs(
            config, refs, region=region, waf=waf, canary=canary, log_metrics=self.log_metrics.metrics
        ):
            self.alarm_factory.create(spec)
        slo = build_slo_specs(config, refs)
        for spec in slo.windows:
            self.alarm_factory.create(spec)
        for composite in slo.composites:
            self.alarm_factory.create_composite(composite)
        self.billing_alarm_factory.create(billing_alarm(config))
        built_in_keys = [*self.alarm_factory.alarms, *self.billing_alarm_factory.alarms]
        for spec in extra_alarm_specs(config.extra_alarms, taken_keys=built_in_keys):
            self.alarm_factory.create(spec)

        self.specs: tuple[AlarmSpec | CompositeAlarmSpec, ...] = (
            *self.alarm_factory.specs,
            *self.billing_alarm_factory.specs,
        )
        self.alarms = {**self.alarm_factory.alarms, **self.billing_alarm_factory.alarms}
        # The status widget shows what notifies (window alarms behind a composite would be noise).
        notifying = [s.key for s in self.alarm_factory.specs if not isinstance(s, AlarmSpec) or s.notify]
        self.dashboard = Dashboard(
            self,
            "dashboard",
            naming=naming,
            refs=refs,
            region=region,
            alarm_arns=[self.alarm_factory.alarms[key].arn for key in notifying],
            waf=waf,
            canary=canary,
            extra_widgets=config.extra_widgets,
            log_metrics=self.log_metrics.metrics,
            thresholds=config.thresholds,
        )
        #: Read-only access to this dashboard and the metrics and alarms behind it: attach to viewers.
        self.dashboard_policy = DashboardReadPolicy(
            self, "dashboard-access", naming=naming, region=region, dashboard_arn=self.dashboard.dashboard.dashboard_arn
        )
        self.cost_budget: CostBudget | None = None
        if config.budget_enabled or config.anomaly_monitor_enabled:
            self.cost_budget = CostBudget(
                self,
                "cost",
                config=config,
                naming=naming,
                topics=self.cost_topics.alarm_topics,
                provider=billing_provider,
            )
