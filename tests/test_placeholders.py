"""scripts/placeholders.py: example values are listed per environment, and `make plan` refuses prod while any remain."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from environments.config import Tier
from scripts import placeholders

ROOT = Path(__file__).resolve().parent.parent


def config(**overrides):
    """A stand-in EnvironmentConfig holding real-looking values only; ``find`` reads attributes, nothing else."""
    values = {
        "name": "prod",
        "tier": Tier.PRODUCTION,
        "account_id": "406731829455",
        "state": SimpleNamespace(bucket="acme-tfstate-prod"),
        "monitoring": SimpleNamespace(
            alert_emails=("oncall@acme.io",),
            page_emails=(),
            runbook_url="https://git.acme.io/platform/hardening/blob/main/docs/RUNBOOK.md",
        ),
        "ci": SimpleNamespace(github_owner="acme-platform"),
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def fields(found) -> list[str]:
    return [p.field for p in found]


def test_real_values_are_not_placeholders() -> None:
    assert placeholders.find(config(), file="environments/prod.py") == []


@pytest.mark.parametrize("account_id", ["111111111111", "333333333333", "123456789012"])
def test_finds_an_example_account_id(account_id: str) -> None:
    assert fields(placeholders.find(config(account_id=account_id), file="f.py")) == ["account_id"]


def test_finds_a_state_bucket_named_after_an_example_account() -> None:
    found = placeholders.find(config(state=SimpleNamespace(bucket="agenticai-tfstate-222222222222-x")), file="f.py")
    assert fields(found) == ["state.bucket"]


def test_finds_example_addresses_in_alert_and_page_emails() -> None:
    monitoring = SimpleNamespace(
        alert_emails=("ok@acme.io", "ops@example.com"),
        page_emails=("pager@sub.example.org",),
        runbook_url=config().monitoring.runbook_url,
    )
    found = placeholders.find(config(monitoring=monitoring), file="f.py")
    assert fields(found) == ["monitoring.alert_emails[1]", "monitoring.page_emails[0]"]


def test_finds_the_default_runbook_url() -> None:
    monitoring = SimpleNamespace(alert_emails=(), page_emails=(), runbook_url=placeholders.DEFAULT_RUNBOOK_URL)
    found = placeholders.find(config(monitoring=monitoring), file="f.py")
    assert fields(found) == ["monitoring.runbook_url"]
    assert "default guess" in str(found[0])


def test_finds_an_example_github_owner() -> None:
    found = placeholders.find(config(ci=SimpleNamespace(github_owner="example-org")), file="environments/prod.py")
    assert fields(found) == ["ci.github_owner"]


def test_an_environment_without_ci_roles_has_no_owner_to_check() -> None:
    assert placeholders.find(config(ci=None), file="environments/prod.py") == []


def test_the_emulator_tier_is_exempt() -> None:
    assert placeholders.find(config(tier=Tier.EMULATOR, account_id="123456789012"), file="f.py") == []


def test_each_line_names_the_file_line_and_field() -> None:
    source = 'CONFIG = X(\n    account_id="111111111111",\n)\n'
    (found,) = placeholders.find(config(account_id="111111111111"), file="environments/prod.py", source=source)
    assert str(found).startswith("environments/prod.py:2: account_id: '111111111111' is an example account id")


def test_the_shipped_environments_still_carry_placeholders(capsys) -> None:
    """Today's files are examples: every non-emulator environment is listed, local never is."""
    assert placeholders.main(["--env", "dev", "--env", "prod", "--env", "local"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("environments/prod.py:") and ": account_id: " in line for line in out)
    assert any(line.startswith("environments/dev.py:") and "state.bucket" in line for line in out)
    assert "local: no placeholders left" in out


def test_json_output(capsys) -> None:
    assert placeholders.main(["--env", "prod", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"prod"}
    assert {"account_id", "state.bucket", "monitoring.runbook_url"} <= {p["field"] for p in document["prod"]}
    assert all(p["file"] == "environments/prod.py" for p in document["prod"])


def test_exit_0_when_none_remain() -> None:
    assert placeholders.main(["--env", "local"]) == 0


def test_unknown_environment_is_one_line_exit_2(capsys) -> None:
    assert placeholders.main(["--env", "qa"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown environment 'qa'")
    assert err.count("\n") == 1


def test_gate_refuses_a_production_environment(capsys) -> None:
    assert placeholders.main(["--gate", "--env", "prod"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: refusing to plan: environment 'prod'")
    assert "`python scripts/placeholders.py --env prod`" in err


def test_gate_only_warns_for_other_environments(capsys) -> None:
    assert placeholders.main(["--gate", "--env", "dev"]) == 0
    assert capsys.readouterr().err.startswith("warning: environment 'dev' still has")


def test_make_plan_refuses_prod_before_any_synth_or_terraform(tmp_path: Path) -> None:
    """`make plan ENV=prod` stops at the gate: exit 2, one line, and nothing synthesized."""
    outdir = tmp_path / "out"
    result = subprocess.run(
        # STAMP= : no venv (re)install in a test; OUT: if the gate let it through, synth would land here.
        ["make", "--no-print-directory", "plan", "ENV=prod", "STAMP=", f"OUT={outdir}", f"PY={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        # A clean make: under `make test` the parent's MAKEFLAGS/MAKELEVEL would turn it into a sub-make.
        env={k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}},
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?:", line)]
    assert len(errors) == 1
    assert errors[0].startswith("error: refusing to plan: environment 'prod'")
    assert "python scripts/placeholders.py --env prod" in errors[0]
    assert not outdir.exists()
