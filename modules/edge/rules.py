"""A typed WAFv2 rule model that renders the exact rule blocks of ``aws_wafv2_web_acl``.

The prebuilt bindings type a rule's ``statement`` as ``Any``, so a misspelt key
would only fail at apply time (and jsii drops snake_case keys of plain dicts
nested in lists). Here every statement is a frozen dataclass with one
``render()``; :func:`build_rule_set` turns a validated :class:`WafConfig` into
a :class:`WafRuleSet`, and ``modules/edge/waf.py`` sets the rendered list verbatim
with an escape hatch. Blocks that occur at most once render as objects,
repeatable blocks as lists, exactly as Terraform's JSON syntax reads them.

Pure Python, no cdktf import: the model is testable on its own.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from environments.config.waf import (
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
    ip_versions,
)

#: The key of the web ACL's custom response body that rate-limited clients receive.
RATE_LIMITED_BODY_KEY = "rate-limited"
#: HTTP status for rate-limited requests.
TOO_MANY_REQUESTS = 429
#: The vendor of every AWS managed rule group.
AWS_VENDOR = "AWS"
#: Bodies larger than the inspection limit (16 KB by default for API Gateway): inspect the first part, then continue.
BODY_OVERSIZE_HANDLING = "CONTINUE"


class Verdict(enum.Enum):
    """What a rule does on a match, including ALLOW (only the IP allow list allows)."""

    ALLOW = "allow"
    COUNT = "count"
    BLOCK = "block"

    @classmethod
    def of(cls, action: RuleAction) -> Verdict:
        return cls(action.value)


# ----------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class ManagedRuleGroupStatement:
    """``managed_rule_group_statement``: an AWS managed group, with per-sub-rule action overrides."""

    group: ManagedRuleGroup
    sub_rule_actions: tuple[tuple[str, RuleAction], ...] = ()
    version: str | None = None

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.group.value, "vendor_name": AWS_VENDOR}
        if self.version is not None:
            body["version"] = self.version
        if self.sub_rule_actions:
            body["rule_action_override"] = [
                {"name": name, "action_to_use": {action.value: {}}} for name, action in self.sub_rule_actions
            ]
        return {"managed_rule_group_statement": body}


@dataclass(frozen=True)
class RateBasedStatement:
    """``rate_based_statement``: at most ``limit`` requests per IP in ``window_seconds``."""

    limit: int
    window_seconds: int

    def render(self) -> dict[str, Any]:
        return {
            "rate_based_statement": {
                "limit": self.limit,
                "evaluation_window_sec": self.window_seconds,
                "aggregate_key_type": "IP",
            }
        }


@dataclass(frozen=True)
class GeoMatchStatement:
    """``geo_match_statement``: the request's source country is one of ``country_codes``."""

    country_codes: tuple[str, ...]

    def render(self) -> dict[str, Any]:
        return {"geo_match_statement": {"country_codes": list(self.country_codes)}}


@dataclass(frozen=True)
class IpSetReferenceStatement:
    """``ip_set_reference_statement``: the source IP is in the IP set ``arn`` (a Terraform reference)."""

    arn: str

    def render(self) -> dict[str, Any]:
        return {"ip_set_reference_statement": {"arn": self.arn}}


def _field_to_match(component: RequestComponent) -> dict[str, Any]:
    if component is RequestComponent.BODY:
        return {"body": {"oversize_handling": BODY_OVERSIZE_HANDLING}}
    return {"query_string": {}}


def _text_transformations(transformations: tuple[TextTransformation, ...]) -> list[dict[str, Any]]:
    return [{"priority": index, "type": t.value} for index, t in enumerate(transformations)]


@dataclass(frozen=True)
class XssMatchStatement:
    """``xss_match_statement`` on one request component."""

    component: RequestComponent
    text_transformations: tuple[TextTransformation, ...]

    def render(self) -> dict[str, Any]:
        return {
            "xss_match_statement": {
                "field_to_match": _field_to_match(self.component),
                "text_transformation": _text_transformations(self.text_transformations),
            }
        }


@dataclass(frozen=True)
class SqliMatchStatement:
    """``sqli_match_statement`` on one request component (sensitivity LOW, the provider default)."""

    component: RequestComponent
    text_transformations: tuple[TextTransformation, ...]

    def render(self) -> dict[str, Any]:
        return {
            "sqli_match_statement": {
                "field_to_match": _field_to_match(self.component),
                "text_transformation": _text_transformations(self.text_transformations),
            }
        }


@dataclass(frozen=True)
class OrStatement:
    """``or_statement``: matches when any nested statement does (at least two)."""

    statements: tuple[Statement, ...]

    def __post_init__(self) -> None:
        if len(self.statements) < 2:
            raise ValueError(f"an or_statement needs at least two statements, got {len(self.statements)}")

    def render(self) -> dict[str, Any]:
        return {"or_statement": {"statement": [s.render() for s in self.statements]}}


Statement = (
    ManagedRuleGroupStatement
    | RateBasedStatement
    | GeoMatchStatement
    | IpSetReferenceStatement
    | XssMatchStatement
    | SqliMatchStatement
    | OrStatement
)


def any_of(statements: tuple[Statement, ...]) -> Statement:
    """One statement, or an ``or_statement`` of several."""
    return statements[0] if len(statements) == 1 else OrStatement(statements)


# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class CustomResponse:
    """A BLOCK action's custom response: status, a body key of the web ACL, and headers."""

    status_code: int
    body_key: str
    headers: tuple[tuple[str, str], ...] = ()

    def render(self) -> dict[str, Any]:
        return {
            "response_code": self.status_code,
            "custom_response_body_key": self.body_key,
            "response_header": [{"name": name, "value": value} for name, value in self.headers],
        }


@dataclass(frozen=True)
class CustomResponseBody:
    """An entry of the web ACL's ``custom_response_body`` set."""

    key: str
    content: str
    content_type: str = "APPLICATION_JSON"


@dataclass(frozen=True)
class WafRule:
    """One rule of the web ACL.

    For a managed rule group the verdict becomes ``override_action`` (COUNT ->
    ``count {}``, BLOCK -> ``none {}``: the group's own actions apply); for any
    other statement it is the rule's ``action``.
    """

    name: str
    priority: int
    statement: Statement
    verdict: Verdict
    metric_name: str
    wcu: int
    custom_response: CustomResponse | None = None

    @property
    def is_managed_group(self) -> bool:
        return isinstance(self.statement, ManagedRuleGroupStatement)

    def render(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"name": self.name, "priority": self.priority}
        if self.is_managed_group:
            if self.verdict is Verdict.ALLOW:
                raise ValueError(f"rule {self.name!r}: a managed rule group cannot ALLOW")
            rule["override_action"] = {"count": {}} if self.verdict is Verdict.COUNT else {"none": {}}
        elif self.verdict is Verdict.BLOCK and self.custom_response is not None:
            rule["action"] = {"block": {"custom_response": self.custom_response.render()}}
        else:
            rule["action"] = {self.verdict.value: {}}
        rule["statement"] = self.statement.render()
        rule["visibility_config"] = visibility_config(self.metric_name)
        return rule


def visibility_config(metric_name: str) -> dict[str, Any]:
    """CloudWatch metrics and sampled requests on, for a rule or the web ACL."""
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric_name, "sampled_requests_enabled": True}


@dataclass(frozen=True)
class WafRuleSet:
    """The web ACL's rules in priority order, and the custom response bodies they use."""

    rules: tuple[WafRule, ...]
    custom_response_bodies: tuple[CustomResponseBody, ...] = ()

    def __post_init__(self) -> None:
        for attribute in ("name", "priority", "metric_name"):
            values = [getattr(rule, attribute) for rule in self.rules]
            duplicates = sorted({v for v in values if values.count(v) > 1}, key=str)
            if duplicates:
                raise ValueError(f"rule {attribute}s must be unique; duplicated: {duplicates}")
        keys = {body.key for body in self.custom_response_bodies}
        for rule in self.rules:
            if rule.custom_response is not None and rule.custom_response.body_key not in keys:
                raise ValueError(f"rule {rule.name!r} uses custom response body {rule.custom_response.body_key!r}")

    @property
    def wcu(self) -> int:
        return sum(rule.wcu for rule in self.rules)

    def rule(self, name: str) -> WafRule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(f"no WAF rule {name!r}; rules: {', '.join(r.name for r in self.rules)}")

    def render(self) -> list[dict[str, Any]]:
        """The ``rule`` blocks, as plain JSON-compatible data."""
        return [rule.render() for rule in self.rules]


# ----------------------------------------------------------------------------- from config


@dataclass(frozen=True)
class IpSetArns:
    """The ARNs (Terraform references) of the IP sets the construct created, per list and IP version."""

    allow: Mapping[int, str]
    deny: Mapping[int, str]


def rate_limited_body(rate_limit: RateLimit) -> CustomResponseBody:
    """The JSON body rate-limited clients receive."""
    content = json.dumps(
        {
            "error": "TooManyRequests",
            "message": f"Rate limit exceeded: at most {rate_limit.limit} requests per "
            f"{rate_limit.window_seconds} seconds per client IP.",
            "retryAfterSeconds": rate_limit.retry_after_seconds,
        },
        separators=(",", ":"),
    )
    return CustomResponseBody(key=RATE_LIMITED_BODY_KEY, content=content)


def build_rule_set(config: WafConfig, *, metric_prefix: str, ip_sets: IpSetArns) -> WafRuleSet:
    """The rule set a :class:`WafConfig` describes. ``metric_prefix`` keeps metric names unique per environment."""
    rules = []
    bodies = []
    for spec in config.rules:
        statement: Statement
        custom_response = None
        if isinstance(spec, ManagedRules):
            statement = ManagedRuleGroupStatement(spec.group, spec.sub_rule_actions, spec.version)
        elif isinstance(spec, RateLimit):
            statement = RateBasedStatement(spec.limit, spec.window_seconds)
            custom_response = CustomResponse(
                TOO_MANY_REQUESTS, RATE_LIMITED_BODY_KEY, (("Retry-After", str(spec.retry_after_seconds)),)
            )
            bodies.append(rate_limited_body(spec))
        elif isinstance(spec, GeoBlock):
            statement = GeoMatchStatement(spec.country_codes)
        elif isinstance(spec, (IpAllowList, IpDenyList)):
            arns = ip_sets.allow if isinstance(spec, IpAllowList) else ip_sets.deny
            statement = any_of(tuple(IpSetReferenceStatement(arns[v]) for v in ip_versions(spec.addresses)))
        elif isinstance(spec, InjectionMatch):
            kind = XssMatchStatement if spec.attack is InjectionAttack.XSS else SqliMatchStatement
            statement = any_of(tuple(kind(c, spec.text_transformations) for c in spec.components))
        else:  # pragma: no cover - WafConfig only holds the specs above
            raise TypeError(f"unsupported WAF rule spec {spec!r}")
        verdict = Verdict.ALLOW if isinstance(spec, IpAllowList) else Verdict.of(config.action_of(spec))
        rules.append(
            WafRule(
                name=spec.name,
                priority=spec.priority,
                statement=statement,
                verdict=verdict,
                metric_name=f"{metric_prefix}-{spec.name}",
                wcu=spec.wcu,
                custom_response=custom_response,
            )
        )
    return WafRuleSet(tuple(rules), tuple(bodies))
