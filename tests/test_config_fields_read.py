"""Every config field is read somewhere: a setting that nothing reads is a setting that silently does nothing.

For each field of each model that ``EnvironmentConfig`` references, the code that consumes
configuration (modules/, scripts/, main.py, environments/) must contain an attribute access
``.<field>`` (found in the syntax tree, so comments and docstrings do not count) outside the
model's own validators: checking a value is not using it.
"""

from __future__ import annotations

import ast
import inspect
from collections import Counter
from pathlib import Path

import pytest

from scripts.generate_config_docs import models

ROOT = Path(__file__).resolve().parent.parent
#: Fields read through another mechanism than an attribute access, each with the reason.
_WAF_RULE_FIELD = "a rule-list field: WafConfig.rules collects every rule field generically (by field, not by name)"
ALLOW_LIST: dict[str, str] = {
    "WafConfig.ip_allow_list": _WAF_RULE_FIELD,
    "WafConfig.ip_deny_list": _WAF_RULE_FIELD,
    "WafConfig.geo_block": _WAF_RULE_FIELD,
    "WafConfig.body_size_limit": _WAF_RULE_FIELD,
    "WafConfig.managed_rules": _WAF_RULE_FIELD,
    "WafConfig.injection_matches": _WAF_RULE_FIELD,
    # An acknowledgement, not a setting: stating the extra cost makes a capacity increase a reviewed choice.
    "WafConfig.extra_capacity_cost_usd_per_million_requests": "checked against the capacity budget only",
}
FIELDS = [(model, name) for model in models() for name in model.model_fields]


def _attributes(tree: ast.AST) -> Counter[str]:
    return Counter(node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute))


def _in_validators(tree: ast.Module, class_name: str) -> Counter[str]:
    """Attribute accesses inside ``class_name``'s ``@*_validator`` methods."""
    found: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if any("validator" in ast.unparse(d) for d in getattr(item, "decorator_list", [])):
                    found += _attributes(item)
    return found


@pytest.fixture(scope="module")
def trees() -> dict[Path, tuple[ast.Module, Counter[str]]]:
    files = [ROOT / "main.py", *(p for d in ("modules", "scripts", "environments") for p in (ROOT / d).rglob("*.py"))]
    parsed = {path.resolve(): ast.parse(path.read_text()) for path in files}
    return {path: (tree, _attributes(tree)) for path, tree in parsed.items()}


@pytest.mark.parametrize(("model", "name"), FIELDS, ids=[f"{m.__name__}.{n}" for m, n in FIELDS])
def test_field_is_read_somewhere(trees: dict[Path, tuple[ast.Module, Counter[str]]], model: type, name: str) -> None:
    qualified = f"{model.__name__}.{name}"
    if qualified in ALLOW_LIST:
        pytest.skip(ALLOW_LIST[qualified])
    own_file = Path(inspect.getsourcefile(model)).resolve()
    readers = [
        path.relative_to(ROOT)
        for path, (tree, attributes) in trees.items()
        if attributes[name] > (_in_validators(tree, model.__name__)[name] if path == own_file else 0)
    ]
    assert readers, f"{qualified} is validated but read nowhere (modules/, scripts/, main.py, environments/)"


def test_allow_list_names_real_fields() -> None:
    assert set(ALLOW_LIST) <= {f"{m.__name__}.{n}" for m, n in FIELDS}
