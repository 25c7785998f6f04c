"""The WebAcl construct: synthesized resources, `terraform validate`, an apply to the moto server, and the stacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments import ENVIRONMENTS, load
from environments.config.waf import (
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
    WafConfig,
    WafLogFilter,
)
from modules.core.naming import Naming
from modules.core.refs import RestApiRef
from tests.synth import Synthesized, synth_scope

STAGE_ARN = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/v1"
API = RestApiRef(
    rest_api_id="a1b2c3d4e5",
    name="agenticai-waftest",
    stage_name="v1",
    stage_arn=STAGE_ARN,
    execution_arn="arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5",
    invoke_url="https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/v1",
)
PREFIX = "agenticai-waftest"

#: Every statement type and option at once: staged COUNT mode with per-rule BLOCK overrides.
FULL = WafConfig(
    mode=RuleAction.COUNT,
    rate_limit=RateLimit(limit=100, window_seconds=60, action=RuleAction.BLOCK),
    body_size_limit=BodySizeLimit(action=RuleAction.BLOCK),
    managed_rules=(
        ManagedRules(ManagedRuleGroup.IP_REPUTATION),
        ManagedRules(ManagedRuleGroup.ANONYMOUS_IP, excluded_rules=("HostingProviderIPList",)),
        ManagedRules(ManagedRuleGroup.KNOWN_BAD_INPUTS, action=RuleAction.BLOCK),
        ManagedRules(
            ManagedRuleGroup.COMMON,
            excluded_rules=("SizeRestrictions_BODY",),
            rule_action_overrides={"NoUserAgent_HEADER": RuleAction.COUNT},
        ),
        ManagedRules(ManagedRuleGroup.SQLI),
    ),
    geo_block=GeoBlock(("KP", "IR")),
    ip_allow_list=IpAllowList(("203.0.113.0/24", "2001:db8::/32")),
    ip_deny_list=IpDenyList(("198.51.100.0/24",), action=RuleAction.BLOCK),
    injection_matches=(
        InjectionMatch(InjectionAttack.XSS),
        InjectionMatch(InjectionAttack.SQLI, components=(RequestComponent.BODY,)),
    ),
    log_filter=WafLogFilter.BLOCKED_AND_COUNTED,
)


def build(config: WafConfig, *, retention_days: int = 30):
    from modules.core.kms import DataKey
    from modules.edge.waf import WebAcl

    holder = {}

    def add(stack) -> None:
        holder["waf"] = WebAcl(
            stack,
            "waf",
            config=config,
            api=API,
            naming=Naming(PREFIX),
            log_retention_days=retention_days,
            data_key=DataKey(stack, "data-key", naming=Naming(PREFIX)),
        )

    return synth_scope(add), holder["waf"]


@pytest.fixture(scope="module")
def full() -> tuple[Synthesized, object]:
    return build(FULL)


@pytest.fixture(scope="module")
def default() -> tuple[Synthesized, object]:
    return build(WafConfig(), retention_days=14)


# ----------------------------------------------------------------------------- synthesized resources


def test_web_acl_is_regional_allows_by_default_and_has_its_own_metric(full) -> None:
    stack, _ = full
    acl = stack.resource("aws_wafv2_web_acl", name=f"{PREFIX}-waf")
    assert acl["scope"] == "REGIONAL"
    assert acl["default_action"] == {"allow": {}}
    assert acl["visibility_config"] == {
        "cloudwatch_metrics_enabled": True,
        "metric_name": f"{PREFIX}-waf",
        "sampled_requests_enabled": True,
    }


def test_web_acl_rules_are_the_rendered_rule_set_verbatim(full) -> None:
    stack, waf = full
    rules = stack.resource("aws_wafv2_web_acl", name=f"{PREFIX}-waf")["rule"]
    assert len(rules) == len(FULL.rules) == 12
    ip_sets = {ip["name"]: ip for ip in stack.resources("aws_wafv2_ip_set")}
    expected = json.loads(json.dumps(waf.rule_set.render()))
    # IP set ARNs are Terraform references to this construct's IP sets.
    references = {f"${{{address(stack, 'aws_wafv2_ip_set', name=name)}.arn}}" for name in ip_sets}
    assert set(_arns(rules)) == references
    assert rules == _resolve_tokens(expected, rules)
    assert len(ip_sets) == 3


def _resolve_tokens(expected: list, synthesized: list) -> list:
    """The rendered list carries cdktf tokens for ARNs; compare with the synthesized references by position."""
    text = json.dumps(expected)
    for token, reference in zip(_arns(expected), _arns(synthesized), strict=True):
        text = text.replace(token, reference)
    return json.loads(text)


def _arns(rules: list) -> list[str]:
    found = []
    for rule in rules:
        for statement in rule["statement"].get("or_statement", {}).get("statement", [rule["statement"]]):
            if "ip_set_reference_statement" in statement:
                found.append(statement["ip_set_reference_statement"]["arn"])
    return found


def test_staged_modes_and_per_rule_overrides_render_as_the_provider_expects(full) -> None:
    stack, _ = full
    rules = {r["name"]: r for r in stack.resource("aws_wafv2_web_acl", name=f"{PREFIX}-waf")["rule"]}
    assert rules["aws-common"]["override_action"] == {"count": {}}
    assert rules["aws-known-bad-inputs"]["override_action"] == {"none": {}}
    assert rules["geo-block"]["action"] == {"count": {}}
    assert rules["ip-deny-list"]["action"] == {"block": {}}
    assert rules["ip-allow-list"]["action"] == {"allow": {}}
    assert rules["rate-limit-per-ip"]["action"]["block"]["custom_response"] == {
        "custom_response_body_key": "rate-limited",
        "response_code": 429,
        "response_header": [{"name": "Retry-After", "value": "60"}],
    }
    assert rules["aws-anonymous-ip"]["statement"]["managed_rule_group_statement"]["rule_action_override"] == [
        {"action_to_use": {"count": {}}, "name": "HostingProviderIPList"}
    ]
    assert {r["visibility_config"]["metric_name"] for r in rules.values()} == {f"{PREFIX}-waf-{n}" for n in rules}


def test_rate_limited_clients_get_a_json_body(full) -> None:
    stack, _ = full
    bodies = stack.resource("aws_wafv2_web_acl", name=f"{PREFIX}-waf")["custom_response_body"]
    (body,) = [b for b in bodies if b["key"] == "rate-limited"]
    assert body["content_type"] == "APPLICATION_JSON"
    assert json.loads(body["content"])["retryAfterSeconds"] == 60


def test_ip_sets_per_list_and_version(full) -> None:
    stack, _ = full
    sets = {(s["name"], s["ip_address_version"]): s for s in stack.resources("aws_wafv2_ip_set")}
    assert set(sets) == {
        (f"{PREFIX}-waf-allow-ipv4", "IPV4"),
        (f"{PREFIX}-waf-allow-ipv6", "IPV6"),
        (f"{PREFIX}-waf-deny-ipv4", "IPV4"),
    }
    assert sets[(f"{PREFIX}-waf-allow-ipv6", "IPV6")]["addresses"] == ["2001:db8::/32"]
    assert all(s["scope"] == "REGIONAL" for s in sets.values())


def test_web_acl_data_protection_redacts_credentials_in_sampled_requests(full) -> None:
    """Logging's redacted_fields do not reach sampled requests; the web ACL's data protection does."""
    stack, _ = full
    acl = stack.resource("aws_wafv2_web_acl")
    assert acl["data_protection_config"] == {
        "data_protection": [
            {
                "action": "SUBSTITUTION",
                "field": {"field_type": "SINGLE_HEADER", "field_keys": ["x-api-key", "authorization"]},
                "exclude_rule_match_details": False,
                "exclude_rate_based_details": False,
            }
        ]
    }
    assert acl["visibility_config"]["sampled_requests_enabled"] is True  # samples stay on: they are redacted


def test_logs_go_to_a_waf_log_group_with_credentials_redacted(full) -> None:
    stack, _ = full
    group = stack.resource("aws_cloudwatch_log_group", name=f"aws-waf-logs-{PREFIX}")
    assert group["retention_in_days"] == 30
    logging = stack.resource("aws_wafv2_web_acl_logging_configuration")
    log_group = address(stack, "aws_cloudwatch_log_group", name=f"aws-waf-logs-{PREFIX}")
    assert logging["log_destination_configs"] == [f"${{{log_group}.arn}}"]
    assert logging["resource_arn"].startswith("${aws_wafv2_web_acl.")
    assert logging["resource_arn"].endswith(".arn}")
    assert logging["redacted_fields"] == [
        {"single_header": {"name": "x-api-key"}},
        {"single_header": {"name": "authorization"}},
    ]
    assert logging["logging_filter"] == {
        "default_behavior": "DROP",
        "filter": [
            {
                "behavior": "KEEP",
                "requirement": "MEETS_ANY",
                "condition": [
                    {"action_condition": {"action": "BLOCK"}},
                    {"action_condition": {"action": "COUNT"}},
                    {"action_condition": {"action": "EXCLUDED_AS_COUNT"}},
                ],
            }
        ],
    }


def test_log_group_has_its_own_delivery_policy(full) -> None:
    stack, _ = full
    policy = stack.resource("aws_cloudwatch_log_resource_policy", policy_name=f"{PREFIX}-waf-logs")
    (statement,) = json.loads(policy["policy_document"])["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    log_group = address(stack, "aws_cloudwatch_log_group", name=f"aws-waf-logs-{PREFIX}")
    assert statement["Resource"] == f"${{{log_group}.arn}}:*"
    assert set(statement["Condition"]) == {"ArnLike", "StringEquals"}
    assert stack.resource("aws_wafv2_web_acl_logging_configuration")["depends_on"] == [
        address(stack, "aws_cloudwatch_log_resource_policy", policy_name=f"{PREFIX}-waf-logs")
    ]


def test_association_with_the_api_stage(full) -> None:
    stack, _ = full
    association = stack.resource("aws_wafv2_web_acl_association")
    assert association["resource_arn"] == STAGE_ARN
    assert association["web_acl_arn"] == f"${{{address(stack, 'aws_wafv2_web_acl', name=f'{PREFIX}-waf')}.arn}}"


def test_metrics_for_monitoring_name_the_web_acl_and_every_rule(full) -> None:
    stack, waf = full
    rules = stack.resource("aws_wafv2_web_acl", name=f"{PREFIX}-waf")["rule"]
    assert waf.metrics.web_acl_name == f"{PREFIX}-waf"
    assert set(waf.metrics.rule_metric_names) == {r["visibility_config"]["metric_name"] for r in rules}
    assert len(waf.metrics.rule_metric_names) == len(rules)


def test_default_config_keeps_every_log_and_creates_no_ip_sets(default) -> None:
    stack, waf = default
    assert stack.count("aws_wafv2_ip_set") == 0
    assert "logging_filter" not in stack.resource("aws_wafv2_web_acl_logging_configuration")
    assert stack.resource("aws_cloudwatch_log_group", name=f"aws-waf-logs-{PREFIX}")["retention_in_days"] == 14
    names = [r["name"] for r in stack.resource("aws_wafv2_web_acl", name=f"{PREFIX}-waf")["rule"]]
    assert names == [
        "body-size-limit",
        "rate-limit-per-ip",
        "aws-ip-reputation",
        "aws-known-bad-inputs",
        "aws-common",
        "aws-sqli",
    ]
    assert waf.rule_set.wcu == 1134


# ----------------------------------------------------------------------------- real tools


def address(stack: Synthesized, type_: str, **match) -> str:
    """``type.logical_id`` of the single matching resource, for comparing references (never hard-coded)."""
    found = [
        key
        for key, body in stack.document["resource"][type_].items()
        if all(body.get(k) == v for k, v in match.items())
    ]
    assert len(found) == 1, found
    return f"{type_}.{found[0]}"


def _write(stack: Synthesized, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf.json").write_text(json.dumps(stack.document, indent=2))
    return directory


@pytest.mark.terraform
def test_every_statement_type_passes_terraform_validate(full, terraform, tmp_path) -> None:
    stack, _ = full
    directory = _write(stack, tmp_path / "waf")
    terraform.run(directory, "init", "-backend=false", "-input=false", "-no-color")
    result = json.loads(terraform.run(directory, "validate", "-json", "-no-color").stdout)
    assert result["valid"], result["diagnostics"]
    assert not [d for d in result["diagnostics"] if d["severity"] == "error"]

    # The check has teeth: one misspelt key inside a nested statement is rejected.
    broken = json.loads(json.dumps(stack.document))
    acl = next(iter(broken["resource"]["aws_wafv2_web_acl"].values()))
    rate = next(r for r in acl["rule"] if r["name"] == "rate-limit-per-ip")
    rate["statement"]["rate_based_statement"]["evaluation_window_secs"] = 60
    (directory / "main.tf.json").write_text(json.dumps(broken))
    failed = json.loads(terraform.run(directory, "validate", "-json", "-no-color", check=False).stdout)
    assert not failed["valid"]
    assert "evaluation_window_secs" in json.dumps(failed["diagnostics"])


@pytest.mark.terraform
def test_apply_to_the_moto_server_round_trips(full, terraform, moto_server, tmp_path) -> None:
    """Apply every statement type to moto and read the web ACL, its logging and its association back with boto3."""
    import boto3

    stack, _ = full
    directory = _write(stack, tmp_path / "waf-apply")
    env = moto_server.env("us-east-1")
    terraform.run(directory, "init", "-backend=false", "-input=false", "-no-color")
    terraform.run(directory, "apply", "-auto-approve", "-input=false", "-no-color", env=env)

    client = boto3.client(
        "wafv2",
        endpoint_url=moto_server.url,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    summary = next(a for a in client.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["Name"] == f"{PREFIX}-waf")
    acl = client.get_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])["WebACL"]
    rules = {r["Name"]: r for r in acl["Rules"]}
    assert set(rules) == {spec.name for spec in FULL.rules}
    assert rules["rate-limit-per-ip"]["Statement"]["RateBasedStatement"] == {
        "Limit": 100,
        "EvaluationWindowSec": 60,
        "AggregateKeyType": "IP",
    }
    assert rules["rate-limit-per-ip"]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    assert rules["aws-common"]["OverrideAction"] == {"Count": {}}
    assert acl["CustomResponseBodies"]["rate-limited"]["ContentType"] == "APPLICATION_JSON"
    size = rules["body-size-limit"]
    assert size["Action"]["Block"]["CustomResponse"] == {"ResponseCode": 413, "CustomResponseBodyKey": "body-too-large"}
    too_large, read_with_body = size["Statement"]["OrStatement"]["Statements"]
    assert too_large["RegexMatchStatement"]["FieldToMatch"] == {"SingleHeader": {"Name": "content-length"}}
    assert read_with_body["AndStatement"]["Statements"][1]["SizeConstraintStatement"]["FieldToMatch"] == {
        "Body": {"OversizeHandling": "MATCH"}
    }
    assert json.loads(acl["CustomResponseBodies"]["body-too-large"]["Content"])["maxBodyBytes"] == 65536

    logging = client.get_logging_configuration(ResourceArn=summary["ARN"])["LoggingConfiguration"]
    assert logging["LogDestinationConfigs"] == [f"arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-{PREFIX}"]
    assert logging["RedactedFields"] == [
        {"SingleHeader": {"Name": "x-api-key"}},
        {"SingleHeader": {"Name": "authorization"}},
    ]
    assert logging["LoggingFilter"]["DefaultBehavior"] == "DROP"
    assert client.get_web_acl_for_resource(ResourceArn=STAGE_ARN)["WebACL"]["Name"] == f"{PREFIX}-waf"
    # Sampled requests and logs show neither credential header (the emulator keeps the setting: fidelity.py).
    assert acl["DataProtectionConfig"] == {
        "DataProtections": [
            {
                "Field": {"FieldType": "SINGLE_HEADER", "FieldKeys": ["x-api-key", "authorization"]},
                "Action": "SUBSTITUTION",  # the provider omits the Exclude* flags at their default, false
            }
        ]
    }
    # ...and reads back the same: a second plan is empty.
    plan = terraform.run(directory, "plan", "-detailed-exitcode", "-input=false", "-no-color", env=env, ok_codes=(0, 2))
    assert plan.returncode == 0, plan.stdout[-2000:]


# ----------------------------------------------------------------------------- the environment stacks


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_stack_protects_its_api_stage(env: str, stacks) -> None:
    config = load(env)
    stack = stacks[env]
    if not config.waf.enabled:
        assert stack.count("aws_wafv2_web_acl") == 0
        return
    acl = stack.resource("aws_wafv2_web_acl", name=f"{config.name_prefix}-waf")
    assert acl["scope"] == "REGIONAL"
    (association,) = stack.resources("aws_wafv2_web_acl_association")
    assert association["resource_arn"].startswith("${")
    assert association["resource_arn"].endswith(".arn}")
    assert "aws_api_gateway_stage." in association["resource_arn"] or "data." in association["resource_arn"]
    group = stack.resource("aws_cloudwatch_log_group", name=f"aws-waf-logs-{config.name_prefix}")
    assert group["retention_in_days"] == config.log_retention_days
    assert {r["name"] for r in acl["rule"]} == {spec.name for spec in config.waf.rules}
    expected = {"count": {}} if config.waf.mode is RuleAction.COUNT else {"none": {}}
    assert {json.dumps(r["override_action"]) for r in acl["rule"] if "override_action" in r} == {json.dumps(expected)}
