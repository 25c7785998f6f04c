"""Edge protection (WAFv2) configuration: which rules the web ACL runs, in what mode, within what capacity.

Each rule is a small frozen spec (a managed rule group, the per-IP rate limit,
geo blocking, IP allow/deny lists, explicit XSS/SQLi match statements).
:class:`WafConfig` checks the whole rule set when the environment loads: names
and priorities are unique and the web ACL capacity (WCU) fits the budget, so a
rule set AWS would reject never reaches ``terraform apply``.
``modules/edge/rules.py`` renders the specs into the provider's rule blocks.
"""

from __future__ import annotations

import enum
import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from environments.config.base import (
    ConfigError,
    require_choice,
    require_enum,
    require_int,
    require_number,
    require_pattern,
    require_tuple,
)

#: Rule names: what AWS accepts for a rule's name (also used inside metric names).
_RULE_NAME_PATTERN = r"[A-Za-z0-9_-]{1,128}"
#: Managed sub-rule names as AWS spells them (``SizeRestrictions_BODY``).
_SUB_RULE_PATTERN = r"[A-Za-z0-9_-]{1,128}"

#: The evaluation windows a rate-based statement accepts (``evaluation_window_sec``).
RATE_WINDOWS_SECONDS: tuple[int, ...] = (60, 120, 300, 600)
#: AWS's bounds for a rate-based statement's ``limit`` (requests per window per IP).
RATE_LIMIT_MINIMUM = 10
RATE_LIMIT_MAXIMUM = 2_000_000_000

#: Web ACL capacity included in the base price, and the hard ceiling per web ACL.
INCLUDED_CAPACITY_WCU = 1500
MAXIMUM_CAPACITY_WCU = 5000
#: AWS WAF pricing above the included capacity: this many US dollars per million
#: requests for each started block of ``EXTRA_CAPACITY_BLOCK_WCU`` beyond 1,500.
EXTRA_CAPACITY_BLOCK_WCU = 500
EXTRA_CAPACITY_USD_PER_MILLION_REQUESTS_PER_BLOCK = 0.20

# Rule statement costs from the AWS WAF developer guide ("Rule statement basics").
WCU_RATE_BASED = 2  # per-IP aggregation, no scope-down statement
WCU_GEO_MATCH = 1
WCU_IP_SET_REFERENCE = 1
WCU_XSS_MATCH = 40
WCU_SQLI_MATCH = 20  # sensitivity LOW (the default; HIGH costs 30)
WCU_PER_TEXT_TRANSFORMATION = 10

#: ISO 3166-1 alpha-2: every officially assigned code (249).
ISO_COUNTRY_CODES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
    FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN
    IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE
    YT ZA ZM ZW
    """.split()
)


class RuleAction(enum.Enum):
    """What a WAF rule does with a match. COUNT stages a rule before it blocks."""

    COUNT = "count"
    BLOCK = "block"


class ManagedRuleGroup(enum.Enum):
    """AWS managed rule groups (vendor ``AWS``), each with its fixed capacity and its sub-rules.

    COMMON: the core rule set (XSS, LFI/RFI, SSRF, size restrictions, bad bots).
    KNOWN_BAD_INPUTS: Log4j/Log4Shell, Java deserialization, exploitable paths.
    SQLI: SQL injection in query, body, cookies and path.
    IP_REPUTATION: Amazon threat intelligence (bots, reconnaissance, DDoS sources).
    ANONYMOUS_IP: VPNs, Tor, proxies and hosting providers. Off by default: it also
        matches legitimate server-to-server callers hosted in the cloud.
    """

    COMMON = "AWSManagedRulesCommonRuleSet"
    KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
    SQLI = "AWSManagedRulesSQLiRuleSet"
    IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList"
    ANONYMOUS_IP = "AWSManagedRulesAnonymousIpList"

    @property
    def wcu(self) -> int:
        """The group's capacity, fixed by AWS."""
        return _MANAGED_GROUPS[self][0]

    @property
    def default_priority(self) -> int:
        return _MANAGED_GROUPS[self][1]

    @property
    def default_rule_name(self) -> str:
        return _MANAGED_GROUPS[self][2]

    @property
    def sub_rules(self) -> tuple[str, ...]:
        """The group's rules (latest static version), the names an override or exclusion may use."""
        return _MANAGED_GROUPS[self][3]


# group: (WCU, default priority, default rule name, sub-rules). Cheap IP checks run first.
_MANAGED_GROUPS: dict[ManagedRuleGroup, tuple[int, int, str, tuple[str, ...]]] = {
    ManagedRuleGroup.IP_REPUTATION: (
        25,
        20,
        "aws-ip-reputation",
        ("AWSManagedIPReputationList", "AWSManagedReconnaissanceList", "AWSManagedIPDDoSList"),
    ),
    ManagedRuleGroup.ANONYMOUS_IP: (50, 25, "aws-anonymous-ip", ("AnonymousIPList", "HostingProviderIPList")),
    ManagedRuleGroup.KNOWN_BAD_INPUTS: (
        200,
        30,
        "aws-known-bad-inputs",
        (
            "JavaDeserializationRCE_HEADER",
            "JavaDeserializationRCE_BODY",
            "JavaDeserializationRCE_URIPATH",
            "JavaDeserializationRCE_QUERYSTRING",
            "Host_localhost_HEADER",
            "PROPFIND_METHOD",
            "ExploitablePaths_URIPATH",
            "Log4JRCE_HEADER",
            "Log4JRCE_QUERYSTRING",
            "Log4JRCE_BODY",
            "Log4JRCE_URIPATH",
        ),
    ),
    ManagedRuleGroup.COMMON: (
        700,
        40,
        "aws-common",
        (
            "NoUserAgent_HEADER",
            "UserAgent_BadBots_HEADER",
            "SizeRestrictions_QUERYSTRING",
            "SizeRestrictions_Cookie_HEADER",
            "SizeRestrictions_BODY",
            "SizeRestrictions_URIPATH",
            "EC2MetaDataSSRF_BODY",
            "EC2MetaDataSSRF_COOKIE",
            "EC2MetaDataSSRF_URIPATH",
            "EC2MetaDataSSRF_QUERYARGUMENTS",
            "GenericLFI_QUERYARGUMENTS",
            "GenericLFI_URIPATH",
            "GenericLFI_BODY",
            "RestrictedExtensions_URIPATH",
            "RestrictedExtensions_QUERYARGUMENTS",
            "GenericRFI_QUERYARGUMENTS",
            "GenericRFI_BODY",
            "GenericRFI_URIPATH",
            "CrossSiteScripting_COOKIE",
            "CrossSiteScripting_QUERYARGUMENTS",
            "CrossSiteScripting_BODY",
            "CrossSiteScripting_URIPATH",
        ),
    ),
    ManagedRuleGroup.SQLI: (
        200,
        50,
        "aws-sqli",
        (
            "SQLi_QUERYARGUMENTS",
            "SQLiExtendedPatterns_QUERYARGUMENTS",
            "SQLi_BODY",
            "SQLiExtendedPatterns_BODY",
            "SQLi_COOKIE",
            "SQLi_URIPATH",
        ),
    ),
}


class InjectionAttack(enum.Enum):
    """The attack an explicit match statement looks for (``xss_match_statement`` / ``sqli_match_statement``)."""

    XSS = "xss"
    SQLI = "sqli"

    @property
    def base_wcu(self) -> int:
        return WCU_XSS_MATCH if self is InjectionAttack.XSS else WCU_SQLI_MATCH


class RequestComponent(enum.Enum):
    """The part of a request an explicit match statement inspects (``field_to_match``)."""

    BODY = "body"
    QUERY_STRING = "query_string"


class TextTransformation(enum.Enum):
    """Normalisation applied, in order, before inspection (defeats encoded payloads)."""

    URL_DECODE = "URL_DECODE"
    HTML_ENTITY_DECODE = "HTML_ENTITY_DECODE"
    LOWERCASE = "LOWERCASE"
    COMPRESS_WHITE_SPACE = "COMPRESS_WHITE_SPACE"
    BASE64_DECODE = "BASE64_DECODE"
    JS_DECODE = "JS_DECODE"
    SQL_HEX_DECODE = "SQL_HEX_DECODE"


class WafLogFilter(enum.Enum):
    """Which requests the web ACL's log keeps.

    ALL: every inspected request. BLOCKED_AND_COUNTED: only requests a rule
    blocked or counted (what staging a rule needs), a fraction of the volume.
    """

    ALL = "all"
    BLOCKED_AND_COUNTED = "blocked_and_counted"


def _require_rule_name(field_name: str, value: object) -> None:
    require_pattern(field_name, value, _RULE_NAME_PATTERN, "1-128 letters, digits, hyphens or underscores")


def _require_priority(field_name: str, value: object) -> None:
    require_int(field_name, value, minimum=0, maximum=1_000_000)


def _require_optional_action(field_name: str, value: object) -> None:
    if value is not None:
        require_enum(field_name, value, RuleAction)


@dataclass(frozen=True)
class ManagedRules:
    """One AWS managed rule group in the web ACL.

    group: which group.
    priority: evaluation order (lower first). Default: the group's slot: IP reputation 20,
        anonymous IP 25, known bad inputs 30, common 40, SQLi 50.
    action: COUNT or BLOCK for the whole group. Default: the web ACL's ``mode``.
    rule_action_overrides: sub-rule name -> action, e.g. ``{"SizeRestrictions_BODY": RuleAction.COUNT}``
        to only count large bodies. Default: none; every sub-rule keeps AWS's action.
    excluded_rules: sub-rules that never block (rendered as a COUNT override, WAFv2's form of
        exclusion, so matches still show in metrics and logs). Default: none.
    version: pin a static version such as ``Version_1.10``. Default: the group's default version.
    name: the rule's name in the web ACL. Default: ``aws-common``, ``aws-sqli``...
    """

    group: ManagedRuleGroup
    priority: int | None = None
    action: RuleAction | None = None
    rule_action_overrides: Mapping[str, RuleAction] = field(default_factory=dict)
    excluded_rules: tuple[str, ...] = ()
    version: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        require_enum("waf.managed_rules.group", self.group, ManagedRuleGroup)
        where = f"waf.managed_rules[{self.group.name}]"
        if self.priority is None:
            object.__setattr__(self, "priority", self.group.default_priority)
        if self.name is None:
            object.__setattr__(self, "name", self.group.default_rule_name)
        _require_priority(f"{where}.priority", self.priority)
        _require_rule_name(f"{where}.name", self.name)
        _require_optional_action(f"{where}.action", self.action)
        if not isinstance(self.rule_action_overrides, Mapping):
            raise ConfigError(
                f"{where}.rule_action_overrides", self.rule_action_overrides, "a mapping of sub-rule name to RuleAction"
            )
        for sub_rule, action in self.rule_action_overrides.items():
            require_choice(f"{where}.rule_action_overrides", sub_rule, self.group.sub_rules)
            require_enum(f"{where}.rule_action_overrides[{sub_rule!r}]", action, RuleAction)
        object.__setattr__(self, "rule_action_overrides", MappingProxyType(dict(self.rule_action_overrides)))
        require_tuple(f"{where}.excluded_rules", self.excluded_rules)
        for sub_rule in self.excluded_rules:
            require_choice(f"{where}.excluded_rules", sub_rule, self.group.sub_rules)
            if sub_rule in self.rule_action_overrides:
                raise ConfigError(
                    f"{where}.excluded_rules",
                    sub_rule,
                    "a sub-rule that has no entry in rule_action_overrides (an exclusion already counts it)",
                )
        if len(set(self.excluded_rules)) != len(self.excluded_rules):
            raise ConfigError(f"{where}.excluded_rules", self.excluded_rules, "each sub-rule at most once")
        if self.version is not None:
            require_pattern(f"{where}.version", self.version, r"Version_[0-9]+\.[0-9]+", "a version like Version_1.10")

    @property
    def sub_rule_actions(self) -> tuple[tuple[str, RuleAction], ...]:
        """Every overridden sub-rule and its action: exclusions (COUNT) first, then explicit overrides."""
        excluded = tuple((name, RuleAction.COUNT) for name in self.excluded_rules)
        return excluded + tuple(self.rule_action_overrides.items())

    @property
    def wcu(self) -> int:
        return self.group.wcu


@dataclass(frozen=True)
class RateLimit:
    """Per-IP rate limiting; over the limit, requests get HTTP 429 with a JSON body and ``Retry-After``.

    limit: requests allowed per IP in each window, at least 10. Default: 2,000, the seed's limit.
    window_seconds: the evaluation window, one of 60/120/300/600 s. Default: 300 s (the seed's 5 minutes).
    retry_after_seconds: the ``Retry-After`` header value. Default: the window length, the
        longest a client can still be over the limit.
    priority: evaluation order. Default: 10, after the IP lists and geo blocking, before the
        managed groups, so every request from an IP counts towards its rate.
    action: COUNT or BLOCK. Default: the web ACL's ``mode``.
    name: the rule's name. Default: ``rate-limit-per-ip``.
    """

    limit: int = 2000
    window_seconds: int = 300
    retry_after_seconds: int | None = None
    priority: int = 10
    action: RuleAction | None = None
    name: str = "rate-limit-per-ip"

    def __post_init__(self) -> None:
        require_int("waf.rate_limit.limit", self.limit, minimum=RATE_LIMIT_MINIMUM, maximum=RATE_LIMIT_MAXIMUM)
        require_choice("waf.rate_limit.window_seconds", self.window_seconds, RATE_WINDOWS_SECONDS)
        if self.retry_after_seconds is None:
            object.__setattr__(self, "retry_after_seconds", self.window_seconds)
        require_int("waf.rate_limit.retry_after_seconds", self.retry_after_seconds, minimum=1, maximum=86_400)
        _require_priority("waf.rate_limit.priority", self.priority)
        _require_optional_action("waf.rate_limit.action", self.action)
        _require_rule_name("waf.rate_limit.name", self.name)

    @property
    def wcu(self) -> int:
        return WCU_RATE_BASED


@dataclass(frozen=True)
class GeoBlock:
    """Block (or count) requests from these countries.

    country_codes: ISO 3166-1 alpha-2 codes in upper case, e.g. ``("KP", "IR")``.
    priority: evaluation order. Default: 2, right after the IP lists.
    action: COUNT or BLOCK. Default: the web ACL's ``mode``.
    name: the rule's name. Default: ``geo-block``.
    """

    country_codes: tuple[str, ...]
    priority: int = 2
    action: RuleAction | None = None
    name: str = "geo-block"

    def __post_init__(self) -> None:
        require_tuple("waf.geo_block.country_codes", self.country_codes)
        if not self.country_codes:
            raise ConfigError("waf.geo_block.country_codes", self.country_codes, "at least one country code")
        for code in self.country_codes:
            if code not in ISO_COUNTRY_CODES:
                raise ConfigError(
                    "waf.geo_block.country_codes",
                    code,
                    "an upper-case ISO 3166-1 alpha-2 code such as 'US', 'DE' or 'KP'",
                )
        if len(set(self.country_codes)) != len(self.country_codes):
            raise ConfigError("waf.geo_block.country_codes", self.country_codes, "each country at most once")
        _require_priority("waf.geo_block.priority", self.priority)
        _require_optional_action("waf.geo_block.action", self.action)
        _require_rule_name("waf.geo_block.name", self.name)

    @property
    def wcu(self) -> int:
        return WCU_GEO_MATCH


def _normalise_cidrs(field_name: str, addresses: object) -> tuple[str, ...]:
    require_tuple(field_name, addresses)
    if not addresses:
        raise ConfigError(field_name, addresses, "at least one CIDR block")
    if len(addresses) > 10_000:
        raise ConfigError(field_name, f"{len(addresses)} addresses", "at most 10,000 (an IP set's limit)")
    normalised = []
    for address in addresses:
        try:
            if not isinstance(address, str) or "/" not in address:
                raise ValueError
            network = ipaddress.ip_network(address, strict=True)
        except ValueError:
            raise ConfigError(
                field_name, address, "a CIDR block with no host bits set, e.g. '203.0.113.0/24' or '2001:db8::/32'"
            ) from None
        if network.prefixlen == 0:
            raise ConfigError(field_name, address, "a prefix length of at least /1 (AWS rejects /0)")
        normalised.append(str(network))
    if len(set(normalised)) != len(normalised):
        raise ConfigError(field_name, addresses, "each CIDR block at most once")
    return tuple(normalised)


@dataclass(frozen=True)
class IpAllowList:
    """Trusted networks that skip every later rule (rate limit and managed groups included).

    addresses: IPv4 and/or IPv6 CIDR blocks; each version gets its own IP set.
    priority: evaluation order. Default: 0, first.
    name: the rule's name. Default: ``ip-allow-list``.
    """

    addresses: tuple[str, ...]
    priority: int = 0
    name: str = "ip-allow-list"

    def __post_init__(self) -> None:
        object.__setattr__(self, "addresses", _normalise_cidrs("waf.ip_allow_list.addresses", self.addresses))
        _require_priority("waf.ip_allow_list.priority", self.priority)
        _require_rule_name("waf.ip_allow_list.name", self.name)

    @property
    def wcu(self) -> int:
        return WCU_IP_SET_REFERENCE * len(ip_versions(self.addresses))


@dataclass(frozen=True)
class IpDenyList:
    """Networks to block (or count) outright.

    addresses: IPv4 and/or IPv6 CIDR blocks; each version gets its own IP set.
    priority: evaluation order. Default: 1, after the allow list.
    action: COUNT or BLOCK. Default: the web ACL's ``mode``.
    name: the rule's name. Default: ``ip-deny-list``.
    """

    addresses: tuple[str, ...]
    priority: int = 1
    action: RuleAction | None = None
    name: str = "ip-deny-list"

    def __post_init__(self) -> None:
        object.__setattr__(self, "addresses", _normalise_cidrs("waf.ip_deny_list.addresses", self.addresses))
        _require_priority("waf.ip_deny_list.priority", self.priority)
        _require_optional_action("waf.ip_deny_list.action", self.action)
        _require_rule_name("waf.ip_deny_list.name", self.name)

    @property
    def wcu(self) -> int:
        return WCU_IP_SET_REFERENCE * len(ip_versions(self.addresses))


def ip_versions(addresses: tuple[str, ...]) -> tuple[int, ...]:
    """The IP versions (4, 6) present in normalised CIDR blocks, in that order."""
    present = {ipaddress.ip_network(a).version for a in addresses}
    return tuple(v for v in (4, 6) if v in present)


@dataclass(frozen=True)
class InjectionMatch:
    """An explicit XSS or SQL injection match on the body and/or query string.

    The managed groups already cover both attacks; an explicit statement adds a
    check whose components and text transformations you choose.

    attack: XSS or SQLI.
    priority: evaluation order. Default: 60 for XSS, 61 for SQLI (after the managed groups).
    components: what to inspect; one statement per component, OR-ed. Default: body and query string.
        WAF inspects the first 16 KB of a body (API Gateway's default inspection limit) and
        lets the rest through (oversize handling CONTINUE).
    text_transformations: applied in order before inspection. Default: URL decode, then HTML entity decode.
    action: COUNT or BLOCK. Default: the web ACL's ``mode``.
    name: the rule's name. Default: ``xss-match`` or ``sqli-match``.
    """

    attack: InjectionAttack
    priority: int | None = None
    components: tuple[RequestComponent, ...] = (RequestComponent.BODY, RequestComponent.QUERY_STRING)
    text_transformations: tuple[TextTransformation, ...] = (
        TextTransformation.URL_DECODE,
        TextTransformation.HTML_ENTITY_DECODE,
    )
    action: RuleAction | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        require_enum("waf.injection_matches.attack", self.attack, InjectionAttack)
        where = f"waf.injection_matches[{self.attack.name}]"
        if self.priority is None:
            object.__setattr__(self, "priority", 60 if self.attack is InjectionAttack.XSS else 61)
        if self.name is None:
            object.__setattr__(self, "name", f"{self.attack.value}-match")
        _require_priority(f"{where}.priority", self.priority)
        _require_rule_name(f"{where}.name", self.name)
        _require_optional_action(f"{where}.action", self.action)
        for name, values, kind in (
            ("components", self.components, RequestComponent),
            ("text_transformations", self.text_transformations, TextTransformation),
        ):
            require_tuple(f"{where}.{name}", values)
            if not values:
                raise ConfigError(f"{where}.{name}", values, f"at least one {kind.__name__}")
            for value in values:
                require_enum(f"{where}.{name}", value, kind)
            if len(set(values)) != len(values):
                raise ConfigError(f"{where}.{name}", values, f"each {kind.__name__} at most once")

    @property
    def wcu(self) -> int:
        per_component = self.attack.base_wcu + WCU_PER_TEXT_TRANSFORMATION * len(self.text_transformations)
        return per_component * len(self.components)


#: The seed's protections: IP reputation, known bad inputs (Log4j), the common rule set (XSS,
#: size limits) and SQL injection; 1,127 WCU with the rate limit. The core rule set's
#: SizeRestrictions_BODY (bodies over 8 KB) only counts: ``POST /api/projects`` accepts JSON
#: bodies up to 64 kB and answers 413 itself above that, so blocking at 8 KB would reject
#: valid requests. Every other sub-rule keeps AWS's action.
DEFAULT_MANAGED_RULES: tuple[ManagedRules, ...] = (
    ManagedRules(ManagedRuleGroup.IP_REPUTATION),
    ManagedRules(ManagedRuleGroup.KNOWN_BAD_INPUTS),
    ManagedRules(ManagedRuleGroup.COMMON, excluded_rules=("SizeRestrictions_BODY",)),
    ManagedRules(ManagedRuleGroup.SQLI),
)

WafRuleSpec = ManagedRules | RateLimit | GeoBlock | IpAllowList | IpDenyList | InjectionMatch


def extra_capacity_cost_usd_per_million_requests(budget_wcu: int) -> float:
    """What AWS charges on top, per million requests, for a web ACL allowed ``budget_wcu``."""
    blocks = math.ceil(max(0, budget_wcu - INCLUDED_CAPACITY_WCU) / EXTRA_CAPACITY_BLOCK_WCU)
    return round(blocks * EXTRA_CAPACITY_USD_PER_MILLION_REQUESTS_PER_BLOCK, 2)


@dataclass(frozen=True)
class WafConfig:
    """The regional web ACL in front of the API stage. The default action is allow.

    enabled: create and associate the web ACL. Default: on.
    mode: the action of every protective rule that sets none itself; COUNT stages
        rules (dev, staging), BLOCK enforces them (prod). Default: BLOCK.
    rate_limit: per-IP rate limiting. Default: 2,000 requests per 300 s, the seed's limit;
        ``None`` removes it.
    managed_rules: AWS managed rule groups. Default: IP reputation, known bad inputs,
        the common rule set (its 8 KB body limit only counts) and SQLi.
    geo_block: countries to block. Default: none.
    ip_allow_list / ip_deny_list: trusted / blocked networks. Default: none.
    injection_matches: explicit XSS/SQLi match statements. Default: none (the managed groups cover both).
    capacity_budget_wcu: the most capacity the rule set may use. Default: 1,500, the
        capacity included in the web ACL's price. Up to 5,000 is possible, but only
        together with ``extra_capacity_cost_usd_per_million_requests``.
    extra_capacity_cost_usd_per_million_requests: must state the extra charge a budget
        above 1,500 WCU costs ($0.20 per million requests per started 500 WCU), so the
        cost is a deliberate, reviewed choice. Default: 0 (no extra capacity).
    log_filter: which requests the WAF log keeps. Default: ALL.
    """

    enabled: bool = True
    mode: RuleAction = RuleAction.BLOCK
    rate_limit: RateLimit | None = field(default_factory=RateLimit)
    managed_rules: tuple[ManagedRules, ...] = DEFAULT_MANAGED_RULES
    geo_block: GeoBlock | None = None
    ip_allow_list: IpAllowList | None = None
    ip_deny_list: IpDenyList | None = None
    injection_matches: tuple[InjectionMatch, ...] = ()
    capacity_budget_wcu: int = INCLUDED_CAPACITY_WCU
    extra_capacity_cost_usd_per_million_requests: float = 0.0
    log_filter: WafLogFilter = WafLogFilter.ALL

    def __post_init__(self) -> None:
        require_enum("waf.mode", self.mode, RuleAction)
        if not isinstance(self.enabled, bool):
            raise ConfigError("waf.enabled", self.enabled, "True or False")
        for name, kind in (
            ("rate_limit", RateLimit),
            ("geo_block", GeoBlock),
            ("ip_allow_list", IpAllowList),
            ("ip_deny_list", IpDenyList),
        ):
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise ConfigError(f"waf.{name}", value, f"a {kind.__name__} or None")
        for name, kind in (("managed_rules", ManagedRules), ("injection_matches", InjectionMatch)):
            require_tuple(f"waf.{name}", getattr(self, name))
            for value in getattr(self, name):
                if not isinstance(value, kind):
                    raise ConfigError(f"waf.{name}", value, f"a tuple of {kind.__name__}")
        groups = [m.group for m in self.managed_rules]
        for group in groups:
            if groups.count(group) > 1:
                raise ConfigError("waf.managed_rules", group, "each ManagedRuleGroup at most once")
        require_enum("waf.log_filter", self.log_filter, WafLogFilter)
        self._check_unique("name")
        self._check_unique("priority")
        self._check_capacity()

    @property
    def rules(self) -> tuple[WafRuleSpec, ...]:
        """Every rule of the web ACL, in evaluation (priority) order."""
        optional = (self.ip_allow_list, self.ip_deny_list, self.geo_block, self.rate_limit)
        specs = [s for s in optional if s is not None] + [*self.managed_rules, *self.injection_matches]
        return tuple(sorted(specs, key=lambda spec: spec.priority))

    @property
    def capacity_wcu(self) -> int:
        """The web ACL's capacity: the sum of its rules' WCUs."""
        return sum(spec.wcu for spec in self.rules)

    def action_of(self, spec: WafRuleSpec) -> RuleAction:
        """The effective action of a protective rule: its own, or the web ACL's mode."""
        return getattr(spec, "action", None) or self.mode

    def _check_unique(self, attribute: str) -> None:
        seen: dict[object, str] = {}
        for spec in self.rules:
            value = getattr(spec, attribute)
            if value in seen:
                raise ConfigError(
                    f"waf.rules[{spec.name}].{attribute}",
                    value,
                    f"a {attribute} no other rule uses (rule {seen[value]!r} already has it)",
                )
            seen[value] = spec.name

    def _check_capacity(self) -> None:
        require_int("waf.capacity_budget_wcu", self.capacity_budget_wcu, minimum=1, maximum=MAXIMUM_CAPACITY_WCU)
        require_number(
            "waf.extra_capacity_cost_usd_per_million_requests",
            self.extra_capacity_cost_usd_per_million_requests,
            minimum=0,
        )
        expected = extra_capacity_cost_usd_per_million_requests(self.capacity_budget_wcu)
        if round(self.extra_capacity_cost_usd_per_million_requests, 2) != expected:
            over = max(0, self.capacity_budget_wcu - INCLUDED_CAPACITY_WCU)
            raise ConfigError(
                "waf.extra_capacity_cost_usd_per_million_requests",
                self.extra_capacity_cost_usd_per_million_requests,
                f"{expected} (capacity_budget_wcu={self.capacity_budget_wcu} is {over} WCU above the included "
                f"{INCLUDED_CAPACITY_WCU}; AWS charges ${EXTRA_CAPACITY_USD_PER_MILLION_REQUESTS_PER_BLOCK:.2f} "
                f"per million requests for each started {EXTRA_CAPACITY_BLOCK_WCU} WCU)",
            )
        if self.capacity_wcu > self.capacity_budget_wcu:
            breakdown = ", ".join(f"{spec.name} {spec.wcu}" for spec in self.rules)
            raise ConfigError(
                "waf.capacity_wcu",
                self.capacity_wcu,
                f"at most capacity_budget_wcu={self.capacity_budget_wcu} (rules: {breakdown})",
            )
