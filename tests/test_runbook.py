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
    assert keys and keys <= set(found)
    for key in keys:
        section = found[key]
        assert "**What it means.**" in section
        assert "**Threshold and window.**" in section
        checks = re.findall(r"^[123]\. ", section.split("**First three things to check.**")[1], flags=re.MULTILINE)
        assert len(checks) == 3, key
        assert "Dashboard: [" in section and "Logs: [" in section


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
