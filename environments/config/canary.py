"""Synthetics canary configuration."""

from __future__ import annotations

import enum
import re
from typing import Annotated

from pydantic import Field, model_validator

from environments.config.base import ConfigError, ConfigModel, InstanceOf, Pattern

#: Older puppeteer runtimes are deprecated or announced for deprecation (no new canaries on them).
MIN_RUNTIME_MAJOR = 10
_RUNTIME_PATTERN = r"syn-nodejs-puppeteer-(\d+)\.(\d+)"


#: Synthetics cron day-of-week names, Sunday first (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_cron.html).
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_CRON = re.compile(r"cron\(0/(\d+) (\d+)-(\d+) \? \* ([A-Z]{3})-([A-Z]{3}) \*\)")


class Weekday(enum.Enum):
    """A Synthetics cron day of the week."""

    SUN = "SUN"
    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"


class BusinessHours(ConfigModel):
    """Run the canary only during business hours: every ``schedule_minutes`` from ``start_hour_utc`` to
    ``end_hour_utc`` on the days ``first_day`` to ``last_day``. Synthetics cron schedules are in UTC
    (no time zone, no daylight saving time): express local business hours in UTC and review them when
    the clocks change."""

    config_path = "canary.business_hours"
    start_hour_utc: int = Field(8, ge=0, le=23)
    """First hour (UTC) with runs. Default: 8."""
    end_hour_utc: int = Field(18, ge=1, le=24)
    """Hour (UTC) the runs stop, exclusive. Default: 18 (the last run starts before 18:00 UTC)."""
    first_day: Weekday = Weekday.MON
    """First day with runs (SUN...SAT). Default: MON."""
    last_day: Weekday = Weekday.FRI
    """Last day with runs, after ``first_day`` in the week. Default: FRI."""

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.end_hour_utc <= self.start_hour_utc:
            raise ConfigError("end_hour_utc", self.end_hour_utc, f"an hour after start_hour_utc={self.start_hour_utc}")
        if WEEKDAYS.index(self.last_day.value) < WEEKDAYS.index(self.first_day.value):
            raise ConfigError("last_day", self.last_day.value, f"a day from first_day={self.first_day.value} to SAT")
        return self

    def cron(self, every_minutes: int) -> str:
        """The Synthetics schedule expression, e.g. ``cron(0/5 8-17 ? * MON-FRI *)``."""
        hours = f"{self.start_hour_utc}-{self.end_hour_utc - 1}"
        return f"cron(0/{every_minutes} {hours} ? * {self.first_day.value}-{self.last_day.value} *)"


def cron_runs_per_month(expression: str) -> int:
    """Runs in a 30-day month of a business-hours cron (:meth:`BusinessHours.cron`); ValueError for other forms."""
    match = _CRON.fullmatch(expression.strip())
    if not match:
        raise ValueError(f"canary schedule {expression!r}: only cron(0/N H1-H2 ? * D1-D2 *) is priced")
    every, first_hour, last_hour = (int(match.group(i)) for i in (1, 2, 3))
    days = WEEKDAYS.index(match.group(5)) - WEEKDAYS.index(match.group(4)) + 1
    runs_per_day = (last_hour - first_hour + 1) * -(-60 // every)
    return round(runs_per_day * 30 * days / 7)


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
    business_hours: InstanceOf[BusinessHours] | None = None
    """Run only during business hours (a UTC cron schedule; see :class:`BusinessHours`). Default: none; the canary
    runs around the clock. Outside the hours the canary reports no data."""
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
        """The Synthetics schedule, e.g. ``rate(5 minutes)`` or ``cron(0/5 8-17 ? * MON-FRI *)``."""
        if self.business_hours is not None:
            return self.business_hours.cron(self.schedule_minutes)
        return f"rate({self.schedule_minutes} minutes)"

    @property
    def runs_per_month(self) -> int:
        """Runs in a 30-day month (what Synthetics bills)."""
        if self.business_hours is not None:
            return cron_runs_per_month(self.schedule_expression)
        return 30 * 24 * 60 // self.schedule_minutes
