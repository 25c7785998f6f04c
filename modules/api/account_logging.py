"""The account's API Gateway CloudWatch role (one per account and region)."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.core.naming import Naming

APIGATEWAY_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    },
    separators=(",", ":"),
)
#: The AWS managed policy API Gateway's CloudWatch role needs (create log groups/streams, put events).
APIGATEWAY_LOGS_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


class ApiGatewayAccountLogging(Construct):
    """The account's API Gateway CloudWatch role: an IAM role API Gateway assumes to write the
    access and execution logs of every stage in this account and region, set with
    ``aws_api_gateway_account``. One per account and region (``ApiConfig.manage_account_logging_role``).
    Destroying it resets the account setting, so no dangling role ARN is left behind.

    naming: the role is ``<prefix>-apigateway-logs``.

    Attributes: ``role``, ``account``.
    """

    def __init__(self, scope: Construct, id: str, *, naming: Naming) -> None:
        super().__init__(scope, id)
        self.role = IamRole(
            self,
            "role",
            name=naming.name("apigateway-logs", kind="iam_role"),
            description="API Gateway: write stage access and execution logs to CloudWatch Logs",
            assume_role_policy=APIGATEWAY_ASSUME_ROLE_POLICY,
        )
        attachment = IamRolePolicyAttachment(self, "policy", role=self.role.name, policy_arn=APIGATEWAY_LOGS_POLICY_ARN)
        self.account = ApiGatewayAccount(
            self,
            "account",
            cloudwatch_role_arn=self.role.arn,
            reset_on_delete=True,
            # API Gateway checks the role's permissions when the setting is made.
            depends_on=[attachment],
        )
