"""GET/POST /api/projects: list projects, or validate, store and enqueue a new one.

Environment: ``PROJECTS_TABLE`` (DynamoDB) and ``PROJECTS_QUEUE_URL`` (SQS).
Every failure is a JSON ``{"error": ...}`` with a 4xx/5xx status; request
bodies and API keys are never logged.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

from .http import authorizer_context, error, response, with_rate_limit

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

#: Field -> maximum length. All three are required, non-blank strings.
FIELDS = {"name": 200, "type": 64, "description": 4000}
MAX_BODY_BYTES = 64 * 1024
LIST_LIMIT = 100

_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    if service not in _clients:
        import boto3  # deferred: keeps cold starts short for requests that fail validation

        _clients[service] = boto3.client(service)
    return _clients[service]


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _header(event: Mapping[str, Any], name: str) -> str | None:
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name.lower() and isinstance(value, str):
            return value
    return None


def parse_project(event: Mapping[str, Any]) -> dict[str, str]:
    """The validated ``name``/``type``/``description`` of a POST body, or :class:`BadRequest`."""
    content_type = (_header(event, "content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise BadRequest(415, "Content-Type must be application/json")
    body = event.get("body")
    if not isinstance(body, str) or not body.strip():
        raise BadRequest(400, "request body is required")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(400, "request body is not valid base64 UTF-8") from None
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise BadRequest(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except ValueError:
        raise BadRequest(400, "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "request body must be a JSON object")
    missing = [field for field in FIELDS if field not in data]
    if missing:
        raise BadRequest(400, f"missing required field(s): {', '.join(missing)}")
    project = {}
    for field, max_length in FIELDS.items():
        value = data[field]
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(400, f"field {field!r} must be a non-empty string")
        if len(value) > max_length:
            raise BadRequest(400, f"field {field!r} is longer than {max_length} characters")
        project[field] = value.strip()
    return project


def create_project(event: Mapping[str, Any]) -> dict[str, Any]:
    try:
        project = parse_project(event)
    except BadRequest as bad:
        return error(bad.status, bad.message)
    item = {"id": str(uuid.uuid4()), **project, "created_at": int(time.time())}
    key_id = authorizer_context(event).get("keyId")
    if isinstance(key_id, str):
        item["created_by_key"] = key_id
    _client("dynamodb").put_item(
        TableName=os.environ["PROJECTS_TABLE"],
        Item={k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in item.items()},
        ConditionExpression="attribute_not_exists(id)",
    )
    _client("sqs").send_message(
        QueueUrl=os.environ["PROJECTS_QUEUE_URL"],
        MessageBody=json.dumps({"event": "project.created", "id": item["id"], "type": item["type"]}),
    )
    LOG.info("project created id=%s", item["id"])
    return response(201, {"id": item["id"]})


def list_projects() -> dict[str, Any]:
    page = _client("dynamodb").scan(TableName=os.environ["PROJECTS_TABLE"], Limit=LIST_LIMIT)
    projects = [
        {k: (v.get("S") if "S" in v else int(v["N"]) if "N" in v else None) for k, v in item.items()}
        for item in page.get("Items", [])
    ]
    projects.sort(key=lambda p: (p.get("created_at") or 0, p.get("id") or ""))
    return response(200, {"projects": projects, "count": len(projects)})


@with_rate_limit
def handler(event: Any, context: Any) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        return error(400, "malformed request")
    method = event.get("httpMethod")
    try:
        if method == "POST":
            return create_project(event)
        if method == "GET":
            return list_projects()
    except Exception as exc:  # noqa: BLE001 - any backend failure is a clean 500, logged without the body
        LOG.error("backend failure: %s", type(exc).__name__)
        return error(500, "internal error")
    return error(405, f"method {method!r} is not allowed", {"Allow": "GET, POST"})
