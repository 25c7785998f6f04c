"""Turns a validated :class:`WafConfig` into the exact ``rule`` blocks of ``aws_wafv2_web_acl``.

Each rule kind renders its own ``action`` and ``statement`` as plain JSON (see
:class:`environments.config.waf.WafRuleSpec`, and the decision in that module's docstring);
this module only adds what every rule shares: name, priority, the verdict under the web
ACL's mode, and its CloudWatch metric. It knows no rule kind, so a new kind needs no change
here. ``modules/edge/waf.py`` sets the rendered list verbatim with an escape hatch: the
prebuilt bindings type ``statement`` as ``Any`` and jsii drops snake_case keys of plain
dicts nested in lists. Blocks that occur at most once render as objects, repeatable blocks
as lists, as Terraform's JSON syntax reads them.

Pure Python, no cdktf import: the model is testable on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from environments.config.waf import Verdict, WafConfig, WafRuleSpec


@dataclass(frozen=True)
class CustomResponseBody:
    """An entry of the web ACL's ``custom_response_body`` set."""

    key: str
    content: str
    content_type: str = "APPLICATION_JSON"


@dataclass(frozen=True)
class WafRule:
    """One rule of the web ACL: its spec, its verdict, its metric, and its rendered blocks."""

    spec: WafRuleSpec
    verdict: Verdict
    metric_name: str
    action: Mapping[str, Any]
    statement: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def priority(self) -> int:
        return self.spec.priority

    @property
    def wcu(self) -> int:
        return self.spec.wcu

    def render(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "priority": self.priority,
            **self.action,
            "statement": self.statement,
            "visibility_config": visibility_config(self.metric_name),
        }


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


def build_rule_set(config: WafConfig, *, metric_prefix: str, ip_set_arns: Mapping[str, str]) -> WafRuleSet:
    """The rule set a :class:`WafConfig` describes.

    metric_prefix: keeps metric names unique per environment (``<prefix>-<rule name>``).
    ip_set_arns: the ARN (a Terraform reference) of each IP set the rules need, by ``IpSet.key``.
    """
    rules = []
    for spec in config.rules:
        verdict = spec.verdict(config.mode)
        action, statement = spec.render_action(verdict), spec.render_statement(ip_set_arns)
        rules.append(WafRule(spec, verdict, f"{metric_prefix}-{spec.name}", action, statement))
    bodies = [
        CustomResponseBody(key, content) for spec in config.rules for key, content in spec.response_bodies.items()
    ]
    return WafRuleSet(tuple(rules), tuple(bodies))
