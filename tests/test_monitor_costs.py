"""scripts/monitor_costs.py against the moto server, whose Cost Explorer returns results loaded via moto's API."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from scripts import monitor_costs
from scripts.monitor_costs import CostExplorer, Period, Report, ReportError, render_text, short_name, sparkline
from tests.support.emulator import use_emulator

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "monitor_costs.py"
#: The seed's example month (DESIGN.md, "Cost Monitoring Script"): $12.45 of $50.00, November 2025.
SEED_SERVICES = {
    "AWS Lambda": 5.20,
    "Amazon API Gateway": 3.15,
    "Amazon DynamoDB": 2.10,
    "Amazon Simple Storage Service": 1.50,
    "AmazonCloudWatch": 0.50,
}
#: The seed's report, verbatim.
SEED_REPORT = """\
AgenticAI Cost Report - November 2025
=====================================
Current Spending: $12.45 / $50.00 (24.9%)
Days Remaining: 2

By Service:
  Lambda:      $5.20 (41.8%)
  API Gateway: $3.15 (25.3%)
  DynamoDB:    $2.10 (16.9%)
  S3:          $1.50 (12.0%)
  CloudWatch:  $0.50 (4.0%)

Projected End-of-Month: $18.67
Status: ✓ Within Budget""".splitlines()


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

    use_emulator(moto_server, monkeypatch)
    session = boto3.Session(region_name="us-east-1")
    session.ce_sends = []
    session.events.register("before-send.ce", lambda **kw: session.ce_sends.append(kw["request"].url))
    return session


def run(session, *args: str, capsys) -> tuple[int, str, str]:
    code = monitor_costs.main(["--env", "local", *args], session=session)
    out, err = capsys.readouterr()
    return code, out, err


# Each test uses its own month: moto answers the same request body with the same queued result.


def test_seed_example_month_prints_the_seed_lines(moto_server, aws, capsys) -> None:
    """The seed's month through moto: every line of the seed's report but the projection, which is ours."""
    load_results(moto_server, month="2025-11", days=28, services=SEED_SERVICES)
    code, out, err = run(aws, "--month", "2025-11", "--as-of", "2025-11-28", "--budget", "50", capsys=capsys)
    assert code == 0, err
    lines = out.splitlines()
    # The seed's $18.67 is illustrative: $12.45 in 28 days projects linearly to 12.45 / 28 * 30 = $13.34.
    assert lines[: len(SEED_REPORT)] == [
        "Projected End-of-Month: $13.34" if line.startswith("Projected") else line for line in SEED_REPORT
    ]
    assert lines[len(SEED_REPORT)] == ""  # the extras come after the seed's sequence
    assert lines[len(SEED_REPORT) + 1] == "Environment: local (budget from --budget)"
    trend = next(line for line in lines if line.startswith("Daily Trend: "))
    assert len(trend.removeprefix("Daily Trend: ")) == 28
    assert len(aws.ce_sends) <= 2


def test_seed_figures_render_exactly_the_seed_report() -> None:
    """The seed's own figures, projection included, render to the seed's report line for line."""
    services = {"Lambda": 5.20, "API Gateway": 3.15, "DynamoDB": 2.10, "S3": 1.50, "CloudWatch": 0.50}
    report = Report(
        environment="prod",
        month="2025-11",
        as_of="2025-11-28",
        spent=12.45,
        budget=50.0,
        budget_source="--budget",
        percent_of_budget=24.9,
        days_remaining=2,
        services=[
            {"service": name, "amount": amount, "percent": round(amount / 12.45 * 100, 1)}
            for name, amount in services.items()
        ],
        projected=18.67,
    )
    period = Period(month_start=dt.date(2025, 11, 1), as_of=dt.date(2025, 11, 28))
    assert render_text(report, period).splitlines()[: len(SEED_REPORT)] == SEED_REPORT


def test_projected_over_budget_exits_1(moto_server, aws, capsys) -> None:
    load_results(moto_server, month="2026-05", days=9, services=SEED_SERVICES, rising=True)
    code, out, _ = run(aws, "--month", "2026-05", "--as-of", "2026-05-09", "--budget", "30", capsys=capsys)
    assert code == 1
    # 12.45 in 9 days of a 31-day month: 12.45 + 12.45 / 9 * 22 = 42.88
    assert "Projected End-of-Month: $42.88" in out.splitlines()
    assert "Status: ✗ Over Budget by $12.88" in out.splitlines()
    trend = next(line for line in out.splitlines() if line.startswith("Daily Trend: "))
    assert trend.endswith("█")
    assert trend.removeprefix("Daily Trend: ")[0] == "▁"


def test_json_output_and_at_most_two_cost_explorer_calls(moto_server, aws, capsys) -> None:
    load_results(moto_server, month="2026-06", days=20, services=SEED_SERVICES)
    code, out, _ = run(aws, "--month", "2026-06", "--as-of", "2026-06-20", "--budget", "50", "--json", capsys=capsys)
    assert code == 0
    report = json.loads(out)
    assert report["spent"] == 12.45
    assert report["budget"] == 50.0
    assert report["percent_of_budget"] == 24.9
    assert report["services"][0] == {"service": "Lambda", "amount": 5.2, "percent": 41.8}
    assert len(report["daily"]) == 20
    assert report["days_remaining"] == 10
    assert report["status"] == "within_budget"
    assert report["over_budget"] is False
    # Real HTTP requests to Cost Explorer (GetCostAndUsage + one forecast attempt), counted by botocore.
    assert len(aws.ce_sends) == report["cost_explorer_calls"] == 2


def test_past_month_has_no_remaining_days(moto_server, aws, capsys) -> None:
    load_results(moto_server, month="2026-02", days=28, services={"AWS Lambda": 14.0})
    code, out, _ = run(aws, "--month", "2026-02", "--as-of", "2026-03-05", "--budget", "20", "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0
    assert report["days_remaining"] == 0
    assert report["projected"] == report["spent"] == 14.0
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
        def describe_budgets(self, **_kwargs):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeBudgets")

    assert monitor_costs.budget_from_aws(Unreadable(), "123456789012", "agenticai-prod") is None


class FakeCostExplorer:
    def __init__(self) -> None:
        self.requests = 0

    def get_cost_and_usage(self, **_kwargs):
        self.requests += 1
        return {"ResultsByTime": []}


def test_a_third_cost_explorer_request_is_refused() -> None:
    ce = CostExplorer(FakeCostExplorer())
    ce.call("get_cost_and_usage")
    ce.call("get_cost_and_usage")
    with pytest.raises(ReportError, match="the limit is 2"):
        ce.call("get_cost_and_usage")


def test_throttling_is_retried_by_botocore_standard_mode(moto_server, aws, monkeypatch) -> None:
    """Two throttled answers on the wire, then moto's: botocore retries; the report counts one request."""
    from botocore.awsrequest import AWSResponse

    from scripts.cli import connect

    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    throttled = []

    def throttle(request, **_kwargs):
        if len(throttled) < 2:
            throttled.append(request.url)
            body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
            return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))
        return None

    aws.events.register("before-send.ce.GetCostAndUsage", throttle)
    connection = connect("local", session=aws)
    client = connection.client("ce", region="us-east-1", max_retries=monitor_costs.CE_MAX_RETRIES)
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    ce = CostExplorer(client)
    period = Period(month_start=dt.date(2026, 9, 1), as_of=dt.date(2026, 9, 30))
    load_results(moto_server, month="2026-09", days=30, services={"AWS Lambda": 3.0})
    services, daily = monitor_costs.fetch_costs(ce, period)
    assert len(throttled) == 2
    assert ce.calls == 1
    assert round(services["Lambda"], 2) == 3.0
    assert len(daily) == 30


class _Raw:
    """The raw stream AWSResponse reads a canned body from."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_kwargs):
        yield self.body


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
        ([], "the following arguments are required: --env"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(args: list[str], message: str) -> None:
    env_args = [] if not args or args[0] == "--env" else ["--env", "local"]
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *env_args, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_aws_exits_3_without_traceback() -> None:
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
    assert result.returncode == 3
    assert result.stderr.startswith("error: Could not connect to the endpoint URL")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_wrong_account_exits_2_with_one_line(aws, capsys) -> None:
    """dev is account 111111111111; moto answers 123456789012: refused before any Cost Explorer request."""
    code = monitor_costs.main(["--env", "dev", "--budget", "10"], session=aws)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "error: --env dev: the credentials are for account 123456789012, but dev is account 111111111111; "
        "refusing to run"
    ]
    assert aws.ce_sends == []


def test_html_page_is_self_contained_with_svg_charts(moto_server, aws, capsys, tmp_path) -> None:
    from tests.support.html_page import check_page

    load_results(moto_server, month="2026-10", days=12, services=SEED_SERVICES, rising=True)
    page = tmp_path / "cost.html"
    code, _, err = run(
        aws, "--month", "2026-10", "--as-of", "2026-10-12", "--budget", "50", "--html", str(page), capsys=capsys
    )
    assert code == 0, err
    svgs = check_page(page.read_text(encoding="utf-8"))
    chart = svgs[0]
    classes = {element.get("class") for element in chart.iter()}
    assert {"budget", "spend", "projection"} <= classes
    spend = next(element for element in chart.iter() if element.get("class") == "spend")
    assert len(spend.get("points").split()) == 13  # the origin and 12 days
