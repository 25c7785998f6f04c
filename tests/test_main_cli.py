"""main.py as users run it: subsets, clean errors, and output that is never left half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import main

ROOT = Path(__file__).resolve().parent.parent


def run_main(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def previous_output(tmp_path_factory) -> Path:
    """A real previous synth of one environment, to check that failures leave it untouched."""
    outdir = tmp_path_factory.mktemp("previous") / "cdktf.out"
    result = run_main("--env", "dev", "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr
    return outdir


def test_unknown_environment_is_a_clean_error_and_output_is_untouched(previous_output: Path) -> None:
    before = snapshot(previous_output)
    result = run_main("--env", "qa", "--outdir", str(previous_output))
    assert result.returncode == 2
    assert "unknown environment 'qa'; valid environments: dev, staging, prod, local" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(previous_output) == before
    assert sorted(p.name for p in previous_output.parent.iterdir()) == ["cdktf.out"]


def test_failed_synth_leaves_previous_output_exactly_as_it_was(previous_output: Path, tmp_path: Path) -> None:
    # A sitecustomize that breaks a construct mid-synth, after some stacks were already built.
    (tmp_path / "sitecustomize.py").write_text(
        "import modules.data.state as s\n"
        "def broken(*a, **k):\n    raise RuntimeError('injected failure')\n"
        "s.StateBucket.__init__ = broken\n"
    )
    before = snapshot(previous_output)
    result = run_main("--outdir", str(previous_output), env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert result.returncode == 1
    assert "injected failure" in result.stderr
    assert "was left unchanged" in result.stderr
    assert snapshot(previous_output) == before
    assert sorted(p.name for p in previous_output.parent.iterdir()) == ["cdktf.out"]


@pytest.mark.usefixtures("previous_output")
def test_subset_synth_keeps_the_other_stacks(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    assert run_main("--env", "dev", "--outdir", str(outdir)).returncode == 0
    dev_before = (outdir / "stacks" / "dev" / "cdk.tf.json").read_bytes()
    result = run_main("--env", "prod", "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr
    expected = ["bootstrap-dev", "bootstrap-prod", "ci-dev", "ci-prod", "dev", "prod"]
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == expected
    assert (outdir / "stacks" / "dev" / "cdk.tf.json").read_bytes() == dev_before
    manifest = json.loads((outdir / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == expected


def test_resynth_keeps_terraform_working_files_and_restores_the_committed_lock_file(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    assert run_main("--env", "local", "--outdir", str(outdir)).returncode == 0
    working = outdir / "stacks" / "local" / ".terraform"
    working.mkdir()
    (working / "marker").write_text("init results")
    (outdir / "stacks" / "local" / ".terraform.lock.hcl").write_text("# lock")
    assert run_main("--env", "local", "--outdir", str(outdir)).returncode == 0
    assert (working / "marker").read_text() == "init results"
    # The committed provider hashes win over whatever a previous init left (docs/PIPELINE.md).
    assert (outdir / "stacks" / "local" / ".terraform.lock.hcl").read_bytes() == main.LOCK_FILE.read_bytes()


def test_lazy_provider_loading_is_byte_identical_to_the_stock_import(synth_dir: Path, tmp_path: Path) -> None:
    """The stock path imports every provider submodule in Python and Node; the output must not change."""
    stock = tmp_path / "cdktf.out"
    result = run_main("--outdir", str(stock), env={"AGENTICAI_EAGER_PROVIDER": "1"})
    assert result.returncode == 0, result.stderr
    lazy = snapshot(synth_dir / "stacks")
    assert lazy, "the session synth produced no files"
    assert snapshot(stock / "stacks") == lazy


def test_help_lists_environments() -> None:
    result = run_main("--help")
    assert result.returncode == 0
    assert "dev, staging, prod, local" in " ".join(result.stdout.split())


def test_a_normal_synth_prints_no_warnings(tmp_path: Path) -> None:
    """From a clean environment (no JSII_NODE, no NODE_OPTIONS): the project's Node.js is used,
    so neither jsii's end-of-life box nor Node deprecation warnings reach the user."""
    env = {k: v for k, v in os.environ.items() if k not in ("JSII_NODE", "NODE_OPTIONS")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--env", "local", "--outdir", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("Synthesized 2 stacks")


_ENVIRONMENT_FILE = """
from environments.config import AlarmThresholds, EnvironmentConfig, MonitoringConfig, StateConfig, Tier

CONFIG = EnvironmentConfig(
    name="dev",
    tier=Tier.DEVELOPMENT,
    account_id="111111111111",
    region={region!r},
    name_prefix="agenticai-dev",
    state=StateConfig(bucket="agenticai-tfstate-111111111111-dev"),
    monitoring=MonitoringConfig({monitoring}),
)
"""


@pytest.mark.parametrize(
    ("region", "monitoring", "expected"),
    [
        pytest.param(
            "us-east-1",
            "alert_emial=('ops@example.com',)",
            "error: environment 'dev': monitoring.alert_emial: got ('ops@example.com',); "
            "allowed: no such field (check its spelling)",
            id="misspelt-field",
        ),
        pytest.param(
            "us-east-1",
            "thresholds=AlarmThresholds(api_5xx_count=float('nan'))",
            "error: environment 'dev': monitoring.thresholds.api_5xx_count: got nan; "
            "allowed: a finite number (not NaN or infinity)",
            id="nan-threshold",
        ),
        pytest.param(
            "us-east-9",
            "",
            "error: environment 'dev': region: got 'us-east-9'; allowed: one of 'af-south-1', ",
            id="unknown-region",
        ),
    ],
)
def test_a_bad_environment_file_is_one_line_and_output_is_untouched(
    previous_output: Path, tmp_path: Path, region: str, monitoring: str, expected: str
) -> None:
    """The mistake is in the environment file itself, raised while it is imported, as an operator makes it."""
    override = tmp_path / "environments"
    override.mkdir()
    (override / "dev.py").write_text(_ENVIRONMENT_FILE.format(region=region, monitoring=monitoring))
    # Put the temporary dev.py in front of the real one for this process only.
    (tmp_path / "sitecustomize.py").write_text(
        f"import environments\nenvironments.__path__.insert(0, {str(override)!r})\n"
    )
    before = snapshot(previous_output)
    result = run_main(
        "--env", "dev", "--outdir", str(previous_output), env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(expected), result.stderr
    assert snapshot(previous_output) == before
    assert sorted(p.name for p in previous_output.parent.iterdir()) == ["cdktf.out"]
