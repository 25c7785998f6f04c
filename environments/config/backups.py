"""Backup and data-protection configuration."""

from __future__ import annotations

from dataclasses import dataclass

from environments.config.base import ConfigError, require_int


@dataclass(frozen=True)
class TableProtection:
    """What every DynamoDB table gets; applied by ``modules.data.backups.protect_table``.

    These are attributes of the table resource itself, so they can only be set on
    tables this project creates. Tables of an existing API are checked by
    ``scripts/verify_deployment.py`` instead.
    """

    point_in_time_recovery: bool
    deletion_protection: bool


@dataclass(frozen=True)
class BackupConfig:
    """Point-in-time recovery, deletion protection, versioning and lifecycle.

    Every table always gets point-in-time recovery (35 days of restore points) and
    SSE with KMS; every bucket always gets versioning, SSE-KMS, a full public access
    block, BucketOwnerEnforced and a TLS-only policy. These are not switches: they
    are the point of this module. (Queue SSE and the dead-letter queue belong to
    the queue itself: ``ApiConfig.queue_max_receive_count`` and ``dlq_retention_days``.)

    noncurrent_version_expiration_days: how long an overwritten or deleted S3 object
        version stays restorable. Default: 30 days (the seed's value).
    abort_incomplete_multipart_upload_days: incomplete multipart uploads are
        deleted after this many days, so abandoned parts stop costing. Default: 7.
    deletion_protection: DynamoDB deletion protection, so neither ``terraform
        destroy`` nor a console click deletes a table. Default: off (a production
        tier must turn it on).
    """

    noncurrent_version_expiration_days: int = 30
    abort_incomplete_multipart_upload_days: int = 7
    deletion_protection: bool = False

    def __post_init__(self) -> None:
        require_int(
            "backups.noncurrent_version_expiration_days",
            self.noncurrent_version_expiration_days,
            minimum=1,
            maximum=3650,
        )
        require_int(
            "backups.abort_incomplete_multipart_upload_days",
            self.abort_incomplete_multipart_upload_days,
            minimum=1,
            maximum=365,
        )
        if not isinstance(self.deletion_protection, bool):
            raise ConfigError("backups.deletion_protection", self.deletion_protection, "True or False")

    @property
    def table_protection(self) -> TableProtection:
        """The typed value the API construct applies to each table it creates."""
        return TableProtection(point_in_time_recovery=True, deletion_protection=self.deletion_protection)
