"""Golden snapshots of every synthesized stack. They catch change, not correctness.

A failing test means the synthesized Terraform changed. Review the diff, then
accept it with ``make golden`` (``pytest tests/test_golden.py --update-goldens``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments import ENVIRONMENTS, load
from main import all_stack_names

GOLDEN_DIR = Path(__file__).parent / "golden"
#: Every synthesized stack, the CI-roles stacks included (the stateful-address guard reads the same list).
ALL_STACKS = [name for env in ENVIRONMENTS for name in all_stack_names(load(env))]


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_stack_matches_golden(stack: str, synth_dir: Path, request: pytest.FixtureRequest) -> None:
    actual = json.loads((synth_dir / "stacks" / stack / "cdk.tf.json").read_text())
    golden = GOLDEN_DIR / f"{stack}.json"
    rendered = json.dumps(actual, indent=2, sort_keys=True) + "\n"
    if request.config.getoption("--update-goldens"):
        GOLDEN_DIR.mkdir(exist_ok=True)
        golden.write_text(rendered)
    assert golden.is_file(), f"no golden for {stack}; run `make golden` and review it"
    assert json.loads(golden.read_text()) == actual, (
        f"{stack} differs from {golden.name}; review the change, then run `make golden`"
    )


def test_every_golden_belongs_to_a_stack() -> None:
    stale = sorted(p.stem for p in GOLDEN_DIR.glob("*.json") if p.stem not in ALL_STACKS)
    assert not stale, f"goldens for stacks that no longer exist: {stale}"
