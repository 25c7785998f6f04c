#!/usr/bin/env python3
"""Read-only posture check of a deployed environment, through boto3.

    terraform -chdir=cdktf.out/stacks/prod output -json > prod-outputs.json
    python scripts/verify_deployment.py --env prod --outputs prod-outputs.json

Works against a real account (the usual AWS credential chain; it only calls Describe/Get/List)
and against the emulator (``make e2e`` sets ``AWS_ENDPOINT_URL``). Resources come from the stack
outputs where the stack exports them, otherwise they are found by the environment's name prefix.
Expected values (usage-plan limits, whether WAF is on) come from ``environments/<env>.py``.

Checks: the web ACL is associated with the stage; PITR on every table; versioning and default
encryption on every bucket (the environment's state bucket included); every alarm has actions;
the usage-plan limits equal the configured ones; the gateway responses are customized; every
SNS topic is KMS-encrypted; the stage writes access logs and metrics without full request
logging; every log group is KMS-encrypted; the state object is SSE-KMS under the state key (the backend's
``kms_key_id``); every bucket blocks public access; every protected method has the authorizer and
``api_key_required`` (what matters in existing-API mode, where the methods are not ours); every authorizer
caches nothing (result TTL 0: a revoked key stops at once); every usage-plan key value has the derived form
``agm_<64 hex>`` (never an API key). A check whose resource the environment does not create (e.g. WAF
switched off) is SKIP with the reason, never PASS.

``--env`` is required and the caller's account must be the environment's ``account_id`` (STS
GetCallerIdentity is called first). ``--json`` prints the results as a list of objects.

Exit status (scripts/cli.py): 0 nothing failed, 1 a check failed, 2 bad input or credentials for another
account, 3 AWS unreachable or denied (no credentials included).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from modules.functions.keys import METERING_PATTERN  # noqa: E402
from scripts import cli  # noqa: E402

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"

#: In the description of an alarm that has no actions on purpose (modules.monitoring.alarm_factory.SILENT_MARKER).
SILENT_MARKER = "Actions: none by design."


class UsageError(Exception):
    """Bad input or no AWS access: exit 2 with one clear line."""


@dataclass(frozen=True)
class Result:
    check: str
    target: str
    status: str
    detail: str


@dataclass
class Deployment:
    """What to check: from the outputs when exported, else discovered by name prefix."""

    env: str
    region: str
    name_prefix: str
    state_bucket: str
    waf_enabled: bool
    usage_plan: Any  # environments.config.auth.UsagePlanConfig
    usage_plan_name: str
    #: response type -> status code (None: API Gateway's own) of every gateway response the front door sets.
    gateway_responses: dict[str, int | None]
    outputs: dict[str, Any] = field(default_factory=dict)
    #: The state object, its region and the alias of the state key (StateConfig.key/region/kms_key_id).
    state_key: str = "agenticai/terraform.tfstate"
    state_region: str = ""
    state_kms_key_id: str = ""
    #: The state bucket's access-log bucket (StateConfig.log_bucket).
    state_log_bucket: str = ""
    #: (METHOD, path) of every route that is public by design (GET /health/live, when the environment opts in);
    #: every other method is protected.
    public_routes: frozenset[tuple[str, str]] = frozenset()

    def output(self, *names: str) -> Any:
        for name in names:
            if name in self.outputs and self.outputs[name] not in (None, "", [], {}):
                return self.outputs[name]
        return None


# --------------------------------------------------------------------------- inputs


def load_outputs(path: Path | None) -> dict[str, Any]:
    """``terraform output -json`` ({name: {"value": ...}}) or a plain {name: value} mapping."""
    if path is None:
        return {}
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text()
    except OSError as error:
        raise UsageError(f"--outputs: cannot read {path}: {error.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"--outputs: {path} is not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, dict):
        raise UsageError(f"--outputs: got a JSON {type(document).__name__}; expected an object of outputs")
    return {k: v["value"] if isinstance(v, dict) and "value" in v else v for k, v in document.items()}


def load_deployment(env: str, outputs: dict[str, Any], region: str | None) -> Deployment:
    from environments import EnvironmentConfigError, UnknownEnvironmentError, load

    try:
        config = load(env)
    except (UnknownEnvironmentError, EnvironmentConfigError) as error:
        raise UsageError(f"--env: {error}") from None
    from modules.core import runtime

    runtime.prepare()  # the project's Node and the lazy provider: the stock import alone takes ~17 s
    from modules.api.routes import routes_for
    from modules.front_door.front_door import gateway_responses  # the front door's own table of responses
    from modules.front_door.names import AuthNames

    return Deployment(
        env=env,
        region=region or config.region,
        name_prefix=config.name_prefix,
        state_bucket=config.state.bucket,
        state_key=config.state.key,
        state_region=config.state.region or config.region,
        state_kms_key_id=config.state.kms_key_id or "",
        state_log_bucket=config.state.log_bucket,
        public_routes=frozenset((r.method, r.path) for r in routes_for(config.api.public_liveness) if not r.protected),
        waf_enabled=config.waf.enabled,
        usage_plan=config.auth.usage_plan,
        usage_plan_name=AuthNames.for_prefix(config.name_prefix).usage_plan,
        gateway_responses={r.response_type: r.status_code for r in gateway_responses(config.auth.usage_plan)},
        outputs=outputs,
    )


# --------------------------------------------------------------------------- AWS


class Aws:
    """boto3 clients, created once per service and region."""

    def __init__(self, region: str) -> None:
        import boto3

        self.session = boto3.session.Session(region_name=region)
        self.region = region
        self._clients: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str | None = None):
        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=key[1])
        return self._clients[key]


def _pages(client, operation: str, key: str, **kwargs) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items += page.get(key, [])
    return items


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    return [str(v) for v in value]


def _rest_api(aws: Aws, dep: Deployment) -> tuple[str, str] | None:
    """(rest_api_id, stage_name), from the outputs or the API named ``<prefix>-api``."""
    api_id = dep.output("rest_api_id", "api_id")
    stage = dep.output("stage_name", "api_stage_name")
    apigw = aws("apigateway")
    if api_id is None:
        matches = [a for a in _pages(apigw, "get_rest_apis", "items") if a["name"].startswith(dep.name_prefix)]
        if not matches:
            return None
        api_id = matches[0]["id"]
    if stage is None:
        stages = apigw.get_stages(restApiId=api_id).get("item", [])
        if not stages:
            return None
        stage = stages[0]["stageName"]
    return str(api_id), str(stage)


# --------------------------------------------------------------------------- checks


def check_web_acl(aws: Aws, dep: Deployment) -> Iterable[Result]:
    name = "web ACL on stage"
    if not dep.waf_enabled:
        yield Result(name, "-", SKIP, f"waf.enabled is off in environments/{dep.env}.py")
        return
    api = _rest_api(aws, dep)
    if api is None:
        yield Result(name, "-", FAIL, f"no REST API/stage found for prefix {dep.name_prefix}")
        return
    api_id, stage = api
    arn = f"arn:aws:apigateway:{dep.region}::/restapis/{api_id}/stages/{stage}"
    acl = aws("wafv2").get_web_acl_for_resource(ResourceArn=arn).get("WebACL")
    expected = dep.output("web_acl_arn")
    if acl is None:
        yield Result(name, f"{api_id}/{stage}", FAIL, "no web ACL associated")
    elif expected and acl["ARN"] != expected:
        yield Result(name, f"{api_id}/{stage}", FAIL, f"associated {acl['ARN']}, expected {expected}")
    else:
        yield Result(name, f"{api_id}/{stage}", PASS, acl["Name"])


def check_tables_pitr(aws: Aws, dep: Deployment) -> Iterable[Result]:
    name = "table PITR"
    dynamodb = aws("dynamodb")
    tables = _as_list(dep.output("table_names", "tables"))
    if not tables:
        tables = [t for t in _pages(dynamodb, "list_tables", "TableNames") if t.startswith(dep.name_prefix)]
    if not tables:
        yield Result(name, "-", FAIL, f"no DynamoDB table found for prefix {dep.name_prefix}")
    for table in tables:
        description = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        status = description.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus", "DISABLED")
        yield Result(name, table, PASS if status == "ENABLED" else FAIL, f"point-in-time recovery {status}")


def check_buckets(aws: Aws, dep: Deployment) -> Iterable[Result]:
    from botocore.exceptions import ClientError

    s3 = aws("s3")
    buckets = _as_list(dep.output("bucket_names", "buckets"))
    if not buckets:
        buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", []) if b["Name"].startswith(dep.name_prefix)]
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if dep.state_bucket in existing and dep.state_bucket not in buckets:
        buckets.append(dep.state_bucket)
    if not buckets:
        yield Result("bucket versioning", "-", FAIL, f"no S3 bucket found for prefix {dep.name_prefix}")
        return
    for bucket in buckets:
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")
        yield Result("bucket versioning", bucket, PASS if versioning == "Enabled" else FAIL, versioning)
        try:
            rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            rules = []
        algorithms = sorted(
            {r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm", "") for r in rules} - {""}
        )
        yield Result(
            "bucket encryption", bucket, PASS if algorithms else FAIL, ", ".join(algorithms) or "no default encryption"
        )


def check_alarm_actions(aws: Aws, dep: Deployment) -> Iterable[Result]:
    """Every alarm notifies: directly, or as the input of a composite alarm that notifies.

    An alarm without actions whose description carries the alarm factory's "none by design" marker
    (an SLO window whose composite is switched off) is SKIP, with its description as the reason.
    """
    name = "alarm actions"
    alarms: list[dict] = []
    for region in dict.fromkeys([dep.region, "us-east-1"]):  # billing alarms live in us-east-1
        pages = (
            aws("cloudwatch", region)
            .get_paginator("describe_alarms")
            .paginate(AlarmNamePrefix=dep.name_prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        )
        for page in pages:
            alarms += page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
    if not alarms:
        yield Result(name, "-", FAIL, f"no alarm named {dep.name_prefix}*")
    notifying_composites = [
        a for a in alarms if "AlarmRule" in a and a.get("AlarmActions") and a.get("ActionsEnabled", True)
    ]
    for alarm in alarms:
        actions = alarm.get("AlarmActions", [])
        alarm_name = alarm["AlarmName"]
        if actions and alarm.get("ActionsEnabled", True):
            yield Result(name, alarm_name, PASS, f"{len(actions)} action(s)")
            continue
        parents = [c["AlarmName"] for c in notifying_composites if f'"{alarm_name}"' in c["AlarmRule"]]
        if parents:
            yield Result(name, alarm_name, PASS, f"input of composite {parents[0]}, which notifies")
        elif SILENT_MARKER in alarm.get("AlarmDescription", ""):
            yield Result(name, alarm_name, SKIP, "no actions by design (its composite alarm is switched off)")
        else:
            yield Result(name, alarm_name, FAIL, "no alarm actions (or actions disabled)")


def check_usage_plan(aws: Aws, dep: Deployment) -> Iterable[Result]:
    name = "usage-plan limits"
    apigw = aws("apigateway")
    api = _rest_api(aws, dep)
    wanted = _as_list(dep.output("usage_plan_ids", "usage_plan_id"))
    plans = [
        p
        for p in _pages(apigw, "get_usage_plans", "items")
        if (p["id"] in wanted) or (not wanted and p.get("name") == dep.usage_plan_name)
    ]
    if not plans:
        yield Result(name, dep.usage_plan_name, FAIL, "usage plan not found")
        return
    expected = dep.usage_plan
    want = {
        "rate": float(expected.rate_limit_per_second),
        "burst": int(expected.burst_limit),
        # No quota configured (the default: the per-key hourly limit is the authorizer's): the plan must have none.
        "quota": int(expected.quota_limit or 0),
        "period": expected.quota_period.value if expected.quota_limit else "",
    }
    for plan in plans:
        throttle, quota = plan.get("throttle", {}), plan.get("quota", {})
        got = {
            "rate": float(throttle.get("rateLimit", 0)),
            "burst": int(throttle.get("burstLimit", 0)),
            "quota": int(quota.get("limit", 0)),
            "period": quota.get("period", ""),
        }
        stages = [f"{s.get('apiId')}/{s.get('stage')}" for s in plan.get("apiStages", [])]
        problems = [f"{k} {got[k]!r} != {want[k]!r}" for k in want if got[k] != want[k]]
        if api is not None and f"{api[0]}/{api[1]}" not in stages:
            problems.append(f"not attached to {api[0]}/{api[1]} (stages: {', '.join(stages) or 'none'})")
        detail = "; ".join(problems) or (f"{got['rate']:g}/s burst {got['burst']}, {got['quota']} per {got['period']}")
        yield Result(name, plan.get("name", plan["id"]), FAIL if problems else PASS, detail)


def check_gateway_responses(aws: Aws, dep: Deployment) -> Iterable[Result]:
    """Each gateway response of the front door is customized, with the configured status code."""
    name = "gateway responses"
    api = _rest_api(aws, dep)
    if api is None:
        yield Result(name, "-", FAIL, f"no REST API found for prefix {dep.name_prefix}")
        return
    items = aws("apigateway").get_gateway_responses(restApiId=api[0]).get("items", [])
    customized = {r["responseType"]: r for r in items if not r.get("defaultResponse", False)}
    for response_type, status in sorted(dep.gateway_responses.items()):
        response = customized.get(response_type)
        if response is None:
            yield Result(name, response_type, FAIL, "API Gateway default (not customized)")
            continue
        got = response.get("statusCode")
        if status is not None and str(got) != str(status):
            yield Result(name, response_type, FAIL, f"status {got}, expected {status}")
            continue
        content = ",".join(sorted(response.get("responseTemplates", {}))) or "no template"
        yield Result(name, response_type, PASS, f"status {got or 'API Gateway default'}, {content}")


def check_topic_encryption(aws: Aws, dep: Deployment) -> Iterable[Result]:
    name = "SNS topic encryption"
    topics = _as_list(dep.output("alert_topic_arns", "topic_arns"))
    if not topics:
        for region in dict.fromkeys([dep.region, "us-east-1"]):
            topics += [
                t["TopicArn"]
                for t in _pages(aws("sns", region), "list_topics", "Topics")
                if t["TopicArn"].rsplit(":", 1)[-1].startswith(dep.name_prefix)
            ]
    if not topics:
        yield Result(name, "-", FAIL, f"no SNS topic named {dep.name_prefix}*")
    for arn in topics:
        attributes = aws("sns", arn.split(":")[3]).get_topic_attributes(TopicArn=arn)["Attributes"]
        key = attributes.get("KmsMasterKeyId", "")
        yield Result(name, arn.rsplit(":", 1)[-1], PASS if key else FAIL, key or "not encrypted")


def check_stage_logging(aws: Aws, dep: Deployment) -> Iterable[Result]:
    """The stage writes access logs, emits metrics, and never logs full requests (they carry API keys)."""
    name = "stage logging"
    api = _rest_api(aws, dep)
    if api is None:
        yield Result(name, "-", FAIL, f"no REST API found for prefix {dep.name_prefix}")
        return
    stage = aws("apigateway").get_stage(restApiId=api[0], stageName=api[1])
    destination = stage.get("accessLogSettings", {}).get("destinationArn", "")
    yield Result(name, f"{api[1]}:access-log", PASS if destination else FAIL, destination or "no access logging")
    settings = stage.get("methodSettings", {}).get("*/*", {})
    problems = []
    if not settings.get("metricsEnabled", False):
        problems.append("metrics off")
    if settings.get("dataTraceEnabled", False):
        problems.append("full request logging on (would log API keys)")
    detail = "; ".join(problems) or f"metrics on, logging level {settings.get('loggingLevel', 'OFF')}, no data trace"
    yield Result(name, f"{api[1]}:method-settings", FAIL if problems else PASS, detail)


def check_log_group_encryption(aws: Aws, dep: Deployment) -> Iterable[Result]:
    """Every log group of the stack is encrypted with a customer-managed KMS key."""
    name = "log group encryption"
    prefixes: tuple[str, ...] = (
        f"/aws/lambda/{dep.name_prefix}-",
        f"/aws/apigateway/{dep.name_prefix}",
        f"aws-waf-logs-{dep.name_prefix}",
    )
    api = _rest_api(aws, dep)
    if api is not None:
        prefixes += (f"API-Gateway-Execution-Logs_{api[0]}/",)
    logs = aws("logs")
    groups = [
        g for prefix in prefixes for g in _pages(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix)
    ]
    if not groups:
        yield Result(name, "-", FAIL, f"no log group of {dep.name_prefix} found")
    for group in groups:
        key = group.get("kmsKeyId", "")
        yield Result(name, group["logGroupName"], PASS if key else FAIL, key or "not encrypted with a KMS key")


def _key_arn(aws: Aws, key_id: str, region: str) -> str | None:
    """The key ARN behind a key id, key ARN, alias name or alias ARN; None if KMS does not know it."""
    from botocore.exceptions import ClientError

    try:
        return str(aws("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NotFoundException", "NotFound"):
            return None
        raise


def check_state_encryption(aws: Aws, dep: Deployment) -> Iterable[Result]:
    """The state object is SSE-KMS under the state key: what the backend's ``kms_key_id`` names.

    Without ``kms_key_id`` Terraform writes state with AES256 (SSE-S3), whatever the bucket's default.
    """
    from botocore.exceptions import ClientError

    name, target = "state encryption", f"{dep.state_bucket}/{dep.state_key}"
    region = dep.state_region or dep.region
    try:
        head = aws("s3", region).head_object(Bucket=dep.state_bucket, Key=dep.state_key)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NoSuchBucket", "403"):
            raise
        yield Result(name, target, FAIL, f"no state object ({error.response['Error']['Code']})")
        return
    algorithm = head.get("ServerSideEncryption", "none")
    if algorithm != "aws:kms":
        yield Result(name, target, FAIL, f"{algorithm}, expected aws:kms under {dep.state_kms_key_id}")
        return
    expected = _key_arn(aws, dep.state_kms_key_id, region) if dep.state_kms_key_id else None
    if expected is None:
        yield Result(name, target, FAIL, f"the state key {dep.state_kms_key_id or '(none configured)'} does not exist")
        return
    used = head.get("SSEKMSKeyId", "")
    used_arn = _key_arn(aws, used, region) if used else None
    if used_arn != expected:
        yield Result(name, target, FAIL, f"aws:kms under {used or 'aws/s3'}, expected {expected}")
    else:
        yield Result(name, target, PASS, f"aws:kms under {dep.state_kms_key_id} ({expected})")


def _bucket_names(aws: Aws, dep: Deployment) -> list[str]:
    """The stack's buckets (outputs, else by prefix), and the state bucket and its access-log bucket if they exist."""
    s3 = aws("s3")
    existing = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    buckets = _as_list(dep.output("bucket_names", "buckets")) or [b for b in existing if b.startswith(dep.name_prefix)]
    for extra in (dep.state_bucket, dep.state_log_bucket):
        if extra and extra in existing and extra not in buckets:
            buckets.append(extra)
    return buckets


def check_public_access_block(aws: Aws, dep: Deployment) -> Iterable[Result]:
    """Every bucket blocks public ACLs and policies (all four settings of the bucket's public access block)."""
    from botocore.exceptions import ClientError

    name = "bucket public access block"
    buckets = _bucket_names(aws, dep)
    if not buckets:
        yield Result(name, "-", FAIL, f"no S3 bucket found for prefix {dep.name_prefix}")
    for bucket in buckets:
        try:
            block = aws("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchPublicAccessBlockConfiguration":
                raise
            block = {}
        settings = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        off = [setting for setting in settings if block.get(setting) is not True]
        yield Result(name, bucket, FAIL if off else PASS, f"off: {', '.join(off)}" if off else "all four on")


def check_protected_methods(aws: Aws, dep: Deployment) -> Iterable[Result]:
    """Every method but the public routes and CORS preflights has the authorizer and ``api_key_required``.

    In existing-API mode the methods are not created here: a method added to the API later, without the
    authorizer, is exactly what this catches.
    """
    name = "protected method"
    api = _rest_api(aws, dep)
    if api is None:
        yield Result(name, "-", FAIL, f"no REST API found for prefix {dep.name_prefix}")
        return
    apigw = aws("apigateway")
    authorizers = {a["id"] for a in apigw.get_authorizers(restApiId=api[0]).get("items", [])}
    resources = _pages(apigw, "get_resources", "items", restApiId=api[0], embed=["methods"])
    methods = [(verb, r["path"]) for r in resources for verb in sorted(r.get("resourceMethods", {}))]
    for verb, path in methods:
        if verb == "OPTIONS" or (verb, path) in dep.public_routes:
            continue
        method = apigw.get_method(restApiId=api[0], resourceId=_resource_id(resources, path), httpMethod=verb)
        problems = []
        if method.get("authorizationType") != "CUSTOM" or method.get("authorizerId") not in authorizers:
            problems.append(f"authorization {method.get('authorizationType', 'NONE')}, not the API's authorizer")
        if not method.get("apiKeyRequired", False):
            problems.append("api_key_required is off")
        yield Result(name, f"{verb}:{path}", FAIL if problems else PASS, "; ".join(problems) or "authorizer + API key")


def _resource_id(resources: list[dict], path: str) -> str:
    return next(str(r["id"]) for r in resources if r["path"] == path)


def check_authorizer_ttl(aws: Aws, dep: Deployment) -> Iterable[Result]:
    """Every authorizer caches nothing: a cached Allow would outlive a revoked or rate-limited key."""
    name = "authorizer result TTL"
    api = _rest_api(aws, dep)
    if api is None:
        yield Result(name, "-", FAIL, f"no REST API found for prefix {dep.name_prefix}")
        return
    authorizers = aws("apigateway").get_authorizers(restApiId=api[0]).get("items", [])
    if not authorizers:
        yield Result(name, api[0], FAIL, "no authorizer on the API")
    for authorizer in authorizers:
        # API Gateway's default is 300 s when the field is absent (CreateAuthorizer, authorizerResultTtlInSeconds).
        ttl = authorizer.get("authorizerResultTtlInSeconds")
        ttl = 300 if ttl is None else int(ttl)
        yield Result(name, authorizer.get("name", authorizer["id"]), PASS if ttl == 0 else FAIL, f"{ttl} s")


def check_usage_plan_key_values(aws: Aws, dep: Deployment) -> Iterable[Result]:
    """Every key of the usage plan holds a derived metering value, never an API key (``agm_`` + 64 hex)."""
    name = "usage-plan key value"
    apigw = aws("apigateway")
    wanted = _as_list(dep.output("usage_plan_ids", "usage_plan_id"))
    plans = [
        p
        for p in _pages(apigw, "get_usage_plans", "items")
        if (p["id"] in wanted) or (not wanted and p.get("name") == dep.usage_plan_name)
    ]
    if not plans:
        yield Result(name, dep.usage_plan_name, FAIL, "usage plan not found")
    for plan in plans:
        keys = _pages(apigw, "get_usage_plan_keys", "items", usagePlanId=plan["id"])
        if not keys:
            yield Result(name, plan.get("name", plan["id"]), SKIP, "no key in the usage plan yet")
        for key in keys:
            value = key.get("value") or apigw.get_api_key(apiKey=key["id"], includeValue=True).get("value", "")
            ok = bool(METERING_PATTERN.fullmatch(value))
            # Never print the value: if it is not derived, it may be a live API key.
            detail = "derived (agm_<64 hex>)" if ok else "not the derived form agm_<64 hex> (value not shown)"
            yield Result(name, key.get("name", key["id"]), PASS if ok else FAIL, detail)


CHECKS: tuple[Callable[[Aws, Deployment], Iterable[Result]], ...] = (
    check_web_acl,
    check_tables_pitr,
    check_buckets,
    check_alarm_actions,
    check_usage_plan,
    check_gateway_responses,
    check_topic_encryption,
    check_stage_logging,
    check_log_group_encryption,
    check_state_encryption,
    check_public_access_block,
    check_protected_methods,
    check_authorizer_ttl,
    check_usage_plan_key_values,
)


def run_checks(aws: Aws, dep: Deployment) -> list[Result]:
    from botocore.exceptions import ClientError

    results: list[Result] = []
    for check in CHECKS:
        try:
            results += list(check(aws, dep))
        except ClientError as error:  # one failing API call fails its check, not the whole report
            info = error.response.get("Error", {})
            label = check.__name__.removeprefix("check_").replace("_", " ")
            results.append(Result(label, "-", FAIL, f"{info.get('Code', 'error')}: {info.get('Message', error)}"))
    return results


def format_table(results: Sequence[Result]) -> str:
    headers = ("check", "resource", "result", "detail")
    rows = [(r.check, r.target, r.status, r.detail) for r in results]
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(3)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers[:3], widths, strict=True)) + "  " + headers[3]]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3] for row in rows]
    counts = {s: sum(r.status == s for r in results) for s in (PASS, FAIL, SKIP)}
    lines.append(f"{counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Exit status: 0 ok, 1 a check failed, 2 usage, 3 AWS error."
    )
    cli.add_common_arguments(parser, json_help="print the results as JSON")
    parser.add_argument("--outputs", type=Path, help="`terraform output -json` of the stack (a file, or - for stdin)")
    parser.add_argument("--region", help="override the environment's region")
    args = parser.parse_args(argv)
    try:
        if args.region is not None:
            from environments.config import base

            regions = base.aws_regions()
            if args.region not in regions:
                raise UsageError(f"--region: got {args.region!r}; allowed: one of {', '.join(regions)}")
        dep = load_deployment(args.env, load_outputs(args.outputs), args.region)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return cli.EXIT_USAGE
    return verify(dep, as_json=args.json)


@cli.guarded
def verify(dep: Deployment, *, as_json: bool = False) -> int:
    """Check the caller's account, run every check, print the results; the contract's exit status."""
    aws = Aws(dep.region)
    cli.connect(dep.env, session=aws.session)  # the account check, before any other call
    results = run_checks(aws, dep)
    print(json.dumps([asdict(r) for r in results], indent=2) if as_json else format_table(results))
    return cli.EXIT_ACTION_NEEDED if any(r.status == FAIL for r in results) else cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
