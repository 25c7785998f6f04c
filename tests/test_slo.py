"""Multi-window, multi-burn-rate SLO alarms: metric math, thresholds, composites, and the emulator fallback."""

from __future__ import annotations

from dataclasses import replace

import pytest

from environments.config.monitoring import BurnRateWindow, Severity, SloConfig
from modules.monitoring.slo import build_slo_specs
from tests.monitoring_fixtures import CONFIG, REFS, synth_monitoring


@pytest.fixture(scope="module")
def stack():
    return synth_monitoring()[0]


def alarm(stack, key: str, type_: str = "aws_cloudwatch_metric_alarm") -> dict:
    return stack.resource(type_, alarm_name=f"agenticai-test-{key}")


def queries(alarm_: dict) -> dict[str, dict]:
    return {q["id"]: q for q in alarm_["metric_query"]}


@pytest.mark.parametrize(
    ("window", "length", "seconds", "threshold"),
    [
        ("fast", "long", 3600, 1.44),
        ("fast", "short", 300, 1.44),
        ("slow", "long", 21600, 0.6),
        ("slow", "short", 1800, 0.6),
    ],
)
def test_availability_windows_are_5xx_ratio_at_burn_rate_times_budget(
    stack, window, length, seconds, threshold
) -> None:
    a = alarm(stack, f"slo-availability-{window}-{length}")
    q = queries(a)
    assert q["e1"]["expression"] == "100 * FILL(server_errors, 0) / requests"
    assert q["server_errors"]["metric"]["metric_name"] == "5XXError"
    assert q["requests"]["metric"]["metric_name"] == "Count"
    assert {q["server_errors"]["metric"]["period"], q["requests"]["metric"]["period"]} == {seconds}
    assert q["requests"]["metric"]["dimensions"] == {"ApiName": "agenticai-test-api", "Stage": "v1"}
    assert a["threshold"] == pytest.approx(threshold)
    assert a["evaluation_periods"] == 1
    assert a["treat_missing_data"] == "notBreaching"
    # Behind a composite: the window alarms do not notify on their own.
    assert a["alarm_actions"] == []
    assert a["ok_actions"] == []


def test_latency_slo_uses_percentile_rank(stack) -> None:
    q = queries(alarm(stack, "slo-latency-fast-long"))
    assert q["fast"]["metric"]["stat"] == "PR(:1000)"
    assert q["e1"]["expression"] == "100 - fast"
    assert alarm(stack, "slo-latency-fast-long")["threshold"] == pytest.approx(14.4 * 5)


def test_error_rate_slo_sums_every_function_but_the_authorizer(stack) -> None:
    # The authorizer's Errors count every 401 it answers: a keyless scan would burn the budget and page.
    q = queries(alarm(stack, "slo-error-rate-slow-short"))
    errors = {q[f"errors{i}"]["metric"]["dimensions"]["FunctionName"] for i in range(2)}
    assert errors == {f.function_name for f in REFS.functions if f.role != "authorizer"}
    assert "errors2" not in q
    assert q["e1"]["expression"] == "100 * (FILL(errors0, 0) + FILL(errors1, 0)) / (FILL(calls0, 0) + FILL(calls1, 0))"


@pytest.mark.parametrize(("window", "severity"), [("fast", Severity.CRITICAL), ("slow", Severity.WARNING)])
def test_one_composite_per_window_combines_each_objectives_long_and_short_window(stack, window, severity) -> None:
    composite = alarm(stack, f"slo-{window}-burn", "aws_cloudwatch_composite_alarm")
    assert composite["alarm_rule"] == " OR ".join(
        f'(ALARM("agenticai-test-slo-{objective}-{window}-long") '
        f'AND ALARM("agenticai-test-slo-{objective}-{window}-short"))'
        for objective in ("availability", "latency", "error-rate")
    )
    topic = stack.resource("aws_sns_topic", name=f"agenticai-test-alerts-{severity.value}")
    assert topic  # exists
    assert len(composite["alarm_actions"]) == 1
    assert composite["alarm_actions"] == composite["ok_actions"]
    assert composite["alarm_actions"][0].startswith("${aws_sns_topic.monitoring_alerts_" + severity.value)


def test_targets_are_config_values() -> None:
    config = CONFIG.replace(slo=SloConfig(availability_target_percent=99.0))
    specs = {s.key: s for s in build_slo_specs(config, REFS).windows}
    assert specs["slo-availability-fast-long"].threshold == pytest.approx(14.4)


def test_custom_windows() -> None:
    windows = (BurnRateWindow("page", 7200, 600, 10, Severity.CRITICAL),)
    config = CONFIG.replace(slo=SloConfig(windows=windows, error_rate_target_percent=99.9))
    specs = build_slo_specs(config, REFS)
    assert {s.key for s in specs.composites} == {"slo-page-burn"}
    assert [tuple(m.key for m in g) for g in specs.composites[0].groups] == [
        (f"slo-{o}-page-long", f"slo-{o}-page-short") for o in ("availability", "latency", "error-rate")
    ]
    assert {s.window_seconds for s in specs.windows} == {7200, 600}


def test_the_error_rate_objective_is_opt_in() -> None:
    """Off by default: the availability objective counts a failed handler as the 5XX the client sees."""
    assert SloConfig().error_rate_target_percent is None
    default = build_slo_specs(CONFIG.replace(slo=SloConfig()), REFS)
    assert {s.key.split("-fast")[0].split("-slow")[0] for s in default.windows} == {"slo-availability", "slo-latency"}
    opted_in = build_slo_specs(CONFIG, REFS)
    assert any(s.key.startswith("slo-error-rate-") for s in opted_in.windows)


def test_without_composites_the_windows_remain_and_the_long_window_notifies() -> None:
    stack, monitoring = synth_monitoring(CONFIG.replace(composite_alarms_enabled=False))
    assert stack.count("aws_cloudwatch_composite_alarm") == 0
    long_ = alarm(stack, "slo-availability-fast-long")
    short = alarm(stack, "slo-availability-fast-short")
    assert len(long_["alarm_actions"]) == 1
    assert long_["alarm_actions"] == long_["ok_actions"]
    assert short["alarm_actions"] == []
    assert sum(1 for s in monitoring.specs if s.key.startswith("slo-")) == 12


def test_local_environment_turns_composites_off(stacks) -> None:
    assert stacks["local"].count("aws_cloudwatch_composite_alarm") == 0
    assert stacks["prod"].count("aws_cloudwatch_composite_alarm") == 2
    windows = [a for a in stacks["local"].resources("aws_cloudwatch_metric_alarm") if "-slo-" in a["alarm_name"]]
    assert len(windows) == 8  # availability and latency, 2 burn windows, long + short


# ----------------------------------------------------------------------------- validation


def test_rejects_burn_rate_that_can_never_fire() -> None:
    with pytest.raises(ValueError, match=r"windows\['fast'\].burn_rate: got 25(\.0)?; allowed: less than 20, or the"):
        SloConfig(windows=(BurnRateWindow("fast", 3600, 300, 25, Severity.CRITICAL),))


def test_rejects_short_window_not_shorter_than_long() -> None:
    with pytest.raises(ValueError, match=r"short_window_seconds: got 3600; allowed: less than long_window_seconds"):
        BurnRateWindow("fast", 3600, 3600, 14.4, Severity.CRITICAL)


def test_rejects_window_that_is_not_whole_minutes() -> None:
    with pytest.raises(ValueError, match=r"long_window_seconds: got 3630; allowed: a multiple of 60 seconds"):
        BurnRateWindow("fast", 3630, 300, 14.4, Severity.CRITICAL)


def test_rejects_target_of_100_percent() -> None:
    with pytest.raises(
        ValueError, match=r"^monitoring.slo.availability_target_percent: got 100; allowed: a number >= 50 and < 100$"
    ):
        SloConfig(availability_target_percent=100)


def test_rejects_more_functions_than_one_alarm_can_read() -> None:
    from modules.core.refs import FunctionRef
    from modules.monitoring.alarm_factory import AlarmSpecError

    functions = tuple(FunctionRef(f"f{i}", f"agenticai-test-f{i}", f"arn:f{i}") for i in range(6))
    with pytest.raises(
        AlarmSpecError, match=r"^alarm 'slo-error-rate-fast-long': metrics: got 12; allowed: at most 10"
    ):
        build_slo_specs(CONFIG, replace(REFS, functions=functions))
