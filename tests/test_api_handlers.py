"""The projects and health handlers against a real moto server (DynamoDB + SQS), through proxy events."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from modules.functions import projects
from tests.apigw import proxy_event
from tests.support.emulator import use_emulator

CONTEXT = {
    "keyId": "0123456789abcdef",
    "rateLimited": "false",
    "rateLimitLimit": "100",
    "rateLimitRemaining": "99",
    "rateLimitReset": "1700002800",
}


def create_projects_table(table: str) -> None:
    """The projects table as ``modules.api.demo`` declares it: hash ``id``, the by-key index."""
    boto3.client("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": projects.TENANT_ATTRIBUTE, "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": projects.INDEX_NAME,
                "KeySchema": [
                    {"AttributeName": projects.TENANT_ATTRIBUTE, "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def use_projects_backend(server, monkeypatch, *, queue_attributes: dict[str, str] | None = None) -> tuple[str, str]:
    """A fresh projects table and queue on ``server`` (a moto server), with the handlers' environment and
    AWS endpoint pointing at them; returns (table name, queue URL). Clear ``projects._clients`` afterwards."""
    use_emulator(server, monkeypatch)
    suffix = uuid.uuid4().hex[:8]
    table = f"projects-{suffix}"
    create_projects_table(table)
    queue_url = boto3.client("sqs").create_queue(QueueName=f"projects-{suffix}", Attributes=queue_attributes or {})[
        "QueueUrl"
    ]
    monkeypatch.setenv("PROJECTS_TABLE", table)
    monkeypatch.setenv("PROJECTS_QUEUE_URL", queue_url)
    projects._clients.clear()  # new endpoint per test
    return table, queue_url


@pytest.fixture
def backend(moto_server, monkeypatch):
    yield use_projects_backend(moto_server, monkeypatch)
    projects._clients.clear()


def _post(body: dict | str, content_type: str = "application/json; charset=utf-8") -> dict:
    raw = body if isinstance(body, str) else json.dumps(body)
    event = proxy_event("POST", "/api/projects", {"Content-Type": content_type, "X-API-Key": "x"}, raw, CONTEXT)
    return projects.handler(event, None)


def test_post_stores_the_project_enqueues_it_and_returns_201(backend) -> None:
    table, queue_url = backend
    result = _post({"name": "Alpha", "type": "research", "description": "first project"})
    assert result["statusCode"] == 201
    project_id = json.loads(result["body"])["id"]
    assert str(uuid.UUID(project_id)) == project_id
    assert result["headers"]["X-RateLimit-Remaining"] == "99"

    item = boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": project_id}})["Item"]
    assert item["name"] == {"S": "Alpha"}
    assert item["type"] == {"S": "research"}
    assert item["description"] == {"S": "first project"}
    assert item["created_by_key"] == {"S": "0123456789abcdef"}
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in messages] == [
        {"event": "project.created", "id": project_id, "type": "research"}
    ]


@pytest.mark.usefixtures("backend")
def test_get_lists_projects() -> None:
    ids = {json.loads(_post({"name": n, "type": "t", "description": "d"})["body"])["id"] for n in ("a", "b")}
    result = projects.handler(proxy_event("GET", "/api/projects", {"X-API-Key": "x"}, None, CONTEXT), None)
    assert result["statusCode"] == 200
    body = json.loads(result["body"])
    assert body["count"] == 2
    assert {p["id"] for p in body["projects"]} == ids


def test_bad_json_is_400_and_nothing_is_stored(backend) -> None:
    table, queue_url = backend
    assert _post("{oops")["statusCode"] == 400
    assert _post({"name": "x", "type": "y"})["statusCode"] == 400
    assert _post({"name": "x", "type": "y", "description": "z"}, content_type="text/plain")["statusCode"] == 415
    assert boto3.client("dynamodb").scan(TableName=table)["Count"] == 0
    assert "Messages" not in boto3.client("sqs").receive_message(QueueUrl=queue_url)


@pytest.mark.usefixtures("backend")
def test_backend_failure_is_a_clean_500(monkeypatch) -> None:
    monkeypatch.setenv("PROJECTS_TABLE", "does-not-exist")
    result = _post({"name": "x", "type": "y", "description": "z"})
    assert result["statusCode"] == 500
    assert json.loads(result["body"]) == {"error": "internal error"}


def _context(key_id: str) -> dict:
    return {**CONTEXT, "keyId": key_id}


def _request(
    method: str,
    resource: str,
    *,
    key_id: str = CONTEXT["keyId"],
    project_id: str | None = None,
    query: dict | None = None,
    headers: dict | None = None,
    body: str | None = None,
) -> dict:
    path = resource.replace("{id}", project_id or "")
    event = proxy_event(method, path, {"X-API-Key": "x", **(headers or {})}, body, _context(key_id))
    event["resource"] = resource
    event["pathParameters"] = {"id": project_id} if project_id is not None else None
    event["queryStringParameters"] = query
    result = projects.handler(event, None)
    result["json"] = json.loads(result["body"]) if result.get("body") else None
    return result


def _create(key_id: str = CONTEXT["keyId"], name: str = "p", idempotency_key: str | None = None, **extra) -> dict:
    headers = {"Content-Type": "application/json"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    body = json.dumps({"name": name, "type": "t", "description": "d", **extra})
    return _request("POST", "/api/projects", key_id=key_id, headers=headers, body=body)


def _messages(queue_url: str) -> list[dict]:
    found = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in found.get("Messages", [])]


# --- tenant-scoped projects ----------------------------------------------------------------------------


@pytest.mark.usefixtures("backend")
def test_list_shows_only_the_callers_projects_without_created_by_key() -> None:
    mine = {_create("key-a", n)["json"]["id"] for n in ("a1", "a2")}
    theirs = _create("key-b", "b1")["json"]["id"]
    listed = _request("GET", "/api/projects", key_id="key-a")
    assert listed["statusCode"] == 200
    assert {p["id"] for p in listed["json"]["projects"]} == mine
    assert theirs not in listed["body"]
    assert "created_by_key" not in listed["body"]
    assert all(p["status"] == "pending" for p in listed["json"]["projects"])


@pytest.mark.usefixtures("backend")
def test_list_is_a_query_on_the_index_never_a_scan(monkeypatch) -> None:
    calls = []
    client = projects._client("dynamodb")
    monkeypatch.setattr(client, "scan", lambda **kw: calls.append(("scan", kw)) or {"Items": []})
    original = client.query
    monkeypatch.setattr(client, "query", lambda **kw: calls.append(("query", kw)) or original(**kw))
    assert _request("GET", "/api/projects")["statusCode"] == 200
    assert [(name, kw["IndexName"]) for name, kw in calls] == [("query", "by-key")]


@pytest.mark.usefixtures("backend")
def test_list_is_paginated_with_an_opaque_next_token() -> None:
    created = {_create(name=f"p{i}")["json"]["id"] for i in range(5)}
    seen: list[str] = []
    query: dict = {"limit": "2"}
    pages = 0
    while True:
        page = _request("GET", "/api/projects", query=query)
        assert page["statusCode"] == 200
        assert page["json"]["count"] <= 2
        seen += [p["id"] for p in page["json"]["projects"]]
        pages += 1
        token = page["json"].get("next_token")
        if not token:
            break
        assert "created_by_key" not in token
        assert CONTEXT["keyId"] not in token
        query = {"limit": "2", "next_token": token}
    assert sorted(seen) == sorted(created)
    assert pages >= 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "0"}, "query parameter limit: got '0'; allowed: 1 to 100"),
        ({"limit": "abc"}, "query parameter limit: got 'abc'; allowed: 1 to 100"),
        ({"limit": "101"}, "query parameter limit: got '101'; allowed: 1 to 100"),
        ({"next_token": "!!!"}, "query parameter next_token: got '!!!'; allowed: the next_token of a previous page"),
    ],
)
@pytest.mark.usefixtures("backend")
def test_bad_list_parameters_are_a_json_400_naming_the_problem(query, message) -> None:
    result = _request("GET", "/api/projects", query=query)
    assert result["statusCode"] == 400
    assert result["json"] == {"error": message}


@pytest.mark.usefixtures("backend")
def test_another_keys_next_token_is_refused() -> None:
    for i in range(3):
        _create("key-b", f"b{i}")
    token = _request("GET", "/api/projects", key_id="key-b", query={"limit": "1"})["json"]["next_token"]
    result = _request("GET", "/api/projects", key_id="key-a", query={"next_token": token})
    assert result["statusCode"] == 400
    assert result["json"]["error"].startswith("query parameter next_token: got ")


@pytest.mark.usefixtures("backend")
def test_get_and_delete_are_scoped_to_the_key() -> None:
    project_id = _create("key-a", "mine")["json"]["id"]
    got = _request("GET", "/api/projects/{id}", key_id="key-a", project_id=project_id)
    assert got["statusCode"] == 200
    assert got["json"]["id"] == project_id
    assert got["json"]["name"] == "mine"
    assert "created_by_key" not in got["body"]
    # Another key: 404 (not 403), and its DELETE changes nothing.
    assert _request("GET", "/api/projects/{id}", key_id="key-b", project_id=project_id)["statusCode"] == 404
    assert _request("DELETE", "/api/projects/{id}", key_id="key-b", project_id=project_id)["statusCode"] == 404
    assert _request("GET", "/api/projects/{id}", key_id="key-a", project_id=project_id)["statusCode"] == 200
    deleted = _request("DELETE", "/api/projects/{id}", key_id="key-a", project_id=project_id)
    assert deleted["statusCode"] == 200
    assert _request("GET", "/api/projects/{id}", key_id="key-a", project_id=project_id)["statusCode"] == 404
    assert _request("DELETE", "/api/projects/{id}", key_id="key-a", project_id=project_id)["statusCode"] == 404


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.usefixtures("backend")
def test_non_uuid_id_is_a_json_400(method) -> None:
    result = _request(method, "/api/projects/{id}", project_id="not-a-uuid")
    assert result["statusCode"] == 400
    assert result["json"] == {"error": "path parameter id: got 'not-a-uuid'; allowed: a project id (a UUID)"}


def test_temporary_project_carries_a_ttl(backend) -> None:
    table, _ = backend
    project_id = _create(ttl_seconds=86400)["json"]["id"]
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": project_id}})["Item"]
    assert 86400 - 5 <= int(item["expires_at"]["N"]) - int(item["created_at"]["N"]) <= 86400


# --- idempotent POST -----------------------------------------------------------------------------------


def test_same_idempotency_key_and_body_returns_the_original_201(backend) -> None:
    table, queue_url = backend
    first = _create(idempotency_key="retry-0001")
    again = _create(idempotency_key="retry-0001")
    assert first["statusCode"] == again["statusCode"] == 201
    assert again["json"]["id"] == first["json"]["id"]
    assert again["headers"]["Idempotent-Replayed"] == "true"
    listed = _request("GET", "/api/projects")["json"]
    assert [p["id"] for p in listed["projects"]] == [first["json"]["id"]]
    assert len(_messages(queue_url)) == 1
    record = boto3.client("dynamodb").get_item(
        TableName=table, Key={"id": {"S": projects.idempotency_record_id(CONTEXT["keyId"], "retry-0001")}}
    )["Item"]
    assert int(record["expires_at"]["N"]) - int(record["created_at"]["N"]) == 24 * 3600


@pytest.mark.usefixtures("backend")
def test_same_idempotency_key_with_another_body_is_422() -> None:
    assert _create(idempotency_key="retry-0002", name="one")["statusCode"] == 201
    result = _create(idempotency_key="retry-0002", name="two")
    assert result["statusCode"] == 422
    assert result["json"]["error"].startswith("header Idempotency-Key was already used with a different request body")


@pytest.mark.usefixtures("backend")
def test_idempotency_keys_are_per_tenant() -> None:
    a = _create("key-a", idempotency_key="same-key")["json"]["id"]
    b = _create("key-b", idempotency_key="same-key")["json"]["id"]
    assert a != b


def test_expired_idempotency_record_no_longer_replays(backend) -> None:
    table, _ = backend
    first = _create(idempotency_key="retry-0003")["json"]["id"]
    record_id = projects.idempotency_record_id(CONTEXT["keyId"], "retry-0003")
    boto3.client("dynamodb").update_item(
        TableName=table,
        Key={"id": {"S": record_id}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    second = _create(idempotency_key="retry-0003")
    assert second["statusCode"] == 201
    assert second["json"]["id"] != first


@pytest.mark.parametrize("value", ["", "has space", "x" * 256, "naïve"])
def test_malformed_idempotency_key_is_a_json_400_and_nothing_is_stored(backend, value) -> None:
    table, queue_url = backend
    result = _create(idempotency_key=value)
    assert result["statusCode"] == 400
    assert result["json"]["error"].startswith("header Idempotency-Key: got ")
    assert "allowed: 1 to 255 visible ASCII characters without spaces" in result["json"]["error"]
    assert boto3.client("dynamodb").scan(TableName=table)["Count"] == 0
    assert _messages(queue_url) == []


@pytest.mark.usefixtures("backend")
def test_server_error_logs_the_c2_line(monkeypatch, caplog) -> None:
    monkeypatch.setenv("PROJECTS_TABLE", "does-not-exist")
    with caplog.at_level("ERROR"):
        assert _create()["statusCode"] == 500
    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "server_error"]
    assert (record.message, record.status, record.cause) == ("server error", 500, "ResourceNotFoundException")


def test_unknown_method_is_405_with_allow() -> None:
    result = projects.handler({**proxy_event("PUT", "/api/projects", {}, None, CONTEXT)}, None)
    assert result["statusCode"] == 405
    assert result["headers"]["Allow"] == "POST, GET"


def test_queue_failure_leaves_nothing_and_the_retry_creates_the_project(backend, monkeypatch) -> None:
    table, queue_url = backend
    monkeypatch.setenv("PROJECTS_QUEUE_URL", queue_url + "-missing")
    assert _create(idempotency_key="retry-0004")["statusCode"] == 500
    assert boto3.client("dynamodb").scan(TableName=table)["Count"] == 0
    monkeypatch.setenv("PROJECTS_QUEUE_URL", queue_url)
    retried = _create(idempotency_key="retry-0004")
    assert retried["statusCode"] == 201
    assert "Idempotent-Replayed" not in retried["headers"]
    assert [m["id"] for m in _messages(queue_url)] == [retried["json"]["id"]]
