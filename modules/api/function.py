"""The generic Python Lambda function, its props and where its code is uploaded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
)
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from environments.config.api import LambdaRuntime
from environments.config.monitoring import FunctionLoggingConfig
from modules.core.iam import Permission
from modules.core.kms import DataKey
from modules.core.packaging import Package

LAMBDA_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    },
    separators=(",", ":"),
)

#: The retention periods CloudWatch Logs accepts (``retention_in_days``).
#: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS: frozenset[int] = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)


@dataclass(frozen=True)
class FunctionProps:
    """How a :class:`PythonFunction` runs. Lambda's limits:
    https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html

    runtime: the Python runtime. Default: Python 3.13, the newest one provider 5.100.0 knows.
    memory_mb: memory (and so CPU). Default: 256 MB (Python handlers with boto3 start faster above 128).
    timeout_seconds: the function's timeout. Default: 10 s, well under API Gateway's 29 s integration limit.
    reserved_concurrency: concurrent executions reserved for (and capping) the function.
        Default: none; the function shares the account's unreserved pool.
    tracing: X-Ray active tracing. Default: on.
    log_retention_days: how long the function's log group keeps events. Default: 30 days.
    logging: JSON log format, application and system log levels, and the INFO sample rate
        (``LOG_SAMPLE_RATE``, read by ``functions/sampling.py``). Default: INFO, every invocation.
    """

    runtime: LambdaRuntime = LambdaRuntime.PYTHON_3_13
    memory_mb: int = 256
    timeout_seconds: int = 10
    reserved_concurrency: int | None = None
    tracing: bool = True
    log_retention_days: int = 30
    logging: FunctionLoggingConfig = FunctionLoggingConfig()

    def __post_init__(self) -> None:
        if not isinstance(self.runtime, LambdaRuntime):
            allowed = ", ".join(r.value for r in LambdaRuntime)
            raise ValueError(f"FunctionProps.runtime: got {self.runtime!r}; allowed: one of {allowed}")
        _require_range("memory_mb", self.memory_mb, 128, 10240)
        _require_range("timeout_seconds", self.timeout_seconds, 1, 900)
        if self.reserved_concurrency is not None:
            _require_range("reserved_concurrency", self.reserved_concurrency, 1, 10000)
        if not isinstance(self.tracing, bool):
            raise ValueError(f"FunctionProps.tracing: got {self.tracing!r}; allowed: True or False")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in sorted(LOG_RETENTION_DAYS))
            raise ValueError(f"FunctionProps.log_retention_days: got {self.log_retention_days!r}; allowed: {allowed}")


def _require_range(name: str, value: object, minimum: int, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValueError(f"FunctionProps.{name}: got {value!r}; allowed: an integer >= {minimum} and <= {maximum}")


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


@dataclass(frozen=True)
class FunctionCode:
    """What a :class:`PythonFunction` runs and with which rights.

    function_name / role_name: the Lambda function's and its IAM role's names.
    handler: ``module.function`` inside the package (e.g. ``functions.health.handler``).
    description: the function's description.
    code: where the package was uploaded (:func:`upload_code`).
    environment: environment variables. Default: none.
    permissions: what the role may do besides logging, tracing and decrypting its environment. Default: nothing.
    """

    function_name: str
    role_name: str
    handler: str
    description: str
    code: CodeLocation
    environment: dict[str, str] = field(default_factory=dict)
    permissions: tuple[Permission, ...] = ()


class PythonFunction(Construct):
    """A Lambda function with its own role, log group (with retention) and X-Ray tracing.

    The role may only write to this function's log group, send X-Ray segments
    (which have no resource-level permissions), decrypt its own environment
    variables with ``data_key`` and do what ``code.permissions`` lists. The log group
    and the environment variables are encrypted with ``data_key``.

    Attributes: ``function``, ``role``, ``policy``, ``policy_document``, ``log_group``.
    """

    def __init__(
        self, scope: Construct, id: str, *, code: FunctionCode, props: FunctionProps, data_key: DataKey
    ) -> None:
        super().__init__(scope, id)
        name = code.function_name
        self.log_group = data_key.log_group(
            self, "logs", name=f"/aws/lambda/{name}", retention_days=props.log_retention_days
        )
        self.role = IamRole(self, "role", name=code.role_name, assume_role_policy=LAMBDA_ASSUME_ROLE_POLICY)
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
        statements += [p.statement() for p in (*code.permissions, data_key.environment_permission(name))]
        self.policy_document = DataAwsIamPolicyDocument(self, "policy-document", statement=statements)
        self.policy = IamRolePolicy(self, "policy", role=self.role.id, policy=self.policy_document.json)
        self.function = LambdaFunction(
            self,
            "function",
            function_name=name,
            description=code.description,
            role=self.role.arn,
            runtime=props.runtime.value,
            handler=code.handler,
            s3_bucket=code.code.bucket,
            s3_key=code.code.key,
            source_code_hash=code.code.sha256_b64,
            memory_size=props.memory_mb,
            timeout=props.timeout_seconds,
            reserved_concurrent_executions=props.reserved_concurrency,
            tracing_config=LambdaFunctionTracingConfig(mode="Active" if props.tracing else "PassThrough"),
            environment=LambdaFunctionEnvironment(
                variables={**code.environment, "LOG_SAMPLE_RATE": f"{props.logging.info_sample_rate:g}"}
            ),
            # JSON lines: logging `extra` keys become top-level fields that metric filters select
            # ({ $.decision = "fail_closed" }), and Lambda drops lines below application_log_level.
            # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
            logging_config=(
                LambdaFunctionLoggingConfig(
                    log_format="JSON",
                    application_log_level=props.logging.application_log_level.value,
                    system_log_level=props.logging.system_log_level.value,
                    log_group=self.log_group.name,
                )
                if props.logging.json_logging_config_enabled
                else None
            ),
            kms_key_arn=data_key.arn,
            depends_on=[self.log_group, self.policy],
        )
