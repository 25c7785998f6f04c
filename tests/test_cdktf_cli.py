"""`cdktf synth` (the cdktf CLI reading cdktf.json) produces the same stacks as `python main.py`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "node_modules" / ".bin" / "cdktf"


@pytest.mark.skipif(not CLI.exists(), reason="cdktf-cli is not installed; `make test` installs it (npm ci)")
def test_cdktf_cli_synth_matches_main(synth_dir: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "cli.out"
    node_bin = str(Path(shutil.which("node") or "node").parent)
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "CI": "1", "PATH": f"{node_bin}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(CLI), "synth", "--output", str(outdir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cli_stacks = sorted(p.name for p in (outdir / "stacks").iterdir())
    assert cli_stacks == sorted(p.name for p in (synth_dir / "stacks").iterdir())
    for name in cli_stacks:
        assert (outdir / "stacks" / name / "cdk.tf.json").read_text() == (
            synth_dir / "stacks" / name / "cdk.tf.json"
        ).read_text(), name
