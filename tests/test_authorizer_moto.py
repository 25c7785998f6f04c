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
    return authorizer.DynamoStore(names.keys_table, names.pepper_secret)


def _key_item(resources, *, rate_limit: int, enabled: bool = True) -> tuple[str, str]:
    """(key id, the stored hash) of a key item written as manage_keys.py writes it."""
    key_id, key = keys.generate_key()
    key_hash = keys.hash_key(key, resources.pepper.encode())
    record = APIKey(key_id=key_id, key_hash=key_hash, enabled=enabled, rate_limit=rate_limit)
    boto3.client("dynamodb").put_item(TableName=resources.names.keys_table, Item=record.to_item())
    return key_id, key_hash


def _counters(resources, key_id: str) -> list[str]:
    table = resources.names.keys_table
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"key_id": {"S": key_id}}).get("Item", {})
    return sorted(name for name in item if name.startswith("rl_"))


def test_eight_threads_fifty_requests_limit_hundred_allows_exactly_hundred(aws) -> None:
    key_id, key_hash = _key_item(aws, rate_limit=100)
    counts: list[int | None] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def client() -> None:
        store = _store(aws)  # one client per thread, like separate Lambda containers
        barrier.wait()
        for _ in range(50):
            admission = store.admit(key_id, (key_hash,), 1_700_000_000, 1_700_000_000)
            with lock:
                counts.append(admission.count if admission.admitted else None)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    allowed = sorted(c for c in counts if c is not None)
    assert len(counts) == 400
    assert allowed == list(range(1, 101))  # exactly 100, each count handed out once
    assert counts.count(None) == 300


def test_one_write_checks_the_key_counts_and_sets_last_used(aws) -> None:
    """The real condition expression on moto: refusal reasons, the window reset, last_used, no leftovers."""
    key_id, key_hash = _key_item(aws, rate_limit=2)
    store = _store(aws)
    hour = keys.WINDOW_SECONDS
    admitted = [store.admit(key_id, (key_hash,), 0, 5) for _ in range(3)]
    assert [(a.admitted, a.count) for a in admitted] == [(True, 1), (True, 2), (False, 2)]
    assert admitted[0].record.last_used_epoch == 5
    assert not store.admit(key_id, ("0" * 64,), 0, 6).admitted  # a wrong hash is refused, not counted
    assert store.admit(key_id, ("0" * 64, key_hash), hour, hour).count == 1  # any usable pepper's hash; new window
    assert _counters(aws, key_id) == [f"rl_{hour}"]  # the previous window's counter is gone
    missing = store.admit("f" * 16, (key_hash,), 0, 5)
    assert (missing.admitted, missing.record) == (False, None)
    assert _counters(aws, "f" * 16) == []  # and no item was created
    disabled_id, disabled_hash = _key_item(aws, rate_limit=2, enabled=False)
    refused = store.admit(disabled_id, (disabled_hash,), 0, 5)
    assert (refused.admitted, refused.record.enabled, refused.count) == (False, False, 0)
    expired_id, expired_hash = _key_item(aws, rate_limit=2)
    boto3.client("dynamodb").update_item(
        TableName=aws.names.keys_table,
        Key={"key_id": {"S": expired_id}},
        UpdateExpression="SET expires_at = :t",
        ExpressionAttributeValues={":t": {"N": "5"}},
    )
    assert not store.admit(expired_id, (expired_hash,), 0, 5).admitted
    assert store.admit(expired_id, (expired_hash,), 0, 4).admitted


def test_a_counter_left_by_an_idle_key_is_removed_on_its_next_use(aws) -> None:
    key_id, key_hash = _key_item(aws, rate_limit=5)
    store = _store(aws)
    hour = keys.WINDOW_SECONDS
    store.admit(key_id, (key_hash,), 0, 0)
    store.admit(key_id, (key_hash,), 5 * hour, 5 * hour)  # idle for 4 windows: rl_0 is not the previous one
    assert _counters(aws, key_id) == ["rl_0", f"rl_{5 * hour}"]
    store.admit(key_id, (key_hash,), 5 * hour, 5 * hour)  # the next admission removes it
    assert _counters(aws, key_id) == [f"rl_{5 * hour}"]


def test_key_created_by_the_cli_is_accepted_counted_and_limited(aws) -> None:
    manager = KeyManager(names=aws.names, region="us-east-1")
    key_id, key = manager.create(name="integration", rate_limit=3, secret_name=None)
    gateway = Gateway(backend=authorizer_backend, plan_keys=plan_values(aws))

    statuses = [gateway.request("GET", "/api/projects", {"x-api-key": key}).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    record = manager.list()[0]
    assert record["key_id"] == key_id
    assert record["last_used"] is not None

    # A disable takes effect on the next request, in this warm container too (a key already over its limit
    # stays refused with 429 until its window ends: docs/KEYS.md).
    other_id, other = manager.create(name="revoked", rate_limit=3, secret_name=None)
    gateway = Gateway(backend=authorizer_backend, plan_keys=plan_values(aws))
    assert gateway.request("GET", "/api/projects", {"x-api-key": other}).status == 200
    manager.disable(other_id)
    assert gateway.request("GET", "/api/projects", {"X-API-KEY": other}).status == 403


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
    for scenario in (steady, abusive, many):
        assert scenario.for_allowed == scenario.allowed  # exactly one per allowed request, first sight included
    assert steady.allowed == 200
    assert (abusive.allowed, abusive.refused) == (20, 180)
    assert abusive.first_refusal == 1  # the write that finds the key over its limit
    assert abusive.refused_after_first == 0  # refused over-limit requests cost nothing after the first
    assert many.allowed == 200
    assert steady.dynamodb_requests == 200
    assert many.dynamodb_requests == 200
