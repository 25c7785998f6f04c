"""The test lanes: tests/conftest.py marks every test from what it uses, and `make test-fast` keeps only pure ones."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import conftest

ROOT = Path(__file__).resolve().parent.parent

#: The marker expression of `make test-fast` (kept in step with the Makefile by test_make_test_fast_uses_it).
FAST = "not slow and not emulator and not terraform and not live"


def setup_plan(*args: str) -> str:
    """`pytest --setup-plan`: the selected tests and the fixtures each would set up, without running anything."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--setup-plan", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 5), result.stdout + result.stderr  # 5: every test deselected
    return result.stdout


def selected(plan: str) -> set[str]:
    """Node ids (parameters dropped) listed by a setup plan."""
    lines = (line.split() for line in plan.splitlines())
    return {words[0].split("[")[0] for words in lines if words and "::" in words[0]}


def set_up(plan: str) -> set[str]:
    """Fixtures a setup plan would set up (`SETUP    S synth_dir`)."""
    return set(re.findall(r"^\s*SETUP\s+\w\s+(\w+)", plan, re.MULTILINE))


@pytest.fixture(scope="module")
def fast_plan() -> str:
    # Collecting the whole suite in a subprocess takes ~5 s: the tests that use this plan are marked slow.
    return setup_plan("-m", FAST, "tests")


@pytest.mark.slow
def test_fast_lane_never_sets_up_the_session_synth_a_server_or_terraform(fast_plan: str) -> None:
    assert len(selected(fast_plan)) > 100, fast_plan[-2000:]
    assert not set_up(fast_plan) & {"synth_dir", "stacks", "moto_server", "terraform"}
    # The same plan without the lane filter does set them up, so the check above can fail.
    full = setup_plan("tests/test_golden.py", "tests/test_terraform_validate.py")
    assert {"synth_dir", "terraform"} <= set_up(full)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("test", "why"),
    [
        ("tests/test_golden.py::test_stack_matches_golden", "uses the session synth"),
        ("tests/test_main_cli.py::test_lazy_provider_loading_is_byte_identical_to_the_stock_import", "stock import"),
        ("tests/test_main_cli.py::test_resynth_keeps_terraform_working_files", "runs main.py"),
        ("tests/test_kms.py::test_existing_api_mode_encrypts_only_our_own_resources", "synthesizes an environment"),
        ("tests/test_runbook.py::test_committed_runbook_is_up_to_date", "the generator synthesizes every environment"),
        ("tests/test_e2e_verify.py::test_silent_alarm_by_design_is_skip_not_pass", "starts a MotoServer"),
        ("tests/test_authorizer_moto.py::test_windows_are_counted_separately", "starts an AtomicMotoServer"),
        ("tests/test_backups_restore.py::test_pitr_restore_to_a_new_table", "uses moto_server"),
        ("tests/test_terraform_validate.py::test_every_stack_is_valid", "runs terraform"),
    ],
)
def test_slow_emulator_and_terraform_tests_are_not_in_the_fast_lane(fast_plan: str, test: str, why: str) -> None:
    assert test not in selected(fast_plan), why


@pytest.mark.slow
@pytest.mark.parametrize(
    "test",
    [
        "tests/test_config_validation.py::test_rejects_unknown_region",
        "tests/test_golden.py::test_every_golden_belongs_to_a_stack",
        "tests/test_authorizer.py::test_missing_key_is_401",
        "tests/test_state.py::test_optional_dynamodb_lock_table_for_old_terraform",  # one construct, synth_scope
        "tests/test_lanes.py::test_a_pure_test_that_reaches_the_session_synth_fails",
    ],
)
def test_pure_tests_are_in_the_fast_lane(fast_plan: str, test: str) -> None:
    assert test in selected(fast_plan)


def test_a_pure_test_that_reaches_the_session_synth_fails() -> None:
    """The guard in the synth_dir fixture, for a test that asks for it at run time (request.getfixturevalue)."""
    with pytest.raises(pytest.fail.Exception, match="test_lanes.py::.* is not marked slow but needs the session synth"):
        conftest._refuse_in_the_fast_lane("the session synth")


@pytest.mark.parametrize(
    ("source", "lane"),
    [
        ("stack = AgenticAiStack(Testing.app(), 'x', config=load('dev'))", "slow"),
        ("_, stack = existing_api_stack('dev')", "slow"),
        ("main.synth(ENVIRONMENTS, outdir)", "slow"),
        ("subprocess.run([sys.executable, str(ROOT / 'main.py'), '--env', 'dev'])", "slow"),
        ("generate_runbook.collect()", "slow"),
        ("result = subprocess.run([sys.executable, str(SCRIPT), *args], check=False)", "slow"),
        ("with MotoServer(log_path=tmp_path / 'moto.log') as server:", "emulator"),
        ("server = AtomicMotoServer(log_path=path)", "emulator"),
    ],
)
def test_calls_that_put_a_test_in_a_lane(source: str, lane: str) -> None:
    assert [name for name, pattern in conftest.LANE_CALLS.items() if pattern.search(source)] == [lane]


@pytest.mark.parametrize(
    "source",
    [
        "stack = synth_scope(lambda scope: StateBucket(scope, 'state', config=config))",  # one construct: fast
        "config = load('dev')",
        "from modules.stack import AgenticAiStack",  # an import is not a synth
    ],
)
def test_pure_code_is_in_no_lane(source: str) -> None:
    assert [name for name, pattern in conftest.LANE_CALLS.items() if pattern.search(source)] == []


def test_make_test_fast_uses_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert f'-m "{FAST}"' in makefile
