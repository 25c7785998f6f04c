"""docs/CONFIGURATION.md and docs/config.schema.json are generated from the config models and must not be stale."""

from __future__ import annotations

import json

import pytest

from environments import ENVIRONMENTS, load
from environments.config import CanaryConfig, EnvironmentConfig, ExtraAlarm, WafConfig
from scripts import generate_config_docs


@pytest.fixture(scope="module")
def rendered() -> str:
    return generate_config_docs.render({name: load(name) for name in ENVIRONMENTS})


def test_committed_reference_is_up_to_date(rendered: str) -> None:
    committed = generate_config_docs.MARKDOWN.read_text() if generate_config_docs.MARKDOWN.is_file() else ""
    assert committed == rendered, "docs/CONFIGURATION.md is stale: run `python scripts/generate_config_docs.py`"


def test_committed_schema_is_up_to_date() -> None:
    committed = generate_config_docs.SCHEMA.read_text() if generate_config_docs.SCHEMA.is_file() else ""
    assert committed == generate_config_docs.schema(), (
        "docs/config.schema.json is stale: run `python scripts/generate_config_docs.py`"
    )


def test_every_field_of_every_model_is_documented(rendered: str) -> None:
    models = generate_config_docs.models()
    assert {EnvironmentConfig, WafConfig, CanaryConfig, ExtraAlarm} <= set(models)
    for model in models:
        section = rendered.split(f"\n## {model.__name__}\n", 1)[1].split("\n## ", 1)[0]
        for name, info in model.model_fields.items():
            assert f"| `{name}` |" in section, f"{model.__name__}.{name} is missing from docs/CONFIGURATION.md"
            assert info.description, f"{model.__name__}.{name} has no docstring to document it"


def test_each_environment_value_is_shown(rendered: str) -> None:
    row = next(line for line in rendered.splitlines() if line.startswith("| `schedule_minutes` |"))
    assert row.split(" | ")[3:7] == ["`15`", "`10`", "`5`", "`5`"]  # dev, staging, prod, local


def test_schema_describes_the_environment() -> None:
    schema = json.loads(generate_config_docs.schema())
    assert schema["additionalProperties"] is False
    assert "us-east-1" in schema["properties"]["region"]["enum"]
    assert {"MonitoringConfig", "WafConfig", "ExtraAlarm"} <= set(schema["$defs"])


def test_check_mode_reports_stale_files(monkeypatch: pytest.MonkeyPatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(generate_config_docs, "MARKDOWN", tmp_path / "CONFIGURATION.md")
    monkeypatch.setattr(generate_config_docs, "SCHEMA", tmp_path / "config.schema.json")
    monkeypatch.setattr(generate_config_docs, "ROOT", tmp_path)
    assert generate_config_docs.main(["--check"]) == 1
    assert "CONFIGURATION.md is stale" in capsys.readouterr().err
    assert generate_config_docs.main([]) == 0
    assert generate_config_docs.main(["--check"]) == 0
