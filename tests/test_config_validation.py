"""One test per configuration rule: each bad value gives one message with field, value and what is allowed."""

from __future__ import annotations

import math

import pydantic
import pytest

from environments import EnvironmentConfigError, UnknownEnvironmentError, load
from environments.config import (
    PRODUCTION_RULES,
    AlarmThresholds,
    ApiConfig,
    BackupConfig,
    CanaryConfig,
    ConfigError,
    ConfigErrors,
    EnvironmentConfig,
    ExecutionLogLevel,
    MonitoringConfig,
    RuleAction,
    StateConfig,
    Tier,
    UsagePlanConfig,
    WafConfig,
)
from environments.config.api import ExistingApiConfig, ExistingFunction, ExistingQueue, ExistingTable
from environments.config.base import aws_regions
from tests.support.rejects import rejects


def base(**overrides) -> EnvironmentConfig:
    values = dict(
        name="test",
        tier=Tier.DEVELOPMENT,
        account_id="123456789012",
        region="us-east-1",
        name_prefix="agenticai-test",
        state=StateConfig(bucket="agenticai-tfstate-test"),
        monitoring=MonitoringConfig(alert_emails=("ops@example.com",)),
    )
    values.update(overrides)
    return EnvironmentConfig(**values)


def test_valid_config_builds() -> None:
    config = base()
    assert config.state.region == "us-east-1"
    assert config.default_tags["Environment"] == "test"


def test_rejects_bad_environment_name() -> None:
    error = rejects(r"^name: got 'Prod!'; allowed: a lowercase name", lambda: base(name="Prod!"))
    assert error.field == "name"


def test_rejects_tier_that_is_not_the_enum() -> None:
    rejects(
        r"^tier: got 'production'; allowed: one of Tier.EMULATOR, Tier.DEVELOPMENT, Tier.STAGING, "
        r"Tier.PRODUCTION",
        lambda: base(tier="production"),
    )


def test_rejects_short_account_id() -> None:
    rejects(r"^account_id: got '12345'; allowed: a 12-digit AWS account id", lambda: base(account_id="12345"))


def test_rejects_unknown_region() -> None:
    rejects(r"^region: got 'us-east-9'; allowed: one of 'af-south-1'.*'us-west-2'", lambda: base(region="us-east-9"))


def test_rejects_name_prefix_too_long() -> None:
    rejects(
        r"^name_prefix: got 'agenticai-very-long-prefix-x'", lambda: base(name_prefix="agenticai-very-long-prefix-x")
    )


def test_rejects_name_prefix_with_uppercase() -> None:
    rejects(r"^name_prefix: got 'AgenticAI'", lambda: base(name_prefix="AgenticAI"))


def test_rejects_tag_value_that_is_not_a_string() -> None:
    rejects(r"^tags\['Owner'\]: got 42; allowed: a string", lambda: base(tags={"Owner": 42}))


def test_rejects_tags_that_are_not_a_mapping() -> None:
    rejects(r"^tags: got \['a'\]; allowed: a mapping", lambda: base(tags=["a"]))


def test_tags_are_read_only() -> None:
    config = base(tags={"Team": "platform"})
    with pytest.raises(TypeError):
        config.tags["Team"] = "other"  # type: ignore[index]


def test_rejects_log_retention_cloudwatch_does_not_offer() -> None:
    rejects(r"^log_retention_days: got 10; allowed: one of 1, 3, 5, 7, 14, 30", lambda: base(log_retention_days=10))


def test_rejects_invalid_state_bucket_name() -> None:
    rejects(
        r"^state.bucket: got 'State_Bucket'; allowed: an S3 bucket name", lambda: StateConfig(bucket="State_Bucket")
    )


def test_rejects_state_key_with_leading_slash() -> None:
    rejects(
        r"^state.key: got '/x.tfstate'; allowed: an S3 object key without spaces that neither starts nor ends with '/'",
        lambda: StateConfig(bucket="agenticai-state", key="/x.tfstate"),
    )


def test_rejects_state_key_with_spaces() -> None:
    rejects(r"^state.key: got 'my state'", lambda: StateConfig(bucket="agenticai-state", key="my state"))


def test_rejects_unknown_state_region() -> None:
    rejects(r"^state.region: got 'mars-1'", lambda: StateConfig(bucket="agenticai-state", region="mars-1"))


def test_rejects_invalid_lock_table_name() -> None:
    rejects(r"^state.dynamodb_table: got 'a'", lambda: StateConfig(bucket="agenticai-state", dynamodb_table="a"))


def test_rejects_zero_noncurrent_state_retention() -> None:
    rejects(
        r"^state.noncurrent_version_retention_days: got 0; allowed: an integer >= 1 and <= 3650",
        lambda: StateConfig(bucket="agenticai-state", noncurrent_version_retention_days=0),
    )


def test_rejects_bad_alert_email() -> None:
    rejects(
        r"^monitoring.alert_emails\[0\]: got 'ops-at-example'; allowed: an email address",
        lambda: MonitoringConfig(alert_emails=("ops-at-example",)),
    )


def test_rejects_alert_emails_as_a_list() -> None:
    rejects(
        r"^monitoring.alert_emails: got \[.*\]; allowed: a tuple",
        lambda: MonitoringConfig(alert_emails=["ops@example.com"]),
    )


def test_rejects_non_positive_budget() -> None:
    rejects(
        r"^monitoring.monthly_budget_usd: got 0; allowed: a number > 0", lambda: MonitoringConfig(monthly_budget_usd=0)
    )


def test_rejects_waf_mode_as_a_string() -> None:
    rejects(
        r"^waf.mode: got 'block'; allowed: one of RuleAction.COUNT, RuleAction.BLOCK", lambda: WafConfig(mode="block")
    )


def test_rejects_production_without_alert_recipients() -> None:
    rejects(
        r"^monitoring.alert_emails: got \(\); allowed: at least one address when tier is Tier.PRODUCTION",
        lambda: base(tier=Tier.PRODUCTION, monitoring=MonitoringConfig(alert_emails=())),
    )


def test_rejects_wrong_sub_config_type() -> None:
    rejects(r"^waf: got 'on'; allowed: a WafConfig", lambda: base(waf="on"))


def test_configs_are_frozen() -> None:
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        base().region = "eu-west-1"  # type: ignore[misc]


def test_loader_rejects_unknown_environment() -> None:
    with pytest.raises(UnknownEnvironmentError, match="valid environments: dev, staging, prod, local"):
        load("qa")


def test_loader_names_the_environment_of_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    def broken(_name: str):
        raise ConfigError("region", "nowhere-1", "one of ...")

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(EnvironmentConfigError, match=r"^environment 'dev': region: got 'nowhere-1'"):
        load("dev")


def test_rejects_misspelt_field() -> None:
    rejects(
        r"^canary.schedule_minute: got 10; allowed: no such field \(check its spelling\); "
        r"did you mean 'schedule_minutes'\?$",
        lambda: CanaryConfig(schedule_minute=10),
    )


def test_rejects_misspelt_top_level_field() -> None:
    rejects(r"^regoin: got 'us-east-1'; allowed: no such field", lambda: base(regoin="us-east-1"))


def test_a_misspelt_required_field_names_the_misspelling_not_the_whole_config() -> None:
    def misspelt() -> EnvironmentConfig:
        values = base().model_dump(exclude={"region"}) | {"regoin": "us-east-1"}
        return EnvironmentConfig(**{k: getattr(base(), k) for k in values if k != "regoin"}, regoin="us-east-1")

    error = rejects(
        r"^regoin: got 'us-east-1'; allowed: no such field \(check its spelling\); did you mean 'region'\?$", misspelt
    )
    assert len(str(error)) < 120


def test_a_missing_required_field_says_no_value() -> None:
    def missing() -> EnvironmentConfig:
        return EnvironmentConfig(**{k: getattr(base(), k) for k in ("name", "tier", "account_id", "name_prefix")})

    rejects(r"^region: got no value; allowed: a value \(this field is required\)$", missing)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_rejects_non_finite_number(value: float) -> None:
    rejects(
        r"^monitoring.thresholds.api_5xx_count: got (nan|inf|-inf); allowed: a finite number \(not NaN or infinity\)$",
        lambda: AlarmThresholds(api_5xx_count=value),
    )


def test_rejects_wrong_type() -> None:
    rejects(r"^api.memory_mb: got '256'; allowed: an integer >= 128 and <= 10240$", lambda: ApiConfig(memory_mb="256"))


def test_rejects_bool_for_an_integer() -> None:
    rejects(
        r"^backups.noncurrent_version_expiration_days: got True",
        lambda: BackupConfig(noncurrent_version_expiration_days=True),
    )


def test_regions_come_from_botocore() -> None:
    regions = aws_regions()
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(regions)
    assert not any(region.startswith(("cn-", "us-gov-")) for region in regions)
    assert base(region=regions[-1]).region == regions[-1]


def test_replace_validates() -> None:
    assert base().replace(log_retention_days=90).log_retention_days == 90
    rejects(r"^log_retention_days: got 10", lambda: base().replace(log_retention_days=10))


def test_existing_api_is_any_set_of_resources() -> None:
    existing = ExistingApiConfig(
        rest_api_name="orders",
        stage_name="prod",
        artifacts_bucket_name="orders-artifacts",
        functions=(ExistingFunction(role="checkout", function_name="orders-checkout"),),
        tables=(ExistingTable(role="orders", table_name="orders"),),
        queues=(ExistingQueue(role="events-dlq", queue_name="orders-dlq", is_dead_letter=True),),
    )
    assert ApiConfig(existing=existing).existing.queues[0].is_dead_letter
    assert existing.buckets == ()


def test_rejects_duplicate_existing_roles() -> None:
    function = ExistingFunction(role="checkout", function_name="orders-checkout")
    rejects(
        r"^api.existing.functions: got \('checkout', 'checkout'\); allowed: each role at most once$",
        lambda: ExistingApiConfig(
            rest_api_name="orders", stage_name="prod", artifacts_bucket_name="orders-b", functions=(function, function)
        ),
    )


def test_rejects_existing_function_with_bad_name() -> None:
    rejects(
        r"^api.existing.functions\[\].function_name: got 'a b'; allowed: a Lambda function name",
        lambda: ExistingFunction(role="checkout", function_name="a b"),
    )


def test_rejects_nested_model_as_a_dict() -> None:
    rejects(r"^api: got \{\}; allowed: an ApiConfig$", lambda: base(api={}))


def test_rejects_usage_plan_quota_period_hour() -> None:
    rejects(
        r"^auth.usage_plan.quota_period: got 'HOUR'; allowed: one of QuotaPeriod.DAY",
        lambda: UsagePlanConfig(quota_period="HOUR"),
    )


# Tier rules (environments/config/tiers.py): one test per production rule, each asserting the rule's name.
def production(**overrides) -> EnvironmentConfig:
    values = dict(tier=Tier.PRODUCTION, backups=BackupConfig(deletion_protection=True), waf=WafConfig())
    return base(**(values | overrides))


def test_production_with_every_rule_met_builds() -> None:
    assert production().tier is Tier.PRODUCTION


def test_rejects_production_waf_in_count_mode() -> None:
    rejects(
        r"^waf.mode: got <RuleAction.COUNT: 'count'>; allowed: RuleAction.BLOCK when tier is Tier.PRODUCTION "
        r"\(tier rule 'production-waf-blocks'",
        lambda: production(waf=WafConfig(mode=RuleAction.COUNT)),
    )


def test_rejects_production_waf_disabled() -> None:
    rejects(
        r"^waf.enabled: got False; allowed: True when tier is Tier.PRODUCTION \(tier rule 'production-waf-enabled'",
        lambda: production(waf=WafConfig(enabled=False)),
    )


def test_rejects_production_alarm_actions_off() -> None:
    rejects(
        r"^monitoring.actions_enabled: got False; allowed: True when tier is Tier.PRODUCTION "
        r"\(tier rule 'production-alarm-actions'",
        lambda: production(monitoring=MonitoringConfig(alert_emails=("ops@example.com",), actions_enabled=False)),
    )


def test_rejects_production_execution_logging_off() -> None:
    rejects(
        r"^api.execution_log_level: got <ExecutionLogLevel.OFF: 'OFF'>; allowed: ExecutionLogLevel.ERROR or "
        r"ExecutionLogLevel.INFO \(not OFF\) when tier is Tier.PRODUCTION \(tier rule 'production-execution-logging'",
        lambda: production(api=ApiConfig(execution_log_level=ExecutionLogLevel.OFF)),
    )


def test_rejects_production_without_deletion_protection() -> None:
    rejects(
        r"^backups.deletion_protection: got False; allowed: True when tier is Tier.PRODUCTION "
        r"\(tier rule 'production-deletion-protection'",
        lambda: production(backups=BackupConfig(deletion_protection=False)),
    )


def test_rejects_production_breaking_several_rules_with_one_line_each() -> None:
    error = rejects(
        r"^backups.deletion_protection: got False",
        lambda: production(waf=WafConfig(enabled=False, mode=RuleAction.COUNT), backups=BackupConfig()),
    )
    lines = str(error).splitlines()
    assert [line.split(":")[0] for line in lines] == ["backups.deletion_protection", "waf.enabled", "waf.mode"]
    assert all("tier rule 'production-" in line for line in lines)


def test_production_rules_name_distinct_fields_that_exist() -> None:
    config = production()
    assert len({rule.name for rule in PRODUCTION_RULES}) == len({rule.path for rule in PRODUCTION_RULES})
    assert all(rule.violation(config) is None for rule in PRODUCTION_RULES)


def test_development_tier_accepts_what_production_rejects() -> None:
    config = base(
        waf=WafConfig(mode=RuleAction.COUNT, enabled=False), api=ApiConfig(execution_log_level=ExecutionLogLevel.OFF)
    )
    assert config.waf.enabled is False


def test_environment_error_prefixes_every_line() -> None:
    error = ConfigErrors((ConfigError("a", 1, "2"), ConfigError("b", 3, "4")))
    assert str(EnvironmentConfigError("prod", error)).splitlines() == [
        "environment 'prod': a: got 1; allowed: 2",
        "environment 'prod': b: got 3; allowed: 4",
    ]
