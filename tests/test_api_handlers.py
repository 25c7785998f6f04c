"""The projects and health handlers against a real moto server (DynamoDB + SQS), through proxy events."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from modules.functions import projects
from tests.apigw import proxy_event

CONTEXT = {
    "keyId": "0123456789abcdef",
    "rateLimited": "false",
    "rateLimitLimit": "100",
    "rateLimitRemaining": "99",
    "rateLimitReset": "1700002800",
}


@pytest.fixture
def backend(moto_server, monkeypatch):
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    suffix = uuid.uuid4().hex[:8]
    table = f"projects-{suffix}"
    boto3.client("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    queue_url = boto3.client("sqs").create_queue(QueueName=f"projects-{suffix}")["QueueUrl"]
    monkeypatch.setenv("PROJECTS_TABLE", table)
    monkeypatch.setenv("PROJECTS_QUEUE_URL", queue_url)
    projects._clients.clear()  # new endpoint per test
    yield table, queue_url
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
