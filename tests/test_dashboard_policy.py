"""Dashboard access control: a read-only managed policy per environment, scoped by ARN."""

from __future__ import annotations

import re

import pytest

from environments import ENVIRONMENTS, load
from modules.monitoring.access import ALARM_ACTIONS, DASHBOARD_ACTIONS, UNSCOPED_ACTIONS

WRITE = re.compile(r"cloudwatch:(Put|Set|Delete|Enable|Disable|Tag|Untag|Start|Stop)")


def _document(stack) -> dict:
    policy = next(p for p in stack.resources("aws_iam_policy") if p["name"].endswith("-dashboard-read"))
    ref = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}", policy["policy"])
    assert ref, policy["policy"]
    return stack.document["data"]["aws_iam_policy_document"][ref.group(1)]


def _dashboard_arn(stack) -> str:
    key = next(iter(stack.document["resource"]["aws_cloudwatch_dashboard"]))
    return f"${{aws_cloudwatch_dashboard.{key}.dashboard_arn}}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_one_read_only_policy_per_environment(env: str, stacks) -> None:
    config = load(env)
    names = [p["name"] for p in stacks[env].resources("aws_iam_policy") if p["name"].endswith("-dashboard-read")]
    assert names == [f"{config.name_prefix}-dashboard-read"]
    actions = [a for s in _document(stacks[env])["statement"] for a in s["actions"]]
    assert actions
    assert [a for a in actions if WRITE.match(a) or not a.startswith("cloudwatch:")] == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_scoped_by_arn_wherever_cloudwatch_allows(env: str, stacks) -> None:
    config = load(env)
    statements = {s["sid"]: s for s in _document(stacks[env])["statement"]}
    dashboard = statements["ThisEnvironmentsDashboard"]
    assert (dashboard["actions"], dashboard["resources"]) == (list(DASHBOARD_ACTIONS), [_dashboard_arn(stacks[env])])
    alarms = statements["ThisEnvironmentsAlarms"]
    assert alarms["actions"] == list(ALARM_ACTIONS)
    regions = sorted({config.region, "us-east-1"})
    assert len(alarms["resources"]) == len(regions)
    for arn, region in zip(alarms["resources"], regions, strict=True):
        assert re.fullmatch(
            rf"arn:\$\{{[^}}]+\}}:cloudwatch:{region}:\$\{{[^}}]+\}}:alarm:{config.name_prefix}-\*", arn
        )
    # Only the actions without resource types name "*", and only in the environment's regions.
    unscoped = statements["MetricsReadNoResourceLevelPermissions"]
    assert (unscoped["actions"], unscoped["resources"]) == (list(UNSCOPED_ACTIONS), ["*"])
    assert unscoped["condition"] == [{"test": "StringEquals", "variable": "aws:RequestedRegion", "values": regions}]
    assert set(statements) == {
        "ThisEnvironmentsDashboard",
        "ThisEnvironmentsAlarms",
        "MetricsReadNoResourceLevelPermissions",
    }


def test_control_a_write_action_would_be_caught() -> None:
    assert WRITE.match("cloudwatch:PutDashboard")
    assert WRITE.match("cloudwatch:SetAlarmState")
    assert not WRITE.match("cloudwatch:GetDashboard")
