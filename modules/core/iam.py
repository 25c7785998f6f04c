"""Least-privilege IAM statements as data, rendered by the constructs that own the role."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
)


@dataclass(frozen=True)
class PermissionCondition:
    """One IAM condition: ``test`` (e.g. StringEquals) of ``variable`` against ``values``."""

    test: str
    variable: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Permission:
    """One least-privilege IAM statement: actions on resources (Terraform expressions), under conditions."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[PermissionCondition, ...] = ()

    def statement(self, sid: str | None = None) -> DataAwsIamPolicyDocumentStatement:
        """The typed policy-document statement (an Allow)."""
        return DataAwsIamPolicyDocumentStatement(
            sid=sid,
            effect="Allow",
            actions=list(self.actions),
            resources=list(self.resources),
            condition=[
                DataAwsIamPolicyDocumentStatementCondition(test=c.test, variable=c.variable, values=list(c.values))
                for c in self.conditions
            ]
            or None,
        )


# --- grants: the IAM actions on tables, queues and secrets, named by intent -------------------------

#: DynamoDB item actions in the order a grant lists them (fixed, so policies are stable).
_TABLE_ACTIONS: tuple[tuple[str, str], ...] = (
    ("put", "dynamodb:PutItem"),
    ("get", "dynamodb:GetItem"),
    ("update", "dynamodb:UpdateItem"),
    ("delete", "dynamodb:DeleteItem"),
    ("query", "dynamodb:Query"),
    ("scan", "dynamodb:Scan"),
)


def grant_table_items(
    table_arn: str,
    *,
    put: bool = False,
    get: bool = False,
    update: bool = False,
    delete: bool = False,
    query: bool = False,
    scan: bool = False,
    indexes: tuple[str, ...] = (),
) -> Permission:
    """Item access on one DynamoDB table: only the operations asked for (PutItem, GetItem, UpdateItem,
    DeleteItem, Query, Scan), on the table and on the named ``indexes`` (``<table arn>/index/<name>``).

    The caller also needs the table's KMS key through DynamoDB (``DataKey.use(..., via=(KeyService.DYNAMODB,))``).
    """
    wanted = {"put": put, "get": get, "update": update, "delete": delete, "query": query, "scan": scan}
    actions = tuple(action for flag, action in _TABLE_ACTIONS if wanted[flag])
    if not actions:
        raise ValueError(
            "grant_table_items: got no operation; allowed: one or more of put, get, update, delete, query, scan"
        )
    return Permission(actions, (table_arn, *(f"{table_arn}/index/{name}" for name in indexes)))


def grant_send_messages(queue_arn: str) -> Permission:
    """Send messages to one SQS queue (``sqs:SendMessage``)."""
    return Permission(("sqs:SendMessage",), (queue_arn,))


def grant_consume_messages(queue_arn: str) -> Permission:
    """Receive and delete messages of one SQS queue: what a Lambda event source mapping needs
    (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions)."""
    return Permission(("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"), (queue_arn,))


def grant_read_secret(secret_arn: str) -> Permission:
    """Read one Secrets Manager secret's value (``secretsmanager:GetSecretValue``).

    The caller also needs the secret's KMS key through Secrets Manager.
    """
    return Permission(("secretsmanager:GetSecretValue",), (secret_arn,))
