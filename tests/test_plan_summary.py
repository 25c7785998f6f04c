"""scripts/plan_summary.py: redaction, the per-type table, stateful flags, the canonical hash and its refusal."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scripts import plan_summary

PEPPER = "pepper-5f1d2c9a8b7e6d5c4b3a"
KEY = "agk_live_0123456789abcdef"


def change(address: str, actions: list[str], before: Any = None, after: Any = None, **extra: Any) -> dict[str, Any]:
    type_, name = address.split(".", 1)
    return {
        "address": address,
        "type": type_,
        "name": name,
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}, **extra},
    }


def plan() -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "resource_changes": [
            change("aws_dynamodb_table.keys", ["delete", "create"], {"name": "a"}, {"name": "b"}),
            change("aws_s3_bucket.old", ["delete"], {"bucket": "old"}, None),
            change("aws_lambda_function.api", ["update"], {"memory_size": 128}, {"memory_size": 256}),
            change(
                "aws_secretsmanager_secret_version.pepper",
                ["create"],
                None,
                {"secret_id": "arn:pepper", "secret_string": PEPPER},
                after_sensitive={"secret_string": True},
            ),
            change(
                "aws_ssm_parameter.key", ["create"], None, {"name": "k", "value": KEY}, after_sensitive={"value": True}
            ),
            change("aws_sns_topic.alerts", ["no-op"], {"name": "t"}, {"name": "t"}),
            change("aws_cloudwatch_metric_alarm.a", ["create"], None, {"alarm_name": "a", "api_key": "unmarked"}),
        ],
    }


def test_counts_per_type_and_stateful_destroys_first() -> None:
    summary = plan_summary.summarize(plan(), "prod")
    assert summary["totals"] == {"add": 3, "change": 1, "replace": 1, "destroy": 1, "forget": 0}
    assert summary["per_type"]["aws_dynamodb_table"] == {"add": 0, "change": 0, "replace": 1, "destroy": 0, "forget": 0}
    assert "aws_sns_topic" not in summary["per_type"]  # no-op left out
    assert summary["stateful_destroys"] == [
        {"address": "aws_dynamodb_table.keys", "action": "replace"},
        {"address": "aws_s3_bucket.old", "action": "destroy"},
    ]
    markdown = plan_summary.render_markdown(summary)
    lines = markdown.splitlines()
    caution = next(i for i, line in enumerate(lines) if "Stateful resources destroyed or replaced" in line)
    table = next(i for i, line in enumerate(lines) if line.startswith("| resource type"))
    assert caution < table
    assert "| `aws_dynamodb_table` | 0 | 0 | 1 | 0 | 0 |" in lines


def test_no_stateful_flag_when_only_code_changes() -> None:
    only_update = {"format_version": "1.2", "resource_changes": [plan()["resource_changes"][2]]}
    markdown = plan_summary.render_markdown(plan_summary.summarize(only_update))
    assert "Stateful" not in markdown


def test_sensitive_and_secret_named_values_never_appear(tmp_path: Path) -> None:
    source = tmp_path / "plan.json"
    source.write_text(json.dumps(plan()))
    outputs = {name: tmp_path / name for name in ("plan.txt", "summary.json", "summary.md")}
    code = plan_summary.main(
        [
            str(source),
            "--env",
            "prod",
            "--text",
            str(outputs["plan.txt"]),
            "--json",
            str(outputs["summary.json"]),
            "--markdown",
            str(outputs["summary.md"]),
        ]
    )
    assert code == 0
    for path in outputs.values():
        text = path.read_text()
        for secret in (PEPPER, KEY, "unmarked"):
            assert secret not in text, path.name
    text = outputs["plan.txt"].read_text()
    assert 'secret_string: "(redacted)"' in text
    assert "memory_size: 128 -> 256" in text  # non-sensitive values stay readable
    assert json.loads(outputs["summary.json"].read_text())["changes_sha256"] == plan_summary.changes_sha256(plan())


def test_hash_is_canonical_and_changes_with_any_resource_change() -> None:
    first = plan()
    shuffled = copy.deepcopy(first)
    shuffled["resource_changes"].reverse()
    assert plan_summary.changes_sha256(first) == plan_summary.changes_sha256(shuffled)
    noop_changed = copy.deepcopy(first)
    noop_changed["resource_changes"][5]["change"]["after"] = {"name": "other"}  # a no-op is not a change
    assert plan_summary.changes_sha256(first) == plan_summary.changes_sha256(noop_changed)
    different = copy.deepcopy(first)
    different["resource_changes"][2]["change"]["after"]["memory_size"] = 512
    assert plan_summary.changes_sha256(first) != plan_summary.changes_sha256(different)


def test_expect_hash_refuses_a_different_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "plan.json"
    source.write_text(json.dumps(plan()))
    reviewed = plan_summary.changes_sha256(plan())
    assert plan_summary.main([str(source), "--expect-hash", reviewed]) == 0
    assert plan_summary.main([str(source), "--expect-hash", "0" * 64]) == 1
    assert "differ from the reviewed plan" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["missing.json"], "not found"),
        (["bad.json"], "is not JSON"),
        (["nofmt.json"], "no format_version"),
        (["ok.json", "--expect-hash", "XYZ"], "--expect-hash: got 'XYZ'"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "nofmt.json").write_text("{}")
    (tmp_path / "ok.json").write_text(json.dumps(plan()))
    assert plan_summary.main([*args, "--text", "out.txt"]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out.txt").exists()
