"""The projects queue worker against moto, with real SQS event shapes (as Lambda's event source mapping
builds them from ReceiveMessage), poison messages included."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from modules.functions import projects, worker
from tests.support.emulator import use_emulator
from tests.test_api_handlers import _create, use_projects_backend


@pytest.fixture
def backend(moto_server, monkeypatch):
    """The projects table and queue, the queue redriving to a DLQ after 5 receives as the stack configures it."""
    use_emulator(moto_server, monkeypatch)
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName=f"projects-dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
    table, queue_url = use_projects_backend(
        moto_server, monkeypatch, queue_attributes={"VisibilityTimeout": "0", "RedrivePolicy": json.dumps(redrive)}
    )
    worker._clients.clear()
    yield table, queue_url, dlq_url
    projects._clients.clear()
    worker._clients.clear()


def _event(queue_url: str) -> tuple[dict, list[str]]:
    """An SQS event as the event source mapping delivers it, from a real ReceiveMessage."""
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": "us-east-1",
        }
        for m in received.get("Messages", [])
    ]
    return {"Records": records}, [m["ReceiptHandle"] for m in received.get("Messages", [])]


def _drain(queue_url: str) -> dict:
    """One poll of the event source mapping: invoke, then delete the messages that did not fail."""
    event, handles = _event(queue_url)
    result = worker.handler(event, None)
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    sqs = boto3.client("sqs")
    for record, handle in zip(event["Records"], handles, strict=True):
        if record["messageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=handle)
    return {"event": event, "result": result}


def _item(table: str, project_id: str) -> dict | None:
    return boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": project_id}}).get("Item")


def test_created_project_becomes_ready_with_a_timestamp(backend) -> None:
    table, queue_url, _ = backend
    project_id = _create()["json"]["id"]
    polled = _drain(queue_url)
    assert polled["result"] == {"batchItemFailures": []}
    item = _item(table, project_id)
    assert item["status"] == {"S": "ready"}
    assert int(item["ready_at"]["N"]) >= int(item["created_at"]["N"])


def test_poison_messages_fail_alone_and_reach_the_dlq_after_five_receives(backend) -> None:
    table, queue_url, dlq_url = backend
    project_id = _create()["json"]["id"]
    sqs = boto3.client("sqs")
    poison = ["not json", json.dumps({"event": "other"}), json.dumps({"event": "project.created", "id": "x"})]
    for body in poison:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    first = _drain(queue_url)
    bodies = {r["messageId"]: r["body"] for r in first["event"]["Records"]}
    assert sorted(bodies[f["itemIdentifier"]] for f in first["result"]["batchItemFailures"]) == sorted(poison)
    assert _item(table, project_id)["status"] == {"S": "ready"}  # the good message was processed
    for _ in range(5):
        _drain(queue_url)
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in dead) == sorted(poison)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)


def test_deleted_project_is_not_recreated_and_ready_is_idempotent(backend) -> None:
    table, queue_url, _ = backend
    gone = _create()["json"]["id"]
    boto3.client("dynamodb").delete_item(TableName=table, Key={"id": {"S": gone}})
    kept = _create()["json"]["id"]
    assert worker.mark_ready(kept, 1_000) is True
    assert _drain(queue_url)["result"] == {"batchItemFailures": []}
    assert _item(table, gone) is None
    assert _item(table, kept)["ready_at"] == {"N": "1000"}  # the second delivery changed nothing


def test_dynamodb_failure_fails_only_that_message(backend, monkeypatch, caplog) -> None:
    _, queue_url, _ = backend
    _create()
    monkeypatch.setenv("PROJECTS_TABLE", "does-not-exist")
    with caplog.at_level("WARNING"):
        polled = _drain(queue_url)
    assert [f["itemIdentifier"] for f in polled["result"]["batchItemFailures"]] == [
        polled["event"]["Records"][0]["messageId"]
    ]
    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "message_failed"]
    assert record.cause == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("[]", "body is not a JSON object"),
        ('{"event": "project.deleted", "id": "x"}', "event: got 'project.deleted'; allowed: 'project.created'"),
        ('{"event": "project.created"}', "id: got 'None'; allowed: a UUID"),
    ],
)
def test_poison_reasons_name_the_problem(body, reason) -> None:
    with pytest.raises(worker.PoisonMessage, match=f"^{reason}$".replace("[", r"\[").replace("(", r"\(")):
        worker.project_id_of(body)
