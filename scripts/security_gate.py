#!/usr/bin/env python3
"""The security gate: checkov's findings, accepted per resource, never per check.

    checkov --config-file .checkov.yaml --directory build/security/cdktf.out/stacks -o json --soft-fail \
        > build/security/checkov.json
    python scripts/security_gate.py --results build/security/checkov.json --stacks build/security/cdktf.out/stacks

checkov cannot skip a check for one resource in Terraform JSON (no inline suppressions in JSON), so
``.checkov.yaml`` skips nothing and this script filters checkov's JSON output instead. Every accepted finding
is one row of :data:`ACCEPTED`: the resource's Terraform address, the check id, the stacks it applies to, and
the reason. Anything else fails the gate: a new resource is always checked, and a row that no longer matches
anything fails too (so reasons cannot outlive the resource they were written for).

Exit status (scripts/cli.py): 0 every finding accepted, 1 an unaccepted finding or a stale acceptance,
2 bad input (no results file, not checkov's JSON, a parsing error in a stack).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from environments import ENVIRONMENTS  # noqa: E402
from scripts import cli  # noqa: E402

#: Every environment stack (environments.ENVIRONMENTS), and every bootstrap (state bucket) stack.
ALL = ENVIRONMENTS
BOOTSTRAP = tuple(f"bootstrap-{env}" for env in ENVIRONMENTS)
#: The stacks whose config leaves a production-only setting off (tier rules force it on in prod).
NOT_PROD = ("dev", "staging", "local")

FUNCTIONS = (
    "aws_lambda_function.api_health-function_4158BC08",
    "aws_lambda_function.api_projects-function_5C8B3940",
    "aws_lambda_function.api_worker-function_DC12B9C6",
    "aws_lambda_function.front-door_authorizer-function_C1972D81",
)
ARTIFACT_BUCKETS = ("aws_s3_bucket.api_artifacts_DDEFF23B", "aws_s3_bucket.canary_artifacts_172DF12B")
STATE_BUCKETS = ("aws_s3_bucket.state_bucket_803B4E61", "aws_s3_bucket.state_log-bucket_2C04395A")
LOG_GROUPS = (
    "aws_cloudwatch_log_group.api_access-logs_3975387B",
    "aws_cloudwatch_log_group.api_execution-logs_87D8804E",
    "aws_cloudwatch_log_group.api_health-function_logs_B9662AB4",
    "aws_cloudwatch_log_group.api_projects-function_logs_1244E033",
    "aws_cloudwatch_log_group.api_worker-function_logs_059EAD26",
    "aws_cloudwatch_log_group.canary_logs_3158DFDC",
    "aws_cloudwatch_log_group.front-door_authorizer-function_logs_A8222D47",
    "aws_cloudwatch_log_group.waf_log-group_B08BEF30",
)
STAGE = "aws_api_gateway_stage.api_stage_9CA2AE48"
WEB_ACL = "aws_wafv2_web_acl.waf_web-acl_54BA89C4"


@dataclass(frozen=True)
class Accepted:
    """One accepted finding: ``check`` failing on ``resource`` (a Terraform address) in ``stacks``."""

    check: str
    resource: str
    stacks: tuple[str, ...]
    reason: str

    def matches(self, finding: Finding) -> bool:
        return finding.check == self.check and finding.resource == self.resource and finding.stack in self.stacks


@dataclass(frozen=True)
class Finding:
    stack: str
    resource: str
    check: str
    name: str


def _rows(check: str, resources: Iterable[str], stacks: tuple[str, ...], reason: str) -> tuple[Accepted, ...]:
    return tuple(Accepted(check, resource, stacks, reason) for resource in resources)


#: Every accepted finding, reviewed like code. A new resource is never in here, so it is always checked.
ACCEPTED: tuple[Accepted, ...] = (
    # Lambda
    *_rows(
        "CKV_AWS_117",
        FUNCTIONS,
        ALL,
        "no VPC: the functions call only AWS APIs; a VPC adds NAT cost and "
        "cold starts, and isolates nothing they reach",
    ),
    *_rows(
        "CKV_AWS_272",
        FUNCTIONS,
        ALL,
        "no code signing: the packages are built from this repository by "
        "this pipeline (modules/core/packaging.py), with no third-party artifact",
    ),
    *_rows(
        "CKV_AWS_116",
        FUNCTIONS,
        ALL,
        "no function DLQ: API Gateway invokes the handlers synchronously and the worker runs from an SQS "
        "event source mapping, whose failed messages go to the queue's own DLQ (maxReceiveCount 5); a "
        "Lambda DLQ only applies to asynchronous invocations",
    ),
    *_rows(
        "CKV_AWS_115",
        FUNCTIONS,
        NOT_PROD,
        "no reserved concurrency outside prod: api.reserved_concurrency "
        "and auth.authorizer_reserved_concurrency are unset there (small accounts' pools); prod sets both",
    ),
    # S3
    *_rows(
        "CKV_AWS_144",
        ARTIFACT_BUCKETS,
        ALL,
        "no cross-region replication: build artifacts are rebuilt by "
        "the next apply; versioning + noncurrent retention cover mistakes",
    ),
    *_rows(
        "CKV_AWS_144",
        STATE_BUCKETS,
        BOOTSTRAP,
        "no cross-region replication: versioning + noncurrent "
        "retention are the state's roll-back path; replication doubles cost",
    ),
    *_rows(
        "CKV2_AWS_62",
        (*ARTIFACT_BUCKETS, *STATE_BUCKETS),
        (*ALL, *BOOTSTRAP),
        "no event notifications: nothing consumes these buckets' events",
    ),
    *_rows(
        "CKV_AWS_18",
        ARTIFACT_BUCKETS,
        ALL,
        "no server access logging: these hold only build artifacts "
        "(Lambda and canary zips) and canary screenshots, no customer data or state; the state bucket, "
        "which matters, is logged",
    ),
    Accepted(
        "CKV_AWS_145",
        STATE_BUCKETS[1],
        BOOTSTRAP,
        "SSE-S3, not SSE-KMS: S3 server access logs can "
        "only be delivered to a bucket with SSE-S3 default encryption (AWS: enable-server-access-logging)",
    ),
    # API Gateway
    Accepted(
        "CKV_AWS_120",
        STAGE,
        ALL,
        "no API cache: responses are per caller and dynamic; a cache could serve one key's data to another",
    ),
    Accepted(
        "CKV_AWS_225",
        "aws_api_gateway_method_settings.api_method-settings_4C79CB7B",
        ALL,
        "no method cache: the same reason as CKV_AWS_120",
    ),
    Accepted(
        "CKV2_AWS_51",
        STAGE,
        ALL,
        "no client certificate: a public API authenticated by API keys and the REQUEST authorizer, not mTLS",
    ),
    Accepted(
        "CKV_AWS_237",
        "aws_api_gateway_rest_api.api_rest-api_FFFBAE81",
        ALL,
        "no create_before_destroy: a replacement must not create a second public API next to the old one",
    ),
    # WAF
    Accepted(
        "CKV2_AWS_77",
        STAGE,
        ALL,
        "the web ACL runs AWSManagedRulesKnownBadInputsRuleSet (Log4j); "
        "checkov's graph does not follow the separate aws_wafv2_web_acl_association to the stage",
    ),
    Accepted(
        "CKV_AWS_192",
        WEB_ACL,
        ("dev", "staging"),
        "dev and staging run every rule in COUNT to stage "
        "them (waf.mode); prod is forced to BLOCK by tier rule 'production-waf-blocks' and never accepted",
    ),
    # Logs, secrets
    *_rows(
        "CKV_AWS_338",
        LOG_GROUPS,
        ALL,
        "retention under a year: log_retention_days is per-environment config (cost): 90 days in prod, 30 elsewhere",
    ),
    Accepted(
        "CKV2_AWS_57",
        "aws_secretsmanager_secret.front-door_pepper_750E962E",
        ALL,
        "no Secrets Manager "
        "rotation: a new pepper must be added as a version while keys hashed under the old one keep "
        "working, which Lambda rotation cannot do; rotation is the operator's ("
        "manage_keys rotate-pepper)",
    ),
    Accepted(
        "CKV2_AWS_57",
        "aws_secretsmanager_secret.front-door_canary-key_C3407B5C",
        ALL,
        "no Secrets "
        "Manager rotation: the canary's API key is re-issued with scripts/manage_keys.py (issue, then "
        "revoke the old key), which also updates the authorizer's key table",
    ),
)


class UsageError(Exception):
    """Bad input: exit 2 with one line."""


def _resource_types(stacks_dir: Path | None, stack: str) -> dict[str, str]:
    """Resource name -> type in one synthesized stack (checkov sometimes reports ``resource.<name>``)."""
    if stacks_dir is None:
        return {}
    path = stacks_dir / stack / "cdk.tf.json"
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return {name: type_ for type_, items in document.get("resource", {}).items() for name in items}


def load_findings(results: Path, stacks_dir: Path | None = None) -> list[Finding]:
    """checkov's failed checks, one :class:`Finding` per (stack, Terraform address, check id)."""
    try:
        document = json.loads(results.read_text())
    except OSError as error:
        raise UsageError(f"--results: cannot read {results}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"--results: {results} is not JSON ({error.msg} at line {error.lineno})") from None
    reports = document if isinstance(document, list) else [document]
    if not reports or not all(isinstance(r, dict) and "results" in r and "summary" in r for r in reports):
        raise UsageError(f"--results: {results} is not checkov's JSON output (-o json)")
    findings: list[Finding] = []
    types: dict[str, dict[str, str]] = {}
    for report in reports:
        if report["summary"].get("parsing_errors"):
            raise UsageError(f"--results: checkov could not parse {report['summary']['parsing_errors']} file(s)")
        for failed in report["results"].get("failed_checks", []):
            stack = Path(failed["file_path"].lstrip("/")).parts[0]
            resource = failed["resource"]
            if resource.startswith("resource."):
                name = resource.removeprefix("resource.")
                known = types.setdefault(stack, _resource_types(stacks_dir, stack))
                resource = f"{known.get(name, 'resource')}.{name}"
            findings.append(Finding(stack, resource, failed["check_id"], failed.get("check_name", "")))
    return findings


def evaluate(
    findings: Sequence[Finding], accepted: Sequence[Accepted] = ACCEPTED
) -> tuple[list[tuple[Finding, Accepted]], list[Finding], list[Accepted]]:
    """(accepted findings with their row, unaccepted findings, rows that matched nothing)."""
    matched: list[tuple[Finding, Accepted]] = []
    unaccepted: list[Finding] = []
    used: set[Accepted] = set()
    for finding in findings:
        row = next((row for row in accepted if row.matches(finding)), None)
        if row is None:
            unaccepted.append(finding)
        else:
            matched.append((finding, row))
            used.add(row)
    return matched, unaccepted, [row for row in accepted if row not in used]


def report(
    matched: Sequence[tuple[Finding, Accepted]], unaccepted: Sequence[Finding], stale: Sequence[Accepted]
) -> str:
    lines = ["Accepted findings (resource address, check, stacks, reason):"]
    by_row: dict[Accepted, list[str]] = {}
    for finding, row in matched:
        by_row.setdefault(row, []).append(finding.stack)
    for row, stacks in by_row.items():
        lines.append(f"  {row.resource}  {row.check}  [{', '.join(sorted(set(stacks)))}]  {row.reason}")
    for finding in unaccepted:
        lines.append(f"FAIL {finding.stack}: {finding.resource} {finding.check} ({finding.name}): not accepted")
    for row in stale:
        lines.append(f"FAIL stale acceptance: {row.resource} {row.check} matched no finding; remove its row")
    verdict = "passed" if not unaccepted and not stale else "FAILED"
    lines.append(
        f"security gate {verdict}: {len(matched)} accepted finding(s), {len(unaccepted)} unaccepted, "
        f"{len(stale)} stale acceptance(s)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Exit status: 0 passed, 1 failed, 2 bad input."
    )
    parser.add_argument("--results", type=Path, required=True, help="checkov's JSON output (-o json)")
    parser.add_argument("--stacks", type=Path, help="the synthesized stacks checkov scanned (to name resources)")
    args = parser.parse_args(argv)
    try:
        findings = load_findings(args.results, args.stacks)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return cli.EXIT_USAGE
    matched, unaccepted, stale = evaluate(findings)
    print(report(matched, unaccepted, stale))
    return cli.EXIT_ACTION_NEEDED if unaccepted or stale else cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
