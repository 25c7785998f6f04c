"""The AgenticAI API itself: the demo API this project creates, or an existing one to harden."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from environments.config.base import ConfigError, require_enum, require_int, require_pattern

# API Gateway stage names: letters, digits, hyphens and underscores, up to 128 characters.
_STAGE_PATTERN = r"[A-Za-z0-9_-]{1,128}"
_LAMBDA_NAME_PATTERN = r"[A-Za-z0-9_-]{1,64}"
_TABLE_PATTERN = r"[A-Za-z0-9_.-]{3,255}"
_QUEUE_PATTERN = r"[A-Za-z0-9_-]{1,80}(\.fifo)?"
_BUCKET_PATTERN = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"


class LambdaRuntime(enum.Enum):
    """Python runtimes that AWS supports and provider 5.100.0 accepts."""

    PYTHON_3_12 = "python3.12"
    PYTHON_3_13 = "python3.13"


class ExecutionLogLevel(enum.Enum):
    """API Gateway execution logging (``logging_level`` of the stage's method settings)."""

    ERROR = "ERROR"
    INFO = "INFO"
    OFF = "OFF"


@dataclass(frozen=True)
class ExistingApiConfig:
    """An API that already exists, looked up by name/id instead of created.

    The hardening constructs receive the same typed references as for the demo
    API; only the attributes below are needed to find the resources.

    rest_api_name: the REST API's name (looked up with a data source).
    stage_name: the deployed stage to harden.
    projects_function_name / health_function_name: the Lambda functions behind
        ``/api/projects`` and ``/health``.
    projects_table_name: the DynamoDB table that stores projects.
    projects_queue_name / projects_dlq_name: the SQS queue and its dead-letter queue.
    artifacts_bucket_name: the S3 bucket for code and artifacts.
    """

    rest_api_name: str
    stage_name: str
    projects_function_name: str
    health_function_name: str
    projects_table_name: str
    projects_queue_name: str
    projects_dlq_name: str
    artifacts_bucket_name: str

    def __post_init__(self) -> None:
        require_pattern(
            "api.existing.rest_api_name", self.rest_api_name, r"[^\s].{0,1023}", "a non-empty REST API name"
        )
        require_pattern("api.existing.stage_name", self.stage_name, _STAGE_PATTERN, "an API Gateway stage name")
        for field in ("projects_function_name", "health_function_name"):
            require_pattern(f"api.existing.{field}", getattr(self, field), _LAMBDA_NAME_PATTERN, "a Lambda name")
        require_pattern(
            "api.existing.projects_table_name", self.projects_table_name, _TABLE_PATTERN, "a DynamoDB table name"
        )
        for field in ("projects_queue_name", "projects_dlq_name"):
            require_pattern(f"api.existing.{field}", getattr(self, field), _QUEUE_PATTERN, "an SQS queue name")
        require_pattern(
            "api.existing.artifacts_bucket_name", self.artifacts_bucket_name, _BUCKET_PATTERN, "an S3 bucket name"
        )


@dataclass(frozen=True)
class ApiConfig:
    """The API being hardened.

    existing: harden an existing API instead of creating the demo one.
        Default: none; the demo AgenticAI API (REST API, Lambdas, table, queue, bucket) is created.
    stage_name: the demo API's stage. Default: ``v1``.
    runtime: the Lambda runtime of every handler. Default: Python 3.13, the newest one provider 5.100.0 knows.
    memory_mb: memory of each function. Default: 256 MB (Python handlers with boto3 start faster above 128).
    timeout_seconds: each function's timeout. Default: 10 s, well under API Gateway's 29 s integration limit.
    reserved_concurrency: concurrent executions reserved for (and capping) each function.
        Default: none; the functions share the account's unreserved pool.
    tracing: X-Ray active tracing on the functions and the stage. Default: on.
    queue_max_receive_count: deliveries before a message moves to the dead-letter queue. Default: 5.
    dlq_retention_days: how long the dead-letter queue keeps messages. Default: 14 days (the SQS maximum).
    execution_log_level: API Gateway execution logging of every method of the demo stage, to the
        ``API-Gateway-Execution-Logs_<api id>/<stage>`` log group that API Gateway creates. Default: ERROR
        (authorizer failures, integration errors, validation failures; INFO logs every request's
        flow and costs more). Request/response data tracing is always off, since it would log API keys.
        OFF fails the security gate (checkov CKV2_AWS_4).
    manage_account_logging_role: create the IAM role API Gateway uses to write CloudWatch logs and
        set it as the account's API Gateway CloudWatch role (``aws_api_gateway_account``). That setting
        is one per account and region, shared by every API there: turn this off when another stack
        already owns it (the stage's access and execution logs still need it to be set). Default: on;
        each environment has its own account.
    """

    existing: ExistingApiConfig | None = None
    stage_name: str = "v1"
    runtime: LambdaRuntime = LambdaRuntime.PYTHON_3_13
    memory_mb: int = 256
    timeout_seconds: int = 10
    reserved_concurrency: int | None = None
    tracing: bool = True
    queue_max_receive_count: int = 5
    dlq_retention_days: int = 14
    execution_log_level: ExecutionLogLevel = ExecutionLogLevel.ERROR
    manage_account_logging_role: bool = True

    def __post_init__(self) -> None:
        if self.existing is not None and not isinstance(self.existing, ExistingApiConfig):
            raise ConfigError("api.existing", self.existing, "an ExistingApiConfig or None")
        require_pattern("api.stage_name", self.stage_name, _STAGE_PATTERN, "an API Gateway stage name")
        require_enum("api.runtime", self.runtime, LambdaRuntime)
        require_int("api.memory_mb", self.memory_mb, minimum=128, maximum=10240)
        require_int("api.timeout_seconds", self.timeout_seconds, minimum=1, maximum=29)
        if self.reserved_concurrency is not None:
            require_int("api.reserved_concurrency", self.reserved_concurrency, minimum=1, maximum=10000)
        if not isinstance(self.tracing, bool):
            raise ConfigError("api.tracing", self.tracing, "True or False")
        require_int("api.queue_max_receive_count", self.queue_max_receive_count, minimum=1, maximum=1000)
        require_int("api.dlq_retention_days", self.dlq_retention_days, minimum=1, maximum=14)
        require_enum("api.execution_log_level", self.execution_log_level, ExecutionLogLevel)
        if not isinstance(self.manage_account_logging_role, bool):
            raise ConfigError("api.manage_account_logging_role", self.manage_account_logging_role, "True or False")
