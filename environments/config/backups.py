"""Backup and data-protection configuration."""

from __future__ import annotations

from dataclasses import dataclass

from environments.config.base import ConfigError, require_int

#: SQS keeps a message at most 14 days.
_MAX_SQS_RETENTION_DAYS = 14


@dataclass(frozen=True)
class TableProtection:
    """What every DynamoDB table gets; applied by ``modules.backups.protect_table``.

    These are attributes of the table resource itself, so they can only be set on
    tables this project creates. Tables of an existing API are checked by
    ``scripts/verify_deployment.py`` instead.
    """

    point_in_time_recovery: bool
    deletion_protection: bool


@dataclass(frozen=True)
class QueueProtection:
    """What every SQS queue gets; applied by ``modules.backups.protect_queue``."""

    max_receive_count: int
    dead_letter_retention_seconds: int


@dataclass(frozen=True)
class BackupConfig:
    """Point-in-time recovery, versioning, lifecycle and dead-letter queues.

    Every table always gets point-in-time recovery (35 days of restore points) and
    SSE with KMS; every bucket always gets versioning, SSE-KMS, a full public access
    block, BucketOwnerEnforced and a TLS-only policy; every queue gets SSE. These
    are not switches: they are the point of this module.

    noncurrent_version_expiration_days: how long an overwritten or deleted S3 object
        version stays restorable. Default: 30 days (the seed's value).
    abort_incomplete_multipart_upload_days: incomplete multipart uploads are
        deleted after this many days, so abandoned parts stop costing. Default: 7.
    deletion_protection: DynamoDB deletion protection, so neither ``terraform
        destroy`` nor a console click deletes a table. Default: off (a production
        tier must turn it on).
    dead_letter_max_receive_count: receives before a message moves to the
        dead-letter queue. Default: 5.
    dead_letter_retention_days: how long the dead-letter queue keeps a message for
        inspection and redrive. Default: 14 days, the SQS maximum.
    """

    noncurrent_version_expiration_days: int = 30
    abort_incomplete_multipart_upload_days: int = 7
    deletion_protection: bool = False
    dead_letter_max_receive_count: int = 5
    dead_letter_retention_days: int = _MAX_SQS_RETENTION_DAYS

    def __post_init__(self) -> None:
        require_int(
            "backups.noncurrent_version_expiration_days", self.noncurrent_version_expiration_days, minimum=1, maximum=3650
        )
        require_int(
            "backups.abort_incomplete_multipart_upload_days",
            self.abort_incomplete_multipart_upload_days,
            minimum=1,
            maximum=365,
        )
        if not isinstance(self.deletion_protection, bool):
            raise ConfigError("backups.deletion_protection", self.deletion_protection, "True or False")
        require_int("backups.dead_letter_max_receive_count", self.dead_letter_max_receive_count, minimum=1, maximum=1000)
        require_int(
            "backups.dead_letter_retention_days",
            self.dead_letter_retention_days,
            minimum=1,
            maximum=_MAX_SQS_RETENTION_DAYS,
        )

    @property
    def table_protection(self) -> TableProtection:
        """The typed value the API construct applies to each table it creates."""
        return TableProtection(point_in_time_recovery=True, deletion_protection=self.deletion_protection)

    @property
    def queue_protection(self) -> QueueProtection:
        """The typed value the API construct applies to each queue it creates."""
        return QueueProtection(
            max_receive_count=self.dead_letter_max_receive_count,
            dead_letter_retention_seconds=self.dead_letter_retention_days * 86_400,
        )
