"""The CI roles' policy documents as plain data, so tests can check them as properties (tests/test_ci_roles.py).

Everything is derived from the environment's config (account, region, name prefix, state bucket and key,
GitHub repository), so the documents are complete at synth time: no ``data`` source, no refresh.

References:

* GitHub OIDC trust, and the ``sub`` claim customised to carry ``job_workflow_ref``:
  https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
  and https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#customizing-the-subject-claims-for-an-organization-or-repository
* IAM condition keys for web identity (``token.actions.githubusercontent.com:sub`` / ``:aud``):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
* Permissions boundaries delegated with ``iam:PermissionsBoundary``:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate
* S3 SSE-KMS encryption context ``aws:s3:arn``:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context
* S3-native state locking (``<key>.tflock``): https://developer.hashicorp.com/terraform/language/backend/s3#state-locking
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from environments.config import EnvironmentConfig

OIDC_HOST = "token.actions.githubusercontent.com"
OIDC_AUDIENCE = "sts.amazonaws.com"
#: The workflows that may assume each role (files under .github/workflows/).
PLAN_WORKFLOWS = ("plan.yml", "drift.yml")
APPLY_WORKFLOW = "apply.yml"

#: Control-plane reads a refresh of the environment stack needs. No Get/Scan/Query of data, no wildcard.
CONTROL_PLANE_READ = (
    "apigateway:GET",
    "budgets:ListTagsForResource",
    "budgets:ViewBudget",
    "ce:GetAnomalyMonitors",
    "ce:GetAnomalySubscriptions",
    "ce:ListTagsForResource",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetDashboard",
    "cloudwatch:ListTagsForResource",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeContributorInsights",
    "dynamodb:DescribeKinesisStreamingDestination",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:GetResourcePolicy",
    "dynamodb:ListTagsOfResource",
    "iam:GetOpenIDConnectProvider",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListPolicyVersions",
    "iam:ListRolePolicies",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "lambda:GetEventSourceMapping",
    "lambda:GetFunction",
    "lambda:GetFunctionCodeSigningConfig",
    "lambda:GetFunctionConcurrency",
    "lambda:GetFunctionConfiguration",
    "lambda:GetPolicy",
    "lambda:GetRuntimeManagementConfig",
    "lambda:ListTags",
    "lambda:ListVersionsByFunction",
    "logs:DescribeLogGroups",
    "logs:DescribeMetricFilters",
    "logs:DescribeResourcePolicies",
    "logs:DescribeSubscriptionFilters",
    "logs:ListTagsForResource",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketLogging",
    "s3:GetBucketNotification",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetRandomPassword",
    "secretsmanager:GetResourcePolicy",
    "sns:GetSubscriptionAttributes",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sqs:GetQueueAttributes",
    "sqs:ListQueueTags",
    "synthetics:DescribeCanaries",
    "synthetics:GetCanary",
    "synthetics:ListTagsForResource",
    "wafv2:GetLoggingConfiguration",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "wafv2:ListTagsForResource",
)

#: Data-plane reads the plan role is explicitly denied (a Deny wins over any Allow, now or later).
DATA_PLANE_READ = (
    "dynamodb:BatchGetItem",
    "dynamodb:ExportTableToPointInTime",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:PartiQLSelect",
    "dynamodb:Query",
    "dynamodb:Scan",
    "lambda:InvokeFunction",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:StartQuery",
    "secretsmanager:BatchGetSecretValue",
    "secretsmanager:GetSecretValue",
    "sqs:ReceiveMessage",
)

#: Services the apply role (and every role it creates) may use at most: the permissions boundary's ceiling.
APPLY_SERVICES = (
    "apigateway",
    "budgets",
    "ce",
    "cloudwatch",
    "dynamodb",
    "kms",
    "lambda",
    "logs",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "synthetics",
    "tag",
    "wafv2",
    "xray",
)

#: IAM actions the apply role needs for the stack's roles and policies: no users, groups or account settings.
#: The reads are the plan role's IAM reads; the rest are writes (and ListRoleTags, which only apply needs).
APPLY_IAM_ACTIONS = tuple(
    sorted(
        {
            *(action for action in CONTROL_PLANE_READ if action.startswith("iam:")),
            "iam:AttachRolePolicy",
            "iam:CreatePolicy",
            "iam:CreatePolicyVersion",
            "iam:CreateRole",
            "iam:CreateServiceLinkedRole",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:DeleteRole",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:ListRoleTags",
            "iam:PassRole",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
            "iam:TagPolicy",
            "iam:TagRole",
            "iam:UntagPolicy",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
        }
    )
)

#: IAM writes that set or change a role's permissions: only allowed with the boundary attached.
_ROLE_WRITES = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
)


@dataclass(frozen=True)
class CiNames:
    """Names and ARNs of the CI roles, their boundary and the OIDC provider in one environment's account."""

    account_id: str
    prefix: str
    oidc_provider_arn: str

    @property
    def plan_role(self) -> str:
        return f"{self.prefix}-ci-plan"

    @property
    def apply_role(self) -> str:
        return f"{self.prefix}-ci-apply"

    @property
    def boundary(self) -> str:
        return f"{self.prefix}-ci-boundary"

    @property
    def boundary_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:policy/{self.boundary}"

    @property
    def protected_arns(self) -> list[str]:
        """What the apply role can never change: the CI roles, their policies and the OIDC provider."""
        return [
            f"arn:aws:iam::{self.account_id}:role/{self.prefix}-ci-*",
            f"arn:aws:iam::{self.account_id}:policy/{self.prefix}-ci-*",
            self.oidc_provider_arn,
        ]


def names(config: EnvironmentConfig) -> CiNames:
    ci = config.ci
    if ci is None:
        raise ValueError(f"environment {config.name!r} has no ci settings")
    provider = ci.existing_oidc_provider_arn or f"arn:aws:iam::{config.account_id}:oidc-provider/{OIDC_HOST}"
    return CiNames(account_id=config.account_id, prefix=config.name_prefix, oidc_provider_arn=provider)


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _subject(repository: str, environment: str, workflow: str, ref: str) -> str:
    # The sub claim with the repository's customisation include_claim_keys = [repo, context, job_workflow_ref].
    return (
        f"repo:{repository}:environment:{environment}:job_workflow_ref:{repository}/.github/workflows/{workflow}@{ref}"
    )


def plan_subjects(config: EnvironmentConfig) -> list[str]:
    """Who may assume the plan role: the plan and drift workflows on main, in GitHub environment ``<env>-plan``;
    for a development tier also pull requests (``refs/pull/<n>/merge``)."""
    from environments.config import Tier

    assert config.ci is not None
    repo, env = config.ci.repository, f"{config.name}-plan"
    subjects = [_subject(repo, env, wf, "refs/heads/main") for wf in PLAN_WORKFLOWS]
    if config.tier is Tier.DEVELOPMENT:
        subjects.append(_subject(repo, env, "plan.yml", "refs/pull/*/merge"))
    return subjects


def apply_subjects(config: EnvironmentConfig) -> list[str]:
    """Who may assume the apply role: apply.yml from main, in the GitHub environment named after the stack."""
    assert config.ci is not None
    return [_subject(config.ci.repository, config.name, APPLY_WORKFLOW, "refs/heads/main")]


def trust_policy(provider_arn: str, subjects: list[str]) -> dict[str, Any]:
    """AssumeRoleWithWebIdentity from GitHub's OIDC provider, audience and subject pinned."""
    condition: dict[str, dict[str, Any]] = {"StringEquals": {f"{OIDC_HOST}:aud": OIDC_AUDIENCE}}
    # StringLike only when a subject has a wildcard (the pull-request number); one operator block per test.
    test = "StringLike" if any("*" in s for s in subjects) else "StringEquals"
    condition.setdefault(test, {})[f"{OIDC_HOST}:sub"] = subjects
    return _document(
        {
            "Sid": "GitHubOidc",
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    )


def _state(config: EnvironmentConfig) -> tuple[str, str, str]:
    state = config.state
    bucket_arn = f"arn:aws:s3:::{state.bucket}"
    return bucket_arn, f"{bucket_arn}/{state.key}", state.region or config.region


def _buckets(config: EnvironmentConfig) -> list[str]:
    """The environment stack's own buckets (the artifacts bucket and the canary's prefixed one)."""
    return [f"arn:aws:s3:::{config.name_prefix}-artifacts", f"arn:aws:s3:::{config.name_prefix}-canary-*"]


def _artifact_objects(config: EnvironmentConfig) -> list[str]:
    """Deployment packages (Lambda and canary zips) the refresh of ``aws_s3_object`` heads: code, not data."""
    return [f"{bucket}/*" for bucket in _buckets(config)]


def plan_policy(config: EnvironmentConfig) -> dict[str, Any]:
    bucket_arn, state_arn, state_region = _state(config)
    readable_objects = [state_arn, *_artifact_objects(config)]
    return _document(
        {"Sid": "ControlPlaneRead", "Effect": "Allow", "Action": list(CONTROL_PLANE_READ), "Resource": "*"},
        # HeadBucket (every aws_s3_bucket refresh) needs s3:ListBucket; it lists keys, never contents.
        {
            "Sid": "BucketList",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [bucket_arn, *_buckets(config)],
        },
        {"Sid": "StateRead", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": readable_objects},
        {
            "Sid": "PackageTags",
            "Effect": "Allow",
            "Action": ["s3:GetObjectTagging"],
            "Resource": _artifact_objects(config),
        },
        {
            "Sid": "LockObjectWrite",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": [f"{state_arn}.tflock"],
        },
        {
            "Sid": "StateKeyThroughS3Only",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": f"arn:aws:kms:{state_region}:{config.account_id}:key/*",
            "Condition": {
                "StringEquals": {"kms:ViaService": f"s3.{state_region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
            },
        },
        {"Sid": "NoDataPlaneReads", "Effect": "Deny", "Action": list(DATA_PLANE_READ), "Resource": "*"},
        {
            "Sid": "NoObjectReadsOutsideStateAndPackages",
            "Effect": "Deny",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "NotResource": readable_objects,
        },
        {
            "Sid": "NoApiKeyValues",
            "Effect": "Deny",
            "Action": ["apigateway:GET"],
            "Resource": [
                "arn:aws:apigateway:*::/apikeys",
                "arn:aws:apigateway:*::/apikeys/*",
                "arn:aws:apigateway:*::/usageplans/*/keys*",
            ],
        },
        {
            "Sid": "NoDecryptOutsideState",
            "Effect": "Deny",
            "Action": ["kms:Decrypt"],
            "Resource": "*",
            "Condition": {"StringNotLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]}},
        },
    )


def boundary_policy(config: EnvironmentConfig) -> dict[str, Any]:
    """The ceiling of the apply role and of every role it creates: it cannot escalate or free itself."""
    ci = names(config)
    return _document(
        {"Sid": "Services", "Effect": "Allow", "Action": [f"{s}:*" for s in APPLY_SERVICES], "Resource": "*"},
        {"Sid": "StackRolesAndPolicies", "Effect": "Allow", "Action": list(APPLY_IAM_ACTIONS), "Resource": "*"},
        {"Sid": "CallerIdentity", "Effect": "Allow", "Action": ["sts:GetCallerIdentity"], "Resource": "*"},
        {
            "Sid": "RolesCarryTheBoundary",
            "Effect": "Deny",
            "Action": list(_ROLE_WRITES),
            "Resource": "*",
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": ci.boundary_arn}},
        },
        {"Sid": "BoundaryStays", "Effect": "Deny", "Action": ["iam:DeleteRolePermissionsBoundary"], "Resource": "*"},
        {
            "Sid": "CiIdentityIsReadOnly",
            "Effect": "Deny",
            "NotAction": ["iam:Get*", "iam:List*"],
            "Resource": ci.protected_arns,
        },
        {
            "Sid": "NoLongLivedCredentials",
            "Effect": "Deny",
            "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"],
            "Resource": "*",
        },
    )


def apply_policy(config: EnvironmentConfig) -> dict[str, Any]:
    """The apply role's own permissions: the boundary's allows and denies (effective = identity AND boundary)."""
    return boundary_policy(config)
