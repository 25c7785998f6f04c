"""docs/RUNBOOK.md is generated from the alarm specs and must not be stale."""

from __future__ import annotations

import re

import pytest

from scripts import generate_runbook


@pytest.fixture(scope="module")
def environments():
    return generate_runbook.collect()


@pytest.fixture(scope="module")
def rendered(environments) -> str:
    return generate_runbook.render(environments)


def test_committed_runbook_is_up_to_date(rendered: str) -> None:
    committed = generate_runbook.RUNBOOK.read_text() if generate_runbook.RUNBOOK.is_file() else ""
    assert committed == rendered, "docs/RUNBOOK.md is stale: run `make runbook` and commit it"


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


def test_every_deployed_alarm_has_a_section(environments, rendered: str) -> None:
    found = sections(rendered)
    keys = {key for env in environments for key in env.specs}
    assert keys
    assert keys <= set(found)
    for key in keys:
        section = found[key]
        assert "**What it means.**" in section
        assert "**Threshold and window.**" in section
        spec = next(env.specs[key] for env in environments if key in env.specs)
        # Built-in alarms have three first checks; an environment's extra alarm has its one action.
        heading = "**First three things to check.**" if len(spec.checks) == 3 else "**What to do.**"
        checks = re.findall(r"^[123]\. ", section.split(heading)[1], flags=re.MULTILINE)
        assert len(checks) == len(spec.checks), key
        assert "Dashboard: [" in section
        assert "Logs: [" in section


def test_thresholds_per_environment_come_from_config(environments, rendered: str) -> None:
    section = sections(rendered)["api-5xx"]
    for env in environments:
        expected = f"- {env.config.name}: > {env.config.monitoring.thresholds.api_5xx_count:g} errors / 5 minutes"
        assert expected in section


def test_alarm_descriptions_link_to_existing_anchors(environments, rendered: str) -> None:
    found = sections(rendered)
    prod = next(env for env in environments if env.config.name == "prod")
    for key in prod.specs:
        assert key in found  # description ends with <runbook_url>#<key>; GitHub's anchor of "### <key>" is <key>


def test_operational_procedures(rendered: str) -> None:
    for heading in ("### Daily", "### Weekly", "### Monthly", "### Key rotation", "### Disaster-recovery drill"):
        assert heading in rendered
    assert "restore-table-to-point-in-time" in rendered
    assert "list-object-versions" in rendered


def test_check_flag_reports_a_stale_file(tmp_path, capsys) -> None:
    stale = tmp_path / "RUNBOOK.md"
    stale.write_text("# old\n")
    assert generate_runbook.main(["--check", "--output", str(stale)]) == 1
    assert "is stale: run `make runbook`" in capsys.readouterr().err
    assert generate_runbook.main(["--output", str(stale)]) == 0
    assert generate_runbook.main(["--check", "--output", str(stale)]) == 0


def test_extra_alarm_gets_a_runbook_entry_with_its_action() -> None:
    from environments import load
    from tests.monitoring_fixtures import extra_alarm

    prod = load("prod")
    extended = prod.replace(monitoring=prod.monitoring.replace(extra_alarms=(extra_alarm(),)))
    environments = generate_runbook.collect_configs([extended])
    assert "orders-failed" in environments[0].specs
    rendered = generate_runbook.render(environments)
    assert "| [Orders failing at checkout](#orders-failed) | critical | >= 5 / 15 minutes |" in rendered
    section = sections(rendered)["orders-failed"]
    assert "**What to do.**\n\n1. " + extra_alarm().runbook in section
    assert "Evaluation: 2 of 3 periods of 5 minutes." in section
    assert "AgenticAI/App `OrdersFailed`, statistic Sum, by Service" in section
