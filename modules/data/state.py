"""Remote Terraform state: the S3 backend of each environment, the bucket that holds it and its access log.

State is written under the state bucket's own customer-managed key:

* The backend sends ``kms_key_id`` (the key's alias, ``StateConfig.kms_key_id``) with every state and lock
  write. With ``encrypt = true`` alone Terraform sends ``x-amz-server-side-encryption: AES256``, and a
  request's header overrides the bucket's SSE-KMS default, so state was SSE-S3
  (https://developer.hashicorp.com/terraform/language/backend/s3#kms_key_id,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html: "If your PUT request
  headers include encryption information, Amazon S3 uses the encryption information from the PUT request").
* The bucket policy denies ``s3:PutObject`` that asks for anything but SSE-KMS under that key
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms).

Access is audited by S3 server access logging into a second bucket rather than CloudTrail data events: both
cost next to nothing for a bucket that sees a few hundred requests per apply (data events are $0.10 per
100,000 events, log delivery is free and the logs are a few KB a day), but a trail needs its own bucket
anyway, adds a resource that many organisations already own centrally (an organisation trail), and would
bring its own set of gate findings. Server access logging is best-effort (AWS: "most log records are
delivered within a few hours"), which is enough for an audit of who read or wrote state
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html,
https://aws.amazon.com/cloudtrail/pricing/). The log bucket must use SSE-S3: server access log delivery does
not support SSE-KMS destinations
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
"""

from __future__ import annotations

from cdktf import S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from constructs import Construct

from environments.config import StateConfig
from modules.core.kms import CustomerManagedKey, KeyProps
from modules.core.refs import BucketRef
from modules.data.backups import BucketProtection
from modules.data.tables import TableProps, encrypted_table

#: Where the state bucket's access logs go inside the log bucket.
ACCESS_LOG_PREFIX = "state-access/"


def use_remote_state(stack: TerraformStack, *, config: StateConfig) -> S3Backend:
    """Configure the stack's S3 backend: SSE-KMS under the state key, with S3-native locking.

    ``use_lockfile`` (Terraform >= 1.10) writes ``<key>.tflock`` next to the
    state with a conditional PUT (also under ``kms_key_id``); cdktf's S3Backend predates it, so it is added
    as an override. A DynamoDB table is only added for older Terraform.
    """
    backend = S3Backend(
        stack,
        bucket=config.bucket,
        key=config.key,
        region=config.region,
        encrypt=True,
        kms_key_id=config.kms_key_id,
        dynamodb_table=config.dynamodb_table,
    )
    stack.add_override("terraform.backend.s3.use_lockfile", True)
    return backend


def _principal_all() -> list[DataAwsIamPolicyDocumentStatementPrincipals]:
    return [DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])]


class StateBucket(Construct):
    """The S3 bucket that holds one environment's Terraform state, and the bucket of its access logs.

    Versioned (every apply can be rolled back), encrypted with a customer-managed
    KMS key that rotates yearly (alias ``config.kms_key_id``), closed to the public, owner-enforced (no ACLs),
    TLS-only, writes under any other encryption denied, noncurrent versions expired after
    ``config.noncurrent_version_retention_days``, incomplete uploads aborted after 7 days, and every request
    logged to ``config.log_bucket``. Optionally a DynamoDB lock table for Terraform < 1.10.

    Attributes: ``kms_key``, ``kms_alias``, ``bucket``, ``protection``, ``log_bucket``, ``log_protection``,
    ``logging``, ``lock_table``.
    """

    def __init__(self, scope: Construct, id: str, *, config: StateConfig) -> None:
        super().__init__(scope, id)
        if config.kms_key_id is None:  # EnvironmentConfig always sets it
            raise ValueError("StateConfig.kms_key_id: got None; allowed: the state key's alias")
        account = DataAwsCallerIdentity(self, "account").account_id
        # An explicit key policy: the account administers the key and IAM policies grant its use
        # (the state readers and writers: CI roles, operators). No service principal needs it.
        cmk = CustomerManagedKey(
            self,
            props=KeyProps(
                description=f"Encrypts Terraform state in s3://{config.bucket}",
                admin_principal_arn=f"arn:aws:iam::{account}:root",
                admin_sid="AccountAdministersKeyThroughIam",
                alias_name=config.kms_key_id,
            ),
        )
        self.kms_key, self.kms_alias = cmk.key, cmk.alias
        assert self.kms_alias is not None
        self.bucket = S3Bucket(self, "bucket", bucket=config.bucket)
        state_objects = f"{self.bucket.arn}/*"
        # The key the backend names may reach this policy as the key ARN (what S3 resolves) or as the alias the
        # request carried, so all three spellings of the one key are allowed; anything else is denied.
        key_spellings = [self.kms_key.arn, self.kms_alias.arn, config.kms_key_id]
        deny_other_encryption = [
            _deny_state_writes_unless(
                "DenyStateWritesWithoutSseKms", state_objects, "s3:x-amz-server-side-encryption", ["aws:kms"]
            ),
            _deny_state_writes_unless(
                "DenyStateWritesUnderAnotherKey",
                state_objects,
                "s3:x-amz-server-side-encryption-aws-kms-key-id",
                key_spellings,
            ),
        ]
        # The same protections as every other bucket (modules.data.backups), with the state's own CMK
        # and a longer noncurrent-version window: old state versions are the roll-back path.
        self.protection = BucketProtection(
            self,
            "protection",
            bucket=BucketRef(role="state", name=self.bucket.id, arn=self.bucket.arn),
            noncurrent_version_expiration_days=config.noncurrent_version_retention_days,
            abort_incomplete_multipart_upload_days=7,
            kms_key_arn=self.kms_key.arn,
            extra_statements=deny_other_encryption,
        )

        self.log_bucket = S3Bucket(self, "log-bucket", bucket=config.log_bucket)
        log_objects = f"{self.log_bucket.arn}/*"
        # Delivery by the logging service, only for the state bucket of this account (AWS's recommended grant);
        # nobody may delete a log: only the lifecycle expiration removes them.
        log_statements = [
            DataAwsIamPolicyDocumentStatement(
                sid="S3ServerAccessLogsPolicy",
                effect="Allow",
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(
                        type="Service", identifiers=["logging.s3.amazonaws.com"]
                    )
                ],
                actions=["s3:PutObject"],
                resources=[log_objects],
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="ArnLike", variable="aws:SourceArn", values=[self.bucket.arn]
                    ),
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="StringEquals", variable="aws:SourceAccount", values=[account]
                    ),
                ],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="DenyLogDeletion",
                effect="Deny",
                principals=_principal_all(),
                actions=["s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources=[log_objects],
            ),
        ]
        self.log_protection = BucketProtection(
            self,
            "log-protection",
            bucket=BucketRef(role="state-access-logs", name=self.log_bucket.id, arn=self.log_bucket.arn),
            noncurrent_version_expiration_days=1,
            abort_incomplete_multipart_upload_days=7,
            current_version_expiration_days=config.access_log_retention_days,
            extra_statements=log_statements,
            sse_s3=True,
        )
        self.logging = S3BucketLoggingA(
            self,
            "logging",
            bucket=self.bucket.id,
            target_bucket=self.log_bucket.id,
            target_prefix=ACCESS_LOG_PREFIX,
            depends_on=[self.log_protection.policy],
        )

        self.lock_table: DynamodbTable | None = None
        if config.dynamodb_table is not None:
            self.lock_table = encrypted_table(
                self,
                "lock-table",
                props=TableProps(
                    name=config.dynamodb_table,
                    hash_key="LockID",
                    kms_key_arn=self.kms_key.arn,
                    deletion_protection=True,
                ),
            )


def _deny_state_writes_unless(
    sid: str, objects: str, variable: str, values: list[str]
) -> DataAwsIamPolicyDocumentStatement:
    """Deny every principal PutObject on the state objects unless the request's ``variable`` is one of ``values``."""
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        effect="Deny",
        principals=_principal_all(),
        actions=["s3:PutObject"],
        resources=[objects],
        condition=[
            DataAwsIamPolicyDocumentStatementCondition(test="StringNotEquals", variable=variable, values=values)
        ],
    )
