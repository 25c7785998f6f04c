"""The one way this project creates a DynamoDB table: on demand, point-in-time recovery, SSE with a CMK.

Used by the demo API's projects table, the front door's keys table and the
Terraform lock table. Tables of an existing API are not created here, so their protection is
checked by ``scripts/verify_deployment.py`` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTableGlobalSecondaryIndex,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from constructs import Construct

# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,255}")


@dataclass(frozen=True)
class IndexProps:
    """A global secondary index projecting every attribute: its name, a string hash key and a number range key.

    Items without the hash key attribute are not in the index (a sparse index).
    """

    name: str
    hash_key: str
    range_key: str


@dataclass(frozen=True)
class TableProps:
    """Props of an encrypted, on-demand DynamoDB table with a string hash key.

    name: the table name (a Terraform expression or literal).
    hash_key: the partition key, a string attribute.
    kms_key_arn: the customer-managed key of server-side encryption (the environment's data key).
    point_in_time_recovery: continuous backups, 35 days of restore points. Default: on.
    deletion_protection: refuse ``DeleteTable`` until it is switched off. Default: off
        (environments turn it on with ``BackupConfig.deletion_protection``).
    ttl_attribute: the attribute holding each item's expiry (epoch seconds). Default: no TTL; items stay.
    indexes: global secondary indexes (string hash key, number range key). Default: none.
    """

    name: str
    hash_key: str
    kms_key_arn: str
    point_in_time_recovery: bool = True
    deletion_protection: bool = False
    ttl_attribute: str | None = None
    indexes: tuple[IndexProps, ...] = ()

    def __post_init__(self) -> None:
        for field in ("hash_key", "ttl_attribute"):
            value = getattr(self, field)
            if value is not None and not _ATTRIBUTE_NAME.fullmatch(value):
                raise ValueError(
                    f"TableProps.{field}: got {value!r}; allowed: 1-255 characters of letters, digits, _ . -"
                )


def encrypted_table(scope: Construct, id: str, *, props: TableProps) -> DynamodbTable:
    """An on-demand table (PAY_PER_REQUEST) protected as ``props`` says, created in ``scope`` under ``id``.

    Not a construct node of its own, so the table's Terraform address belongs to the caller.
    """
    return DynamodbTable(
        scope,
        id,
        name=props.name,
        billing_mode="PAY_PER_REQUEST",
        hash_key=props.hash_key,
        attribute=[
            DynamodbTableAttribute(name=props.hash_key, type="S"),
            *(
                attribute
                for index in props.indexes
                for attribute in (
                    DynamodbTableAttribute(name=index.hash_key, type="S"),
                    DynamodbTableAttribute(name=index.range_key, type="N"),
                )
            ),
        ],
        global_secondary_index=[
            DynamodbTableGlobalSecondaryIndex(
                name=index.name, hash_key=index.hash_key, range_key=index.range_key, projection_type="ALL"
            )
            for index in props.indexes
        ]
        or None,
        ttl=DynamodbTableTtl(attribute_name=props.ttl_attribute, enabled=True) if props.ttl_attribute else None,
        point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=props.point_in_time_recovery),
        server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=props.kms_key_arn),
        deletion_protection_enabled=props.deletion_protection,
    )
