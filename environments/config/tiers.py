"""Tier rules: what an environment of a tier must have, checked when its configuration loads.

Every production rule is one row of :data:`PRODUCTION_RULES` (one place, read by the docs and the tests).
A configuration that breaks several rules gets one line per broken rule, each naming the rule.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from environments.config.api import ExecutionLogLevel
from environments.config.base import ConfigError, ConfigErrors
from environments.config.waf import RuleAction

if TYPE_CHECKING:
    from environments.config.environment import EnvironmentConfig


@dataclass(frozen=True)
class TierRule:
    """One rule: the field at ``path`` must satisfy ``holds``; ``allowed`` says what that means."""

    name: str
    path: str
    allowed: str
    holds: Callable[[Any], bool]
    why: str

    def value(self, config: EnvironmentConfig) -> Any:
        return operator.attrgetter(self.path)(config)

    def violation(self, config: EnvironmentConfig) -> ConfigError | None:
        value = self.value(config)
        if self.holds(value):
            return None
        allowed = f"{self.allowed} when tier is Tier.PRODUCTION (tier rule {self.name!r}: {self.why})"
        return ConfigError(self.path, value, allowed)


#: What a production tier needs. A rule is a row here, never an ``if`` in a construct.
PRODUCTION_RULES: tuple[TierRule, ...] = (
    TierRule(
        "production-alert-recipients",
        "monitoring.alert_emails",
        "at least one address",
        bool,
        "an alarm nobody receives protects nothing",
    ),
    TierRule(
        "production-alarm-actions",
        "monitoring.actions_enabled",
        "True",
        lambda value: value is True,
        "with actions off, alarms change state but notify nobody",
    ),
    TierRule(
        "production-deletion-protection",
        "backups.deletion_protection",
        "True",
        lambda value: value is True,
        "tables must survive a destroy or a console click",
    ),
    TierRule(
        "production-waf-enabled",
        "waf.enabled",
        "True",
        lambda value: value is True,
        "the web ACL is the API's edge protection",
    ),
    TierRule(
        "production-waf-blocks",
        "waf.mode",
        "RuleAction.BLOCK",
        lambda value: value is RuleAction.BLOCK,
        "COUNT only observes attacks; it stages rules in dev and staging",
    ),
    TierRule(
        "production-execution-logging",
        "api.execution_log_level",
        "ExecutionLogLevel.ERROR or ExecutionLogLevel.INFO (not OFF)",
        lambda value: value is not ExecutionLogLevel.OFF,
        "authorizer and integration failures must leave a trace",
    ),
)


def check_production(config: EnvironmentConfig) -> None:
    """Raise one ConfigError line per broken production rule (all of them, not only the first)."""
    violations = [error for rule in PRODUCTION_RULES if (error := rule.violation(config)) is not None]
    if len(violations) == 1:
        raise violations[0]
    if violations:
        raise ConfigErrors(tuple(violations))
