"""The alarm catalogue: property tests per alarm kind, counts, and the environments' real stacks."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from environments import ENVIRONMENTS, load
from environments.config.monitoring import AlarmThresholds, MonitoringConfig, Severity
from modules.monitoring.alarm_factory import AlarmSpec
from modules.monitoring.alarms import build_alarm_specs, extra_alarm_specs
from tests.monitoring_fixtures import (
    CANARY,
    CONFIG,
    REFS,
    REGION,
    WAF,
    extra_alarm,
    extra_widget,
    synth_monitoring,
)
from tests.support.rejects import rejects


@pytest.fixture(scope="module")
def monitored():
    return synth_monitoring()


@pytest.fixture(scope="module")
def stack(monitored):
    return monitored[0]


def alarm(stack, key: str) -> dict:
    return stack.resource("aws_cloudwatch_metric_alarm", alarm_name=f"agenticai-test-{key}")


def topic(severity: Severity, purpose: str = "alerts") -> str:
    """The Terraform reference of a topic's ARN, found by its name (never by a generated key)."""
    return f"${{aws_sns_topic.{_topic_key(purpose, severity)}.arn}}"


_TOPIC_KEYS: dict[str, str] = {}


def _topic_key(purpose: str, severity: Severity) -> str:
    return _TOPIC_KEYS[f"agenticai-test-{purpose}-{severity.value}"]


@pytest.fixture(scope="module", autouse=True)
def topic_keys(stack) -> None:
    for key, value in stack.document["resource"]["aws_sns_topic"].items():
        _TOPIC_KEYS[value["name"]] = key


def queries(alarm_: dict) -> dict[str, dict]:
    return {q["id"]: q for q in alarm_["metric_query"]}


def assert_metric(query: dict, namespace: str, name: str, stat: str, dimensions: dict, period: int = 300) -> None:
    assert query["metric"] == {
        "namespace": namespace,
        "metric_name": name,
        "stat": stat,
        "dimensions": dimensions,
        "period": period,
    }


# ----------------------------------------------------------------------------- the seed's four alarms


def test_lambda_error_rate_is_one_metric_math_alarm_over_every_handler(stack) -> None:
    # Consolidated: the worst handler's 100 * errors / invocations, one alarm, same metrics.
    a = alarm(stack, "lambda-error-rate")
    q = queries(a)
    assert q["e1"]["expression"] == ("MAX([100 * FILL(errors0, 0) / calls0, 100 * FILL(errors1, 0) / calls1])")
    assert q["e1"]["return_data"] is True
    names = {q[i]["metric"]["dimensions"]["FunctionName"] for i in ("errors0", "errors1", "calls0", "calls1")}
    assert names == {"agenticai-test-projects", "agenticai-test-health"}
    assert_metric(q["errors0"], "AWS/Lambda", "Errors", "Sum", {"FunctionName": "agenticai-test-projects"})
    assert_metric(q["calls0"], "AWS/Lambda", "Invocations", "Sum", {"FunctionName": "agenticai-test-projects"})
    assert (a["threshold"], a["comparison_operator"], a["evaluation_periods"]) == (5, "GreaterThanThreshold", 1)
    assert a["alarm_actions"] == a["ok_actions"] == [topic(Severity.CRITICAL)]
    assert a["treat_missing_data"] == "notBreaching"


def test_no_alarm_reads_the_authorizers_lambda_errors(stack) -> None:
    # A Lambda authorizer answers 401 by raising Unauthorized, which Lambda counts in Errors.
    for a in stack.resources("aws_cloudwatch_metric_alarm"):
        metrics = [q["metric"] for q in a.get("metric_query", []) if "metric" in q] or [a]
        for m in metrics:
            assert not (
                m.get("metric_name") == "Errors"
                and m.get("dimensions") == {"FunctionName": "agenticai-test-authorizer"}
            ), a["alarm_name"]


def test_api_5xx_count(stack) -> None:
    a = alarm(stack, "api-5xx")
    assert (a["namespace"], a["metric_name"], a["statistic"], a["period"]) == ("AWS/ApiGateway", "5XXError", "Sum", 300)
    assert a["dimensions"] == {"ApiName": "agenticai-test-api", "Stage": "v1"}
    assert (a["threshold"], a["comparison_operator"]) == (10, "GreaterThanThreshold")
    assert a["alarm_actions"] == [topic(Severity.CRITICAL)]


def test_lambda_duration_is_the_slowest_functions_p99(stack) -> None:
    a = alarm(stack, "lambda-duration-p99")
    q = queries(a)
    assert q["e1"]["expression"] == "MAX([p99_0, p99_1, p99_2])"
    names = {q[f"p99_{i}"]["metric"]["dimensions"]["FunctionName"] for i in range(3)}
    assert names == {f"agenticai-test-{role}" for role in ("projects", "health", "authorizer")}
    assert {(q[f"p99_{i}"]["metric"]["metric_name"], q[f"p99_{i}"]["metric"]["stat"]) for i in range(3)} == {
        ("Duration", "p99")
    }
    assert a["threshold"] == 10_000
    assert a["alarm_actions"] == [topic(Severity.WARNING)]


def test_billing_alarm_is_in_us_east_1_through_the_aliased_provider(stack) -> None:
    a = alarm(stack, "billing-estimated-charges")
    assert a["provider"] == "aws.billing"
    assert (a["namespace"], a["metric_name"], a["statistic"]) == ("AWS/Billing", "EstimatedCharges", "Maximum")
    assert a["dimensions"] == {"Currency": "USD"}
    assert a["threshold"] == 40  # 80 % of the $50 budget
    assert a["treat_missing_data"] == "ignore"
    # Alarm actions must be in the alarm's region: the us-east-1 cost topic, also via the alias.
    assert a["alarm_actions"] == [topic(Severity.WARNING, "cost")]
    cost_topic = stack.resource("aws_sns_topic", name="agenticai-test-cost-warning")
    assert cost_topic["provider"] == "aws.billing"
    providers = {p.get("alias"): p["region"] for p in stack.document["provider"]["aws"]}
    assert providers["billing"] == "us-east-1"


def test_billing_threshold_follows_the_budget() -> None:
    config = MonitoringConfig(monthly_budget_usd=20, thresholds=AlarmThresholds(billing_percent_of_budget=75))
    assert config.billing_threshold_usd == 15


# ----------------------------------------------------------------------------- beyond the seed


def test_api_4xx_rate(stack) -> None:
    a = alarm(stack, "api-4xx-rate")
    q = queries(a)
    assert q["e1"]["expression"] == "100 * client_errors / requests"
    dims = {"ApiName": "agenticai-test-api", "Stage": "v1"}
    assert_metric(q["client_errors"], "AWS/ApiGateway", "4XXError", "Sum", dims)
    assert_metric(q["requests"], "AWS/ApiGateway", "Count", "Sum", dims)
    assert a["threshold"] == 10
    # INFO, never paged or mailed: keyless scans and clients at their limit are normal traffic.
    assert a["alarm_actions"] == [topic(Severity.INFO)]


def test_api_latency_p95(stack) -> None:
    a = alarm(stack, "api-latency-p95")
    assert (a["metric_name"], a["extended_statistic"], a["threshold"]) == ("Latency", "p95", 1000)


def test_lambda_throttles_is_one_account_wide_metric(stack) -> None:
    a = alarm(stack, "lambda-throttles")
    assert (a["metric_name"], a["statistic"], a["threshold"], a["comparison_operator"]) == (
        "Throttles", "Sum", 0, "GreaterThanThreshold",
    )  # fmt: skip
    assert "dimensions" not in a  # every function of the environment's account


def test_dynamodb_throttles_per_table(stack) -> None:
    for role, name in (("projects", "agenticai-test-projects"), ("api-keys", "agenticai-test-api-keys")):
        q = queries(alarm(stack, f"dynamodb-throttles-{role}"))
        assert q["e1"]["expression"] == "FILL(reads, 0) + FILL(writes, 0)"
        assert_metric(q["reads"], "AWS/DynamoDB", "ReadThrottleEvents", "Sum", {"TableName": name})
        assert_metric(q["writes"], "AWS/DynamoDB", "WriteThrottleEvents", "Sum", {"TableName": name})


def test_queue_age_for_work_queues_and_depth_for_dead_letter_queues(stack) -> None:
    age = alarm(stack, "sqs-oldest-message-age-projects")
    assert (age["metric_name"], age["statistic"], age["threshold"]) == ("ApproximateAgeOfOldestMessage", "Maximum", 300)
    assert age["dimensions"] == {"QueueName": "agenticai-test-projects"}
    dlq = alarm(stack, "sqs-dlq-depth-projects-dlq")
    assert (dlq["metric_name"], dlq["threshold"], dlq["comparison_operator"]) == (
        "ApproximateNumberOfMessagesVisible", 0, "GreaterThanThreshold",
    )  # fmt: skip
    assert dlq["dimensions"] == {"QueueName": "agenticai-test-projects-dlq"}
    with pytest.raises(AssertionError):
        alarm(stack, "sqs-oldest-message-age-projects-dlq")


def test_authorizer_alarm_counts_fail_closed_decisions_only(stack) -> None:
    a = alarm(stack, "authorizer-fail-closed")
    assert (a["namespace"], a["metric_name"], a["statistic"], a["threshold"]) == (
        "AgenticAI/agenticai-test", "AuthorizerFailClosed", "Sum", 0,
    )  # fmt: skip
    assert "dimensions" not in a
    assert a["alarm_actions"] == [topic(Severity.CRITICAL)]
    assert a["treat_missing_data"] == "notBreaching"
    with pytest.raises(AssertionError):
        alarm(stack, "authorizer-errors")


def test_waf_blocked_spike(stack) -> None:
    a = alarm(stack, "waf-blocked-spike")
    assert (a["namespace"], a["metric_name"], a["statistic"], a["threshold"]) == (
        "AWS/WAFV2",
        "BlockedRequests",
        "Sum",
        100,
    )
    assert a["dimensions"] == {"WebACL": "agenticai-test-waf", "Region": REGION, "Rule": "ALL"}
    assert a["alarm_actions"] == [topic(Severity.INFO)]


def test_canary_alarm_counts_the_configured_consecutive_failed_runs() -> None:
    specs = build_alarm_specs(CONFIG, REFS, region=REGION, canary=replace(CANARY, consecutive_failed_runs=3))
    canary = next(s for s in specs if s.key == "canary-success")
    assert (canary.evaluation_periods, canary.datapoints_to_alarm) == (3, 3)
    assert canary.window_seconds == 3 * CANARY.run_interval_seconds


def test_a_business_hours_canary_keeps_its_state_through_the_night() -> None:
    """No run at night is not an outage: the alarm keeps its last state instead of breaching."""
    around_the_clock = build_alarm_specs(CONFIG, REFS, region=REGION, canary=CANARY)
    office_hours = build_alarm_specs(CONFIG, REFS, region=REGION, canary=replace(CANARY, runs_continuously=False))
    treat = {
        name: next(s for s in specs if s.key == "canary-success").treat_missing_data.value
        for name, specs in (("continuous", around_the_clock), ("business hours", office_hours))
    }
    assert treat == {"continuous": "breaching", "business hours": "missing"}


def test_canary_success_below_100_for_two_runs(stack) -> None:
    a = alarm(stack, "canary-success")
    assert (a["namespace"], a["metric_name"], a["statistic"]) == ("CloudWatchSynthetics", "SuccessPercent", "Average")
    assert a["dimensions"] == {"CanaryName": "agenticai-test-api"}
    assert (a["threshold"], a["comparison_operator"]) == (100, "LessThanThreshold")
    assert (a["period"], a["evaluation_periods"], a["datapoints_to_alarm"]) == (300, 2, 2)
    assert a["treat_missing_data"] == "breaching"


def test_no_waf_or_canary_alarm_without_them() -> None:
    specs = build_alarm_specs(CONFIG, REFS, region=REGION)
    keys = {s.key for s in specs}
    assert "waf-blocked-spike" not in keys
    assert "canary-success" not in keys
    with_both = {s.key for s in build_alarm_specs(CONFIG, REFS, region=REGION, waf=WAF, canary=CANARY)}
    assert with_both - keys == {"waf-blocked-spike", "canary-success"}


# ----------------------------------------------------------------------------- counts and invariants


def test_alarms_created_equal_alarm_specs(monitored) -> None:
    stack, monitoring = monitored
    metric_specs = [s for s in monitoring.specs if isinstance(s, AlarmSpec)]
    composite_specs = [s for s in monitoring.specs if not isinstance(s, AlarmSpec)]
    assert stack.count("aws_cloudwatch_metric_alarm") == len(metric_specs) > 20
    # One composite per burn-rate window (fast, slow) over every objective.
    assert stack.count("aws_cloudwatch_composite_alarm") == len(composite_specs) == 2
    names = {
        a["alarm_name"]
        for t in ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm")
        for a in stack.resources(t)
    }
    assert names == {f"agenticai-test-{s.key}" for s in monitoring.specs}


def test_every_alarm_has_description_runbook_link_and_deliberate_missing_data(stack) -> None:
    for a in stack.resources("aws_cloudwatch_metric_alarm"):
        key = a["alarm_name"].removeprefix("agenticai-test-")
        assert a["alarm_description"].endswith(f"Runbook: {CONFIG.runbook_url}#{key}")
        assert a["treat_missing_data"] in {"breaching", "notBreaching", "ignore", "missing"}
        assert a["actions_enabled"] is True
        assert a["alarm_actions"] == a["ok_actions"]


def test_actions_disabled_by_config() -> None:
    stack, _ = synth_monitoring(CONFIG.replace(actions_enabled=False))
    for type_ in ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm"):
        assert {a["actions_enabled"] for a in stack.resources(type_)} == {False}


# ----------------------------------------------------------------------------- extension point: extra_alarms


@pytest.fixture(scope="module")
def extended():
    return synth_monitoring(CONFIG.replace(extra_alarms=(extra_alarm(),), extra_widgets=(extra_widget(),)))


def test_extra_alarm_goes_through_the_factory(extended) -> None:
    stack, monitoring = extended
    a = alarm(stack, "orders-failed")
    assert (a["namespace"], a["metric_name"], a["statistic"], a["period"]) == (
        "AgenticAI/App",
        "OrdersFailed",
        "Sum",
        300,
    )
    assert a["dimensions"] == {"Service": "checkout"}
    assert (a["threshold"], a["comparison_operator"]) == (5, "GreaterThanOrEqualToThreshold")
    assert (a["evaluation_periods"], a["datapoints_to_alarm"], a["treat_missing_data"]) == (3, 2, "notBreaching")
    assert a["alarm_actions"] == a["ok_actions"] == [topic(Severity.CRITICAL)]
    assert a["alarm_description"].startswith("[CRITICAL] Orders failing at checkout: >= 5 over 15 minutes (2 of 3")
    assert a["alarm_description"].endswith(f"Runbook: {CONFIG.runbook_url}#orders-failed")
    spec = next(s for s in monitoring.specs if s.key == "orders-failed")
    assert spec.checks == (extra_alarm().runbook,)


def test_extra_alarm_is_counted_and_on_the_status_widget(extended, monitored) -> None:
    stack, monitoring = extended
    metric_specs = [s for s in monitoring.specs if isinstance(s, AlarmSpec)]
    built_in = [s for s in monitored[1].specs if isinstance(s, AlarmSpec)]
    assert stack.count("aws_cloudwatch_metric_alarm") == len(metric_specs) == len(built_in) + 1
    overview = stack.resource("aws_cloudwatch_dashboard", dashboard_name="agenticai-test-overview")
    status = next(w for w in json.loads(overview["dashboard_body"])["widgets"] if w["type"] == "alarm")
    alarms = stack.document["resource"]["aws_cloudwatch_metric_alarm"]
    key = next(k for k, v in alarms.items() if v["alarm_name"] == "agenticai-test-orders-failed")
    assert f"${{aws_cloudwatch_metric_alarm.{key}.arn}}" in status["properties"]["alarms"]


def test_rejects_extra_alarm_with_a_built_in_key() -> None:
    rejects(
        r"^monitoring.extra_alarms\[0\].key: got 'api-5xx'; "
        r"allowed: a key no other alarm uses \(a built-in alarm is 'api-5xx'\)$",
        lambda: synth_monitoring(CONFIG.replace(extra_alarms=(extra_alarm(key="api-5xx"),))),
    )


def test_rejects_extra_alarm_with_the_billing_key() -> None:
    rejects(
        r"extra_alarms\[0\].key: got 'billing-estimated-charges'",
        lambda: synth_monitoring(CONFIG.replace(extra_alarms=(extra_alarm(key="billing-estimated-charges"),))),
    )


def test_rejects_two_extra_alarms_with_one_key() -> None:
    rejects(
        r"extra_alarms\[1\].key: got 'orders-failed'.*another extra alarm",
        lambda: extra_alarm_specs((extra_alarm(), extra_alarm()), taken_keys=()),
    )


def test_rejects_extra_alarm_whose_window_is_longer_than_a_day() -> None:
    # Each field is valid on its own (the config accepts it); CloudWatch's one-day window is the factory's rule.
    from environments.config.extensions import MetricQuery

    hourly = MetricQuery(namespace="AgenticAI/App", metric_name="OrdersFailed", period_seconds=3600)
    bad = extra_alarm(metric=hourly, evaluation_periods=25, datapoints_to_alarm=None)
    rejects(
        r"^alarm 'orders-failed': evaluation_periods: got 25; allowed: period x evaluation_periods <= 86400 s$",
        lambda: extra_alarm_specs((bad,), taken_keys=()),
    )


# ----------------------------------------------------------------------------- the environments' stacks


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_alarm_count_equals_its_specs(env: str) -> None:
    from cdktf import Testing

    from modules.stack import AgenticAiStack

    app = Testing.app()
    built = AgenticAiStack(app, env, config=load(env))
    document = json.loads(Testing.synth(built))
    resources = document["resource"]
    created = len(resources["aws_cloudwatch_metric_alarm"]) + len(resources.get("aws_cloudwatch_composite_alarm", {}))
    assert created == len(built.monitoring.specs)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_alarms_use_its_prefix_and_thresholds(env: str, stacks) -> None:
    config = load(env)
    stack = stacks[env]
    prefix = config.name_prefix
    for a in stack.resources("aws_cloudwatch_metric_alarm"):
        assert a["alarm_name"].startswith(f"{prefix}-")
    assert stack.resource("aws_cloudwatch_metric_alarm", alarm_name=f"{prefix}-api-5xx")["threshold"] == (
        config.monitoring.thresholds.api_5xx_count
    )
    billing = stack.resource("aws_cloudwatch_metric_alarm", alarm_name=f"{prefix}-billing-estimated-charges")
    assert billing["threshold"] == config.monitoring.billing_threshold_usd
    assert billing["provider"] == "aws.billing"
    # The API's real dimension values: Terraform references to the resources, not literals.
    error_rate = stack.resource("aws_cloudwatch_metric_alarm", alarm_name=f"{prefix}-lambda-error-rate")
    function_name = queries(error_rate)["errors0"]["metric"]["dimensions"]["FunctionName"]
    assert function_name.startswith("${aws_lambda_function.") or function_name.startswith("${data.aws_lambda_function.")


def test_prod_billing_provider_is_us_east_1_while_the_stack_is_us_west_2(stacks) -> None:
    assert load("prod").region == "us-west-2"
    providers = {p.get("alias"): p for p in stacks["prod"].document["provider"]["aws"]}
    assert providers[None]["region"] == "us-west-2"
    assert providers["billing"]["region"] == "us-east-1"
    assert providers["billing"]["allowed_account_ids"] == providers[None]["allowed_account_ids"]
