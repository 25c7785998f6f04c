"""WAF configuration: one test per validation rule, and the capacity (WCU) arithmetic."""

from __future__ import annotations

import pytest

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
    Verdict,
    WafConfig,
    WafRuleSpec,
    extra_capacity_cost_usd_per_million_requests,
)
from tests.support.rejects import rejects

ALL_GROUPS = tuple(ManagedRules(group) for group in ManagedRuleGroup)


# ----------------------------------------------------------------------------- rate limit


@pytest.mark.parametrize("window", [30, 90, 180, 3600])
def test_rejects_rate_window_outside_the_list(window: int) -> None:
    error = rejects(
        rf"^waf\.rate_limit\.window_seconds: got {window}; allowed: one of 60, 120, 300, 600$",
        lambda: RateLimit(window_seconds=window),
    )
    assert error.field == "waf.rate_limit.window_seconds"


@pytest.mark.parametrize("window", [60, 120, 300, 600])
def test_accepts_every_rate_window_in_the_list(window: int) -> None:
    assert RateLimit(window_seconds=window).retry_after_seconds == window


def test_rejects_rate_limit_below_10() -> None:
    rejects(r"^waf\.rate_limit\.limit: got 9; allowed: an integer >= 10", lambda: RateLimit(limit=9))


def test_rejects_rate_limit_that_is_not_an_integer() -> None:
    rejects(r"^waf\.rate_limit\.limit: got '2000'; allowed: an integer >= 10", lambda: RateLimit(limit="2000"))


def test_rate_limit_of_10_is_the_minimum_allowed() -> None:
    assert RateLimit(limit=10).limit == 10


def test_rate_limit_defaults_are_the_seeds_2000_per_5_minutes() -> None:
    rate = RateLimit()
    assert (rate.limit, rate.window_seconds, rate.retry_after_seconds) == (2000, 300, 300)


def test_rejects_rule_action_given_as_a_string() -> None:
    rejects(
        r"^waf\.rate_limit\.action: got 'block'; allowed: one of RuleAction\.COUNT, RuleAction\.BLOCK",
        lambda: RateLimit(action="block"),
    )


# ----------------------------------------------------------------------------- geo and IP lists


@pytest.mark.parametrize("code", ["XX", "us", "USA", "UK", ""])
def test_rejects_bad_country_code(code: str) -> None:
    error = rejects(
        r"^waf\.geo_block\.country_codes: got .*; allowed: an upper-case ISO 3166-1 alpha-2 code",
        lambda: GeoBlock((code,)),
    )
    assert error.value == code


def test_rejects_country_codes_as_a_list() -> None:
    rejects(r"^waf\.geo_block\.country_codes: got \['KP'\]; allowed: a tuple", lambda: GeoBlock(["KP"]))


def test_rejects_empty_geo_block() -> None:
    rejects(r"^waf\.geo_block\.country_codes: got \(\); allowed: at least one country code", lambda: GeoBlock(()))


def test_rejects_repeated_country_code() -> None:
    rejects(
        r"^waf\.geo_block\.country_codes: got \('KP', 'KP'\); allowed: each country", lambda: GeoBlock(("KP", "KP"))
    )


def test_rejects_cidr_with_host_bits_set() -> None:
    rejects(
        r"^waf\.ip_deny_list\.addresses: got '198\.51\.100\.7/24'; allowed: a CIDR block with no host bits set",
        lambda: IpDenyList(("198.51.100.7/24",)),
    )


def test_rejects_address_without_prefix_length() -> None:
    rejects(
        r"^waf\.ip_allow_list\.addresses: got '203\.0\.113\.5'; allowed: a CIDR block",
        lambda: IpAllowList(("203.0.113.5",)),
    )


def test_rejects_slash_zero() -> None:
    rejects(
        r"^waf\.ip_deny_list\.addresses: got '0\.0\.0\.0/0'; allowed: a prefix length of at least /1",
        lambda: IpDenyList(("0.0.0.0/0",)),
    )


def test_ip_lists_normalise_ipv6_and_count_one_ip_set_per_version() -> None:
    allow = IpAllowList(("203.0.113.0/24", "2001:DB8:0::/32"))
    assert allow.addresses == ("203.0.113.0/24", "2001:db8::/32")
    assert allow.wcu == 2
    assert IpDenyList(("198.51.100.0/24",)).wcu == 1


# ----------------------------------------------------------------------------- managed groups


def test_rejects_unknown_managed_sub_rule() -> None:
    rejects(
        r"^waf\.managed_rules\[COMMON\]\.excluded_rules: got 'SizeRestriction_BODY'; "
        r"allowed: one of 'NoUserAgent_HEADER'",
        lambda: ManagedRules(ManagedRuleGroup.COMMON, excluded_rules=("SizeRestriction_BODY",)),
    )


def test_rejects_override_of_a_sub_rule_from_another_group() -> None:
    rejects(
        r"^waf\.managed_rules\[SQLI\]\.rule_action_overrides: got 'Log4JRCE_BODY'",
        lambda: ManagedRules(ManagedRuleGroup.SQLI, rule_action_overrides={"Log4JRCE_BODY": RuleAction.COUNT}),
    )


def test_rejects_sub_rule_both_excluded_and_overridden() -> None:
    rejects(
        r"^waf\.managed_rules\[COMMON\]\.excluded_rules: got 'SizeRestrictions_BODY'; allowed: a sub-rule that has no "
        r"entry in rule_action_overrides",
        lambda: ManagedRules(
            ManagedRuleGroup.COMMON,
            excluded_rules=("SizeRestrictions_BODY",),
            rule_action_overrides={"SizeRestrictions_BODY": RuleAction.BLOCK},
        ),
    )


def test_rejects_override_action_as_a_string() -> None:
    rejects(
        r"^waf\.managed_rules\[COMMON\]\.rule_action_overrides\['NoUserAgent_HEADER'\]: got 'count'",
        lambda: ManagedRules(ManagedRuleGroup.COMMON, rule_action_overrides={"NoUserAgent_HEADER": "count"}),
    )


def test_rejects_managed_group_listed_twice() -> None:
    rejects(
        r"^waf\.managed_rules: got <ManagedRuleGroup\.SQLI.*; allowed: each ManagedRuleGroup at most once",
        lambda: WafConfig(
            managed_rules=(
                ManagedRules(ManagedRuleGroup.SQLI),
                ManagedRules(ManagedRuleGroup.SQLI, priority=51, name="sqli-2"),
            )
        ),
    )


def test_rejects_bad_version_string() -> None:
    rejects(
        r"^waf\.managed_rules\[COMMON\]\.version: got '1\.10'",
        lambda: ManagedRules(ManagedRuleGroup.COMMON, version="1.10"),
    )


def test_exclusions_become_count_overrides_before_explicit_overrides() -> None:
    rules = ManagedRules(
        ManagedRuleGroup.COMMON,
        excluded_rules=("SizeRestrictions_BODY",),
        rule_action_overrides={"NoUserAgent_HEADER": RuleAction.BLOCK},
    )
    assert rules.sub_rule_actions == (
        ("SizeRestrictions_BODY", RuleAction.COUNT),
        ("NoUserAgent_HEADER", RuleAction.BLOCK),
    )


def test_rule_action_overrides_are_read_only() -> None:
    rules = ManagedRules(ManagedRuleGroup.COMMON, rule_action_overrides={"NoUserAgent_HEADER": RuleAction.COUNT})
    with pytest.raises(TypeError):
        rules.rule_action_overrides["SizeRestrictions_BODY"] = RuleAction.COUNT  # type: ignore[index]


# ----------------------------------------------------------------------------- injection matches


def test_rejects_injection_match_without_components() -> None:
    rejects(
        r"^waf\.injection_matches\[XSS\]\.components: got \(\); allowed: at least one RequestComponent",
        lambda: InjectionMatch(InjectionAttack.XSS, components=()),
    )


def test_rejects_text_transformation_as_a_string() -> None:
    rejects(
        r"^waf\.injection_matches\[SQLI\]\.text_transformations\[0\]: got 'URL_DECODE'; "
        r"allowed: one of TextTransformation\.URL_DECODE, TextTransformation\.HTML_ENTITY_DECODE",
        lambda: InjectionMatch(InjectionAttack.SQLI, text_transformations=("URL_DECODE",)),
    )


# ----------------------------------------------------------------------------- the rule set


def test_rejects_duplicate_priority() -> None:
    error = rejects(
        r"^waf\.rules\[rate-limit-per-ip\]\.priority: got 2; allowed: a priority no other rule uses "
        r"\(rule 'geo-block' already has it\)",
        lambda: WafConfig(geo_block=GeoBlock(("KP",)), rate_limit=RateLimit(priority=2)),
    )
    assert error.value == 2


def test_rejects_duplicate_name() -> None:
    rejects(
        r"^waf\.rules\[.*\]\.name: got 'edge'; allowed: a name no other rule uses",
        lambda: WafConfig(geo_block=GeoBlock(("KP",), name="edge"), rate_limit=RateLimit(name="edge")),
    )


def test_rejects_bad_rule_name() -> None:
    rejects(r"^waf\.rate_limit\.name: got 'rate limit'; allowed: 1-128 letters", lambda: RateLimit(name="rate limit"))


def test_rejects_wcu_over_budget() -> None:
    # Every managed group (1,175), the body size limit (7), the rate limit (2), an XSS match on two components (120).
    error = rejects(
        r"^waf\.capacity_wcu: got 1304; allowed: at most capacity_budget_wcu=1200 \(rules: body-size-limit 7, "
        r"rate-limit-per-ip 2, "
        r"aws-ip-reputation 25, aws-anonymous-ip 50, aws-known-bad-inputs 200, aws-common 700, aws-sqli 200, "
        r"xss-match 120\)$",
        lambda: WafConfig(
            managed_rules=ALL_GROUPS,
            injection_matches=(InjectionMatch(InjectionAttack.XSS),),
            capacity_budget_wcu=1200,
        ),
    )
    assert error.value == 1304


def test_rejects_wcu_over_the_default_budget_of_1500() -> None:
    heavy = tuple(
        InjectionMatch(
            InjectionAttack.XSS, priority=60 + i, name=f"xss-{i}", text_transformations=tuple(TextTransformation)
        )
        for i in range(2)
    )  # 2 x 2 x (40 + 7 x 10) = 440 on top of the 1,134 default
    rejects(
        r"^waf\.capacity_wcu: got 1574; allowed: at most capacity_budget_wcu=1500",
        lambda: WafConfig(injection_matches=heavy),
    )


def test_rejects_budget_above_1500_without_naming_the_extra_cost() -> None:
    rejects(
        r"^waf\.extra_capacity_cost_usd_per_million_requests: got 0\.0; allowed: 0\.2 \(capacity_budget_wcu=2000 is "
        r"500 WCU above the included 1500; AWS charges \$0\.20 per million requests for each started 500 WCU\)$",
        lambda: WafConfig(capacity_budget_wcu=2000),
    )


def test_rejects_extra_cost_that_does_not_match_the_budget() -> None:
    rejects(
        r"^waf\.extra_capacity_cost_usd_per_million_requests: got 0\.2; allowed: 0\.4 \(capacity_budget_wcu=2001",
        lambda: WafConfig(capacity_budget_wcu=2001, extra_capacity_cost_usd_per_million_requests=0.2),
    )


def test_rejects_extra_cost_without_extra_capacity() -> None:
    rejects(
        r"^waf\.extra_capacity_cost_usd_per_million_requests: got 0\.2; allowed: 0\.0 \(capacity_budget_wcu=1500",
        lambda: WafConfig(extra_capacity_cost_usd_per_million_requests=0.2),
    )


def test_rejects_budget_above_5000() -> None:
    rejects(
        r"^waf\.capacity_budget_wcu: got 5500; allowed: an integer >= 1 and <= 5000",
        lambda: WafConfig(capacity_budget_wcu=5500, extra_capacity_cost_usd_per_million_requests=1.6),
    )


def test_budget_above_1500_is_accepted_when_the_extra_cost_is_named() -> None:
    heavy = tuple(
        InjectionMatch(
            InjectionAttack.XSS, priority=60 + i, name=f"xss-{i}", text_transformations=tuple(TextTransformation)
        )
        for i in range(2)
    )
    config = WafConfig(
        injection_matches=heavy, capacity_budget_wcu=2000, extra_capacity_cost_usd_per_million_requests=0.2
    )
    assert config.capacity_wcu == 1574


@pytest.mark.parametrize(
    ("budget", "cost"), [(1500, 0.0), (1501, 0.2), (2000, 0.2), (2001, 0.4), (3500, 0.8), (5000, 1.4)]
)
def test_extra_capacity_cost_per_started_500_wcu(budget: int, cost: float) -> None:
    assert extra_capacity_cost_usd_per_million_requests(budget) == cost


# ----------------------------------------------------------------------------- capacity arithmetic


def test_managed_group_capacities_are_the_published_numbers() -> None:
    assert {g: g.wcu for g in ManagedRuleGroup} == {
        ManagedRuleGroup.COMMON: 700,
        ManagedRuleGroup.KNOWN_BAD_INPUTS: 200,
        ManagedRuleGroup.SQLI: 200,
        ManagedRuleGroup.IP_REPUTATION: 25,
        ManagedRuleGroup.ANONYMOUS_IP: 50,
    }


def test_default_rule_set_is_the_seeds_protections_in_1134_wcu() -> None:
    config = WafConfig()
    assert config.managed_rules == DEFAULT_MANAGED_RULES
    assert {m.group for m in config.managed_rules} == {
        ManagedRuleGroup.COMMON,
        ManagedRuleGroup.KNOWN_BAD_INPUTS,
        ManagedRuleGroup.SQLI,
        ManagedRuleGroup.IP_REPUTATION,
    }
    assert config.capacity_wcu == 700 + 200 + 200 + 25 + 2 + 7
    assert [r.priority for r in config.rules] == sorted(r.priority for r in config.rules)


def test_capacity_adds_every_statement_type() -> None:
    config = WafConfig(
        managed_rules=ALL_GROUPS,
        geo_block=GeoBlock(("KP",)),
        ip_allow_list=IpAllowList(("203.0.113.0/24", "2001:db8::/32")),
        ip_deny_list=IpDenyList(("198.51.100.0/24",)),
        injection_matches=(
            InjectionMatch(InjectionAttack.XSS, components=(RequestComponent.BODY,)),  # 40 + 2 x 10
            InjectionMatch(InjectionAttack.SQLI),  # 2 x (20 + 2 x 10)
        ),
        capacity_budget_wcu=2000,
        extra_capacity_cost_usd_per_million_requests=0.2,
    )
    assert config.capacity_wcu == 1175 + 2 + 1 + 2 + 1 + 60 + 80 + 7


def test_per_rule_action_overrides_the_mode() -> None:
    config = WafConfig(mode=RuleAction.COUNT, rate_limit=RateLimit(action=RuleAction.BLOCK))
    assert config.rate_limit.verdict(config.mode) is Verdict.BLOCK
    assert config.managed_rules[0].verdict(config.mode) is Verdict.COUNT


def test_allow_list_allows_whatever_the_mode() -> None:
    allow = IpAllowList(("203.0.113.0/24",))
    assert {allow.verdict(mode) for mode in RuleAction} == {Verdict.ALLOW}


def test_docs_example_is_a_valid_config() -> None:
    """docs/WAF.md's edge-protection example builds (and its capacity is what the table adds up to)."""
    import re
    from pathlib import Path

    import environments.config as config_module

    page = (Path(__file__).resolve().parent.parent / "docs" / "WAF.md").read_text()
    section = page[page.index("## Edge protection") :]
    example = re.search(r"```python\n(waf=WafConfig\(.*?\n\))\n```", section, re.S).group(1)
    namespace = {name: getattr(config_module, name) for name in config_module.__all__}
    exec(example, namespace)  # noqa: S102 - our own docs
    # 1,134 default + 50 anonymous IP + 1 geo + 2 deny-list IP sets + 120 XSS on two components = 1,307
    assert namespace["waf"].capacity_wcu == 1307


def test_cli_reports_a_bad_waf_value_in_one_line_without_traceback(tmp_path) -> None:
    """`python main.py --env prod` with a 30 s rate window in prod.py: exit 2, one line naming field and value."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    # Stands in for environments/prod.py: the same import, with one bad value.
    (tmp_path / "sitecustomize.py").write_text(
        "import importlib.abc, importlib.util, sys\n"
        "class BadProd(importlib.abc.MetaPathFinder, importlib.abc.Loader):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        return importlib.util.spec_from_loader(name, self) if name == 'environments.prod' else None\n"
        "    def create_module(self, spec):\n"
        "        return None\n"
        "    def exec_module(self, module):\n"
        "        from environments.config import RateLimit, WafConfig\n"
        "        WafConfig(rate_limit=RateLimit(window_seconds=30))\n"
        "sys.meta_path.insert(0, BadProd())\n"
    )
    result = subprocess.run(
        [sys.executable, str(root / "main.py"), "--env", "prod", "--outdir", str(tmp_path / "out")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{root}"},
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == (
        "error: environment 'prod': waf.rate_limit.window_seconds: got 30; allowed: one of 60, 120, 300, 600"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- added with the pydantic models


def test_rejects_non_finite_extra_cost() -> None:
    rejects(
        r"^waf\.extra_capacity_cost_usd_per_million_requests: got nan; allowed: a finite number",
        lambda: WafConfig(extra_capacity_cost_usd_per_million_requests=float("nan")),
    )


def test_rejects_rule_spec_given_as_a_dict() -> None:
    rejects(
        r"^waf\.rate_limit: got \{'limit': 100\}; allowed: a RateLimit$", lambda: WafConfig(rate_limit={"limit": 100})
    )


def test_rejects_managed_rules_as_a_list() -> None:
    rejects(r"^waf\.managed_rules: got \[\]; allowed: a tuple", lambda: WafConfig(managed_rules=[]))


def test_rejects_sub_rule_excluded_twice() -> None:
    rejects(
        r"^waf\.managed_rules\[IP_REPUTATION\]\.excluded_rules: "
        r"got \('AWSManagedIPDDoSList', 'AWSManagedIPDDoSList'\); allowed: each sub-rule at most once$",
        lambda: ManagedRules(ManagedRuleGroup.IP_REPUTATION, excluded_rules=("AWSManagedIPDDoSList",) * 2),
    )


def test_rejects_cidr_repeated_after_normalisation() -> None:
    rejects(
        r"^waf\.ip_allow_list\.addresses: got \('2001:db8::/32', '2001:db8::/32'\); "
        r"allowed: each CIDR block at most once",
        lambda: IpAllowList(("2001:DB8::/32", "2001:db8::/32")),
    )


def test_rejects_more_addresses_than_an_ip_set_holds() -> None:
    addresses = tuple(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}/32" for i in range(10_001))
    rejects(
        r"^waf\.ip_deny_list\.addresses: got '10001 addresses'; allowed: at most 10,000", lambda: IpDenyList(addresses)
    )


def test_keyed_rules_take_their_default_priority_and_name_from_the_key() -> None:
    assert (ManagedRules(ManagedRuleGroup.SQLI).priority, ManagedRules(ManagedRuleGroup.SQLI).name) == (50, "aws-sqli")
    assert (InjectionMatch(InjectionAttack.SQLI).priority, InjectionMatch(InjectionAttack.SQLI).name) == (
        61,
        "sqli-match",
    )
    assert ManagedRules(group=ManagedRuleGroup.SQLI, priority=7, name="sqli").priority == 7


def test_every_rule_kind_implements_the_protocol_and_reaches_the_rule_set() -> None:
    config = WafConfig(
        geo_block=GeoBlock(("KP",)),
        ip_allow_list=IpAllowList(("203.0.113.0/24",)),
        ip_deny_list=IpDenyList(("198.51.100.0/24",)),
        injection_matches=(InjectionMatch(InjectionAttack.SQLI),),
    )
    kinds = {type(spec) for spec in config.rules}
    assert kinds == {ManagedRules, BodySizeLimit, RateLimit, GeoBlock, IpAllowList, IpDenyList, InjectionMatch}
    assert all(isinstance(spec, WafRuleSpec) for spec in config.rules)
    assert len(config.rules) == 10


def test_rejects_misspelt_field_naming_the_rule() -> None:
    rejects(
        r"^waf\.managed_rules\[COMMON\]\.exclude_rules: got \('NoUserAgent_HEADER',\); allowed: no such field",
        lambda: ManagedRules(ManagedRuleGroup.COMMON, exclude_rules=("NoUserAgent_HEADER",)),
    )


def test_rejects_action_on_the_allow_list() -> None:
    """The allow list always allows: an action there would be a misunderstanding, not a setting."""
    rejects(
        r"^waf\.ip_allow_list\.action: got <RuleAction\.BLOCK: 'block'>; allowed: no such field",
        lambda: IpAllowList(("203.0.113.0/24",), action=RuleAction.BLOCK),
    )
