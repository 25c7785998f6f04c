"""Edge protection (WAFv2): which rules the web ACL runs, in what mode, within what capacity.

Each rule kind is one model implementing :class:`WafRuleSpec` that renders itself as the provider's plain
``rule`` JSON; :class:`WafConfig` checks the rule set through that Protocol only. Adding a kind is one class
here plus the ``WafConfig`` field that holds it. AWS's catalogue and prices are in ``waf_catalogue.py``.
"""

from __future__ import annotations

import enum
import ipaddress
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, NamedTuple, Protocol, runtime_checkable

from pydantic import AfterValidator, Field, PlainSerializer, ValidationInfo, field_validator, model_validator

from environments.config import waf_catalogue as aws
from environments.config.api import MAX_BODY_BYTES
from environments.config.base import ConfigError, ConfigModel, InstanceOf, OneOf, Pattern, unique
from environments.config.waf_catalogue import ManagedRuleGroup, extra_capacity_cost_usd_per_million_requests

#: What AWS accepts for a rule's name (also used inside metric names).
RuleName = Annotated[str, Pattern(r"[A-Za-z0-9_-]{1,128}", "1-128 letters, digits, hyphens or underscores")]
Priority = Annotated[int, Field(ge=0, le=1_000_000)]
Version = Annotated[str, Pattern(r"Version_[0-9]+\.[0-9]+", "a version like Version_1.10")]
#: The key of the web ACL's custom response body that rate-limited clients receive.
RATE_LIMITED_BODY_KEY = "rate-limited"
#: The key of the custom response body of requests whose body is too large (or present on GET/HEAD).
BODY_TOO_LARGE_BODY_KEY = "body-too-large"


class RuleAction(enum.Enum):
    """What a WAF rule does with a match. COUNT stages a rule before it blocks."""

    COUNT = "count"
    BLOCK = "block"


#: A protective rule's own action (the IP allow list has none: it always allows).
Action = Annotated[RuleAction | None, Field(description="COUNT or BLOCK. Default: the web ACL's ``mode``.")]


class Verdict(enum.Enum):
    """What a rule does on a match, including ALLOW (only the IP allow list allows)."""

    ALLOW = "allow"
    COUNT = "count"
    BLOCK = "block"


class InjectionAttack(enum.Enum):
    """The attack an explicit match statement looks for (``xss_match_statement`` / ``sqli_match_statement``)."""

    XSS = "xss"
    SQLI = "sqli"

    @property
    def base_wcu(self) -> int:
        return aws.WCU_XSS_MATCH if self is InjectionAttack.XSS else aws.WCU_SQLI_MATCH


class RequestComponent(enum.Enum):
    """The part of a request a match statement inspects. WAF inspects a body's first 16 KB
    (API Gateway's default inspection limit) and lets the rest through (oversize handling CONTINUE)."""

    BODY = "body"
    QUERY_STRING = "query_string"

    @property
    def field_to_match(self) -> dict[str, Any]:
        return {"body": {"oversize_handling": "CONTINUE"}} if self is RequestComponent.BODY else {"query_string": {}}


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
    """Which requests the web ACL's log keeps. ALL: every inspected request. BLOCKED_AND_COUNTED: only
    requests a rule blocked or counted (what staging a rule needs), a fraction of the volume."""

    ALL = "all"
    BLOCKED_AND_COUNTED = "blocked_and_counted"


class IpSet(NamedTuple):
    """An ``aws_wafv2_ip_set`` a rule references; ``key`` (``allow-v4``) names its ARN for the statement."""

    kind: str
    version: int
    addresses: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.kind}-v{self.version}"


@runtime_checkable
class WafRuleSpec(Protocol):
    """One rule kind: its name, priority and capacity (WCU, from AWS's prices); the IP sets and custom
    response bodies (key -> JSON) it needs; its verdict under the web ACL's ``mode``; its ``action`` (or
    ``override_action``) block for a verdict; its ``statement`` block given the ARNs of its IP sets."""

    @property
    def name(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def wcu(self) -> int: ...
    @property
    def ip_sets(self) -> tuple[IpSet, ...]: ...
    @property
    def response_bodies(self) -> Mapping[str, str]: ...
    def verdict(self, mode: RuleAction, /) -> Verdict: ...
    def render_action(self, verdict: Verdict, /) -> dict[str, Any]: ...
    def render_statement(self, ip_set_arns: Mapping[str, str], /) -> dict[str, Any]: ...


def _any_of(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return statements[0] if len(statements) == 1 else {"or_statement": {"statement": statements}}


def _distinct(field: str, values: tuple[Any, ...], noun: str) -> tuple[Any, ...]:
    if not values:
        raise ConfigError(field, values, f"at least one {noun}")
    unique(field, values, f"each {noun} at most once")
    return values


class RuleSpec(ConfigModel):
    """What the rule kinds share: a protective rule whose action defaults to the web ACL's mode."""

    @property
    def ip_sets(self) -> tuple[IpSet, ...]:
        return ()

    @property
    def response_bodies(self) -> Mapping[str, str]:
        return {}

    def verdict(self, mode: RuleAction) -> Verdict:
        return Verdict((getattr(self, "action", None) or mode).value)

    def render_action(self, verdict: Verdict) -> dict[str, Any]:
        return {"action": {verdict.value: {}}}


class ManagedRules(RuleSpec):
    """One AWS managed rule group in the web ACL."""

    config_path = "waf.managed_rules"
    key_field = "group"

    group: ManagedRuleGroup
    """Which group."""
    priority: Priority = Field(default_factory=lambda data: data["group"].default_priority)
    """Evaluation order (lower first). Default: the group's slot: IP reputation 20, anonymous IP 25, known
    bad inputs 30, common 40, SQLi 50."""
    action: RuleAction | None = None
    """COUNT or BLOCK for the whole group. Default: the web ACL's ``mode``."""
    rule_action_overrides: Annotated[
        Mapping[str, RuleAction], AfterValidator(MappingProxyType), PlainSerializer(dict)
    ] = Field(default_factory=dict)
    """Sub-rule name -> action, e.g. ``{"SizeRestrictions_BODY": RuleAction.COUNT}`` to only count large
    bodies. Default: none; every sub-rule keeps AWS's action."""
    excluded_rules: tuple[str, ...] = ()
    """Sub-rules that never block (a COUNT override, WAFv2's form of exclusion, so matches still show in
    metrics and logs). Default: none."""
    version: Version | None = None
    """A static version such as ``Version_1.10``. Default: the group's default version."""
    name: RuleName = Field(default_factory=lambda data: data["group"].default_rule_name)
    """The rule's name in the web ACL. Default: ``aws-common``, ``aws-sqli``..."""

    @model_validator(mode="after")
    def _known_sub_rules(self) -> ManagedRules:
        allowed = "one of " + ", ".join(map(repr, self.group.sub_rules))
        for field in ("rule_action_overrides", "excluded_rules"):
            if unknown := [sub_rule for sub_rule in getattr(self, field) if sub_rule not in self.group.sub_rules]:
                raise ConfigError(field, unknown[0], allowed)
        if both := [sub_rule for sub_rule in self.excluded_rules if sub_rule in self.rule_action_overrides]:
            allowed = "a sub-rule that has no entry in rule_action_overrides (an exclusion already counts it)"
            raise ConfigError("excluded_rules", both[0], allowed)
        unique("excluded_rules", self.excluded_rules, "each sub-rule at most once")
        return self

    @property
    def sub_rule_actions(self) -> tuple[tuple[str, RuleAction], ...]:
        """Every overridden sub-rule and its action: exclusions (COUNT) first, then explicit overrides."""
        return tuple((name, RuleAction.COUNT) for name in self.excluded_rules) + tuple(
            self.rule_action_overrides.items()
        )

    @property
    def wcu(self) -> int:
        return self.group.wcu

    def render_action(self, verdict: Verdict) -> dict[str, Any]:
        # A group's own actions apply (``none``) unless the whole group only counts.
        return {"override_action": {"count": {}} if verdict is Verdict.COUNT else {"none": {}}}

    def render_statement(self, _ip_set_arns: Mapping[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.group.value, "vendor_name": "AWS"}
        if self.version is not None:
            body["version"] = self.version
        if self.sub_rule_actions:
            body["rule_action_override"] = [
                {"name": name, "action_to_use": {action.value: {}}} for name, action in self.sub_rule_actions
            ]
        return {"managed_rule_group_statement": body}


class RateLimit(RuleSpec):
    """Per-IP rate limiting; over the limit, requests get HTTP 429 with a JSON body and ``Retry-After``."""

    config_path = "waf.rate_limit"

    limit: int = Field(2000, ge=aws.RATE_LIMIT_MINIMUM, le=aws.RATE_LIMIT_MAXIMUM)
    """Requests allowed per IP in each window. Default: 2,000, the seed's limit."""
    window_seconds: Annotated[int, OneOf(aws.RATE_WINDOWS_SECONDS)] = 300
    """The evaluation window. Default: 300 s (the seed's 5 minutes)."""
    retry_after_seconds: int = Field(default_factory=lambda data: data["window_seconds"], ge=1, le=86_400)
    """The ``Retry-After`` header value. Default: the window, the longest a client can still be over the limit."""
    priority: Priority = 10
    """Evaluation order. Default: 10, after the IP lists and geo blocking, before the managed groups, so
    every request from an IP counts towards its rate."""
    action: Action = None
    name: RuleName = "rate-limit-per-ip"
    """The rule's name. Default: ``rate-limit-per-ip``."""

    wcu: ClassVar[int] = aws.WCU_RATE_BASED

    @property
    def response_bodies(self) -> Mapping[str, str]:
        message = f"Rate limit exceeded: at most {self.limit} requests per {self.window_seconds} seconds per client IP."
        body = {"error": "TooManyRequests", "message": message, "retryAfterSeconds": self.retry_after_seconds}
        return {RATE_LIMITED_BODY_KEY: json.dumps(body, separators=(",", ":"))}

    def render_action(self, verdict: Verdict) -> dict[str, Any]:
        if verdict is not Verdict.BLOCK:
            return super().render_action(verdict)
        header = {"name": "Retry-After", "value": str(self.retry_after_seconds)}
        response = {
            "response_code": 429,
            "custom_response_body_key": RATE_LIMITED_BODY_KEY,
            "response_header": [header],
        }
        return {"action": {"block": {"custom_response": response}}}

    def render_statement(self, _ip_set_arns: Mapping[str, str]) -> dict[str, Any]:
        statement = {"limit": self.limit, "evaluation_window_sec": self.window_seconds, "aggregate_key_type": "IP"}
        return {"rate_based_statement": statement}


def content_length_over(limit: int) -> str:
    """A regex matching exactly the decimal numbers greater than ``limit`` (no leading zeros, or any number
    of digits more than ``limit`` has): WAF compares header text, not numbers."""
    digits = str(limit)
    longer = f"[1-9][0-9]{{{len(digits)},}}"
    same_length = []
    for i, digit in enumerate(digits):
        if digit == "9":
            continue
        higher = str(int(digit) + 1) if digit == "8" else f"{int(digit) + 1}-9"
        rest = len(digits) - i - 1
        same_length.append(f"{digits[:i]}[{higher}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "^0*(" + "|".join([longer, *same_length]) + ")$"


class BodySizeLimit(RuleSpec):
    """Requests with a body over the API's limit (``MAX_BODY_BYTES``, the handler's), and GET or HEAD requests
    with any body, get HTTP 413 with a JSON body before they reach API Gateway's Lambda integrations.

    WAF sees only the first 16 KB of a body in front of API Gateway (more costs extra per request), so the size
    is read from ``Content-Length`` (a request without it and over the limit still meets the handler's check);
    a GET/HEAD body is found by its first byte (oversize handling MATCH). The common rule set's 8 KB
    ``SizeRestrictions_BODY`` only counts: the API accepts up to 64 KB.
    """

    config_path = "waf.body_size_limit"

    priority: Priority = 5
    """Evaluation order. Default: 5, after the IP lists and geo blocking, before the rate limit."""
    action: Action = None
    name: RuleName = "body-size-limit"
    """The rule's name. Default: ``body-size-limit``."""

    max_body_bytes: ClassVar[int] = MAX_BODY_BYTES
    wcu: ClassVar[int] = 2 * aws.WCU_REGEX_MATCH + aws.WCU_SIZE_CONSTRAINT

    @property
    def response_bodies(self) -> Mapping[str, str]:
        message = f"Request body too large: at most {self.max_body_bytes} bytes, and none on GET or HEAD."
        body = {"error": "PayloadTooLarge", "message": message, "maxBodyBytes": self.max_body_bytes}
        return {BODY_TOO_LARGE_BODY_KEY: json.dumps(body, separators=(",", ":"))}

    def render_action(self, verdict: Verdict) -> dict[str, Any]:
        if verdict is not Verdict.BLOCK:
            return super().render_action(verdict)
        response = {"response_code": 413, "custom_response_body_key": BODY_TOO_LARGE_BODY_KEY}
        return {"action": {"block": {"custom_response": response}}}

    def render_statement(self, _ip_set_arns: Mapping[str, str]) -> dict[str, Any]:
        none = [{"priority": 0, "type": "NONE"}]
        too_large = {
            "regex_match_statement": {
                "field_to_match": {"single_header": {"name": "content-length"}},
                "regex_string": content_length_over(self.max_body_bytes),
                "text_transformation": none,
            }
        }
        read_with_body = {
            "and_statement": {
                "statement": [
                    {
                        "regex_match_statement": {
                            "field_to_match": {"method": {}},
                            "regex_string": "^(GET|HEAD)$",
                            "text_transformation": none,
                        }
                    },
                    {
                        "size_constraint_statement": {
                            "field_to_match": {"body": {"oversize_handling": "MATCH"}},
                            "comparison_operator": "GT",
                            "size": 0,
                            "text_transformation": none,
                        }
                    },
                ]
            }
        }
        return {"or_statement": {"statement": [too_large, read_with_body]}}


class GeoBlock(RuleSpec):
    """Block (or count) requests from these countries."""

    config_path = "waf.geo_block"

    country_codes: tuple[str, ...]
    """ISO 3166-1 alpha-2 codes in upper case, e.g. ``("KP", "IR")``."""
    priority: Priority = 2
    """Evaluation order. Default: 2, right after the IP lists."""
    action: Action = None
    name: RuleName = "geo-block"
    """The rule's name. Default: ``geo-block``."""

    @field_validator("country_codes")
    @classmethod
    def _iso_codes(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        if unknown := [code for code in codes if code not in aws.ISO_COUNTRY_CODES]:
            raise ConfigError(
                "country_codes", unknown[0], "an upper-case ISO 3166-1 alpha-2 code such as 'US', 'DE' or 'KP'"
            )
        return _distinct("country_codes", codes, "country code")

    wcu: ClassVar[int] = aws.WCU_GEO_MATCH

    def render_statement(self, _ip_set_arns: Mapping[str, str]) -> dict[str, Any]:
        return {"geo_match_statement": {"country_codes": list(self.country_codes)}}


class _IpList(RuleSpec):
    """CIDR blocks in one IP set per IP version, each referenced by a statement (OR-ed)."""

    ip_set_kind: ClassVar[str]
    addresses: tuple[str, ...]
    """IPv4 and/or IPv6 CIDR blocks; each version gets its own IP set."""

    @field_validator("addresses")
    @classmethod
    def _cidr_blocks(cls, addresses: tuple[str, ...]) -> tuple[str, ...]:
        if len(addresses) > 10_000:
            raise ConfigError("addresses", f"{len(addresses)} addresses", "at most 10,000 (an IP set's limit)")
        normalised = []
        for address in addresses:
            try:
                network = ipaddress.ip_network(address, strict=True) if "/" in address else None
            except ValueError:
                network = None
            if network is None:
                example = "e.g. '203.0.113.0/24' or '2001:db8::/32'"
                raise ConfigError("addresses", address, f"a CIDR block with no host bits set, {example}")
            if network.prefixlen == 0:
                raise ConfigError("addresses", address, "a prefix length of at least /1 (AWS rejects /0)")
            normalised.append(str(network))
        return _distinct("addresses", tuple(normalised), "CIDR block")

    @property
    def ip_sets(self) -> tuple[IpSet, ...]:
        by_version = {v: tuple(a for a in self.addresses if (":" in a) == (v == 6)) for v in (4, 6)}
        return tuple(IpSet(self.ip_set_kind, v, addresses) for v, addresses in by_version.items() if addresses)

    @property
    def wcu(self) -> int:
        return aws.WCU_IP_SET_REFERENCE * len(self.ip_sets)

    def render_statement(self, ip_set_arns: Mapping[str, str]) -> dict[str, Any]:
        return _any_of([{"ip_set_reference_statement": {"arn": ip_set_arns[s.key]}} for s in self.ip_sets])


class IpAllowList(_IpList):
    """Trusted networks that skip every later rule (rate limit and managed groups included)."""

    config_path = "waf.ip_allow_list"
    ip_set_kind = "allow"

    priority: Priority = 0
    """Evaluation order. Default: 0, first."""
    name: RuleName = "ip-allow-list"
    """The rule's name. Default: ``ip-allow-list``."""

    def verdict(self, _mode: RuleAction) -> Verdict:
        return Verdict.ALLOW  # staging protective rules (COUNT) never stages trust


class IpDenyList(_IpList):
    """Networks to block (or count) outright."""

    config_path = "waf.ip_deny_list"
    ip_set_kind = "deny"

    priority: Priority = 1
    """Evaluation order. Default: 1, after the allow list."""
    action: Action = None
    name: RuleName = "ip-deny-list"
    """The rule's name. Default: ``ip-deny-list``."""


class InjectionMatch(RuleSpec):
    """An explicit XSS or SQL injection match on the body and/or query string. The managed groups already
    cover both attacks; an explicit statement adds a check whose components and transformations you choose."""

    config_path = "waf.injection_matches"
    key_field = "attack"

    attack: InjectionAttack
    """XSS or SQLI."""
    priority: Priority = Field(default_factory=lambda data: 60 if data["attack"] is InjectionAttack.XSS else 61)
    """Evaluation order. Default: 60 for XSS, 61 for SQLI (after the managed groups)."""
    components: tuple[RequestComponent, ...] = (RequestComponent.BODY, RequestComponent.QUERY_STRING)
    """What to inspect; one statement per component, OR-ed. Default: body and query string."""
    text_transformations: tuple[TextTransformation, ...] = (
        TextTransformation.URL_DECODE,
        TextTransformation.HTML_ENTITY_DECODE,
    )
    """Applied in order before inspection. Default: URL decode, then HTML entity decode."""
    action: Action = None
    name: RuleName = Field(default_factory=lambda data: f"{data['attack'].value}-match")
    """The rule's name. Default: ``xss-match`` or ``sqli-match``."""

    @field_validator("components", "text_transformations")
    @classmethod
    def _at_least_one_each_once(cls, values: tuple[enum.Enum, ...], info: ValidationInfo) -> tuple[enum.Enum, ...]:
        noun = "RequestComponent" if info.field_name == "components" else "TextTransformation"
        return _distinct(str(info.field_name), values, noun)

    @property
    def wcu(self) -> int:
        per_component = self.attack.base_wcu + aws.WCU_PER_TEXT_TRANSFORMATION * len(self.text_transformations)
        return per_component * len(self.components)

    def render_statement(self, _ip_set_arns: Mapping[str, str]) -> dict[str, Any]:
        transformations = [{"priority": i, "type": t.value} for i, t in enumerate(self.text_transformations)]
        return _any_of(
            [
                {
                    f"{self.attack.value}_match_statement": {
                        "field_to_match": c.field_to_match,
                        "text_transformation": transformations,
                    }
                }
                for c in self.components
            ]
        )


#: The seed's protections: IP reputation, known bad inputs (Log4j), the common rule set (XSS,
#: size limits) and SQL injection; 1,127 WCU with the rate limit. The core rule set's
#: SizeRestrictions_BODY (bodies over 8 KB) only counts: ``POST /api/projects`` accepts JSON
#: bodies up to 64 kB and answers 413 itself above that, so blocking at 8 KB would reject
#: valid requests. Every other sub-rule keeps AWS's action.
DEFAULT_MANAGED_RULES: tuple[ManagedRules, ...] = (
    ManagedRules(group=ManagedRuleGroup.IP_REPUTATION),
    ManagedRules(group=ManagedRuleGroup.KNOWN_BAD_INPUTS),
    ManagedRules(group=ManagedRuleGroup.COMMON, excluded_rules=("SizeRestrictions_BODY",)),
    ManagedRules(group=ManagedRuleGroup.SQLI),
)


class WafConfig(ConfigModel):
    """The regional web ACL in front of the API stage. The default action is allow.

    Every field holding rule specs (one, or a tuple) contributes to :attr:`rules`; the fields are
    declared in the evaluation order of their default priorities.
    """

    config_path = "waf"

    enabled: bool = True
    """Create and associate the web ACL. Default: on."""
    mode: RuleAction = RuleAction.BLOCK
    """The action of every protective rule that sets none itself; COUNT stages rules (dev, staging), BLOCK
    enforces them (prod). Default: BLOCK."""
    ip_allow_list: InstanceOf[IpAllowList] | None = None
    """Trusted networks. Default: none."""
    ip_deny_list: InstanceOf[IpDenyList] | None = None
    """Blocked networks. Default: none."""
    geo_block: InstanceOf[GeoBlock] | None = None
    """Countries to block. Default: none."""
    body_size_limit: InstanceOf[BodySizeLimit] | None = BodySizeLimit()
    """Bodies over the API's 64 KB limit, and bodies on GET/HEAD, get a JSON 413. Default: on; ``None`` removes it."""
    rate_limit: InstanceOf[RateLimit] | None = RateLimit()
    """Per-IP rate limiting. Default: 2,000 requests per 300 s, the seed's limit; ``None`` removes it."""
    managed_rules: tuple[InstanceOf[ManagedRules], ...] = DEFAULT_MANAGED_RULES
    """AWS managed rule groups. Default: IP reputation, known bad inputs, the common rule set (its 8 KB body
    limit only counts) and SQLi."""
    injection_matches: tuple[InstanceOf[InjectionMatch], ...] = ()
    """Explicit XSS/SQLi match statements. Default: none (the managed groups cover both)."""
    capacity_budget_wcu: int = Field(aws.INCLUDED_CAPACITY_WCU, ge=1, le=aws.MAXIMUM_CAPACITY_WCU)
    """The most capacity the rule set may use. Default: 1,500, the capacity included in the web ACL's price.
    Up to 5,000 is possible, but only together with ``extra_capacity_cost_usd_per_million_requests``."""
    extra_capacity_cost_usd_per_million_requests: float = Field(0.0, ge=0)
    """The extra charge of a budget above 1,500 WCU ($0.20 per million requests per started 500 WCU), stated
    so the cost is a deliberate, reviewed choice. Default: 0 (no extra capacity)."""
    log_filter: WafLogFilter = WafLogFilter.ALL
    """Which requests the WAF log keeps. Default: ALL."""

    @property
    def rules(self) -> tuple[WafRuleSpec, ...]:
        """Every rule of the web ACL, in evaluation (priority) order."""
        values = [getattr(self, field) for field in type(self).model_fields]
        specs = [spec for value in values for spec in (value if isinstance(value, tuple) else (value,))]
        return tuple(sorted((s for s in specs if isinstance(s, WafRuleSpec)), key=lambda spec: spec.priority))

    @property
    def capacity_wcu(self) -> int:
        """The web ACL's capacity: the sum of its rules' WCUs."""
        return sum(spec.wcu for spec in self.rules)

    @model_validator(mode="after")
    def _valid_rule_set(self) -> WafConfig:
        groups = [m.group for m in self.managed_rules]
        if twice := [group for group in groups if groups.count(group) > 1]:
            raise ConfigError("managed_rules", twice[0], "each ManagedRuleGroup at most once")
        for attribute in ("name", "priority"):
            seen: dict[object, str] = {}
            for spec in self.rules:
                value = getattr(spec, attribute)
                if value in seen:
                    allowed = f"a {attribute} no other rule uses (rule {seen[value]!r} already has it)"
                    raise ConfigError(f"rules[{spec.name}].{attribute}", value, allowed)
                seen[value] = spec.name
        budget, cost = self.capacity_budget_wcu, self.extra_capacity_cost_usd_per_million_requests
        if round(cost, 2) != (expected := extra_capacity_cost_usd_per_million_requests(budget)):
            raise ConfigError(
                "extra_capacity_cost_usd_per_million_requests",
                cost,
                f"{expected} (capacity_budget_wcu={budget} is {max(0, budget - aws.INCLUDED_CAPACITY_WCU)} WCU above "
                f"the included {aws.INCLUDED_CAPACITY_WCU}; AWS charges "
                f"${aws.EXTRA_CAPACITY_USD_PER_MILLION_REQUESTS_PER_BLOCK:.2f} per million requests for each "
                f"started {aws.EXTRA_CAPACITY_BLOCK_WCU} WCU)",
            )
        if self.capacity_wcu > budget:
            breakdown = ", ".join(f"{spec.name} {spec.wcu}" for spec in self.rules)
            allowed = f"at most capacity_budget_wcu={budget} (rules: {breakdown})"
            raise ConfigError("capacity_wcu", self.capacity_wcu, allowed)
        return self
