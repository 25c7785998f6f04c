"""The REQUEST authorizer and the rate-limit contract, through realistic API Gateway events.

Scenarios run through ``tests.apigw.Gateway``: the deployed gateway-response
table, the real authorizer and the real handlers, with an in-memory store.
"""

from __future__ import annotations

import json
import logging
import threading

import pytest

from modules.functions import authorizer, health, keys, projects
from modules.functions.http import response, with_rate_limit
from tests.apigw import Gateway, authorizer_event

PEPPER = b"test-pepper-0123456789"
NOW = 1_700_000_000


class MemoryStore:
    """The Store protocol in memory, with DynamoDB's atomic conditional counter semantics."""

    def __init__(self) -> None:
        self.records: dict[str, authorizer.KeyRecord] = {}
        self.counters: dict[str, int] = {}
        self.touched: list[str] = []
        self.fail: Exception | None = None
        self._lock = threading.Lock()

    def add(self, key: str, *, rate_limit: int = 1000, enabled: bool = True, expires_at: int | None = None) -> str:
        key_id = keys.key_id_of(key)
        self.records[key_id] = authorizer.KeyRecord(
            key_id, keys.hash_key(key, PEPPER), enabled, rate_limit, expires_at, None
        )
        return key_id

    def pepper(self) -> bytes:
        return PEPPER

    def get_key(self, key_id: str):
        if self.fail:
            raise self.fail
        return self.records.get(key_id)

    def count_request(self, key_id, window_start, limit, _now):
        with self._lock:
            counter = f"{key_id}#{window_start}"
            if self.counters.get(counter, 0) >= limit:
                return None
            self.counters[counter] = self.counters.get(counter, 0) + 1
            return self.counters[counter]

    def touch(self, key_id, _now):
        self.touched.append(key_id)


@pytest.fixture
def store():
    memory = MemoryStore()
    authorizer.set_store(memory)
    yield memory
    authorizer.set_store(None)


def ok_backend(event, context):
    return with_rate_limit(lambda _event, _context: response(200, {"ok": True}))(event, context)


@pytest.fixture
def key(store) -> str:
    _, value = keys.generate_key()
    store.add(value, rate_limit=10)
    return value


# --- the seed's testing strategy ---------------------------------------------------------------


@pytest.mark.usefixtures("store")
def test_missing_key_is_401() -> None:
    gateway = Gateway(backend=ok_backend)
    result = gateway.request("GET", "/api/projects", {"Accept": "application/json"})
    assert result.status == 401
    assert result.body["error"].startswith("missing API key")
    assert result.header("WWW-Authenticate") == "ApiKey header=X-API-Key"


def test_invalid_key_is_403(key) -> None:
    _, other = keys.generate_key()
    gateway = Gateway(backend=ok_backend, plan_keys={key, other})
    result = gateway.request("GET", "/api/projects", {"X-API-Key": other})
    assert result.status == 403
    assert result.body == {"error": "invalid, disabled or expired API key", "requestId": "req-1"}


def test_valid_key_is_200_with_rate_limit_headers(key) -> None:
    gateway = Gateway(backend=ok_backend, plan_keys={key})
    result = gateway.request("GET", "/api/projects", {"X-API-Key": key})
    assert result.status == 200
    assert result.header("X-RateLimit-Limit") == "10"
    assert result.header("X-RateLimit-Remaining") == "9"
    assert int(result.header("X-RateLimit-Reset")) % keys.WINDOW_SECONDS == 0


def test_limit_ten_allows_ten_and_the_eleventh_gets_429(key) -> None:
    gateway = Gateway(backend=ok_backend, plan_keys={key})
    results = [gateway.request("GET", "/api/projects", {"X-API-Key": key}) for _ in range(11)]
    assert [r.status for r in results] == [200] * 10 + [429]
    assert [r.header("X-RateLimit-Remaining") for r in results[:10]] == [str(n) for n in range(9, -1, -1)]
    limited = results[10]
    assert limited.header("X-RateLimit-Remaining") == "0"
    assert limited.header("X-RateLimit-Limit") == "10"
    assert limited.header("X-RateLimit-Reset") == results[0].header("X-RateLimit-Reset")
    assert 1 <= int(limited.header("Retry-After")) <= keys.WINDOW_SECONDS
    assert limited.body == {"error": "rate limit exceeded"}


def test_rate_limited_request_never_runs_the_route(key) -> None:
    called = []
    gateway = Gateway(
        backend=with_rate_limit(lambda _event, _context: called.append(1) or response(201, {})), plan_keys={key}
    )
    for _ in range(12):
        gateway.request("POST", "/api/projects", {"X-API-Key": key})
    assert len(called) == 10


@pytest.mark.parametrize("header", ["X-API-Key", "x-api-key", "X-Api-Key", "X-API-KEY"])
def test_header_lookup_is_case_insensitive(key, header) -> None:
    assert Gateway(backend=ok_backend, plan_keys={key}).request("GET", "/api/projects", {header: key}).status == 200


def test_disabled_and_expired_keys_are_403(store) -> None:
    _, disabled = keys.generate_key()
    _, expired = keys.generate_key()
    _, grace = keys.generate_key()
    store.add(disabled, enabled=False)
    store.add(expired, expires_at=NOW - 1)
    store.add(grace, expires_at=2**40)  # rotated, still inside its grace period
    gateway = Gateway(backend=ok_backend, plan_keys={disabled, expired, grace})
    assert gateway.request("GET", "/api/projects", {"X-API-Key": disabled}).status == 403
    assert gateway.request("GET", "/api/projects", {"X-API-Key": expired}).status == 403
    assert gateway.request("GET", "/api/projects", {"X-API-Key": grace}).status == 200


def test_key_unknown_to_the_usage_plan_is_403_invalid_api_key(key) -> None:
    result = Gateway(backend=ok_backend, plan_keys=set()).request("GET", "/api/projects", {"X-API-Key": key})
    assert result.status == 403
    assert result.body["error"] == "API key is not enabled for this API"


def test_store_failure_fails_closed_with_503(store, key) -> None:
    store.fail = ConnectionError("dynamodb unreachable")
    called = []
    gateway = Gateway(backend=lambda _event, _context: called.append(1), plan_keys={key})
    result = gateway.request("GET", "/api/projects", {"X-API-Key": key})
    assert result.status == 503
    assert result.header("Retry-After") == "5"
    assert called == []


def test_allow_returns_usage_identifier_key_and_string_context(key) -> None:
    result = authorizer.handler(authorizer_event("GET", "/api/projects", {"X-API-Key": key}), None, now=NOW)
    assert result["usageIdentifierKey"] == key
    assert result["principalId"] == keys.key_id_of(key)
    statement = result["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"].endswith("/v1/GET/api/projects")
    assert all(isinstance(v, str) for v in result["context"].values())
    assert result["context"]["rateLimitReset"] == str(keys.window_start(NOW) + keys.WINDOW_SECONDS)


# --- bad events: always a clean 4xx ------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"type": "REQUEST"},
        {"headers": None, "multiValueHeaders": None},
        {"headers": {"X-API-Key": ""}},
        {"headers": {"X-API-Key": "   "}},
        {"headers": {"X-API-Key": None}},
        {"headers": {"X-API-Key": 12345}},
        {"headers": ["X-API-Key", "x"]},
        {"multiValueHeaders": {"x-api-key": ["a", "b"]}},
        "not an event",
        None,
    ],
)
@pytest.mark.usefixtures("store")
def test_events_without_a_usable_key_are_401(event) -> None:
    with pytest.raises(authorizer.Unauthorized) as raised:
        authorizer.handler(event, None)
    assert str(raised.value) == "Unauthorized"  # API Gateway's exact contract for a 401


@pytest.mark.parametrize(
    "value",
    ["k" * 10_240, "not-a-key", "agk" + "0" * 55, "agk" + "g" * 16 + "a" * 40, "agk0123456789abcdef" + "!" * 40],
)
def test_malformed_keys_are_denied_403_without_a_lookup(store, value) -> None:
    store.fail = AssertionError("the store must not be called for a malformed key")
    result = authorizer.handler(authorizer_event("GET", "/api/projects", {"X-API-Key": value}), None)
    assert result["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert result["context"]["reason"] == "malformed_key"


@pytest.mark.usefixtures("store")
def test_ten_kilobyte_header_through_the_gateway_is_403() -> None:
    result = Gateway(backend=ok_backend).request("GET", "/api/projects", {"X-API-Key": "A" * 10_240})
    assert result.status == 403


def test_key_values_never_reach_a_log_line(store, key, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    gateway = Gateway(backend=ok_backend, plan_keys={key})
    _, unknown = keys.generate_key()
    for value in (key, unknown, key[:-1] + "x"):
        gateway.request("GET", "/api/projects", {"X-API-Key": value})
    store.fail = RuntimeError("boom")
    gateway.request("GET", "/api/projects", {"X-API-Key": key})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "deny" in text
    assert "fail closed" in text
    for value in (key, unknown, key[:-1] + "x", key[19:]):  # ...but never a key or its secret part
        assert value not in text


def test_comparison_uses_hmac_compare_digest(monkeypatch) -> None:
    calls = []
    real = keys.hmac.compare_digest
    monkeypatch.setattr(keys.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    _, value = keys.generate_key()
    assert keys.key_matches(value, keys.hash_key(value, PEPPER), PEPPER)
    assert not keys.key_matches(value, keys.hash_key(value, b"other"), PEPPER)
    assert calls == [1, 1]


def test_stored_hash_is_peppered_hmac_not_the_key() -> None:
    _, value = keys.generate_key()
    digest = keys.hash_key(value, PEPPER)
    assert len(digest) == 64
    assert value not in digest
    assert digest != keys.hash_key(value, PEPPER + b"x")


# --- the backend handlers' own bad-input handling ----------------------------------------------


def _post(body, content_type="application/json", **extra):
    headers = {"Content-Type": content_type} if content_type else {}
    return projects.handler({"httpMethod": "POST", "headers": headers, "body": body, **extra}, None)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("{not json", "application/json", 400, "request body is not valid JSON"),
        ('["a"]', "application/json", 400, "request body must be a JSON object"),
        ('{"name": "x"}', "application/json", 400, "missing required field(s): type, description"),
        (
            '{"name": "", "type": "t", "description": "d"}',
            "application/json",
            400,
            "field 'name' must be a non-empty string",
        ),
        (
            '{"name": 1, "type": "t", "description": "d"}',
            "application/json",
            400,
            "field 'name' must be a non-empty string",
        ),
        ("", "application/json", 400, "request body is required"),
        (None, "application/json", 400, "request body is required"),
        ('{"name": "a", "type": "t", "description": "d"}', "text/plain", 415, "Content-Type must be application/json"),
        ('{"name": "a", "type": "t", "description": "d"}', None, 415, "Content-Type must be application/json"),
        ("x" * 70_000, "application/json", 413, "request body is larger than 65536 bytes"),
    ],
)
def test_bad_project_requests_get_a_json_4xx(body, content_type, status, message) -> None:
    result = _post(body, content_type)
    assert result["statusCode"] == status
    assert json.loads(result["body"]) == {"error": message}
    assert result["headers"]["Content-Type"] == "application/json"


def test_non_base64_body_is_400() -> None:
    result = _post("%%%not-base64", isBase64Encoded=True)
    assert result["statusCode"] == 400


def test_unknown_method_is_405_and_non_dict_event_is_400() -> None:
    assert projects.handler({"httpMethod": "DELETE"}, None)["statusCode"] == 405
    assert projects.handler("junk", None)["statusCode"] == 400


def test_health_is_200_json() -> None:
    result = health.handler({"httpMethod": "GET", "headers": None}, None)
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["status"] == "healthy"
