"""The AgenticAI API: the demo API this project creates, or an existing one found by name.

Both constructs expose ``refs``, a :class:`modules.core.refs.ServiceRefs`, which is
all the hardening constructs (front door, WAF, alarms, dashboard, backups,
canary) wire to. :func:`build_api` picks one from ``ApiConfig.existing``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import AssetType, Fn, TerraformAsset, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_settings import (
    ApiGatewayMethodSettings,
    ApiGatewayMethodSettingsSettings,
)
from cdktf_cdktf_provider_aws.api_gateway_model import ApiGatewayModel
from cdktf_cdktf_provider_aws.api_gateway_request_validator import ApiGatewayRequestValidator
from cdktf_cdktf_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktf_cdktf_provider_aws.api_gateway_rest_api import (
    ApiGatewayRestApi,
    ApiGatewayRestApiEndpointConfiguration,
)
from cdktf_cdktf_provider_aws.api_gateway_stage import ApiGatewayStage, ApiGatewayStageAccessLogSettings
from cdktf_cdktf_provider_aws.data_aws_api_gateway_rest_api import DataAwsApiGatewayRestApi
from cdktf_cdktf_provider_aws.data_aws_dynamodb_table import DataAwsDynamodbTable
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.data_aws_lambda_function import DataAwsLambdaFunction
from cdktf_cdktf_provider_aws.data_aws_s3_bucket import DataAwsS3Bucket
from cdktf_cdktf_provider_aws.data_aws_sqs_queue import DataAwsSqsQueue
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionTracingConfig,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from environments.config.api import ApiConfig, ExistingApiConfig
from modules.core.iam import Permission
from modules.core.kms import WRITE_ACTIONS, DataKey, KeyService
from modules.core.naming import Naming
from modules.core.packaging import Package
from modules.core.refs import BucketRef, FunctionRef, QueueRef, RestApiRef, ServiceRefs, TableRef
from modules.functions.projects import FIELDS as PROJECT_FIELDS

LAMBDA_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class Route:
    """One API route. protected: behind the API-key authorizer once :meth:`DemoApi.use_authorizer` runs."""

    path: str
    method: str
    function_role: str
    protected: bool
    #: The name of the JSON body model API Gateway validates before calling the function, if any.
    body_model: str | None = None


#: The API's routes. /health stays open so load balancers and uptime checks need no key.
ROUTES: tuple[Route, ...] = (
    Route("/health", "GET", "health", protected=False),
    Route("/api/projects", "GET", "projects", protected=True),
    Route("/api/projects", "POST", "projects", protected=True, body_model="CreateProject"),
)


def create_project_schema() -> dict[str, Any]:
    """The JSON Schema (draft-04, what API Gateway models use) of a POST /api/projects body.

    Built from the handler's own field table, so the gateway never rejects a body the
    handler would accept: each field is a required string of 1 to its maximum length
    with a non-blank character; other fields are allowed (the handler ignores them).
    The handler keeps its own checks (Content-Type, size, trimming): defense in depth.
    """
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "CreateProject",
        "type": "object",
        "required": list(PROJECT_FIELDS),
        "properties": {
            field: {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": "\\S"}
            for field, max_length in PROJECT_FIELDS.items()
        },
    }


#: JSON body models by name (the names ``Route.body_model`` refers to).
BODY_MODELS: dict[str, dict[str, Any]] = {"CreateProject": create_project_schema()}

#: Access log fields: JSON key -> the ``$context`` variable API Gateway fills in. Identifiers only:
#: never the API key itself (``$context.identity.apiKey``) or any request header (X-API-Key,
#: Authorization). keyId is the key's id, which the authorizer returns as its principal.
ACCESS_LOG_FIELDS: tuple[tuple[str, str], ...] = (
    ("requestId", "$context.requestId"),
    ("extendedRequestId", "$context.extendedRequestId"),
    ("ip", "$context.identity.sourceIp"),
    ("caller", "$context.identity.caller"),
    ("userAgent", "$context.identity.userAgent"),
    ("requestTime", "$context.requestTime"),
    ("httpMethod", "$context.httpMethod"),
    ("resourcePath", "$context.resourcePath"),
    ("status", "$context.status"),
    ("protocol", "$context.protocol"),
    ("responseLength", "$context.responseLength"),
    ("responseLatency", "$context.responseLatency"),
    ("integrationLatency", "$context.integrationLatency"),
    ("integrationStatus", "$context.integration.status"),
    ("authorizerStatus", "$context.authorizer.status"),
    ("authorizerLatency", "$context.authorizer.latency"),
    ("authorizerError", "$context.authorizer.error"),
    ("keyId", "$context.authorizer.principalId"),
    ("apiKeyId", "$context.identity.apiKeyId"),
    ("errorType", "$context.error.responseType"),
    ("errorMessage", "$context.error.messageString"),
    ("wafResponseCode", "$context.wafResponseCode"),
    ("wafStatus", "$context.waf.status"),
    ("wafError", "$context.waf.error"),
)

#: Variables API Gateway writes already quoted (and escaped), so the format must not quote them again.
_SELF_QUOTED = frozenset({"$context.error.messageString"})


def access_log_format() -> str:
    """The stage's access log format: one JSON object per request, on one line."""
    pairs = (f'"{key}":{var if var in _SELF_QUOTED else chr(34) + var + chr(34)}' for key, var in ACCESS_LOG_FIELDS)
    return "{" + ",".join(pairs) + "}"


APIGATEWAY_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    },
    separators=(",", ":"),
)
#: The AWS managed policy API Gateway's CloudWatch role needs (create log groups/streams, put events).
APIGATEWAY_LOGS_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


class ApiGatewayAccountLogging(Construct):
    """The account's API Gateway CloudWatch role: an IAM role API Gateway assumes to write the
    access and execution logs of every stage in this account and region, set with
    ``aws_api_gateway_account``. One per account and region (``ApiConfig.manage_account_logging_role``).
    Destroying it resets the account setting, so no dangling role ARN is left behind.

    Attributes: ``role``, ``account``.
    """

    def __init__(self, scope: Construct, id: str, *, naming: Naming) -> None:
        super().__init__(scope, id)
        self.role = IamRole(
            self,
            "role",
            name=naming.name("apigateway-logs", kind="iam_role"),
            description="API Gateway: write stage access and execution logs to CloudWatch Logs",
            assume_role_policy=APIGATEWAY_ASSUME_ROLE_POLICY,
        )
        attachment = IamRolePolicyAttachment(self, "policy", role=self.role.name, policy_arn=APIGATEWAY_LOGS_POLICY_ARN)
        self.account = ApiGatewayAccount(
            self,
            "account",
            cloudwatch_role_arn=self.role.arn,
            reset_on_delete=True,
            # API Gateway checks the role's permissions when the setting is made.
            depends_on=[attachment],
        )


class PythonFunction(Construct):
    """A Lambda function with its own role, log group (with retention) and X-Ray tracing.

    The role may only write to this function's log group, send X-Ray segments
    (which have no resource-level permissions), decrypt its own environment
    variables with ``data_key`` and do what ``permissions`` lists. The log group
    and the environment variables are encrypted with ``data_key``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function_name: str,
        handler: str,
        description: str,
        code: CodeLocation,
        config: ApiConfig,
        log_retention_days: int,
        environment: dict[str, str],
        permissions: tuple[Permission, ...] = (),
        role_name: str,
        data_key: DataKey,
    ) -> None:
        super().__init__(scope, id)
        self.log_group = data_key.log_group(
            self, "logs", name=f"/aws/lambda/{function_name}", retention_days=log_retention_days
        )
        self.role = IamRole(self, "role", name=role_name, assume_role_policy=LAMBDA_ASSUME_ROLE_POLICY)
        statements = [
            DataAwsIamPolicyDocumentStatement(
                sid="OwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{self.log_group.arn}:*"],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="XRay", actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]
            ),
        ]
        statements += [p.statement() for p in (*permissions, data_key.environment_permission(function_name))]
        self.policy_document = DataAwsIamPolicyDocument(self, "policy-document", statement=statements)
        self.policy = IamRolePolicy(self, "policy", role=self.role.id, policy=self.policy_document.json)
        self.function = LambdaFunction(
            self,
            "function",
            function_name=function_name,
            description=description,
            role=self.role.arn,
            runtime=config.runtime.value,
            handler=handler,
            s3_bucket=code.bucket,
            s3_key=code.key,
            source_code_hash=code.sha256_b64,
            memory_size=config.memory_mb,
            timeout=config.timeout_seconds,
            reserved_concurrent_executions=config.reserved_concurrency,
            tracing_config=LambdaFunctionTracingConfig(mode="Active" if config.tracing else "PassThrough"),
            environment=LambdaFunctionEnvironment(variables=environment) if environment else None,
            kms_key_arn=data_key.arn,
            depends_on=[self.log_group, self.policy],
        )


@dataclass(frozen=True)
class CodeLocation:
    """Where a Lambda package was uploaded (Terraform expressions) and its hash."""

    bucket: str
    key: str
    sha256_b64: str


def upload_code(scope: Construct, *, package: Package, bucket: str) -> CodeLocation:
    """Upload the deterministic Lambda package to ``bucket`` under a content-addressed key.

    TerraformAsset copies the zip into the stack directory, so the JSON
    references it by a relative path (``assets/...``), never a machine path.
    """
    asset = TerraformAsset(scope, "code-asset", path=str(package.path), type=AssetType.FILE)
    code_object = S3Object(
        scope, "code", bucket=bucket, key=f"lambda/functions-{package.sha256_hex[:16]}.zip", source=asset.path
    )
    return CodeLocation(bucket=bucket, key=code_object.key, sha256_b64=package.sha256_b64)


class DemoApi(Construct):
    """The demo AgenticAI API: a REGIONAL REST API with one stage, three routes and their backends.

    Creates the artifacts bucket (which holds the Lambda package), the projects
    table (on-demand, point-in-time recovery, encrypted with ``data_key``), the projects queue and
    its dead-letter queue (SSE), the ``projects`` and ``health`` functions and
    the API itself. Protected routes get the authorizer from
    :meth:`use_authorizer`; until then they are open (``authorization = NONE``).

    The stage writes JSON access logs (:data:`ACCESS_LOG_FIELDS`) to its own log group, execution
    logs at ``config.execution_log_level`` and per-method metrics; every method has a request
    validator, and POST /api/projects a JSON body model (:func:`create_project_schema`).

    Attributes: ``rest_api``, ``stage``, ``deployment``, ``functions`` (role ->
    :class:`PythonFunction`), ``table``, ``queue``, ``dead_letter_queue``,
    ``bucket``, ``code``, ``validators``, ``models``, ``access_log_group``, ``execution_log_group``,
    ``method_settings``, ``account_logging`` (None when not managed) and ``refs``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: ApiConfig,
        naming: Naming,
        package: Package,
        log_retention_days: int,
        region: str,
        data_key: DataKey,
    ) -> None:
        super().__init__(scope, id)
        self.config = config
        self.naming = naming
        self.data_key = data_key

        self.bucket = S3Bucket(self, "artifacts", bucket=naming.name("artifacts", kind="s3_bucket"))
        self.code = upload_code(self, package=package, bucket=self.bucket.id)

        self.table = DynamodbTable(
            self,
            "projects-table",
            name=naming.name("projects"),
            billing_mode="PAY_PER_REQUEST",
            hash_key="id",
            attribute=[DynamodbTableAttribute(name="id", type="S")],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=data_key.arn),
        )
        self.dead_letter_queue = SqsQueue(
            self,
            "projects-dlq",
            name=naming.name("projects-dlq"),
            message_retention_seconds=config.dlq_retention_days * 86400,
            sqs_managed_sse_enabled=True,
        )
        self.queue = SqsQueue(
            self,
            "projects-queue",
            name=naming.name("projects"),
            sqs_managed_sse_enabled=True,
            redrive_policy=Fn.jsonencode(
                {"deadLetterTargetArn": self.dead_letter_queue.arn, "maxReceiveCount": config.queue_max_receive_count}
            ),
        )

        self.functions: dict[str, PythonFunction] = {
            "projects": self._function(
                "projects",
                handler="functions.projects.handler",
                description="AgenticAI: GET/POST /api/projects",
                log_retention_days=log_retention_days,
                environment={"PROJECTS_TABLE": self.table.name, "PROJECTS_QUEUE_URL": self.queue.url},
                permissions=(
                    Permission(("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Scan"), (self.table.arn,)),
                    Permission(("sqs:SendMessage",), (self.queue.arn,)),
                    data_key.use(WRITE_ACTIONS, via=(KeyService.DYNAMODB,)),
                ),
            ),
            "health": self._function(
                "health",
                handler="functions.health.handler",
                description="AgenticAI: GET /health",
                log_retention_days=log_retention_days,
                environment={"API_VERSION": config.stage_name},
            ),
        }

        self.rest_api = ApiGatewayRestApi(
            self,
            "rest-api",
            name=naming.name("api"),
            description="AgenticAI API",
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            # The authorizer returns the caller's key as usageIdentifierKey, so usage plans meter it.
            api_key_source="AUTHORIZER",
        )
        # Every method has a validator (required parameters); a route with a body model also has its
        # JSON body checked, so API Gateway answers a malformed body with BAD_REQUEST_BODY (400, the
        # front door's JSON error) before invoking the function.
        self.validators = {
            "body": ApiGatewayRequestValidator(
                self,
                "validator-body-and-parameters",
                rest_api_id=self.rest_api.id,
                name="body-and-parameters",
                validate_request_body=True,
                validate_request_parameters=True,
            ),
            "parameters": ApiGatewayRequestValidator(
                self,
                "validator-parameters",
                rest_api_id=self.rest_api.id,
                name="parameters",
                validate_request_body=False,
                validate_request_parameters=True,
            ),
        }
        self.models = {
            name: ApiGatewayModel(
                self,
                f"model-{name}",
                rest_api_id=self.rest_api.id,
                name=name,
                description=schema["title"],
                content_type="application/json",
                schema=json.dumps(schema, separators=(",", ":")),
            )
            for name, schema in BODY_MODELS.items()
            if any(route.body_model == name for route in ROUTES)
        }
        self.methods: dict[Route, ApiGatewayMethod] = {}
        integrations = []
        resources: dict[str, ApiGatewayResource] = {}
        for route in ROUTES:
            parent_id = self.rest_api.root_resource_id
            path = ""
            for part in route.path.strip("/").split("/"):
                path = f"{path}/{part}"
                if path not in resources:
                    resources[path] = ApiGatewayResource(
                        self,
                        f"resource{path.replace('/', '-')}",
                        rest_api_id=self.rest_api.id,
                        parent_id=parent_id,
                        path_part=part,
                    )
                parent_id = resources[path].id
            route_id = f"{route.method.lower()}{route.path.replace('/', '-')}"
            method = ApiGatewayMethod(
                self,
                f"method-{route_id}",
                rest_api_id=self.rest_api.id,
                resource_id=parent_id,
                http_method=route.method,
                authorization="NONE",
                request_validator_id=self.validators["body" if route.body_model else "parameters"].id,
                request_models={"application/json": self.models[route.body_model].name} if route.body_model else None,
            )
            self.methods[route] = method
            function = self.functions[route.function_role].function
            integrations.append(
                ApiGatewayIntegration(
                    self,
                    f"integration-{route_id}",
                    rest_api_id=self.rest_api.id,
                    resource_id=parent_id,
                    http_method=method.http_method,
                    type="AWS_PROXY",
                    integration_http_method="POST",
                    uri=function.invoke_arn,
                )
            )
            LambdaPermission(
                self,
                f"invoke-{route_id}",
                function_name=function.function_name,
                action="lambda:InvokeFunction",
                principal="apigateway.amazonaws.com",
                # Only this route of this API may invoke the function (any stage).
                source_arn=f"{self.rest_api.execution_arn}/*/{route.method}{route.path}",
            )
        self._authorizer_marker = "none"
        self.deployment = ApiGatewayDeployment(
            self,
            "deployment",
            rest_api_id=self.rest_api.id,
            triggers={"redeployment": self._redeployment_hash()},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=[*self.methods.values(), *integrations],
        )
        # Logging needs the account's API Gateway CloudWatch role to be set first.
        self.account_logging: ApiGatewayAccountLogging | None = None
        if config.manage_account_logging_role:
            self.account_logging = ApiGatewayAccountLogging(self, "account-logging", naming=naming)
        self.access_log_group = data_key.log_group(
            self, "access-logs", name=f"/aws/apigateway/{naming.name('access')}", retention_days=log_retention_days
        )
        self.stage = ApiGatewayStage(
            self,
            "stage",
            rest_api_id=self.rest_api.id,
            deployment_id=self.deployment.id,
            stage_name=config.stage_name,
            xray_tracing_enabled=config.tracing,
            access_log_settings=ApiGatewayStageAccessLogSettings(
                destination_arn=self.access_log_group.arn, format=access_log_format()
            ),
            depends_on=[self.account_logging.account] if self.account_logging else None,
        )
        # API Gateway would create the execution log group itself, without retention; this one has it.
        self.execution_log_group = data_key.log_group(
            self,
            "execution-logs",
            name=f"API-Gateway-Execution-Logs_{self.rest_api.id}/{config.stage_name}",
            retention_days=log_retention_days,
        )
        self.method_settings = ApiGatewayMethodSettings(
            self,
            "method-settings",
            rest_api_id=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings=ApiGatewayMethodSettingsSettings(
                metrics_enabled=True,
                logging_level=config.execution_log_level.value,
                # Full request/response logging would write API keys and bodies to the logs.
                data_trace_enabled=False,
            ),
            depends_on=[self.execution_log_group],
        )

        self.refs = ServiceRefs(
            api=RestApiRef(
                rest_api_id=self.rest_api.id,
                name=self.rest_api.name,
                stage_name=self.stage.stage_name,
                stage_arn=self.stage.arn,
                execution_arn=self.rest_api.execution_arn,
                invoke_url=self.stage.invoke_url,
            ),
            functions=tuple(
                FunctionRef(role=role, function_name=f.function.function_name, arn=f.function.arn)
                for role, f in self.functions.items()
            ),
            tables=(TableRef(role="projects", name=self.table.name, arn=self.table.arn),),
            queues=(
                QueueRef(role="projects", name=self.queue.name, arn=self.queue.arn, url=self.queue.url),
                QueueRef(
                    role="projects_dlq",
                    name=self.dead_letter_queue.name,
                    arn=self.dead_letter_queue.arn,
                    url=self.dead_letter_queue.url,
                    is_dead_letter=True,
                ),
            ),
            buckets=(BucketRef(role="artifacts", name=self.bucket.bucket, arn=self.bucket.arn),),
            managed=True,
        )

    def _function(
        self,
        role: str,
        *,
        handler: str,
        description: str,
        log_retention_days: int,
        environment: dict[str, str],
        permissions: tuple[Permission, ...] = (),
    ) -> PythonFunction:
        return PythonFunction(
            self,
            f"{role}-function",
            function_name=self.naming.name(role, kind="lambda_function"),
            role_name=self.naming.name(role, "lambda", kind="iam_role"),
            handler=handler,
            description=description,
            code=self.code,
            config=self.config,
            log_retention_days=log_retention_days,
            environment=environment,
            permissions=permissions,
            data_key=self.data_key,
        )

    def _redeployment_hash(self) -> str:
        """Changes whenever the routes or their authorization change, so a new deployment is made."""
        spec = [(r.path, r.method, r.function_role, r.protected, r.body_model) for r in ROUTES]
        models = {name: BODY_MODELS[name] for name in sorted(self.models)}
        return hashlib.sha256(json.dumps([spec, models, self._authorizer_marker]).encode()).hexdigest()

    def use_authorizer(self, *, authorizer_id: str, marker: str, depends_on: Sequence[Any] = ()) -> None:
        """Put the protected routes behind a CUSTOM authorizer and require a usage-plan API key.

        marker: a stable literal describing the front door (e.g. a hash of its gateway
        responses) folded into the redeployment trigger, so changing them redeploys.
        depends_on: resources (gateway responses) the deployment must follow.
        """
        for route, method in self.methods.items():
            if route.protected:
                method.authorization = "CUSTOM"
                method.authorizer_id = authorizer_id
                method.api_key_required = True
        self._authorizer_marker = marker
        self.deployment.triggers = {"redeployment": self._redeployment_hash()}
        if depends_on:
            self.deployment.depends_on = [
                *self.deployment.depends_on,
                *(f"{d.terraform_resource_type}.{d.friendly_unique_id}" for d in depends_on),
            ]


class ExistingApi(Construct):
    """References to an API that already exists, found by name with data sources.

    Nothing of the API is created; ``refs.managed`` is False, so hardening
    constructs attach separate resources instead of setting properties on
    these. The only object written is the hardening Lambda package (the
    authorizer's code), uploaded to the existing artifacts bucket (``code``).

    The stage, its methods and the account's API Gateway CloudWatch role belong to
    the API's owner, so access/execution logging, method metrics and request
    validators are theirs to set (or import the stage into this stack to manage them).
    """

    def __init__(self, scope: Construct, id: str, *, config: ExistingApiConfig, package: Package, region: str) -> None:
        super().__init__(scope, id)
        self.rest_api = DataAwsApiGatewayRestApi(self, "rest-api", name=config.rest_api_name)
        functions = {
            "projects": DataAwsLambdaFunction(self, "projects-function", function_name=config.projects_function_name),
            "health": DataAwsLambdaFunction(self, "health-function", function_name=config.health_function_name),
        }
        table = DataAwsDynamodbTable(self, "projects-table", name=config.projects_table_name)
        queue = DataAwsSqsQueue(self, "projects-queue", name=config.projects_queue_name)
        dlq = DataAwsSqsQueue(self, "projects-dlq", name=config.projects_dlq_name)
        bucket = DataAwsS3Bucket(self, "artifacts", bucket=config.artifacts_bucket_name)
        self.code = upload_code(self, package=package, bucket=bucket.bucket)
        api_id = self.rest_api.id
        self.refs = ServiceRefs(
            api=RestApiRef(
                rest_api_id=api_id,
                name=self.rest_api.name,
                stage_name=config.stage_name,
                # No stage data source exists in provider 5.x; these formats are fixed by API Gateway.
                stage_arn=f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{config.stage_name}",
                execution_arn=self.rest_api.execution_arn,
                invoke_url=f"https://{api_id}.execute-api.{region}.amazonaws.com/{config.stage_name}",
            ),
            functions=tuple(
                FunctionRef(role=role, function_name=f.function_name, arn=f.arn) for role, f in functions.items()
            ),
            tables=(TableRef(role="projects", name=table.name, arn=table.arn),),
            queues=(
                QueueRef(role="projects", name=queue.name, arn=queue.arn, url=queue.url),
                QueueRef(role="projects_dlq", name=dlq.name, arn=dlq.arn, url=dlq.url, is_dead_letter=True),
            ),
            buckets=(BucketRef(role="artifacts", name=bucket.bucket, arn=bucket.arn),),
            managed=False,
        )

    def use_authorizer(self, *, authorizer_id: str, marker: str, depends_on: Sequence[Any] = ()) -> None:
        """Nothing to do: the existing API's owner attaches the authorizer to its methods
        (``authorization = CUSTOM``, ``api_key_required = true``, ``api_key_source = AUTHORIZER``)."""


def build_api(
    scope: Construct,
    id: str,
    *,
    config: ApiConfig,
    naming: Naming,
    package: Package,
    log_retention_days: int,
    region: str,
    data_key: DataKey,
) -> DemoApi | ExistingApi:
    """The demo API, or references to ``config.existing`` when set (which encrypts nothing: it creates no data)."""
    if config.existing is not None:
        return ExistingApi(scope, id, config=config.existing, package=package, region=region)
    return DemoApi(
        scope,
        id,
        config=config,
        naming=naming,
        package=package,
        log_retention_days=log_retention_days,
        region=region,
        data_key=data_key,
    )
