"""Backup and data-protection configuration."""

from __future__ import annotations

from pydantic import Field

from environments.config.base import ConfigModel


class TableProtection(ConfigModel):
    """What every DynamoDB table gets, built into each table this project creates (``modules.data.tables``).

    These are attributes of the table resource itself, so they can only be set on tables this
    project creates. Tables of an existing API are checked by ``scripts/verify_deployment.py``.
    """

    point_in_time_recovery: bool
    """Point-in-time recovery (35 days of restore points)."""
    deletion_protection: bool
    """DynamoDB deletion protection."""


class BackupConfig(ConfigModel):
    """Point-in-time recovery, deletion protection, versioning and lifecycle.

    Every table always gets point-in-time recovery (35 days of restore points) and SSE with KMS;
    every bucket always gets versioning, SSE-KMS, a full public access block, BucketOwnerEnforced
    and a TLS-only policy. These are not switches: they are the point of this module. (Queue SSE
    and the dead-letter queue belong to the queue itself: ``ApiConfig.queue_max_receive_count``
    and ``dlq_retention_days``.)
    """

    config_path = "backups"
    noncurrent_version_expiration_days: int = Field(30, ge=1, le=3650)
    """How long an overwritten or deleted S3 object version stays restorable. Default: 30 days (the seed's value)."""
    abort_incomplete_multipart_upload_days: int = Field(7, ge=1, le=365)
    """Incomplete multipart uploads are deleted after this many days, so abandoned parts stop costing. Default: 7."""
    deletion_protection: bool = False
    """DynamoDB deletion protection, so neither ``terraform destroy`` nor a console click deletes a table.
    Default: off (a production tier must turn it on)."""
    recovery_target_minutes: int = Field(60, ge=1, le=1440)
    """The recovery time objective the disaster-recovery drill (``scripts/dr_drill.py``) is timed against.
    Default: 60 minutes (the seed's "Recovery Time: < 1 hour")."""

    @property
    def table_protection(self) -> TableProtection:
        """The typed value the API construct applies to each table it creates."""
        return TableProtection(point_in_time_recovery=True, deletion_protection=self.deletion_protection)
