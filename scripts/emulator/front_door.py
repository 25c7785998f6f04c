"""Create the front door's AWS resources (as Terraform and `manage_keys.py` would) in a moto server: tests and bench."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import boto3

from modules.front_door.names import AuthNames


@dataclass(frozen=True)
class FrontDoorResources:
    names: AuthNames
    pepper: str
    rest_api_id: str
    usage_plan_id: str
    data_key_arn: str


def create(prefix: str | None = None, *, region: str = "us-east-1", pepper_value: bool = True) -> FrontDoorResources:
    """Tables, the data key and its alias, the pepper secret (with a value unless ``pepper_value`` is False),
    a REST API with a stage and the usage plan (throttle only, as the stack makes it), under a unique prefix."""
    names = AuthNames.for_prefix(prefix or f"t{uuid.uuid4().hex[:10]}")
    ddb = boto3.client("dynamodb", region_name=region)
    ddb.create_table(
        TableName=names.keys_table,
        KeySchema=[{"AttributeName": "key_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    kms = boto3.client("kms", region_name=region)
    data_key = kms.create_key(Description=f"{names.prefix} data key")["KeyMetadata"]
    kms.create_alias(AliasName=names.data_key_alias, TargetKeyId=data_key["KeyId"])
    sm = boto3.client("secretsmanager", region_name=region)
    if pepper_value:
        # The pre-versioning form (a bare value), which parse_pepper_secret reads as version 1.
        pepper = uuid.uuid4().hex + uuid.uuid4().hex
        sm.create_secret(Name=names.pepper_secret, SecretString=pepper, KmsKeyId=data_key["Arn"])
    else:
        # As Terraform leaves it now: the secret without a value (manage_keys.py init-pepper writes it).
        pepper = ""
        sm.create_secret(Name=names.pepper_secret, KmsKeyId=data_key["Arn"])
    apigw = boto3.client("apigateway", region_name=region)
    api = apigw.create_rest_api(name=f"{names.prefix}-api", apiKeySource="AUTHORIZER")
    root = next(r["id"] for r in apigw.get_resources(restApiId=api["id"])["items"] if r["path"] == "/")
    apigw.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api["id"], stageName="v1")
    plan = apigw.create_usage_plan(
        name=names.usage_plan,
        apiStages=[{"apiId": api["id"], "stage": "v1"}],
        throttle={"rateLimit": 1000.0, "burstLimit": 2000},
    )
    return FrontDoorResources(
        names=names, pepper=pepper, rest_api_id=api["id"], usage_plan_id=plan["id"], data_key_arn=data_key["Arn"]
    )
