#!/usr/bin/env python3
"""A timed disaster-recovery drill: restore, compare, clean up, and measure it against the recovery target.

    python scripts/dr_drill.py --env staging --dry-run     # the actions and what they would cost
    python scripts/dr_drill.py --env staging               # run it; writes reports/dr-drill/staging-*.json|txt

The seed asks for a monthly disaster-recovery drill and recovery "in under one hour" (DESIGN.md, "Success
Metrics"). The drill does what a recovery would, on scratch copies, and times each step:

1. For each DynamoDB table of the environment (found by name prefix): restore it to its latest restorable
   point in time (PITR) into a scratch table ``<table>-drill-<stamp>``, wait until it is ACTIVE, compare the item
   counts and the SHA-256 of a sample of items (read from the source, fetched by key from the copy).
   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.Tutorial.html
2. For the environment's versioned buckets: restore an earlier object version by copying it, by VersionId,
   to a scratch key ``dr-drill/<stamp>/...`` and compare the bytes. A bucket without objects gets a two-version
   probe object (under the same scratch prefix) so that the mechanism is exercised all the same.
   https://docs.aws.amazon.com/AmazonS3/latest/userguide/RestoringPreviousVersions.html
3. The total time is compared with the recovery target: ``backups.recovery_target_minutes`` in the
   environment's config (default 60 minutes, the seed's "Recovery Time: < 1 hour").

On a table that is being written to, items changed after the restore point differ from the copy and
fail the comparison: run the drill in staging, or in prod during a quiet hour (as the runbook says).

Every scratch resource is deleted in a ``finally`` block, even when a step fails halfway, and the deletion
is verified (DescribeTable answers ResourceNotFound; no object version is left under the scratch prefix).
The report (JSON and text) goes to ``--report-dir``; ``<env>-latest.json`` is what ``scripts/ops.py
monthly`` reads. ``--dry-run`` only reads: it lists the actions and their expected cost.

Exit status (scripts/cli.py): 0 the drill passed within the target, 1 a step failed, the copy differs, the
target was missed or a scratch resource could not be deleted, 2 usage or config error (wrong account
included), 3 AWS unreachable or denied before the drill started.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.cli import (  # noqa: E402
    EXIT_ACTION_NEEDED,
    EXIT_OK,
    Connection,
    add_common_arguments,
    aws_error_line,
    connect,
    guarded,
    progress,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPORT_DIR = ROOT / "reports" / "dr-drill"
SCRATCH_MARK = "-drill-"
S3_SCRATCH_PREFIX = "dr-drill/"
SAMPLE_ITEMS = 25
#: How long to wait for a restored table to become ACTIVE (real restores take minutes to hours for big tables).
RESTORE_TIMEOUT_SECONDS = 3600

#: us-east-1 prices used by --dry-run (https://aws.amazon.com/dynamodb/pricing/on-demand/,
#: https://aws.amazon.com/s3/pricing/), as of 2026-11.
PITR_RESTORE_USD_PER_GB = 0.15
ON_DEMAND_READ_USD_PER_MILLION = 0.125
S3_REQUEST_USD_PER_THOUSAND = 0.005


@dataclass
class Step:
    name: str
    seconds: float = 0.0
    ok: bool = True
    detail: str = ""


@dataclass
class Drill:
    environment: str
    account_id: str
    started_at: str
    recovery_target_minutes: float
    steps: list[Step] = field(default_factory=list)
    cleanup: list[dict] = field(default_factory=list)
    result: str = "failed"
    total_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.result == "passed"


def recovery_target_minutes(config) -> float:
    return config.backups.recovery_target_minutes


class Scratch:
    """Every scratch resource the drill creates, so that ``finally`` can delete and verify each one."""

    def __init__(self, dynamodb, s3) -> None:
        self.dynamodb, self.s3 = dynamodb, s3
        self.tables: list[str] = []
        self.objects: list[tuple[str, str]] = []  # (bucket, scratch prefix)

    def delete_all(self) -> list[dict]:
        results = []
        for table in self.tables:
            results.append({"resource": f"dynamodb table {table}", "deleted": self._delete_table(table)})
        for bucket, prefix in self.objects:
            results.append({"resource": f"s3://{bucket}/{prefix}", "deleted": self._delete_prefix(bucket, prefix)})
        return results

    def _delete_table(self, table: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.dynamodb.delete_table(TableName=table)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                progress(f"cannot delete {table}: {aws_error_line(error)}")
                return False
        try:
            self.dynamodb.get_waiter("table_not_exists").wait(
                TableName=table, WaiterConfig={"Delay": 5, "MaxAttempts": 60}
            )
            self.dynamodb.describe_table(TableName=table)
        except ClientError as error:
            return error.response["Error"]["Code"] == "ResourceNotFoundException"
        except Exception as error:  # noqa: BLE001 - the waiter gave up: the table is still there
            progress(f"{table} still exists: {error}")
            return False
        return False

    def _versions(self, bucket: str, prefix: str) -> list[dict]:
        response = self.s3.list_object_versions(Bucket=bucket, Prefix=prefix)
        return response.get("Versions", []) + response.get("DeleteMarkers", [])

    def _delete_prefix(self, bucket: str, prefix: str) -> bool:
        for version in self._versions(bucket, prefix):
            self.s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
        return not self._versions(bucket, prefix)


def item_hash(item: dict) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()


def count_items(dynamodb, table: str) -> int:
    total = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        total += page["Count"]
    return total


def own_tables(dynamodb, prefix: str) -> list[str]:
    names = []
    for page in dynamodb.get_paginator("list_tables").paginate():
        names += [n for n in page["TableNames"] if n.startswith(prefix) and SCRATCH_MARK not in n]
    return sorted(names)


def own_buckets(s3, prefix: str) -> list[str]:
    buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    return sorted(b for b in buckets if b.startswith(prefix) and SCRATCH_MARK not in b)


def restore_table(dynamodb, scratch: Scratch, table: str, stamp: str) -> str:
    """PITR-restore ``table`` to its latest restorable time into a scratch table; returns the scratch name."""
    target = f"{table}{SCRATCH_MARK}{stamp}"[:255]
    pitr = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    if pitr.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") != "ENABLED":
        raise RuntimeError(f"PITR is not enabled on {table}")
    scratch.tables.append(target)  # before the call: a half-created table is cleaned up too
    dynamodb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=target, UseLatestRestorableTime=True)
    dynamodb.get_waiter("table_exists").wait(
        TableName=target, WaiterConfig={"Delay": 15, "MaxAttempts": RESTORE_TIMEOUT_SECONDS // 15}
    )
    return target


def compare_tables(dynamodb, source: str, copy: str) -> str:
    """Item counts and a sample of item hashes; raises when the copy differs."""
    source_count, copy_count = count_items(dynamodb, source), count_items(dynamodb, copy)
    if source_count != copy_count:
        raise RuntimeError(f"{copy} has {copy_count} items, {source} has {source_count}")
    keys = [k["AttributeName"] for k in dynamodb.describe_table(TableName=source)["Table"]["KeySchema"]]
    sample = dynamodb.scan(TableName=source, Limit=SAMPLE_ITEMS).get("Items", [])
    differing = []
    for item in sample:
        key = {name: item[name] for name in keys}
        restored = dynamodb.get_item(TableName=copy, Key=key, ConsistentRead=True).get("Item")
        if restored is None or item_hash(restored) != item_hash(item):
            differing.append(key)
    if differing:
        raise RuntimeError(f"{len(differing)} of {len(sample)} sampled items differ in {copy}, e.g. {differing[0]}")
    return f"{copy_count} items, {len(sample)} sampled hashes equal"


def restore_object_version(s3, scratch: Scratch, bucket: str, stamp: str) -> str:
    """Copy an earlier version of an object to a scratch key and compare the bytes."""
    prefix = f"{S3_SCRATCH_PREFIX}{stamp}/"
    scratch.objects.append((bucket, prefix))
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        raise RuntimeError(f"versioning is not enabled on {bucket}")
    versions = [
        v
        for v in s3.list_object_versions(Bucket=bucket, MaxKeys=100).get("Versions", [])
        if not v["Key"].startswith(S3_SCRATCH_PREFIX)
    ]
    if versions:
        chosen = next((v for v in versions if not v["IsLatest"]), versions[0])
        source_key = chosen["Key"]
    else:  # nothing to restore: a probe object with two versions, under the scratch prefix
        source_key = f"{prefix}probe"
        s3.put_object(Bucket=bucket, Key=source_key, Body=b"version 1")
        s3.put_object(Bucket=bucket, Key=source_key, Body=b"version 2")
        chosen = next(
            v for v in s3.list_object_versions(Bucket=bucket, Prefix=source_key)["Versions"] if not v["IsLatest"]
        )
    expected = s3.get_object(Bucket=bucket, Key=source_key, VersionId=chosen["VersionId"])["Body"].read()
    target = f"{prefix}restored/{source_key}"
    s3.copy_object(
        Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": source_key, "VersionId": chosen["VersionId"]}
    )
    restored = s3.get_object(Bucket=bucket, Key=target)["Body"].read()
    if hashlib.sha256(restored).digest() != hashlib.sha256(expected).digest():
        raise RuntimeError(f"s3://{bucket}/{target} differs from version {chosen['VersionId']} of {source_key}")
    return f"{source_key} version {chosen['VersionId']} restored, {len(restored)} bytes equal"


def _compare(dynamodb, source: str, copy: str) -> str:
    return compare_tables(dynamodb, source, copy)


def timed(drill: Drill, name: str, action: Callable[[], Any], detail: Callable[[Any], str] = str) -> Any:
    """Run one step, record its duration and outcome; returns what the step returned."""
    progress(name)
    start = time.monotonic()
    try:
        result = action()
        drill.steps.append(Step(name, detail=detail(result)))
        return result
    except Exception as error:
        drill.steps.append(Step(name, ok=False, detail=_describe(error)))
        raise
    finally:
        drill.steps[-1].seconds = round(time.monotonic() - start, 3)


def _describe(error: Exception) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    return aws_error_line(error) if isinstance(error, (ClientError, BotoCoreError)) else str(error)


def run_drill(
    connection: Connection,
    *,
    tables: Sequence[str] = (),
    buckets: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Drill:
    """Run the drill. Default: every table and bucket of the environment (by name prefix)."""
    config = connection.config
    started = now or dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y%m%d%H%M%S")
    dynamodb, s3 = connection.client("dynamodb"), connection.client("s3")
    drill = Drill(config.name, connection.account_id, started.isoformat(), recovery_target_minutes(config))
    scratch = Scratch(dynamodb, s3)
    clock = time.monotonic()
    try:
        tables = list(tables) or own_tables(dynamodb, config.name_prefix)
        buckets = list(buckets) or own_buckets(s3, config.name_prefix)
        if not tables:
            raise RuntimeError(f"no DynamoDB table with prefix {config.name_prefix}")
        for table in tables:
            copy = timed(
                drill,
                f"restore {table}",
                functools.partial(restore_table, dynamodb, scratch, table, stamp),
                detail=lambda name: f"restored to the latest restorable time into {name}",
            )
            # Looked up at call time, so that a test can replace it.
            timed(drill, f"compare {table}", functools.partial(_compare, dynamodb, table, copy))
        for bucket in buckets:
            timed(
                drill,
                f"restore an object version in {bucket}",
                functools.partial(restore_object_version, s3, scratch, bucket, stamp),
            )
        drill.result = "passed"
    except Exception as error:  # noqa: BLE001 - a failed step fails the drill; cleanup still runs
        if not drill.steps or drill.steps[-1].ok:
            drill.steps.append(Step("drill", ok=False, detail=_describe(error)))
        drill.result = "failed"
    finally:
        drill.total_seconds = round(time.monotonic() - clock, 3)
        progress("cleanup: deleting every scratch resource")
        drill.cleanup = scratch.delete_all()
    if drill.passed and drill.total_seconds > drill.recovery_target_minutes * 60:
        drill.result = "missed target"
    if not all(c["deleted"] for c in drill.cleanup):
        drill.result = "failed"
    return drill


def dry_run(connection: Connection) -> dict[str, Any]:
    """The actions the drill would take and their expected cost, from the tables' sizes (read-only)."""
    config = connection.config
    dynamodb, s3 = connection.client("dynamodb"), connection.client("s3")
    actions, cost = [], 0.0
    for table in own_tables(dynamodb, config.name_prefix):
        described = dynamodb.describe_table(TableName=table)["Table"]
        gb = described.get("TableSizeBytes", 0) / 1e9
        items = described.get("ItemCount", 0)
        restore = gb * PITR_RESTORE_USD_PER_GB
        # Two COUNT scans (source and copy, 4 KB per read unit) plus the sample reads.
        reads = (2 * max(1.0, gb * 1e9 / 4096) + 2 * SAMPLE_ITEMS) / 1e6 * ON_DEMAND_READ_USD_PER_MILLION
        actions.append(f"restore {table} ({items} items, {gb:.3f} GB) to {table}{SCRATCH_MARK}<stamp>, PITR latest")
        actions.append(f"compare item counts and {SAMPLE_ITEMS} sampled item hashes, then delete the copy")
        cost += restore + reads
    for bucket in own_buckets(s3, config.name_prefix):
        actions.append(f"copy an earlier object version in {bucket} to {S3_SCRATCH_PREFIX}<stamp>/, compare, delete")
        cost += 10 / 1000 * S3_REQUEST_USD_PER_THOUSAND
    return {
        "environment": config.name,
        "actions": actions,
        "expected_cost_usd": round(cost, 4),
        "recovery_target_minutes": recovery_target_minutes(config),
    }


def render_text(drill: Drill) -> str:
    lines = [
        f"DR drill - {drill.environment} (account {drill.account_id}) - {drill.started_at}",
        f"Result: {drill.result.upper()}: {drill.total_seconds:.1f} s against a "
        f"{drill.recovery_target_minutes:g} min recovery target",
        "",
        "Steps:",
    ]
    lines += [f"  [{'ok' if s.ok else 'FAILED':^6}] {s.name} ({s.seconds:.1f} s): {s.detail}" for s in drill.steps]
    lines += ["", "Cleanup:"]
    lines += [f"  [{'ok' if c['deleted'] else 'LEFT':^6}] {c['resource']}" for c in drill.cleanup] or ["  nothing"]
    return "\n".join(lines)


def write_reports(drill: Drill, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{drill.environment}-{drill.started_at[:19].replace(':', '')}"
    document = json.dumps(asdict(drill), indent=2)
    (directory / f"{stem}.json").write_text(document + "\n")
    (directory / f"{stem}.txt").write_text(render_text(drill) + "\n")
    (directory / f"{drill.environment}-latest.json").write_text(document + "\n")
    return directory / f"{stem}.json"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 passed, 1 failed or missed the target, 2 usage, 3 AWS error.",
    )
    add_common_arguments(parser, json_help="print the report as JSON instead of text")
    parser.add_argument("--dry-run", action="store_true", help="list the actions and their expected cost only")
    parser.add_argument(
        "--table", action="append", default=[], help="drill this table only (repeatable; default: every table)"
    )
    parser.add_argument(
        "--bucket", action="append", default=[], help="drill this bucket only (repeatable; default: every bucket)"
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        help="where to write the reports (default: reports/dr-drill)",
    )
    return parser.parse_args(argv)


@guarded
def main(argv: Sequence[str] | None = None, *, session=None) -> int:
    args = parse_args(argv)
    connection = connect(args.env, session=session)
    if args.dry_run:
        plan = dry_run(connection)
        if args.json:
            print(json.dumps(plan, indent=2))
        else:
            print(f"DR drill plan - {plan['environment']} (dry run: nothing is created)")
            print("\n".join(f"  - {action}" for action in plan["actions"]))
            print(f"Expected cost: ${plan['expected_cost_usd']:.4f}; target {plan['recovery_target_minutes']:g} min")
        return EXIT_OK
    drill = run_drill(connection, tables=args.table, buckets=args.bucket)
    path = write_reports(drill, args.report_dir)
    print(json.dumps(asdict(drill), indent=2) if args.json else render_text(drill))
    progress(f"report written to {path}")
    return EXIT_OK if drill.passed else EXIT_ACTION_NEEDED


if __name__ == "__main__":
    sys.exit(main())
