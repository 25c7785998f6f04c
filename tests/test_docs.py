"""README.md and docs/: generated figures are fresh, links resolve, and the README stays a front door."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from environments import ENVIRONMENTS, load
from environments.config import Tier
from scripts import generate_docs

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
#: Pages generated as a whole by their own scripts (and staleness tests): every figure in them is generated.
WHOLLY_GENERATED = {"RUNBOOK.md", "CONFIGURATION.md"}

_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def facts(synth_dir: Path) -> generate_docs.Facts:
    return generate_docs.collect_facts(synth_dir / "stacks")


@pytest.fixture(scope="module")
def generated(facts) -> dict[Path, str]:
    return generate_docs.generate(generate_docs.read_pages(DOCS), facts)


def block(text: str, name: str) -> str:
    match = re.search(rf"<!-- BEGIN GENERATED: {name} -->\n(.*?)<!-- END GENERATED: {name} -->", text, re.DOTALL)
    assert match, f"no generated block {name!r}"
    return match.group(1)


def page_with(generated: dict[Path, str], name: str) -> str:
    (text,) = [text for text in generated.values() if f"BEGIN GENERATED: {name} -->" in text]
    return block(text, name)


def test_committed_generated_blocks_are_up_to_date(generated) -> None:
    stale = [path.name for path, text in generated.items() if text != path.read_text()]
    assert not stale, f"stale generated blocks in {stale}: run `make docs` and commit them"


def test_every_generator_fills_a_non_empty_block(generated) -> None:
    for name in generate_docs.GENERATORS:
        assert page_with(generated, name).strip(), name


def test_billing_threshold_and_budget_come_from_the_synthesized_stack(generated) -> None:
    budgets = page_with(generated, "budgets")
    for name in ENVIRONMENTS:
        monitoring = load(name).monitoring
        if monitoring.budget_enabled:
            assert f"`{load(name).name_prefix}-monthly-cost`: {generate_docs.usd(monitoring.monthly_budget_usd)}" in (
                budgets
            )
            assert f"> {generate_docs.usd(monitoring.billing_threshold_usd)} (" in budgets


def test_alarm_table_has_every_environment_and_links_to_the_runbook(generated) -> None:
    alarms = page_with(generated, "alarm-thresholds")
    header = alarms.splitlines()[0]
    assert all(f" {name} " in header for name in ENVIRONMENTS)
    assert "](RUNBOOK.md#api-5xx)" in alarms


def test_check_reports_a_stale_block_and_a_write_fixes_it(tmp_path: Path, facts, monkeypatch, capsys) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    page = docs / "ENVIRONMENTS.md"
    text = page.read_text()
    page.write_text(text.replace(block(text, "environments"), "| hand | written |\n"))
    monkeypatch.setattr(generate_docs, "collect_facts", lambda _stacks_dir: facts)  # render each block once
    args = ["--docs-dir", str(docs), "--stacks-dir", str(facts.stacks_dir)]
    assert generate_docs.main(["--check", *args]) == 1
    assert "ENVIRONMENTS.md is stale: run `make docs`" in capsys.readouterr().err
    assert generate_docs.main(args) == 0
    assert page.read_text() == (DOCS / "ENVIRONMENTS.md").read_text()
    assert generate_docs.main(["--check", *args]) == 0


def test_rejects_an_unknown_block() -> None:
    text = "<!-- BEGIN GENERATED: nonsense -->\n<!-- END GENERATED: nonsense -->\n"
    with pytest.raises(generate_docs.DocsError, match="block 'nonsense' has no generator; allowed: environments"):
        generate_docs.render_page(text, {}, page="X.md")


def test_rejects_an_unclosed_block() -> None:
    with pytest.raises(generate_docs.DocsError, match="unbalanced GENERATED markers"):
        generate_docs.render_page("<!-- BEGIN GENERATED: waf -->\n", {"waf": ""}, page="X.md")


def test_rejects_a_block_on_two_pages(facts) -> None:
    pages = generate_docs.read_pages(DOCS)
    pages[Path("EXTRA.md")] = "<!-- BEGIN GENERATED: waf -->\n<!-- END GENERATED: waf -->\n"
    with pytest.raises(generate_docs.DocsError, match=r"block 'waf': on \['EXTRA.md', 'WAF.md'\]"):
        generate_docs.generate(pages, facts)


def test_readme_is_at_most_200_lines() -> None:
    assert len(README.read_text().splitlines()) <= 200


def outside_blocks(text: str) -> str:
    return re.sub(r"<!-- BEGIN GENERATED: ([a-z0-9-]+) -->.*?<!-- END GENERATED: \1 -->", "", text, flags=re.DOTALL)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_hand_kept_per_environment_table(page: Path) -> None:
    """A table whose header names two or more environments is per-environment: it must be generated."""
    if page.name in WHOLLY_GENERATED:
        return
    for line in outside_blocks(page.read_text()).splitlines():
        if line.startswith("|"):
            cells = {cell.strip().strip("`") for cell in line.split("|")}
            assert len(cells & set(ENVIRONMENTS)) < 2, f"{page.name}: hand-kept per-environment table: {line}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_environment_values_written_by_hand(page: Path) -> None:
    """Account ids and state buckets of the real environments appear only in generated blocks."""
    if page.name in WHOLLY_GENERATED:
        return
    text = outside_blocks(page.read_text())
    for name in ENVIRONMENTS:
        config = load(name)
        if config.tier is Tier.EMULATOR:  # moto's fixed account id is documented as such
            continue
        assert config.account_id not in text, f"{page.name}: {name}'s account id written by hand"
        assert config.state.bucket not in text, f"{page.name}: {name}'s state bucket written by hand"


def github_anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", _FENCE.sub("", text), flags=re.MULTILINE):
        anchors.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_point_at_existing_files_and_headings(page: Path) -> None:
    text = _CODE_SPAN.sub("", _FENCE.sub("", page.read_text()))  # code is not a link
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.name}: link to {target!r}: no such file"
        if anchor and resolved.suffix == ".md":
            anchors = github_anchors(resolved.read_text())
            assert anchor in anchors, f"{page.name}: link to {target!r}: no such heading in {resolved.name}"


def python_examples() -> list[tuple[str, str]]:
    """Every ```python block of the docs that assigns one config value (``name=Model(...)``)."""
    found = []
    for page in PAGES:
        for example in re.findall(r"```python\n(.*?)\n```", page.read_text(), flags=re.DOTALL):
            if re.match(r"[a-z_]+=[A-Z]\w*\(", example):
                found.append((page.name, example))
    return found


@pytest.mark.parametrize(("page", "example"), python_examples(), ids=lambda v: v if v.endswith(".md") else "")
def test_config_examples_build(page: str, example: str) -> None:  # noqa: ARG001 - page: the test id
    """Examples double as tests: each config example in the docs is valid configuration today."""
    import environments.config as config_module

    namespace = {name: getattr(config_module, name) for name in config_module.__all__}
    exec(f"value = dict({example.rstrip().rstrip(',')})", namespace)  # noqa: S102 - our own docs
    assert namespace["value"]
