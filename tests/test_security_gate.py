"""scripts/security_gate.py: checkov's findings accepted per resource, a new resource always checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import security_gate
from scripts.security_gate import ACCEPTED, Accepted, Finding, evaluate

LAMBDA = "aws_lambda_function.api_health-function_4158BC08"
WEB_ACL = "aws_wafv2_web_acl.waf_web-acl_54BA89C4"


def checkov_json(path: Path, *failed: tuple[str, str, str], parsing_errors: int = 0) -> Path:
    """A checkov ``-o json`` report with these (stack, resource as checkov names it, check id) failures."""
    checks = [
        {
            "check_id": check,
            "check_name": f"name of {check}",
            "resource": resource,
            "file_path": f"/{stack}/cdk.tf.json",
        }
        for stack, resource, check in failed
    ]
    report = {
        "check_type": "terraform_json",
        "results": {"failed_checks": checks, "passed_checks": []},
        "summary": {"passed": 1, "failed": len(checks), "skipped": 0, "parsing_errors": parsing_errors},
    }
    path.write_text(json.dumps([report]))
    return path


def test_an_accepted_finding_passes() -> None:
    finding = Finding("dev", LAMBDA, "CKV_AWS_117", "VPC")
    matched, unaccepted, _ = evaluate([finding])
    assert unaccepted == []
    [(found, row)] = matched
    assert found == finding
    assert row.reason.startswith("no VPC")


def test_an_unaccepted_check_on_a_known_resource_fails() -> None:
    _, unaccepted, _ = evaluate([Finding("dev", LAMBDA, "CKV_AWS_50", "X-Ray")])
    assert [f.check for f in unaccepted] == ["CKV_AWS_50"]


def test_a_new_resource_is_always_checked() -> None:
    """The same check that is accepted for the existing functions fails on a function nobody reviewed."""
    new = Finding("dev", "aws_lambda_function.api_worker-function_0123ABCD", "CKV_AWS_117", "VPC")
    _, unaccepted, _ = evaluate([new])
    assert unaccepted == [new]


def test_a_prod_web_acl_in_count_mode_is_never_accepted() -> None:
    staged = Finding("staging", WEB_ACL, "CKV_AWS_192", "Log4j")
    prod = Finding("prod", WEB_ACL, "CKV_AWS_192", "Log4j")
    matched, unaccepted, _ = evaluate([staged, prod])
    assert [f for f, _ in matched] == [staged]
    assert unaccepted == [prod]


def test_a_row_that_matches_nothing_is_stale() -> None:
    row = Accepted("CKV_AWS_117", "aws_lambda_function.gone_0000", ("dev",), "the function was removed")
    _, _, stale = evaluate([], accepted=[row])
    assert stale == [row]


def test_every_row_has_a_reason_and_is_unique() -> None:
    assert all(len(row.reason) > 20 for row in ACCEPTED)
    keys = [(row.check, row.resource) for row in ACCEPTED]
    assert len(keys) == len(set(keys))
    assert not [row for row in ACCEPTED if row.check == "CKV_AWS_192" and "prod" in row.stacks]
    # The IAM wildcard checks are never accepted: key policies are rendered JSON, role policies are checked.
    assert not {row.check for row in ACCEPTED} & {"CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356"}


def test_every_accepted_resource_exists_in_its_stacks(stacks) -> None:
    """A typo in an address would make a row useless (and stale): each names a synthesized resource."""
    for row in ACCEPTED:
        type_, name = row.resource.split(".", 1)
        present = [s for s in row.stacks if name in stacks[s].document.get("resource", {}).get(type_, {})]
        assert present, row


def test_main_names_resources_checkov_reports_without_a_type(tmp_path: Path, capsys) -> None:
    """checkov reports some resources as ``resource.<name>``: the gate names them by their real type."""
    stack_dir = tmp_path / "stacks" / "prod"
    stack_dir.mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_wafv2_web_acl": {WEB_ACL.split(".")[1]: {}}}}))
    results = checkov_json(tmp_path / "checkov.json", ("prod", f"resource.{WEB_ACL.split('.')[1]}", "CKV_AWS_192"))
    assert security_gate.main(["--results", str(results), "--stacks", str(tmp_path / "stacks")]) == 1
    out = capsys.readouterr().out
    assert f"FAIL prod: {WEB_ACL} CKV_AWS_192" in out
    assert "security gate FAILED" in out


def test_main_fails_on_stale_rows_even_with_no_finding(tmp_path: Path, capsys) -> None:
    assert security_gate.main(["--results", str(checkov_json(tmp_path / "c.json"))]) == 1
    assert "stale acceptance" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("not json", "is not JSON"),
        ('{"results": 1}', "is not checkov's JSON output"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys, content: str | None, message: str) -> None:
    path = tmp_path / "checkov.json"
    if content is not None:
        path.write_text(content)
    assert security_gate.main(["--results", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --results: ")
    assert message in err
    assert len(err.splitlines()) == 1


def test_parsing_errors_are_bad_input(tmp_path: Path, capsys) -> None:
    results = checkov_json(tmp_path / "c.json", parsing_errors=1)
    assert security_gate.main(["--results", str(results)]) == 2
    assert "could not parse 1 file(s)" in capsys.readouterr().err
