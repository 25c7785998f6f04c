"""Shared fixtures: one synth of every environment per session, and a Terraform harness."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import main
from environments import ENVIRONMENTS
from scripts.emulator.terraform import Terraform
from scripts.tf_cli_config import find_provider_mirror
from tests.synth import Synthesized

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*.json from the current synth (review the diff)",
    )


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every environment synthesized once per session, through main.synth (the real entry point)."""
    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    main.synth(ENVIRONMENTS, outdir)
    return outdir


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, Synthesized]:
    """Stack name -> synthesized JSON, for every stack main.py produces."""
    return {d.name: Synthesized.from_dir(d) for d in sorted((synth_dir / "stacks").iterdir())}


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    """The Terraform harness. Skips, with the reason, only where terraform or the provider is truly absent."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not on PATH")
    mirror = find_provider_mirror()
    if mirror is None and not os.environ.get("TF_ALLOW_REGISTRY"):
        pytest.skip(
            "no filesystem mirror of hashicorp/aws found (set TF_PROVIDER_MIRROR, "
            "or TF_ALLOW_REGISTRY=1 to download from the registry)"
        )
    return Terraform(binary=binary)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory):
    """One moto server (a real process on loopback) per session; tests reset or namespace their data."""
    from scripts.emulator.moto_server import MotoServer

    server = MotoServer(log_path=tmp_path_factory.mktemp("moto") / "moto.log")
    server.start()
    yield server
    server.stop()
