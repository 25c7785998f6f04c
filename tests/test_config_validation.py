"""One test per configuration rule: each bad value gives one message with field, value and what is allowed."""

from __future__ import annotations

import dataclasses

import pytest

from environments import EnvironmentConfigError, UnknownEnvironmentError, load
from environments.config import (
    ConfigError,
    EnvironmentConfig,
    MonitoringConfig,
    StateConfig,
    Tier,
    WafConfig,
)


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


def rejects(match: str, build) -> ConfigError:
    with pytest.raises(ConfigError, match=match) as info:
        build()
    return info.value


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
        r"^state.key: got '/x.tfstate'; allowed: a key that neither starts nor ends with '/'",
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
        r"^monitoring.alert_emails: got 'ops-at-example'; allowed: an email address",
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
    with pytest.raises(dataclasses.FrozenInstanceError):
        base().region = "eu-west-1"  # type: ignore[misc]


def test_loader_rejects_unknown_environment() -> None:
    with pytest.raises(UnknownEnvironmentError, match="valid environments: dev, staging, prod, local"):
        load("qa")


def test_loader_names_the_environment_of_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    def broken(name: str):
        raise ConfigError("region", "nowhere-1", "one of ...")

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(EnvironmentConfigError, match=r"^environment 'dev': region: got 'nowhere-1'"):
        load("dev")
