"""REQUEST authorizer: API key on ``X-API-Key`` (any case), per-key hourly limit, fail closed.

Outcomes, and how API Gateway turns each into a response (docs/API.md, docs/AWS-BEHAVIOUR.md):

* no key, or an empty one -> ``raise Unauthorized`` -> gateway response UNAUTHORIZED, **401**;
* malformed, unknown, disabled or expired key (or one hashed under a retired pepper) -> Deny
  policy -> ACCESS_DENIED, **403**;
* over the key's hourly limit (``OVER_LIMIT_ACTION``):
  ``integration`` (the demo API, whose handlers all use ``functions.http.with_rate_limit``) -> *Allow*
  with ``rateLimited = "true"``: the integration answers **429** with ``X-RateLimit-*`` and
  ``Retry-After``; ``deny`` (existing-API mode: nothing downstream knows the contract) -> Deny with
  ``reason = "rate_limited"`` -> ACCESS_DENIED (**403**, body ``"reason": "rate_limited"``). Either way the
  usage plan has no quota to burn (docs/KEYS.md "Rate limits");
* allowed -> Allow with ``X-RateLimit-*`` values in the context and the key's *derived metering value*
  (``keys.metering_value``) as ``usageIdentifierKey``, never the key itself;
* DynamoDB or Secrets Manager failing, or an event without a usable ``methodArn`` -> an exception ->
  a 5xx gateway response, configured as **503** with ``Retry-After`` for every type a failing
  authorizer can produce. Never an Allow.

Every decision is logged as exactly one line (the decision log):
``LOG.info("authorizer decision", extra={"decision": ..., "reason": ..., "key_id": ...})``.

DynamoDB calls on a warm container: one conditional ``UpdateItem`` on the key item per request
(``key_record.admit_update``): it checks the presented key's hash, ``enabled``, the expiry and the
window's count against the item's own ``rate_limit``, then counts the request and sets ``last_used``,
all in one write. A refusal comes back with the item as it was (``ReturnValuesOnConditionCheckFailure``),
so why it was refused costs no second read. A key found over its limit is remembered until its window
ends and refused with no DynamoDB call; any other refusal is remembered for ``KEY_CACHE_SECONDS`` (so a
re-enabled key may wait that long; a disable or delete takes effect on the next request).

Environment: ``API_KEYS_TABLE``, ``PEPPER_SECRET_ID``, ``KEY_CACHE_SECONDS``
(default 5), ``OVER_LIMIT_ACTION`` (``integration`` or ``deny``; default ``integration``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import time
from collections.abc import Mapping
from typing import Any, Protocol

from . import key_record, keys
from .key_record import APIKey

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

HEADER = "x-api-key"
#: Anything longer is not one of our keys; it is rejected before any work (a 10 kB header costs nothing).
MAX_HEADER_LENGTH = 512
#: How long the pepper versions are kept in memory; a record naming an unknown version forces a re-read.
PEPPER_CACHE_SECONDS = 300
#: A record whose pepper version is not cached re-reads the secret at most this often.
PEPPER_MISS_REFRESH_SECONDS = 5
#: Bound on each per-container memory (refusals, over-limit keys); beyond it the memory starts over.
MAX_CACHED_RECORDS = 4096
DEFAULT_KEY_CACHE_SECONDS = 5.0
OVER_LIMIT_ACTIONS = ("integration", "deny")
#: arn:aws:execute-api:{region}:{account}:{api id}/{stage}/{method}/{path}
_METHOD_ARN = re.compile(r"arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[a-z0-9]+/[^/\s]+/[A-Z*]+(/[^\s]*)?")


class Unauthorized(Exception):  # noqa: N818 - API Gateway requires exactly the message "Unauthorized"
    """Raised for a missing key; API Gateway answers 401 only for this exact message."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


class AuthorizerUnavailable(Exception):  # noqa: N818
    """A dependency failed or the event is unusable; the request is refused with a 503, never let through."""


@dataclasses.dataclass(frozen=True)
class Admission:
    """What one conditional count on the key item found."""

    admitted: bool
    #: The key item after the write (admitted) or as it was (refused); None: no such key.
    record: APIKey | None
    #: Requests counted in the window: this one's number when admitted, the count found when refused.
    count: int


class Store(Protocol):
    def admit(self, key_id: str, key_hashes: tuple[str, ...], window_start: int, now: int) -> Admission: ...

    def peppers(self) -> keys.PepperSet: ...

    def rehash(self, key_id: str, key_hash: str, version: int, old_version: int) -> None: ...


class DynamoStore:
    """The real store: the keys table and the pepper secret (boto3 low-level clients)."""

    def __init__(self, keys_table: str, pepper_secret_id: str) -> None:
        import boto3  # deferred so that a missing key is answered before boto3 loads
        from botocore.config import Config

        config = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})
        self._dynamodb = boto3.client("dynamodb", config=config)
        self._secrets = boto3.client("secretsmanager", config=config)
        self._keys_table = keys_table
        self._pepper_secret_id = pepper_secret_id
        #: key id -> counter attributes of past windows seen on its item, removed by its next admission.
        self._stale: dict[str, tuple[str, ...]] = {}

    def peppers(self) -> keys.PepperSet:
        try:
            value = self._secrets.get_secret_value(SecretId=self._pepper_secret_id).get("SecretString", "")
        except self._secrets.exceptions.ResourceNotFoundException:
            raise AuthorizerUnavailable("the pepper secret has no value: run manage_keys.py init-pepper") from None
        try:
            return keys.parse_pepper_secret(value)
        except keys.PepperError as exc:
            raise AuthorizerUnavailable(str(exc)) from None

    def admit(self, key_id: str, key_hashes: tuple[str, ...], window_start: int, now: int) -> Admission:
        update = key_record.admit_update(key_id, key_hashes, window_start, now, self._stale.pop(key_id, ()))
        try:
            item = self._dynamodb.update_item(TableName=self._keys_table, **update)["Attributes"]
        except self._dynamodb.exceptions.ConditionalCheckFailedException as exc:
            old = exc.response.get("Item")
            if old is None:
                return Admission(False, None, 0)
            return Admission(False, APIKey.from_item(old), key_record.count_of(old, window_start))
        stale = key_record.stale_counters(item, window_start)
        if stale:
            if len(self._stale) >= MAX_CACHED_RECORDS:
                self._stale.clear()
            self._stale[key_id] = stale
        return Admission(True, APIKey.from_item(item), key_record.count_of(item, window_start))

    def rehash(self, key_id: str, key_hash: str, version: int, old_version: int) -> None:
        # ConditionalCheckFailed: another container moved it first.
        with contextlib.suppress(self._dynamodb.exceptions.ConditionalCheckFailedException):
            self._dynamodb.update_item(
                TableName=self._keys_table, **key_record.rehash_update(key_id, key_hash, version, old_version)
            )


class _State:
    """What a warm container remembers between invocations."""

    def __init__(self) -> None:
        self.store: Store | None = None
        #: presented key -> (deny reason, until): refused again with no DynamoDB call until then.
        self.refused: dict[str, tuple[str, float]] = {}
        #: key id -> (window start, record): refused until the window ends, with no DynamoDB call.
        self.over_limit: dict[str, tuple[int, APIKey]] = {}
        self.peppers: tuple[keys.PepperSet, float] | None = None

    def clear(self) -> None:
        self.refused.clear()
        self.over_limit.clear()
        self.peppers = None


_state = _State()


def set_store(store: Store | None) -> None:
    """Replace the store (tests, benchmark) and forget every cache; None goes back to DynamoDB on next use."""
    _state.store = store
    _state.clear()


def _get_store() -> Store:
    if _state.store is None:
        _state.store = DynamoStore(os.environ["API_KEYS_TABLE"], os.environ["PEPPER_SECRET_ID"])
    return _state.store


def key_cache_seconds() -> float:
    raw = os.environ.get("KEY_CACHE_SECONDS", "")
    try:
        value = float(raw) if raw else DEFAULT_KEY_CACHE_SECONDS
    except ValueError:
        raise AuthorizerUnavailable(f"KEY_CACHE_SECONDS: got {raw!r}; allowed: a number >= 0") from None
    if not 0 <= value <= 300:
        raise AuthorizerUnavailable(f"KEY_CACHE_SECONDS: got {raw!r}; allowed: a number >= 0 and <= 300")
    return value


def over_limit_action() -> str:
    value = os.environ.get("OVER_LIMIT_ACTION", "integration")
    if value not in OVER_LIMIT_ACTIONS:
        raise AuthorizerUnavailable(f"OVER_LIMIT_ACTION: got {value!r}; allowed: {', '.join(OVER_LIMIT_ACTIONS)}")
    return value


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


def method_arn_of(event: Any) -> str:
    """The event's methodArn; raises AuthorizerUnavailable when missing or malformed (never a wildcard)."""
    arn = event.get("methodArn") if isinstance(event, Mapping) else None
    if not isinstance(arn, str) or _METHOD_ARN.fullmatch(arn) is None:
        raise AuthorizerUnavailable("the event has no well-formed methodArn")
    return arn


def _decision(decision: str, reason: str, key_id: str) -> None:
    """The one log line per decision (the decision log). Never the key, never the pepper."""
    level = logging.WARNING if decision == "fail_closed" else logging.INFO
    LOG.log(level, "authorizer decision", extra={"decision": decision, "reason": reason, "key_id": key_id})


def _policy(effect: str, resource: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
    }


#: What the ACCESS_DENIED gateway response tells the client ($context.authorizer.clientReason): never which
#: of unknown, disabled or expired a key is, only whether waiting helps.
CLIENT_REASONS = {"rate_limited": "rate_limited"}


def _deny(arn: str, principal: str, reason: str, **context: str) -> dict[str, Any]:
    _decision("deny", reason, principal)
    return _deny_policy(arn, principal, reason, **context)


def _deny_policy(arn: str, principal: str, reason: str, **context: str) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": _policy("Deny", arn),
        "context": {"reason": reason, "clientReason": CLIENT_REASONS.get(reason, "invalid_key"), **context},
    }


def _pepper_set(store: Store, clock: float, needed: int | None = None) -> keys.PepperSet:
    """The cached pepper versions; re-read when older than PEPPER_CACHE_SECONDS, or (at most every
    PEPPER_MISS_REFRESH_SECONDS) when a record names a version the cache does not hold."""
    cached = _state.peppers
    if cached is not None:
        peppers, fetched = cached
        age = clock - fetched
        known = needed is None or peppers.get(needed) is not None
        if age < PEPPER_CACHE_SECONDS and (known or age < PEPPER_MISS_REFRESH_SECONDS):
            return peppers
    peppers = store.peppers()
    _state.peppers = (peppers, clock)
    return peppers


def _hashes(key: str, peppers: keys.PepperSet, clock: int) -> tuple[str, ...]:
    """The presented key hashed under every pepper version still usable: one of them must be stored."""
    return tuple(keys.hash_key(key, p.value) for p in peppers.versions if p.usable(clock))


def _refusal_reason(key: str, admission: Admission, peppers: keys.PepperSet, clock: int) -> str:
    """Why the conditional count refused the request, from the item as it was (no second read)."""
    record = admission.record
    if record is None:
        return "unknown_key"
    pepper = peppers.get(record.pepper_version)
    if pepper is None:
        # A version older than the current one was dropped after its grace period: the key must be re-issued.
        return "expired_key" if record.pepper_version < peppers.current else "unknown_key"
    if not keys.key_matches(key, record.key_hash, pepper.value):
        return "unknown_key"
    if not pepper.usable(clock):
        return "expired_key"  # hashed under a pepper whose grace period is over
    reason = record.invalid_reason(clock)
    if reason is not None:
        return reason
    if admission.count >= record.rate_limit:
        return "over_limit"
    # Every condition holds on the item as it was: it changed between the write and our checks' inputs.
    raise AuthorizerUnavailable("the key item changed during admission")


def _admit(store: Store, key: str, key_id: str, window: int, clock: int) -> tuple[str | None, Admission]:
    """(None or the refusal reason, the admission). One DynamoDB write; a second only when the item names a
    pepper version newer than the cached ones (a rotation this container has not seen yet)."""
    peppers = _pepper_set(store, clock)
    admission = store.admit(key_id, _hashes(key, peppers, clock), window, clock)
    if not admission.admitted and admission.record is not None and peppers.get(admission.record.pepper_version) is None:
        refreshed = _pepper_set(store, clock, admission.record.pepper_version)
        if refreshed is not peppers:
            peppers = refreshed
            admission = store.admit(key_id, _hashes(key, peppers, clock), window, clock)
    if not admission.admitted:
        return _refusal_reason(key, admission, peppers, clock), admission
    record = admission.record
    if record is not None and record.pepper_version != peppers.current:
        admission = dataclasses.replace(admission, record=_rehash(store, key, record, peppers))
    return None, admission


def _rehash(store: Store, key: str, record: APIKey, peppers: keys.PepperSet) -> APIKey:
    """Move a key used under a previous pepper version to the current one (once per key per rotation)."""
    current = peppers.current_pepper()
    new_hash = keys.hash_key(key, current.value)
    try:
        store.rehash(record.key_id, new_hash, current.version, record.pepper_version)
    except Exception as exc:  # noqa: BLE001 - bookkeeping; the key is still valid under its old version
        LOG.warning("re-hash deferred", extra={"key_id": record.key_id, "error": type(exc).__name__})
        return record
    return dataclasses.replace(record, key_hash=new_hash, pepper_version=current.version)


def _context(record: APIKey, remaining: int, reset: int, clock: int, limited: bool) -> dict[str, str]:
    return {
        "keyId": record.key_id,
        "rateLimited": "true" if limited else "false",
        "rateLimitLimit": str(record.rate_limit),
        "rateLimitRemaining": str(remaining),
        "rateLimitReset": str(reset),
        "retryAfter": str(max(reset - clock, 1)),
    }


def _over_limit(arn: str, key: str, record: APIKey, window: int, clock: int, action: str) -> dict[str, Any]:
    reset = window + keys.WINDOW_SECONDS
    context = _context(record, 0, reset, clock, True)
    _decision("rate_limited", "over_limit", record.key_id)
    if action == "deny":
        return _deny_policy(arn, record.key_id, "rate_limited", **context)
    return _allow(arn, key, record, context)


def _allow(arn: str, key: str, record: APIKey, context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": record.key_id,
        "policyDocument": _policy("Allow", arn),
        # The derived metering value; a record not yet migrated is metered under the key
        # itself until `manage_keys.py migrate-metering` runs, so that it keeps working meanwhile.
        "usageIdentifierKey": record.metering_value or key,
        "context": context,
    }


def handler(event: Any, context: Any = None, *, now: float | None = None) -> dict[str, Any]:
    key = api_key_of(event)
    if key is None:
        _decision("unauthorized", "missing_key", "anonymous")
        raise Unauthorized()
    key_id = keys.key_id_of(key) if len(key) <= MAX_HEADER_LENGTH else None
    try:
        arn = method_arn_of(event)
    except AuthorizerUnavailable:
        _decision("fail_closed", "dependency_error", key_id or "anonymous")
        raise
    if key_id is None:
        return _deny(arn, "anonymous", "malformed_key")
    exact = now if now is not None else time.time()
    clock = int(exact)
    window = keys.window_start(clock)
    try:
        action = over_limit_action()
        store = _get_store()
        remembered = _state.over_limit.get(key_id)
        if remembered is not None and remembered[0] == window:
            # Over its limit earlier in this window: refused with no DynamoDB call. A key whose secret
            # does not match is still a 403 (checked against the remembered record).
            if not _key_matches_remembered(store, key, remembered[1], exact):
                return _deny(arn, key_id, "unknown_key")
            return _over_limit(arn, key, remembered[1], window, clock, action)
        refused = _state.refused.get(key)
        if refused is not None and exact < refused[1]:
            return _deny(arn, key_id, refused[0])
        reason, admission = _admit(store, key, key_id, window, clock)
    except AuthorizerUnavailable as exc:
        _decision("fail_closed", "dependency_error", key_id)
        LOG.warning("fail closed cause", extra={"key_id": key_id, "cause": str(exc)})
        raise
    except Exception as exc:  # noqa: BLE001 - fail closed on any dependency error; never log the key
        _decision("fail_closed", "dependency_error", key_id)
        raise AuthorizerUnavailable(type(exc).__name__) from None

    record = admission.record
    if reason == "over_limit" and record is not None:
        _remember(_state.over_limit, key_id, (window, record))
        return _over_limit(arn, key, record, window, clock, action)
    if reason is not None or record is None:
        ttl = key_cache_seconds()
        if ttl > 0:
            _remember(_state.refused, key, (reason or "unknown_key", exact + ttl))
        return _deny(arn, key_id, reason or "unknown_key")
    _state.over_limit.pop(key_id, None)
    _state.refused.pop(key, None)
    reset = window + keys.WINDOW_SECONDS
    _decision("allow", "ok", key_id)
    return _allow(arn, key, record, _context(record, max(record.rate_limit - admission.count, 0), reset, clock, False))


def _remember(memory: dict[str, Any], name: str, value: Any) -> None:
    """Bounded per-container memory: beyond MAX_CACHED_RECORDS entries it starts over."""
    if len(memory) >= MAX_CACHED_RECORDS:
        memory.clear()
    memory[name] = value


def _key_matches_remembered(store: Store, key: str, record: APIKey, clock: float) -> bool:
    peppers = _pepper_set(store, clock, record.pepper_version)
    pepper = peppers.get(record.pepper_version)
    return pepper is not None and keys.key_matches(key, record.key_hash, pepper.value)
