"""Create the front door's AWS resources (as Terraform would) in a moto server, for integration tests."""

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


def create(prefix: str | None = None, *, region: str = "us-east-1") -> FrontDoorResources:
    """Tables, pepper secret, a REST API with a stage and the usage plan, under a unique prefix."""
    names = AuthNames.for_prefix(prefix or f"t{uuid.uuid4().hex[:10]}")
    ddb = boto3.client("dynamodb", region_name=region)
    for table, key in ((names.keys_table, "key_id"), (names.rate_limits_table, "counter_id")):
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    pepper = uuid.uuid4().hex + uuid.uuid4().hex
    sm = boto3.client("secretsmanager", region_name=region)
    sm.create_secret(Name=names.pepper_secret, SecretString=pepper)
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
        quota={"limit": 24000, "period": "DAY"},
    )
    return FrontDoorResources(names=names, pepper=pepper, rest_api_id=api["id"], usage_plan_id=plan["id"])
