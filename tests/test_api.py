"""Property tests of the API in both modes: the demo API each environment creates, and an existing API."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from environments import ENVIRONMENTS, load
from environments.config import (
    ApiConfig,
    ExecutionLogLevel,
    LambdaRuntime,
    UsagePlanConfig,
)
from modules.core.packaging import build_package, zip_bytes
from modules.front_door.front_door import gateway_responses
from tests.support.rejects import rejects
from tests.synth import Synthesized, existing_api_config, existing_api_stack

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "modules" / "functions"

EXISTING = existing_api_config()


def _by_name(stack: Synthesized, type_: str, key: str = "function_name") -> dict[str, dict]:
    return {r[key]: r for r in stack.resources(type_)}


#: The stack's data key (``modules.core.kms.DataKey``, id ``data-key``) as policies reference it.
DATA_KEY_ARN = "${aws_kms_key.data-key_5D719C34.arn}"


def _kms_uses(statements: list[dict]) -> set[tuple[str, tuple[str, ...]]]:
    """(condition variable, actions) of each KMS statement."""
    return {
        (s["condition"][0]["variable"], tuple(s["actions"]))
        for s in statements
        if any(a.startswith("kms:") for a in s["actions"])
    }


# --- demo API, per environment ------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_regional_rest_api_with_one_stage_and_its_routes(env, stacks) -> None:
    config, stack = load(env), stacks[env]
    api = stack.resource("aws_api_gateway_rest_api")
    assert api["endpoint_configuration"] == {"types": ["REGIONAL"]}
    assert api["api_key_source"] == "AUTHORIZER"
    assert stack.resource("aws_api_gateway_stage")["stage_name"] == config.api.stage_name
    assert stack.resource("aws_api_gateway_stage")["xray_tracing_enabled"] is True
    live = ["live"] if config.api.public_liveness else []
    assert sorted(r["path_part"] for r in stack.resources("aws_api_gateway_resource")) == sorted(
        ["api", "health", "projects", "{id}", *live]
    )
    methods = {(m["http_method"], m["resource_id"].split(".")[1]): m for m in stack.resources("aws_api_gateway_method")}
    assert len(methods) == 5 + len(live)
    # The seed's authentication tests call GET /health with and without a key: it is behind the key.
    protected = [m for (verb, res), m in methods.items() if not res.endswith("health-live")]
    assert sorted(m["http_method"] for m in protected) == ["DELETE", "GET", "GET", "GET", "POST"]
    item = [m for (verb, res), m in methods.items() if res.endswith("projects-id")]
    assert all(m["request_parameters"] == {"method.request.path.id": True} for m in item)
    for method in protected:
        assert method["authorization"] == "CUSTOM"
        assert method["authorizer_id"].startswith("${aws_api_gateway_authorizer.")
        assert method["api_key_required"] is True
    for integration in stack.resources("aws_api_gateway_integration"):
        assert integration["type"] == "AWS_PROXY"
        assert integration["integration_http_method"] == "POST"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_functions_runtime_tracing_logs_and_code(env, stacks) -> None:
    config, stack = load(env), stacks[env]
    prefix = config.name_prefix
    functions = _by_name(stack, "aws_lambda_function")
    ours = {
        n: f
        for n, f in functions.items()
        if n in {f"{prefix}-projects", f"{prefix}-health", f"{prefix}-worker", f"{prefix}-authorizer"}
    }
    assert len(ours) == 4
    from modules.stack import lambda_package

    package = lambda_package()
    for function in ours.values():
        assert function["runtime"] == config.api.runtime.value
        assert function["tracing_config"] == {"mode": "Active"}
        assert function["source_code_hash"] == package.sha256_b64
        assert function["s3_key"].startswith("${aws_s3_object.")
        assert function["handler"].startswith("functions.")
    log_groups = _by_name(stack, "aws_cloudwatch_log_group", "name")
    for name in ours:
        assert log_groups[f"/aws/lambda/{name}"]["retention_in_days"] == config.log_retention_days
    code = stack.resource("aws_s3_object", key=f"lambda/functions-{package.sha256_hex[:16]}.zip")
    assert code["source"].startswith("assets/")
    assert not os.path.isabs(code["source"])


def test_reserved_concurrency_comes_from_config(stacks) -> None:
    prod = load("prod")
    functions = _by_name(stacks["prod"], "aws_lambda_function")
    assert functions["agenticai-prod-projects"]["reserved_concurrent_executions"] == prod.api.reserved_concurrency
    assert functions["agenticai-prod-authorizer"]["reserved_concurrent_executions"] == (
        prod.auth.authorizer_reserved_concurrency
    )
    assert (
        "reserved_concurrent_executions" not in _by_name(stacks["dev"], "aws_lambda_function")["agenticai-dev-projects"]
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_role_may_touch_only_its_own_resources(env, stacks) -> None:
    stack = stacks[env]
    documents = {
        doc["//"]["metadata"]["path"].split("/")[-2]: doc["statement"]
        for doc in stack.data_sources("aws_iam_policy_document")
        if doc["//"]["metadata"]["path"].endswith("-function/policy-document")
    }
    assert set(documents) == {"projects-function", "health-function", "worker-function", "authorizer-function"}
    for role, statements in documents.items():
        for statement in statements:
            assert all("*" not in action for action in statement["actions"]), (role, statement)
            if statement.get("sid") == "XRay":  # X-Ray has no resource-level permissions
                continue
            assert "*" not in statement["resources"], (role, statement)
        resources = json.dumps(statements)
        assert resources.count("aws_cloudwatch_log_group.") == 1  # its own log group only
        # KMS: only the data key, and only through a named service or for the function's own environment.
        for statement in statements:
            if any(a.startswith("kms:") for a in statement["actions"]):
                assert statement["resources"] == [DATA_KEY_ARN], (role, statement)
                assert len(statement["condition"]) == 1, (role, statement)
    projects = json.dumps(documents["projects-function"])
    assert "projects-table" in projects
    assert "projects-queue" in projects
    assert "keys-table" not in projects
    assert "secretsmanager" not in projects
    assert "dynamodb:Scan" not in projects  # a key lists its own projects with a Query on the by-key index
    assert "/index/by-key" in projects
    worker = documents["worker-function"]
    assert {a for s in worker for a in s["actions"] if a.startswith(("dynamodb:", "sqs:"))} == {
        "dynamodb:UpdateItem",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    assert "keys-table" not in json.dumps(worker)
    assert _kms_uses(documents["projects-function"]) == {
        ("kms:EncryptionContext:LambdaFunctionName", ("kms:Decrypt",)),
        ("kms:ViaService", ("kms:Decrypt", "kms:GenerateDataKey")),
    }
    health = documents["health-function"]
    assert {a for s in health for a in s["actions"]} == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "kms:Decrypt",  # its environment variables, nothing else
    }
    assert _kms_uses(health) == {("kms:EncryptionContext:LambdaFunctionName", ("kms:Decrypt",))}
    authorizer = json.dumps(documents["authorizer-function"])
    assert "keys-table" in authorizer
    assert "rate-limits-table" not in authorizer
    assert "pepper" in authorizer
    assert "projects-table" not in authorizer
    assert "sqs:" not in authorizer


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_table_queue_and_dead_letter_queue(env, stacks) -> None:
    config, stack = load(env), stacks[env]
    table = stack.resource("aws_dynamodb_table", name=f"{config.name_prefix}-projects")
    assert table["hash_key"] == "id"
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"]["enabled"] is True
    queue = stack.resource("aws_sqs_queue", name=f"{config.name_prefix}-projects")
    dlq = stack.resource("aws_sqs_queue", name=f"{config.name_prefix}-projects-dlq")
    assert "aws_sqs_queue.api_projects-dlq" in queue["redrive_policy"]
    assert f'"maxReceiveCount" = {config.api.queue_max_receive_count}' in queue["redrive_policy"]
    assert dlq["message_retention_seconds"] == config.api.dlq_retention_days * 86400
    assert queue["visibility_timeout_seconds"] == 6 * config.api.timeout_seconds
    assert table["ttl"] == {"attribute_name": "expires_at", "enabled": True}
    assert table["global_secondary_index"] == [
        {"name": "by-key", "hash_key": "created_by_key", "range_key": "created_at", "projection_type": "ALL"}
    ]
    mapping = stack.resource("aws_lambda_event_source_mapping")
    assert mapping["event_source_arn"] == "${aws_sqs_queue.api_projects-queue_8F0AAB25.arn}" or (
        "aws_sqs_queue.api_projects-queue" in mapping["event_source_arn"]
    )
    assert "aws_lambda_function.api_worker-function" in mapping["function_name"]
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert stack.resource("aws_s3_bucket", bucket=f"{config.name_prefix}-artifacts")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_route_has_its_own_invoke_permission(env, stacks) -> None:
    permissions = stacks[env].resources("aws_lambda_permission")
    route_arns = sorted(p["source_arn"].split("}", 1)[1] for p in permissions if "execution_arn" in p["source_arn"])
    assert route_arns[:5] == [
        "/*/DELETE/api/projects/*",
        "/*/GET/api/projects",
        "/*/GET/api/projects/*",
        "/*/GET/health",
        "/*/POST/api/projects",
    ]
    assert route_arns[5].startswith("/authorizers/${aws_api_gateway_authorizer.")
    assert len(route_arns) == 6
    assert all(p["principal"] == "apigateway.amazonaws.com" for p in permissions)


def test_stack_refs_roles() -> None:
    from cdktf import Testing

    from modules.stack import AgenticAiStack

    stack = AgenticAiStack(Testing.app(), "refs", config=load("dev"))
    refs = stack.refs
    assert refs.managed is True
    assert [f.role for f in refs.functions] == ["projects", "health", "worker", "authorizer"]
    assert [t.role for t in refs.tables] == ["projects", "api_keys"]
    assert [(q.role, q.is_dead_letter) for q in refs.queues] == [("projects", False), ("projects_dlq", True)]
    assert [b.role for b in refs.buckets] == ["artifacts"]
    assert stack.front_door.authorizer_function.function is not None
    assert stack.api.stage is not None


# --- stage logging, metrics and request validation ---------------------------------------------


def _access_log_fields(format_: str) -> dict[str, str]:
    # $context.error.messageString is quoted by API Gateway itself; quote it here to parse the rest.
    return json.loads(format_.replace("$context.error.messageString", '"$context.error.messageString"'))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_stage_writes_json_access_logs_to_its_own_log_group(env, stacks) -> None:
    config, stack = load(env), stacks[env]
    group = stack.resource("aws_cloudwatch_log_group", name=f"/aws/apigateway/{config.name_prefix}-access")
    assert group["retention_in_days"] == config.log_retention_days
    settings = stack.resource("aws_api_gateway_stage")["access_log_settings"]
    assert (
        settings["destination_arn"]
        == "${aws_cloudwatch_log_group.api_access-logs_" + settings["destination_arn"].split("api_access-logs_", 1)[1]
    )
    assert "\n" not in settings["format"]
    fields = _access_log_fields(settings["format"])
    assert fields["requestId"] == "$context.requestId"
    assert fields["ip"] == "$context.identity.sourceIp"
    assert fields["caller"] == "$context.identity.caller"
    assert fields["status"] == "$context.status"
    assert fields["authorizerError"] == "$context.authorizer.error"
    assert fields["apiKeyId"] == "$context.identity.apiKeyId"
    assert fields["wafResponseCode"] == "$context.wafResponseCode"
    for key in ("requestTime", "httpMethod", "resourcePath", "protocol", "responseLength", "integrationLatency"):
        assert fields[key] == f"$context.{key}"


def test_access_log_format_never_holds_the_key_or_headers() -> None:
    from modules.api.schema import access_log_format

    fields = _access_log_fields(access_log_format())
    variables = set(fields.values())
    assert "$context.identity.apiKey" not in variables  # the key itself; apiKeyId is its id
    assert all(v.startswith("$context.") for v in variables)
    lowered = access_log_format().lower()
    for secret in ("header", "authorization", "x-api-key", "body", "$input", "$method.request"):
        assert secret not in lowered, secret


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_execution_logging_and_metrics_for_every_method(env, stacks) -> None:
    config, stack = load(env), stacks[env]
    (settings,) = stack.resources("aws_api_gateway_method_settings")
    assert settings["method_path"] == "*/*"
    assert settings["stage_name"].startswith("${aws_api_gateway_stage.")
    assert settings["settings"] == {
        "metrics_enabled": True,
        "logging_level": config.api.execution_log_level.value,
        "data_trace_enabled": False,
    }
    assert config.api.execution_log_level is not ExecutionLogLevel.OFF  # the security gate (CKV2_AWS_4)
    groups = [g for g in stack.resources("aws_cloudwatch_log_group") if "Execution-Logs" in g["name"]]
    assert [g["name"].split("}", 1)[1] for g in groups] == [f"/{config.api.stage_name}"]
    assert groups[0]["name"].startswith("API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.")
    assert groups[0]["retention_in_days"] == config.log_retention_days
    assert any("execution-logs" in d for d in settings["depends_on"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_account_cloudwatch_role_is_set_before_the_stage(env, stacks) -> None:
    from modules.api.account_logging import APIGATEWAY_LOGS_POLICY_ARN

    config, stack = load(env), stacks[env]
    assert config.api.manage_account_logging_role is True
    account = stack.resource("aws_api_gateway_account")
    assert account["reset_on_delete"] is True
    role = stack.resource("aws_iam_role", name=f"{config.name_prefix}-apigateway-logs")
    trust = json.loads(role["assume_role_policy"])["Statement"]
    assert trust == [
        {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert (
        account["cloudwatch_role_arn"]
        == "${aws_iam_role.api_account-logging_role_"
        + account["cloudwatch_role_arn"].split("account-logging_role_", 1)[1]
    )
    attachments = [a for a in stack.resources("aws_iam_role_policy_attachment") if "account-logging" in a["role"]]
    assert [a["policy_arn"] for a in attachments] == [APIGATEWAY_LOGS_POLICY_ARN]
    assert any("account-logging_policy" in d for d in account["depends_on"])
    stage = stack.resource("aws_api_gateway_stage")
    assert any(d.startswith("aws_api_gateway_account.") for d in stage["depends_on"])


def test_account_role_left_to_another_stack() -> None:
    from cdktf import Testing

    from modules.stack import AgenticAiStack

    config = load("dev")
    config = config.replace(api=config.api.replace(manage_account_logging_role=False))
    synth = Synthesized(json.loads(Testing.synth(AgenticAiStack(Testing.app(), "no-account", config=config))))
    assert synth.count("aws_api_gateway_account") == 0
    assert all(not r["name"].endswith("-apigateway-logs") for r in synth.resources("aws_iam_role"))
    stage = synth.resource("aws_api_gateway_stage")
    assert not any("aws_api_gateway_account" in d for d in stage.get("depends_on", []))
    assert stage["access_log_settings"]["destination_arn"].startswith("${aws_cloudwatch_log_group.")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_method_is_validated_and_post_has_the_body_model(env, stacks) -> None:
    stack = stacks[env]
    validators = {v["name"]: v for v in stack.resources("aws_api_gateway_request_validator")}
    assert validators["body-and-parameters"]["validate_request_body"] is True
    assert validators["body-and-parameters"]["validate_request_parameters"] is True
    assert validators["parameters"]["validate_request_body"] is False
    assert validators["parameters"]["validate_request_parameters"] is True
    (model,) = stack.resources("aws_api_gateway_model")
    assert model["name"] == "CreateProject"
    assert model["content_type"] == "application/json"
    methods = stack.resources("aws_api_gateway_method")
    assert len(methods) == 5
    assert all(m["request_validator_id"] for m in methods)
    for method in methods:
        expected = "body-and-parameters" if method["http_method"] == "POST" else "parameters"
        assert f"validator-{expected}_" in method["request_validator_id"]
        if method["http_method"] == "POST":
            assert method["request_models"] == {
                "application/json": "${aws_api_gateway_model.api_model-CreateProject_"
                + method["request_models"]["application/json"].split("CreateProject_", 1)[1]
            }
        else:
            assert "request_models" not in method
    schema = json.loads(model["schema"])
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["required"] == ["name", "type", "description"]
    assert {k: v.get("maxLength") for k, v in schema["properties"].items()} == {
        "name": 200,
        "type": 64,
        "description": 4000,
        "ttl_seconds": None,
    }


#: (body, whether the handler accepts it)
BODIES = (
    ({"name": "n", "type": "t", "description": "d"}, True),
    ({"name": "n", "type": "t", "description": "d", "extra": 1}, True),
    ({"name": " n ", "type": "t", "description": "d"}, True),
    ({"name": "n" * 200, "type": "t" * 64, "description": "d" * 4000}, True),
    ({"name": "n" * 201, "type": "t", "description": "d"}, False),
    ({"name": "n", "type": "t" * 65, "description": "d"}, False),
    ({"name": "n", "type": "t", "description": "d" * 4001}, False),
    ({"name": "n", "type": "t"}, False),
    ({"name": "", "type": "t", "description": "d"}, False),
    ({"name": "   ", "type": "t", "description": "d"}, False),
    ({"name": "n", "type": 3, "description": "d"}, False),
    ({"name": None, "type": "t", "description": "d"}, False),
    ([], False),
    ("text", False),
    ({"name": "n", "type": "t", "description": "d", "ttl_seconds": 86400}, True),
    ({"name": "n", "type": "t", "description": "d", "ttl_seconds": 299}, False),
    ({"name": "n", "type": "t", "description": "d", "ttl_seconds": "86400"}, False),
    ({"name": "n", "type": "t", "description": "d", "ttl_seconds": True}, False),
)


@pytest.mark.parametrize(("body", "accepted"), BODIES)
def test_body_model_agrees_with_the_handler(body, accepted) -> None:
    """The gateway must reject exactly what the handler rejects, never more (the handler stays authoritative)."""
    import jsonschema

    from modules.api.schema import create_project_schema
    from modules.functions.projects import BadRequest, parse_project

    event = {"headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
    try:
        parse_project(event)
        handler_accepts = True
    except BadRequest:
        handler_accepts = False
    validator = jsonschema.Draft4Validator(create_project_schema())
    assert handler_accepts is accepted
    assert validator.is_valid(body) is accepted


def test_invalid_body_gets_the_json_error_shape() -> None:
    """API Gateway answers a body the model rejects with BAD_REQUEST_BODY (400), which the front
    door customizes to the project's {"error": ...} shape with the body contract in the message."""
    from environments.config import UsagePlanConfig
    from modules.front_door.front_door import gateway_responses
    from modules.functions.projects import FIELDS

    specs = {s.response_type: s for s in gateway_responses(UsagePlanConfig())}
    spec = specs["BAD_REQUEST_BODY"]
    assert spec.status_code == 400
    body = json.loads(spec.template())
    assert set(body) == {"error", "requestId"}
    # The message states the same contract the handler and the model enforce.
    for field, limit in FIELDS.items():
        assert field in body["error"]
        assert str(limit) in body["error"]


# --- existing API mode -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def existing_stack():
    """A whole environment stack (every construct) pointed at an existing API."""
    return existing_api_stack("staging")


def test_existing_mode_creates_no_api_resources(existing_stack) -> None:
    _, synth = existing_stack
    for type_ in (
        "aws_api_gateway_rest_api",
        "aws_api_gateway_stage",
        "aws_api_gateway_method",
        "aws_sqs_queue",
        # The stage's logging, its methods' validators and the account's CloudWatch role are the owner's.
        "aws_api_gateway_method_settings",
        "aws_api_gateway_request_validator",
        "aws_api_gateway_model",
        "aws_api_gateway_account",
    ):
        assert synth.count(type_) == 0, type_
    assert all(not g["name"].startswith("/aws/apigateway/") for g in synth.resources("aws_cloudwatch_log_group"))
    assert all(b.get("bucket") != "legacy-agenticai-artifacts" for b in synth.resources("aws_s3_bucket"))
    functions = [f["function_name"] for f in synth.resources("aws_lambda_function")]
    assert "legacy-projects" not in functions
    assert "agenticai-staging-authorizer" in functions


def test_existing_mode_looks_resources_up_by_name(existing_stack) -> None:
    _, synth = existing_stack
    assert synth.data_sources("aws_api_gateway_rest_api")[0]["name"] == "legacy-agenticai"
    assert sorted(d["function_name"] for d in synth.data_sources("aws_lambda_function")) == [
        "legacy-health",
        "legacy-projects",
    ]
    assert synth.data_sources("aws_dynamodb_table")[0]["name"] == "legacy-projects"
    assert sorted(d["name"] for d in synth.data_sources("aws_sqs_queue")) == ["legacy-projects", "legacy-projects-dlq"]
    assert synth.data_sources("aws_s3_bucket")[0]["bucket"] == "legacy-agenticai-artifacts"
    code = next(o for o in synth.resources("aws_s3_object") if o["key"].startswith("lambda/functions-"))
    assert code["bucket"].startswith("${data.aws_s3_bucket.")


def test_existing_mode_hardens_the_existing_api(existing_stack) -> None:
    stack, synth = existing_stack
    assert stack.refs.managed is False
    assert stack.refs.api.stage_name == "prod"
    assert stack.refs.api.stage_arn.startswith("arn:aws:apigateway:us-east-1::/restapis/")
    assert [f.role for f in stack.refs.functions] == ["projects", "health", "authorizer"]
    assert [t.role for t in stack.refs.tables] == ["projects", "api_keys"]
    authorizer = synth.resource("aws_api_gateway_authorizer")
    assert authorizer["rest_api_id"].startswith("${data.aws_api_gateway_rest_api.")
    plan = synth.resource("aws_api_gateway_usage_plan")
    assert plan["api_stages"][0]["stage"] == "prod"
    assert plan["api_stages"][0]["api_id"].startswith("${data.aws_api_gateway_rest_api.")
    assert synth.count("aws_api_gateway_gateway_response") == len(gateway_responses(UsagePlanConfig()))


# --- packaging ---------------------------------------------------------------------------------


def test_zip_is_deterministic_regardless_of_mtimes_and_modes(tmp_path) -> None:
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "b.py").write_text("B = 1\n")
    (source / "a.py").write_text("A = 1\n")
    first = zip_bytes(source, prefix="functions")
    os.utime(source / "a.py", (1, 1))
    os.chmod(source / "a.py", 0o600)
    (source / "pkg" / "__pycache__").mkdir()
    (source / "pkg" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"junk")
    assert zip_bytes(source, prefix="functions") == first
    with zipfile.ZipFile(__import__("io").BytesIO(first)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["functions/a.py", "functions/pkg/b.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    (source / "a.py").write_text("A = 2\n")
    assert zip_bytes(source, prefix="functions") != first


def test_function_package_holds_the_handlers(tmp_path) -> None:
    package = build_package(FUNCTIONS_DIR, prefix="functions", out_dir=tmp_path)
    again = build_package(FUNCTIONS_DIR, prefix="functions", out_dir=tmp_path / "again")
    assert package.sha256_hex == again.sha256_hex
    assert package.path.read_bytes() == again.path.read_bytes()
    names = zipfile.ZipFile(package.path).namelist()
    assert {"functions/__init__.py", "functions/authorizer.py", "functions/projects.py", "functions/health.py"} <= set(
        names
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_machine_path_in_the_synthesized_json(env, synth_dir) -> None:
    text = (synth_dir / "stacks" / env / "cdk.tf.json").read_text()
    for marker in (str(Path.home()), "/tmp/", str(Path(__file__).resolve().parent.parent)):
        assert marker not in text


# --- validation --------------------------------------------------------------------------------


def test_rejects_unknown_runtime() -> None:
    rejects(
        r"api.runtime: got 'python3.9'; allowed: one of LambdaRuntime.PYTHON_3_12",
        lambda: ApiConfig(runtime="python3.9"),
    )


def test_rejects_timeout_over_api_gateway_limit() -> None:
    rejects(r"api.timeout_seconds: got 30; allowed: an integer >= 1 and <= 29", lambda: ApiConfig(timeout_seconds=30))


def test_rejects_zero_reserved_concurrency() -> None:
    rejects(r"api.reserved_concurrency: got 0", lambda: ApiConfig(reserved_concurrency=0))


def test_rejects_bad_stage_name() -> None:
    rejects(r"api.stage_name: got 'v 1'", lambda: ApiConfig(stage_name="v 1"))


def test_rejects_bad_existing_bucket_name() -> None:
    rejects(
        r"api.existing.artifacts_bucket_name: got 'Bad_Bucket'",
        lambda: EXISTING.replace(artifacts_bucket_name="Bad_Bucket"),
    )


def test_rejects_existing_as_a_dict() -> None:
    rejects(r"api.existing: got \{\}; allowed: an ExistingApiConfig", lambda: ApiConfig(existing={}))


def test_rejects_unknown_execution_log_level() -> None:
    rejects(
        r"api.execution_log_level: got 'DEBUG'; allowed: one of ExecutionLogLevel",
        lambda: ApiConfig(execution_log_level="DEBUG"),
    )


def test_rejects_non_boolean_manage_account_logging_role() -> None:
    rejects(
        r"api.manage_account_logging_role: got 'yes'; allowed: True or False",
        lambda: ApiConfig(manage_account_logging_role="yes"),
    )


def test_runtime_enum_values() -> None:
    assert {r.value for r in LambdaRuntime} == {"python3.12", "python3.13"}


# --- a generic existing API: exactly what is listed ----------------------------------------------


def _two_functions_no_queue():
    from environments.config import ExistingApiConfig, ExistingBucket, ExistingFunction, ExistingTable

    return ExistingApiConfig(
        rest_api_name="orders-api",
        stage_name="live",
        artifacts_bucket_name="orders-artifacts",
        functions=(
            ExistingFunction(role="orders", function_name="orders-handler"),
            ExistingFunction(role="billing", function_name="billing-handler"),
        ),
        tables=(
            ExistingTable(role="orders", table_name="orders"),
            ExistingTable(role="invoices", table_name="invoices"),
        ),
        buckets=(ExistingBucket(role="uploads", bucket_name="orders-uploads"),),
    )


@pytest.fixture(scope="module")
def other_existing_stack():
    """An existing API with a different set: two functions, two tables, no queue, one more bucket."""
    return existing_api_stack("dev", _two_functions_no_queue())


def test_existing_mode_looks_up_exactly_what_is_listed(other_existing_stack) -> None:
    stack, synth = other_existing_stack
    assert sorted(d["function_name"] for d in synth.data_sources("aws_lambda_function")) == [
        "billing-handler",
        "orders-handler",
    ]
    assert sorted(d["name"] for d in synth.data_sources("aws_dynamodb_table")) == ["invoices", "orders"]
    assert synth.data_sources("aws_sqs_queue") == []
    assert sorted(d["bucket"] for d in synth.data_sources("aws_s3_bucket")) == ["orders-artifacts", "orders-uploads"]
    refs = stack.refs
    assert [f.role for f in refs.functions] == ["orders", "billing", "authorizer"]
    assert [t.role for t in refs.tables] == ["orders", "invoices", "api_keys"]
    assert refs.queues == ()
    assert [b.role for b in refs.buckets] == ["artifacts", "uploads"]
    assert stack.api.managed_tables == ()


def test_existing_mode_hardens_whatever_roles_it_is_given(other_existing_stack) -> None:
    _, synth = other_existing_stack
    # No queue: no SQS alarm; every listed function, table and bucket is watched or protected.
    alarms = synth.resources("aws_cloudwatch_metric_alarm")
    assert not [a for a in alarms if a.get("namespace") == "AWS/SQS"]
    # Lambda alarms read one function each, or several through metric math.
    metrics = [q["metric"] for a in alarms for q in a.get("metric_query") or [] if q.get("metric")] + alarms
    watched = {
        m["dimensions"]["FunctionName"].split(".")[2].rsplit("_", 1)[0]
        for m in metrics
        if m.get("namespace") == "AWS/Lambda"
        and (m.get("dimensions") or {}).get("FunctionName", "").startswith("${data.")
    }
    assert watched == {"api_orders-function", "api_billing-function"}
    versioned = {r["bucket"].split(".")[2].rsplit("_", 1)[0] for r in synth.resources("aws_s3_bucket_versioning")}
    assert {"api_artifacts", "api_uploads-bucket"} <= versioned
    assert synth.resource("aws_api_gateway_usage_plan")["api_stages"][0]["stage"] == "live"


# --- the API handle, build order and props --------------------------------------------------------


def test_both_apis_are_api_handles(existing_stack) -> None:
    from cdktf import Testing

    from modules.api import DemoApi, ExistingApi
    from modules.stack import AgenticAiStack

    demo = AgenticAiStack(Testing.app(), "handle", config=load("dev"))
    existing, _ = existing_stack
    for stack, kind in ((demo, DemoApi), (existing, ExistingApi)):
        assert isinstance(stack.api, kind)
        for attribute in ("refs", "code", "managed_tables", "authorization"):
            assert hasattr(stack.api, attribute), (kind.__name__, attribute)
        assert stack.api.authorization is stack.front_door
    assert not hasattr(DemoApi, "use_authorizer")
    assert not hasattr(ExistingApi, "use_authorizer")


def test_protected_methods_carry_the_authorizer_from_construction(stacks) -> None:
    stack = stacks["dev"]
    authorizer_key = next(iter(stack.document["resource"]["aws_api_gateway_authorizer"]))
    authorizer_id = f"${{aws_api_gateway_authorizer.{authorizer_key}.id}}"
    path_parts = {key: r["path_part"] for key, r in stack.document["resource"]["aws_api_gateway_resource"].items()}
    for method in stack.resources("aws_api_gateway_method"):
        protected = path_parts[method["resource_id"].split(".")[1]] != "live"
        assert method["authorization"] == ("CUSTOM" if protected else "NONE")
        assert method.get("authorizer_id") == (authorizer_id if protected else None)
        assert method.get("api_key_required") is (True if protected else None)
    depends_on = stack.resource("aws_api_gateway_deployment")["depends_on"]
    assert sum(d.startswith("aws_api_gateway_gateway_response.") for d in depends_on) == len(
        stack.resources("aws_api_gateway_gateway_response")
    )


def _demo_api(front_door=None):
    from modules.api.demo import DemoApi
    from modules.core.kms import DataKey
    from modules.core.naming import Naming
    from modules.stack import lambda_package
    from tests.synth import synth_scope

    def build(scope):
        naming = Naming("agenticai-test")
        DemoApi(
            scope,
            "api",
            config=ApiConfig(),
            naming=naming,
            package=lambda_package(),
            log_retention_days=30,
            data_key=DataKey(scope, "data-key", naming=naming),
            front_door=front_door,
        )

    return synth_scope(build)


def test_demo_api_without_a_front_door_leaves_routes_open() -> None:
    synth = _demo_api()
    assert {m["authorization"] for m in synth.resources("aws_api_gateway_method")} == {"NONE"}
    assert all("gateway_response" not in d for d in synth.resource("aws_api_gateway_deployment")["depends_on"])


def test_demo_api_calls_its_front_door_factory_once_with_the_rest_api() -> None:
    calls = []

    class Door:
        authorizer_id = "auth-id"
        deployment_marker = "marker"
        deployment_dependencies = ()

    def factory(api, code):
        calls.append((api, code))
        return Door()

    synth = _demo_api(factory)
    assert len(calls) == 1
    api, code = calls[0]
    assert api.rest_api_id.startswith("${TfToken")
    assert code.key.startswith("${TfToken")
    protected = [m for m in synth.resources("aws_api_gateway_method") if m["authorization"] == "CUSTOM"]
    assert len(protected) == 5
    assert {m["authorizer_id"] for m in protected} == {"auth-id"}


def test_public_liveness_is_an_explicit_opt_in() -> None:
    """GET /health needs the key; only ``public_liveness`` adds a keyless GET /health/live."""
    from modules.api.routes import LIVENESS_ROUTE, ROUTES, routes_for

    health = next(r for r in ROUTES if r.path == "/health")
    assert health.protected is True
    assert all(r.protected for r in routes_for(False))
    assert routes_for(True) == (*ROUTES, LIVENESS_ROUTE)
    assert (LIVENESS_ROUTE.path, LIVENESS_ROUTE.protected) == ("/health/live", False)
    assert ApiConfig().public_liveness is False


def test_routes_own_their_function_specs() -> None:
    from modules.api.routes import CONSUMERS, ROUTES, functions_of

    assert [f.role for f in functions_of(ROUTES)] == ["projects", "health"]
    assert [c.function.role for c in CONSUMERS] == ["worker"]
    assert {r.function.handler for r in ROUTES} == {"functions.projects.handler", "functions.health.handler"}
    for spec in (*(r.function for r in ROUTES), *(c.function for c in CONSUMERS)):
        module = spec.handler.rsplit(".", 1)[0].replace("functions.", "")
        assert (FUNCTIONS_DIR / f"{module}.py").is_file()


def test_rejects_route_with_unknown_method() -> None:
    from modules.api.routes import HEALTH, Route

    with pytest.raises(ValueError, match=r"^Route.method: got 'FETCH'; allowed: one of ANY, DELETE"):
        Route("/x", "FETCH", HEALTH, protected=False)


def test_rejects_two_functions_with_one_role() -> None:
    from modules.api.routes import HEALTH, FunctionSpec, Route, functions_of

    other = FunctionSpec("health", handler="functions.other.handler", description="other")
    routes = (Route("/a", "GET", HEALTH, protected=False), Route("/b", "GET", other, protected=False))
    with pytest.raises(ValueError, match=r"^FunctionSpec.role: got 'health' twice"):
        functions_of(routes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"memory_mb": 64}, r"^FunctionProps.memory_mb: got 64; allowed: an integer >= 128 and <= 10240$"),
        ({"timeout_seconds": 901}, r"^FunctionProps.timeout_seconds: got 901; allowed: an integer >= 1 and <= 900$"),
        ({"reserved_concurrency": 0}, r"^FunctionProps.reserved_concurrency: got 0"),
        ({"log_retention_days": 2}, r"^FunctionProps.log_retention_days: got 2; allowed: 1, 3, 5"),
        ({"runtime": "python3.9"}, r"^FunctionProps.runtime: got 'python3.9'; allowed: one of python3.12"),
    ],
)
def test_rejects_bad_function_props(changes, message) -> None:
    from modules.api.function import FunctionProps

    with pytest.raises(ValueError, match=message):
        FunctionProps(**changes)


def test_grants_name_only_the_actions_asked_for() -> None:
    from modules.core.iam import grant_read_secret, grant_send_messages, grant_table_items

    assert grant_table_items("t", scan=True, get=True).actions == ("dynamodb:GetItem", "dynamodb:Scan")
    assert grant_send_messages("q").actions == ("sqs:SendMessage",)
    assert grant_read_secret("s").resources == ("s",)
    with pytest.raises(ValueError, match=r"^grant_table_items: got no operation"):
        grant_table_items("t")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_one_body_limit_for_the_waf_and_the_handler(env, stacks) -> None:
    from environments.config.api import MAX_BODY_BYTES
    from environments.config.waf import BodySizeLimit
    from modules.functions import projects

    function = stacks[env].resource("aws_lambda_function", function_name=f"{load(env).name_prefix}-projects")
    assert function["environment"]["variables"]["MAX_BODY_BYTES"] == str(MAX_BODY_BYTES)
    assert projects.MAX_BODY_BYTES == BodySizeLimit.max_body_bytes == MAX_BODY_BYTES == 65536
