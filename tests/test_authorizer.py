"""The REQUEST authorizer and the rate-limit contract, through realistic API Gateway events.

Scenarios run through ``tests.apigw.Gateway``: the deployed gateway-response
table, the real authorizer and the real handlers, with an in-memory store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading

import pytest

from modules.functions import authorizer, health, keys, projects
from modules.functions.http import response, with_rate_limit
from modules.functions.key_record import APIKey
from tests.apigw import Gateway, authorizer_event

PEPPER = b"test-pepper-0123456789"
NOW = 1_700_000_000


class MemoryStore:
    """The Store protocol in memory: the key item's conditional count (``key_record.admit_update``) with
    DynamoDB's semantics (the condition and the write are one atomic step); counts calls."""

    def __init__(self) -> None:
        self.records: dict[str, APIKey] = {}
        self.counters: dict[str, int] = {}
        self.calls: list[str] = []
        self.fail: Exception | None = None
        self.pepper_set = keys.PepperSet(1, (keys.Pepper(1, PEPPER),))
        self._lock = threading.Lock()

    def add(self, key: str, *, rate_limit: int = 1000, enabled: bool = True, expires_at: int | None = None) -> str:
        key_id = keys.key_id_of(key)
        key_hash = keys.hash_key(key, PEPPER)
        self.records[key_id] = APIKey(
            key_id=key_id,
            key_hash=key_hash,
            enabled=enabled,
            rate_limit=rate_limit,
            expires_at=expires_at,
            metering_value=keys.metering_value(key_hash, PEPPER),
        )
        return key_id

    def peppers(self) -> keys.PepperSet:
        self.calls.append("peppers")
        return self.pepper_set

    def admit(self, key_id, key_hashes, window_start, now):
        self.calls.append("admit")
        if self.fail:
            raise self.fail
        with self._lock:
            record = self.records.get(key_id)
            counter = f"{key_id}#{window_start}"
            count = self.counters.get(counter, 0)
            if (
                record is None
                or record.key_hash not in key_hashes
                or not record.enabled
                or record.rate_limit <= 0
                or (record.expires_at is not None and record.expires_at <= now)
                or count >= record.rate_limit
            ):
                return authorizer.Admission(False, record, count)
            self.counters[counter] = count + 1
            record = self.records[key_id] = dataclasses.replace(record, last_used_epoch=now)
            return authorizer.Admission(True, record, count + 1)

    def rehash(self, key_id, key_hash, version, old_version):
        self.calls.append("rehash")
        record = self.records[key_id]
        if record.pepper_version == old_version:
            self.records[key_id] = dataclasses.replace(record, key_hash=key_hash, pepper_version=version)


def meters(*values: str) -> set[str]:
    """The usage plan's API key values for these keys: their derived metering values."""
    return {keys.metering_value(keys.hash_key(value, PEPPER), PEPPER) for value in values}


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
    gateway = Gateway(backend=ok_backend, plan_keys=meters(key, other))
    result = gateway.request("GET", "/api/projects", {"X-API-Key": other})
    assert result.status == 403
    assert result.body == {"error": "access denied", "reason": "invalid_key", "retryAfter": "", "requestId": "req-1"}


def test_valid_key_is_200_with_rate_limit_headers(key) -> None:
    gateway = Gateway(backend=ok_backend, plan_keys=meters(key))
    result = gateway.request("GET", "/api/projects", {"X-API-Key": key})
    assert result.status == 200
    assert result.header("X-RateLimit-Limit") == "10"
    assert result.header("X-RateLimit-Remaining") == "9"
    assert int(result.header("X-RateLimit-Reset")) % keys.WINDOW_SECONDS == 0


def test_limit_ten_allows_ten_and_the_eleventh_gets_429(key) -> None:
    gateway = Gateway(backend=ok_backend, plan_keys=meters(key))
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
        backend=with_rate_limit(lambda _event, _context: called.append(1) or response(201, {})), plan_keys=meters(key)
    )
    for _ in range(12):
        gateway.request("POST", "/api/projects", {"X-API-Key": key})
    assert len(called) == 10


@pytest.mark.parametrize("header", ["X-API-Key", "x-api-key", "X-Api-Key", "X-API-KEY"])
def test_header_lookup_is_case_insensitive(key, header) -> None:
    assert (
        Gateway(backend=ok_backend, plan_keys=meters(key)).request("GET", "/api/projects", {header: key}).status == 200
    )


def test_disabled_and_expired_keys_are_403(store) -> None:
    _, disabled = keys.generate_key()
    _, expired = keys.generate_key()
    _, grace = keys.generate_key()
    store.add(disabled, enabled=False)
    store.add(expired, expires_at=NOW - 1)
    store.add(grace, expires_at=2**40)  # rotated, still inside its grace period
    gateway = Gateway(backend=ok_backend, plan_keys=meters(disabled, expired, grace))
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
    gateway = Gateway(backend=lambda _event, _context: called.append(1), plan_keys=meters(key))
    result = gateway.request("GET", "/api/projects", {"X-API-Key": key})
    assert result.status == 503
    assert result.header("Retry-After") == "5"
    assert called == []


def test_allow_returns_usage_identifier_key_and_string_context(key) -> None:
    result = authorizer.handler(authorizer_event("GET", "/api/projects", {"X-API-Key": key}), None, now=NOW)
    assert result["usageIdentifierKey"] == keys.metering_value(keys.hash_key(key, PEPPER), PEPPER)
    assert keys.METERING_PATTERN.fullmatch(result["usageIdentifierKey"])
    assert key not in result["usageIdentifierKey"]
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
    gateway = Gateway(backend=ok_backend, plan_keys=meters(key))
    _, unknown = keys.generate_key()
    for value in (key, unknown, key[:-1] + "x"):
        gateway.request("GET", "/api/projects", {"X-API-Key": value})
    store.fail = RuntimeError("boom")
    authorizer.set_store(store)  # forget the cached record, so that the store is called and fails
    gateway.request("GET", "/api/projects", {"X-API-Key": key})
    decisions = [getattr(r, "decision", None) for r in caplog.records if r.getMessage() == "authorizer decision"]
    assert decisions == ["allow", "deny", "deny", "fail_closed"]
    text = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    for value in (key, unknown, key[:-1] + "x", key[19:], PEPPER.decode()):  # never a key, its secret, the pepper
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


# --- the decision log: one line per request --------------------------------------------------


def _decisions(caplog) -> list[tuple[str, str, str, int]]:
    return [
        (r.decision, r.reason, r.key_id, r.levelno) for r in caplog.records if r.getMessage() == "authorizer decision"
    ]


def test_every_outcome_logs_exactly_one_c1_decision_line(store, caplog) -> None:
    caplog.set_level(logging.INFO)
    _, good = keys.generate_key()
    _, disabled = keys.generate_key()
    _, expired = keys.generate_key()
    good_id = store.add(good, rate_limit=1)
    disabled_id = store.add(disabled, enabled=False)
    expired_id = store.add(expired, expires_at=NOW - 1)
    _, unknown = keys.generate_key()

    def call(value):
        event = authorizer_event("GET", "/api/projects", {"X-API-Key": value} if value else {})
        # 401 and fail-closed raise; the log line is what is checked here.
        with contextlib.suppress(authorizer.Unauthorized, authorizer.AuthorizerUnavailable):
            authorizer.handler(event, None, now=NOW)

    for value in (good, good, None, "not-a-key", unknown, disabled, expired):
        call(value)
    store.fail = ConnectionError("down")
    authorizer.set_store(store)
    call(good)
    info, warning = logging.INFO, logging.WARNING
    assert _decisions(caplog) == [
        ("allow", "ok", good_id, info),
        ("rate_limited", "over_limit", good_id, info),
        ("unauthorized", "missing_key", "anonymous", info),
        ("deny", "malformed_key", "anonymous", info),
        ("deny", "unknown_key", keys.key_id_of(unknown), info),
        ("deny", "disabled_key", disabled_id, info),
        ("deny", "expired_key", expired_id, info),
        ("fail_closed", "dependency_error", good_id, warning),
    ]


# --- fail closed everywhere ---------------------------------------------------


@pytest.mark.parametrize(
    "arn",
    [
        None,
        "",
        "*",
        "arn:aws:execute-api:us-east-1:123456789012:*",
        "arn:aws:s3:::bucket/key",
        "not an arn",
        12345,
    ],
)
def test_missing_or_malformed_method_arn_raises_and_never_allows(key, arn) -> None:
    event = authorizer_event("GET", "/api/projects", {"X-API-Key": key})
    if arn is None:
        del event["methodArn"]
    else:
        event["methodArn"] = arn
    with pytest.raises(authorizer.AuthorizerUnavailable):
        authorizer.handler(event, None, now=NOW)


@pytest.mark.parametrize("response_type", ["AUTHORIZER_FAILURE", "AUTHORIZER_CONFIGURATION_ERROR"])
def test_every_failing_authorizer_response_is_503_with_retry_after(key, response_type) -> None:
    called = []
    gateway = Gateway(
        backend=lambda _event, _context: called.append(1),
        plan_keys=meters(key),
        failing_authorizer_response_type=response_type,
        event_hook=lambda event: {**event, "methodArn": "*"},
    )
    result = gateway.request("GET", "/api/projects", {"X-API-Key": key})
    assert (result.status, result.header("Retry-After")) == (503, "5")
    assert result.body["error"] == "authorization is temporarily unavailable"
    assert called == []


def test_the_model_answers_a_throwing_authorizer_with_authorizer_configuration_error(store, key) -> None:
    # docs/AWS-BEHAVIOUR.md B3: a Lambda authorizer that errors yields AuthorizerConfigurationException. The
    # model pins that type; the test above shows that either type is a 503 with Retry-After.
    store.fail = ConnectionError("down")
    gateway = Gateway(backend=ok_backend, plan_keys=meters(key))
    assert gateway.request("GET", "/api/projects", {"X-API-Key": key}).status == 503
    assert gateway.failures == ["AUTHORIZER_CONFIGURATION_ERROR"]


# --- the hourly limit, in both modes, with few DynamoDB calls ------------


def _call(value: str, now: float) -> dict:
    return authorizer.handler(authorizer_event("GET", "/api/projects", {"X-API-Key": value}), None, now=now)


def _effect(result: dict) -> str:
    return result["policyDocument"]["Statement"][0]["Effect"]


@pytest.mark.parametrize("action", ["integration", "deny"])
def test_key_retrying_ten_thousand_times_after_its_limit_is_usable_next_window(store, monkeypatch, action) -> None:
    monkeypatch.setenv("OVER_LIMIT_ACTION", action)
    _, value = keys.generate_key()
    store.add(value, rate_limit=10)
    start = keys.window_start(NOW)
    results = [_call(value, start + i * 0.01) for i in range(10)]
    assert all(r["context"]["rateLimited"] == "false" for r in results)
    store.calls.clear()
    refused = [_call(value, start + 1 + i * 0.01) for i in range(10_000)]
    if action == "integration":
        assert {_effect(r) for r in refused} == {"Allow"}
        assert {r["context"]["rateLimited"] for r in refused} == {"true"}
    else:
        assert {_effect(r) for r in refused} == {"Deny"}
        assert {r["context"]["clientReason"] for r in refused} == {"rate_limited"}
    assert store.calls == ["admit"]  # the first refusal only; the other 9,999 cost no DynamoDB call
    again = _call(value, start + keys.WINDOW_SECONDS)
    assert _effect(again) == "Allow"
    assert again["context"]["rateLimited"] == "false"
    assert again["context"]["rateLimitRemaining"] == "9"


def test_over_limit_in_deny_mode_is_403_with_reason_rate_limited_and_no_backend(store, monkeypatch) -> None:
    monkeypatch.setenv("OVER_LIMIT_ACTION", "deny")
    _, value = keys.generate_key()
    store.add(value, rate_limit=2)
    called = []
    gateway = Gateway(backend=lambda _e, _c: called.append(1) or response(200, {}), plan_keys=meters(value))
    results = [gateway.request("GET", "/api/projects", {"X-API-Key": value}) for _ in range(3)]
    assert [r.status for r in results] == [200, 200, 403]
    assert results[2].body["reason"] == "rate_limited"
    assert 1 <= int(results[2].body["retryAfter"]) <= keys.WINDOW_SECONDS
    assert len(called) == 2


def test_warm_allowed_requests_cost_one_dynamodb_call_each(store) -> None:
    _, value = keys.generate_key()
    key_id = store.add(value, rate_limit=1000)
    for i in range(100):
        _call(value, NOW + i * 0.01)
    # One conditional count per request (it also sets last_used); the pepper is read once per container.
    assert store.calls == ["peppers"] + ["admit"] * 100
    assert store.records[key_id].last_used_epoch == NOW


def test_disable_takes_effect_on_the_next_request(store) -> None:
    _, value = keys.generate_key()
    key_id = store.add(value)
    assert _effect(_call(value, NOW)) == "Allow"
    store.records[key_id] = dataclasses.replace(store.records[key_id], enabled=False)  # manage_keys disable
    denied = _call(value, NOW + 0.1)
    assert (_effect(denied), denied["context"]["reason"]) == ("Deny", "disabled_key")


def test_refusal_is_remembered_for_key_cache_seconds(store, monkeypatch) -> None:
    """A refused key costs no DynamoDB call for KEY_CACHE_SECONDS: a re-enabled key may wait that long."""
    monkeypatch.setenv("KEY_CACHE_SECONDS", "5")
    _, value = keys.generate_key()
    key_id = store.add(value, enabled=False)
    assert _call(value, NOW)["context"]["reason"] == "disabled_key"
    store.records[key_id] = dataclasses.replace(store.records[key_id], enabled=True)  # manage_keys enable
    store.calls.clear()
    assert _call(value, NOW + 4.9)["context"]["reason"] == "disabled_key"  # the documented re-enable delay
    assert store.calls == []
    assert _effect(_call(value, NOW + 5)) == "Allow"
    assert store.calls == ["admit"]


def test_key_cache_zero_remembers_no_refusal(store, monkeypatch) -> None:
    monkeypatch.setenv("KEY_CACHE_SECONDS", "0")
    _, value = keys.generate_key()
    store.add(value, enabled=False)
    for i in range(3):
        _call(value, NOW + i)
    assert store.calls.count("admit") == 3


def test_a_refusal_is_remembered_per_presented_key_not_per_key_id(store) -> None:
    """Wrong secrets sent under a valid key's id must not lock the real key out."""
    _, value = keys.generate_key()
    store.add(value)
    forged = value[:-1] + ("a" if value[-1] != "a" else "b")
    assert _call(forged, NOW)["context"]["reason"] == "unknown_key"
    assert _effect(_call(value, NOW + 0.1)) == "Allow"


def test_wrong_secret_for_an_over_limit_key_id_is_still_403(store) -> None:
    _, value = keys.generate_key()
    store.add(value, rate_limit=1)
    _call(value, NOW)
    _call(value, NOW)  # now remembered as over its limit
    forged = value[:-1] + ("a" if value[-1] != "a" else "b")
    result = _call(forged, NOW)
    assert _effect(result) == "Deny"
    assert result["context"]["reason"] == "unknown_key"


# --- versioned pepper -----------------------------------------------------------


def test_old_pepper_key_is_rehashed_during_grace_and_refused_after(store) -> None:
    _, rehashed = keys.generate_key()
    _, idle = keys.generate_key()
    rehashed_id, idle_id = store.add(rehashed), store.add(idle)
    store.pepper_set = store.pepper_set.rotated("N" * 64, now=NOW, grace_seconds=3600)
    assert _effect(_call(rehashed, NOW + 10)) == "Allow"
    assert store.records[rehashed_id].pepper_version == 2
    assert store.records[rehashed_id].key_hash == keys.hash_key(rehashed, b"N" * 64)
    authorizer.set_store(store)
    late = NOW + 3600
    assert _effect(_call(rehashed, late)) == "Allow"
    refused = _call(idle, late)
    assert _effect(refused) == "Deny"
    assert refused["context"]["reason"] == "expired_key"
    assert store.records[idle_id].pepper_version == 1


def test_api_key_record_is_the_seed_model() -> None:
    record = APIKey(key_id="0123456789abcdef", key_hash="h", enabled=True, rate_limit=3, name="n")
    assert record.is_valid(NOW)
    assert [record.check_rate_limit(n) for n in (0, 2, 3, 4)] == [True, True, False, False]
    assert not dataclasses.replace(record, enabled=False).is_valid(NOW)
    assert not dataclasses.replace(record, expires_at=NOW).is_valid(NOW)
    assert dataclasses.replace(record, expires_at=NOW + 1).is_valid(NOW)
    assert APIKey.from_item(record.to_item()) == record
    legacy = {k: v for k, v in record.to_item().items() if k != "pepper_version"}
    assert APIKey.from_item(legacy).pepper_version == 1


def test_metering_value_has_the_c4_form_and_never_contains_the_key() -> None:
    _, value = keys.generate_key()
    key_hash = keys.hash_key(value, PEPPER)
    metering = keys.metering_value(key_hash, PEPPER)
    assert keys.METERING_PATTERN.fullmatch(metering)
    assert value not in metering
    assert value[19:] not in metering
    assert metering[4:] != key_hash
    assert keys.key_id_of(metering) is None  # useless as an X-API-Key value: malformed before any lookup


def test_the_model_denies_an_allow_for_another_method(key, monkeypatch) -> None:
    """docs/AWS-BEHAVIOUR.md B4: only an Allow whose Resource matches the method ARN lets a request through."""
    real = authorizer.handler

    def other_method(event, context):
        result = real(event, context)
        result["policyDocument"]["Statement"][0]["Resource"] = event["methodArn"].replace("/GET/", "/DELETE/")
        return result

    monkeypatch.setattr(authorizer, "handler", other_method)
    result = Gateway(backend=ok_backend, plan_keys=meters(key)).request("GET", "/api/projects", {"X-API-Key": key})
    assert result.status == 403


def test_key_under_a_dropped_pepper_version_is_expired(store) -> None:
    _, value = keys.generate_key()
    store.add(value)
    store.pepper_set = store.pepper_set.rotated("A" * 64, now=NOW, grace_seconds=10)
    store.pepper_set = store.pepper_set.rotated("B" * 64, now=NOW + 20, grace_seconds=10)  # drops version 1
    assert store.pepper_set.get(1) is None
    result = _call(value, NOW + 30)
    assert (_effect(result), result["context"]["reason"]) == ("Deny", "expired_key")


def test_deny_mode_logs_the_c1_rate_limited_over_limit_line(store, monkeypatch, caplog) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("OVER_LIMIT_ACTION", "deny")
    _, value = keys.generate_key()
    key_id = store.add(value, rate_limit=1)
    _call(value, NOW)
    _call(value, NOW)
    assert [d[:3] for d in _decisions(caplog)] == [("allow", "ok", key_id), ("rate_limited", "over_limit", key_id)]


def test_a_bad_over_limit_action_fails_closed(key, monkeypatch, caplog) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("OVER_LIMIT_ACTION", "allow")
    with pytest.raises(authorizer.AuthorizerUnavailable):
        _call(key, NOW)
    assert [d[0] for d in _decisions(caplog)] == ["fail_closed"]
