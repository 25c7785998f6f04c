"""Front-door configuration: API keys, usage plans and the authorizer."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import Field, model_validator

from environments.config.api import ReservedConcurrency
from environments.config.base import ConfigError, ConfigModel, Described, InstanceOf


class QuotaPeriod(enum.Enum):
    """The periods an API Gateway usage-plan quota accepts. There is no HOUR."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class UsagePlanConfig(ConfigModel):
    """The environment's usage plan: a throttle for every key, and optionally a quota per key.

    The per-key hourly limit is not a quota: the authorizer counts it exactly and refuses past it. A
    usage-plan quota would also count every request the authorizer allows, including the ones it
    marks over-limit for the handler's 429, so a client retrying at 429 would lock itself out until
    the quota period ends. Hence no quota by default (docs/KEYS.md "Rate limits")."""

    config_path = "auth.usage_plan"
    rate_limit_per_second: float = Field(1000.0, gt=0, le=1_000_000)
    """Steady-state requests per second per key. Default: 1000 (the seed's value)."""
    burst_limit: int = Field(2000, ge=1, le=5_000_000)
    """The token-bucket size per key, at least ``rate_limit_per_second``. Default: 2000 (the seed's value)."""
    quota_limit: int | None = Field(None, ge=1, le=2_000_000_000)
    """Requests per key per ``quota_period``, a ceiling on top of the hourly limit (it counts the 429s the
    integration answers too). Default: none (the seed's 1,000 per HOUR is the authorizer's per-key limit)."""
    quota_period: Annotated[
        QuotaPeriod,
        Described(
            "one of QuotaPeriod.DAY, QuotaPeriod.WEEK, QuotaPeriod.MONTH (API Gateway quotas have no HOUR period: "
            "use DAY with 24x the hourly limit; per-key hourly limits are AuthConfig.default_key_rate_limit_per_hour)"
        ),
    ] = QuotaPeriod.DAY
    """DAY, WEEK or MONTH; used only with ``quota_limit``. Default: DAY."""

    @model_validator(mode="after")
    def _burst_covers_rate(self) -> UsagePlanConfig:
        if self.burst_limit < self.rate_limit_per_second:
            allowed = f"an integer >= rate_limit_per_second ({self.rate_limit_per_second:g})"
            raise ConfigError("burst_limit", self.burst_limit, allowed)
        return self


class AuthConfig(ConfigModel):
    """API keys, usage plan limits and the REQUEST authorizer."""

    config_path = "auth"
    usage_plan: InstanceOf[UsagePlanConfig] = UsagePlanConfig()
    """Throttle and quota of the environment's usage plan. Default: see UsagePlanConfig."""
    default_key_rate_limit_per_hour: int = Field(1000, ge=1, le=10_000_000)
    """The hourly limit ``manage_keys.py create`` gives a new key when none is passed; the authorizer
    answers 429 past it. Default: 1000 (the seed's value)."""
    rotation_grace_hours: int = Field(24, ge=0, le=24 * 30)
    """How long ``manage_keys.py rotate`` keeps the old key valid. Default: 24 hours."""
    key_cache_seconds: float = Field(5.0, ge=0, le=60)
    """How long a warm authorizer remembers a refused key (unknown, disabled, expired; env
    ``KEY_CACHE_SECONDS``) and refuses it again with no DynamoDB call: also how long a re-enabled key may
    still be refused by a warm container. A disable or delete takes effect on the next request (every
    admission re-checks the key item). 0 remembers no refusal. Default: 5 seconds."""
    pepper_grace_hours: int = Field(168, ge=1, le=24 * 90)
    """How long ``manage_keys.py rotate-pepper`` keeps keys hashed under the previous pepper valid (each is
    re-hashed under the new one on its first use meanwhile). Default: 168 hours (a week)."""
    authorizer_memory_mb: int = Field(256, ge=128, le=10240)
    """The authorizer's memory; more memory also means more CPU for the HMAC. Default: 256 MB."""
    authorizer_reserved_concurrency: ReservedConcurrency | None = None
    """Executions reserved for the authorizer, so a burst on one route cannot starve authentication.
    Default: none (the account's unreserved pool)."""
