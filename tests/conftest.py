"""Shared fixtures: one synth of every environment per session, and a Terraform harness."""

from __future__ import annotations

import functools
import inspect
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    _refuse_in_the_fast_lane("the session synth")
    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    main.synth(ENVIRONMENTS, outdir)
    return outdir


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, Synthesized]:
    """Stack name -> synthesized JSON, for every stack main.py produces."""
    return {d.name: Synthesized.from_dir(d) for d in sorted((synth_dir / "stacks").iterdir())}


@pytest.fixture(scope="session")
def terraform() -> Terraform:
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


@pytest.fixture(scope="session")
def atomic_moto(tmp_path_factory: pytest.TempPathFactory):
    """moto with UpdateItem serialized per call, as DynamoDB serializes writes (see scripts.emulator.atomic)."""
    from scripts.emulator.atomic import AtomicMotoServer

    server = AtomicMotoServer(log_path=tmp_path_factory.mktemp("atomic-moto") / "moto.log")
    server.start()
    yield server
    server.stop()


# --- Test lanes ---------------------------------------------------------------------------------------------------
# `make test-fast` runs `-m "not slow and not emulator and not terraform and not live"`: every pure test, in under
# 30 s. Tests are marked here, from what they use, so that a test file never has to remember its lane; the markers
# are registered in pyproject.toml (with --strict-markers). tests/test_lanes.py checks the result.
#
# A construct synthesized alone in a minimal stack (tests/synth.py `synth_scope`) takes well under a second and
# stays in the fast lane: those are the property tests worth running on every change. What is slow is a whole
# environment (the session synth, an AgenticAiStack, main.py, the runbook generator) and a CLI run as a subprocess:
# its in-process twin (calling the script's main()) stays in the fast lane.

#: Fixtures that put a test in a lane. item.fixturenames is the transitive closure, so a fixture built on one of
#: these (test_terraform_validate's `validated`, test_e2e_faults' `tf`) carries the mark too.
LANE_FIXTURES: dict[str, frozenset[str]] = {
    "slow": frozenset({"synth_dir", "stacks"}),  # the session synth of every environment (~15 s)
    "emulator": frozenset({"moto_server", "atomic_moto"}),  # one moto server process (of each kind) per session
    "terraform": frozenset({"terraform"}),  # the terraform binary and the AWS provider
}

#: Calls that put a test in a lane when they appear in the test's own source or in a fixture it uses that is
#: defined under tests/. This catches a test that synthesizes an environment or starts a server by itself.
LANE_CALLS: dict[str, re.Pattern[str]] = {
    "slow": re.compile(
        r"\b(AgenticAiStack|BootstrapStack|existing_api_stack|build_app|run_main)\("  # a whole environment stack
        r"|\bmain\.synth\(|[\"']main\.py[\"']"  # main.py, in process or as a subprocess
        r"|\bgenerate_runbook\.(collect|main)\("  # the runbook generator synthesizes every environment
        # A command in a fresh process: a CLI's Python start-up alone (boto3, the config models) costs ~1 s.
        r"|\bsubprocess\.(run|Popen|check_call|check_output)\("
    ),
    "emulator": re.compile(r"\b(MotoServer|AtomicMotoServer)\("),
    "terraform": re.compile(r"\bterraform\.run\("),
}

_TESTS_DIR = Path(__file__).resolve().parent


@functools.cache
def _source(function: Callable[..., Any]) -> str:
    """The function's source from its `def` line on: decorators (parametrize values) are data, not calls it makes."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return ""
    match = re.search(r"^\s*(async\s+)?def ", source, re.MULTILINE)
    return source[match.start() :] if match else source


def _own_sources(item: pytest.Item) -> list[str]:
    """The test function's source and that of every fixture it uses that is defined under tests/."""
    sources = [_source(item.function)] if isinstance(item, pytest.Function) else []
    fixture_info = getattr(item, "_fixtureinfo", None)
    for definitions in getattr(fixture_info, "name2fixturedefs", {}).values():
        for definition in definitions:
            code = getattr(definition.func, "__code__", None)
            if code is not None and Path(code.co_filename).resolve().is_relative_to(_TESTS_DIR):
                sources.append(_source(definition.func))
    return sources


def lanes_of(item: pytest.Item) -> set[str]:
    """The lanes (slow, emulator, terraform) that ``item`` belongs to, from its fixtures and its calls."""
    used = set(getattr(item, "fixturenames", ()))
    sources = _own_sources(item)
    return {
        lane
        for lane in LANE_FIXTURES
        if used & LANE_FIXTURES[lane] or any(LANE_CALLS[lane].search(source) for source in sources)
    }


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for lane in sorted(lanes_of(item) - {mark.name for mark in item.iter_markers()}):
            item.add_marker(lane)


_current_item: list[pytest.Item] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _current_item[:] = [item]


def _refuse_in_the_fast_lane(what: str) -> None:
    """Fail a test that is not marked slow but reaches ``what`` (e.g. through request.getfixturevalue)."""
    if _current_item and _current_item[0].get_closest_marker("slow") is None:
        pytest.fail(f"{_current_item[0].nodeid} is not marked slow but needs {what}; mark it in tests/conftest.py")
