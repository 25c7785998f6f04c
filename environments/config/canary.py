"""Synthetics canary configuration."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, model_validator

from environments.config.base import ConfigError, ConfigModel, Pattern

#: Older puppeteer runtimes are deprecated or announced for deprecation (no new canaries on them).
MIN_RUNTIME_MAJOR = 10
_RUNTIME_PATTERN = r"syn-nodejs-puppeteer-(\d+)\.(\d+)"


class CanaryConfig(ConfigModel):
    """The CloudWatch Synthetics canary that calls the API like a client would.

    Two steps per run: Health Check (``GET /health``) and Create Project (``POST /api/projects``).
    The API key is read at run time from Secrets Manager.
    """

    config_path = "canary"
    enabled: bool = True
    """Create the canary, its role and its artifact bucket. Default: on."""
    schedule_minutes: int = Field(5, ge=5, le=15)
    """Minutes between runs, 5 to 15. Default: 5, about $10/month (8,640 runs at $0.0012; ``make cost`` shows it)."""
    start_canary: bool = True
    """Start the canary on apply. Default: on; off creates it stopped."""
    runtime_version: Annotated[
        str, Pattern(_RUNTIME_PATTERN, f"a syn-nodejs-puppeteer runtime, version {MIN_RUNTIME_MAJOR}.0 or later")
    ] = "syn-nodejs-puppeteer-15.0"
    """A puppeteer runtime that still accepts new canaries. Default: ``syn-nodejs-puppeteer-15.0``, the newest."""
    run_timeout_seconds: int = Field(60, ge=15)
    """Limit for one whole run (Lambda cold start included), at most 840 s and the schedule. Default: 60 s."""
    request_timeout_seconds: int = Field(10, ge=1)
    """Limit for one HTTP request; slower counts as a failure. Two requests must fit into one run. Default: 10 s."""
    success_retention_days: int = Field(7, ge=1, le=455)
    """How long Synthetics keeps records of successful runs (at most 455 days). Default: 7 days."""
    failure_retention_days: int = Field(31, ge=1, le=455)
    """How long Synthetics keeps records of failed runs (at most 455 days). Default: 31 days (what you investigate)."""
    artifact_retention_days: int = Field(31, le=3650)
    """Expiry of screenshots, HAR files and logs, at least both run-record retentions. Default: 31 days."""
    alarm_consecutive_failed_runs: int = Field(2, ge=1, le=10)
    """Runs below 100% success before the canary alarm fires. Default: 2, so one transient failure does not page."""

    @model_validator(mode="after")
    def _cross_field_rules(self) -> CanaryConfig:
        major = int(re.fullmatch(_RUNTIME_PATTERN, self.runtime_version).group(1))  # type: ignore[union-attr]
        if major < MIN_RUNTIME_MAJOR:
            allowed = f"syn-nodejs-puppeteer-{MIN_RUNTIME_MAJOR}.0 or later (older runtimes are deprecated)"
            raise ConfigError("runtime_version", self.runtime_version, allowed)
        # Synthetics needs at least 15 s (cold start and instrumentation); a run must end before the next one.
        limits = (
            ("run_timeout_seconds", 15, min(840, self.schedule_minutes * 60)),
            # Two sequential requests must both fit into one run.
            ("request_timeout_seconds", 1, max(1, (self.run_timeout_seconds - 5) // 2)),
            ("artifact_retention_days", max(self.success_retention_days, self.failure_retention_days), 3650),
        )
        for name, minimum, maximum in limits:
            if not minimum <= getattr(self, name) <= maximum:
                raise ConfigError(name, getattr(self, name), f"an integer >= {minimum} and <= {maximum}")
        return self

    @property
    def schedule_expression(self) -> str:
        """The Synthetics schedule, e.g. ``rate(5 minutes)``."""
        return f"rate({self.schedule_minutes} minutes)"

    @property
    def runs_per_month(self) -> int:
        """Runs in a 30-day month (what Synthetics bills)."""
        return 30 * 24 * 60 // self.schedule_minutes
