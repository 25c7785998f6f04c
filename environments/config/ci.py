"""CI/CD settings: the GitHub repository whose workflows may assume this environment's CI roles, and the role
an operator or CI identity assumes to reach this environment's account (docs/PIPELINE.md)."""

from __future__ import annotations

from typing import Annotated

from environments.config.base import ConfigModel, Pattern

_ROLE_ARN = r"arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}"


class AssumeRoleConfig(ConfigModel):
    """A role every AWS provider of the environment's stacks assumes (the billing alias included).

    ``allowed_account_ids`` stays on every provider as the safety net: the assumed role must live in the
    environment's account. See https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs#assume_role.
    """

    config_path = "assume_role"
    role_arn: Annotated[str, Pattern(_ROLE_ARN, "an IAM role ARN like arn:aws:iam::111111111111:role/deployer")]
    """The role to assume in the environment's account."""
    session_name: Annotated[
        str, Pattern(r"[A-Za-z0-9+=,.@_-]{2,64}", "2-64 characters of letters, digits or +=,.@_-")
    ] = "agenticai-terraform"
    """The session name CloudTrail records. Default: ``agenticai-terraform``."""
    external_id: (
        Annotated[str, Pattern(r"[A-Za-z0-9+=,.@:/_-]{2,1224}", "2-1224 characters of letters, digits or +=,.@:/_-")]
        | None
    ) = None
    """The external id the role's trust policy requires, if any. Default: none."""


class CiConfig(ConfigModel):
    """The CI roles stack (``ci-<env>``): GitHub OIDC provider, plan role and apply role."""

    config_path = "ci"
    github_owner: Annotated[str, Pattern(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})", "a GitHub user or organisation name")]
    """The GitHub organisation or user owning the repository."""
    github_repository: Annotated[str, Pattern(r"[A-Za-z0-9._-]{1,100}", "a GitHub repository name")]
    """The repository whose workflows may assume the CI roles."""
    existing_oidc_provider_arn: (
        Annotated[
            str,
            Pattern(
                r"arn:aws:iam::[0-9]{12}:oidc-provider/token\.actions\.githubusercontent\.com",
                "the ARN of the account's token.actions.githubusercontent.com OIDC provider",
            ),
        ]
        | None
    ) = None
    """The account's GitHub OIDC provider when it already exists (one per URL per account). Default: none; the
    stack creates it."""

    @property
    def repository(self) -> str:
        """``owner/name``."""
        return f"{self.github_owner}/{self.github_repository}"
