"""Every synthesized stack passes `terraform validate` with the real AWS provider."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scripts.tf_cli_config import AWS_PROVIDER_VERSION

pytestmark = pytest.mark.terraform


@pytest.fixture(scope="module")
def validated(synth_dir: Path, terraform, tmp_path_factory) -> dict[str, str]:
    """Copy each stack, `init -backend=false` and `validate -json` it; two at a time (2 cores)."""
    work = tmp_path_factory.mktemp("validate")

    def validate(stack_dir: Path) -> tuple[str, str]:
        target = work / stack_dir.name
        shutil.copytree(stack_dir, target)
        terraform.run(target, "init", "-backend=false", "-input=false", "-no-color")
        return stack_dir.name, terraform.run(target, "validate", "-json", "-no-color").stdout

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(validate, sorted((synth_dir / "stacks").iterdir())))


def test_every_stack_is_valid(validated: dict[str, str], stacks) -> None:
    import json

    assert set(validated) == set(stacks)
    for name, output in validated.items():
        result = json.loads(output)
        assert result["valid"], f"{name}: {result['diagnostics']}"
        errors = [d for d in result["diagnostics"] if d["severity"] == "error"]
        assert not errors, f"{name}: {errors}"


def test_stacks_pin_the_mirrored_provider_version(stacks) -> None:
    for name, stack in stacks.items():
        provider = stack.document["terraform"]["required_providers"]["aws"]
        assert provider["version"] == AWS_PROVIDER_VERSION, name
