"""Quiet by design: normal traffic cannot breach an alarm, derived from the synthesized JSON.

Normal traffic: keyless scans (authorizer 401s), clients at their limit (429s), a canary run, a quiet
night and a deploy. Each check below is a function over one stack's JSON returning the violations,
run on every environment and, as a negative control, on a copy doctored to hold the mistake it catches.

``test_every_work_queue_has_a_consumer`` is what caught the projects queue without a reader: its
oldest-message-age alarm could never clear until the worker's event source mapping existed.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from environments import ENVIRONMENTS
from modules.monitoring.alarms import build_alarm_specs
from modules.monitoring.quiet import quiet_note
from tests.monitoring_fixtures import CANARY, CONFIG, REFS, REGION, WAF

Document = dict[str, Any]
AUTHORIZER_HANDLER = "functions.authorizer.handler"
#: Authorizer outcomes that are normal traffic (the decision log's metric names).
NORMAL_OUTCOMES = re.compile(r"Authorizer(Allow|Unauthorized|Deny\w*|RateLimited)")
#: Namespaces whose metrics only exist while requests flow: no data = a quiet night.
TRAFFIC_NAMESPACES = ("AWS/Lambda", "AWS/ApiGateway", "AWS/DynamoDB", "AWS/SQS", "AWS/WAFV2", "AgenticAI/")


def _resources(doc: Document, type_: str) -> dict[str, dict[str, Any]]:
    return doc.get("resource", {}).get(type_, {})


def _metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads (its own fields, or each metric of its metric math)."""
    return [q["metric"] for q in alarm.get("metric_query") or [] if q.get("metric")] or [alarm]


def _critical_topic_refs(doc: Document) -> set[str]:
    return {
        f"${{aws_sns_topic.{key}.arn}}"
        for key, topic in _resources(doc, "aws_sns_topic").items()
        if str(topic.get("name", "")).endswith("-critical")
    }


def paging_alarms(doc: Document) -> dict[str, dict[str, Any]]:
    """Metric alarms that page: they notify a critical topic, or sit under a composite that does."""
    critical = _critical_topic_refs(doc)
    alarms = _resources(doc, "aws_cloudwatch_metric_alarm")
    paging = {a["alarm_name"]: a for a in alarms.values() if critical & set(a.get("alarm_actions", []))}
    for composite in _resources(doc, "aws_cloudwatch_composite_alarm").values():
        if critical & set(composite.get("alarm_actions", [])):
            for name in re.findall(r'ALARM\("([^"]+)"\)', composite["alarm_rule"]):
                paging.update({a["alarm_name"]: a for a in alarms.values() if a["alarm_name"] == name})
    return paging


def pages_on_normal_traffic(doc: Document) -> list[str]:
    """Paging alarms that count client errors (4XX) or the authorizer's 401s (its Lambda Errors, its outcomes)."""
    authorizers = {
        f"${{aws_lambda_function.{key}.function_name}}"
        for key, fn in _resources(doc, "aws_lambda_function").items()
        if fn.get("handler") == AUTHORIZER_HANDLER
    }
    found = []
    for name, alarm in paging_alarms(doc).items():
        for m in _metrics(alarm):
            metric, dims = m.get("metric_name", ""), m.get("dimensions") or {}
            if metric == "4XXError":
                found.append(f"{name}: 4XXError")
            if metric == "Errors" and dims.get("FunctionName") in authorizers:
                found.append(f"{name}: authorizer Errors (401s)")
            if m.get("namespace") == "AWS/Lambda" and metric == "Errors" and not dims and authorizers:
                found.append(f"{name}: account-wide Errors include the authorizer")
            if NORMAL_OUTCOMES.fullmatch(metric):
                found.append(f"{name}: {metric}")
    return found


def queues_without_consumer(doc: Document) -> list[str]:
    """Work (non-dead-letter) queues that no event source mapping reads."""
    dead_letters = set()
    for queue in _resources(doc, "aws_sqs_queue").values():
        policy = str(queue.get("redrive_policy", ""))
        dead_letters |= set(re.findall(r"aws_sqs_queue\.([\w-]+)\.arn", policy))
    consumed = {
        m
        for mapping in _resources(doc, "aws_lambda_event_source_mapping").values()
        for m in re.findall(r"aws_sqs_queue\.([\w-]+)\.arn", str(mapping.get("event_source_arn", "")))
    }
    return sorted(key for key in _resources(doc, "aws_sqs_queue") if key not in dead_letters | consumed)


def canary_alarms_without_canary(doc: Document) -> list[str]:
    names = {c.get("name") for c in _resources(doc, "aws_synthetics_canary").values()}
    names |= {f"${{aws_synthetics_canary.{key}.name}}" for key in _resources(doc, "aws_synthetics_canary")}
    return [
        a["alarm_name"]
        for a in _resources(doc, "aws_cloudwatch_metric_alarm").values()
        for m in _metrics(a)
        if m.get("namespace") == "CloudWatchSynthetics" and (m.get("dimensions") or {}).get("CanaryName") not in names
    ]


def missing_data_mismatches(doc: Document) -> list[str]:
    """Traffic metrics must treat no data as not breaching (a quiet night); the canary may breach on no data
    only if it runs around the clock (a rate() schedule), else every night without runs would page."""
    canaries_around_the_clock = all(
        str(c.get("schedule", {}).get("expression", "")).startswith("rate(")
        for c in _resources(doc, "aws_synthetics_canary").values()
    )
    found = []
    for a in _resources(doc, "aws_cloudwatch_metric_alarm").values():
        namespaces = {m.get("namespace", "") for m in _metrics(a)}
        treat = a["treat_missing_data"]
        if any(ns.startswith(TRAFFIC_NAMESPACES) for ns in namespaces) and treat != "notBreaching":
            found.append(f"{a['alarm_name']}: {treat} on a traffic metric")
        if "CloudWatchSynthetics" in namespaces and treat == "breaching" and not canaries_around_the_clock:
            found.append(f"{a['alarm_name']}: breaching, but the canary does not run around the clock")
    return found


# ----------------------------------------------------------------------------- the checks, per environment


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_paging_alarm_counts_client_errors_or_authorizer_401s(env: str, stacks) -> None:
    doc = stacks[env].document
    assert paging_alarms(doc), "the check must see some paging alarms"
    assert pages_on_normal_traffic(doc) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_work_queue_has_a_consumer(env: str, stacks) -> None:
    assert queues_without_consumer(stacks[env].document) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_canary_alarms_exist_only_with_a_canary(env: str, stacks) -> None:
    assert canary_alarms_without_canary(stacks[env].document) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_missing_data_treatment_matches_each_alarms_traffic(env: str, stacks) -> None:
    assert missing_data_mismatches(stacks[env].document) == []


def test_every_built_in_alarm_states_its_quiet_traffic() -> None:
    specs = build_alarm_specs(CONFIG, REFS, region=REGION, waf=WAF, canary=CANARY)
    assert [s.key for s in specs if quiet_note(s.key) is None] == []


# ----------------------------------------------------------------------------- negative controls


def _prod(stacks) -> Document:
    return copy.deepcopy(stacks["prod"].document)


def _critical_alarm(doc: Document, name: str, **metric: Any) -> None:
    critical = sorted(_critical_topic_refs(doc))[0]
    base = {"alarm_name": name, "alarm_actions": [critical], "treat_missing_data": "notBreaching"}
    _resources(doc, "aws_cloudwatch_metric_alarm")[name] = {**base, **metric}


def test_control_the_old_authorizer_errors_alarm_is_caught(stacks) -> None:
    doc = _prod(stacks)
    key = next(k for k, f in _resources(doc, "aws_lambda_function").items() if f["handler"] == AUTHORIZER_HANDLER)
    dims = {"FunctionName": f"${{aws_lambda_function.{key}.function_name}}"}
    _critical_alarm(doc, "old-authorizer-errors", namespace="AWS/Lambda", metric_name="Errors", dimensions=dims)
    assert pages_on_normal_traffic(doc) == ["old-authorizer-errors: authorizer Errors (401s)"]


def test_control_a_paging_4xx_alarm_and_a_paging_deny_count_are_caught(stacks) -> None:
    doc = _prod(stacks)
    _critical_alarm(doc, "paging-4xx", namespace="AWS/ApiGateway", metric_name="4XXError")
    _critical_alarm(doc, "paging-denies", namespace="AgenticAI/x", metric_name="AuthorizerDenyUnknownKey")
    assert sorted(pages_on_normal_traffic(doc)) == ["paging-4xx: 4XXError", "paging-denies: AuthorizerDenyUnknownKey"]


def test_control_a_queue_without_consumer_is_caught(stacks) -> None:
    doc = _prod(stacks)
    _resources(doc, "aws_sqs_queue")["orphan"] = {"name": "orphan"}
    assert "orphan" in queues_without_consumer(doc)
    doc["resource"].setdefault("aws_lambda_event_source_mapping", {})["m"] = {
        "event_source_arn": "${aws_sqs_queue.orphan.arn}"
    }
    assert "orphan" not in queues_without_consumer(doc)


def test_control_a_canary_alarm_without_canary_is_caught(stacks) -> None:
    doc = _prod(stacks)
    doc["resource"].pop("aws_synthetics_canary", None)
    assert any("canary-success" in name for name in canary_alarms_without_canary(doc))


def test_control_breaching_on_a_quiet_night_is_caught(stacks) -> None:
    doc = _prod(stacks)
    alarm = next(
        a for a in _resources(doc, "aws_cloudwatch_metric_alarm").values() if a["alarm_name"].endswith("-api-5xx")
    )
    alarm["treat_missing_data"] = "breaching"
    assert missing_data_mismatches(doc) == [f"{alarm['alarm_name']}: breaching on a traffic metric"]


def test_control_a_business_hours_canary_may_not_breach_on_missing_data(stacks) -> None:
    doc = _prod(stacks)
    for canary in _resources(doc, "aws_synthetics_canary").values():
        canary["schedule"] = {"expression": "cron(0/5 8-17 ? * MON-FRI *)"}
    for alarm in _resources(doc, "aws_cloudwatch_metric_alarm").values():
        if alarm["alarm_name"].endswith("-canary-success"):
            alarm["treat_missing_data"] = "breaching"  # the mistake: every night without runs would page
    assert any("does not run around the clock" in m for m in missing_data_mismatches(doc))
