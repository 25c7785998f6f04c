#!/usr/bin/env python3
"""Manage AgenticAI API keys and the HMAC pepper.

    python scripts/manage_keys.py --env dev init-pepper
    python scripts/manage_keys.py --env dev create --name partner-a --rate-limit 500 [--store-secret]
    python scripts/manage_keys.py --env dev list
    python scripts/manage_keys.py --env dev disable --key-id 0123456789abcdef
    python scripts/manage_keys.py --env dev rotate --key-id 0123456789abcdef --grace-hours 24
    python scripts/manage_keys.py --env dev delete --key-id 0123456789abcdef [--yes]
    python scripts/manage_keys.py --env dev rotate-pepper [--grace-hours 168]
    python scripts/manage_keys.py --env dev migrate-metering

What is stored where (docs/KEYS.md):

* the keys table: the key's HMAC-SHA256 under the current pepper version, never the key;
* API Gateway: an API key whose *value* is the derived metering value ("agm_" + 64 hex,
  ``keys.metering_value``), never the key, attached to the environment's usage plan;
* Secrets Manager ``<prefix>/api-keys/<name>``, encrypted with the environment's data key
  (``alias/<prefix>-data``): the key itself, for the canary always, for other keys only with
  ``--store-secret``. Otherwise the one-time display is the only copy;
* the pepper secret ``<prefix>/auth/pepper``: written only by ``init-pepper`` / ``rotate-pepper``
  (never by Terraform), versioned JSON (``keys.PepperSet``).

Every argument is checked before any AWS call (exit 2). ``--env`` is required and the caller's account
must be the environment's ``account_id`` (STS GetCallerIdentity is the first AWS call). ``--json`` (before
the subcommand) prints every result as JSON. AWS credentials and endpoint come from the usual boto3
sources (``AWS_PROFILE``, ``AWS_ENDPOINT_URL`` for an emulator...).

Exit status (scripts/cli.py): 0 success, 2 bad arguments, unknown key, refused confirmation or
environment not applied (wrong account included), 3 AWS unreachable or denied.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import dataclasses
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modules.front_door.names import AuthNames  # noqa: E402
from modules.functions import key_record, keys  # noqa: E402
from modules.functions.key_record import APIKey  # noqa: E402
from scripts import cli  # noqa: E402

_NAME_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"
_KEY_ID_PATTERN = rf"[0-9a-f]{{{keys.KEY_ID_LENGTH}}}"
_PREFIX_PATTERN = r"[a-z][a-z0-9-]{1,22}[a-z0-9]"
#: API Gateway resource ids (usage plans): 10 lowercase letters and digits in practice; allow 1-32.
_USAGE_PLAN_ID_PATTERN = r"[a-z0-9]{1,32}"
#: The canary reads this key's secret, so its value is always stored.
CANARY = "canary"
MAX_GRACE_HOURS = 720
MAX_PEPPER_GRACE_HOURS = 24 * 90


class CliError(cli.CliError):
    """A user-facing failure: printed as ``error: ...``, exit status ``code``.

    Default: exit 2 (scripts/cli.py: a usage or state error, such as an unknown key id).
    """


@dataclass
class KeyManager:
    """The operations, on boto3 clients for one environment's names."""

    names: AuthNames
    region: str
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import boto3

        self.dynamodb = boto3.client("dynamodb", region_name=self.region)
        self.secrets = boto3.client("secretsmanager", region_name=self.region)
        self.apigateway = boto3.client("apigateway", region_name=self.region)
        self.kms = boto3.client("kms", region_name=self.region)

    # --- helpers -------------------------------------------------------------------------------
    def _pepper_text(self) -> str | None:
        """The pepper secret's current value; None when the secret exists without one."""
        try:
            return self.secrets.get_secret_value(SecretId=self.names.pepper_secret)["SecretString"]
        except self.secrets.exceptions.ResourceNotFoundException:
            self.secrets.describe_secret(SecretId=self.names.pepper_secret)  # absent secret -> the error below
            return None

    def peppers(self) -> keys.PepperSet:
        try:
            text = self._pepper_text()
        except self.secrets.exceptions.ResourceNotFoundException:
            raise CliError(f"pepper secret {self.names.pepper_secret!r} not found; apply the stack first") from None
        if text is None:
            raise CliError(f"pepper secret {self.names.pepper_secret!r} has no value; run init-pepper first")
        try:
            return keys.parse_pepper_secret(text)
        except keys.PepperError as exc:
            raise CliError(f"pepper secret {self.names.pepper_secret!r}: {exc}") from None

    def _usage_plan_id(self, explicit: str | None) -> str:
        if explicit:
            return explicit
        for page in self.apigateway.get_paginator("get_usage_plans").paginate():
            for plan in page.get("items", []):
                if plan.get("name") == self.names.usage_plan:
                    return plan["id"]
        raise CliError(f"usage plan {self.names.usage_plan!r} not found; apply the stack or pass --usage-plan-id")

    def _data_key_arn(self) -> str:
        alias = self.names.data_key_alias
        try:
            return self.kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
        except self.kms.exceptions.NotFoundException:
            raise CliError(f"data key {alias!r} not found; apply the stack first") from None

    def _record(self, key_id: str) -> APIKey:
        item = self.dynamodb.get_item(TableName=self.names.keys_table, Key=key_record.key_of(key_id)).get("Item")
        if item is None:
            raise CliError(f"key-id: got {key_id!r}; no such key in {self.names.keys_table}")
        return APIKey.from_item(item)

    def _update(self, update: dict[str, Any]) -> None:
        self.dynamodb.update_item(TableName=self.names.keys_table, **update)

    def _store_secret(self, secret_name: str, key: str, key_id: str) -> None:
        check_secret_name(self.names, secret_name)
        try:
            self.secrets.put_secret_value(SecretId=secret_name, SecretString=key)
        except self.secrets.exceptions.ResourceNotFoundException:
            self.secrets.create_secret(
                Name=secret_name,
                SecretString=key,
                KmsKeyId=self._data_key_arn(),
                Description="AgenticAI API key (scripts/manage_keys.py)",
                Tags=[{"Key": k, "Value": v} for k, v in {**self.tags, "KeyId": key_id}.items()],
            )

    # --- the pepper ----------------------------------------------------------------------------
    def init_pepper(self) -> int:
        """Write the first pepper version; refuses when one exists (that would invalidate every key)."""
        try:
            text = self._pepper_text()
        except self.secrets.exceptions.ResourceNotFoundException:
            raise CliError(f"pepper secret {self.names.pepper_secret!r} not found; apply the stack first") from None
        if text is not None:
            raise CliError(
                f"pepper secret {self.names.pepper_secret!r} already has a value; use rotate-pepper to add a version"
            )
        peppers = keys.PepperSet(1, (keys.Pepper(1, keys.generate_pepper().encode()),))
        self.secrets.put_secret_value(SecretId=self.names.pepper_secret, SecretString=peppers.render())
        return peppers.current

    def rotate_pepper(self, *, grace_hours: int, now: float | None = None) -> keys.PepperSet:
        """A new current version; keys under the previous one work ``grace_hours`` more (re-hashed on use)."""
        peppers = self.peppers().rotated(
            keys.generate_pepper(), now=int(now or time.time()), grace_seconds=grace_hours * 3600
        )
        self.secrets.put_secret_value(SecretId=self.names.pepper_secret, SecretString=peppers.render())
        return peppers

    # --- keys ------------------------------------------------------------------------------------
    def create(
        self,
        *,
        name: str,
        rate_limit: int,
        usage_plan_id: str | None = None,
        secret_name: str | None = None,
        now: float | None = None,
    ) -> tuple[str, str]:
        """Create a key; returns (key_id, key). The key is stored in clear only in ``secret_name``, if given."""
        if secret_name is not None:
            check_secret_name(self.names, secret_name)
        peppers = self.peppers()
        pepper = peppers.current_pepper()
        plan_id = self._usage_plan_id(usage_plan_id)
        if secret_name is not None:
            self._data_key_arn()  # fail before anything is written
        key_id, key = keys.generate_key()
        key_hash = keys.hash_key(key, pepper.value)
        metering = keys.metering_value(key_hash, pepper.value)
        api_key = self.apigateway.create_api_key(
            name=f"{self.names.prefix}-{name}-{key_id}", value=metering, enabled=True, description=f"key_id {key_id}"
        )
        try:
            self.apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=api_key["id"], keyType="API_KEY")
            record = APIKey(
                key_id=key_id,
                key_hash=key_hash,
                enabled=True,
                rate_limit=rate_limit,
                name=name,
                created_at=key_record.iso(now or time.time()),
                usage_plan_id=plan_id,
                pepper_version=pepper.version,
                metering_value=metering,
                apigw_key_id=api_key["id"],
                secret_name=secret_name,
            )
            self.dynamodb.put_item(
                TableName=self.names.keys_table,
                Item=record.to_item(),
                ConditionExpression="attribute_not_exists(key_id)",
            )
            if secret_name:
                self._store_secret(secret_name, key, key_id)
        except Exception:
            with contextlib.suppress(Exception):
                self.dynamodb.delete_item(TableName=self.names.keys_table, Key=key_record.key_of(key_id))
            self.apigateway.delete_api_key(apiKey=api_key["id"])
            raise
        return key_id, key

    def list(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.names.keys_table):
            rows.extend(APIKey.from_item(item).listing() for item in page.get("Items", []))
        return sorted(rows, key=lambda r: (r["created_at"] or "", r["key_id"]))

    def records(self) -> builtins.list[APIKey]:
        found: builtins.list[APIKey] = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.names.keys_table):
            found.extend(APIKey.from_item(item) for item in page.get("Items", []))
        return found

    def disable(self, key_id: str) -> None:
        record = self._record(key_id)
        self._update(key_record.disable_update(key_id))
        if record.apigw_key_id:
            self.apigateway.update_api_key(
                apiKey=record.apigw_key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
            )

    def rotate(self, key_id: str, *, grace_hours: int, now: float | None = None) -> tuple[str, str]:
        """A new key with the old one's name, limit, plan and secret; the old one expires after the grace period."""
        record = self._record(key_id)
        if not record.enabled:
            raise CliError(f"key-id: got {key_id!r}; the key is disabled, create a new one instead")
        clock = now or time.time()
        new_id, new_key = self.create(
            name=record.name,
            rate_limit=record.rate_limit,
            usage_plan_id=record.usage_plan_id,
            secret_name=record.secret_name,
            now=clock,
        )
        if grace_hours == 0:
            self.disable(key_id)
        else:
            self._update(key_record.expire_update(key_id, int(clock + grace_hours * 3600), new_id))
        return new_id, new_key

    def delete(self, key_id: str) -> APIKey:
        record = self._record(key_id)
        if record.apigw_key_id:
            # Already gone: deleting is idempotent.
            with contextlib.suppress(self.apigateway.exceptions.NotFoundException):
                self.apigateway.delete_api_key(apiKey=record.apigw_key_id)
        self.dynamodb.delete_item(TableName=self.names.keys_table, Key=record.key())
        return record

    def migrate_metering(self) -> builtins.list[str]:
        """Move every key still metered under its raw value to a derived metering value.

        Per key: a new API Gateway key with the derived value joins the usage plan, the record points to
        it, then the old API Gateway key (whose value *is* the API key) is deleted. Warm authorizers keep
        returning the old value for up to KEY_CACHE_SECONDS, during which those requests get 403
        INVALID_API_KEY; run it at a quiet time. Idempotent: migrated keys are skipped.
        """
        peppers = self.peppers()
        migrated = []
        for record in self.records():
            if record.metering_value and keys.METERING_PATTERN.fullmatch(record.metering_value):
                continue
            pepper = peppers.get(record.pepper_version)
            if pepper is None:
                raise CliError(f"key {record.key_id}: its pepper version {record.pepper_version} is gone; re-issue it")
            metering = keys.metering_value(record.key_hash, pepper.value)
            plan_id = record.usage_plan_id or self._usage_plan_id(None)
            api_key = self.apigateway.create_api_key(
                name=f"{self.names.prefix}-{record.name or 'key'}-{record.key_id}-m",
                value=metering,
                enabled=record.enabled,
                description=f"key_id {record.key_id}",
            )
            self.apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=api_key["id"], keyType="API_KEY")
            self._update(key_record.metering_update(record.key_id, metering, api_key["id"]))
            if record.apigw_key_id:
                with contextlib.suppress(self.apigateway.exceptions.NotFoundException):
                    self.apigateway.delete_usage_plan_key(usagePlanId=plan_id, keyId=record.apigw_key_id)
                with contextlib.suppress(self.apigateway.exceptions.NotFoundException):
                    self.apigateway.delete_api_key(apiKey=record.apigw_key_id)
            migrated.append(record.key_id)
        return migrated


def check_secret_name(names: AuthNames, secret_name: str) -> str:
    """Only ``<prefix>/api-keys/<name>``: the tool can never overwrite the pepper or another secret."""
    pattern = re.escape(names.key_secret("")) + _NAME_PATTERN
    if re.fullmatch(pattern, secret_name) is None:
        raise CliError(
            f"secret-name: got {secret_name!r}; allowed: {names.key_secret('<name>')} "
            "(<name>: 1-63 lowercase letters, digits or hyphens)",
            code=2,
        )
    return secret_name


def _checked(field: str, value: str, pattern: str, allowed: str) -> str:
    if re.fullmatch(pattern, value) is None:
        raise CliError(f"{field}: got {value!r}; allowed: {allowed}", code=2)
    return value


def _bounded_int(field: str, value: int, minimum: int, maximum: int) -> int:
    if not minimum <= value <= maximum:
        raise CliError(f"{field}: got {value!r}; allowed: an integer >= {minimum} and <= {maximum}", code=2)
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Exit status: 0 ok, 2 usage or state error, 3 AWS error."
    )
    cli.add_common_arguments(parser, json_help="print results as JSON (key values included for create/rotate)")
    parser.add_argument("--name-prefix", help="resource name prefix (default: the environment's name_prefix)")
    parser.add_argument("--region", help="AWS region (default: the environment's region)")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init-pepper", help="write the first pepper version (once, after the first apply)")
    rotate_pepper = commands.add_parser("rotate-pepper", help="add a pepper version; old keys work a grace period")
    rotate_pepper.add_argument(
        "--grace-hours", type=int, help="how long keys under the previous version work (default: the environment's)"
    )
    commands.add_parser("migrate-metering", help="meter keys issued before derived metering values existed")

    create = commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True, help="who the key is for (lowercase letters, digits, hyphens)")
    create.add_argument("--rate-limit", type=int, help="requests per hour (default: the environment's)")
    create.add_argument("--usage-plan-id", help="usage plan to attach to (default: the environment's plan)")
    create.add_argument(
        "--store-secret",
        action="store_true",
        help="also keep the value in Secrets Manager <prefix>/api-keys/<name> (always for the canary)",
    )
    create.add_argument("--secret-name", help="with --store-secret: must be <prefix>/api-keys/<name>")
    create.add_argument("--no-secret", action="store_true", help="the default: do not store the value (not canary)")

    listing = commands.add_parser("list", help="list keys (never their values, hashes or metering values)")
    # Kept after the subcommand for compatibility; SUPPRESS so that it does not reset the top-level --json.
    listing.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="same as the top-level --json")

    disable = commands.add_parser("disable", help="disable a key now")
    disable.add_argument("--key-id", required=True, help="the 16 hex characters after 'agk' in the key")
    delete = commands.add_parser("delete", help="delete a key and its API Gateway key (asks unless --yes)")
    delete.add_argument("--key-id", required=True, help="the 16 hex characters after 'agk' in the key")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    rotate = commands.add_parser("rotate", help="issue a new key; the old one works for a grace period")
    rotate.add_argument("--key-id", required=True)
    rotate.add_argument("--grace-hours", type=int, help="old key validity (default: the environment's; 0 = now)")
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Checked:
    """Every argument, validated before any AWS call."""

    names: AuthNames
    region: str
    key_id: str | None = None
    name: str | None = None
    rate_limit: int | None = None
    usage_plan_id: str | None = None
    secret_name: str | None = None
    grace_hours: int | None = None


def check_args(args: argparse.Namespace, config: Any) -> Checked:
    from environments.config.base import aws_regions

    prefix = _checked(
        "name-prefix",
        args.name_prefix or config.name_prefix,
        _PREFIX_PATTERN,
        "3-24 lowercase letters, digits or hyphens, starting with a letter",
    )
    region = args.region or config.region
    if region not in aws_regions():
        raise CliError(f"region: got {region!r}; allowed: a commercial AWS region such as us-east-1", code=2)
    names = AuthNames.for_prefix(prefix)
    checked = Checked(names=names, region=region)
    command = args.command
    if command in ("disable", "delete", "rotate"):
        key_id = _checked("key-id", args.key_id, _KEY_ID_PATTERN, f"{keys.KEY_ID_LENGTH} lowercase hex characters")
        checked = dataclasses.replace(checked, key_id=key_id)
    if command == "create":
        name = _checked("name", args.name, _NAME_PATTERN, "1-63 lowercase letters, digits or hyphens")
        rate = _bounded_int(
            "rate-limit",
            args.rate_limit if args.rate_limit is not None else config.auth.default_key_rate_limit_per_hour,
            1,
            10_000_000,
        )
        plan = args.usage_plan_id
        if plan is not None:
            _checked("usage-plan-id", plan, _USAGE_PLAN_ID_PATTERN, "an API Gateway usage plan id (1-32 a-z, 0-9)")
        if name == CANARY and args.no_secret:
            raise CliError("no-secret: not allowed for the canary key (the canary reads its secret)", code=2)
        if args.secret_name is not None and not args.store_secret:
            raise CliError(f"secret-name: got {args.secret_name!r}; allowed: only with --store-secret", code=2)
        if args.store_secret and args.no_secret:
            raise CliError("no-secret: not allowed with --store-secret", code=2)
        secret = None
        if args.store_secret or name == CANARY:
            secret = check_secret_name(names, args.secret_name or names.key_secret(name))
        checked = dataclasses.replace(checked, name=name, rate_limit=rate, usage_plan_id=plan, secret_name=secret)
    if command == "rotate":
        grace = args.grace_hours if args.grace_hours is not None else config.auth.rotation_grace_hours
        checked = dataclasses.replace(checked, grace_hours=_bounded_int("grace-hours", grace, 0, MAX_GRACE_HOURS))
    if command == "rotate-pepper":
        grace = args.grace_hours if args.grace_hours is not None else config.auth.pepper_grace_hours
        checked = dataclasses.replace(
            checked, grace_hours=_bounded_int("grace-hours", grace, 1, MAX_PEPPER_GRACE_HOURS)
        )
    return checked


def confirm(prompt: str, *, ask: Callable[[str], str] | None = None) -> None:
    """Ask on the terminal; no terminal (or anything but 'yes') is a refusal (exit 2)."""
    if not sys.stdin.isatty():
        raise CliError("delete: no terminal to confirm on; pass --yes to delete without asking", code=2)
    if (ask or input)(prompt).strip().lower() != "yes":
        raise CliError("delete: not confirmed; nothing was deleted", code=2)


def _stored_lines(names: AuthNames, secret: str | None, version: int) -> list[str]:
    lines = [
        f"stored:     keys table {names.keys_table}: the key's HMAC-SHA256 under pepper v{version} (not the key)",
        "            API Gateway API key: the derived metering value agm_... (not the key), in the usage plan",
    ]
    if secret:
        lines.append(f"            Secrets Manager {secret}: the key itself (encrypted with {names.data_key_alias})")
    else:
        lines.append("            not in Secrets Manager: this output is the only copy of the key")
    return lines


def run(args: argparse.Namespace) -> int:
    config = cli.load_config(args.env)
    checked = check_args(args, config)
    cli.connect(args.env)  # the first AWS call: the account check
    names = checked.names
    tags = {**config.default_tags, "ManagedBy": "scripts/manage_keys.py"}
    manager = KeyManager(names=names, region=checked.region, tags=tags)

    def emit(result: dict[str, Any], text: list[str]) -> int:
        print(json.dumps(result, indent=2) if args.json else "\n".join(text))
        return cli.EXIT_OK

    if args.command == "init-pepper":
        version = manager.init_pepper()
        return emit(
            {"pepper_secret": names.pepper_secret, "version": version},
            [f"pepper version {version} written to Secrets Manager {names.pepper_secret} (value not shown)"],
        )
    if args.command == "rotate-pepper":
        peppers = manager.rotate_pepper(grace_hours=checked.grace_hours or 1)
        previous = [p for p in peppers.versions if p.version != peppers.current]
        ends = {p.version: key_record.iso(p.refuse_after) for p in previous if p.refuse_after is not None}
        return emit(
            {"pepper_secret": names.pepper_secret, "current": peppers.current, "grace_ends": ends},
            [f"pepper version {peppers.current} written to {names.pepper_secret} (value not shown)"]
            + [f"keys hashed under version {v} work until {end}, re-hashed on first use" for v, end in ends.items()],
        )
    if args.command == "migrate-metering":
        migrated = manager.migrate_metering()
        return emit(
            {"migrated": migrated},
            [f"{len(migrated)} key(s) now metered under their derived value; old API Gateway keys deleted"]
            + [f"  {key_id}" for key_id in migrated],
        )
    if args.command == "create":
        assert checked.name is not None
        assert checked.rate_limit is not None
        key_id, key = manager.create(
            name=checked.name,
            rate_limit=checked.rate_limit,
            usage_plan_id=checked.usage_plan_id,
            secret_name=checked.secret_name,
        )
        version = manager._record(key_id).pepper_version
        print("The key is shown only this once.", file=sys.stderr)
        text = [f"key_id:     {key_id}", f"rate_limit: {checked.rate_limit}/hour"]
        text += [f"secret:     {checked.secret_name}"] if checked.secret_name else []
        text += _stored_lines(names, checked.secret_name, version)
        return emit(
            {"key_id": key_id, "rate_limit": checked.rate_limit, "secret": checked.secret_name, "api_key": key},
            [*text, f"api_key:    {key}"],
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

    if checked.key_id is None:
        raise CliError(f"{args.command}: no key id")  # check_args always sets it for these commands
    key_id = checked.key_id
    if args.command == "disable":
        manager.disable(key_id)
        return emit({"key_id": key_id, "disabled": True}, [f"disabled {key_id}"])
    if args.command == "delete":
        record = manager._record(key_id)  # an unknown key is reported before asking
        if not args.yes:
            confirm(f"delete key {key_id} ({record.name}) from {names.keys_table} and API Gateway? type yes: ")
        manager.delete(key_id)
        left = f"; its secret {record.secret_name} is kept (delete it in Secrets Manager)" if record.secret_name else ""
        return emit({"key_id": key_id, "deleted": True}, [f"deleted {key_id} and its API Gateway key{left}"])
    grace = checked.grace_hours or 0
    new_id, new_key = manager.rotate(key_id, grace_hours=grace)
    new_record = manager._record(new_id)
    print("The key is shown only this once.", file=sys.stderr)
    stored = _stored_lines(names, new_record.secret_name, new_record.pepper_version)
    return emit(
        {"key_id": new_id, "replaces": key_id, "grace_hours": grace, "api_key": new_key},
        [f"key_id:     {new_id}", f"replaces:   {key_id} (valid for {grace} more hours)", *stored]
        + [f"api_key:    {new_key}"],
    )


@cli.guarded
def main(argv: Sequence[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
