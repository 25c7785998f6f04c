"""JSON Lambda logging, the INFO sample and the metric filters on the log lines."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from environments import ENVIRONMENTS, load
from modules.functions import sampling
from modules.monitoring.log_metrics import AUTHORIZER_OUTCOMES

ROOT = Path(__file__).resolve().parent.parent

AUTHORIZER_HANDLER = "functions.authorizer.handler"


# ----------------------------------------------------------------------------- functions/sampling.py


@pytest.fixture
def logger() -> logging.Logger:
    return logging.getLogger("test-sampling")


def test_sampled_invocation_logs_info(logger) -> None:
    env = {"LOG_SAMPLE_RATE": "0.1", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    assert sampling.start(None, environ=env, draw=lambda: 0.05, logger=logger) is True
    assert logger.level == logging.INFO


def test_unsampled_invocation_keeps_warning_and_above(logger) -> None:
    env = {"LOG_SAMPLE_RATE": "0.1", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    assert sampling.start(None, environ=env, draw=lambda: 0.5, logger=logger) is False
    assert logger.level == logging.WARNING
    assert logger.isEnabledFor(logging.WARNING)
    assert not logger.isEnabledFor(logging.INFO)


def test_rate_zero_and_one_are_never_and_always(logger) -> None:
    assert sampling.start(environ={"LOG_SAMPLE_RATE": "1"}, draw=lambda: 0.999999, logger=logger) is True
    assert sampling.start(environ={"LOG_SAMPLE_RATE": "0"}, draw=lambda: 0.0, logger=logger) is False


def test_a_stricter_configured_level_is_never_lowered(logger) -> None:
    env = {"LOG_SAMPLE_RATE": "1", "AWS_LAMBDA_LOG_LEVEL": "ERROR"}
    sampling.start(environ=env, draw=lambda: 0.0, logger=logger)
    assert logger.level == logging.ERROR


@pytest.mark.parametrize("raw", ["abc", "1.5", "-0.1"])
def test_bad_rate_logs_everything_and_says_so(raw: str, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert sampling.sample_rate({"LOG_SAMPLE_RATE": raw}) == 1.0
    assert f"LOG_SAMPLE_RATE: got {raw!r}; allowed: a number from 0.0 to 1.0" in caplog.text


def test_missing_rate_logs_everything() -> None:
    assert sampling.sample_rate({}) == 1.0


# ----------------------------------------------------------------------------- the synthesized functions


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_function_logs_json_at_its_environments_levels_and_rate(env: str, stacks) -> None:
    logging_config = load(env).monitoring.function_logging
    functions = stacks[env].resources("aws_lambda_function")
    assert functions
    for fn in functions:
        rate = 1.0 if fn["function_name"].endswith("-authorizer") else logging_config.info_sample_rate
        if not logging_config.json_logging_config_enabled:  # the emulator (local): moto drops LoggingConfig
            assert "logging_config" not in fn
            assert float(fn["environment"]["variables"]["LOG_SAMPLE_RATE"]) == rate
            continue
        assert fn["logging_config"]["log_format"] == "JSON", fn["function_name"]
        assert fn["logging_config"]["application_log_level"] == logging_config.application_log_level.value
        assert fn["logging_config"]["system_log_level"] == logging_config.system_log_level.value
        assert float(fn["environment"]["variables"]["LOG_SAMPLE_RATE"]) == rate


def test_the_authorizer_is_never_sampled(stacks) -> None:
    """Its one INFO line per request is the decision the metric filters count: sampling would undercount them."""
    assert load("prod").monitoring.function_logging.info_sample_rate < 1.0  # prod samples the handlers...
    (authorizer,) = [
        f for f in stacks["prod"].resources("aws_lambda_function") if f["function_name"].endswith("-authorizer")
    ]
    assert authorizer["environment"]["variables"]["LOG_SAMPLE_RATE"] == "1"  # ...never the authorizer


def test_handlers_start_sampling_and_the_authorizer_does_not() -> None:
    functions = ROOT / "modules" / "functions"
    for handler in ("health.py", "projects.py", "worker.py"):
        assert "sampling.start(context)" in (functions / handler).read_text(), handler
    assert "sampling" not in (functions / "authorizer.py").read_text()


def test_only_the_emulator_turns_the_json_logging_config_off() -> None:
    assert [e for e in ENVIRONMENTS if not load(e).monitoring.function_logging.json_logging_config_enabled] == ["local"]


def test_prod_samples_info_and_dev_logs_everything() -> None:
    assert load("prod").monitoring.function_logging.info_sample_rate < 1
    assert load("dev").monitoring.function_logging.info_sample_rate == 1


def _authorizer_log_group(stack) -> str:
    key = next(
        k for k, f in stack.document["resource"]["aws_lambda_function"].items() if f["handler"] == AUTHORIZER_HANDLER
    )
    return f"/aws/lambda/${{aws_lambda_function.{key}.function_name}}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_authorizer_outcomes_are_metric_filters_on_its_decision_log(env: str, stacks) -> None:
    stack = stacks[env]
    group = _authorizer_log_group(stack)
    filters = {f["metric_transformation"]["name"]: f for f in stack.resources("aws_cloudwatch_log_metric_filter")}
    namespace = f"AgenticAI/{load(env).name_prefix}"
    for outcome in AUTHORIZER_OUTCOMES:
        f = filters[outcome.metric_name]
        assert f["log_group_name"] == group
        assert f["metric_transformation"]["namespace"] == namespace
        assert f["metric_transformation"]["value"] == "1"
    assert filters["AuthorizerFailClosed"]["pattern"] == '{ $.decision = "fail_closed" }'
    assert filters["AuthorizerUnauthorized"]["pattern"] == '{ $.decision = "unauthorized" }'
    assert filters["AuthorizerDenyUnknownKey"]["pattern"] == ('{ ($.decision = "deny") && ($.reason = "unknown_key") }')


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_handler_counts_its_server_errors_by_cause(env: str, stacks) -> None:
    stack = stacks[env]
    handlers = {
        f"/aws/lambda/${{aws_lambda_function.{k}.function_name}}"
        for k, f in stack.document["resource"]["aws_lambda_function"].items()
        if f["handler"] != AUTHORIZER_HANDLER
    }
    server_errors = [
        f
        for f in stack.resources("aws_cloudwatch_log_metric_filter")
        if f["metric_transformation"]["name"] == "ServerErrors"
    ]
    assert {f["log_group_name"] for f in server_errors} == handlers
    for f in server_errors:
        assert f["pattern"] == '{ $.event = "server_error" }'
        assert f["metric_transformation"]["dimensions"] == {"Cause": "$.cause"}


def test_decision_line_as_lambda_writes_it_matches_the_filter_fields() -> None:
    # Lambda's JSON format puts logging `extra` keys at the top level (the decision log).
    line = json.loads(
        '{"level":"WARNING","message":"authorizer decision","decision":"fail_closed",'
        '"reason":"dependency_error","key_id":"anonymous"}'
    )
    fail_closed = next(o for o in AUTHORIZER_OUTCOMES if o.key == "fail-closed")
    assert line["decision"] == fail_closed.decision
