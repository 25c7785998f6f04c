"""Idempotent POST /api/projects under concurrent duplicates, against moto with serialized writes
(``scripts.emulator.atomic``: DynamoDB transactions are serializable, moto's are not)."""

from __future__ import annotations

import json
import threading

import boto3
import pytest

from modules.functions import projects
from tests.apigw import proxy_event
from tests.test_api_handlers import CONTEXT, use_projects_backend


@pytest.fixture
def backend(atomic_moto, monkeypatch):
    yield use_projects_backend(atomic_moto, monkeypatch)
    projects._clients.clear()


def _post(idempotency_key: str) -> dict:
    headers = {"Content-Type": "application/json", "X-API-Key": "x", "Idempotency-Key": idempotency_key}
    body = json.dumps({"name": "dup", "type": "t", "description": "d"})
    return projects.handler(proxy_event("POST", "/api/projects", headers, body, CONTEXT), None)


def test_eight_concurrent_duplicates_create_exactly_one_project(backend) -> None:
    table, queue_url = backend
    start = threading.Barrier(8)
    results: list[dict] = []
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        result = _post("concurrent-0001")
        with lock:
            results.append(result)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r["statusCode"] for r in results)
    assert set(statuses) <= {201, 409}  # 409: a duplicate arrived while the first was being written
    ids = {json.loads(r["body"])["id"] for r in results if r["statusCode"] == 201}
    assert len(ids) == 1
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    stored = [i for i in items if not i["id"]["S"].startswith(projects.IDEMPOTENCY_PREFIX)]
    assert [i["id"]["S"] for i in stored] == list(ids)
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
