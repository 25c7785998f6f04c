"""The dashboard: typed widgets, the 24-column grid, the seed's layout and real dimension values."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from environments import ENVIRONMENTS, load
from modules.monitoring.alarm_factory import Metric
from modules.monitoring.dashboard import (
    AlarmStatusWidget,
    DashboardBody,
    DashboardError,
    GraphLine,
    GraphWidget,
    Placement,
    TextWidget,
    extra_widgets_layout,
    seed_layout,
)
from tests.monitoring_fixtures import CANARY, CONFIG, REFS, REGION, WAF, extra_widget, synth_monitoring


@pytest.fixture(scope="module")
def monitored():
    return synth_monitoring()


@pytest.fixture(scope="module")
def body(monitored) -> dict:
    stack, _ = monitored
    dashboard = stack.resource("aws_cloudwatch_dashboard", dashboard_name="agenticai-test-overview")
    return json.loads(dashboard["dashboard_body"])


def widget(body: dict, title: str) -> dict:
    found = [w for w in body["widgets"] if w["properties"].get("title") == title]
    assert len(found) == 1, title
    return found[0]


def series(w: dict) -> list[tuple[str, str, str]]:
    """(metric name, stat, axis) of each line."""
    return [(m[1], m[-1]["stat"], m[-1].get("yAxis", "left")) for m in w["properties"]["metrics"]]


def test_seed_two_by_two_layout(body) -> None:
    positions = {w["properties"]["title"]: (w["x"], w["y"], w["width"], w["height"]) for w in body["widgets"]}
    assert positions["API Gateway"] == (0, 0, 12, 6)
    assert positions["Lambda"] == (12, 0, 12, 6)
    assert positions["DynamoDB"] == (0, 6, 12, 6)
    assert positions["SQS"] == (12, 6, 12, 6)
    assert positions["API Gateway error rate (%)"] == (0, 12, 12, 6)
    assert positions["Lambda error rate (%)"] == (12, 12, 12, 6)
    assert positions["WAF"] == (0, 18, 12, 6)
    assert positions["Canary"] == (12, 18, 12, 6)
    assert positions["Authorizer decisions"] == (0, 24, 24, 6)
    assert positions["Alarms"] == (0, 30, 24, 6)


def test_error_rates_are_metric_math_over_the_counts(body) -> None:
    api = widget(body, "API Gateway error rate (%)")["properties"]["metrics"]
    expressions = [m[0] for m in api if "expression" in m[0]]
    assert [e["expression"] for e in expressions] == [
        "100 * client_errors / requests",
        "100 * server_errors / requests",
    ]
    hidden = {m[-1]["id"]: m[1] for m in api if "expression" not in m[-1]}
    assert hidden == {"requests": "Count", "client_errors": "4XXError", "server_errors": "5XXError"}
    assert all(m[-1]["visible"] is False for m in api if "expression" not in m[-1])
    lam = widget(body, "Lambda error rate (%)")["properties"]["metrics"]
    assert [m[0]["expression"] for m in lam if "expression" in m[0]] == [
        "100 * errors0 / calls0",
        "100 * errors1 / calls1",
    ]
    # Handlers only: the authorizer's Errors count its 401s.
    assert "authorizer errors (%)" not in [m[-1]["label"] for m in lam]


def test_every_alarmed_graph_carries_its_threshold(body) -> None:
    def annotations(title: str) -> dict[str, tuple[float, str]]:
        found = widget(body, title)["properties"]["annotations"]["horizontal"]
        return {a["label"]: (a["value"], a.get("yAxis", "left")) for a in found}

    assert annotations("API Gateway") == {
        "api-5xx alarm": (10, "left"),
        "api-latency-p95 alarm (ms)": (1000, "right"),
    }
    assert annotations("Lambda")["lambda-duration-p99 alarm (ms)"] == (10_000, "right")
    assert annotations("API Gateway error rate (%)") == {"api-4xx-rate alarm": (10, "left")}
    assert annotations("Lambda error rate (%)") == {"lambda-error-rate alarm": (5, "left")}
    assert annotations("SQS")["sqs-oldest-message-age alarm (s)"] == (300, "right")
    assert annotations("DynamoDB") == {"dynamodb-throttles alarm": (0, "right")}
    assert annotations("WAF") == {"waf-blocked-spike alarm": (100, "left")}
    assert annotations("Canary") == {"canary-success alarm (%)": (100, "left")}
    assert annotations("Authorizer decisions") == {"authorizer-fail-closed alarm": (0, "left")}


def test_authorizer_decisions_show_every_outcome_of_the_decision_log(body) -> None:
    w = widget(body, "Authorizer decisions")
    names = [m[1] for m in w["properties"]["metrics"]]
    assert names == [
        "AuthorizerAllow",
        "AuthorizerUnauthorized",
        "AuthorizerDenyMalformedKey",
        "AuthorizerDenyUnknownKey",
        "AuthorizerDenyDisabledKey",
        "AuthorizerDenyExpiredKey",
        "AuthorizerDenyNoQuota",
        "AuthorizerRateLimited",
        "AuthorizerFailClosed",
    ]
    assert {m[0] for m in w["properties"]["metrics"]} == {"AgenticAI/agenticai-test"}


def test_api_widget_metrics(body) -> None:
    w = widget(body, "API Gateway")
    assert series(w) == [
        ("Count", "Sum", "left"),
        ("4XXError", "Sum", "left"),
        ("5XXError", "Sum", "left"),
        ("Latency", "p50", "right"),
        ("Latency", "p95", "right"),
        ("IntegrationLatency", "p95", "right"),
    ]
    assert w["properties"]["region"] == REGION
    for metric in w["properties"]["metrics"]:
        assert metric[2:6] == ["ApiName", "agenticai-test-api", "Stage", "v1"]


def test_lambda_widget_metrics(body) -> None:
    w = widget(body, "Lambda")
    names = {(name, stat) for name, stat, _ in series(w)}
    assert names == {
        ("Invocations", "Sum"), ("Errors", "Sum"), ("Throttles", "Sum"), ("ConcurrentExecutions", "Maximum"),
        ("Duration", "p50"), ("Duration", "p99"),
    }  # fmt: skip
    functions = {m[3] for m in w["properties"]["metrics"]}
    assert functions == {f.function_name for f in REFS.functions}


def test_dynamodb_and_sqs_widgets(body) -> None:
    assert {n for n, _, _ in series(widget(body, "DynamoDB"))} == {
        "ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits", "ReadThrottleEvents", "WriteThrottleEvents",
    }  # fmt: skip
    assert {n for n, _, _ in series(widget(body, "SQS"))} == {
        "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage",
    }  # fmt: skip


def test_waf_and_canary_rows(body) -> None:
    waf = widget(body, "WAF")
    rules = [m[m.index("Rule") + 1] for m in waf["properties"]["metrics"]]
    assert rules == ["ALL", "ALL", *WAF.rule_metric_names]
    canary = widget(body, "Canary")
    assert [m[3] for m in canary["properties"]["metrics"]] == [CANARY.canary_name] * 2


def test_alarm_status_widget_lists_notifying_alarms(monitored, body) -> None:
    stack, monitoring = monitored
    alarms = widget(body, "Alarms")
    assert alarms["type"] == "alarm"
    listed = alarms["properties"]["alarms"]
    # Every notifying regional alarm (window alarms behind a composite are left out), by Terraform reference.
    notifying = [s for s in monitoring.alarm_factory.specs if getattr(s, "notify", True)]
    assert len(listed) == len(notifying)
    assert all(a.startswith("${aws_cloudwatch_") and a.endswith(".arn}") for a in listed)


def test_rows_without_waf_or_canary_are_left_out() -> None:
    body = seed_layout(REFS, region=REGION)
    assert [w.title for w in body.widgets] == [
        "API Gateway", "Lambda", "DynamoDB", "SQS", "API Gateway error rate (%)", "Lambda error rate (%)",
    ]  # fmt: skip


def test_dashboard_uses_only_real_dimension_values(body) -> None:
    known = {REFS.api.name, REFS.api.stage_name, REGION, "ALL", WAF.web_acl_name, *WAF.rule_metric_names}
    known |= {f.function_name for f in REFS.functions} | {t.name for t in REFS.tables} | {q.name for q in REFS.queues}
    known.add(CANARY.canary_name)
    for w in body["widgets"]:
        for metric in w["properties"].get("metrics", []):
            pairs = metric[2:-1]
            assert {pairs[i + 1] for i in range(0, len(pairs), 2)} <= known


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_dashboard_references_its_resources(env: str, stacks) -> None:
    config = load(env)
    dashboard = stacks[env].resource("aws_cloudwatch_dashboard", dashboard_name=f"{config.name_prefix}-overview")
    body = json.loads(dashboard["dashboard_body"])
    lambda_widget = widget(body, "Lambda")
    function_names = {m[3] for m in lambda_widget["properties"]["metrics"]}
    assert function_names
    assert all(name.startswith("${") for name in function_names)
    assert {w["properties"]["region"] for w in body["widgets"] if w["type"] == "metric"} == {config.region}


# ----------------------------------------------------------------------------- grid validation


def graph(title: str, x: int, y: int = 0, width: int = 12, height: int = 6) -> GraphWidget:
    return GraphWidget(title, Placement(x, y, width, height), REGION, (GraphLine(Metric("AWS/X", "M", "Sum"), "m"),))


def test_rejects_widget_past_column_24() -> None:
    with pytest.raises(DashboardError, match=r"^widget 'wide': x: got 16; allowed: 0 to 12 so that x \+ width <= 24$"):
        DashboardBody((graph("wide", 16),))


def test_rejects_widget_wider_than_the_grid() -> None:
    with pytest.raises(DashboardError, match=r"^widget 'huge': width: got 25; allowed: 1 to 24 columns$"):
        DashboardBody((graph("huge", 0, width=25),))


def test_rejects_overlapping_widgets() -> None:
    with pytest.raises(DashboardError, match=r"^widget 'b': placement: .*allowed: a free area \(overlaps 'a'\)$"):
        DashboardBody((graph("a", 0), graph("b", 6, y=3)))


def test_rejects_unknown_statistic_in_a_graph() -> None:
    with pytest.raises(ValueError, match=r"statistic: got 'avg'; allowed: one of SampleCount"):
        GraphLine(Metric("AWS/X", "M", "avg"), "label")


def test_rejects_empty_alarm_widget() -> None:
    with pytest.raises(DashboardError, match=r"alarm_arns: got 0; allowed: 1 to 100 alarms"):
        DashboardBody((AlarmStatusWidget("Alarms", Placement(0, 0, 24), ()),))


def test_rejects_dimension_value_that_is_not_a_stack_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    import modules.monitoring.dashboard as dashboard_module
    from modules.monitoring.dashboard import Dashboard
    from tests.monitoring_fixtures import NAMING
    from tests.synth import synth_scope

    stale = GraphWidget(
        "Old",
        Placement(0, 30, 12),
        REGION,
        (GraphLine(Metric("AWS/Lambda", "Errors", "Sum", {"FunctionName": "agenticai-test-old"}), "old"),),
    )

    def with_stale_widget(*args, **kwargs) -> DashboardBody:
        return DashboardBody((*seed_layout(*args, **kwargs).widgets, stale))

    monkeypatch.setattr(dashboard_module, "seed_layout", with_stale_widget)
    with pytest.raises(
        DashboardError, match=r"dimension values: got \['agenticai-test-old'\]; allowed: names of this stack"
    ):
        synth_scope(lambda scope: Dashboard(scope, "dashboard", naming=NAMING, refs=REFS, region=REGION))


def test_text_widget_serialises() -> None:
    text = TextWidget("Note", Placement(0, 0, 24, 2), "hello")
    assert DashboardBody((text,)).to_json() == (
        '{"widgets":[{"type":"text","x":0,"y":0,"width":24,"height":2,"properties":{"markdown":"hello"}}]}'
    )


def test_rejects_colour_that_is_not_rgb_hex() -> None:
    with pytest.raises(DashboardError, match=r"^widget 'errors': color: got 'red'; allowed: a #rrggbb colour"):
        GraphLine(Metric("AWS/X", "M", "Sum"), "errors", color="red")


def test_graph_line_draws_the_catalogue_metric_with_its_display_options() -> None:
    line = GraphLine(Metric("AWS/X", "M", "p95", {"A": "a"}), "m p95", right_axis=True, color="#d62728")
    assert line.to_json() == [
        "AWS/X",
        "M",
        "A",
        "a",
        {"stat": "p95", "label": "m p95", "yAxis": "right", "color": "#d62728"},
    ]


# ----------------------------------------------------------------------------- extension point: extra_widgets


def test_extra_widget_is_placed_after_the_built_in_widgets() -> None:
    stack, monitoring = synth_monitoring(CONFIG.replace(extra_widgets=(extra_widget(),)))
    overview = stack.resource("aws_cloudwatch_dashboard", dashboard_name="agenticai-test-overview")
    widgets = json.loads(overview["dashboard_body"])["widgets"]
    titles = [w["properties"].get("title") for w in widgets]
    assert titles == [
        "API Gateway",
        "Lambda",
        "DynamoDB",
        "SQS",
        "API Gateway error rate (%)",
        "Lambda error rate (%)",
        "WAF",
        "Canary",
        "Authorizer decisions",
        "Alarms",
        "Checkout",
    ]
    checkout = widgets[-1]
    assert (checkout["x"], checkout["y"], checkout["width"], checkout["height"]) == (0, 36, 8, 4)
    assert checkout["properties"]["period"] == 300
    assert checkout["properties"]["region"] == REGION
    assert checkout["properties"]["metrics"] == [
        ["AgenticAI/App", "OrdersPlaced", {"stat": "Sum", "label": "orders placed"}],
        ["AgenticAI/App", "OrdersFailed", {"stat": "Sum", "label": "OrdersFailed", "period": 60}],
    ]
    assert monitoring.dashboard.body.widgets[-1].title == "Checkout"


def test_extra_widgets_fill_rows_left_to_right() -> None:
    widgets = (extra_widget(width=16, height=6), extra_widget(title="Two", width=8), extra_widget(title="Three"))
    placed = extra_widgets_layout(widgets, region=REGION, below_row=24)
    assert [(w.placement.x, w.placement.y) for w in placed] == [(0, 24), (16, 24), (0, 30)]


def test_rejects_extra_widget_outside_the_grid() -> None:
    # The config bounds width too; the grid check is the dashboard's own guarantee.
    too_wide = SimpleNamespace(title="Too wide", metrics=extra_widget().metrics, width=25, height=6)
    with pytest.raises(DashboardError, match=r"^widget 'Too wide': width: got 25; allowed: 1 to 24 columns$"):
        DashboardBody(extra_widgets_layout((too_wide,), region=REGION, below_row=0))


def test_extra_widget_dimensions_may_name_any_resource() -> None:
    # A custom namespace's dimension values are not the stack's resources, and that is allowed.
    from environments.config.extensions import MetricQuery

    query = MetricQuery(namespace="AgenticAI/App", metric_name="OrdersPlaced", dimensions=(("Service", "checkout"),))
    stack, _ = synth_monitoring(CONFIG.replace(extra_widgets=(extra_widget(metrics=(query,)),)))
    overview = stack.resource("aws_cloudwatch_dashboard", dashboard_name="agenticai-test-overview")
    checkout = json.loads(overview["dashboard_body"])["widgets"][-1]
    assert checkout["properties"]["metrics"] == [
        ["AgenticAI/App", "OrdersPlaced", "Service", "checkout", {"stat": "Sum", "label": "OrdersPlaced"}]
    ]


def test_alarms_and_graphs_read_one_metric_definition(monitored) -> None:
    # The catalogue defines Lambda Errors once: the error-rate alarm and the Lambda graph use the same metric.
    _, monitoring = monitored
    alarm_errors = next(s for s in monitoring.specs if s.key == "lambda-error-rate").metric.metrics[0]
    graph_lines = next(w for w in monitoring.dashboard.body.widgets if w.title == "Lambda").metrics
    graph_errors = next(line.metric for line in graph_lines if line.label == "projects errors")
    assert graph_errors.with_id(alarm_errors.id) == alarm_errors
