"""Remote Terraform state: the S3 backend of each environment and the bucket that holds it."""

from __future__ import annotations

from cdktf import S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from constructs import Construct

from environments.config import StateConfig
from modules.core.kms import CustomerManagedKey, KeyProps
from modules.core.refs import BucketRef
from modules.data.backups import BucketProtection
from modules.data.tables import TableProps, encrypted_table


def use_remote_state(stack: TerraformStack, *, config: StateConfig) -> S3Backend:
    """Configure the stack's S3 backend: encrypted, with S3-native locking.

    ``use_lockfile`` (Terraform >= 1.10) writes ``<key>.tflock`` next to the
    state with a conditional PUT; cdktf's S3Backend predates it, so it is added
    as an override. A DynamoDB table is only added for older Terraform.
    """
    backend = S3Backend(
        stack,
        bucket=config.bucket,
        key=config.key,
        region=config.region,
        encrypt=True,
        dynamodb_table=config.dynamodb_table,
    )
    stack.add_override("terraform.backend.s3.use_lockfile", True)
    return backend


class StateBucket(Construct):
    """The S3 bucket that holds one environment's Terraform state.

    Versioned (every apply can be rolled back), encrypted with a customer-managed
    KMS key that rotates yearly, closed to the public, owner-enforced (no ACLs),
    TLS-only, with noncurrent versions expired after
    ``config.noncurrent_version_retention_days`` and incomplete uploads aborted
    after 7 days. Optionally a DynamoDB lock table for Terraform < 1.10.
    """

    def __init__(self, scope: Construct, id: str, *, config: StateConfig) -> None:
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account").account_id
        # An explicit key policy: the account administers the key and IAM policies grant its use
        # (the state readers and writers: CI roles, operators). No service principal needs it.
        self.kms_key = CustomerManagedKey(
            self,
            props=KeyProps(
                description=f"Encrypts Terraform state in s3://{config.bucket}",
                admin_principal_arn=f"arn:aws:iam::{account}:root",
                admin_sid="AccountAdministersKeyThroughIam",
            ),
        ).key
        self.bucket = S3Bucket(self, "bucket", bucket=config.bucket)
        # The same protections as every other bucket (modules.data.backups), with the state's own CMK
        # and a longer noncurrent-version window: old state versions are the roll-back path.
        self.protection = BucketProtection(
            self,
            "protection",
            bucket=BucketRef(role="state", name=self.bucket.id, arn=self.bucket.arn),
            noncurrent_version_expiration_days=config.noncurrent_version_retention_days,
            abort_incomplete_multipart_upload_days=7,
            kms_key_arn=self.kms_key.arn,
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
