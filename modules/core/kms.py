"""The environment's data key: one customer-managed KMS key for the data the stack creates.

CloudWatch log groups, DynamoDB tables, Secrets Manager secrets and the Lambda
functions' environment variables are all encrypted with it (``alias/<prefix>-data``,
rotation on, 30-day deletion window), so one key policy and one CloudTrail trail of
key use cover every piece of data at rest. Buckets keep the AWS-managed ``aws/s3`` key
(``modules.data.backups``), and the alert topics have their own key (``modules.monitoring.alerting``).

Who may use the key:

* The account root administers it. This delegates to IAM: a role may use the key
  only if its own IAM policy allows it, on this key.
* CloudWatch Logs (``logs.<region>.amazonaws.com``) encrypts and decrypts log
  events, only for this account's log groups (the ``aws:logs:arn`` encryption
  context). Log writers (functions, WAF delivery) need no KMS permission.
* DynamoDB, Secrets Manager and Lambda use the key on behalf of the caller, with
  the caller's IAM permissions. :meth:`DataKey.use` and
  :meth:`DataKey.environment_permission` give a function role exactly what it needs,
  on this key only, and only through the named service (``kms:ViaService``) or for
  its own environment variables (``kms:EncryptionContext:LambdaFunctionName``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from modules.core.iam import Permission, PermissionCondition
from modules.core.naming import Naming

#: What CloudWatch Logs needs on the key to encrypt and decrypt a log group's events.
LOGS_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)
#: A caller that only reads encrypted items or secrets.
READ_ACTIONS: tuple[str, ...] = ("kms:Decrypt",)
#: A caller that also writes them (the service generates a data key for new data).
WRITE_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class KeyProps:
    """Props of a customer-managed KMS key (rotation always on).

    description: the key's description, shown in the KMS console.
    admin_principal_arn: who administers the key (``kms:*``). Pass the account root: that delegates
        to IAM, so a role may use the key only if its own IAM policy allows it, on this key.
    admin_sid: the Sid of that statement. Default: ``AccountAdministersKey``.
    statements: further key-policy statements, e.g. a service principal that uses the key.
        Default: none; only IAM-authorized principals of the account use the key.
    alias_name: the key's alias (``alias/...``). Default: no alias is created.
    deletion_window_days: the waiting period before a scheduled deletion. Default: 30 days (the
        maximum KMS allows, the longest time to notice a deletion by mistake).
    """

    description: str
    admin_principal_arn: str
    admin_sid: str = "AccountAdministersKey"
    statements: tuple[DataAwsIamPolicyDocumentStatement, ...] = ()
    alias_name: str | None = None
    deletion_window_days: int = 30

    def __post_init__(self) -> None:
        # https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html: 7 to 30 days.
        if not 7 <= self.deletion_window_days <= 30:
            raise ValueError(f"KeyProps.deletion_window_days: got {self.deletion_window_days!r}; allowed: 7 to 30")
        if self.alias_name is not None and not self.alias_name.startswith("alias/"):
            raise ValueError(f"KeyProps.alias_name: got {self.alias_name!r}; allowed: a name starting with 'alias/'")


def _items(value: Any) -> list[Any]:
    """A statement's list of principals or conditions (key policies here never use an unresolved token)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"a key-policy statement needs a plain list, got {type(value).__name__}")
    return value


def render_statement(statement: DataAwsIamPolicyDocumentStatement) -> dict[str, Any]:
    """One policy statement as IAM policy JSON (``Principal``/``Condition`` maps), tokens left in place."""
    rendered: dict[str, Any] = {"Effect": statement.effect or "Allow"}
    if statement.sid:
        rendered = {"Sid": statement.sid, **rendered}
    principals: dict[str, list[str]] = {}
    for principal in _items(statement.principals):
        principals.setdefault(principal.type, []).extend(principal.identifiers)
    if principals == {"*": ["*"]}:
        rendered["Principal"] = "*"
    elif principals:
        rendered["Principal"] = principals
    rendered["Action"] = list(statement.actions or [])
    rendered["Resource"] = list(statement.resources or [])
    conditions: dict[str, dict[str, list[str]]] = {}
    for condition in _items(statement.condition):
        conditions.setdefault(condition.test, {})[condition.variable] = list(condition.values)
    if conditions:
        rendered["Condition"] = conditions
    return rendered


def render_key_policy(statements: Sequence[DataAwsIamPolicyDocumentStatement]) -> str:
    """A key policy as the JSON string of ``aws_kms_key.policy``.

    Not an ``aws_iam_policy_document`` data source: checkov's IAM wildcard checks (CKV_AWS_109, 111, 356)
    read every such document as an identity policy, and in a key policy ``"Resource": "*"`` means this key
    only (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html). Rendered here,
    key policies stay out of those checks without turning them off for the role policies they exist for.
    """
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [render_statement(s) for s in statements]}, separators=(",", ":")
    )


class CustomerManagedKey:
    """A customer-managed KMS key (rotation on), its key policy (the admin statement first) and optional alias.

    The one way this project creates a KMS key: the data key (:class:`DataKey`), the state bucket's key
    (``modules.data.state``) and the alert topics' keys (``modules.monitoring.alerting``).

    Not a construct node: ``key`` and ``alias`` are created in ``scope``, so their Terraform addresses belong
    to the caller and stay what they were.
    provider: the region's provider. Default: the stack's default provider.

    Attributes: ``key``, ``alias`` (None without ``props.alias_name``), ``policy`` (the rendered JSON), ``arn``.
    """

    def __init__(self, scope: Construct, *, props: KeyProps, provider: TerraformProvider | None = None) -> None:
        admin = DataAwsIamPolicyDocumentStatement(
            sid=props.admin_sid,
            actions=["kms:*"],
            resources=["*"],  # in a key policy, "*" means this key
            principals=[
                DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[props.admin_principal_arn])
            ],
        )
        #: The key policy (a JSON string with Terraform references), see :func:`render_key_policy`.
        self.policy = render_key_policy([admin, *props.statements])
        self.key = KmsKey(
            scope,
            "key",
            description=props.description,
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_days,
            policy=self.policy,
            provider=provider,
        )
        self.alias: KmsAlias | None = None
        if props.alias_name is not None:
            self.alias = KmsAlias(
                scope, "alias", name=props.alias_name, target_key_id=self.key.key_id, provider=provider
            )
        self.arn: str = self.key.arn


class KeyService(Enum):
    """Services that use the data key with the caller's permissions (the ``kms:ViaService`` prefix)."""

    DYNAMODB = "dynamodb"
    SECRETS_MANAGER = "secretsmanager"


class DataKey(Construct):
    """One customer-managed KMS key (rotation on) and its alias ``alias/<prefix>-data``.

    naming: the alias is ``alias/<prefix>-data``.

    Attributes: ``key``, ``alias``, ``arn`` (the key ARN: ``kms_key_id`` of log groups
    and secrets, ``kms_key_arn`` of tables and functions) and ``policy`` (the key policy JSON).
    """

    def __init__(self, scope: Construct, id: str, *, naming: Naming) -> None:
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account").account_id
        self._region = DataAwsRegion(self, "region").name
        partition = DataAwsPartition(self, "partition")
        self._dns_suffix = partition.dns_suffix
        cmk = CustomerManagedKey(
            self,
            props=KeyProps(
                description=f"Encrypts the {naming.prefix} log groups, tables, secrets and function environments",
                admin_principal_arn=f"arn:{partition.partition}:iam::{account}:root",
                alias_name=f"alias/{naming.name('data')}",
                statements=(
                    DataAwsIamPolicyDocumentStatement(
                        sid="CloudWatchLogsUseKey",
                        actions=list(LOGS_ACTIONS),
                        resources=["*"],
                        principals=[
                            DataAwsIamPolicyDocumentStatementPrincipals(
                                type="Service", identifiers=[f"logs.{self._region}.{self._dns_suffix}"]
                            )
                        ],
                        condition=[
                            DataAwsIamPolicyDocumentStatementCondition(
                                test="ArnLike",
                                variable="kms:EncryptionContext:aws:logs:arn",
                                values=[f"arn:{partition.partition}:logs:{self._region}:{account}:log-group:*"],
                            )
                        ],
                    ),
                ),
            ),
        )
        self.policy = cmk.policy
        self.key = cmk.key
        self.alias = cmk.alias
        self.arn: str = cmk.arn

    def use(self, actions: Sequence[str], *, via: Sequence[KeyService]) -> Permission:
        """``actions`` (``READ_ACTIONS`` or ``WRITE_ACTIONS``) on this key, only through ``via``'s services."""
        endpoints = tuple(f"{service.value}.{self._region}.{self._dns_suffix}" for service in via)
        return Permission(
            tuple(actions),
            (self.arn,),
            (PermissionCondition("StringEquals", "kms:ViaService", endpoints),),
        )

    def log_group(self, scope: Construct, id: str, *, name: str, retention_days: int) -> CloudwatchLogGroup:
        """A log group encrypted with this key (its policy lets CloudWatch Logs use it for the account's groups).

        Created in ``scope`` under ``id``, so its Terraform address belongs to the caller.
        """
        return CloudwatchLogGroup(scope, id, name=name, retention_in_days=retention_days, kms_key_id=self.arn)

    def environment_permission(self, function_name: str) -> Permission:
        """What a function's role needs for Lambda to decrypt that function's environment variables."""
        return Permission(
            READ_ACTIONS,
            (self.arn,),
            (PermissionCondition("StringEquals", "kms:EncryptionContext:LambdaFunctionName", (function_name,)),),
        )
