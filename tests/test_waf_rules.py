"""The typed rule model: each statement's rendering, staged rollout, and every environment's rule set."""

from __future__ import annotations

import json
import re

import pytest

from environments import ENVIRONMENTS, load
from environments.config.waf import (
    BODY_TOO_LARGE_BODY_KEY,
    RATE_LIMITED_BODY_KEY,
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
    Verdict,
    WafConfig,
)
from modules.edge.rules import WafRule, WafRuleSet, build_rule_set

NO_IP_SETS: dict[str, str] = {}
IP_SETS = {"allow-v4": "ARN-ALLOW-4", "allow-v6": "ARN-ALLOW-6", "deny-v4": "ARN-DENY-4"}


def rendered(config: WafConfig, ip_sets: dict[str, str] = NO_IP_SETS) -> dict[str, dict]:
    """Rule name -> rendered rule block."""
    return {rule["name"]: rule for rule in build_rule_set(config, metric_prefix="p", ip_set_arns=ip_sets).render()}


# ----------------------------------------------------------------------------- statements


@pytest.mark.parametrize(("mode", "override"), [(RuleAction.COUNT, {"count": {}}), (RuleAction.BLOCK, {"none": {}})])
def test_managed_group_mode_is_its_override_action(mode: RuleAction, override: dict) -> None:
    rules = rendered(WafConfig(mode=mode))
    for name in ("aws-common", "aws-known-bad-inputs", "aws-sqli", "aws-ip-reputation"):
        assert rules[name]["override_action"] == override
        assert "action" not in rules[name]


def test_managed_group_statement_with_overrides_and_exclusions() -> None:
    config = WafConfig(
        managed_rules=(
            ManagedRules(
                ManagedRuleGroup.COMMON,
                excluded_rules=("SizeRestrictions_BODY",),
                rule_action_overrides={"NoUserAgent_HEADER": RuleAction.BLOCK},
                version="Version_1.10",
            ),
        )
    )
    assert rendered(config)["aws-common"]["statement"] == {
        "managed_rule_group_statement": {
            "name": "AWSManagedRulesCommonRuleSet",
            "vendor_name": "AWS",
            "version": "Version_1.10",
            "rule_action_override": [
                {"name": "SizeRestrictions_BODY", "action_to_use": {"count": {}}},
                {"name": "NoUserAgent_HEADER", "action_to_use": {"block": {}}},
            ],
        }
    }


def test_rate_limit_blocks_with_429_json_body_and_retry_after() -> None:
    config = WafConfig(rate_limit=RateLimit(limit=500, window_seconds=60))
    rule_set = build_rule_set(config, metric_prefix="p", ip_set_arns=NO_IP_SETS)
    rule = {r["name"]: r for r in rule_set.render()}["rate-limit-per-ip"]
    assert rule["statement"] == {
        "rate_based_statement": {"limit": 500, "evaluation_window_sec": 60, "aggregate_key_type": "IP"}
    }
    assert rule["action"] == {
        "block": {
            "custom_response": {
                "response_code": 429,
                "custom_response_body_key": RATE_LIMITED_BODY_KEY,
                "response_header": [{"name": "Retry-After", "value": "60"}],
            }
        }
    }
    (body,) = [b for b in rule_set.custom_response_bodies if b.key == RATE_LIMITED_BODY_KEY]
    assert body.content_type == "APPLICATION_JSON"
    assert json.loads(body.content) == {
        "error": "TooManyRequests",
        "message": "Rate limit exceeded: at most 500 requests per 60 seconds per client IP.",
        "retryAfterSeconds": 60,
    }


def test_rate_limit_in_count_mode_only_counts() -> None:
    rule = rendered(WafConfig(mode=RuleAction.COUNT))["rate-limit-per-ip"]
    assert rule["action"] == {"count": {}}


def test_geo_block_renders_country_codes() -> None:
    rule = rendered(WafConfig(geo_block=GeoBlock(("KP", "IR"))))["geo-block"]
    assert rule["statement"] == {"geo_match_statement": {"country_codes": ["KP", "IR"]}}
    assert rule["action"] == {"block": {}}
    assert rule["priority"] == 2


def test_ip_lists_reference_one_ip_set_per_version() -> None:
    config = WafConfig(
        mode=RuleAction.COUNT,
        ip_allow_list=IpAllowList(("203.0.113.0/24", "2001:db8::/32")),
        ip_deny_list=IpDenyList(("198.51.100.0/24",)),
    )
    rules = rendered(config, IP_SETS)
    assert rules["ip-allow-list"]["statement"] == {
        "or_statement": {
            "statement": [
                {"ip_set_reference_statement": {"arn": "ARN-ALLOW-4"}},
                {"ip_set_reference_statement": {"arn": "ARN-ALLOW-6"}},
            ]
        }
    }
    # The allow list always allows: staging a protective rule never stages trust.
    assert rules["ip-allow-list"]["action"] == {"allow": {}}
    assert rules["ip-deny-list"]["statement"] == {"ip_set_reference_statement": {"arn": "ARN-DENY-4"}}
    assert rules["ip-deny-list"]["action"] == {"count": {}}


def test_explicit_xss_and_sqli_statements_on_body_and_query_string() -> None:
    config = WafConfig(
        injection_matches=(
            InjectionMatch(InjectionAttack.XSS),
            InjectionMatch(
                InjectionAttack.SQLI,
                components=(RequestComponent.QUERY_STRING,),
                text_transformations=(TextTransformation.URL_DECODE,),
            ),
        )
    )
    rules = rendered(config)
    transformations = [{"priority": 0, "type": "URL_DECODE"}, {"priority": 1, "type": "HTML_ENTITY_DECODE"}]
    assert rules["xss-match"]["statement"] == {
        "or_statement": {
            "statement": [
                {
                    "xss_match_statement": {
                        "field_to_match": {"body": {"oversize_handling": "CONTINUE"}},
                        "text_transformation": transformations,
                    }
                },
                {
                    "xss_match_statement": {
                        "field_to_match": {"query_string": {}},
                        "text_transformation": transformations,
                    }
                },
            ]
        }
    }
    assert rules["sqli-match"]["statement"] == {
        "sqli_match_statement": {
            "field_to_match": {"query_string": {}},
            "text_transformation": [{"priority": 0, "type": "URL_DECODE"}],
        }
    }


def test_every_rule_has_its_own_metric_and_sampled_requests() -> None:
    config = WafConfig(geo_block=GeoBlock(("KP",)), injection_matches=(InjectionMatch(InjectionAttack.XSS),))
    for name, rule in rendered(config).items():
        assert rule["visibility_config"] == {
            "cloudwatch_metrics_enabled": True,
            "metric_name": f"p-{name}",
            "sampled_requests_enabled": True,
        }


def test_rules_render_in_priority_order() -> None:
    config = WafConfig(geo_block=GeoBlock(("KP",)), ip_deny_list=IpDenyList(("198.51.100.0/24",)))
    priorities = [rule["priority"] for rule in build_rule_set(config, metric_prefix="p", ip_set_arns=IP_SETS).render()]
    assert priorities == sorted(priorities)
    assert len(priorities) == 8


def test_rule_set_rejects_duplicate_names_when_built_by_hand() -> None:
    def rule(priority: int, metric: str) -> WafRule:
        return WafRule(RateLimit(name="same", priority=priority), Verdict.BLOCK, metric, {}, {})

    with pytest.raises(ValueError, match=r"rule names must be unique; duplicated: \['same'\]"):
        WafRuleSet((rule(1, "m1"), rule(2, "m2")))


def test_a_single_statement_is_not_wrapped_in_an_or_statement() -> None:
    rules = rendered(WafConfig(ip_deny_list=IpDenyList(("2001:db8::/32",))), {"deny-v6": "ARN-DENY-6"})
    assert rules["ip-deny-list"]["statement"] == {"ip_set_reference_statement": {"arn": "ARN-DENY-6"}}


def test_rule_set_wcu_equals_the_configs_capacity() -> None:
    config = WafConfig(
        managed_rules=tuple(ManagedRules(g) for g in ManagedRuleGroup),
        injection_matches=(InjectionMatch(InjectionAttack.SQLI),),
    )
    assert build_rule_set(config, metric_prefix="p", ip_set_arns=NO_IP_SETS).wcu == config.capacity_wcu == 1177 + 80 + 7


# ----------------------------------------------------------------------------- every environment


#: Staged rollout as the environments document it: dev and staging count, prod and local block.
EXPECTED_MODE = {
    "dev": RuleAction.COUNT,
    "staging": RuleAction.COUNT,
    "prod": RuleAction.BLOCK,
    "local": RuleAction.BLOCK,
}


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def env_rules(request) -> tuple[str, WafConfig, WafRuleSet]:
    config = load(request.param)
    rule_set = build_rule_set(config.waf, metric_prefix=f"{config.name_prefix}-waf", ip_set_arns=IP_SETS)
    return request.param, config.waf, rule_set


def test_every_environment_is_covered() -> None:
    assert set(EXPECTED_MODE) == set(ENVIRONMENTS)


def test_environment_rule_set_has_the_seeds_protections(env_rules) -> None:
    _, config, rule_set = env_rules
    groups = {
        rule.statement["managed_rule_group_statement"]["name"]
        for rule in rule_set.rules
        if isinstance(rule.spec, ManagedRules)
    }
    assert {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    } <= groups
    rate = [rule.spec for rule in rule_set.rules if isinstance(rule.spec, RateLimit)]
    assert len(rate) == 1
    assert (rate[0].limit, rate[0].window_seconds) == (2000, 300)


def test_environment_rules_follow_the_staged_mode(env_rules) -> None:
    env, config, rule_set = env_rules
    assert config.mode is EXPECTED_MODE[env]
    for rule in rule_set.rules:
        if rule.verdict is Verdict.ALLOW:
            continue
        assert rule.verdict.value == (getattr(rule.spec, "action", None) or config.mode).value
        block = rule.render()
        if isinstance(rule.spec, ManagedRules):
            assert block["override_action"] == ({"count": {}} if rule.verdict is Verdict.COUNT else {"none": {}})
        else:
            assert list(block["action"]) == [rule.verdict.value]


def test_environment_rule_set_is_unique_ordered_and_within_budget(env_rules) -> None:
    env, config, rule_set = env_rules
    names = [rule.name for rule in rule_set.rules]
    priorities = [rule.priority for rule in rule_set.rules]
    metrics = [rule.metric_name for rule in rule_set.rules]
    assert len(set(names)) == len(names)
    assert len(set(metrics)) == len(metrics)
    assert priorities == sorted(set(priorities))
    assert rule_set.wcu == config.capacity_wcu <= config.capacity_budget_wcu <= 5000
    assert all(metric.startswith(f"agenticai-{env}-waf-") for metric in metrics)


def test_environment_blocks_rate_limited_clients_with_429_when_blocking(env_rules) -> None:
    _, config, rule_set = env_rules
    rate = next(rule for rule in rule_set.rules if isinstance(rule.spec, RateLimit))
    action = rate.render()["action"]
    if rate.verdict is Verdict.BLOCK:
        assert action["block"]["custom_response"]["response_code"] == 429
    else:
        assert action == {"count": {}}
    assert [body.key for body in rule_set.custom_response_bodies] == [BODY_TOO_LARGE_BODY_KEY, RATE_LIMITED_BODY_KEY]


def test_environment_never_blocks_bodies_the_api_accepts(env_rules) -> None:
    """POST /api/projects takes JSON bodies up to MAX_BODY_BYTES; the core rule set's 8 KB body limit only counts."""
    from environments.config.api import MAX_BODY_BYTES

    _, config, _ = env_rules
    assert MAX_BODY_BYTES > 8192
    common = next(m for m in config.managed_rules if m.group is ManagedRuleGroup.COMMON)
    assert ("SizeRestrictions_BODY", RuleAction.COUNT) in common.sub_rule_actions


# --- body size at the edge -----------------------------------------------------------------------------


def test_body_size_rule_blocks_with_a_json_413_at_the_handlers_limit() -> None:
    from environments.config.api import MAX_BODY_BYTES
    from environments.config.waf import content_length_over

    rule_set = build_rule_set(WafConfig(), metric_prefix="p", ip_set_arns=NO_IP_SETS)
    rule = rule_set.rule("body-size-limit").render()
    assert rule["action"] == {
        "block": {"custom_response": {"response_code": 413, "custom_response_body_key": BODY_TOO_LARGE_BODY_KEY}}
    }
    too_large, read_with_body = rule["statement"]["or_statement"]["statement"]
    regex = too_large["regex_match_statement"]
    assert regex["field_to_match"] == {"single_header": {"name": "content-length"}}
    assert regex["regex_string"] == content_length_over(MAX_BODY_BYTES)
    method, size = read_with_body["and_statement"]["statement"]
    assert method["regex_match_statement"]["field_to_match"] == {"method": {}}
    assert re.fullmatch(method["regex_match_statement"]["regex_string"], "GET")
    assert re.fullmatch(method["regex_match_statement"]["regex_string"], "HEAD")
    assert not re.fullmatch(method["regex_match_statement"]["regex_string"], "POST")
    assert size["size_constraint_statement"] == {
        "field_to_match": {"body": {"oversize_handling": "MATCH"}},
        "comparison_operator": "GT",
        "size": 0,
        "text_transformation": [{"priority": 0, "type": "NONE"}],
    }
    (body,) = [b for b in rule_set.custom_response_bodies if b.key == BODY_TOO_LARGE_BODY_KEY]
    assert json.loads(body.content)["maxBodyBytes"] == MAX_BODY_BYTES == BodySizeLimit.max_body_bytes


@pytest.mark.parametrize(
    ("value", "blocked"),
    [
        ("0", False),
        ("65536", False),
        ("065536", False),
        ("65537", True),
        ("99999", True),
        ("100000", True),
        ("1048576", True),
        ("6553", False),
        ("abc", False),
    ],
)
def test_content_length_regex_matches_exactly_the_sizes_over_the_limit(value, blocked) -> None:
    from environments.config.waf import content_length_over

    assert bool(re.fullmatch(content_length_over(65536), value)) is blocked


def test_content_length_regex_is_exact_for_every_size_up_to_a_million() -> None:
    from environments.config.waf import content_length_over

    pattern = re.compile(content_length_over(65536))
    assert [n for n in range(1_000_000) if bool(pattern.fullmatch(str(n))) != (n > 65536)] == []


def test_body_size_rule_in_count_mode_only_counts() -> None:
    rule_set = build_rule_set(WafConfig(mode=RuleAction.COUNT), metric_prefix="p", ip_set_arns=NO_IP_SETS)
    assert rule_set.rule("body-size-limit").render()["action"] == {"count": {}}
