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
logging; every log group is KMS-encrypted. A check whose resource the environment does not create (e.g. WAF
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
    from modules.front_door.front_door import gateway_responses  # the front door's own table of responses
    from modules.front_door.names import AuthNames

    return Deployment(
        env=env,
        region=region or config.region,
        name_prefix=config.name_prefix,
        state_bucket=config.state.bucket,
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
        # No quota configured (the default since issue 12): the plan must have none.
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
