"""The one typed API key record (the seed's ``APIKey`` data model), and every DynamoDB item shape for it.

The authorizer (``functions.authorizer``) and the key tool (``scripts/manage_keys.py``) read and
write the keys table only through this module: :meth:`APIKey.from_item`, :meth:`APIKey.to_item`
and the ``*_update`` helpers, which return the keyword arguments of one ``UpdateItem`` call.

Seed fields: key id, hashed value, name, created_at, last_used, usage plan id, enabled, rate limit
per hour. Added by this design: the pepper version that hashed the key, an expiry (a rotated key's
grace period), the derived metering value (``keys.metering_value``: what API Gateway knows the key
by), the API Gateway key id, the Secrets Manager secret holding the value (if any) and the key that
replaced it. The key's value is never a field.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .keys import WINDOW_SECONDS

#: The per-key request counter of one hourly window lives on the key item itself, in an attribute named
#: after the window: ``rl_<window start epoch>``. One conditional UpdateItem validates the key, counts the
#: request and records ``last_used`` (``admit_update``); the previous window's attribute is removed by it.
COUNTER_PREFIX = "rl_"


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@dataclass(frozen=True)
class APIKey:
    """One API key, as stored in the keys table (hash key ``key_id``)."""

    key_id: str
    key_hash: str
    enabled: bool
    rate_limit: int
    """Requests per hour (the seed's ``rate_limit``); the authorizer's exact per-key counter enforces it."""
    name: str = ""
    created_at: str | None = None
    last_used: str | None = None
    last_used_epoch: int | None = None
    usage_plan_id: str | None = None
    pepper_version: int = 1
    """Records written before pepper versioning have none: they were hashed under version 1."""
    expires_at: int | None = None
    metering_value: str | None = None
    """``keys.metering_value(key, pepper)``: the usage-plan API key value. None: not migrated yet."""
    apigw_key_id: str | None = None
    secret_name: str | None = None
    replaced_by: str | None = None

    # --- the seed's methods -------------------------------------------------------------------
    def invalid_reason(self, now: float) -> str | None:
        """Why the key may not be used at ``now`` (a deny reason of the decision log), or None."""
        if not self.enabled:
            return "disabled_key"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired_key"
        if self.rate_limit <= 0:
            return "no_quota"
        return None

    def is_valid(self, now: float | None = None) -> bool:
        """Enabled, not expired, with a positive hourly limit."""
        return self.invalid_reason(time.time() if now is None else now) is None

    def check_rate_limit(self, current_usage: int) -> bool:
        """True while ``current_usage`` requests in this hour leave room for one more."""
        return current_usage < self.rate_limit

    # --- DynamoDB items -----------------------------------------------------------------------
    @classmethod
    def from_item(cls, item: dict[str, Any]) -> APIKey:
        def s(name: str) -> str | None:
            value = item.get(name, {}).get("S")
            return value if isinstance(value, str) else None

        def n(name: str) -> int | None:
            value = item.get(name, {}).get("N")
            return int(value) if value is not None else None

        return cls(
            key_id=item["key_id"]["S"],
            key_hash=s("key_hash") or "",
            enabled=item.get("enabled", {}).get("BOOL", False) is True,
            rate_limit=n("rate_limit") or 0,
            name=s("name") or "",
            created_at=s("created_at"),
            last_used=s("last_used"),
            last_used_epoch=n("last_used_epoch"),
            usage_plan_id=s("usage_plan_id"),
            pepper_version=n("pepper_version") or 1,
            expires_at=n("expires_at"),
            metering_value=s("metering_value"),
            apigw_key_id=s("apigw_key_id"),
            secret_name=s("secret_name"),
            replaced_by=s("replaced_by"),
        )

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "key_id": {"S": self.key_id},
            "key_hash": {"S": self.key_hash},
            "enabled": {"BOOL": self.enabled},
            "rate_limit": {"N": str(self.rate_limit)},
            "name": {"S": self.name},
            "pepper_version": {"N": str(self.pepper_version)},
        }
        for field in ("created_at", "last_used", "usage_plan_id", "metering_value", "apigw_key_id", "secret_name"):
            value = getattr(self, field)
            if value is not None:
                item[field] = {"S": value}
        if self.replaced_by is not None:
            item["replaced_by"] = {"S": self.replaced_by}
        for field in ("last_used_epoch", "expires_at"):
            value = getattr(self, field)
            if value is not None:
                item[field] = {"N": str(value)}
        return item

    def key(self) -> dict[str, Any]:
        return key_of(self.key_id)

    def listing(self) -> dict[str, Any]:
        """What ``manage_keys.py list`` shows: never the hash, the metering value or the secret."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "enabled": self.enabled,
            "rate_limit": self.rate_limit,
            "created_at": self.created_at,
            "last_used": self.last_used,
            "expires_at": iso(self.expires_at) if self.expires_at is not None else None,
            "usage_plan_id": self.usage_plan_id,
            "pepper_version": self.pepper_version,
            "metering": "derived" if self.metering_value else "legacy (run migrate-metering)",
        }


def key_of(key_id: str) -> dict[str, Any]:
    return {"key_id": {"S": key_id}}


# --- UpdateItem shapes (keyword arguments without TableName) ---------------------------------


def counter_attribute(window_start: int) -> str:
    return f"{COUNTER_PREFIX}{window_start}"


def count_of(item: dict[str, Any], window_start: int) -> int:
    """Requests counted in the window on a key item (0 when none was)."""
    value = item.get(counter_attribute(window_start), {}).get("N")
    return int(value) if value is not None else 0


def stale_counters(item: dict[str, Any], window_start: int) -> tuple[str, ...]:
    """Counter attributes of windows other than this one (removed by the key's next admission)."""
    current = counter_attribute(window_start)
    return tuple(sorted(name for name in item if name.startswith(COUNTER_PREFIX) and name != current))


def admit_update(
    key_id: str, key_hashes: tuple[str, ...], window_start: int, now: int, stale: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One request's admission as a single conditional write on the key item.

    The condition holds only for a key whose stored hash is one of ``key_hashes`` (the presented key
    hashed under every usable pepper version), enabled, unexpired, with a positive limit and fewer than
    ``rate_limit`` requests counted in this window. Then the window's counter is incremented, ``last_used``
    is set, and the previous window's counter (plus any ``stale`` ones) removed, atomically: DynamoDB
    applies a conditional update to one item in isolation
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate).
    Call it with ``ReturnValues=ALL_NEW`` (the count and the record) and
    ``ReturnValuesOnConditionCheckFailure=ALL_OLD`` (why it was refused, with no second read).
    """
    if not key_hashes:
        raise ValueError("key_hashes: got none; allowed: the key hashed under at least one usable pepper")
    hashes = {f":h{i}": {"S": value} for i, value in enumerate(key_hashes)}
    removed = sorted({counter_attribute(window_start - WINDOW_SECONDS), *stale} - {counter_attribute(window_start)})
    names = {
        "#hash": "key_hash",
        "#enabled": "enabled",
        "#limit": "rate_limit",
        "#expires": "expires_at",
        "#count": counter_attribute(window_start),
        "#used": "last_used",
        "#usedEpoch": "last_used_epoch",
        **{f"#stale{i}": name for i, name in enumerate(removed)},
    }
    remove = " REMOVE " + ", ".join(f"#stale{i}" for i in range(len(removed))) if removed else ""
    return {
        "Key": key_of(key_id),
        "UpdateExpression": f"ADD #count :one SET #used = :iso, #usedEpoch = :now{remove}",
        "ConditionExpression": f"#hash IN ({', '.join(hashes)}) AND #enabled = :true AND #limit > :zero"
        " AND (attribute_not_exists(#expires) OR #expires > :now)"
        " AND (attribute_not_exists(#count) OR #count < #limit)",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {
            **hashes,
            ":one": {"N": "1"},
            ":zero": {"N": "0"},
            ":true": {"BOOL": True},
            ":now": {"N": str(now)},
            ":iso": {"S": iso(now)},
        },
        "ReturnValues": "ALL_NEW",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def disable_update(key_id: str) -> dict[str, Any]:
    return {
        "Key": key_of(key_id),
        "UpdateExpression": "SET enabled = :false",
        "ConditionExpression": "attribute_exists(key_id)",
        "ExpressionAttributeValues": {":false": {"BOOL": False}},
    }


def expire_update(key_id: str, expires_at: int, replaced_by: str) -> dict[str, Any]:
    return {
        "Key": key_of(key_id),
        "UpdateExpression": "SET expires_at = :expires, replaced_by = :new",
        "ConditionExpression": "attribute_exists(key_id)",
        "ExpressionAttributeValues": {":expires": {"N": str(expires_at)}, ":new": {"S": replaced_by}},
    }


def rehash_update(key_id: str, key_hash: str, pepper_version: int, old_version: int) -> dict[str, Any]:
    """Move a key to a newer pepper version, only if nobody did it first (idempotent under races)."""
    return {
        "Key": key_of(key_id),
        "UpdateExpression": "SET key_hash = :hash, pepper_version = :version",
        "ConditionExpression": "attribute_exists(key_id) AND "
        "(attribute_not_exists(pepper_version) OR pepper_version = :old)",
        "ExpressionAttributeValues": {
            ":hash": {"S": key_hash},
            ":version": {"N": str(pepper_version)},
            ":old": {"N": str(old_version)},
        },
    }


def metering_update(key_id: str, metering_value: str, apigw_key_id: str) -> dict[str, Any]:
    return {
        "Key": key_of(key_id),
        "UpdateExpression": "SET metering_value = :value, apigw_key_id = :apigw",
        "ConditionExpression": "attribute_exists(key_id)",
        "ExpressionAttributeValues": {":value": {"S": metering_value}, ":apigw": {"S": apigw_key_id}},
    }
