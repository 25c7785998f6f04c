"""API key format, hashing and rate-limit windows: shared by the authorizer and ``scripts/manage_keys.py``.

A key looks like ``agk`` + 16 hex characters (the key id, which is not secret
and may be logged) + 40 random letters and digits (the secret). Only
HMAC-SHA256(pepper, key) is stored; the pepper lives in Secrets Manager, versioned
(:class:`PepperSet`), and is written there by ``scripts/manage_keys.py init-pepper`` /
``rotate-pepper``, never by Terraform. API Gateway meters a key under a value derived from it
(:func:`metering_value`, "agm_" + 64 hex), never under the key itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import string
from dataclasses import dataclass

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


# --- derived metering values ------------------------------------------------------

#: The usage-plan (metering) key value: "agm_" + 64 lowercase hex characters.
METERING_PREFIX = "agm_"
METERING_PATTERN = re.compile(r"^agm_[0-9a-f]{64}$")
#: Domain separation: the metering value is never equal to the stored key hash of the same key.
_METERING_CONTEXT = b"agenticai-metering-v1:"


def metering_value(key_hash: str, pepper: bytes) -> str:
    """The value API Gateway meters a key under (its usage-plan API key value), from the key's stored hash.

    HMAC-SHA256 under the pepper of the domain-separated hash, so it is derived from the key, never
    contains it, cannot be turned back into it, differs from the stored hash, and is not a well-formed
    ``X-API-Key`` (the authorizer rejects it as ``malformed_key`` before any lookup). Computed from the
    hash, not the key, so that ``manage_keys.py migrate-metering`` can derive it for keys issued
    before it existed, whose values nobody holds any more.
    """
    digest = hmac.new(pepper, _METERING_CONTEXT + key_hash.encode("utf-8"), hashlib.sha256).hexdigest()
    return METERING_PREFIX + digest


# --- versioned pepper -------------------------------------------------------------------------


class PepperError(ValueError):
    """The pepper secret's value is not in a form this code understands."""


@dataclass(frozen=True)
class Pepper:
    version: int
    value: bytes
    #: Keys hashed under this version are refused from this epoch on (None: no end; the current version).
    refuse_after: int | None = None

    def usable(self, now: int) -> bool:
        return self.refuse_after is None or now < self.refuse_after


@dataclass(frozen=True)
class PepperSet:
    """Every pepper version still honoured; ``current`` hashes new keys."""

    current: int
    versions: tuple[Pepper, ...]

    def get(self, version: int) -> Pepper | None:
        return next((p for p in self.versions if p.version == version), None)

    def current_pepper(self) -> Pepper:
        pepper = self.get(self.current)
        if pepper is None:  # parse_pepper_secret guarantees it; kept for type checkers
            raise PepperError("the current pepper version is missing")
        return pepper

    def render(self) -> str:
        """The secret string (JSON): what ``manage_keys.py init-pepper`` / ``rotate-pepper`` store."""
        return json.dumps(
            {
                "current": self.current,
                "versions": {
                    str(p.version): {"pepper": p.value.decode("utf-8"), "refuse_after": p.refuse_after}
                    for p in self.versions
                },
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    def rotated(self, new_value: str, *, now: int, grace_seconds: int) -> PepperSet:
        """A new current version; the previous current one is honoured for ``grace_seconds`` more, and
        versions whose grace has ended are dropped."""
        version = max(p.version for p in self.versions) + 1
        kept = []
        for pepper in self.versions:
            if not pepper.usable(now):
                continue
            if pepper.version == self.current:
                pepper = Pepper(pepper.version, pepper.value, now + grace_seconds)
            kept.append(pepper)
        kept.append(Pepper(version, new_value.encode("utf-8")))
        return PepperSet(version, tuple(kept))


#: A pepper value: at least 32 characters of letters and digits (generate_pepper() makes 64).
_PEPPER_VALUE = re.compile(r"[A-Za-z0-9]{32,256}")


def generate_pepper() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(64))


def parse_pepper_secret(text: str) -> PepperSet:
    """The secret string -> PepperSet. A bare value (the pre-versioning form) is version 1."""
    if not isinstance(text, str) or not text:
        raise PepperError("the pepper secret is empty")
    if _PEPPER_VALUE.fullmatch(text):
        return PepperSet(1, (Pepper(1, text.encode("utf-8")),))
    try:
        data = json.loads(text)
        current = int(data["current"])
        versions = tuple(
            Pepper(
                int(version),
                str(entry["pepper"]).encode("utf-8"),
                int(entry["refuse_after"]) if entry.get("refuse_after") is not None else None,
            )
            for version, entry in data["versions"].items()
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise PepperError("the pepper secret is neither a bare value nor the versioned JSON form") from None
    if not any(p.version == current for p in versions) or any(len(p.value) < 32 for p in versions):
        raise PepperError("the pepper secret's current version is missing or a value is too short")
    return PepperSet(current, versions)
