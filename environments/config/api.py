"""The AgenticAI API itself: the demo API this project creates, or an existing one to harden."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import Field, model_validator

from environments.config.base import BucketName, ConfigModel, InstanceOf, Pattern, Slug, TableName, unique

# API Gateway stage names: letters, digits, hyphens and underscores, up to 128 characters.
StageName = Annotated[str, Pattern(r"[A-Za-z0-9_-]{1,128}", "an API Gateway stage name")]
ReservedConcurrency = Annotated[int, Field(ge=1, le=10000)]
#: The API's one request-body limit (bytes): the WAF's body size rule blocks larger bodies at the edge, and the
#: projects handler receives it as its ``MAX_BODY_BYTES`` environment variable (``modules.api.routes``).
MAX_BODY_BYTES = 64 * 1024


class LambdaRuntime(enum.Enum):
    """Python runtimes that AWS supports and provider 5.100.0 accepts."""

    PYTHON_3_12 = "python3.12"
    PYTHON_3_13 = "python3.13"


class ExecutionLogLevel(enum.Enum):
    """API Gateway execution logging (``logging_level`` of the stage's method settings)."""

    ERROR = "ERROR"
    INFO = "INFO"
    OFF = "OFF"


class _ExistingResource(ConfigModel):
    role: Slug
    """What the resource does or holds in the API (``projects``, ``health``); names its alarms and widgets."""


class ExistingFunction(_ExistingResource):
    """A Lambda function of the existing API, watched like the demo's functions."""

    config_path = "api.existing.functions[]"
    function_name: Annotated[str, Pattern(r"[A-Za-z0-9_-]{1,64}", "a Lambda function name")]
    """The function's name."""


class ExistingTable(_ExistingResource):
    """A DynamoDB table of the existing API."""

    config_path = "api.existing.tables[]"
    table_name: TableName
    """The table's name."""


class ExistingQueue(_ExistingResource):
    """An SQS queue of the existing API."""

    config_path = "api.existing.queues[]"
    queue_name: Annotated[str, Pattern(r"[A-Za-z0-9_-]{1,80}(\.fifo)?", "an SQS queue name")]
    """The queue's name."""
    is_dead_letter: bool = False
    """A dead-letter queue (any message alarms). Default: off, a work queue (its oldest message's age alarms)."""


class ExistingBucket(_ExistingResource):
    """An S3 bucket of the existing API."""

    config_path = "api.existing.buckets[]"
    bucket_name: BucketName
    """The bucket's name."""


class ExistingApiConfig(ConfigModel):
    """An API that already exists, looked up by name instead of created; whatever resources it lists are watched."""

    config_path = "api.existing"
    rest_api_name: Annotated[str, Pattern(r"[^\s].{0,1023}", "a non-empty REST API name")]
    """The REST API's name (looked up with a data source)."""
    stage_name: StageName
    """The deployed stage to harden."""
    artifacts_bucket_name: BucketName
    """The S3 bucket the hardening Lambda packages (the authorizer) are uploaded to."""
    functions: tuple[InstanceOf[ExistingFunction], ...] = ()
    """The API's Lambda functions. Default: none watched."""
    tables: tuple[InstanceOf[ExistingTable], ...] = ()
    """The API's DynamoDB tables. Default: none watched."""
    queues: tuple[InstanceOf[ExistingQueue], ...] = ()
    """The API's SQS queues. Default: none watched."""
    buckets: tuple[InstanceOf[ExistingBucket], ...] = ()
    """The API's S3 buckets. Default: none watched."""

    @model_validator(mode="after")
    def _unique_roles(self) -> ExistingApiConfig:
        for kind in ("functions", "tables", "queues", "buckets"):
            unique(kind, (item.role for item in getattr(self, kind)), "each role at most once")
        return self


class ApiConfig(ConfigModel):
    """The API being hardened."""

    config_path = "api"
    existing: InstanceOf[ExistingApiConfig] | None = None
    """Harden an existing API instead. Default: none; the demo API (REST API, Lambdas, table, queue...) is created."""
    stage_name: StageName = "v1"
    """The demo API's stage. Default: ``v1``."""
    runtime: LambdaRuntime = LambdaRuntime.PYTHON_3_13
    """The Lambda runtime of every handler. Default: Python 3.13, the newest one provider 5.100.0 knows."""
    memory_mb: int = Field(256, ge=128, le=10240)
    """Memory of each function. Default: 256 MB (Python handlers with boto3 start faster above 128)."""
    timeout_seconds: int = Field(10, ge=1, le=29)
    """Each function's timeout. Default: 10 s, well under API Gateway's 29 s integration limit."""
    reserved_concurrency: ReservedConcurrency | None = None
    """Executions reserved for (and capping) each function. Default: none; the account's unreserved pool."""
    tracing: bool = True
    """X-Ray active tracing on the functions and the stage. Default: on."""
    queue_max_receive_count: int = Field(5, ge=1, le=1000)
    """Deliveries before a message moves to the dead-letter queue. Default: 5."""
    dlq_retention_days: int = Field(14, ge=1, le=14)
    """How long the dead-letter queue keeps messages. Default: 14 days (the SQS maximum)."""
    execution_log_level: ExecutionLogLevel = ExecutionLogLevel.ERROR
    """Execution logging of the demo stage's methods (to ``API-Gateway-Execution-Logs_<api id>/<stage>``).
    Default: ERROR (authorizer, integration and validation failures; INFO logs every request and costs more).
    Data tracing is always off: it would log API keys. OFF fails the security gate (checkov CKV2_AWS_4)."""
    public_liveness: bool = False
    """Add a keyless ``GET /health/live`` for uptime checkers that cannot send an ``X-API-Key`` header
    (``GET /health`` always needs the key). Default: off; nothing answers without a key."""
    manage_account_logging_role: bool = True
    """Create API Gateway's CloudWatch logging role and set it for the account (``aws_api_gateway_account``),
    one setting per account and region shared by every API: turn off when another stack owns it (the stage's
    logs still need it set). Default: on; each environment has its own account."""
