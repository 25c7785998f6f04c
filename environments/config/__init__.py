"""Typed, frozen environment configuration: pydantic models, enums and validation.

Each concern has its own module; everything is re-exported here, so environment
files write ``from environments.config import EnvironmentConfig, WafConfig``.
"""

from environments.config.api import (
    ApiConfig,
    ExecutionLogLevel,
    ExistingApiConfig,
    ExistingBucket,
    ExistingFunction,
    ExistingQueue,
    ExistingTable,
    LambdaRuntime,
)
from environments.config.auth import AuthConfig, QuotaPeriod, UsagePlanConfig
from environments.config.backups import BackupConfig
from environments.config.base import ConfigError, ConfigErrors, ConfigModel
from environments.config.canary import BusinessHours, CanaryConfig
from environments.config.ci import AssumeRoleConfig, CiConfig
from environments.config.environment import EnvironmentConfig, StateConfig, Tier
from environments.config.extensions import ExtraAlarm, ExtraWidget, MetricQuery
from environments.config.monitoring import (
    AlarmThresholds,
    BurnRateWindow,
    FunctionLoggingConfig,
    MonitoringConfig,
    Severity,
    SloConfig,
)
from environments.config.tiers import PRODUCTION_RULES, TierRule
from environments.config.waf import (
    DEFAULT_MANAGED_RULES,
    BodySizeLimit,
    GeoBlock,
    InjectionAttack,
    InjectionMatch,
    IpAllowList,
    IpDenyList,
    ManagedRuleGroup,
    ManagedRules,
    RateLimit,
    RequestComponent,
    RuleAction,
    TextTransformation,
    WafConfig,
    WafLogFilter,
)

__all__ = [
    "DEFAULT_MANAGED_RULES",
    "PRODUCTION_RULES",
    "AlarmThresholds",
    "ApiConfig",
    "AssumeRoleConfig",
    "AuthConfig",
    "BackupConfig",
    "BurnRateWindow",
    "BusinessHours",
    "CanaryConfig",
    "CiConfig",
    "ConfigError",
    "ConfigErrors",
    "ConfigModel",
    "EnvironmentConfig",
    "ExecutionLogLevel",
    "ExistingApiConfig",
    "ExistingBucket",
    "ExistingFunction",
    "ExistingQueue",
    "ExistingTable",
    "ExtraAlarm",
    "ExtraWidget",
    "GeoBlock",
    "InjectionAttack",
    "InjectionMatch",
    "IpAllowList",
    "IpDenyList",
    "LambdaRuntime",
    "ManagedRuleGroup",
    "ManagedRules",
    "MetricQuery",
    "FunctionLoggingConfig",
    "MonitoringConfig",
    "QuotaPeriod",
    "BodySizeLimit",
    "RateLimit",
    "RequestComponent",
    "RuleAction",
    "Severity",
    "SloConfig",
    "StateConfig",
    "TextTransformation",
    "Tier",
    "TierRule",
    "UsagePlanConfig",
    "WafConfig",
    "WafLogFilter",
]
