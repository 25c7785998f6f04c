"""/api/projects: each API key's own projects (a tenant is a key id from the authorizer context).

Routes (``event["resource"]`` + ``httpMethod``):

* ``POST /api/projects``: validate, store (status ``pending``) and enqueue ``project.created``; with an
  ``Idempotency-Key`` header the same key and body within 24 h answer the original 201 and id.
* ``GET /api/projects``: the caller's projects, newest first, a Query on the ``by-key`` index (never a
  Scan), paginated with ``limit`` and an opaque ``next_token``.
* ``GET`` / ``DELETE /api/projects/{id}``: one of the caller's projects; another key's project is a 404.

Environment: ``PROJECTS_TABLE`` (DynamoDB) and ``PROJECTS_QUEUE_URL`` (SQS).
Every failure is a JSON ``{"error": ...}`` naming the problem; request bodies and API keys are never
logged; a 5xx logs the line ``{"event": "server_error", "status": ..., "cause": ...}``.

Idempotency is a conditional write of our own (``docs/API.md`` has the measured comparison with
aws-lambda-powertools): one ``TransactWriteItems`` puts the idempotency record (condition: absent
or expired) and the project (condition: absent) together, so concurrent duplicates create exactly
one project. The record lives in the projects table under ``id = idempotency#<sha256>`` without a
``created_by_key``, so it is not in the ``by-key`` index, and DynamoDB TTL removes it after 24 h
(``expires_at``; TTL deletes within days of expiry, so the condition also treats an expired record
as absent: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from . import sampling
from .http import authorizer_context, error, response, with_rate_limit

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

#: Field -> maximum length. All three are required, non-blank strings.
FIELDS = {"name": 200, "type": 64, "description": 4000}
#: Optional field: the project expires (DynamoDB TTL) this many seconds after creation (the canary's are temporary).
TTL_FIELD = "ttl_seconds"
TTL_RANGE = (300, 30 * 86400)
#: The API's body-size limit, ``environments.config.api.MAX_BODY_BYTES``, which the WAF's size rule also
#: enforces; deployed functions get it in their environment (the package cannot import the config). The
#: fallback serves tests and local runs; a test keeps it equal to the config's.
MAX_BODY_BYTES = int(os.environ.get("MAX_BODY_BYTES", "65536"))
LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 25
#: The index of a key's projects (hash: created_by_key, range: created_at).
INDEX_NAME = "by-key"
TENANT_ATTRIBUTE = "created_by_key"
TTL_ATTRIBUTE = "expires_at"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: Visible ASCII, no spaces: a UUID, a ULID or any client token up to 255 characters.
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
IDEMPOTENCY_PREFIX = "idempotency#"
#: What a response shows of a project: never created_by_key or the request hash.
PUBLIC_FIELDS = ("id", "name", "type", "description", "status", "created_at", "ready_at", TTL_ATTRIBUTE)
COLLECTION = "/api/projects"
ITEM = "/api/projects/{id}"

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


def _query(event: Mapping[str, Any], name: str) -> str | None:
    params = event.get("queryStringParameters")
    value = params.get(name) if isinstance(params, Mapping) else None
    return value if isinstance(value, str) else None


def parse_project(event: Mapping[str, Any]) -> dict[str, Any]:
    """The validated ``name``/``type``/``description`` (and optional ``ttl_seconds``) of a POST body,
    or :class:`BadRequest`."""
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
    project: dict[str, Any] = {}
    for field, max_length in FIELDS.items():
        value = data[field]
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(400, f"field {field!r} must be a non-empty string")
        if len(value) > max_length:
            raise BadRequest(400, f"field {field!r} is longer than {max_length} characters")
        project[field] = value.strip()
    if TTL_FIELD in data:
        ttl = data[TTL_FIELD]
        low, high = TTL_RANGE
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not low <= ttl <= high:
            raise BadRequest(400, f"field {TTL_FIELD!r}: got {ttl!r}; allowed: an integer from {low} to {high}")
        project[TTL_FIELD] = ttl
    return project


def _idempotency_key(event: Mapping[str, Any]) -> str | None:
    value = _header(event, IDEMPOTENCY_HEADER)
    if value is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(value):
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise BadRequest(
            400,
            f"header {IDEMPOTENCY_HEADER}: got {shown!r} ({len(value)} characters); "
            "allowed: 1 to 255 visible ASCII characters without spaces",
        )
    return value


def _tenant(event: Mapping[str, Any]) -> str:
    key_id = authorizer_context(event).get("keyId")
    if not isinstance(key_id, str) or not key_id:
        # Only reachable on a route without the authorizer: never serve or store projects without a tenant.
        raise BadRequest(403, "the request carries no API key id (the route is not behind the authorizer)")
    return key_id


def _to_item(values: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    return {k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in values.items()}


def _from_item(item: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    return {k: (v["S"] if "S" in v else int(v["N"]) if "N" in v else None) for k, v in item.items()}


def _public(item: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    values = _from_item(item)
    return {field: values[field] for field in PUBLIC_FIELDS if field in values}


def request_hash(project: Mapping[str, Any]) -> str:
    """What identifies "the same body": the validated fields, canonically encoded."""
    return hashlib.sha256(json.dumps(project, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def idempotency_record_id(key_id: str, idempotency_key: str) -> str:
    """Scoped to the key id, so two tenants' equal Idempotency-Keys never meet."""
    return IDEMPOTENCY_PREFIX + hashlib.sha256(f"{key_id}\n{idempotency_key}".encode()).hexdigest()


def create_project(event: Mapping[str, Any]) -> dict[str, Any]:
    idempotency_key = _idempotency_key(event)
    project = parse_project(event)
    key_id = _tenant(event)
    now = int(time.time())
    ttl = project.pop(TTL_FIELD, None)
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        **project,
        "status": "pending",
        "created_at": now,
        TENANT_ATTRIBUTE: key_id,
    }
    if ttl is not None:
        item[TTL_ATTRIBUTE] = now + ttl
    table = os.environ["PROJECTS_TABLE"]
    dynamodb = _client("dynamodb")
    record_id = idempotency_record_id(key_id, idempotency_key) if idempotency_key is not None else ""
    if idempotency_key is None:
        dynamodb.put_item(TableName=table, Item=_to_item(item), ConditionExpression="attribute_not_exists(id)")
    else:
        digest = request_hash({**project, TTL_FIELD: ttl})
        record = {
            "id": record_id,
            "request_hash": digest,
            "project_id": item["id"],
            "created_at": now,
            TTL_ATTRIBUTE: now + IDEMPOTENCY_TTL_SECONDS,
        }
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": _to_item(record),
                            "ConditionExpression": "attribute_not_exists(id) OR #exp < :now",
                            "ExpressionAttributeNames": {"#exp": TTL_ATTRIBUTE},
                            "ExpressionAttributeValues": {":now": {"N": str(now)}},
                        }
                    },
                    {
                        "Put": {
                            "TableName": table,
                            "Item": _to_item(item),
                            "ConditionExpression": "attribute_not_exists(id)",
                        }
                    },
                ]
            )
        except dynamodb.exceptions.TransactionCanceledException as cancelled:
            return _replay(cancelled, table, record_id, digest)
    try:
        _client("sqs").send_message(
            QueueUrl=os.environ["PROJECTS_QUEUE_URL"],
            MessageBody=json.dumps({"event": "project.created", "id": item["id"], "type": item["type"]}),
        )
    except Exception:
        # Nothing half-written: without its message the project would stay pending, and a retry with the same
        # Idempotency-Key would replay it; remove both so the client's retry starts afresh (then answer 500).
        for record_key in (item["id"], *([record_id] if idempotency_key is not None else [])):
            dynamodb.delete_item(TableName=table, Key={"id": {"S": record_key}})
        raise
    LOG.info("project created id=%s", item["id"])
    return response(201, {"id": item["id"]})


def _replay(cancelled: Exception, table: str, record_id: str, digest: str) -> dict[str, Any]:
    """The answer to a POST whose idempotency record already exists (or is being written right now)."""
    reasons = getattr(cancelled, "response", {}).get("CancellationReasons") or [{}]
    if reasons[0].get("Code") != "ConditionalCheckFailed":
        # TransactionConflict: a concurrent request with the same key is being written.
        return error(409, f"a request with this {IDEMPOTENCY_HEADER} is in progress; retry it", {"Retry-After": "1"})
    found = _client("dynamodb").get_item(TableName=table, Key={"id": {"S": record_id}}, ConsistentRead=True)
    record = _from_item(found.get("Item") or {})
    if record.get("request_hash") != digest:
        return error(
            422,
            f"header {IDEMPOTENCY_HEADER} was already used with a different request body in the last 24 hours; "
            "use a new key for a new project",
        )
    return response(201, {"id": record["project_id"]}, {"Idempotent-Replayed": "true"})


def encode_token(last_key: Mapping[str, Mapping[str, str]]) -> str:
    """An opaque next token: the Query's LastEvaluatedKey, base64url-encoded."""
    raw = json.dumps(_from_item(last_key), sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, key_id: str) -> dict[str, dict[str, str]]:
    """The ExclusiveStartKey of ``token``, only if it is one this API issued to this key id."""
    problem = f"query parameter next_token: got {token[:40]!r}; allowed: the next_token of a previous page"
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise BadRequest(400, problem) from None
    if (
        not isinstance(values, dict)
        or set(values) != {"id", "created_at", TENANT_ATTRIBUTE}
        or values[TENANT_ATTRIBUTE] != key_id
        or not isinstance(values["created_at"], int)
        or isinstance(values["created_at"], bool)
        or not _is_uuid(values["id"])
    ):
        raise BadRequest(400, problem)
    return _to_item(values)


def _is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def list_projects(event: Mapping[str, Any]) -> dict[str, Any]:
    key_id = _tenant(event)
    raw_limit = _query(event, "limit")
    limit = DEFAULT_LIST_LIMIT
    if raw_limit is not None:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= LIST_LIMIT:
            raise BadRequest(400, f"query parameter limit: got {raw_limit[:20]!r}; allowed: 1 to {LIST_LIMIT}")
        limit = int(raw_limit)
    token = _query(event, "next_token")
    start = decode_token(token, key_id) if token is not None else None
    query: dict[str, Any] = {
        "TableName": os.environ["PROJECTS_TABLE"],
        "IndexName": INDEX_NAME,
        "KeyConditionExpression": "#tenant = :tenant",
        "ExpressionAttributeNames": {"#tenant": TENANT_ATTRIBUTE},
        "ExpressionAttributeValues": {":tenant": {"S": key_id}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if start:
        query["ExclusiveStartKey"] = start
    page = _client("dynamodb").query(**query)
    projects = [_public(item) for item in page.get("Items", [])]
    body: dict[str, Any] = {"projects": projects, "count": len(projects)}
    if page.get("LastEvaluatedKey"):
        body["next_token"] = encode_token(page["LastEvaluatedKey"])
    return response(200, body)


def _project_id(event: Mapping[str, Any]) -> str:
    params = event.get("pathParameters")
    value = params.get("id") if isinstance(params, Mapping) else None
    if not _is_uuid(value):
        raise BadRequest(400, f"path parameter id: got {str(value)[:40]!r}; allowed: a project id (a UUID)")
    return str(value).lower()


def get_project(event: Mapping[str, Any]) -> dict[str, Any]:
    key_id, project_id = _tenant(event), _project_id(event)
    found = _client("dynamodb").get_item(TableName=os.environ["PROJECTS_TABLE"], Key={"id": {"S": project_id}})
    item = found.get("Item")
    # Another key's project is "not found", never "forbidden": its existence is not disclosed.
    if not item or item.get(TENANT_ATTRIBUTE, {}).get("S") != key_id:
        return error(404, f"project {project_id} not found")
    return response(200, _public(item))


def delete_project(event: Mapping[str, Any]) -> dict[str, Any]:
    key_id, project_id = _tenant(event), _project_id(event)
    dynamodb = _client("dynamodb")
    try:
        dynamodb.delete_item(
            TableName=os.environ["PROJECTS_TABLE"],
            Key={"id": {"S": project_id}},
            ConditionExpression="#tenant = :tenant",
            ExpressionAttributeNames={"#tenant": TENANT_ATTRIBUTE},
            ExpressionAttributeValues={":tenant": {"S": key_id}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return error(404, f"project {project_id} not found")
    return response(200, {"id": project_id, "deleted": True})


#: (resource, method) -> route function; the Allow header of a resource lists its methods.
ROUTES = {
    (COLLECTION, "POST"): create_project,
    (COLLECTION, "GET"): list_projects,
    (ITEM, "GET"): get_project,
    (ITEM, "DELETE"): delete_project,
}


@with_rate_limit
def handler(event: Any, context: Any) -> dict[str, Any]:
    sampling.start(context)  # INFO for a sample of invocations, WARNING and above always
    if not isinstance(event, Mapping):
        return error(400, "malformed request")
    method = str(event.get("httpMethod"))
    resource = str(event.get("resource") or COLLECTION)
    route = ROUTES.get((resource, method))
    if route is None:
        allowed = ", ".join(m for r, m in ROUTES if r == resource) or "none"
        return error(405, f"method {method!r} is not allowed on {resource}", {"Allow": allowed})
    try:
        return route(event)
    except BadRequest as bad:
        return error(bad.status, bad.message)
    except Exception as exc:  # noqa: BLE001 - any backend failure is a clean 500, logged without the body
        LOG.error("server error", extra={"event": "server_error", "status": 500, "cause": type(exc).__name__})
        return error(500, "internal error")
