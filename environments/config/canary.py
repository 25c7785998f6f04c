"""Synthetics canary configuration."""

from __future__ import annotations

import re
from dataclasses import dataclass

from environments.config.base import ConfigError, require_int, require_pattern

_RUNTIME_PATTERN = r"syn-nodejs-puppeteer-(\d+)\.(\d+)"
#: Older puppeteer runtimes are deprecated or announced for deprecation (no new canaries on them).
MIN_RUNTIME_MAJOR = 10
#: CloudWatch Synthetics keeps run records at most this long.
_MAX_RETENTION_DAYS = 455


@dataclass(frozen=True)
class CanaryConfig:
    """The CloudWatch Synthetics canary that calls the API like a client would.

    Two steps per run: Health Check (``GET /health``) and Create Project
    (``POST /api/projects``). The API key is read at run time from Secrets Manager.

    enabled: create the canary, its role and its artifact bucket. Default: on.
    schedule_minutes: minutes between runs, 5 to 15. Default: 5, about $10/month
        (8,640 runs at $0.0012; ``make cost`` shows it).
    start_canary: start the canary on apply. Default: on; off creates it stopped.
    runtime_version: a ``syn-nodejs-puppeteer-*`` runtime that still accepts new
        canaries. Default: ``syn-nodejs-puppeteer-15.0``, the newest.
    run_timeout_seconds: limit for one whole run (Lambda cold start included).
        Default: 60 s.
    request_timeout_seconds: limit for one HTTP request; slower counts as a failure.
        Default: 10 s.
    success_retention_days / failure_retention_days: how long Synthetics keeps run
        records. Default: 7 and 31 days (failures are what you investigate).
    artifact_retention_days: S3 lifecycle expiry of screenshots, HAR files and logs
        in the artifact bucket. Default: 31 days (at least the failure retention).
    alarm_consecutive_failed_runs: runs below 100% success before the canary alarm
        fires. Default: 2, so one transient failure does not page.
    """

    enabled: bool = True
    schedule_minutes: int = 5
    start_canary: bool = True
    runtime_version: str = "syn-nodejs-puppeteer-15.0"
    run_timeout_seconds: int = 60
    request_timeout_seconds: int = 10
    success_retention_days: int = 7
    failure_retention_days: int = 31
    artifact_retention_days: int = 31
    alarm_consecutive_failed_runs: int = 2

    def __post_init__(self) -> None:
        for name in ("enabled", "start_canary"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"canary.{name}", getattr(self, name), "True or False")
        require_int("canary.schedule_minutes", self.schedule_minutes, minimum=5, maximum=15)
        require_pattern(
            "canary.runtime_version",
            self.runtime_version,
            _RUNTIME_PATTERN,
            f"a syn-nodejs-puppeteer runtime, version {MIN_RUNTIME_MAJOR}.0 or later",
        )
        major = int(re.fullmatch(_RUNTIME_PATTERN, self.runtime_version).group(1))
        if major < MIN_RUNTIME_MAJOR:
            raise ConfigError(
                "canary.runtime_version",
                self.runtime_version,
                f"syn-nodejs-puppeteer-{MIN_RUNTIME_MAJOR}.0 or later (older runtimes are deprecated)",
            )
        # Synthetics needs at least 15 s (cold start and instrumentation); a run must end before the next one.
        require_int(
            "canary.run_timeout_seconds",
            self.run_timeout_seconds,
            minimum=15,
            maximum=min(840, self.schedule_minutes * 60),
        )
        # Two sequential requests must both fit into one run.
        require_int(
            "canary.request_timeout_seconds",
            self.request_timeout_seconds,
            minimum=1,
            maximum=max(1, (self.run_timeout_seconds - 5) // 2),
        )
        for name in ("success_retention_days", "failure_retention_days"):
            require_int(f"canary.{name}", getattr(self, name), minimum=1, maximum=_MAX_RETENTION_DAYS)
        require_int(
            "canary.artifact_retention_days",
            self.artifact_retention_days,
            minimum=max(self.success_retention_days, self.failure_retention_days),
            maximum=3650,
        )
        require_int("canary.alarm_consecutive_failed_runs", self.alarm_consecutive_failed_runs, minimum=1, maximum=10)

    @property
    def schedule_expression(self) -> str:
        """The Synthetics schedule, e.g. ``rate(5 minutes)``."""
        return f"rate({self.schedule_minutes} minutes)"

    @property
    def runs_per_month(self) -> int:
        """Runs in a 30-day month (what Synthetics bills)."""
        return 30 * 24 * 60 // self.schedule_minutes
