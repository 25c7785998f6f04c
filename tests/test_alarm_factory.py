"""The alarm factory: spec validation (one test per rule) and what it applies to every alarm."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from environments.config.monitoring import Severity
from modules.core.naming import Naming
from modules.monitoring.alarm_factory import (
    AlarmFactory,
    AlarmSpec,
    AlarmSpecError,
    AlarmTopics,
    ComparisonOperator,
    CompositeAlarmSpec,
    MathExpression,
    Metric,
    TreatMissingData,
)
from tests.support.rejects import rejects
from tests.synth import synth_scope

TOPICS = AlarmTopics({s: f"arn:aws:sns:us-east-1:123456789012:{s.value}" for s in Severity})
RUNBOOK = "https://example.com/RUNBOOK.md"
CHECKS = ("first", "second", "third")


def spec(**overrides) -> AlarmSpec:
    values = dict(
        key="api-5xx",
        title="API 5XX errors",
        summary="Server errors.",
        severity=Severity.CRITICAL,
        metric=Metric("AWS/ApiGateway", "5XXError", "Sum", {"ApiName": "api", "Stage": "v1"}),
        threshold=10,
        comparison=ComparisonOperator.GREATER_THAN,
        unit="errors",
        treat_missing_data=TreatMissingData.NOT_BREACHING,
        checks=CHECKS,
    )
    values.update(overrides)
    return AlarmSpec(**values)


def synth_specs(*specs: AlarmSpec, actions_enabled: bool = True, composites=()):
    def build(scope) -> None:
        factory = AlarmFactory(
            scope, "alarms", naming=Naming("agenticai-test"), topics=TOPICS, runbook_url=RUNBOOK,
            actions_enabled=actions_enabled,
        )  # fmt: skip
        for s in specs:
            factory.create(s)
        for c in composites:
            factory.create_composite(c)

    return synth_scope(build)


# ----------------------------------------------------------------------------- validation


def test_rejects_negative_threshold() -> None:
    error = rejects(r"^alarm 'api-5xx': threshold: got -1; allowed: a number >= 0$", lambda: spec(threshold=-1))
    assert isinstance(error, AlarmSpecError)
    assert error.alarm == "api-5xx"


def test_rejects_datapoints_to_alarm_above_evaluation_periods() -> None:
    rejects(
        r"^alarm 'api-5xx': datapoints_to_alarm: got 3; allowed: an integer from 1 to evaluation_periods \(2\)$",
        lambda: spec(evaluation_periods=2, datapoints_to_alarm=3),
    )


def test_rejects_unknown_statistic() -> None:
    rejects(
        r"^alarm 'api-5xx': statistic: got 'Median'; allowed: one of SampleCount, Average, Sum, Minimum, Maximum, "
        r"or a percentile like p99$",
        lambda: spec(metric=Metric("AWS/ApiGateway", "5XXError", "Median")),
    )


def test_rejects_unknown_statistic_inside_metric_math() -> None:
    rejects(
        r"^alarm 'api-5xx': statistic: got 'sum'",
        lambda: spec(
            metric=MathExpression("a / b", (Metric("N", "A", "sum", id="a"), Metric("N", "B", "Sum", id="b")), "x")
        ),
    )


def test_rejects_alarm_name_over_the_limit() -> None:
    long_key = "a" * 250
    with pytest.raises(
        AlarmSpecError, match=r"alarm name: got 'agenticai-test-a+'; allowed: at most 255 characters \(got 265\)"
    ):
        synth_specs(spec(key=long_key))


def test_rejects_zero_evaluation_periods() -> None:
    rejects(
        r"^alarm 'api-5xx': evaluation_periods: got 0; allowed: an integer >= 1$", lambda: spec(evaluation_periods=0)
    )


def test_rejects_period_cloudwatch_does_not_offer() -> None:
    rejects(
        r"^alarm 'api-5xx': period_seconds: got 90; allowed: 10, 30, or a multiple of 60 seconds$",
        lambda: spec(metric=Metric("AWS/ApiGateway", "5XXError", "Sum", period_seconds=90)),
    )


def test_rejects_window_longer_than_a_day() -> None:
    rejects(
        r"^alarm 'api-5xx': evaluation_periods: got 25; allowed: period x evaluation_periods <= 86400 s$",
        lambda: spec(metric=Metric("AWS/ApiGateway", "5XXError", "Sum", period_seconds=3600), evaluation_periods=25),
    )


def test_rejects_treat_missing_data_as_a_string() -> None:
    rejects(
        r"^alarm 'api-5xx': treat_missing_data: got 'notBreaching'; allowed: one of TreatMissingData.BREACHING",
        lambda: spec(treat_missing_data="notBreaching"),
    )


def test_rejects_math_expression_with_unknown_metric_id() -> None:
    rejects(
        r"^alarm 'api-5xx': expression: got '100 \* errors / calls'; allowed: ids from errors \('calls'\)$",
        lambda: spec(metric=MathExpression("100 * errors / calls", (Metric("N", "E", "Sum", id="errors"),), "x")),
    )


def test_rejects_more_than_ten_metrics_in_math() -> None:
    metrics = tuple(Metric("N", "M", "Sum", id=f"m{i}") for i in range(11))
    rejects(r"metrics: got 11; allowed: at most 10 metrics", lambda: spec(metric=MathExpression("m0", metrics, "x")))


def test_rejects_spec_without_checks() -> None:
    rejects(r"checks: got \(\); allowed: a tuple of 1 to 3 non-empty strings", lambda: spec(checks=()))


def test_rejects_more_than_three_checks() -> None:
    rejects(
        r"checks: got \('1', '2', '3', '4'\); allowed: a tuple of 1 to 3", lambda: spec(checks=("1", "2", "3", "4"))
    )


def test_rejects_duplicate_alarm_key() -> None:
    with pytest.raises(AlarmSpecError, match=r"^alarm 'api-5xx': key: got 'api-5xx'; allowed: a key not used"):
        synth_specs(spec(), spec())


def test_rejects_bad_key() -> None:
    rejects(r"key: got 'API 5XX'; allowed: lowercase letters, digits and hyphens", lambda: spec(key="API 5XX"))


# ----------------------------------------------------------------------------- what the factory applies


def test_factory_applies_prefix_description_runbook_actions_and_missing_data() -> None:
    stack = synth_specs(spec())
    alarm = stack.resource("aws_cloudwatch_metric_alarm", alarm_name="agenticai-test-api-5xx")
    assert alarm["alarm_description"] == (
        "[CRITICAL] API 5XX errors: > 10 errors over 5 minutes. Server errors. Runbook: " + RUNBOOK + "#api-5xx"
    )
    assert alarm["alarm_actions"] == alarm["ok_actions"] == [TOPICS.arn(Severity.CRITICAL)]
    assert alarm["actions_enabled"] is True
    assert alarm["treat_missing_data"] == "notBreaching"
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/ApiGateway", "5XXError", "Sum")
    assert alarm["dimensions"] == {"ApiName": "api", "Stage": "v1"}
    assert (alarm["period"], alarm["evaluation_periods"], alarm["threshold"]) == (300, 1, 10)
    assert "extended_statistic" not in alarm


def test_factory_routes_each_severity_to_its_topic() -> None:
    specs = [spec(key=f"alarm-{s.value}", severity=s) for s in Severity]
    stack = synth_specs(*specs)
    for s in Severity:
        alarm = stack.resource("aws_cloudwatch_metric_alarm", alarm_name=f"agenticai-test-alarm-{s.value}")
        assert alarm["alarm_actions"] == [TOPICS.arn(s)]


def test_factory_disables_actions_from_config() -> None:
    alarm = synth_specs(spec(), actions_enabled=False).resource("aws_cloudwatch_metric_alarm")
    assert alarm["actions_enabled"] is False
    assert alarm["alarm_actions"] == [TOPICS.arn(Severity.CRITICAL)]  # still wired: re-enabling needs no diff


def test_percentile_goes_to_extended_statistic() -> None:
    alarm = synth_specs(spec(metric=Metric("AWS/Lambda", "Duration", "p99"))).resource("aws_cloudwatch_metric_alarm")
    assert alarm["extended_statistic"] == "p99"
    assert "statistic" not in alarm


def test_metric_math_alarm_returns_only_the_expression() -> None:
    math = MathExpression(
        "100 * errors / calls",
        (Metric("AWS/Lambda", "Errors", "Sum", {"FunctionName": "f"}, id="errors"),
         Metric("AWS/Lambda", "Invocations", "Sum", {"FunctionName": "f"}, id="calls")),
        "Errors (%)",
    )  # fmt: skip
    alarm = synth_specs(spec(metric=math)).resource("aws_cloudwatch_metric_alarm")
    queries = {q["id"]: q for q in alarm["metric_query"]}
    assert queries["e1"] == {
        "id": "e1",
        "expression": "100 * errors / calls",
        "label": "Errors (%)",
        "return_data": True,
    }
    assert queries["errors"]["return_data"] is False
    assert queries["errors"]["metric"] == {
        "namespace": "AWS/Lambda", "metric_name": "Errors", "dimensions": {"FunctionName": "f"}, "period": 300,
        "stat": "Sum",
    }  # fmt: skip
    assert "metric_name" not in alarm
    assert "statistic" not in alarm


def test_m_of_n_alarm() -> None:
    alarm = synth_specs(spec(evaluation_periods=3, datapoints_to_alarm=2)).resource("aws_cloudwatch_metric_alarm")
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (3, 2)
    assert "(2 of 3 periods)" in alarm["alarm_description"]


def test_spec_without_notify_has_no_actions() -> None:
    alarm = synth_specs(spec(notify=False)).resource("aws_cloudwatch_metric_alarm")
    assert alarm["alarm_actions"] == []
    assert alarm["ok_actions"] == []
    assert "Server errors. Actions: none by design. Runbook:" in alarm["alarm_description"]
    assert "by design" not in synth_specs(spec()).resource("aws_cloudwatch_metric_alarm")["alarm_description"]


def test_composite_alarm_requires_every_member_and_depends_on_them() -> None:
    long, short = spec(key="slo-long", notify=False), spec(key="slo-short", notify=False)
    composite = CompositeAlarmSpec("slo-burn", "Burn", "Budget burns.", Severity.WARNING, (long, short), CHECKS)
    stack = synth_specs(long, short, composites=[composite])
    alarm = stack.resource("aws_cloudwatch_composite_alarm")
    assert alarm["alarm_name"] == "agenticai-test-slo-burn"
    assert alarm["alarm_rule"] == 'ALARM("agenticai-test-slo-long") AND ALARM("agenticai-test-slo-short")'
    assert alarm["alarm_actions"] == alarm["ok_actions"] == [TOPICS.arn(Severity.WARNING)]
    assert len(alarm["depends_on"]) == 2
    assert alarm["alarm_description"].endswith(f"Runbook: {RUNBOOK}#slo-burn")


def test_composite_of_uncreated_alarm_is_rejected() -> None:
    long, short = spec(key="slo-long"), spec(key="slo-short")
    composite = CompositeAlarmSpec("slo-burn", "Burn", "x", Severity.WARNING, (long, short), CHECKS)
    with pytest.raises(AlarmSpecError, match=r"all_of: got 'slo-short'; allowed: alarms created by this factory first"):
        synth_specs(long, composites=[composite])


def test_specs_are_frozen_data() -> None:
    s = spec()
    with pytest.raises(AttributeError):
        s.threshold = 1  # type: ignore[misc]
    assert replace(s, threshold=20).threshold == 20
    assert json.dumps(dict(s.metric.dimensions))  # plain, serialisable data


def test_rejects_metric_math_with_mixed_periods() -> None:
    metrics = (Metric("N", "A", "Sum", period_seconds=300, id="a"), Metric("N", "B", "Sum", period_seconds=60, id="b"))
    rejects(
        r"^alarm 'api-5xx': metric periods: got \(60, 300\); allowed: one period for every metric of the alarm$",
        lambda: spec(metric=MathExpression("a / b", metrics, "x")),
    )


def test_comparison_symbols() -> None:
    assert [c.symbol for c in ComparisonOperator] == [">", ">=", "<", "<="]


def test_comparison_from_symbol() -> None:
    assert ComparisonOperator.from_symbol(">=") is ComparisonOperator.GREATER_THAN_OR_EQUAL
    with pytest.raises(ValueError, match=r"^comparison: got '=>'; allowed: >, >=, <, <=$"):
        ComparisonOperator.from_symbol("=>")


def test_metric_with_id_and_period_keep_the_definition() -> None:
    metric = Metric("AWS/Lambda", "Errors", "Sum", {"FunctionName": "f"})
    renamed = metric.with_id("errors0").with_period(3600)
    assert (renamed.id, renamed.period_seconds) == ("errors0", 3600)
    assert (renamed.namespace, renamed.metric_name, dict(renamed.dimensions)) == (
        "AWS/Lambda",
        "Errors",
        {"FunctionName": "f"},
    )
    assert (metric.id, metric.period_seconds) == ("m1", 300)
