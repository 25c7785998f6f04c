"""An API that already exists, found by name with data sources: the hardening-only mode."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_api_gateway_rest_api import DataAwsApiGatewayRestApi
from cdktf_cdktf_provider_aws.data_aws_dynamodb_table import DataAwsDynamodbTable
from cdktf_cdktf_provider_aws.data_aws_lambda_function import DataAwsLambdaFunction
from cdktf_cdktf_provider_aws.data_aws_s3_bucket import DataAwsS3Bucket
from cdktf_cdktf_provider_aws.data_aws_sqs_queue import DataAwsSqsQueue
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from constructs import Construct

from environments.config.api import ExistingApiConfig
from modules.api.function import upload_code
from modules.api.handle import ApiAuthorization, FrontDoorFactory
from modules.core.packaging import Package
from modules.core.refs import BucketRef, FunctionRef, QueueRef, RestApiRef, ServiceRefs, TableRef

#: The role of the existing bucket the hardening Lambda package is uploaded to (always watched).
ARTIFACTS_ROLE = "artifacts"


def _slug(role: str) -> str:
    return role.replace("_", "-")


class ExistingApi(Construct):
    """References to an API that already exists, found by name with data sources.

    Looks up exactly what ``config`` lists, any number of each with any roles: the REST API
    (``rest-api``), each function (``<role>-function``), table (``<role>-table``), queue
    (``<role>-queue``, or ``<role>`` for a role ending in ``-dlq``), bucket (``<role>-bucket``) and
    the artifacts bucket (``artifacts``, role ``artifacts``), and exposes them in ``refs``.

    Nothing of the API is created; ``refs.managed`` is False, so hardening
    constructs attach separate resources instead of setting properties on
    these. The only object written is the hardening Lambda package (the
    authorizer's code), uploaded to the existing artifacts bucket (``code``).

    The stage, its methods and the account's API Gateway CloudWatch role belong to
    the API's owner, so access/execution logging, method metrics, request validators and
    attaching the authorizer to its methods (``authorization = CUSTOM``, ``api_key_required = true``,
    ``api_key_source = AUTHORIZER``) are theirs to set.

    front_door: builds the front door once the API is found (called once). Default: none.

    Attributes: ``rest_api``, ``code``, ``authorization``, ``managed_tables`` (none) and ``refs``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: ExistingApiConfig,
        package: Package,
        region: str,
        front_door: FrontDoorFactory | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.rest_api = DataAwsApiGatewayRestApi(self, "rest-api", name=config.rest_api_name)
        functions = tuple(
            (f.role, DataAwsLambdaFunction(self, f"{_slug(f.role)}-function", function_name=f.function_name))
            for f in config.functions
        )
        tables = tuple(
            (t.role, DataAwsDynamodbTable(self, f"{_slug(t.role)}-table", name=t.table_name)) for t in config.tables
        )
        queues = tuple((q, DataAwsSqsQueue(self, _queue_id(q.role), name=q.queue_name)) for q in config.queues)
        buckets = tuple(
            (b.role, DataAwsS3Bucket(self, f"{_slug(b.role)}-bucket", bucket=b.bucket_name)) for b in config.buckets
        )
        artifacts = DataAwsS3Bucket(self, "artifacts", bucket=config.artifacts_bucket_name)
        self.code = upload_code(self, package=package, bucket=artifacts.bucket)
        api_id = self.rest_api.id
        stage = config.stage_name
        api = RestApiRef(
            rest_api_id=api_id,
            name=self.rest_api.name,
            stage_name=stage,
            # No stage data source exists in provider 5.x; these formats are fixed by API Gateway.
            stage_arn=f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}",
            execution_arn=self.rest_api.execution_arn,
            invoke_url=f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
        )
        self.authorization: ApiAuthorization | None = front_door(api, self.code) if front_door else None
        self.managed_tables: tuple[DynamodbTable, ...] = ()
        self.refs = ServiceRefs(
            api=api,
            functions=tuple(FunctionRef(role=role, function_name=f.function_name, arn=f.arn) for role, f in functions),
            tables=tuple(TableRef(role=role, name=t.name, arn=t.arn) for role, t in tables),
            queues=tuple(
                QueueRef(role=q.role, name=d.name, arn=d.arn, url=d.url, is_dead_letter=q.is_dead_letter)
                for q, d in queues
            ),
            buckets=(
                BucketRef(role=ARTIFACTS_ROLE, name=artifacts.bucket, arn=artifacts.arn),
                *(BucketRef(role=role, name=b.bucket, arn=b.arn) for role, b in buckets),
            ),
            managed=False,
        )


def _queue_id(role: str) -> str:
    """``<role>-queue``; a role ending in ``-dlq`` (``projects-dlq``) keeps its own suffix (``projects-dlq``)."""
    slug = _slug(role)
    return slug if slug.endswith("-dlq") else f"{slug}-queue"
