"""scripts/monitor_costs.py against the moto server, whose Cost Explorer returns results loaded via moto's API."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from scripts import monitor_costs
from scripts.monitor_costs import CostExplorer, ReportError, short_name, sparkline

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "monitor_costs.py"
#: The seed's example month: $12.45 spent, of which Lambda $5.20 (41.8%).
SEED_SERVICES = {
    "AWS Lambda": 5.20,
    "Amazon API Gateway": 3.10,
    "Amazon DynamoDB": 2.05,
    "AmazonCloudWatch": 1.40,
    "Amazon Simple Storage Service": 0.70,
}


def load_results(server, *, month: str, days: int, services: dict[str, float], rising: bool = False) -> None:
    """Queue one GetCostAndUsage result (DAILY x SERVICE) in moto: POST /moto-api/static/ce/cost-and-usage-results."""
    weights = list(range(1, days + 1)) if rising else [1] * days
    results_by_time = []
    for index in range(days):
        share = weights[index] / sum(weights)
        results_by_time.append(
            {
                "TimePeriod": {"Start": f"{month}-{index + 1:02d}", "End": f"{month}-{index + 2:02d}"},
                "Total": {},
                "Groups": [
                    {"Keys": [name], "Metrics": {"UnblendedCost": {"Amount": f"{amount * share:.10f}", "Unit": "USD"}}}
                    for name, amount in services.items()
                ],
                "Estimated": True,
            }
        )
    body = json.dumps({"results": [{"ResultsByTime": results_by_time, "DimensionValueAttributes": []}]}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback moto server
        f"{server.url}/moto-api/static/ce/cost-and-usage-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback moto server
        assert response.status == 201


@pytest.fixture
def aws(moto_server, monkeypatch):
    """boto3 pointed at the moto server; returns a session whose Cost Explorer sends are counted."""
    import boto3

    for key, value in moto_server.env().items():
        monkeypatch.setenv(key, value)
    session = boto3.Session(region_name="us-east-1")
    session.ce_sends = []
    session.events.register("before-send.ce", lambda **kw: session.ce_sends.append(kw["request"].url))
    return session


def run(session, *args: str, capsys) -> tuple[int, str, str]:
    code = monitor_costs.main(["--env", "local", *args], session=session, sleep=lambda s: None)
    out, err = capsys.readouterr()
    return code, out, err


# Each test uses its own month: moto answers the same request body with the same queued result.


def test_seed_figures_text_report(moto_server, aws, capsys) -> None:
    load_results(moto_server, month="2026-04", days=15, services=SEED_SERVICES)
    code, out, err = run(aws, "--month", "2026-04", "--as-of", "2026-04-15", "--budget", "50", capsys=capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "AgenticAI Cost Report - April 2026"
    assert "Current Spending: $12.45 / $50.00 (24.9%)" in lines
    assert "Days Remaining: 15" in lines
    lambda_line = next(line for line in lines if line.strip().startswith("Lambda"))
    assert lambda_line.split() == ["Lambda", "$5.20", "41.8%"]
    services = [line.split()[0] for line in lines[lines.index("By Service:") + 1 :] if line.startswith("  ")]
    assert services[:5] == ["Lambda", "API", "DynamoDB", "CloudWatch", "S3"]  # short names, largest first
    trend = next(line for line in lines if line.startswith("Daily Trend: "))
    assert len(trend.removeprefix("Daily Trend: ")) == 15
    # 12.45 over 15 days, 15 more days at the same rate.
    assert "Projected End-of-Month: $24.90" in lines
    assert lines[-1] == "Status: OK - projected 49.8% of budget"
    assert len(aws.ce_sends) <= 2


def test_projected_over_budget_exits_1(moto_server, aws, capsys) -> None:
    load_results(moto_server, month="2026-05", days=9, services=SEED_SERVICES, rising=True)
    code, out, _ = run(aws, "--month", "2026-05", "--as-of", "2026-05-09", "--budget", "30", capsys=capsys)
    assert code == 1
    # 12.45 in 9 days of a 31-day month: 12.45 + 12.45 / 9 * 22 = 42.88
    assert "Projected End-of-Month: $42.88" in out
    assert "Status: OVER BUDGET - projected" in out
    trend = next(line for line in out.splitlines() if line.startswith("Daily Trend: "))
    assert trend.endswith("█") and trend.removeprefix("Daily Trend: ")[0] == "▁"


def test_json_output_and_at_most_two_cost_explorer_calls(moto_server, aws, capsys) -> None:
    load_results(moto_server, month="2026-06", days=20, services=SEED_SERVICES)
    code, out, _ = run(aws, "--month", "2026-06", "--as-of", "2026-06-20", "--budget", "50", "--json", capsys=capsys)
    assert code == 0
    report = json.loads(out)
    assert report["spent"] == 12.45 and report["budget"] == 50.0 and report["percent_of_budget"] == 24.9
    assert report["services"][0] == {"service": "Lambda", "amount": 5.2, "percent": 41.8}
    assert len(report["daily"]) == 20 and report["days_remaining"] == 10
    assert report["status"] == "within_budget" and report["over_budget"] is False
    # Real HTTP requests to Cost Explorer (GetCostAndUsage + one forecast attempt), counted by botocore.
    assert len(aws.ce_sends) == report["cost_explorer_calls"] == 2


def test_past_month_has_no_remaining_days(moto_server, aws, capsys) -> None:
    load_results(moto_server, month="2026-02", days=28, services={"AWS Lambda": 14.0})
    code, out, _ = run(aws, "--month", "2026-02", "--as-of", "2026-03-05", "--budget", "20", "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0
    assert report["days_remaining"] == 0 and report["projected"] == report["spent"] == 14.0
    assert report["forecast"] is None
    assert len(aws.ce_sends) == 1  # no forecast for a closed month


def test_budget_comes_from_aws_budgets_when_readable(moto_server, aws, capsys) -> None:
    budgets = aws.client("budgets")
    name = f"agenticai-local-monthly-{uuid.uuid4().hex[:6]}"
    budgets.create_budget(
        AccountId="123456789012",
        Budget={
            "BudgetName": name,
            "BudgetLimit": {"Amount": "25.0", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
    )
    try:
        load_results(moto_server, month="2026-07", days=10, services=SEED_SERVICES)
        code, out, _ = run(aws, "--month", "2026-07", "--as-of", "2026-07-10", "--json", capsys=capsys)
    finally:
        budgets.delete_budget(AccountId="123456789012", BudgetName=name)
    report = json.loads(out)
    assert report["budget"] == 25.0
    assert report["budget_source"] == f"AWS Budgets ({name})"
    assert code == 1  # 12.45 in 10 days projects to $38.60 > $25


def test_budget_falls_back_to_config(moto_server, aws, capsys) -> None:
    load_results(moto_server, month="2026-08", days=10, services={"AWS Lambda": 1.0})
    code, out, _ = run(aws, "--month", "2026-08", "--as-of", "2026-08-10", "--json", capsys=capsys)
    report = json.loads(out)
    assert report["budget"] == 10.0  # environments/local.py monitoring.monthly_budget_usd
    assert report["budget_source"] == "environments/local.py"
    assert code == 0


def test_budget_from_aws_ignores_unreadable_budgets() -> None:
    class Unreadable:
        def describe_budgets(self, **kwargs):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeBudgets")

    assert monitor_costs.budget_from_aws(Unreadable(), "123456789012", "agenticai-prod") is None


class FakeCostExplorer:
    """Throttles a given number of times, then answers."""

    def __init__(self, throttles: int) -> None:
        self.throttles = throttles
        self.requests = 0

    def get_cost_and_usage(self, **kwargs):
        self.requests += 1
        if self.requests <= self.throttles:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetCostAndUsage")
        return {"ResultsByTime": []}


def test_throttling_is_retried_with_exponential_backoff() -> None:
    sleeps: list[float] = []
    fake = FakeCostExplorer(throttles=3)
    ce = CostExplorer(fake, sleep=sleeps.append)
    assert ce.call("get_cost_and_usage") == {"ResultsByTime": []}
    assert sleeps == [1.0, 2.0, 4.0]
    assert ce.calls == 1 and fake.requests == 4


def test_throttling_gives_up_after_five_attempts() -> None:
    ce = CostExplorer(FakeCostExplorer(throttles=99), sleep=lambda s: None)
    with pytest.raises(ClientError, match="ThrottlingException"):
        ce.call("get_cost_and_usage")


def test_a_third_cost_explorer_request_is_refused() -> None:
    ce = CostExplorer(FakeCostExplorer(throttles=0), sleep=lambda s: None)
    ce.call("get_cost_and_usage")
    ce.call("get_cost_and_usage")
    with pytest.raises(ReportError, match="the limit is 2"):
        ce.call("get_cost_and_usage")


def test_other_errors_are_not_retried() -> None:
    class Denied:
        def get_cost_and_usage(self, **kwargs):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetCostAndUsage")

    sleeps: list[float] = []
    with pytest.raises(ClientError):
        CostExplorer(Denied(), sleep=sleeps.append).call("get_cost_and_usage")
    assert sleeps == []


def test_short_names_and_sparkline() -> None:
    assert short_name("Amazon Simple Storage Service") == "S3"
    assert short_name("AWS Lambda") == "Lambda"
    assert short_name("Amazon Bedrock") == "Bedrock"
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([2, 2]) == "▄▄"
    assert sparkline([]) == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month: got '2026-13'; allowed: a month as YYYY-MM"),
        (["--budget", "-5"], "--budget: got '-5'; allowed: a positive amount in USD"),
        (["--budget", "lots"], "--budget: got 'lots'; allowed: a positive amount in USD"),
        (["--env", "qa"], "unknown environment 'qa'; valid environments: dev, staging, prod, local"),
        (["--month", "2999-01"], "--month: got 2999-01; allowed: a month up to"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_cost_explorer_exits_2_without_traceback(tmp_path) -> None:
    from scripts.emulator.moto_server import TEST_CREDENTIALS, free_port

    env = {**TEST_CREDENTIALS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--env", "local", "--budget", "10"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: Could not connect to the endpoint URL")
    assert "Traceback" not in result.stderr
