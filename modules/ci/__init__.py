"""CI roles as code: the GitHub OIDC provider, a read-only plan role and a bounded apply role (docs/PIPELINE.md).

They live in their own stack per environment, ``ci-<env>``, not in ``bootstrap-<env>``:

* the apply role must never be able to change them, so no pipeline applies this stack: an administrator does,
  once, like the bootstrap, and again only when the policies change;
* it keeps its state in the environment's state bucket (key ``ci/terraform.tfstate``), which the bootstrap
  creates first; the bootstrap's local state is for the bucket alone;
* ``local`` (the emulator) has no CI, so only environments with ``config.ci`` get the stack.
"""

from __future__ import annotations

import json

import jsii
from cdktf import IAspect, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct, IConstruct

from environments.config import EnvironmentConfig
from modules.ci import policies
from modules.ci.policies import OIDC_AUDIENCE, OIDC_HOST

#: The CI stack's state object, next to the environment's in the same bucket.
STATE_KEY = "ci/terraform.tfstate"


def ci_stack_name(env: str) -> str:
    return f"ci-{env}"


class CiRoles(Construct):
    """OIDC provider (or the account's existing one), plan role, apply role and the apply role's boundary."""

    def __init__(self, scope: Construct, id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id)
        assert config.ci is not None
        self.names = ci = policies.names(config)
        # One provider per URL per account: reuse the existing one when config says so.
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
        self.oidc_provider: IamOpenidConnectProvider | None = None
        provider_arn = ci.oidc_provider_arn
        if config.ci.existing_oidc_provider_arn is None:
            self.oidc_provider = IamOpenidConnectProvider(
                self, "github-oidc", url=f"https://{OIDC_HOST}", client_id_list=[OIDC_AUDIENCE]
            )
            provider_arn = self.oidc_provider.arn
        self.boundary = IamPolicy(
            self,
            "apply-boundary",
            name=ci.boundary,
            description="Ceiling of the CI apply role and of every role it creates",
            policy=json.dumps(policies.boundary_policy(config)),
        )
        self.plan_role = IamRole(
            self,
            "plan-role",
            name=ci.plan_role,
            description="CI plan: control-plane reads, state read, lock object; no data-plane reads",
            assume_role_policy=json.dumps(policies.trust_policy(provider_arn, policies.plan_subjects(config))),
            max_session_duration=3600,
        )
        IamRolePolicy(
            self, "plan-policy", role=self.plan_role.name, name="plan", policy=json.dumps(policies.plan_policy(config))
        )
        self.apply_role = IamRole(
            self,
            "apply-role",
            name=ci.apply_role,
            description="CI apply: bounded by the CI boundary, which every role it creates must carry",
            assume_role_policy=json.dumps(policies.trust_policy(provider_arn, policies.apply_subjects(config))),
            permissions_boundary=self.boundary.arn,
            max_session_duration=3600,
        )
        IamRolePolicy(
            self,
            "apply-policy",
            role=self.apply_role.name,
            name="apply",
            policy=json.dumps(policies.apply_policy(config)),
        )


@jsii.implements(IAspect)
class PermissionsBoundary:
    """Sets ``permissions_boundary`` on every ``aws_iam_role`` of a stack: the apply role can only create roles
    that carry its boundary (policies.boundary_policy, statement RolesCarryTheBoundary)."""

    def __init__(self, boundary_arn: str) -> None:
        self.boundary_arn = boundary_arn

    def visit(self, node: IConstruct) -> None:
        if getattr(node, "terraform_resource_type", None) == "aws_iam_role":
            node.permissions_boundary = self.boundary_arn  # type: ignore[attr-defined]


class CiRolesStack(TerraformStack):
    """``ci-<env>``: the CI roles of one environment's account, applied by an administrator (never by CI)."""

    def __init__(self, scope: Construct, id: str, *, config: EnvironmentConfig) -> None:
        from modules.data.state import use_remote_state
        from modules.stack import _provider

        super().__init__(scope, id)
        _provider(self, config, region=config.region)
        use_remote_state(self, config=config.state.replace(key=STATE_KEY))
        self.roles = CiRoles(self, "ci", config=config)
        outputs = {
            "plan_role_arn": (self.roles.plan_role.arn, "Set as the GitHub environment variable AWS_PLAN_ROLE_ARN"),
            "apply_role_arn": (self.roles.apply_role.arn, "Set as the GitHub environment variable AWS_APPLY_ROLE_ARN"),
            "boundary_arn": (self.roles.boundary.arn, "Permissions boundary every role the apply role creates carries"),
        }
        for name, (value, description) in outputs.items():
            TerraformOutput(self, name, value=value, description=description)
