"""The CI roles (modules/ci): policy documents as properties, the synthesized ci-<env> stacks, and an apply on moto.

Also the supply-chain properties every stack shares: ``required_version >= 1.10`` and the committed lock file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import main
from environments import ENVIRONMENTS, load
from environments.config import AssumeRoleConfig, CiConfig, ConfigError
from modules.ci import ci_stack_name, policies
from scripts import plan_summary
from tests.synth import Synthesized

CI_ENVS = tuple(env for env in ENVIRONMENTS if load(env).ci is not None)


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed_actions(document: dict[str, Any]) -> set[str]:
    return {a for s in statements(document) if s["Effect"] == "Allow" for a in as_list(s.get("Action", []))}


def by_sid(document: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in statements(document) if s.get("Sid") == sid)


def test_every_deployed_environment_has_ci_settings() -> None:
    assert set(CI_ENVS) == {env for env in ENVIRONMENTS if env != "local"}


# --- the plan role ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", CI_ENVS)
def test_plan_role_has_no_data_plane_reads(env: str) -> None:
    config = load(env)
    document = policies.plan_policy(config)
    allowed = allowed_actions(document)
    assert not any("*" in a for a in allowed), "no wildcard action in the plan role"
    assert not allowed & set(policies.DATA_PLANE_READ)
    for action in ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "secretsmanager:GetSecretValue"):
        assert action in by_sid(document, "NoDataPlaneReads")["Action"]
    # S3 GetObject only on the state object and deployment packages; denied everywhere else.
    state_object = f"arn:aws:s3:::{config.state.bucket}/{config.state.key}"
    read = by_sid(document, "StateRead")
    assert read["Action"] == ["s3:GetObject"]
    assert read["Resource"][0] == state_object
    assert by_sid(document, "NoObjectReadsOutsideStateAndPackages")["NotResource"] == read["Resource"]
    # API key values are denied (apigateway:GET on /apikeys/*).
    assert "arn:aws:apigateway:*::/apikeys/*" in by_sid(document, "NoApiKeyValues")["Resource"]
    # The only write: the S3-native lock object.
    lock = by_sid(document, "LockObjectWrite")
    assert lock["Resource"] == [f"{state_object}.tflock"]
    writes = {a for a in allowed if not re.match(r"^[a-z0-9-]+:(Get|List|Describe|View|GET)", a)}
    assert writes == {"s3:PutObject", "s3:DeleteObject", "kms:Decrypt", "kms:GenerateDataKey"}
    # KMS only through S3 on the state bucket.
    key = by_sid(document, "StateKeyThroughS3Only")
    assert (
        key["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"][0] == f"arn:aws:s3:::{config.state.bucket}"
    )


def test_data_plane_check_catches_a_data_read() -> None:
    """Negative control: a GetItem slipped into the allow list is seen."""
    document = policies.plan_policy(load("dev"))
    statements(document)[0]["Action"].append("dynamodb:GetItem")
    assert allowed_actions(document) & set(policies.DATA_PLANE_READ) == {"dynamodb:GetItem"}


# --- the apply role and its boundary ----------------------------------------------------------------------------


@pytest.mark.parametrize("env", CI_ENVS)
def test_boundary_forces_itself_on_every_role_and_protects_the_ci_identity(env: str) -> None:
    config = load(env)
    names = policies.names(config)
    document = policies.boundary_policy(config)
    carry = by_sid(document, "RolesCarryTheBoundary")
    assert carry["Effect"] == "Deny"
    assert {"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy", "iam:PutRolePolicy"} <= set(
        carry["Action"]
    )
    assert carry["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": names.boundary_arn}}
    assert by_sid(document, "BoundaryStays") == {
        "Sid": "BoundaryStays",
        "Effect": "Deny",
        "Action": ["iam:DeleteRolePermissionsBoundary"],
        "Resource": "*",
    }
    protect = by_sid(document, "CiIdentityIsReadOnly")
    assert protect["Effect"] == "Deny"
    assert protect["NotAction"] == ["iam:Get*", "iam:List*"]
    # Its own role, the plan role and the boundary policy all match the protected patterns.
    own = [
        f"arn:aws:iam::{config.account_id}:role/{names.apply_role}",
        f"arn:aws:iam::{config.account_id}:role/{names.plan_role}",
        names.boundary_arn,
    ]
    for arn in own:
        assert any(re.fullmatch(p.replace("*", ".*"), arn) for p in protect["Resource"]), arn
    assert policies.apply_policy(config) == document  # identity policy carries the same denies
    allowed = allowed_actions(document)
    assert "iam:*" not in allowed
    assert not {"iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary"} & allowed


# --- trust -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", CI_ENVS)
def test_trust_is_pinned_to_repository_environment_and_workflow(env: str) -> None:
    config = load(env)
    assert config.ci is not None
    repo = config.ci.repository
    for subjects, github_env in (
        (policies.plan_subjects(config), f"{env}-plan"),
        (policies.apply_subjects(config), env),
    ):
        document = policies.trust_policy(policies.names(config).oidc_provider_arn, subjects)
        (statement,) = statements(document)
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = statement["Condition"]
        assert condition["StringEquals"]["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        (sub_test,) = (k for k in condition if "token.actions.githubusercontent.com:sub" in condition[k])
        for sub in condition[sub_test]["token.actions.githubusercontent.com:sub"]:
            assert sub.startswith(f"repo:{repo}:environment:{github_env}:job_workflow_ref:{repo}/.github/workflows/")
            assert re.search(r"\.yml@refs/(heads/main|pull/\*/merge)$", sub)
    apply_subs = policies.apply_subjects(config)
    assert apply_subs == [
        f"repo:{repo}:environment:{env}:job_workflow_ref:{repo}/.github/workflows/apply.yml@refs/heads/main"
    ]
    # Pull requests may only plan a development tier.
    pr = [s for s in policies.plan_subjects(config) if "refs/pull/" in s]
    assert bool(pr) == (config.tier.value == "development")


def test_trust_names_workflows_that_exist() -> None:
    workflows = Path(__file__).resolve().parent.parent / ".github" / "workflows"
    for name in (*policies.PLAN_WORKFLOWS, policies.APPLY_WORKFLOW):
        assert (workflows / name).is_file(), name


def test_ci_config_rejects_bad_values_in_one_line() -> None:
    with pytest.raises(ConfigError) as error:
        AssumeRoleConfig(role_arn="arn:aws:iam::12:role/x")
    assert "assume_role.role_arn" in str(error.value)
    assert "arn:aws:iam::12:role/x" in str(error.value)
    with pytest.raises(ConfigError):
        CiConfig(github_owner="example-org", github_repository="bad repo")


# --- synthesized stacks ----------------------------------------------------------------------------------------


def test_ci_stacks_hold_the_roles(stacks: dict[str, Synthesized]) -> None:
    for env in CI_ENVS:
        config = load(env)
        stack = stacks[ci_stack_name(env)]
        names = policies.names(config)
        assert stack.resource("aws_iam_openid_connect_provider", url="https://token.actions.githubusercontent.com")
        plan = stack.resource("aws_iam_role", name=names.plan_role)
        apply = stack.resource("aws_iam_role", name=names.apply_role)
        assert "permissions_boundary" not in plan
        assert apply["permissions_boundary"].startswith("${aws_iam_policy.")
        boundary = stack.resource("aws_iam_policy", name=names.boundary)
        assert json.loads(boundary["policy"]) == policies.boundary_policy(config)
        backend = stack.document["terraform"]["backend"]["s3"]
        assert backend["bucket"] == config.state.bucket
        assert backend["key"] == "ci/terraform.tfstate"
    assert not any(name.startswith("ci-local") for name in stacks)


def test_existing_oidc_provider_is_reused(tmp_path: Path) -> None:
    arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    config = load("dev")
    assert config.ci is not None
    config = config.replace(ci=config.ci.replace(existing_oidc_provider_arn=arn))
    main.build_app([config], tmp_path).synth()
    stack = Synthesized.from_dir(tmp_path / "stacks" / "ci-dev")
    assert stack.count("aws_iam_openid_connect_provider") == 0
    trust = json.loads(stack.resource("aws_iam_role", name="agenticai-dev-ci-plan")["assume_role_policy"])
    assert trust["Statement"][0]["Principal"]["Federated"] == arn


def test_every_role_of_an_environment_stack_carries_the_boundary(stacks: dict[str, Synthesized]) -> None:
    for env in CI_ENVS:
        roles = stacks[env].resources("aws_iam_role")
        assert roles
        assert {r.get("permissions_boundary") for r in roles} == {policies.names(load(env)).boundary_arn}


def test_every_stack_requires_terraform_1_10_and_carries_the_lock_file(
    synth_dir: Path, stacks: dict[str, Synthesized]
) -> None:
    lock = (Path(main.__file__).parent / ".terraform.lock.hcl").read_text()
    for name, stack in stacks.items():
        # Not in cdk.tf.json: checkov's Terraform-JSON parser skips a stack whose terraform block has a string.
        assert "required_version" not in stack.document["terraform"], name
        versions = (synth_dir / "stacks" / name / "versions.tf").read_text()
        assert versions == 'terraform {\n  required_version = ">= 1.10"\n}\n', name
        assert (synth_dir / "stacks" / name / ".terraform.lock.hcl").read_text() == lock, name


def test_lock_file_pins_the_provider_for_the_ci_and_developer_platforms() -> None:
    lock = (Path(main.__file__).parent / ".terraform.lock.hcl").read_text()
    assert 'version     = "5.100.0"' in lock
    # linux_amd64 h1: verified against the local mirror (docs/PIPELINE.md); zh: covers every released platform.
    assert "h1:edXOJWE4ORX8Fm+dpVpICzMZJat4AX0VRCAy/xkcOc0=" in lock
    assert len(re.findall(r'"zh:[0-9a-f]{64}"', lock)) >= 14


def test_assume_role_reaches_every_provider_including_billing(tmp_path: Path) -> None:
    role = AssumeRoleConfig(role_arn="arn:aws:iam::111111111111:role/deployer", external_id="agenticai-ci")
    config = load("dev").replace(assume_role=role)
    main.build_app([config], tmp_path).synth()
    for name in ("dev", "bootstrap-dev", "ci-dev"):
        providers = Synthesized.from_dir(tmp_path / "stacks" / name).document["provider"]["aws"]
        for block in providers:
            assert block["assume_role"] == [
                {"role_arn": role.role_arn, "session_name": "agenticai-terraform", "external_id": "agenticai-ci"}
            ], name
            assert block["allowed_account_ids"] == ["111111111111"]  # the safety net stays
        if name == "dev":
            assert {b.get("alias") for b in providers} == {None, "billing"}


# --- moto ------------------------------------------------------------------------------------------------------


def test_ci_stack_applies_on_moto_and_replans_clean(
    synth_dir: Path, terraform: Any, moto_server: Any, tmp_path: Path
) -> None:
    from scripts.e2e import prepare_offline_plan

    moto_server.reset()
    stack = prepare_offline_plan(synth_dir / "stacks" / "ci-dev", tmp_path / "ci-dev")
    env = moto_server.env(load("dev").region)
    terraform.run(stack, "init", "-input=false", "-no-color", "-lockfile=readonly", env=env)
    # Two plans of the same state hash alike (what apply.yml relies on), and the apply takes the reviewed one.
    hashes = []
    for name in ("reviewed.plan", "replan.plan"):
        terraform.run(stack, "plan", "-input=false", "-no-color", f"-out={name}", env=env)
        shown = json.loads(terraform.run(stack, "show", "-json", name, env=env).stdout)
        hashes.append(plan_summary.summarize(shown, "dev"))
    assert hashes[0]["changes_sha256"] == hashes[1]["changes_sha256"]
    assert hashes[0]["totals"]["add"] == 6
    assert hashes[0]["per_type"]["aws_iam_role"]["add"] == 2
    terraform.run(stack, "apply", "-input=false", "-no-color", "reviewed.plan", env=env)
    replan = terraform.run(stack, "plan", "-detailed-exitcode", "-input=false", "-no-color", env=env, ok_codes=(0,))
    assert "No changes." in replan.stdout
    outputs = json.loads(terraform.run(stack, "output", "-json", "-no-color", env=env).stdout)
    assert outputs["apply_role_arn"]["value"].endswith(":role/agenticai-dev-ci-apply")

    import boto3

    iam = boto3.client("iam", endpoint_url=moto_server.url, region_name="us-east-1", **_creds(moto_server))
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"].split("/", 1)[1] for p in providers] == ["token.actions.githubusercontent.com"]
    role = iam.get_role(RoleName="agenticai-dev-ci-apply")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(":policy/agenticai-dev-ci-boundary")


def _creds(moto_server: Any) -> dict[str, str]:
    env = moto_server.env()
    return {"aws_access_key_id": env["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"]}
