"""Front-door configuration: API keys, usage plans and the authorizer."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from environments.config.base import ConfigError, require_int, require_number


class QuotaPeriod(enum.Enum):
    """The periods an API Gateway usage-plan quota accepts. There is no HOUR."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


_PERIOD_HELP = (
    "one of QuotaPeriod.DAY, QuotaPeriod.WEEK, QuotaPeriod.MONTH "
    "(API Gateway quotas have no HOUR period: use DAY with 24x the hourly limit; "
    "per-key hourly limits are AuthConfig.default_key_rate_limit_per_hour)"
)


@dataclass(frozen=True)
class UsagePlanConfig:
    """The environment's usage plan: a throttle for every key, plus a quota per key.

    rate_limit_per_second: steady-state requests per second per key. Default: 1000 (the seed's value).
    burst_limit: the token-bucket size per key. Default: 2000 (the seed's value).
    quota_limit: requests per key per ``quota_period``. Default: 24,000 per DAY, the
        seed's 1,000 per HOUR expressed in a period API Gateway accepts.
    quota_period: DAY, WEEK or MONTH. Default: DAY.
    """

    rate_limit_per_second: float = 1000.0
    burst_limit: int = 2000
    quota_limit: int = 24000
    quota_period: QuotaPeriod = QuotaPeriod.DAY

    def __post_init__(self) -> None:
        require_number(
            "auth.usage_plan.rate_limit_per_second",
            self.rate_limit_per_second,
            minimum=0,
            exclusive_minimum=True,
            maximum=1_000_000,
        )
        require_int("auth.usage_plan.burst_limit", self.burst_limit, minimum=1, maximum=5_000_000)
        if self.burst_limit < self.rate_limit_per_second:
            raise ConfigError(
                "auth.usage_plan.burst_limit",
                self.burst_limit,
                f"an integer >= rate_limit_per_second ({self.rate_limit_per_second:g})",
            )
        require_int("auth.usage_plan.quota_limit", self.quota_limit, minimum=1, maximum=2_000_000_000)
        if not isinstance(self.quota_period, QuotaPeriod):
            raise ConfigError("auth.usage_plan.quota_period", self.quota_period, _PERIOD_HELP)


@dataclass(frozen=True)
class AuthConfig:
    """API keys, usage plan limits and the REQUEST authorizer.

    usage_plan: throttle and quota of the environment's usage plan. Default: see UsagePlanConfig.
    default_key_rate_limit_per_hour: the hourly limit ``manage_keys.py create`` gives a new key
        when none is passed; the authorizer answers 429 past it. Default: 1000 (the seed's value).
    rotation_grace_hours: how long ``manage_keys.py rotate`` keeps the old key valid. Default: 24 hours.
    authorizer_memory_mb: the authorizer's memory; more memory also means more CPU for the HMAC.
        Default: 256 MB.
    authorizer_reserved_concurrency: executions reserved for the authorizer, so a burst on one
        route cannot starve authentication. Default: none (the account's unreserved pool).
    """

    usage_plan: UsagePlanConfig = field(default_factory=UsagePlanConfig)
    default_key_rate_limit_per_hour: int = 1000
    rotation_grace_hours: int = 24
    authorizer_memory_mb: int = 256
    authorizer_reserved_concurrency: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.usage_plan, UsagePlanConfig):
            raise ConfigError("auth.usage_plan", self.usage_plan, "a UsagePlanConfig")
        require_int(
            "auth.default_key_rate_limit_per_hour", self.default_key_rate_limit_per_hour, minimum=1, maximum=10_000_000
        )
        require_int("auth.rotation_grace_hours", self.rotation_grace_hours, minimum=0, maximum=24 * 30)
        require_int("auth.authorizer_memory_mb", self.authorizer_memory_mb, minimum=128, maximum=10240)
        if self.authorizer_reserved_concurrency is not None:
            require_int(
                "auth.authorizer_reserved_concurrency", self.authorizer_reserved_concurrency, minimum=1, maximum=10000
            )
