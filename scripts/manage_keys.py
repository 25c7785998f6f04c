#!/usr/bin/env python3
"""Manage AgenticAI API keys: create, list, disable, rotate, delete.

    python scripts/manage_keys.py --env dev create --name partner-a --rate-limit 500
    python scripts/manage_keys.py --env dev list
    python scripts/manage_keys.py --env dev disable --key-id 0123456789abcdef
    python scripts/manage_keys.py --env dev rotate --key-id 0123456789abcdef --grace-hours 24
    python scripts/manage_keys.py --env dev delete --key-id 0123456789abcdef

``create`` prints the key once. Only its HMAC-SHA256 (peppered with the secret
from Secrets Manager) is stored in the keys table; the value itself goes to
Secrets Manager (``<prefix>/api-keys/<name>``, the canary reads ``.../canary``)
and to an API Gateway API key attached to the environment's usage plan, which
meters it. AWS credentials and endpoint come from the usual boto3 sources
(``AWS_PROFILE``, ``AWS_ENDPOINT_URL`` for an emulator...).

``--env`` is required and the caller's account must be the environment's ``account_id`` (STS
GetCallerIdentity is called first). ``--json`` (before the subcommand) prints every result as JSON.

Exit status (scripts/cli.py): 0 success, 2 bad arguments, unknown key or environment not applied (wrong
account included), 3 AWS unreachable or denied.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modules.front_door.names import AuthNames  # noqa: E402
from modules.functions import keys  # noqa: E402
from scripts import cli  # noqa: E402

_NAME_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"
_KEY_ID_PATTERN = rf"[0-9a-f]{{{keys.KEY_ID_LENGTH}}}"


class CliError(cli.CliError):
    """A user-facing failure: printed as ``error: ...``, exit status ``code``.

    Default: exit 2 (scripts/cli.py: a usage or state error, such as an unknown key id).
    """


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@dataclass
class KeyManager:
    """The operations, on boto3 clients for one environment's names."""

    names: AuthNames
    region: str

    def __post_init__(self) -> None:
        import boto3

        self.dynamodb = boto3.client("dynamodb", region_name=self.region)
        self.secrets = boto3.client("secretsmanager", region_name=self.region)
        self.apigateway = boto3.client("apigateway", region_name=self.region)

    # --- helpers -------------------------------------------------------------------------------
    def _pepper(self) -> bytes:
        try:
            value = self.secrets.get_secret_value(SecretId=self.names.pepper_secret)["SecretString"]
        except self.secrets.exceptions.ResourceNotFoundException:
            raise CliError(f"pepper secret {self.names.pepper_secret!r} not found; apply the stack first") from None
        return value.encode("utf-8")

    def _usage_plan_id(self, explicit: str | None) -> str:
        if explicit:
            return explicit
        for page in self.apigateway.get_paginator("get_usage_plans").paginate():
            for plan in page.get("items", []):
                if plan.get("name") == self.names.usage_plan:
                    return plan["id"]
        raise CliError(f"usage plan {self.names.usage_plan!r} not found; apply the stack or pass --usage-plan-id")

    def _record(self, key_id: str) -> dict[str, Any]:
        item = self.dynamodb.get_item(TableName=self.names.keys_table, Key={"key_id": {"S": key_id}}).get("Item")
        if item is None:
            raise CliError(f"key-id: got {key_id!r}; no such key in {self.names.keys_table}")
        return item

    def _store_secret(self, secret_name: str, key: str) -> None:
        try:
            self.secrets.put_secret_value(SecretId=secret_name, SecretString=key)
        except self.secrets.exceptions.ResourceNotFoundException:
            self.secrets.create_secret(
                Name=secret_name, SecretString=key, Description="AgenticAI API key (scripts/manage_keys.py)"
            )

    # --- operations ----------------------------------------------------------------------------
    def create(
        self,
        *,
        name: str,
        rate_limit: int,
        usage_plan_id: str | None = None,
        secret_name: str | None = None,
        now: float | None = None,
    ) -> tuple[str, str]:
        """Create a key; returns (key_id, key). The key is not stored anywhere in clear but Secrets Manager."""
        pepper = self._pepper()
        plan_id = self._usage_plan_id(usage_plan_id)
        key_id, key = keys.generate_key()
        api_key = self.apigateway.create_api_key(
            name=f"{self.names.prefix}-{name}-{key_id}", value=key, enabled=True, description=f"key_id {key_id}"
        )
        try:
            self.apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=api_key["id"], keyType="API_KEY")
            item = {
                "key_id": {"S": key_id},
                "name": {"S": name},
                "key_hash": {"S": keys.hash_key(key, pepper)},
                "created_at": {"S": _iso(now or time.time())},
                "usage_plan_id": {"S": plan_id},
                "enabled": {"BOOL": True},
                "rate_limit": {"N": str(rate_limit)},
                "apigw_key_id": {"S": api_key["id"]},
            }
            if secret_name:
                item["secret_name"] = {"S": secret_name}
            self.dynamodb.put_item(
                TableName=self.names.keys_table, Item=item, ConditionExpression="attribute_not_exists(key_id)"
            )
        except Exception:
            self.apigateway.delete_api_key(apiKey=api_key["id"])
            raise
        if secret_name:
            self._store_secret(secret_name, key)
        return key_id, key

    def list(self) -> list[dict[str, Any]]:
        rows = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.names.keys_table):
            for item in page.get("Items", []):
                rows.append(
                    {
                        "key_id": item["key_id"]["S"],
                        "name": item.get("name", {}).get("S", ""),
                        "enabled": item.get("enabled", {}).get("BOOL", False),
                        "rate_limit": int(item.get("rate_limit", {}).get("N", "0")),
                        "created_at": item.get("created_at", {}).get("S"),
                        "last_used": item.get("last_used", {}).get("S"),
                        "expires_at": _iso(int(item["expires_at"]["N"])) if "expires_at" in item else None,
                        "usage_plan_id": item.get("usage_plan_id", {}).get("S"),
                    }
                )
        return sorted(rows, key=lambda r: (r["created_at"] or "", r["key_id"]))

    def disable(self, key_id: str) -> None:
        record = self._record(key_id)
        self.dynamodb.update_item(
            TableName=self.names.keys_table,
            Key={"key_id": {"S": key_id}},
            UpdateExpression="SET enabled = :false",
            ExpressionAttributeValues={":false": {"BOOL": False}},
        )
        if "apigw_key_id" in record:
            self.apigateway.update_api_key(
                apiKey=record["apigw_key_id"]["S"],
                patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}],
            )

    def rotate(self, key_id: str, *, grace_hours: int, now: float | None = None) -> tuple[str, str]:
        """A new key with the old one's name, limit and plan; the old one expires after the grace period."""
        record = self._record(key_id)
        if not record.get("enabled", {}).get("BOOL", False):
            raise CliError(f"key-id: got {key_id!r}; the key is disabled, create a new one instead")
        clock = now or time.time()
        new_id, new_key = self.create(
            name=record["name"]["S"],
            rate_limit=int(record["rate_limit"]["N"]),
            usage_plan_id=record.get("usage_plan_id", {}).get("S"),
            secret_name=record.get("secret_name", {}).get("S"),
            now=clock,
        )
        if grace_hours == 0:
            self.disable(key_id)
        else:
            self.dynamodb.update_item(
                TableName=self.names.keys_table,
                Key={"key_id": {"S": key_id}},
                UpdateExpression="SET expires_at = :expires, replaced_by = :new",
                ExpressionAttributeValues={
                    ":expires": {"N": str(int(clock + grace_hours * 3600))},
                    ":new": {"S": new_id},
                },
            )
        return new_id, new_key

    def delete(self, key_id: str) -> None:
        record = self._record(key_id)
        if "apigw_key_id" in record:
            # Already gone: deleting is idempotent.
            with contextlib.suppress(self.apigateway.exceptions.NotFoundException):
                self.apigateway.delete_api_key(apiKey=record["apigw_key_id"]["S"])
        self.dynamodb.delete_item(TableName=self.names.keys_table, Key={"key_id": {"S": key_id}})


def _checked(field: str, value: str, pattern: str, allowed: str) -> str:
    if re.fullmatch(pattern, value) is None:
        raise CliError(f"{field}: got {value!r}; allowed: {allowed}", code=2)
    return value


def _positive_int(field: str, value: int, maximum: int) -> int:
    if not 1 <= value <= maximum:
        raise CliError(f"{field}: got {value!r}; allowed: an integer >= 1 and <= {maximum}", code=2)
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Exit status: 0 ok, 2 usage or state error, 3 AWS error."
    )
    cli.add_common_arguments(parser, json_help="print results as JSON (key values included for create/rotate)")
    parser.add_argument("--name-prefix", help="resource name prefix (default: the environment's name_prefix)")
    parser.add_argument("--region", help="AWS region (default: the environment's region)")
    commands = parser.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True, help="who the key is for (lowercase letters, digits, hyphens)")
    create.add_argument("--rate-limit", type=int, help="requests per hour (default: the environment's)")
    create.add_argument("--usage-plan-id", help="usage plan to attach to (default: the environment's plan)")
    create.add_argument(
        "--secret-name", help="Secrets Manager secret for the value (default: <prefix>/api-keys/<name>)"
    )
    create.add_argument("--no-secret", action="store_true", help="do not store the value in Secrets Manager")

    listing = commands.add_parser("list", help="list keys (never their values)")
    # Kept after the subcommand for compatibility; SUPPRESS so that it does not reset the top-level --json.
    listing.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="same as the top-level --json")

    for command, text in (("disable", "disable a key now"), ("delete", "delete a key and its API Gateway key")):
        sub = commands.add_parser(command, help=text)
        sub.add_argument("--key-id", required=True, help="the 16 hex characters after 'agk' in the key")

    rotate = commands.add_parser("rotate", help="issue a new key; the old one works for a grace period")
    rotate.add_argument("--key-id", required=True)
    rotate.add_argument("--grace-hours", type=int, help="old key validity (default: the environment's; 0 = now)")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    connection = cli.connect(args.env)
    config = connection.config
    names = AuthNames.for_prefix(args.name_prefix or config.name_prefix)
    manager = KeyManager(names=names, region=args.region or config.region)

    def emit(result: dict[str, Any], text: list[str]) -> int:
        print(json.dumps(result, indent=2) if args.json else "\n".join(text))
        return cli.EXIT_OK

    if args.command == "create":
        name = _checked("name", args.name, _NAME_PATTERN, "1-63 lowercase letters, digits or hyphens")
        rate = _positive_int(
            "rate-limit",
            args.rate_limit if args.rate_limit is not None else config.auth.default_key_rate_limit_per_hour,
            10_000_000,
        )
        secret = None if args.no_secret else (args.secret_name or names.key_secret(name))
        key_id, key = manager.create(name=name, rate_limit=rate, usage_plan_id=args.usage_plan_id, secret_name=secret)
        print("The key is shown only this once; only its hash is stored.", file=sys.stderr)
        text = [f"key_id:     {key_id}", f"rate_limit: {rate}/hour"]
        text += [f"secret:     {secret}"] if secret else []
        return emit(
            {"key_id": key_id, "rate_limit": rate, "secret": secret, "api_key": key}, [*text, f"api_key:    {key}"]
        )
    if args.command == "list":
        rows = manager.list()
        if args.json:
            print(json.dumps(rows, indent=2))
            return cli.EXIT_OK
        columns = ("key_id", "name", "enabled", "rate_limit", "created_at", "last_used", "expires_at")
        widths = {c: max(len(c), *(len(str(r[c] or "-")) for r in rows)) for c in columns}
        print("  ".join(c.ljust(widths[c]) for c in columns))
        for row in rows:
            print("  ".join(str(row[c] if row[c] is not None else "-").ljust(widths[c]) for c in columns))
        return cli.EXIT_OK

    key_id = _checked("key-id", args.key_id, _KEY_ID_PATTERN, f"{keys.KEY_ID_LENGTH} lowercase hex characters")
    if args.command == "disable":
        manager.disable(key_id)
        return emit({"key_id": key_id, "disabled": True}, [f"disabled {key_id}"])
    if args.command == "delete":
        manager.delete(key_id)
        return emit({"key_id": key_id, "deleted": True}, [f"deleted {key_id}"])
    grace = args.grace_hours if args.grace_hours is not None else config.auth.rotation_grace_hours
    if not 0 <= grace <= 720:
        raise CliError(f"grace-hours: got {grace!r}; allowed: an integer >= 0 and <= 720", code=2)
    new_id, new_key = manager.rotate(key_id, grace_hours=grace)
    print("The key is shown only this once; only its hash is stored.", file=sys.stderr)
    return emit(
        {"key_id": new_id, "replaces": key_id, "grace_hours": grace, "api_key": new_key},
        [f"key_id:     {new_id}", f"replaces:   {key_id} (valid for {grace} more hours)", f"api_key:    {new_key}"],
    )


@cli.guarded
def main(argv: Sequence[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
