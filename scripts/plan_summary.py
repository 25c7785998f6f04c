#!/usr/bin/env python3
"""Summarize a Terraform plan for review, without its secrets, and fingerprint its resource changes.

    terraform show -json ENV.tfplan > plan.json
    python scripts/plan_summary.py plan.json --env dev \\
        --text plan-dev.txt --json summary-dev.json --markdown "$GITHUB_STEP_SUMMARY"
    python scripts/plan_summary.py plan.json --expect-hash <sha256>   # exit 1 if the changes differ

It writes:

* ``--text``: a human-readable plan. Every value Terraform marks sensitive (``before_sensitive`` /
  ``after_sensitive``) and every attribute whose name looks like key material is replaced by
  ``(redacted)``. Values are shown for everything else, so a reviewer sees what changes.
* ``--json``: counts of add / change / replace / destroy per resource type, the stateful destroys and
  replaces, and ``changes_sha256``.
* ``--markdown``: the same as a job-summary table (appended), stateful destroys/replaces first.

``changes_sha256`` is the SHA-256 of a canonical JSON (sorted keys, no whitespace) of every resource
change that does something (address, actions, before, after, after_unknown), sorted by address. The
apply job re-plans after the approval and refuses to apply when this hash differs from the reviewed
one (``--expect-hash``), so what is applied is exactly what was reviewed.

Exit codes: 0 ok, 1 the hash differs from ``--expect-hash``, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

#: Resource types that hold data (or the keys to it): destroying or replacing one loses data.
STATEFUL_TYPES = frozenset(
    {
        "aws_dynamodb_table",
        "aws_s3_bucket",
        "aws_kms_key",
        "aws_secretsmanager_secret",
        "aws_sqs_queue",
        "aws_cloudwatch_log_group",
    }
)
#: Attribute names whose values are never printed, sensitive-marked or not.
_SECRET_NAME = re.compile(r"(secret|password|pepper|token|private_key|api_key|key_value|secret_string)", re.I)
REDACTED = "(redacted)"
KINDS = ("add", "change", "replace", "destroy", "forget")


class BadInput(Exception):
    """The plan file is missing or is not ``terraform show -json`` output."""


def kind(actions: Sequence[str]) -> str | None:
    """add / change / replace / destroy / forget (dropped from state, kept in AWS: a ``removed`` block), or None
    for no-op and read."""
    acts = list(actions)
    if acts in (["delete", "create"], ["create", "delete"]):
        return "replace"
    if acts == ["create"]:
        return "add"
    if acts == ["update"]:
        return "change"
    if acts == ["delete"]:
        return "destroy"
    if acts == ["forget"]:
        return "forget"
    return None


def redact(value: Any, sensitive: Any, name: str = "") -> Any:
    """``value`` with every part marked in ``sensitive`` (Terraform's mask) or secret-named replaced."""
    if sensitive is True or (name and _SECRET_NAME.search(name) and value not in (None, "", [], {})):
        return REDACTED
    if isinstance(value, dict):
        mask = sensitive if isinstance(sensitive, dict) else {}
        return {k: redact(v, mask.get(k), k) for k, v in value.items()}
    if isinstance(value, list):
        mask_list = sensitive if isinstance(sensitive, list) else []
        return [redact(v, mask_list[i] if i < len(mask_list) else None, name) for i, v in enumerate(value)]
    return value


def load_plan(path: Path) -> dict[str, Any]:
    try:
        plan = json.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"plan: file {str(path)!r} not found (expected `terraform show -json` output)") from None
    except json.JSONDecodeError as error:
        raise BadInput(f"plan: {str(path)!r} is not JSON ({error.msg}); expected `terraform show -json`") from None
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise BadInput(f"plan: {str(path)!r} has no format_version; expected `terraform show -json` output")
    return plan


def changes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Resource changes that do something (no-op and read left out), sorted by address."""
    found = [rc for rc in plan.get("resource_changes", []) if kind(rc["change"]["actions"])]
    return sorted(found, key=lambda rc: rc["address"])


def changes_sha256(plan: dict[str, Any]) -> str:
    canonical = [
        {
            "address": rc["address"],
            "actions": rc["change"]["actions"],
            "before": rc["change"].get("before"),
            "after": rc["change"].get("after"),
            "after_unknown": rc["change"].get("after_unknown"),
        }
        for rc in changes(plan)
    ]
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def summarize(plan: dict[str, Any], env: str = "") -> dict[str, Any]:
    per_type: dict[str, Counter[str]] = {}
    stateful: list[dict[str, str]] = []
    for rc in changes(plan):
        k = kind(rc["change"]["actions"])
        assert k is not None
        per_type.setdefault(rc["type"], Counter())[k] += 1
        if rc["type"] in STATEFUL_TYPES and k in ("replace", "destroy"):
            stateful.append({"address": rc["address"], "action": k})
    totals = Counter[str]()
    for counter in per_type.values():
        totals.update(counter)
    return {
        "env": env,
        "totals": {k: totals.get(k, 0) for k in KINDS},
        "per_type": {t: {k: c.get(k, 0) for k in KINDS} for t, c in sorted(per_type.items())},
        "stateful_destroys": stateful,
        "changes_sha256": changes_sha256(plan),
    }


def render_text(plan: dict[str, Any]) -> str:
    lines: list[str] = []
    for rc in changes(plan):
        change = rc["change"]
        before = redact(change.get("before"), change.get("before_sensitive"))
        after = redact(change.get("after"), change.get("after_sensitive"))
        lines.append(f"# {rc['address']}: {kind(change['actions'])}")
        if isinstance(before, dict) and isinstance(after, dict):
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    lines.append(f"    {key}: {json.dumps(before.get(key))} -> {json.dumps(after.get(key))}")
        elif isinstance(after, dict):
            lines.extend(f"    {key}: {json.dumps(v)}" for key, v in sorted(after.items()) if v is not None)
        lines.append("")
    summary = summarize(plan)
    lines.append("Plan: " + ", ".join(f"{summary['totals'][k]} to {k}" for k in KINDS) + ".")
    return "\n".join(lines) + "\n"


def render_markdown(summary: dict[str, Any]) -> str:
    out = [f"### terraform plan: {summary['env'] or 'stack'}", ""]
    if summary["stateful_destroys"]:
        out.append("> [!CAUTION]")
        out.append("> **Stateful resources destroyed or replaced: data would be lost.**")
        out.extend(f"> - `{s['address']}`: {s['action']}" for s in summary["stateful_destroys"])
        out.append("")
    if not summary["per_type"]:
        out.append("No changes.")
    else:
        out.append("| resource type | " + " | ".join(KINDS) + " |")
        out.append("|---|" + "---:|" * len(KINDS))
        for type_, counts in summary["per_type"].items():
            out.append(f"| `{type_}` | " + " | ".join(str(counts[k]) for k in KINDS) + " |")
        totals = summary["totals"]
        out.append("| **total** | " + " | ".join(f"**{totals[k]}**" for k in KINDS) + " |")
    out.append("")
    out.append(f"Resource changes SHA-256: `{summary['changes_sha256']}`")
    return "\n".join(out) + "\n"


def _write(path: Path | None, text: str, *, append: bool = False) -> None:
    if path is None:
        return
    with path.open("a" if append else "w") as handle:
        handle.write(text)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path, help="output of `terraform show -json <plan>`")
    parser.add_argument("--env", default="", help="environment name for the headings")
    parser.add_argument("--text", type=Path, help="write the redacted human-readable plan here")
    parser.add_argument("--json", type=Path, help="write the JSON summary here")
    parser.add_argument("--markdown", type=Path, help="append the job-summary table here")
    parser.add_argument("--expect-hash", help="exit 1 unless the resource changes hash to this SHA-256")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.expect_hash is not None and not re.fullmatch(r"[0-9a-f]{64}", args.expect_hash):
        print(f"error: --expect-hash: got {args.expect_hash!r}; allowed: 64 lowercase hex characters", file=sys.stderr)
        return 2
    try:
        plan = load_plan(args.plan)
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = summarize(plan, args.env)
    # Everything is rendered before anything is written, so a failure writes nothing.
    text, markdown = render_text(plan), render_markdown(summary)
    _write(args.text, text)
    _write(args.json, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    _write(args.markdown, markdown, append=True)
    print(f"changes_sha256={summary['changes_sha256']}")
    if args.expect_hash is not None and args.expect_hash != summary["changes_sha256"]:
        print(
            f"error: the re-plan's resource changes ({summary['changes_sha256']}) differ from the reviewed "
            f"plan ({args.expect_hash}); nothing was applied. Re-run the pipeline and review the new plan.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
