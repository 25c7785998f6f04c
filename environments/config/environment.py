"""The top-level environment configuration and its remote-state settings."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from environments.config.api import ApiConfig
from environments.config.auth import AuthConfig
from environments.config.backups import BackupConfig
from environments.config.base import (
    BucketName,
    ConfigError,
    ConfigModel,
    InstanceOf,
    LogRetentionDays,
    Pattern,
    Region,
    TableName,
    Tags,
)
from environments.config.canary import CanaryConfig
from environments.config.ci import AssumeRoleConfig, CiConfig
from environments.config.monitoring import MonitoringConfig
from environments.config.tiers import check_production
from environments.config.waf import WafConfig


class Tier(enum.Enum):
    """How much an environment matters. Cross-field rules key off the tier, never off the name."""

    EMULATOR = "emulator"
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


_KEY = r"[A-Za-z0-9!_.*'()-]([A-Za-z0-9!_.*'()/-]{0,1022}[A-Za-z0-9!_.*'()-])?"


#: A KMS alias name (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html); alias/aws/ is
#: reserved for AWS-managed keys.
_KMS_ALIAS = r"alias/[a-zA-Z0-9/_-]{1,250}"


class StateConfig(ConfigModel):
    """Where Terraform keeps this environment's state (S3 backend)."""

    config_path = "state"
    bucket: BucketName
    """The state bucket, created by this environment's bootstrap stack."""
    key: Annotated[str, Pattern(_KEY, "an S3 object key without spaces that neither starts nor ends with '/'")] = (
        "agenticai/terraform.tfstate"
    )
    """The state object key. Default: ``agenticai/terraform.tfstate``."""
    region: Region | None = None
    """The bucket's region. Default: the environment's region."""
    dynamodb_table: TableName | None = None
    """A lock table for Terraform older than 1.10. Default: none; S3-native locking (``use_lockfile``) is on."""
    noncurrent_version_retention_days: int = Field(90, ge=1, le=3650)
    """How long superseded state versions are kept for roll-back. Default: 90 days."""
    kms_key_id: (
        Annotated[
            str,
            Pattern(
                _KMS_ALIAS,
                "a KMS alias name 'alias/...' (letters, digits, '/', '_', '-'), not under the reserved 'alias/aws/'",
            ),
        ]
        | None
    ) = None
    """The alias of the state's customer-managed key: the bootstrap stack creates the key under this alias, and
    the S3 backend sends it (``kms_key_id``) with every state and lock write, so state is SSE-KMS under that key
    rather than the AES256 Terraform sends with ``encrypt`` alone. An alias, because the backend block is
    written before the key exists (Terraform's S3 backend accepts key ids, key ARNs and aliases). Default:
    ``alias/<name_prefix>-tfstate``."""

    access_log_bucket: BucketName | None = None
    """The bucket that receives the state bucket's S3 server access logs (created by the bootstrap stack, SSE-S3,
    versioned, TLS-only, deletes denied). Default: ``<bucket>-logs``."""
    access_log_retention_days: int = Field(365, ge=1, le=3650)
    """How long access logs are kept (a lifecycle expiration; deletes by anyone else are denied). Default: 365."""

    @field_validator("kms_key_id")
    @classmethod
    def _not_an_aws_alias(cls, alias: str | None) -> str | None:
        if alias is not None and alias.startswith("alias/aws/"):
            raise ConfigError("kms_key_id", alias, "an alias outside 'alias/aws/' (reserved for AWS-managed keys)")
        return alias

    @model_validator(mode="after")
    def _log_bucket(self) -> StateConfig:
        if self.access_log_bucket is None and len(self.log_bucket) > 63:
            allowed = f"a bucket name (the default {self.log_bucket!r} is over 63 characters)"
            raise ConfigError("access_log_bucket", None, allowed)
        if self.log_bucket == self.bucket:
            raise ConfigError("access_log_bucket", self.access_log_bucket, "a bucket other than the state bucket")
        return self

    @property
    def log_bucket(self) -> str:
        """The access-log bucket's name: ``access_log_bucket`` or ``<bucket>-logs``."""
        return self.access_log_bucket or f"{self.bucket}-logs"


class EnvironmentConfig(ConfigModel):
    """Everything that differs between environments. Environment files set values only."""

    name: Annotated[str, Pattern(r"[a-z][a-z0-9-]{1,19}", "a lowercase name of 2-20 characters")]
    """The environment and stack name (``dev``, ``prod``...)."""
    tier: Tier
    """Drives cross-field rules (a production tier needs alert recipients...)."""
    account_id: Annotated[str, Pattern(r"[0-9]{12}", "a 12-digit AWS account id")]
    """The only AWS account the provider may touch (``allowed_account_ids``)."""
    region: Region
    """The stack's region (a commercial AWS region). Billing alarms always use an aliased us-east-1 provider."""
    # 24 characters leaves room for suffixes in the tightest AWS name limits (64 for IAM roles).
    name_prefix: Annotated[
        str,
        Pattern(r"[a-z][a-z0-9-]{1,22}[a-z0-9]", "3-24 lowercase letters, digits or hyphens, starting with a letter"),
    ]
    """Prefix of every resource name, e.g. ``agenticai-prod``."""
    state: InstanceOf[StateConfig]
    """The Terraform state backend. Its region defaults to the environment's."""
    monitoring: InstanceOf[MonitoringConfig]
    """Alarms, alert recipients, the dashboard and the budget."""
    tags: Tags = {}
    """Extra tags; ``Project``, ``Environment`` and ``ManagedBy`` are always set. Default: none."""
    log_retention_days: LogRetentionDays = 30
    """CloudWatch Logs retention for every log group. Default: 30 days."""
    api: InstanceOf[ApiConfig] = ApiConfig()
    """The API being hardened. Default: the demo API with the defaults of ApiConfig."""
    auth: InstanceOf[AuthConfig] = AuthConfig()
    """API keys, usage plan and authorizer. Default: the seed's usage plan."""
    waf: InstanceOf[WafConfig] = WafConfig()
    """The web ACL in front of the stage. Default: see WafConfig."""
    backups: InstanceOf[BackupConfig] = BackupConfig()
    """Versioning, lifecycle and deletion protection. Default: see BackupConfig."""
    canary: InstanceOf[CanaryConfig] = CanaryConfig()
    """The Synthetics canary. Default: every 5 minutes."""
    ci: InstanceOf[CiConfig] | None = None
    """The GitHub repository allowed to assume the CI roles (stack ``ci-<env>``). Default: none, no CI stack."""
    assume_role: InstanceOf[AssumeRoleConfig] | None = None
    """A role every provider of this environment assumes (multi-account). Default: none; ambient credentials."""

    @field_validator("state")
    @classmethod
    def _state_in_own_region(cls, state: StateConfig, info: ValidationInfo) -> StateConfig:
        if state.region is None and "region" in info.data:
            state = state.replace(region=info.data["region"])
        if state.kms_key_id is None and "name_prefix" in info.data:
            state = state.replace(kms_key_id=f"alias/{info.data['name_prefix']}-tfstate")
        return state

    @model_validator(mode="after")
    def _production_rules(self) -> EnvironmentConfig:
        """What a production tier needs: the rows of ``environments.config.tiers.PRODUCTION_RULES``."""
        if self.tier is Tier.PRODUCTION:
            check_production(self)
        return self

    @property
    def default_tags(self) -> dict[str, str]:
        """Tags applied to every taggable resource through the provider's default_tags."""
        return {**self.tags, "Project": "AgenticAI", "Environment": self.name, "ManagedBy": "cdktf"}
