"""Property tests of the synthesized front door, and validation of its config."""

from __future__ import annotations

import json

import pytest

from environments import ENVIRONMENTS, load
from environments.config import AuthConfig, ConfigError, QuotaPeriod, UsagePlanConfig
from modules.front_door.front_door import gateway_responses
from tests.support.rejects import rejects

REQUIRED_RESPONSES = {
    "UNAUTHORIZED": "401",
    "ACCESS_DENIED": "403",
    "INVALID_API_KEY": "403",
    "THROTTLED": "429",
    "QUOTA_EXCEEDED": "429",
    "AUTHORIZER_FAILURE": "503",
    "AUTHORIZER_CONFIGURATION_ERROR": "503",
    "BAD_REQUEST_BODY": "400",
}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_usage_plan_matches_config_and_covers_the_stage(env, stacks) -> None:
    plan_config, stack = load(env).auth.usage_plan, stacks[env]
    plan = stack.resource("aws_api_gateway_usage_plan")
    assert plan["name"] == f"{load(env).name_prefix}-default"
    assert plan["throttle_settings"] == {
        "rate_limit": plan_config.rate_limit_per_second,
        "burst_limit": plan_config.burst_limit,
    }
    # No quota: the per-key hourly limit is the authorizer's, and a quota would count the 429s.
    assert plan_config.quota_limit is None
    assert "quota_settings" not in plan
    assert plan["api_stages"][0]["stage"].startswith("${aws_api_gateway_stage.")


def test_prod_usage_plan_is_the_seed_throttle_and_the_hourly_limit_is_the_authorizers(stacks) -> None:
    plan = stacks["prod"].resource("aws_api_gateway_usage_plan")
    assert plan["throttle_settings"] == {"rate_limit": 1000, "burst_limit": 2000}
    assert "quota_settings" not in plan  # was 24,000 per DAY: a client retrying at 429 burnt it
    assert load("prod").auth.default_key_rate_limit_per_hour == 1000


def test_a_configured_quota_is_still_rendered() -> None:
    from environments.config import QuotaPeriod as Period

    plan = UsagePlanConfig(quota_limit=50_000, quota_period=Period.MONTH)
    quota = next(r for r in gateway_responses(plan) if r.response_type == "QUOTA_EXCEEDED")
    assert dict(quota.headers)["X-RateLimit-Limit"] == "50000"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_request_authorizer_on_x_api_key_without_caching(env, stacks) -> None:
    authorizer = stacks[env].resource("aws_api_gateway_authorizer")
    assert authorizer["type"] == "REQUEST"
    assert authorizer["identity_source"] == "method.request.header.X-API-Key"
    assert authorizer["authorizer_result_ttl_in_seconds"] == 0
    assert authorizer["authorizer_uri"].startswith("${aws_lambda_function.front-door_authorizer-function")
    function = stacks[env].resource("aws_lambda_function", function_name=f"{load(env).name_prefix}-authorizer")
    assert function["handler"] == "functions.authorizer.handler"
    variables = function["environment"]["variables"]
    assert set(variables) == {
        "API_KEYS_TABLE",
        "PEPPER_SECRET_ID",
        "KEY_CACHE_SECONDS",
        "OVER_LIMIT_ACTION",
        "LOG_SAMPLE_RATE",  # always 1: the decision lines are metrics (tests/test_sampling.py)
    }
    assert float(variables["KEY_CACHE_SECONDS"]) == load(env).auth.key_cache_seconds
    expected = "deny" if load(env).api.existing is not None else "integration"
    assert variables["OVER_LIMIT_ACTION"] == expected


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_gateway_responses_have_json_bodies_statuses_and_headers(env, stacks) -> None:
    config, stack = load(env), stacks[env]
    responses = {r["response_type"]: r for r in stack.resources("aws_api_gateway_gateway_response")}
    assert set(responses) == set(REQUIRED_RESPONSES) | {"DEFAULT_4XX", "DEFAULT_5XX"}
    assert len(responses) == len(gateway_responses(config.auth.usage_plan))
    for response_type, status in REQUIRED_RESPONSES.items():
        assert responses[response_type]["status_code"] == status, response_type
    for response_type in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert "status_code" not in responses[response_type]  # keeps API Gateway's own 4xx/5xx code
    for response in responses.values():
        body = json.loads(response["response_templates"]["application/json"].replace("$context.requestId", "r"))
        if response["response_type"] == "ACCESS_DENIED":
            assert body == {
                "error": "access denied",
                "reason": "$context.authorizer.clientReason",
                "retryAfter": "$context.authorizer.retryAfter",
                "requestId": "r",
            }
            continue
        assert set(body) == {"error", "requestId"}
        assert body["error"]
        headers = response["response_parameters"]
        assert headers["gatewayresponse.header.Content-Type"] == "'application/json'"
        assert all(v.startswith("'") and v.endswith("'") for v in headers.values())  # static values
    throttled = responses["THROTTLED"]["response_parameters"]
    assert throttled["gatewayresponse.header.Retry-After"] == "'1'"
    assert throttled["gatewayresponse.header.X-RateLimit-Remaining"] == "'0'"
    for failing in ("AUTHORIZER_FAILURE", "AUTHORIZER_CONFIGURATION_ERROR"):  # whichever AWS produces
        assert responses[failing]["response_parameters"]["gatewayresponse.header.Retry-After"] == "'5'"
    quota = responses["QUOTA_EXCEEDED"]["response_parameters"]
    assert "gatewayresponse.header.X-RateLimit-Limit" not in quota  # no quota configured: no limit to state
    assert quota["gatewayresponse.header.X-RateLimit-Remaining"] == "'0'"
    assert "gatewayresponse.header.Retry-After" in quota
    assert responses["UNAUTHORIZED"]["response_parameters"]["gatewayresponse.header.WWW-Authenticate"] == (
        "'ApiKey header=X-API-Key'"
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_one_keys_table_holds_records_and_counters(env, stacks) -> None:
    prefix, stack = load(env).name_prefix, stacks[env]
    keys = stack.resource("aws_dynamodb_table", name=f"{prefix}-api-keys")
    assert keys["hash_key"] == "key_id"
    assert keys["attribute"] == [{"name": "key_id", "type": "S"}]
    assert keys["point_in_time_recovery"] == {"enabled": True}
    assert keys["server_side_encryption"]["enabled"] is True
    # The hourly counters live on the key items (key_record.admit_update): no second table, no TTL on keys
    # (``expires_at`` is a rotated key's grace end, which must stay readable).
    assert "ttl" not in keys
    assert not [t for t in stack.resources("aws_dynamodb_table") if t["name"].endswith("-rate-limits")]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_pepper_secret_has_no_value_in_terraform(env, stacks, synth_dir) -> None:
    """The pepper is written by `manage_keys.py init-pepper`, so no value can reach a plan or the state."""
    stack = stacks[env]
    prefix = load(env).name_prefix
    stack.resource("aws_secretsmanager_secret", name=f"{prefix}/auth/pepper")
    stack.resource("aws_secretsmanager_secret", name=f"{prefix}/api-keys/canary")
    assert stack.count("aws_secretsmanager_secret_version") == 0
    assert stack.data_sources("aws_secretsmanager_random_password") == []
    text = (synth_dir / "stacks" / env / "cdk.tf.json").read_text()
    assert "random_password" not in text
    assert "secret_string" not in text
    assert "agk" not in text.replace("agenticai", "")  # no API key literal anywhere


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_deployment_follows_front_door_changes(env, stacks) -> None:
    deployment = stacks[env].resource("aws_api_gateway_deployment")
    responses = [d for d in deployment["depends_on"] if d.startswith("aws_api_gateway_gateway_response.")]
    assert len(responses) == stacks[env].count("aws_api_gateway_gateway_response")
    assert len(deployment["triggers"]["redeployment"]) == 64


def test_gateway_responses_follow_the_usage_plan_values() -> None:
    a = gateway_responses(UsagePlanConfig())
    b = gateway_responses(UsagePlanConfig(quota_limit=1000))
    assert a != b


# --- validation --------------------------------------------------------------------------------


def test_rejects_hour_quota_period_naming_the_allowed_periods() -> None:
    with pytest.raises(ConfigError) as raised:
        UsagePlanConfig(quota_limit=1000, quota_period="HOUR")
    message = str(raised.value)
    assert message.startswith("auth.usage_plan.quota_period: got 'HOUR'; allowed: one of QuotaPeriod.DAY")
    assert "QuotaPeriod.WEEK" in message
    assert "QuotaPeriod.MONTH" in message
    assert "no HOUR period" in message


def test_quota_period_enum_has_no_hour() -> None:
    assert [p.value for p in QuotaPeriod] == ["DAY", "WEEK", "MONTH"]


def test_rejects_burst_below_rate() -> None:
    rejects(
        r"auth.usage_plan.burst_limit: got 10; allowed: an integer >= rate",
        lambda: UsagePlanConfig(rate_limit_per_second=100, burst_limit=10),
    )


def test_rejects_zero_rate() -> None:
    rejects(r"auth.usage_plan.rate_limit_per_second: got 0", lambda: UsagePlanConfig(rate_limit_per_second=0))


def test_rejects_zero_quota() -> None:
    rejects(r"auth.usage_plan.quota_limit: got 0", lambda: UsagePlanConfig(quota_limit=0))


def test_rejects_zero_default_key_limit() -> None:
    rejects(r"auth.default_key_rate_limit_per_hour: got 0", lambda: AuthConfig(default_key_rate_limit_per_hour=0))


def test_rejects_usage_plan_as_dict() -> None:
    rejects(r"auth.usage_plan: got \{\}; allowed: a UsagePlanConfig", lambda: AuthConfig(usage_plan={}))


def test_rejects_grace_over_thirty_days() -> None:
    rejects(r"auth.rotation_grace_hours: got 721", lambda: AuthConfig(rotation_grace_hours=721))


def test_existing_api_mode_denies_over_limit_keys_so_the_hourly_limit_is_enforced() -> None:
    """an existing API's integrations ignore rateLimited, so the authorizer must deny instead."""
    from tests.synth import existing_api_stack

    _, synth = existing_api_stack("staging")
    function = synth.resource("aws_lambda_function", function_name=f"{load('staging').name_prefix}-authorizer")
    assert function["environment"]["variables"]["OVER_LIMIT_ACTION"] == "deny"
    plan = synth.resource("aws_api_gateway_usage_plan")
    assert "quota_settings" not in plan


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_manage_keys_resolves_the_data_key_the_stack_names(env, stacks) -> None:
    """manage_keys.py creates key secrets with AuthNames.data_key_alias: it must be the stack's data key alias."""
    from modules.front_door.names import AuthNames

    aliases = [a["name"] for a in stacks[env].resources("aws_kms_alias")]
    assert AuthNames.for_prefix(load(env).name_prefix).data_key_alias in aliases
