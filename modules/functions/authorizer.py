"""REQUEST authorizer: API key on ``X-API-Key`` (any case), per-key hourly limit, fail closed.

Outcomes, and how API Gateway turns each into a response (see docs/API.md):

* no key, or an empty one -> ``raise Unauthorized`` -> gateway response UNAUTHORIZED, **401**;
* malformed, unknown, disabled or expired key -> Deny policy -> ACCESS_DENIED, **403**;
* over the key's hourly limit -> *Allow* with ``rateLimited = "true"`` in the context;
  the integration answers **429** with ``X-RateLimit-*`` and ``Retry-After``
  (``functions.http.with_rate_limit``), because an authorizer cannot choose a status;
* allowed -> Allow with ``X-RateLimit-*`` values in the context and the key as
  ``usageIdentifierKey``, so the usage plan's throttle and quota apply too
  (THROTTLED / QUOTA_EXCEEDED, **429**);
* DynamoDB or Secrets Manager unreachable -> ``raise AuthorizerUnavailable`` ->
  AUTHORIZER_FAILURE (configured as **503**): the request never reaches the backend.

Counting is one atomic conditional ``UpdateItem`` per request on the item
``<key_id>#<window start>``: ``ADD request_count 1`` only if the count is still
below the limit, so concurrent requests can never exceed it. Key values are
never logged; the key id (the non-secret prefix) is.

Environment: ``API_KEYS_TABLE``, ``RATE_LIMITS_TABLE``, ``PEPPER_SECRET_ID``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from . import keys

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

HEADER = "x-api-key"
#: last_used is refreshed at most this often, so a busy key costs one write per minute, not per request.
LAST_USED_RESOLUTION_SECONDS = 60
#: Anything longer is not one of our keys; it is rejected before any work (a 10 kB header costs nothing).
MAX_HEADER_LENGTH = 512


class Unauthorized(Exception):  # noqa: N818 - API Gateway requires exactly the message "Unauthorized"
    """Raised for a missing key; API Gateway answers 401 only for this exact message."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


class AuthorizerUnavailable(Exception):  # noqa: N818
    """A dependency failed; the request is refused (AUTHORIZER_FAILURE -> 503), never let through."""


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    key_hash: str
    enabled: bool
    rate_limit: int
    expires_at: int | None
    last_used_epoch: int | None


class Store(Protocol):
    def get_key(self, key_id: str) -> KeyRecord | None: ...

    def count_request(self, key_id: str, window_start: int, limit: int, now: int) -> int | None:
        """The request's number in its window, or None when the limit was already reached."""

    def touch(self, key_id: str, now: int) -> None: ...

    def pepper(self) -> bytes: ...


class DynamoStore:
    """The real store: the keys table, the rate-limit table and the pepper secret (boto3 low-level clients)."""

    def __init__(self, keys_table: str, rate_limits_table: str, pepper_secret_id: str) -> None:
        import boto3  # deferred so that a missing key is answered before boto3 loads
        from botocore.config import Config

        config = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})
        self._dynamodb = boto3.client("dynamodb", config=config)
        self._secrets = boto3.client("secretsmanager", config=config)
        self._keys_table = keys_table
        self._rate_limits_table = rate_limits_table
        self._pepper_secret_id = pepper_secret_id
        self._pepper: bytes | None = None

    def pepper(self) -> bytes:
        if self._pepper is None:
            value = self._secrets.get_secret_value(SecretId=self._pepper_secret_id)["SecretString"]
            if not value:
                raise AuthorizerUnavailable("the pepper secret is empty")
            self._pepper = value.encode("utf-8")
        return self._pepper

    def get_key(self, key_id: str) -> KeyRecord | None:
        item = self._dynamodb.get_item(
            TableName=self._keys_table,
            Key={"key_id": {"S": key_id}},
            ProjectionExpression="key_id, key_hash, enabled, rate_limit, expires_at, last_used_epoch",
        ).get("Item")
        if item is None:
            return None
        return KeyRecord(
            key_id=item["key_id"]["S"],
            key_hash=item.get("key_hash", {}).get("S", ""),
            enabled=item.get("enabled", {}).get("BOOL", False),
            rate_limit=int(item.get("rate_limit", {}).get("N", "0")),
            expires_at=int(item["expires_at"]["N"]) if "expires_at" in item else None,
            last_used_epoch=int(item["last_used_epoch"]["N"]) if "last_used_epoch" in item else None,
        )

    def count_request(self, key_id: str, window_start: int, limit: int, now: int) -> int | None:
        try:
            result = self._dynamodb.update_item(
                TableName=self._rate_limits_table,
                Key={"counter_id": {"S": f"{key_id}#{window_start}"}},
                UpdateExpression="ADD request_count :one SET expires_at = if_not_exists(expires_at, :ttl)",
                ConditionExpression="attribute_not_exists(request_count) OR request_count < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":ttl": {"N": str(window_start + keys.COUNTER_TTL_SECONDS)},
                },
                ReturnValues="UPDATED_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        return int(result["Attributes"]["request_count"]["N"])

    def touch(self, key_id: str, now: int) -> None:
        self._dynamodb.update_item(
            TableName=self._keys_table,
            Key={"key_id": {"S": key_id}},
            UpdateExpression="SET last_used = :iso, last_used_epoch = :epoch",
            ConditionExpression="attribute_exists(key_id)",
            ExpressionAttributeValues={
                ":iso": {"S": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))},
                ":epoch": {"N": str(now)},
            },
        )


_store: Store | None = None


def set_store(store: Store | None) -> None:
    """Replace the store (tests, benchmark); None goes back to DynamoDB on next use."""
    global _store
    _store = store


def _get_store() -> Store:
    global _store
    if _store is None:
        _store = DynamoStore(
            os.environ["API_KEYS_TABLE"], os.environ["RATE_LIMITS_TABLE"], os.environ["PEPPER_SECRET_ID"]
        )
    return _store


def api_key_of(event: Any) -> str | None:
    """The X-API-Key header value, case-insensitively, from headers or multiValueHeaders; None if absent/empty."""
    if not isinstance(event, Mapping):
        return None
    for field in ("headers", "multiValueHeaders"):
        headers = event.get(field)
        if not isinstance(headers, Mapping):
            continue
        for name, value in headers.items():
            if not isinstance(name, str) or name.lower() != HEADER:
                continue
            if isinstance(value, list):
                value = value[0] if len(value) == 1 else None
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _policy(effect: str, resource: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
    }


def _method_arn(event: Any) -> str:
    arn = event.get("methodArn") if isinstance(event, Mapping) else None
    return arn if isinstance(arn, str) and arn.startswith("arn:") else "*"


def _deny(event: Any, principal: str, reason: str) -> dict[str, Any]:
    LOG.info("deny principal=%s reason=%s", principal, reason)
    return {
        "principalId": principal,
        "policyDocument": _policy("Deny", _method_arn(event)),
        "context": {"reason": reason},
    }


def handler(event: Any, context: Any = None, *, now: float | None = None) -> dict[str, Any]:
    key = api_key_of(event)
    if key is None:
        LOG.info("deny reason=missing_key")
        raise Unauthorized()
    if len(key) > MAX_HEADER_LENGTH:
        return _deny(event, "anonymous", "malformed_key")
    key_id = keys.key_id_of(key)
    if key_id is None:
        return _deny(event, "anonymous", "malformed_key")
    clock = int(now if now is not None else time.time())
    store = _get_store()
    try:
        record = store.get_key(key_id)
        if record is None:
            return _deny(event, key_id, "unknown_key")
        if not keys.key_matches(key, record.key_hash, store.pepper()):
            return _deny(event, key_id, "unknown_key")
        if not record.enabled:
            return _deny(event, key_id, "disabled_key")
        if record.expires_at is not None and record.expires_at <= clock:
            return _deny(event, key_id, "expired_key")
        if record.rate_limit <= 0:
            return _deny(event, key_id, "no_quota")
        window = keys.window_start(clock)
        count = store.count_request(key_id, window, record.rate_limit, clock)
    except AuthorizerUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - fail closed on any dependency error; never log the key
        LOG.error("fail closed key_id=%s error=%s", key_id, type(exc).__name__)
        raise AuthorizerUnavailable(type(exc).__name__) from None

    reset = window + keys.WINDOW_SECONDS
    limited = count is None
    remaining = 0 if count is None else max(record.rate_limit - count, 0)
    if record.last_used_epoch is None or clock - record.last_used_epoch >= LAST_USED_RESOLUTION_SECONDS:
        try:
            store.touch(key_id, clock)
        except Exception as exc:  # noqa: BLE001 - bookkeeping only; the decision is already made
            LOG.warning("last_used not updated key_id=%s error=%s", key_id, type(exc).__name__)
    LOG.info("allow key_id=%s rate_limited=%s remaining=%d", key_id, limited, remaining)
    return {
        "principalId": key_id,
        "policyDocument": _policy("Allow", _method_arn(event)),
        "usageIdentifierKey": key,
        "context": {
            "keyId": key_id,
            "rateLimited": "true" if limited else "false",
            "rateLimitLimit": str(record.rate_limit),
            "rateLimitRemaining": str(remaining),
            "rateLimitReset": str(reset),
            "retryAfter": str(max(reset - clock, 1)),
        },
    }
