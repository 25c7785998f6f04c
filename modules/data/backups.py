"""Backups and data protection for the tables, buckets and queues the API uses.

What Terraform can manage depends on who owns the resource:

* **S3 buckets**: every protection is its own Terraform resource (versioning,
  lifecycle, SSE, public access block, ownership controls, bucket policy), so
  :class:`DataProtection` applies them to every bucket in :class:`ServiceRefs`,
  whether this project created the bucket or it already existed.
* **DynamoDB tables**: point-in-time recovery, SSE and deletion protection are
  attributes of the table resource itself, so every table this project creates is
  built with them (``modules.data.tables.encrypted_table``; deletion protection from
  ``BackupConfig.table_protection``, which the stack passes to the constructs that own tables).
* **SQS queues**: SSE and the dead-letter queue with its redrive policy are
  attributes of the queue; the API construct sets them on the queues it creates
  (``ApiConfig.queue_max_receive_count``, ``dlq_retention_days``).
* **An existing API**: Terraform does not manage its tables and queues, so it
  cannot switch on PITR or SSE there. They are listed in ``unmanaged_tables`` /
  ``unmanaged_queues``, and ``scripts/verify_deployment.py`` checks them.

Tables are encrypted with the environment's customer-managed data key
(``modules.core.kms.DataKey``, which also encrypts log groups, secrets and function
environments); buckets use SSE-KMS.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from environments.config import BackupConfig
from modules.core.refs import BucketRef, QueueRef, ServiceRefs, TableRef


class BucketProtection(Construct):
    """Versioning, lifecycle, SSE-KMS, public access block, BucketOwnerEnforced and TLS-only for one bucket.

    Each is a separate resource keyed on the bucket name, so this works on a
    bucket Terraform did not create. Note that ``aws_s3_bucket_policy`` and
    ``aws_s3_bucket_lifecycle_configuration`` *replace* a bucket's existing
    policy and lifecycle rules: an existing bucket with its own statements must
    have them merged here first.

    current_version_expiration_days: also expire current objects (for buckets of
        disposable artifacts). Default: none; current objects are kept forever.
    kms_key_arn: a customer-managed key for SSE-KMS. Default: the AWS-managed ``aws/s3`` key.
    extra_statements: bucket-policy statements, before the TLS-only one. Default: none.
    sse_s3: SSE-S3 (AES256) instead of SSE-KMS, for the one kind of bucket that needs it: a server access
        log destination (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
        Default: off (SSE-KMS).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: BucketRef,
        noncurrent_version_expiration_days: int,
        abort_incomplete_multipart_upload_days: int,
        current_version_expiration_days: int | None = None,
        kms_key_arn: str | None = None,
        extra_statements: Sequence[DataAwsIamPolicyDocumentStatement] = (),
        sse_s3: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self.versioning = S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket.name,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        # aws:kms without a key id = the AWS-managed aws/s3 key; the bucket key cuts KMS requests ~99%.
        self.encryption = S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket.name,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="AES256" if sse_s3 else "aws:kms",
                            kms_master_key_id=None if sse_s3 else kms_key_arn,
                        )
                    ),
                    bucket_key_enabled=None if sse_s3 else True,
                )
            ],
        )
        self.public_access_block = S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=bucket.name,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        self.ownership = S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket.name,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        every_object = [S3BucketLifecycleConfigurationRuleFilter(prefix="")]
        rules = [
            S3BucketLifecycleConfigurationRule(
                id="expire-noncurrent-versions",
                status="Enabled",
                filter=every_object,
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=noncurrent_version_expiration_days
                    )
                ],
            ),
            S3BucketLifecycleConfigurationRule(
                id="abort-incomplete-uploads",
                status="Enabled",
                filter=every_object,
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=abort_incomplete_multipart_upload_days
                    )
                ],
            ),
        ]
        if current_version_expiration_days is not None:
            rules.append(
                S3BucketLifecycleConfigurationRule(
                    id="expire-current-versions",
                    status="Enabled",
                    filter=every_object,
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=current_version_expiration_days)],
                )
            )
        # Lifecycle rules on a versioned bucket must follow the versioning change (provider docs).
        self.lifecycle = S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=bucket.name, rule=rules, depends_on=[self.versioning]
        )
        tls_only = DataAwsIamPolicyDocument(
            self,
            "tls-only",
            statement=[
                *extra_statements,
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                    actions=["s3:*"],
                    resources=[bucket.arn, f"{bucket.arn}/*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="Bool", variable="aws:SecureTransport", values=["false"]
                        )
                    ],
                ),
            ],
        )
        # After the public access block: S3 rejects concurrent bucket-level changes ("OperationAborted").
        self.policy = S3BucketPolicy(
            self, "policy", bucket=bucket.name, policy=tls_only.json, depends_on=[self.public_access_block]
        )


class DataProtection(Construct):
    """Protects every bucket in ``refs`` and lists the tables and queues Terraform cannot protect.

    Tables this project creates are built protected (``modules.data.tables``); ``table_protection``
    is what they get.

    Attributes: ``buckets`` (role -> :class:`BucketProtection`),
    ``table_protection`` (what each managed table got), and ``unmanaged_tables`` /
    ``unmanaged_queues``: resources Terraform cannot change, whose protection
    ``scripts/verify_deployment.py`` must check.
    """

    def __init__(self, scope: Construct, id: str, *, config: BackupConfig, refs: ServiceRefs) -> None:
        super().__init__(scope, id)
        self.config = config
        self.table_protection = config.table_protection
        self.buckets: dict[str, BucketProtection] = {
            bucket.role: BucketProtection(
                self,
                f"bucket-{bucket.role}",
                bucket=bucket,
                noncurrent_version_expiration_days=config.noncurrent_version_expiration_days,
                abort_incomplete_multipart_upload_days=config.abort_incomplete_multipart_upload_days,
            )
            for bucket in refs.buckets
        }
        self.unmanaged_tables: tuple[TableRef, ...] = () if refs.managed else refs.tables
        self.unmanaged_queues: tuple[QueueRef, ...] = () if refs.managed else refs.queues
