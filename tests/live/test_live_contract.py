"""The seed's tests and the API's public HTTP contract, against a deployed stage (``make test-live ENV=dev``)
or the ``local`` stack served by AWS SAM CLI (``make local-api``; tests/live/conftest.py).

Only HTTP requests to the stage and the key tool: nothing here reads tables or logs.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest

pytestmark = pytest.mark.live

PROJECT = {
    "name": "live-test",
    "type": "live",
    "description": "created by tests/live; deleted by it",
    "ttl_seconds": 3600,
}


@pytest.fixture(scope="module", autouse=True)
def limited_key(make_key) -> str:
    """Created first, so the usage plan knows it by the time the rate-limit test runs."""
    return make_key(10)


def _create(api, key: str, **headers) -> dict:
    reply = api.request("POST", "/api/projects", key=key, body=json.dumps(PROJECT).encode(), headers=headers)
    assert reply.status == 201, reply
    return reply


# --- tests/test_authentication.py of the seed ------------------------------------------------------------


def test_missing_api_key(api) -> None:
    assert api.request("GET", "/health").status == 401


def test_invalid_api_key(api) -> None:
    assert api.request("GET", "/health", key="invalid-key").status == 403


@pytest.mark.aws_only("gateway responses (their bodies and headers)")
def test_invalid_api_key_reason_in_the_body(api) -> None:
    response = api.request("GET", "/health", key="invalid-key")
    assert response.status == 403
    # The Deny's context reaches the ACCESS_DENIED template: $context.authorizer.clientReason (AWS-BEHAVIOUR.md B6).
    assert isinstance(response.body, dict), response.body
    assert response.body.get("reason") == "invalid_key", response.body


def test_valid_api_key(api, key) -> None:
    assert api.request("GET", "/health", key=key).status == 200


# --- every way a key is refused ----------------------------------------------------------------------


def test_empty_api_key_is_401(api) -> None:
    assert api.request("GET", "/health", key="").status == 401
    assert api.request("GET", "/api/projects", key="").status == 401


def test_missing_api_key_on_a_route_is_401(api) -> None:
    assert api.request("GET", "/api/projects").status == 401


def test_unknown_well_formed_key_is_403(api) -> None:
    from modules.functions import keys

    _, unknown = keys.generate_key()
    assert api.request("GET", "/health", key=unknown).status == 403


def test_disabled_key_is_403(api, make_key_with_id, key_manager) -> None:
    key_id, key = make_key_with_id(1000)
    key_manager.disable(key_id)
    assert api.request("GET", "/health", key=key).status == 403


def test_expired_key_is_403_and_its_successor_works(api, make_key_with_id, key_manager) -> None:
    key_id, key = make_key_with_id(1000)
    # A rotation two hours ago with a one-hour grace period: the old key expired an hour ago.
    new_id, new_key = key_manager.rotate(key_id, grace_hours=1, now=time.time() - 7200)
    make_key_with_id.created.append(new_id)
    assert api.request("GET", "/health", key=key).status == 403
    assert api.request("GET", "/health", key=new_key).status == 200


# --- tests/test_rate_limiting.py of the seed -----------------------------------------------------------


def test_rate_limit_enforcement(api, limited_key) -> None:
    for _ in range(10):
        assert api.request("GET", "/health", key=limited_key).status == 200
    response = api.request("GET", "/health", key=limited_key)
    assert response.status == 429
    assert response.header("X-RateLimit-Remaining") == "0"


def test_rate_limit_headers_count_down_then_retry_after(api, make_key) -> None:
    limited = make_key(10)
    for used in range(1, 11):
        reply = api.request("GET", "/health", key=limited)
        assert reply.status == 200, reply
        assert reply.header("X-RateLimit-Limit") == "10"
        assert reply.header("X-RateLimit-Remaining") == str(10 - used)
    refused = api.request("GET", "/health", key=limited)
    assert refused.status == 429
    assert refused.header("X-RateLimit-Remaining") == "0"
    retry_after = refused.header("Retry-After")
    assert retry_after is not None
    assert int(retry_after) > 0


# --- the rest of the public contract -------------------------------------------------------------------


def test_body_over_the_limit_is_413(api, key) -> None:
    from environments.config.api import MAX_BODY_BYTES

    # An extra field: the gateway's body model allows it, so the size (WAF or handler) is what refuses it.
    body = json.dumps({**PROJECT, "padding": "x" * (MAX_BODY_BYTES + 1)}).encode()
    reply = api.request("POST", "/api/projects", key=key, body=body)
    assert reply.status == 413
    assert isinstance(reply.body, dict)


def test_idempotent_post(api, key) -> None:
    idempotency_key = f"live-{uuid.uuid4()}"
    first = _create(api, key, **{"Idempotency-Key": idempotency_key})
    again = _create(api, key, **{"Idempotency-Key": idempotency_key})
    assert again.body["id"] == first.body["id"]
    other = dict(PROJECT, name="another body")
    reply = api.request(
        "POST",
        "/api/projects",
        key=key,
        body=json.dumps(other).encode(),
        headers={"Idempotency-Key": idempotency_key},
    )
    assert reply.status == 422
    assert api.request("DELETE", f"/api/projects/{first.body['id']}", key=key).status == 200


def test_another_tenants_project_is_404(api, key, make_key) -> None:
    other = make_key(1000)
    project = _create(api, key).body["id"]
    assert api.request("GET", f"/api/projects/{project}", key=other).status == 404
    assert api.request("DELETE", f"/api/projects/{project}", key=other).status == 404
    assert api.request("GET", f"/api/projects/{project}", key=key).status == 200
    assert api.request("DELETE", f"/api/projects/{project}", key=key).status == 200


@pytest.mark.aws_only("AWS WAF")
def test_waf_rate_limit_answers_its_json_429(api, live_env) -> None:
    """Floods the stage from this IP past the WAF's per-IP limit: opt in with LIVE_WAF_FLOOD=1."""
    from environments.config.waf import RATE_LIMITED_BODY_KEY, RuleAction

    rate = live_env.waf.rate_limit
    if os.environ.get("LIVE_WAF_FLOOD") != "1":
        pytest.skip("floods the stage past the WAF's per-IP limit: set LIVE_WAF_FLOOD=1 to run it")
    if not live_env.waf.enabled or rate is None or (rate.action or live_env.waf.mode) is not RuleAction.BLOCK:
        pytest.skip(f"{live_env.name}'s WAF does not block over the per-IP rate limit")
    expected = json.loads(rate.response_bodies[RATE_LIMITED_BODY_KEY])
    # WAF evaluates rate limits with a delay of up to a minute: send up to twice the limit.
    for _ in range(2 * rate.limit):
        reply = api.request("GET", "/health")
        if reply.status == 429:
            assert reply.body == expected
            assert reply.header("Retry-After") == str(rate.retry_after_seconds)
            return
    pytest.fail(f"no 429 after {2 * rate.limit} requests (limit {rate.limit} per {rate.window_seconds} s)")
