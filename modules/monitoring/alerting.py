"""Alert delivery: one KMS-encrypted SNS topic per severity, with email subscriptions from config.

Severity routing follows the seed's AlertSeverity: every alarm names a severity and publishes
to that severity's topic (``<prefix>-<purpose>-info|warning|critical``). ``alert_emails`` are
subscribed to every topic from ``email_min_severity`` up, ``page_emails`` to the critical topic
only. Messages are CloudWatch's (or Budgets') standard JSON; nothing here reformats them.

The topics are encrypted with a customer-managed KMS key (rotation on). An AWS-managed
``alias/aws/sns`` key would not work: its key policy cannot be changed, and CloudWatch alarms,
AWS Budgets and Cost Anomaly Detection can only publish to an encrypted topic when the key
policy lets their service principals use the key
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
The key policy and the topic policies let exactly those services use the key and publish, only on behalf of
this account (``aws:SourceAccount``, confused-deputy protection:
https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).

Administration (Subscribe, SetTopicAttributes, DeleteTopic...) has no statement in the topic policy at all:
within one account, an identity-based policy that allows an action is enough
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html), so the account's
administrators keep it through their IAM policies, and nobody else gets it. SNS's default topic policy, which
this replaces, granted those actions to *every* principal of the account (``AWS:SourceOwner``). Every topic
denies requests without TLS (``aws:SecureTransport`` false:
https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit).
"""

from __future__ import annotations

import re

from cdktf import Precondition, TerraformProvider, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from environments.config.monitoring import MonitoringConfig, Severity
from modules.core.kms import CustomerManagedKey, KeyProps
from modules.core.naming import Naming
from modules.monitoring.alarm_factory import AlarmTopics

#: Services that publish alerts to these topics.
PUBLISHERS: tuple[str, ...] = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com")
#: Every topic action a resource policy can name (SNS's default topic policy lists these): all denied without TLS.
TOPIC_ACTIONS: tuple[str, ...] = (
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
)


class AlertTopics(Construct):
    """A KMS key and one SNS topic per severity, in one region, with email subscriptions.

    config: recipients and routing (``alert_emails``, ``page_emails``, ``email_min_severity``).
    naming: topic names are ``<prefix>-<purpose>-<severity>``.
    purpose: ``alerts`` for service alarms, ``cost`` for the us-east-1 billing topics. Default: alerts.
    severities: the topics to create. Default: info, warning and critical.
    provider: the region's provider. Default: the stack's default provider.

    Attributes: ``kms_key``, ``topics`` (Severity -> SnsTopic), ``subscriptions``, ``alarm_topics``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: MonitoringConfig,
        naming: Naming,
        purpose: str = "alerts",
        severities: tuple[Severity, ...] = tuple(Severity),
        provider: TerraformProvider | None = None,
    ) -> None:
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account", provider=provider).account_id
        self.kms_key = CustomerManagedKey(
            self,
            props=KeyProps(
                description=f"Encrypts the {naming.prefix} {purpose} SNS topics",
                admin_principal_arn=f"arn:aws:iam::{account}:root",
                alias_name=f"alias/{naming.name(purpose)}",
                statements=(
                    DataAwsIamPolicyDocumentStatement(
                        sid="AlertPublishersUseKey",
                        actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                        resources=["*"],
                        principals=[
                            DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=list(PUBLISHERS))
                        ],
                        condition=[
                            DataAwsIamPolicyDocumentStatementCondition(
                                test="StringEquals", variable="aws:SourceAccount", values=[account]
                            )
                        ],
                    ),
                ),
            ),
            provider=provider,
        ).key
        self.topics: dict[Severity, SnsTopic] = {}
        self.subscriptions: list[SnsTopicSubscription] = []
        for severity in severities:
            topic = SnsTopic(
                self,
                severity.value,
                name=naming.name(purpose, severity.value),
                display_name=f"{naming.prefix} {severity.value}",
                kms_master_key_id=self.kms_key.arn,
                provider=provider,
            )
            self.topics[severity] = topic
            SnsTopicPolicy(
                self,
                f"{severity.value}-policy",
                arn=topic.arn,
                policy=self._topic_policy(severity, topic, account, provider).json,
                provider=provider,
            )
            if severity is Severity.CRITICAL and purpose == "alerts":
                self.subscriptions += self._pager_subscriptions(config, topic)
            for email in config.emails_for(severity):
                self.subscriptions.append(
                    SnsTopicSubscription(
                        self,
                        f"{severity.value}-email-{_slug(email)}",
                        topic_arn=topic.arn,
                        protocol="email",
                        endpoint=email,
                        provider=provider,
                    )
                )
        self.alarm_topics = AlarmTopics({s: t.arn for s, t in self.topics.items()})

    def _pager_subscriptions(self, config: MonitoringConfig, topic: SnsTopic) -> list[SnsTopicSubscription]:
        """An HTTPS subscription per ``page_endpoint_parameters`` entry: an incident tool's SNS integration URL.

        The URL is read from SSM at apply (it carries the tool's integration key, so never from git or the
        synthesized JSON) and must be https://: SNS delivers to HTTPS endpoints with retries and the tool
        confirms the subscription itself (https://docs.aws.amazon.com/sns/latest/dg/sns-http-https-endpoint-as-subscriber.html).
        Budget alerts (purpose ``cost``) stay email-only: an overrun is not a 15-minute emergency.
        """
        subscriptions = []
        for index, name in enumerate(config.page_endpoint_parameters):
            parameter = DataAwsSsmParameter(self, f"pager-{index}-parameter", name=name, with_decryption=True)
            subscriptions.append(
                SnsTopicSubscription(
                    self,
                    f"pager-{index}",
                    topic_arn=topic.arn,
                    protocol="https",
                    endpoint=parameter.value,
                    # The tool confirms the subscription itself; Terraform waits until it has.
                    endpoint_auto_confirms=True,
                    lifecycle=TerraformResourceLifecycle(
                        precondition=[
                            Precondition(
                                condition=f'${{startswith(nonsensitive({_expression(parameter)}), "https://")}}',
                                error_message=f"SSM parameter {name} (monitoring.page_endpoint_parameters) must "
                                "hold an https:// URL: SNS pages an incident tool over HTTPS only.",
                            )
                        ]
                    ),
                )
            )
        return subscriptions

    def _topic_policy(
        self, severity: Severity, topic: SnsTopic, account: str, provider: TerraformProvider | None
    ) -> DataAwsIamPolicyDocument:
        return DataAwsIamPolicyDocument(
            self,
            f"{severity.value}-policy-document",
            provider=provider,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    actions=list(TOPIC_ACTIONS),
                    resources=[topic.arn],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="Bool", variable="aws:SecureTransport", values=["false"]
                        )
                    ],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="AlertPublishers",
                    actions=["SNS:Publish"],
                    resources=[topic.arn],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=list(PUBLISHERS))
                    ],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="aws:SourceAccount", values=[account]
                        )
                    ],
                ),
            ],
        )


def _expression(parameter: DataAwsSsmParameter) -> str:
    """``data.aws_ssm_parameter.<name>.value`` for a Terraform expression (a condition, not an attribute)."""
    return f"data.aws_ssm_parameter.{parameter.friendly_unique_id}.value"


def _slug(email: str) -> str:
    """A stable construct id for an address (ids are Terraform addresses: keep them readable)."""
    return re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")
