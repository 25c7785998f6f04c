"""Read-only access to one environment's dashboard and the metrics and alarms behind it (seed:
"Use IAM policies to restrict dashboard access").

An IAM managed policy ``<prefix>-dashboard-read`` per environment; attach it to the role or group of
whoever may look (``docs/MONITORING.md``, "Dashboard access"). Scoped by ARN wherever CloudWatch allows
it, per the Service Authorization Reference for CloudWatch
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html):

* ``cloudwatch:GetDashboard`` supports the ``dashboard`` resource type: this environment's dashboard only.
* ``cloudwatch:DescribeAlarms`` and ``cloudwatch:DescribeAlarmHistory`` support the ``alarm`` resource
  type: the environment's alarms only (``<prefix>-*`` in its region, and in us-east-1 for the billing alarm).
* ``GetMetricData``, ``GetMetricStatistics``, ``ListMetrics``, ``GetMetricWidgetImage``,
  ``DescribeAlarmsForMetric`` and ``ListDashboards`` have no resource types: they must name ``"*"``;
  ``aws:RequestedRegion`` limits them to the two regions the dashboard and alarms live in.

Nothing in it writes: no ``Put*``, ``Set*``, ``Delete*``, ``Enable*``/``Disable*``.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from constructs import Construct

from modules.core.naming import Naming

__all__ = ["ALARM_ACTIONS", "DASHBOARD_ACTIONS", "UNSCOPED_ACTIONS", "DashboardReadPolicy"]

#: Actions with the ``dashboard`` resource type.
DASHBOARD_ACTIONS = ("cloudwatch:GetDashboard",)
#: Actions with the ``alarm`` resource type.
ALARM_ACTIONS = ("cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms")
#: Read actions without resource types (Resource must be "*").
UNSCOPED_ACTIONS = (
    "cloudwatch:DescribeAlarmsForMetric",
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:GetMetricWidgetImage",
    "cloudwatch:ListDashboards",
    "cloudwatch:ListMetrics",
)
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
IAM_POLICY_NAME_LIMIT = 128
#: The billing alarm's region (billing metrics exist only there).
BILLING_REGION = "us-east-1"


class DashboardReadPolicy(Construct):
    """The managed policy ``<prefix>-dashboard-read``. Attributes: ``policy``, ``document``."""

    def __init__(self, scope: Construct, id: str, *, naming: Naming, region: str, dashboard_arn: str) -> None:
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account").account_id
        partition = DataAwsPartition(self, "partition").partition
        regions = sorted({region, BILLING_REGION})
        alarms = [f"arn:{partition}:cloudwatch:{r}:{account}:alarm:{naming.prefix}-*" for r in regions]
        self.document = DataAwsIamPolicyDocument(
            self,
            "document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="ThisEnvironmentsDashboard", actions=list(DASHBOARD_ACTIONS), resources=[dashboard_arn]
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="ThisEnvironmentsAlarms", actions=list(ALARM_ACTIONS), resources=alarms
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="MetricsReadNoResourceLevelPermissions",
                    actions=list(UNSCOPED_ACTIONS),
                    resources=["*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="aws:RequestedRegion", values=regions
                        )
                    ],
                ),
            ],
        )
        name = naming.name("dashboard-read")
        if len(name) > IAM_POLICY_NAME_LIMIT:
            raise ValueError(
                f"IAM policy name {name!r} is {len(name)} characters; the limit is {IAM_POLICY_NAME_LIMIT}"
            )
        self.policy = IamPolicy(
            self,
            "policy",
            name=name,
            description=f"Read-only: the {naming.prefix}-overview dashboard and the metrics and alarms behind it",
            policy=self.document.json,
        )
