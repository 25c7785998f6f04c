"""A resource a release stops defining is forgotten by Terraform, not destroyed (``modules.core.retired``)."""

from __future__ import annotations

import json
from pathlib import Path

from modules.core.retired import RETIRED_FILE, logical_id, render
from scripts import plan_summary
from tests.test_golden import GOLDEN_DIR

RETIRED_TABLE = "aws_dynamodb_table." + logical_id("front-door", "rate-limits-table")


def test_logical_id_is_the_name_cdktf_gives_a_resource() -> None:
    tables = json.loads((GOLDEN_DIR / "dev.json").read_text())["resource"]["aws_dynamodb_table"]
    [keys_table] = [name for name, table in tables.items() if table["name"] == "agenticai-dev-api-keys"]
    assert logical_id("front-door", "keys-table") == keys_table
    assert logical_id("front-door", "keys-table") != logical_id("front-door", "keys-tables")


def test_every_env_stack_forgets_the_rate_limits_table(stacks, synth_dir: Path) -> None:
    env_stacks = [name for name in stacks if not name.startswith(("bootstrap-", "ci-"))]
    assert env_stacks
    for name in stacks:
        retired = synth_dir / "stacks" / name / RETIRED_FILE
        if name not in env_stacks:
            assert not retired.exists(), name
            continue
        assert retired.read_text() == render((RETIRED_TABLE,))
        assert "removed" not in stacks[name].document  # checkov's JSON parser cannot read it there
        assert RETIRED_TABLE.split(".", 1)[1] not in stacks[name].document["resource"]["aws_dynamodb_table"]


def test_render_writes_one_removed_block_per_address() -> None:
    text = render(("aws_s3_bucket.a", "aws_sqs_queue.b"))
    assert text.count("removed {") == 2
    assert "  from = aws_s3_bucket.a\n  lifecycle {\n    destroy = false\n  }" in text


def test_terraform_forgets_the_table_and_leaves_it_in_aws(
    stacks, synth_dir: Path, terraform, moto_server, tmp_path: Path
) -> None:
    """Apply the table as the previous release did, then the synthesized ``retired.tf``: the plan says
    forget (never destroy), the apply drops it from state and the table and its items are still there."""
    from scripts.e2e import boto3_client, emulator_env
    from scripts.emulator.terraform import Terraform

    local = stacks["local"].document
    region = local["provider"]["aws"][0]["region"]
    tf = Terraform(emulator_env(moto_server, region), binary=terraform.binary)
    name = f"retired-{tmp_path.name[-12:]}".replace("_", "-")
    workdir = tmp_path / "stack"
    workdir.mkdir()
    base = {
        "terraform": {"required_providers": local["terraform"]["required_providers"]},
        "provider": {"aws": [{"region": region}]},
    }
    _type, address = RETIRED_TABLE.split(".", 1)
    before = {
        **base,
        "resource": {
            "aws_dynamodb_table": {
                address: {
                    "name": name,
                    "hash_key": "counter_id",
                    "billing_mode": "PAY_PER_REQUEST",
                    "attribute": [{"name": "counter_id", "type": "S"}],
                }
            }
        },
    }
    (workdir / "main.tf.json").write_text(json.dumps(before))
    tf.run(workdir, "init", "-input=false", "-no-color")
    tf.run(workdir, "apply", "-auto-approve", "-input=false", "-no-color")
    dynamodb = boto3_client("dynamodb", moto_server, region)
    dynamodb.put_item(TableName=name, Item={"counter_id": {"S": "kept"}})

    (workdir / "main.tf.json").write_text(json.dumps(base))
    (workdir / RETIRED_FILE).write_text((synth_dir / "stacks" / "local" / RETIRED_FILE).read_text())
    tf.run(workdir, "plan", "-input=false", "-no-color", "-out=tfplan")
    plan = json.loads(tf.run(workdir, "show", "-json", "tfplan").stdout)
    assert [(rc["address"], rc["change"]["actions"]) for rc in plan["resource_changes"]] == [
        (RETIRED_TABLE, ["forget"])
    ]
    assert plan_summary.summarize(plan)["totals"] == {"add": 0, "change": 0, "replace": 0, "destroy": 0, "forget": 1}
    tf.run(workdir, "apply", "-input=false", "-no-color", "tfplan")
    assert tf.run(workdir, "state", "list").stdout.strip() == ""
    assert dynamodb.get_item(TableName=name, Key={"counter_id": {"S": "kept"}})["Item"]
