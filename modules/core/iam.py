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
