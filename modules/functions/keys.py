"""API key format, hashing and rate-limit windows: shared by the authorizer and ``scripts/manage_keys.py``.

A key looks like ``agk`` + 16 hex characters (the key id, which is not secret
and may be logged) + 40 random letters and digits (the secret). Only
HMAC-SHA256(pepper, key) is stored; the pepper lives in Secrets Manager.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

KEY_PREFIX = "agk"
KEY_ID_LENGTH = 16
SECRET_LENGTH = 40
KEY_LENGTH = len(KEY_PREFIX) + KEY_ID_LENGTH + SECRET_LENGTH
_KEY_PATTERN = re.compile(rf"{KEY_PREFIX}([0-9a-f]{{{KEY_ID_LENGTH}}})[A-Za-z0-9]{{{SECRET_LENGTH}}}")
_ALPHABET = string.ascii_letters + string.digits

#: The per-key limit is counted in fixed windows of one hour (the seed's ``rate_limit`` per hour).
WINDOW_SECONDS = 3600
#: Counter items outlive their window by a day, then DynamoDB's TTL removes them.
COUNTER_TTL_SECONDS = WINDOW_SECONDS + 86400


def generate_key() -> tuple[str, str]:
    """A new (key_id, key) pair from the OS CSPRNG."""
    key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))
    return key_id, f"{KEY_PREFIX}{key_id}{secret}"


def key_id_of(key: str) -> str | None:
    """The key id of a well-formed key, else None (checked before any hashing or lookup)."""
    if not isinstance(key, str) or len(key) != KEY_LENGTH:
        return None
    match = _KEY_PATTERN.fullmatch(key)
    return match.group(1) if match else None


def hash_key(key: str, pepper: bytes) -> str:
    """HMAC-SHA256 of the key under the pepper, hex encoded: the only form that is stored."""
    return hmac.new(pepper, key.encode("utf-8"), hashlib.sha256).hexdigest()


def key_matches(key: str, stored_hash: str, pepper: bytes) -> bool:
    """Constant-time comparison of the key's hash with the stored one."""
    if not isinstance(stored_hash, str):
        return False
    return hmac.compare_digest(hash_key(key, pepper).encode(), stored_hash.encode())


def window_start(now: int) -> int:
    return now - now % WINDOW_SECONDS
