"""The CloudWatch Synthetics canary: a client's-eye check of the API every few minutes.

The check logic is the plain Node.js module ``canary/apiCheck.js`` (tested with
``node --test``); ``canary/agenticaiCanary.js`` is the thin Synthetics wrapper.
:func:`package_canary` zips both, deterministically, in the layout the Synthetics
Node.js runtimes load handlers from (``nodejs/node_modules/<file>.js``).

The API key never appears in Terraform: the canary receives the *ARN* of the
Secrets Manager secret in ``API_KEY_SECRET_ID`` and reads the value on every run.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cdktf import AssetType, Fn, TerraformAsset
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.synthetics_canary import (
    SyntheticsCanary,
    SyntheticsCanaryRunConfig,
    SyntheticsCanarySchedule,
)
from constructs import Construct

from environments.config import CanaryConfig
from modules.core.iam import grant_read_secret
from modules.core.kms import READ_ACTIONS, DataKey, KeyService
from modules.core.naming import Naming
from modules.core.packaging import deterministic_zip, write_content_addressed
from modules.core.refs import BucketRef, RestApiRef
from modules.data.backups import BucketProtection

#: The files the canary runs; tests and docs in canary/ stay out of the zip.
CANARY_FILES = ("agenticaiCanary.js", "apiCheck.js")
#: Where the Synthetics Node.js runtimes resolve ``<file>.handler`` from.
HANDLER_DIR = "nodejs/node_modules"
HANDLER = "agenticaiCanary.handler"
#: Synthetics canary names: at most 21 characters of [0-9a-z_-].
MAX_CANARY_NAME = 21
#: The smallest memory Synthetics accepts (MB); an HTTP-only canary needs no more.
MEMORY_MB = 960
#: Artifacts go under this prefix; the role may write nowhere else.
ARTIFACT_PREFIX = "runs"


@dataclass(frozen=True)
class CanaryPackage:
    """A built canary zip: path (an input for TerraformAsset) and its SHA-256."""

    path: Path
    sha256_hex: str


def canary_zip_bytes(source_dir: Path) -> bytes:
    """The zip of :data:`CANARY_FILES` under ``nodejs/node_modules/``: same files, same bytes."""
    return deterministic_zip(
        (f"{HANDLER_DIR}/{name}", (Path(source_dir) / name).read_bytes()) for name in sorted(CANARY_FILES)
    )


def package_canary(source_dir: Path, out_dir: Path | None = None) -> CanaryPackage:
    """Write the canary zip, named by its hash, to ``out_dir`` (default: a temp cache) atomically."""
    out_dir = Path(out_dir) if out_dir else Path(tempfile.gettempdir()) / "agenticai-canary-packages"
    path, digest = write_content_addressed(canary_zip_bytes(source_dir), out_dir, name_prefix="canary-")
    return CanaryPackage(path=path, sha256_hex=digest)


def canary_name(naming: Naming) -> str:
    """``<prefix>-api``, shortened with a stable hash when the prefix is too long for 21 characters."""
    name = f"{naming.prefix}-api"
    if len(name) <= MAX_CANARY_NAME:
        return name
    digest = hashlib.sha256(naming.prefix.encode()).hexdigest()[:5]
    return f"{naming.prefix[: MAX_CANARY_NAME - 6].rstrip('-')}-{digest}"


class ApiCanary(Construct):
    """A Synthetics canary running Health Check and Create Project against the API stage.

    Creates the artifact bucket (SSE-KMS, versioned, closed, TLS-only, artifacts
    expired after ``config.artifact_retention_days``), a least-privilege role, and
    the canary. ``api_key_secret`` is the Secrets Manager secret holding the
    canary's API key. Default: a new, empty secret ``<prefix>/canary/api-key``,
    filled by the key CLI (``scripts/``); Terraform never sees the value.
    ``data_key`` (``modules.core.kms.DataKey``) encrypts that secret; the role may
    decrypt with it through Secrets Manager only.

    abort_incomplete_multipart_upload_days: incomplete uploads to the artifact bucket are deleted after
        this many days. Default: 7 (the environments pass ``BackupConfig.abort_incomplete_multipart_upload_days``).
    log_retention_days: retention of the canary's Lambda log group, which this construct creates (encrypted with
        ``data_key``) instead of letting the first run create it without retention or encryption. Default: 30.

    The log group is named after the function Synthetics creates, ``cwsyn-<canary name>-<canary id>``
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_Create.html,
    "Resources that are created for canaries"), read from the canary's ``engine_arn``. The role may write to it
    but not create log groups, so a run can never create an unencrypted group with no expiry.

    Attributes: ``canary`` (its ``name`` is what the canary alarm's ``CanaryName``
    dimension uses), ``name``, ``artifact_bucket``, ``role``, ``api_key_secret``, ``log_group``,
    ``alarm_period_seconds`` (one run per period), ``runs_continuously`` (False on a business-hours schedule).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: CanaryConfig,
        abort_incomplete_multipart_upload_days: int = 7,
        log_retention_days: int = 30,
        naming: Naming,
        api: RestApiRef,
        package: CanaryPackage,
        api_key_secret: SecretsmanagerSecret | None = None,
        data_key: DataKey,
    ) -> None:
        if isinstance(abort_incomplete_multipart_upload_days, bool) or not (
            isinstance(abort_incomplete_multipart_upload_days, int) and abort_incomplete_multipart_upload_days >= 1
        ):
            raise ValueError(
                "ApiCanary.abort_incomplete_multipart_upload_days: "
                f"got {abort_incomplete_multipart_upload_days!r}; allowed: an integer >= 1"
            )
        super().__init__(scope, id)
        self.config = config
        self.name = canary_name(naming)
        self.alarm_period_seconds = config.schedule_minutes * 60
        #: False on a business-hours schedule: outside the hours the canary publishes no data, so its alarm must
        #: treat missing data as not breaching (the monitoring construct reads this).
        self.runs_continuously = config.business_hours is None
        self.api_key_secret = api_key_secret or SecretsmanagerSecret(
            self,
            "api-key",
            name=f"{naming.prefix}/canary/api-key",
            description="API key the Synthetics canary sends as X-API-Key; set by the key CLI, never by Terraform",
            recovery_window_in_days=7,
            kms_key_id=data_key.arn,
        )

        # force_destroy: run artifacts are disposable, and a non-empty bucket would block `terraform destroy`.
        self.artifact_bucket = S3Bucket(
            self, "artifacts", bucket_prefix=naming.name("canary-", kind="s3_bucket"), force_destroy=True
        )
        self.artifact_protection = BucketProtection(
            self,
            "artifacts-protection",
            bucket=BucketRef(role="canary-artifacts", name=self.artifact_bucket.id, arn=self.artifact_bucket.arn),
            noncurrent_version_expiration_days=1,
            abort_incomplete_multipart_upload_days=abort_incomplete_multipart_upload_days,
            current_version_expiration_days=config.artifact_retention_days,
        )

        self.role = IamRole(
            self,
            "role",
            name=naming.name("canary", kind="iam_role"),
            description=f"Runs the Synthetics canary {self.name}",
            assume_role_policy=self._trust_policy().json,
        )
        self.role_policy = IamRolePolicy(
            self, "policy", role=self.role.id, name="canary", policy=self._permissions(data_key).json
        )

        code = TerraformAsset(self, "code", path=str(package.path), type=AssetType.FILE)
        self.canary = SyntheticsCanary(
            self,
            "canary",
            name=self.name,
            runtime_version=config.runtime_version,
            handler=HANDLER,
            zip_file=code.path,
            execution_role_arn=self.role.arn,
            artifact_s3_location=f"s3://{self.artifact_bucket.id}/{ARTIFACT_PREFIX}/",
            schedule=SyntheticsCanarySchedule(expression=config.schedule_expression),
            start_canary=config.start_canary,
            success_retention_period=config.success_retention_days,
            failure_retention_period=config.failure_retention_days,
            # Also delete the Lambda function and layer Synthetics creates, so destroy leaves nothing behind.
            delete_lambda=True,
            run_config=SyntheticsCanaryRunConfig(
                timeout_in_seconds=config.run_timeout_seconds,
                memory_in_mb=MEMORY_MB,
                active_tracing=False,
                environment_variables={
                    "API_BASE_URL": api.invoke_url,
                    "API_KEY_SECRET_ID": self.api_key_secret.arn,
                    "REQUEST_TIMEOUT_MS": str(config.request_timeout_seconds * 1000),
                },
            ),
            # The role's permissions must exist before the first run, or it fails on PutObject.
            depends_on=[self.role_policy],
        )
        # engine_arn: arn:aws:lambda:<region>:<account>:function:<function name>:<version>.
        function_name = Fn.element(Fn.split(":", self.canary.engine_arn), 6)
        self.log_group = data_key.log_group(
            self, "logs", name=f"/aws/lambda/{function_name}", retention_days=log_retention_days
        )

    def _trust_policy(self) -> DataAwsIamPolicyDocument:
        return DataAwsIamPolicyDocument(
            self,
            "trust",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["lambda.amazonaws.com"]
                        )
                    ],
                )
            ],
        )

    def _permissions(self, data_key: DataKey) -> DataAwsIamPolicyDocument:
        """Only what a Synthetics run does: write its artifacts, log, publish its metrics, read one secret."""
        region = DataAwsRegion(self, "region")
        account = DataAwsCallerIdentity(self, "account")
        bucket_arn = self.artifact_bucket.arn
        # Synthetics names the canary's Lambda function cwsyn-<canary name>-<id>.
        log_groups = f"arn:aws:logs:{region.name}:{account.account_id}:log-group:/aws/lambda/cwsyn-{self.name}-*"

        def allow(sid, actions, resources, condition=None):
            return DataAwsIamPolicyDocumentStatement(
                sid=sid, effect="Allow", actions=actions, resources=resources, condition=condition
            )

        return DataAwsIamPolicyDocument(
            self,
            "permissions",
            statement=[
                allow("WriteArtifacts", ["s3:PutObject", "s3:GetObject"], [f"{bucket_arn}/{ARTIFACT_PREFIX}/*"]),
                allow("LocateArtifactBucket", ["s3:GetBucketLocation"], [bucket_arn]),
                # The Synthetics runtime lists buckets once per run to validate its artifact location.
                allow("ListBucketsForSynthetics", ["s3:ListAllMyBuckets"], ["*"]),
                # No logs:CreateLogGroup: the construct creates the group (retention, data key).
                allow("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [log_groups]),
                allow(
                    "PublishCanaryMetrics",
                    ["cloudwatch:PutMetricData"],
                    ["*"],  # PutMetricData has no resource type; the namespace condition scopes it.
                    [
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="cloudwatch:namespace", values=["CloudWatchSynthetics"]
                        )
                    ],
                ),
                grant_read_secret(self.api_key_secret.arn).statement("ReadApiKey"),
                data_key.use(READ_ACTIONS, via=(KeyService.SECRETS_MANAGER,)).statement("DecryptApiKey"),
            ],
        )
