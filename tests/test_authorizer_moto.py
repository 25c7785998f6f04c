"""The authorizer's DynamoDB store against a real moto server: counting under concurrency, fail closed."""

from __future__ import annotations

import threading
import time

import boto3
import pytest

from modules.functions import authorizer, keys
from modules.functions.key_record import APIKey
from scripts.emulator import front_door as front_door_aws
from scripts.manage_keys import KeyManager
from tests.apigw import Gateway, authorizer_event
from tests.support.emulator import use_emulator


@pytest.fixture
def aws(atomic_moto, monkeypatch):
    use_emulator(atomic_moto, monkeypatch)
    resources = front_door_aws.create()
    monkeypatch.setenv("API_KEYS_TABLE", resources.names.keys_table)
    monkeypatch.setenv("RATE_LIMITS_TABLE", resources.names.rate_limits_table)
    monkeypatch.setenv("PEPPER_SECRET_ID", resources.names.pepper_secret)
    authorizer.set_store(None)
    yield resources
    authorizer.set_store(None)


def plan_values(resources) -> set[str]:
    """The API key values the usage plan really holds (API Gateway on moto)."""
    apigw = boto3.client("apigateway")
    ids = [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=resources.usage_plan_id)["items"]]
    return {apigw.get_api_key(apiKey=i, includeValue=True)["value"] for i in ids}


def _store(resources) -> authorizer.DynamoStore:
    names = resources.names
    return authorizer.DynamoStore(names.keys_table, names.rate_limits_table, names.pepper_secret)


def test_eight_threads_fifty_requests_limit_hundred_allows_exactly_hundred(aws) -> None:
    counts: list[int | None] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def client() -> None:
        store = _store(aws)  # one client per thread, like separate Lambda containers
        barrier.wait()
        for _ in range(50):
            result = store.count_request("0123456789abcdef", 1_700_000_000, 100, 1_700_000_000)
            with lock:
                counts.append(result)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    allowed = sorted(c for c in counts if c is not None)
    assert len(counts) == 400
    assert allowed == list(range(1, 101))  # exactly 100, each count handed out once
    assert counts.count(None) == 300


def test_windows_are_counted_separately(aws) -> None:
    store = _store(aws)
    assert [store.count_request("k" * 16, 0, 2, 0) for _ in range(3)] == [1, 2, None]
    assert store.count_request("k" * 16, keys.WINDOW_SECONDS, 2, keys.WINDOW_SECONDS) == 1


def test_key_created_by_the_cli_is_accepted_counted_and_limited(aws) -> None:
    manager = KeyManager(names=aws.names, region="us-east-1")
    key_id, key = manager.create(name="integration", rate_limit=3, secret_name=None)
    gateway = Gateway(backend=authorizer_backend, plan_keys=plan_values(aws))

    statuses = [gateway.request("GET", "/api/projects", {"x-api-key": key}).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    record = manager.list()[0]
    assert record["key_id"] == key_id
    assert record["last_used"] is not None

    manager.disable(key_id)
    authorizer.set_store(None)  # past the warm container's cache (KEY_CACHE_SECONDS; docs/KEYS.md)
    assert gateway.request("GET", "/api/projects", {"X-API-KEY": key}).status == 403


def authorizer_backend(event, context):
    from modules.functions.http import response, with_rate_limit

    return with_rate_limit(lambda _event, _context: response(200, {"ok": True}))(event, context)


def test_unreachable_dynamodb_fails_closed(aws, monkeypatch) -> None:
    manager = KeyManager(names=aws.names, region="us-east-1")
    _, key = manager.create(name="outage", rate_limit=100, secret_name=None)
    plan_keys = plan_values(aws)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    authorizer.set_store(None)
    gateway = Gateway(backend=authorizer_backend, plan_keys=plan_keys)
    response = gateway.request("GET", "/api/projects", {"X-Api-Key": key})
    assert response.status == 503
    assert response.body["error"] == "authorization is temporarily unavailable"


def _effect(key: str, now: float) -> tuple[str, str]:
    result = authorizer.handler(authorizer_event("GET", "/api/projects", {"X-API-Key": key}), None, now=now)
    return result["policyDocument"]["Statement"][0]["Effect"], result["context"].get("reason", "")


def _valueless_front_door(atomic_moto, monkeypatch):
    use_emulator(atomic_moto, monkeypatch)
    resources = front_door_aws.create(pepper_value=False)
    monkeypatch.setenv("API_KEYS_TABLE", resources.names.keys_table)
    monkeypatch.setenv("RATE_LIMITS_TABLE", resources.names.rate_limits_table)
    monkeypatch.setenv("PEPPER_SECRET_ID", resources.names.pepper_secret)
    authorizer.set_store(None)
    return resources


def _record(resources, key_id: str) -> APIKey:
    table = resources.names.keys_table
    return APIKey.from_item(boto3.client("dynamodb").get_item(TableName=table, Key={"key_id": {"S": key_id}})["Item"])


def test_whole_pepper_rotation_on_moto(atomic_moto, monkeypatch) -> None:
    """Issue, rotate the pepper, the old key still works (and is re-hashed), the grace ends, an old hash is refused."""
    resources = _valueless_front_door(atomic_moto, monkeypatch)
    manager = KeyManager(names=resources.names, region="us-east-1")
    assert manager.init_pepper() == 1
    used_id, used = manager.create(name="used", rate_limit=100)
    idle_id, idle = manager.create(name="idle", rate_limit=100)
    now = time.time()
    assert _effect(used, now) == ("Allow", "")

    assert manager.rotate_pepper(grace_hours=1, now=now).current == 2
    authorizer.set_store(None)  # a new container: no cached pepper or record
    assert _effect(used, now + 10) == ("Allow", "")  # old hash, inside the grace period
    assert _record(resources, used_id).pepper_version == 2  # re-hashed on first use
    _, new_key = manager.create(name="new", rate_limit=100)
    assert _effect(new_key, now + 20) == ("Allow", "")

    authorizer.set_store(None)
    after = now + 3600 + 1
    assert _effect(used, after) == ("Allow", "")
    assert _effect(new_key, after) == ("Allow", "")
    assert _effect(idle, after) == ("Deny", "expired_key")  # still under version 1, whose grace is over
    assert _record(resources, idle_id).pepper_version == 1


def test_unset_pepper_fails_closed_503(atomic_moto, monkeypatch) -> None:
    resources = _valueless_front_door(atomic_moto, monkeypatch)
    key_id, key = keys.generate_key()
    record = APIKey(key_id=key_id, key_hash="0" * 64, enabled=True, rate_limit=5)
    boto3.client("dynamodb").put_item(TableName=resources.names.keys_table, Item=record.to_item())
    response = Gateway(backend=authorizer_backend).request("GET", "/api/projects", {"X-API-Key": key})
    assert (response.status, response.header("Retry-After")) == (503, "5")


def test_dynamodb_requests_on_the_wire_meet_the_targets(atomic_moto) -> None:
    """DynamoDB requests per request as `make bench` counts them (botocore before-send, atomic emulator)."""
    from scripts import bench_auth

    steady, abusive, many = bench_auth.dynamodb_scenarios(requests=200, server=atomic_moto)
    assert steady.allowed == 200
    assert steady.dynamodb_requests <= 200 + 3  # one count each, plus one record read and one last_used write
    assert (abusive.allowed, abusive.refused) == (20, 180)
    assert abusive.refused_after_first == 0  # refused over-limit requests cost nothing after the first
    assert abusive.dynamodb_requests <= 20 + 1 + 3
    assert many.allowed == 200
    assert many.dynamodb_requests <= 200 + 2 * 100 + 3  # first sight of each key: a read and a last_used write
