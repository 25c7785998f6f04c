"""The regional WAFv2 web ACL in front of the API stage, its logging and its association.

Defines, from a :class:`WafConfig`:

* ``aws_wafv2_ip_set`` per IP list and IP version (only when lists are configured);
* ``aws_wafv2_web_acl``: REGIONAL scope (API Gateway stages only accept regional
  web ACLs), default action allow, the typed rules of ``modules/edge/rules.py``
  (each with its own CloudWatch metric and sampled requests), and the JSON body
  that rate-limited clients receive with their 429;
* ``aws_cloudwatch_log_group`` ``aws-waf-logs-<prefix>`` (WAF only logs to
  groups with that prefix) with its own ``aws_cloudwatch_log_resource_policy``:
  otherwise WAF edits the shared ``AWSWAF-LOGS`` account policy, which breaks
  once it reaches its size limit;
* the web ACL's data protection: ``x-api-key`` and ``authorization`` are replaced by ``REDACTED`` in every
  output of the web ACL, sampled requests included (logging's ``redacted_fields`` only cover the logs;
  https://docs.aws.amazon.com/waf/latest/developerguide/data-protection-masking.html: web-ACL-level data
  protection "applies across all output destinations"). SUBSTITUTION rather than HASH: a hash of a key is
  still a stable identifier of it, and nobody needs to correlate samples by key;
* ``aws_wafv2_web_acl_logging_configuration`` with ``x-api-key`` and
  ``authorization`` redacted, optionally keeping only blocked/counted requests;
* ``aws_wafv2_web_acl_association`` with the API stage.

``self.metrics`` (a ``modules.monitoring.alarms.WafMetrics``) names the web ACL and each
rule's metric for the monitoring construct (namespace ``AWS/WAFV2``, dimensions
``WebACL``, ``Rule`` and ``Region``); ``self.rule_set`` has each rule's verdict.
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclCustomResponseBody,
    Wafv2WebAclDataProtectionConfig,
    Wafv2WebAclDataProtectionConfigDataProtection,
    Wafv2WebAclDataProtectionConfigDataProtectionField,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationLoggingFilter,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilter,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilterCondition,
    Wafv2WebAclLoggingConfigurationLoggingFilterFilterConditionActionCondition,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

from environments.config.waf import WafConfig, WafLogFilter
from modules.core.kms import DataKey
from modules.core.naming import Naming
from modules.core.refs import RestApiRef
from modules.edge.rules import WafRuleSet, build_rule_set
from modules.monitoring.alarms import WafMetrics

#: WAF scope: API Gateway REST API stages only accept REGIONAL web ACLs.
SCOPE = "REGIONAL"
#: Credentials never reach the logs. Header names must be lower case.
REDACTED_HEADERS: tuple[str, ...] = ("x-api-key", "authorization")
#: How the web ACL's data protection hides those headers everywhere, sampled requests included.
DATA_PROTECTION_ACTION = "SUBSTITUTION"
#: Log actions kept by WafLogFilter.BLOCKED_AND_COUNTED (EXCLUDED_AS_COUNT: managed sub-rules set to count).
KEPT_LOG_ACTIONS: tuple[str, ...] = ("BLOCK", "COUNT", "EXCLUDED_AS_COUNT")


class WebAcl(Construct):
    """The API's web ACL, its IP sets, its log group and logging, and the stage association.

    config: the rule set and mode. api: the stage to protect. naming: the environment's
    names. log_retention_days: how long WAF logs are kept (the environment's retention).
    data_key: the environment's KMS key (``modules.core.kms.DataKey``) that encrypts the log group.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: WafConfig,
        api: RestApiRef,
        naming: Naming,
        log_retention_days: int,
        data_key: DataKey,
    ) -> None:
        super().__init__(scope, id)
        self.config = config
        self.name = naming.name("waf", kind="waf")

        #: The IP sets the rules need (one per IP list and IP version), by key (``allow-v4``).
        self.ip_sets: dict[str, Wafv2IpSet] = {}
        for spec in config.rules:
            for ip_set in spec.ip_sets:
                self.ip_sets[ip_set.key] = Wafv2IpSet(
                    self,
                    f"ip-{ip_set.key}",
                    name=naming.name("waf", ip_set.kind, f"ipv{ip_set.version}", kind="waf"),
                    description=f"{spec.name} (IPv{ip_set.version})",
                    scope=SCOPE,
                    ip_address_version=f"IPV{ip_set.version}",
                    addresses=list(ip_set.addresses),
                )
        arns = {key: ip_set.arn for key, ip_set in self.ip_sets.items()}
        self.rule_set: WafRuleSet = build_rule_set(config, metric_prefix=self.name, ip_set_arns=arns)

        self.web_acl = Wafv2WebAcl(
            self,
            "web-acl",
            name=self.name,
            description=f"Edge protection for the {api.name} API ({config.mode.name} mode)",
            scope=SCOPE,
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            visibility_config=Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True, metric_name=self.name, sampled_requests_enabled=True
            ),
            custom_response_body=[
                Wafv2WebAclCustomResponseBody(key=body.key, content=body.content, content_type=body.content_type)
                for body in self.rule_set.custom_response_bodies
            ]
            or None,
            data_protection_config=Wafv2WebAclDataProtectionConfig(
                data_protection=[
                    Wafv2WebAclDataProtectionConfigDataProtection(
                        action=DATA_PROTECTION_ACTION,
                        field=Wafv2WebAclDataProtectionConfigDataProtectionField(
                            field_type="SINGLE_HEADER", field_keys=list(REDACTED_HEADERS)
                        ),
                        # Rule-match and rate-based details are redacted too (the defaults, made explicit).
                        exclude_rule_match_details=False,
                        exclude_rate_based_details=False,
                    )
                ]
            ),
        )
        # Escape hatch: the rendered rules are plain JSON written verbatim (see modules/edge/rules.py).
        self.web_acl.add_override("rule", self.rule_set.render())

        self.log_group = data_key.log_group(
            self, "log-group", name=f"aws-waf-logs-{naming.prefix}", retention_days=log_retention_days
        )
        self.log_resource_policy = self._log_resource_policy(naming)
        self.logging_configuration = Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in REDACTED_HEADERS
            ],
            logging_filter=_logging_filter(config.log_filter),
            depends_on=[self.log_resource_policy],
        )
        self.association = Wafv2WebAclAssociation(
            self, "association", resource_arn=api.stage_arn, web_acl_arn=self.web_acl.arn
        )
        #: For modules.monitoring.monitoring: the ``WebACL`` dimension and each rule's ``Rule`` dimension.
        self.metrics = WafMetrics(
            web_acl_name=self.name, rule_metric_names=tuple(rule.metric_name for rule in self.rule_set.rules)
        )

    def _log_resource_policy(self, naming: Naming) -> CloudwatchLogResourcePolicy:
        """Lets the log delivery service write this group only, for this account's deliveries only."""
        account = DataAwsCallerIdentity(self, "account")
        region = DataAwsRegion(self, "region")
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AwsWafLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "delivery.logs.amazonaws.com"},
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{self.log_group.arn}:*",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region.name}:{account.account_id}:*"},
                        "StringEquals": {"aws:SourceAccount": account.account_id},
                    },
                }
            ],
        }
        return CloudwatchLogResourcePolicy(
            self,
            "log-policy",
            policy_name=naming.name("waf", "logs"),
            policy_document=json.dumps(document),
        )


def _logging_filter(log_filter: WafLogFilter) -> Wafv2WebAclLoggingConfigurationLoggingFilter | None:
    if log_filter is WafLogFilter.ALL:
        return None
    return Wafv2WebAclLoggingConfigurationLoggingFilter(
        default_behavior="DROP",
        filter=[
            Wafv2WebAclLoggingConfigurationLoggingFilterFilter(
                behavior="KEEP",
                requirement="MEETS_ANY",
                condition=[
                    Wafv2WebAclLoggingConfigurationLoggingFilterFilterCondition(
                        action_condition=Wafv2WebAclLoggingConfigurationLoggingFilterFilterConditionActionCondition(
                            action=action
                        )
                    )
                    for action in KEPT_LOG_ACTIONS
                ],
            )
        ],
    )
