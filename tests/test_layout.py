"""The layout's contracts: side-effect-free imports, and dependencies that run one way."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Compares the process before and after importing a handler; prints what changed as JSON.
_PROBE = """
import json, os, sys
env_before, modules_before = dict(os.environ), set(sys.modules)
import {module}
env_after = dict(os.environ)
new_modules = sorted(set(sys.modules) - modules_before)
print(json.dumps({{
    "env_changed": sorted(k for k in set(env_before) | set(env_after) if env_before.get(k) != env_after.get(k)),
    "new_modules": new_modules,
    "provider_registered": "cdktf_cdktf_provider_aws" in sys.modules,
}}))
"""

HANDLERS = ("authorizer", "health", "projects", "keys", "http")


def _probe(module: str) -> dict:
    # The test process itself has run runtime.prepare(); the probe starts from an environment without it.
    env = {k: v for k, v in os.environ.items() if k not in {"NODE_OPTIONS", "JSII_NODE"}}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    return json.loads(result.stdout)


def test_importing_a_handler_leaves_environment_and_modules_alone() -> None:
    for handler in HANDLERS:
        outcome = _probe(f"modules.functions.{handler}")
        assert outcome["env_changed"] == [], (handler, outcome["env_changed"])
        assert not outcome["provider_registered"], handler
        # Only the imported package chain and the standard library / boto3 it needs: no cdktf, no jsii.
        heavy = [m for m in outcome["new_modules"] if m.split(".")[0] in {"cdktf", "jsii", "constructs"}]
        assert heavy == [], (handler, heavy)


def test_the_probe_sees_a_module_that_changes_the_environment() -> None:
    """Negative control: runtime.prepare() is exactly the kind of side effect the probe must notice."""
    outcome = _probe("modules.core.runtime; modules.core.runtime.prepare()")
    assert "NODE_OPTIONS" in outcome["env_changed"]
    assert outcome["provider_registered"]


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_script_or_construct_imports_tests() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("scripts", "modules", "environments")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "tests" in _imported_roots(path)
    ]
    assert offenders == []


def test_config_never_imports_constructs() -> None:
    """environments/ is plain data: it must load without cdktf (the dependency runs config -> constructs)."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "environments").rglob("*.py"))
        if _imported_roots(path) & {"modules", "cdktf", "cdktf_cdktf_provider_aws", "constructs", "scripts"}
    ]
    assert offenders == []
