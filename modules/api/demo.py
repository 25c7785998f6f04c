"""The demo AgenticAI API: a REGIONAL REST API with one stage, its routes and their backends."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cdktf import Fn, TerraformResourceLifecycle
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
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.lambda_event_source_mapping import LambdaEventSourceMapping
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from environments.config.api import ApiConfig
from environments.config.monitoring import FunctionLoggingConfig
from modules.api.account_logging import ApiGatewayAccountLogging
from modules.api.function import FunctionCode, FunctionProps, PythonFunction, upload_code
from modules.api.handle import ApiAuthorization, FrontDoorFactory
from modules.api.routes import (
    CONSUMERS,
    PROJECTS_INDEX,
    Backends,
    QueueConsumer,
    Route,
    functions_of,
    path_slug,
    routes_for,
)
from modules.api.schema import BODY_MODELS, access_log_format
from modules.core.kms import DataKey
from modules.core.lazy import lazy_string
from modules.core.naming import Naming
from modules.core.packaging import Package
from modules.core.refs import BucketRef, FunctionRef, QueueRef, RestApiRef, ServiceRefs, TableRef
from modules.data.queues import deny_insecure_transport
from modules.data.tables import IndexProps, TableProps, encrypted_table
from modules.functions.projects import TENANT_ATTRIBUTE, TTL_ATTRIBUTE

#: SQS visibility timeout per second of the consumer's timeout: AWS recommends at least six times the
#: function timeout for an event source mapping
#: (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig).
VISIBILITY_TIMEOUT_FACTOR = 6


def function_props(
    config: ApiConfig, *, log_retention_days: int, logging: FunctionLoggingConfig | None = None
) -> FunctionProps:
    """The demo functions' props: the API config's runtime, memory, timeout, concurrency and tracing."""
    return FunctionProps(
        logging=logging or FunctionLoggingConfig(),
        runtime=config.runtime,
        memory_mb=config.memory_mb,
        timeout_seconds=config.timeout_seconds,
        reserved_concurrency=config.reserved_concurrency,
        tracing=config.tracing,
        log_retention_days=log_retention_days,
    )


class DemoApi(Construct):
    """The demo AgenticAI API: a REGIONAL REST API with one stage, its routes and their backends.

    Creates the artifacts bucket (which holds the Lambda package), the projects
    table (on-demand, point-in-time recovery, encrypted with ``data_key``, a ``by-key`` index of each
    key's projects, TTL on ``expires_at``), the projects queue and its dead-letter queue (SSE), one
    function per distinct :class:`FunctionSpec` of the routes and of the queue's ``consumers`` (each
    with an event source mapping reporting partial batch failures) and the API itself.

    routes: Default: ``routes_for(config.public_liveness)``. consumers: Default: :data:`CONSUMERS`.

    Build order (nothing is edited after it is built): the REST API, then the front door built from
    it by ``front_door`` (called once), then the methods, with the front door's authorizer on the
    protected routes, then one deployment whose ``depends_on`` and redeployment trigger include the
    front door's gateway responses, then the stage. front_door: Default: none; protected routes are
    open (``authorization = NONE``), as in a minimal test stack.

    The stage writes JSON access logs (``modules.api.schema.ACCESS_LOG_FIELDS``) to its own log group,
    execution logs at ``config.execution_log_level`` and per-method metrics; every method has a request
    validator, and a route with a body model has its JSON body validated.

    deletion_protection: the projects table refuses deletion. Default: off.

    Attributes: ``rest_api``, ``stage``, ``deployment``, ``functions`` (role ->
    :class:`PythonFunction`), ``table``, ``queue``, ``dead_letter_queue``,
    ``bucket``, ``code``, ``validators``, ``models``, ``methods``, ``access_log_group``,
    ``execution_log_group``, ``method_settings``, ``account_logging`` (None when not managed),
    ``authorization`` (what ``front_door`` returned, or None), ``managed_tables`` and ``refs``.
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
        data_key: DataKey,
        front_door: FrontDoorFactory | None = None,
        deletion_protection: bool = False,
        routes: tuple[Route, ...] | None = None,
        consumers: tuple[QueueConsumer, ...] = CONSUMERS,
        function_logging: FunctionLoggingConfig | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.routes = routes if routes is not None else routes_for(config.public_liveness)
        self.consumers = consumers
        self.bucket = S3Bucket(self, "artifacts", bucket=naming.name("artifacts", kind="s3_bucket"))
        self.code = upload_code(self, package=package, bucket=self.bucket.id)
        self._backends(config, naming, data_key, deletion_protection)

        self.functions = self._functions(
            naming,
            function_props(config, log_retention_days=log_retention_days, logging=function_logging),
            Backends(table=self.table, queue=self.queue, data_key=data_key, stage_name=config.stage_name),
            data_key,
        )
        self.event_source_mappings = {
            consumer.function.role: LambdaEventSourceMapping(
                self,
                f"{consumer.function.role}-events",
                event_source_arn=self.queue.arn,
                function_name=self.functions[consumer.function.role].function.arn,
                batch_size=consumer.batch_size,
                # Failed messages only are retried (then moved to the DLQ), not the whole batch.
                function_response_types=["ReportBatchItemFailures"],
            )
            for consumer in consumers
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
        # The stage is created after the methods; the front door reads its attributes at synthesis.
        self.stage: ApiGatewayStage
        early_api = self._api_ref(
            stage_name=lazy_string(lambda: self.stage.stage_name),
            stage_arn=lazy_string(lambda: self.stage.arn),
            invoke_url=lazy_string(lambda: self.stage.invoke_url),
        )
        self.authorization: ApiAuthorization | None = front_door(early_api, self.code) if front_door else None

        self._request_checks()
        integrations = self._routes()
        marker = self.authorization.deployment_marker if self.authorization else "none"
        self.deployment = ApiGatewayDeployment(
            self,
            "deployment",
            rest_api_id=self.rest_api.id,
            triggers={"redeployment": self._redeployment_hash(marker)},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=[
                *self.methods.values(),
                *integrations,
                *(self.authorization.deployment_dependencies if self.authorization else ()),
            ],
        )
        self._stage(config, naming, data_key, log_retention_days)
        self.managed_tables: tuple[DynamodbTable, ...] = (self.table,)
        self.refs = self._refs()

    def _functions(
        self, naming: Naming, props: FunctionProps, backends: Backends, data_key: DataKey
    ) -> dict[str, PythonFunction]:
        """One function per distinct :class:`FunctionSpec` of the routes (role -> function)."""
        return {
            spec.role: PythonFunction(
                self,
                f"{spec.role}-function",
                code=FunctionCode(
                    function_name=naming.name(spec.role, kind="lambda_function"),
                    role_name=naming.name(spec.role, "lambda", kind="iam_role"),
                    handler=spec.handler,
                    description=spec.description,
                    code=self.code,
                    environment=spec.environment(backends),
                    permissions=spec.permissions(backends),
                ),
                props=props,
                data_key=data_key,
            )
            for spec in (*functions_of(self.routes), *(c.function for c in self.consumers))
        }

    def _refs(self) -> ServiceRefs:
        return ServiceRefs(
            api=self._api_ref(
                stage_name=self.stage.stage_name, stage_arn=self.stage.arn, invoke_url=self.stage.invoke_url
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

    def _api_ref(self, *, stage_name: str, stage_arn: str, invoke_url: str) -> RestApiRef:
        return RestApiRef(
            rest_api_id=self.rest_api.id,
            name=self.rest_api.name,
            stage_name=stage_name,
            stage_arn=stage_arn,
            execution_arn=self.rest_api.execution_arn,
            invoke_url=invoke_url,
        )

    def _backends(self, config: ApiConfig, naming: Naming, data_key: DataKey, deletion_protection: bool) -> None:
        """The projects table, queue and dead-letter queue."""
        self.table = encrypted_table(
            self,
            "projects-table",
            props=TableProps(
                name=naming.name("projects"),
                hash_key="id",
                kms_key_arn=data_key.arn,
                deletion_protection=deletion_protection,
                # Temporary projects (the canary's) and idempotency records expire.
                ttl_attribute=TTL_ATTRIBUTE,
                indexes=(IndexProps(PROJECTS_INDEX, hash_key=TENANT_ATTRIBUTE, range_key="created_at"),),
            ),
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
            visibility_timeout_seconds=VISIBILITY_TIMEOUT_FACTOR * config.timeout_seconds,
            redrive_policy=Fn.jsonencode(
                {"deadLetterTargetArn": self.dead_letter_queue.arn, "maxReceiveCount": config.queue_max_receive_count}
            ),
        )
        for queue in (self.dead_letter_queue, self.queue):  # TLS only (modules.data.queues)
            deny_insecure_transport(self, f"{queue.node.id}-policy", queue=queue)

    def _request_checks(self) -> None:
        """Every method has a validator (required parameters); a route with a body model also has its
        JSON body checked, so API Gateway answers a malformed body with BAD_REQUEST_BODY (400, the
        front door's JSON error) before invoking the function."""
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
        unknown = sorted({r.body_model for r in self.routes if r.body_model and r.body_model not in BODY_MODELS})
        if unknown:
            raise ValueError(f"Route.body_model: got {unknown[0]!r}; allowed: one of {', '.join(sorted(BODY_MODELS))}")
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
            if any(route.body_model == name for route in self.routes)
        }

    def _routes(self) -> list[ApiGatewayIntegration]:
        """Resources, methods (with their authorization), integrations and invoke permissions."""
        auth = self.authorization
        self.methods: dict[Route, ApiGatewayMethod] = {}
        integrations = []
        resources: dict[str, ApiGatewayResource] = {}
        for route in self.routes:
            parent_id = self.rest_api.root_resource_id
            path = ""
            for part in route.path.strip("/").split("/"):
                path = f"{path}/{part}"
                if path not in resources:
                    resources[path] = ApiGatewayResource(
                        self,
                        f"resource{path_slug(path)}",
                        rest_api_id=self.rest_api.id,
                        parent_id=parent_id,
                        path_part=part,
                    )
                parent_id = resources[path].id
            protected = route.protected and auth is not None
            method = ApiGatewayMethod(
                self,
                f"method-{route.route_id}",
                rest_api_id=self.rest_api.id,
                resource_id=parent_id,
                http_method=route.method,
                authorization="CUSTOM" if protected else "NONE",
                authorizer_id=auth.authorizer_id if protected and auth else None,
                api_key_required=True if protected else None,
                request_validator_id=self.validators["body" if route.body_model else "parameters"].id,
                request_models={"application/json": self.models[route.body_model].name} if route.body_model else None,
                request_parameters={f"method.request.path.{name}": True for name in route.path_parameters} or None,
            )
            self.methods[route] = method
            function = self.functions[route.function_role].function
            integrations.append(
                ApiGatewayIntegration(
                    self,
                    f"integration-{route.route_id}",
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
                f"invoke-{route.route_id}",
                function_name=function.function_name,
                action="lambda:InvokeFunction",
                principal="apigateway.amazonaws.com",
                # Only this route of this API may invoke the function (any stage).
                source_arn=f"{self.rest_api.execution_arn}/*/{route.method}{route.arn_path}",
            )
        return integrations

    def _stage(self, config: ApiConfig, naming: Naming, data_key: DataKey, log_retention_days: int) -> None:
        """The stage, its access and execution log groups and its method settings."""
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

    def _redeployment_hash(self, marker: str) -> str:
        """Changes whenever the routes, their body models or the front door (``marker``) change,
        so a new deployment is made."""
        spec: list[Any] = [(r.path, r.method, r.function_role, r.protected, r.body_model) for r in self.routes]
        models = {name: BODY_MODELS[name] for name in sorted(self.models)}
        return hashlib.sha256(json.dumps([spec, models, marker]).encode()).hexdigest()
