"""The top-level environment configuration and its remote-state settings."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from environments.config.api import ApiConfig
from environments.config.auth import AuthConfig
from environments.config.backups import BackupConfig
from environments.config.base import (
    AWS_REGIONS,
    LOG_RETENTION_DAYS,
    ConfigError,
    frozen_mapping,
    require_choice,
    require_enum,
    require_int,
    require_pattern,
)
from environments.config.canary import CanaryConfig
from environments.config.monitoring import MonitoringConfig
from environments.config.waf import WafConfig

# S3 bucket names: 3-63 chars, lowercase letters, digits, dots and hyphens.
_BUCKET_PATTERN = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"


class Tier(enum.Enum):
    """How much an environment matters. Cross-field rules key off the tier, never off the name."""

    EMULATOR = "emulator"
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


@dataclass(frozen=True)
class StateConfig:
    """Where Terraform keeps this environment's state (S3 backend).

    bucket: the state bucket, created by this environment's bootstrap stack.
    key: the state object key. Default: ``agenticai/terraform.tfstate``.
    region: the bucket's region. Default: the environment's region (set by EnvironmentConfig).
    dynamodb_table: a DynamoDB lock table for Terraform older than 1.10.
        Default: none; S3-native locking (``use_lockfile``) is always on.
    noncurrent_version_retention_days: how long superseded state versions are
        kept for roll-back. Default: 90 days.
    """

    bucket: str
    key: str = "agenticai/terraform.tfstate"
    region: str | None = None
    dynamodb_table: str | None = None
    noncurrent_version_retention_days: int = 90

    def __post_init__(self) -> None:
        require_pattern("state.bucket", self.bucket, _BUCKET_PATTERN, "an S3 bucket name")
        require_pattern("state.key", self.key, r"[A-Za-z0-9!_.*'()/-]{1,1024}", "an S3 object key without spaces")
        if self.key.startswith("/") or self.key.endswith("/"):
            raise ConfigError("state.key", self.key, "a key that neither starts nor ends with '/'")
        if self.region is not None:
            require_choice("state.region", self.region, AWS_REGIONS)
        if self.dynamodb_table is not None:
            require_pattern(
                "state.dynamodb_table", self.dynamodb_table, r"[A-Za-z0-9_.-]{3,255}", "a DynamoDB table name"
            )
        require_int(
            "state.noncurrent_version_retention_days", self.noncurrent_version_retention_days, minimum=1, maximum=3650
        )


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything that differs between environments. Environment files set values only.

    name: the environment and stack name (``dev``, ``prod``...).
    tier: drives cross-field rules (a production tier needs alert recipients...).
    account_id: the only AWS account the provider may touch (``allowed_account_ids``).
    region: the stack's region. Billing alarms always use an aliased us-east-1 provider.
    name_prefix: prefix of every resource name, e.g. ``agenticai-prod``.
    tags: extra tags; ``Project``, ``Environment`` and ``ManagedBy`` are always set.
    log_retention_days: CloudWatch Logs retention for every log group.
    """

    name: str
    tier: Tier
    account_id: str
    region: str
    name_prefix: str
    state: StateConfig
    monitoring: MonitoringConfig
    tags: Mapping[str, str] = field(default_factory=dict)
    log_retention_days: int = 30
    api: ApiConfig = field(default_factory=ApiConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    waf: WafConfig = field(default_factory=WafConfig)
    backups: BackupConfig = field(default_factory=BackupConfig)
    canary: CanaryConfig = field(default_factory=CanaryConfig)

    def __post_init__(self) -> None:
        require_pattern("name", self.name, r"[a-z][a-z0-9-]{1,19}", "a lowercase name of 2-20 characters")
        require_enum("tier", self.tier, Tier)
        require_pattern("account_id", self.account_id, r"[0-9]{12}", "a 12-digit AWS account id")
        require_choice("region", self.region, AWS_REGIONS)
        # 24 characters leaves room for suffixes in the tightest AWS name limits (64 for IAM roles).
        require_pattern(
            "name_prefix",
            self.name_prefix,
            r"[a-z][a-z0-9-]{1,22}[a-z0-9]",
            "3-24 lowercase letters, digits or hyphens, starting with a letter",
        )
        object.__setattr__(self, "tags", frozen_mapping("tags", self.tags, key_pattern=r"[\w.:/=+@ -]{1,128}"))
        require_choice("log_retention_days", self.log_retention_days, LOG_RETENTION_DAYS)
        for name, kind in (
            ("state", StateConfig),
            ("monitoring", MonitoringConfig),
            ("api", ApiConfig),
            ("auth", AuthConfig),
            ("waf", WafConfig),
            ("backups", BackupConfig),
            ("canary", CanaryConfig),
        ):
            if not isinstance(getattr(self, name), kind):
                raise ConfigError(name, getattr(self, name), f"a {kind.__name__}")
        if self.state.region is None:
            object.__setattr__(self, "state", _with_region(self.state, self.region))
        self._check_cross_field_rules()

    def _check_cross_field_rules(self) -> None:
        if self.tier is Tier.PRODUCTION and not self.monitoring.alert_emails:
            raise ConfigError(
                "monitoring.alert_emails",
                self.monitoring.alert_emails,
                "at least one address when tier is Tier.PRODUCTION",
            )
        if self.tier is Tier.PRODUCTION and not self.backups.deletion_protection:
            raise ConfigError(
                "backups.deletion_protection",
                self.backups.deletion_protection,
                "True when tier is Tier.PRODUCTION",
            )

    @property
    def default_tags(self) -> dict[str, str]:
        """Tags applied to every taggable resource through the provider's default_tags."""
        return {**self.tags, "Project": "AgenticAI", "Environment": self.name, "ManagedBy": "cdktf"}


def _with_region(state: StateConfig, region: str) -> StateConfig:
    from dataclasses import replace

    return replace(state, region=region)
