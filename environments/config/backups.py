"""Backup and data-protection configuration."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BackupConfig:
    """Point-in-time recovery, versioning and lifecycle."""
