"""Synthetics canary configuration."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CanaryConfig:
    """The CloudWatch Synthetics canary."""
