"""Stateful resources keep their Terraform address, or say where they moved.

A table, bucket, key, secret, queue or log group whose address changes (a renamed construct, a moved
scope) is destroyed and re-created by the next apply: its data is gone. This compares the addresses of
stateful resources in a fresh synth with the goldens and fails when one disappeared without a
``moved`` block (https://developer.hashicorp.com/terraform/language/modules/develop/refactoring).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scripts.plan_summary import STATEFUL_TYPES
from tests.test_golden import ALL_STACKS, GOLDEN_DIR


def stateful_addresses(document: dict[str, Any]) -> set[str]:
    resources = document.get("resource", {})
    return {f"{type_}.{name}" for type_ in STATEFUL_TYPES for name in resources.get(type_, {})}


def moved_targets(document: dict[str, Any]) -> dict[str, str]:
    """``moved`` blocks of the synthesized JSON: from-address -> to-address."""
    return {block["from"]: block["to"] for block in document.get("moved", [])}


def lost_addresses(golden: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Stateful addresses of ``golden`` that ``fresh`` neither keeps nor moves to a stateful address it has."""
    kept, moved = stateful_addresses(fresh), moved_targets(fresh)
    return sorted(a for a in stateful_addresses(golden) - kept if moved.get(a) not in kept)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_stateful_addresses_match_the_goldens(stack: str, synth_dir: Path) -> None:
    golden = json.loads((GOLDEN_DIR / f"{stack}.json").read_text())
    fresh = json.loads((synth_dir / "stacks" / stack / "cdk.tf.json").read_text())
    lost = lost_addresses(golden, fresh)
    assert not lost, (
        f"{stack}: stateful resources changed address without a `moved` block (the next apply would destroy "
        f"them and their data): {lost}. Add moved blocks (resource.move_from_id / move_to), or restore the names."
    )


def _renamed_table(document: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    renamed = copy.deepcopy(document)
    tables = renamed["resource"]["aws_dynamodb_table"]
    old = sorted(tables)[0]
    tables[f"{old}_renamed"] = tables.pop(old)
    return renamed, f"aws_dynamodb_table.{old}", f"aws_dynamodb_table.{old}_renamed"


def test_negative_control_a_renamed_table_fails() -> None:
    golden = json.loads((GOLDEN_DIR / "dev.json").read_text())
    assert lost_addresses(golden, golden) == []
    renamed, old, _new = _renamed_table(golden)
    assert lost_addresses(golden, renamed) == [old]


def test_negative_control_a_moved_block_passes() -> None:
    golden = json.loads((GOLDEN_DIR / "dev.json").read_text())
    renamed, old, new = _renamed_table(golden)
    renamed["moved"] = [{"from": old, "to": new}]
    assert lost_addresses(golden, renamed) == []
    # A moved block to an address that does not exist does not count.
    renamed["moved"] = [{"from": old, "to": "aws_dynamodb_table.elsewhere"}]
    assert lost_addresses(golden, renamed) == [old]


def test_cdktf_writes_moved_blocks_the_check_reads() -> None:
    """The real API (``move_from_id``) synthesizes the ``moved`` shape read above."""
    from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable

    from tests.synth import synth_scope

    def build(stack: Any) -> None:
        table = DynamodbTable(stack, "new-name", name="t", hash_key="pk", attribute=[{"name": "pk", "type": "S"}])
        table.move_from_id("aws_dynamodb_table.old-name")

    document = synth_scope(build).document
    assert moved_targets(document) == {"aws_dynamodb_table.old-name": "aws_dynamodb_table.new-name"}
