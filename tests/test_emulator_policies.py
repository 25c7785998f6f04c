"""The e2e emulator (scripts/emulator/tls.py) evaluates the state bucket's encryption Denies as AWS does.

moto ignores StringNotEquals in bucket policies, so without this the state bucket's "deny PutObject without
the state key" statements would refuse every write. Here a real TLS moto server holds the policy
``modules.data.state`` renders, and real PutObject calls are refused or accepted by their headers.
"""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def tls_server(tmp_path):
    from scripts.emulator.tls import TlsMotoServer

    with TlsMotoServer(tmp_path / "tls", log_path=tmp_path / "moto.log") as server:
        yield server


def test_state_bucket_policy_refuses_aes256_and_other_keys_and_accepts_the_state_key(tls_server) -> None:
    from botocore.exceptions import ClientError

    from scripts.e2e import boto3_client

    s3, kms = boto3_client("s3", tls_server, "us-east-1"), boto3_client("kms", tls_server, "us-east-1")
    bucket, alias = "tfstate-policy-probe", "alias/probe-tfstate"
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    s3.create_bucket(Bucket=bucket)
    objects = f"arn:aws:s3:::{bucket}/*"
    # The statements modules.data.state renders (aws_iam_policy_document output, single values as strings).
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyStateWritesWithoutSseKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
            {
                "Sid": "DenyStateWritesUnderAnotherKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "StringNotEquals": {
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": [
                            key_arn,
                            f"arn:aws:kms:us-east-1:123456789012:{alias}",
                            alias,
                        ]
                    }
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", objects],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    def put(**encryption) -> None:
        s3.put_object(Bucket=bucket, Key="agenticai/terraform.tfstate", Body=b"{}", **encryption)

    for refused in ({}, {"ServerSideEncryption": "AES256"}, {"ServerSideEncryption": "aws:kms"}):
        with pytest.raises(ClientError) as error:
            put(**refused)
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, refused
    other = kms.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError):
        put(ServerSideEncryption="aws:kms", SSEKMSKeyId=other)
    put(ServerSideEncryption="aws:kms", SSEKMSKeyId=alias)  # what the backend sends
    put(ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert s3.get_object(Bucket=bucket, Key="agenticai/terraform.tfstate")["Body"].read() == b"{}"
