"""The projects queue's consumer: marks each created project ``ready`` with a timestamp.

Invoked by an SQS event source mapping with ``ReportBatchItemFailures``: the answer lists the
message ids that failed, so only those are retried; after the queue's ``maxReceiveCount`` receives
a message moves to the dead-letter queue
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).

* A message that is not a ``project.created`` event with a project id (a poison message) fails, so
  it ends in the DLQ for inspection instead of being dropped silently.
* A project that no longer exists (deleted before the message was processed) or is already ready
  is a success: the update is conditional, idempotent, and never recreates a deleted project.
* A DynamoDB failure fails that message only; it is retried.

Environment: ``PROJECTS_TABLE``. Message bodies are never logged, only message ids and causes.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

from . import sampling

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

EVENT_TYPE = "project.created"

_clients: dict[str, Any] = {}


def _dynamodb() -> Any:
    if "dynamodb" not in _clients:
        import boto3

        _clients["dynamodb"] = boto3.client("dynamodb")
    return _clients["dynamodb"]


class PoisonMessage(ValueError):
    """A message this worker can never process."""


def project_id_of(body: Any) -> str:
    """The project id of a ``project.created`` message body, or :class:`PoisonMessage` naming the problem."""
    try:
        message = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        raise PoisonMessage("body is not JSON") from None
    if not isinstance(message, dict):
        raise PoisonMessage("body is not a JSON object")
    if message.get("event") != EVENT_TYPE:
        raise PoisonMessage(f"event: got {str(message.get('event'))[:40]!r}; allowed: {EVENT_TYPE!r}")
    project_id = message.get("id")
    try:
        if not isinstance(project_id, str) or str(uuid.UUID(project_id)) != project_id.lower():
            raise ValueError
    except ValueError:
        raise PoisonMessage(f"id: got {str(project_id)[:40]!r}; allowed: a UUID") from None
    return project_id.lower()


def mark_ready(project_id: str, now: int) -> bool:
    """Set ``status = ready`` and ``ready_at``; False when the project is gone or already ready."""
    dynamodb = _dynamodb()
    try:
        dynamodb.update_item(
            TableName=os.environ["PROJECTS_TABLE"],
            Key={"id": {"S": project_id}},
            UpdateExpression="SET #status = :ready, ready_at = :now",
            ConditionExpression="attribute_exists(id) AND attribute_not_exists(ready_at)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":ready": {"S": "ready"}, ":now": {"N": str(now)}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def handler(event: Any, context: Any) -> dict[str, Any]:
    sampling.start(context)  # INFO for a sample of invocations, WARNING and above always
    records = event.get("Records") if isinstance(event, Mapping) else None
    failures: list[dict[str, str]] = []
    for record in records if isinstance(records, list) else []:
        message_id = record.get("messageId") if isinstance(record, Mapping) else None
        if not isinstance(message_id, str):
            # Without an id the failure cannot be reported per message: fail the whole batch.
            raise ValueError("an SQS record has no messageId")
        try:
            project_id = project_id_of(record.get("body"))
            changed = mark_ready(project_id, int(time.time()))
            LOG.info("project %s %s", project_id, "ready" if changed else "already ready or deleted")
        except Exception as exc:  # noqa: BLE001 - each failure is reported for its own message only
            LOG.warning(
                "message failed",
                extra={
                    "event": "message_failed",
                    "message_id": message_id,
                    "cause": type(exc).__name__,
                    "reason": str(exc) if isinstance(exc, PoisonMessage) else "",
                },
            )
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
