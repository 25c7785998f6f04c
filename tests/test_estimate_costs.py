"""scripts/estimate_costs.py: prices the synthesized JSON with the one dated price table."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import estimate_costs
from scripts.estimate_costs import Assumptions, Estimate, canary_runs_per_month, estimate_lines
from scripts.prices import DEFAULT_MAX_FIXED_SHARE, PRICES, PRICES_AS_OF

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "estimate_costs.py"


def _rule(name: str) -> dict:
    return {"name": name, "priority": 1}


DOCUMENT = {
    "resource": {
        "aws_wafv2_web_acl": {
            "waf_web-acl_54BA89C4": {
                "//": {"metadata": {"path": "test/waf/web-acl"}},
                "name": "test-waf",
                "rule": [_rule(f"r{i}") for i in range(5)],
            }
        },
        "aws_cloudwatch_dashboard": {f"d{i}": {"dashboard_name": f"d{i}"} for i in range(4)},
        "aws_cloudwatch_metric_alarm": {
            "a1": {"metric_name": "Errors", "period": 300},
            "a2": {"metric_name": "Throttles", "period": 60},
            "math": {
                "metric_query": [
                    {"id": "e", "metric": {"metric_name": "Errors", "period": 300}},
                    {"id": "i", "metric": {"metric_name": "Invocations", "period": 300}},
                    {"id": "t", "metric": {"metric_name": "Throttles", "period": 300}},
                    {"id": "rate", "expression": "e / i * 100"},
                ]
            },
            "fast": {"metric_name": "Errors", "period": 10},
        },
        "aws_cloudwatch_composite_alarm": {"c1": {}, "c2": {}},
        "aws_synthetics_canary": {"c": {"name": "test-api", "schedule": {"expression": "rate(5 minutes)"}}},
        "aws_secretsmanager_secret": {"s1": {}, "s2": {}},
        "aws_kms_key": {"k": {}},
        "aws_cloudwatch_log_group": {
            "l": {"name": "/aws/lambda/test", "retention_in_days": 30},
            # An unresolved reference in the name: the logical name is used instead.
            "api_execution-logs_87D8804E": {
                "//": {"metadata": {"path": "test/api/execution-logs"}},
                "name": "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.api_rest-api_FFFBAE81.id}/v1",
                "retention_in_days": 30,
            },
        },
    }
}


def by_item(lines) -> dict[str, float]:
    return {line.item: round(line.monthly_usd, 4) for line in lines}


def test_every_priced_resource_kind() -> None:
    lines = estimate_lines([DOCUMENT], Assumptions(requests_per_month=2_000_000, log_gb_per_group_per_month=1.0))
    items = by_item(lines)
    assert items["WAF web ACL waf/web-acl"] == 5.00  # the logical name (construct path), not the name
    assert items["WAF rules in waf/web-acl"] == 5.00
    assert items["WAF requests (2,000,000/month assumed)"] == 1.20
    assert items["CloudWatch dashboards (4, first 3 free)"] == 3.00
    assert items["Alarms, standard (2)"] == 0.20
    assert items["Alarms, metric math (1, billed per metric)"] == 0.30  # 3 metrics, the expression is free
    assert items["Alarms, high resolution"] == 0.30
    assert items["Composite alarms"] == 1.00
    assert items["Canary c (rate(5 minutes))"] == pytest.approx(10.368)  # no path: the resource key
    assert items["Secrets Manager secrets"] == 0.80
    assert items["KMS customer-managed keys"] == 1.00
    assert items["Log ingestion l"] == 0.50
    assert items["Log storage l (30 d)"] == 0.03
    assert items["Log ingestion api/execution-logs"] == 0.50
    assert not any("${" in item for item in items)
    fixed = {line.item for line in lines if line.fixed}
    assert "WAF requests (2,000,000/month assumed)" not in fixed
    assert "Log ingestion l" not in fixed
    assert "Canary c (rate(5 minutes))" in fixed


def test_a_five_minute_canary_alone_is_about_10_dollars() -> None:
    line = estimate_costs.canary_line("alone", "rate(5 minutes)")
    assert line.quantity == 8640
    assert round(line.monthly_usd, 2) == 10.37
    assert "a 5-minute canary alone is 8,640 runs x $0.0012 = $10.37/month" in estimate_costs.five_minute_canary_note()


def test_canary_runs_per_month() -> None:
    assert canary_runs_per_month("rate(5 minutes)") == 8640
    assert canary_runs_per_month("rate(15 minutes)") == 2880
    assert canary_runs_per_month("rate(1 hour)") == 720
    with pytest.raises(ValueError, match="only rate"):
        canary_runs_per_month("cron(0 * * * ? *)")


def test_fixed_share_gate() -> None:
    lines = tuple(estimate_lines([DOCUMENT], Assumptions()))
    estimate = Estimate("t", budget_usd=50.0, max_fixed_share=0.8, lines=lines)
    assert estimate.fixed_usd == pytest.approx(sum(line.monthly_usd for line in lines if line.fixed))
    assert estimate.within_limit
    assert not Estimate("t", budget_usd=20.0, max_fixed_share=0.8, lines=lines).within_limit
    assert Estimate("t", budget_usd=20.0, max_fixed_share=0.8, lines=lines, gated=False).within_limit


def test_prod_default_fits_the_seeds_50_dollars(synth_dir: Path, capsys) -> None:
    code = estimate_costs.main(["--env", "prod", "--stacks-dir", str(synth_dir / "stacks")])
    out = capsys.readouterr().out
    assert code == 0, out
    fixed_line = next(line for line in out.splitlines() if line.startswith("Fixed part: "))
    assert fixed_line.endswith(f"of the $50.00 budget (limit {DEFAULT_MAX_FIXED_SHARE * 100:.0f}%): OK")
    fixed_usd = float(fixed_line.split("$")[1].split()[0])
    assert 10 < fixed_usd <= 50 * DEFAULT_MAX_FIXED_SHARE
    # Every hardening cost that prod has shows up.
    for item in (
        "WAF web ACL",
        "Alarms, standard",
        "Canary canary/canary (cron(0/5 8-17 ? * MON-FRI *))",
        "Secrets Manager secrets",
        "KMS customer-managed keys",
        "Log ingestion",
        "Total",
    ):
        assert item in out, item
    assert "$10.37" in out  # the "for scale" line: a 5-minute canary around the clock


def test_prod_fixed_hardening_cost_is_at_most_25_dollars(synth_dir: Path, capsys) -> None:
    """Consolidated alarms, an opt-in error-rate SLO and a business-hours canary: $34.41 before, $25 the target."""
    code = estimate_costs.main(["--env", "prod", "--stacks-dir", str(synth_dir / "stacks"), "--json"])
    (prod,) = json.loads(capsys.readouterr().out)["estimates"]
    assert code == 0
    fixed = sum(line["monthly_usd"] for line in prod["lines"] if line["fixed"])
    assert fixed <= 25.0, f"prod's fixed hardening cost is ${fixed:.2f}"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_billed_environment_fits_its_budget(env: str, synth_dir: Path, capsys) -> None:
    """`make cost` passes: each environment's budget covers its hardening's fixed part."""
    code = estimate_costs.main(["--env", env, "--stacks-dir", str(synth_dir / "stacks")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"(limit {DEFAULT_MAX_FIXED_SHARE * 100:.0f}%): OK" in out


def test_fails_when_the_fixed_part_exceeds_the_configured_share(synth_dir: Path, capsys) -> None:
    code = estimate_costs.main(["--env", "prod", "--stacks-dir", str(synth_dir / "stacks"), "--max-fixed-share", "0.1"])
    assert code == 1
    assert "(limit 10%): OVER LIMIT" in capsys.readouterr().out


def test_emulator_tier_is_not_gated(synth_dir: Path, capsys) -> None:
    code = estimate_costs.main(
        ["--env", "local", "--stacks-dir", str(synth_dir / "stacks"), "--max-fixed-share", "0.01"]
    )
    assert code == 0
    assert "not gated (emulator tier)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stacks-dir", "/nonexistent/stacks", "--env", "prod"], "cdk.tf.json not found; run `make synth` first"),
        (["--max-fixed-share", "1.5"], "--max-fixed-share: got '1.5'; allowed: a fraction > 0 and <= 1"),
        (["--requests-per-month", "many"], "--requests-per-month: got 'many'; allowed: a whole number"),
        (["--env", "qa"], "unknown environment 'qa'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_price_table_is_dated_and_complete() -> None:
    assert dt.date.fromisoformat(PRICES_AS_OF) <= dt.date.today()
    assert {
        "waf_web_acl",
        "waf_rule",
        "waf_requests",
        "dashboard",
        "alarm_metric",
        "composite_alarm",
        "canary_run",
        "secret",
        "kms_key",
        "log_ingestion",
        "log_storage",
        "custom_metric",
    } <= set(PRICES)
    assert all(price.usd > 0 and price.unit for price in PRICES.values())


def test_every_environment_uses_logical_names_in_lines_under_100_characters(synth_dir: Path, capsys) -> None:
    code = estimate_costs.main(["--stacks-dir", str(synth_dir / "stacks")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "${" not in out
    assert max(len(line) for line in out.splitlines()) < 100
    assert "Log ingestion api/execution-logs" in out


def test_json_output(synth_dir: Path, capsys) -> None:
    code = estimate_costs.main(["--env", "prod", "--stacks-dir", str(synth_dir / "stacks"), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    (prod,) = document["estimates"]
    assert prod["environment"] == "prod"
    assert prod["within_limit"] is True
    assert prod["total_usd"] == round(sum(line["monthly_usd"] for line in prod["lines"]), 2)


def test_prod_alarms_cost_less_after_consolidation(synth_dir: Path, capsys) -> None:
    # $9.20 of alarms (32 metric alarms billed as 62 metrics, 6 composites) before consolidation.
    code = estimate_costs.main(["--env", "prod", "--stacks-dir", str(synth_dir / "stacks"), "--json"])
    (prod,) = json.loads(capsys.readouterr().out)["estimates"]
    assert code == 0
    alarms = [line for line in prod["lines"] if line["item"].startswith(("Alarms", "Composite alarms"))]
    # $6.20 today; the queue worker (another change) adds its metrics to the consolidated alarms (~$1.10).
    assert round(sum(line["monthly_usd"] for line in alarms), 2) <= 7.50
    composites = next(line for line in alarms if line["item"] == "Composite alarms")
    assert composites["quantity"] == 2


def test_sampled_function_logs_show_before_and_after(synth_dir: Path, capsys) -> None:
    code = estimate_costs.main(["--env", "prod", "--stacks-dir", str(synth_dir / "stacks")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Log ingestion api/projects-function/logs (INFO 10%)" in out
    # Each function log group at 0.5 GB: 20 % WARN+ always, 10 % of the other 80 % -> 0.14 GB (28 %).
    found = re.search(r"Function log ingestion with INFO sampled: ([\d.]+) GB .*; before sampling: ([\d.]+) GB", out)
    assert found, out
    after, before = float(found.group(1)), float(found.group(2))
    assert before >= 1.5  # at least the authorizer and two handlers
    assert after == pytest.approx(before * 0.28, abs=0.01)
