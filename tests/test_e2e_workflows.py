"""The CI/CD workflows: what an auditor would check by hand, asserted as properties (docs/PIPELINE.md).

``make lint`` validates the files against their JSON schemas; these tests check what a schema cannot.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import ENVIRONMENTS, load

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
DEPLOYED = tuple(env for env in ENVIRONMENTS if env != "local")  # local exists only on the emulator
ALL_FILES = sorted(WORKFLOWS.glob("*.yml")) + ACTIONS
MAIN_ONLY = "github.ref == 'refs/heads/main'"
_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def workflow(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps_running(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def all_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (p.name, name, job) for p in sorted(WORKFLOWS.glob("*.yml")) for name, job in workflow(p.name)["jobs"].items()
    ]


def uses_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if re.match(r"^\s*(- )?uses:", line)]


# --- supply chain --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.relative_to(GITHUB).as_posix())
def test_every_action_is_pinned_by_full_commit_sha_with_its_version(path: Path) -> None:
    lines = uses_lines(path)
    assert lines, f"{path.name} uses no action?"
    for line in lines:
        ref = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        if ref.startswith("./"):
            assert (ROOT / ref).exists(), f"{path.name}: local {ref} does not exist"
            continue
        assert _PINNED.match(ref), f"{path.name}: {ref!r} is not pinned by a 40-hex commit SHA"
        assert re.search(r"#\s*v\d+(\.\d+)*\s*$", line), f"{path.name}: {ref!r} has no '# vX.Y.Z' version comment"


def test_pin_check_rejects_a_tag() -> None:
    """Negative control for the check above."""
    assert not _PINNED.match("actions/checkout@v4")
    assert not _PINNED.match("actions/checkout@11bd719")
    assert _PINNED.match("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683")


def test_dependabot_updates_pip_npm_and_actions() -> None:
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    assert {"pip", "npm", "github-actions"} <= ecosystems
    actions = next(u for u in config["updates"] if u["package-ecosystem"] == "github-actions")
    directories = set(actions.get("directories", [actions.get("directory")]))
    assert "/" in directories
    for action in ACTIONS:  # composite actions are only scanned where listed
        assert f"/{action.parent.relative_to(ROOT).as_posix()}" in directories


def test_provider_plugins_are_cached_on_the_lock_file_and_init_is_read_only() -> None:
    setup = yaml.safe_load((GITHUB / "actions" / "setup-tools" / "action.yml").read_text())
    cache = next(s for s in setup["runs"]["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert "hashFiles('.terraform.lock.hcl')" in cache["with"]["key"]
    assert cache["with"]["path"] == "${{ env.TF_PLUGIN_CACHE_DIR }}"
    for path in WORKFLOWS.glob("*.yml"):
        document = workflow(path.name)
        for name, job in document["jobs"].items():
            for line in steps_running(job).splitlines():
                if re.search(r"terraform .*\binit\b", line):
                    assert "-lockfile=readonly" in line, f"{path.name}:{name}: {line.strip()}"
        if any("terraform" in steps_running(j) for j in document["jobs"].values()):
            assert "TF_PLUGIN_CACHE_DIR" in document.get("env", {}), path.name


def test_terraform_tests_run_on_github_hosted_runners() -> None:
    for name in ("pull-request.yml", "deploy.yml"):
        job = workflow(name)["jobs"]["test"]
        assert job["env"]["TF_ALLOW_REGISTRY"] == "1", name  # tests/conftest.py skips without it (no mirror there)
        assert "make test" in steps_running(job)


# --- permissions and plans -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "job", "body"), all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_job_declares_its_permissions(file: str, job: str, body: dict[str, Any]) -> None:
    assert "permissions" in body, f"{file}:{job} has no permissions block"
    if "id-token" in (body["permissions"] or {}):
        # An OIDC token is only handed to jobs that run in (or call workflows that run in) a GitHub environment.
        assert "environment" in body or "uses" in body, f"{file}:{job}"


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_no_binary_plan_is_uploaded(path: Path) -> None:
    document = workflow(path.name)
    for name, job in document["jobs"].items():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/upload-artifact@"):
                uploaded = step["with"]["path"]
                assert "tfplan" not in uploaded, f"{path.name}:{name}"
                assert ".plan" not in uploaded, f"{path.name}:{name}"
                for item in filter(None, (p.strip() for p in uploaded.splitlines())):
                    assert item.endswith((".txt", ".json")), f"{path.name}:{name} uploads {item}"
                assert step["with"]["retention-days"] <= 14
        # The binary and JSON plans are deleted even when a step fails.
        runs = steps_running(job)
        if "-out=" in runs:
            cleanup = [s for s in job["steps"] if s.get("if") == "always()" and "rm -f" in s.get("run", "")]
            assert cleanup or "rm -f" in runs, f"{path.name}:{name} leaves its plan file behind"


def test_plan_is_redacted_summarized_and_fingerprinted() -> None:
    plan = workflow("plan.yml")
    job = plan["jobs"]["plan"]
    assert job["environment"] == "${{ inputs.env }}-plan"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    runs = steps_running(job)
    assert "scripts/plan_summary.py" in runs
    assert '--markdown "$GITHUB_STEP_SUMMARY"' in runs
    assert "--text" in runs
    assert "--json" in runs
    assert (
        plan["on"]["workflow_call"]["outputs"]["changes_sha256"]["value"] == "${{ jobs.plan.outputs.changes_sha256 }}"
    )
    role = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert role["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"


def test_pull_requests_plan_dev_only_and_forks_get_a_notice() -> None:
    pr = workflow("pull-request.yml")
    assert "pull_request" in pr["on"]
    assert "pull_request_target" not in pr["on"]
    assert pr["permissions"] == {"contents": "read"}
    jobs = pr["jobs"]
    gates = steps_running(jobs["test"])
    for command in ("make synth", "make test", "make lint"):
        assert command in gates
    planned = {j["with"]["env"] for j in jobs.values() if j.get("uses") == "./.github/workflows/plan.yml"}
    assert planned == {"dev"}
    assert not any(j.get("uses") == "./.github/workflows/apply.yml" for j in jobs.values())
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    assert jobs["plan-dev"]["if"] == same_repo
    assert jobs["plan-dev"]["needs"] == "test"
    notice = jobs["fork-notice"]
    assert notice["if"] == same_repo.replace("==", "!=")
    assert notice["permissions"] == {}
    assert "::notice" in steps_running(notice)


def test_main_plans_then_waits_for_approval_then_applies_exactly_the_reviewed_plan() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    previous = "test"
    for env in DEPLOYED:
        plan, apply = jobs[f"plan-{env}"], jobs[f"apply-{env}"]
        assert plan["uses"] == "./.github/workflows/plan.yml"
        assert plan["needs"] == previous
        assert plan["with"] == {"env": env, "region": load(env).region}
        assert apply["uses"] == "./.github/workflows/apply.yml"
        assert apply["needs"] == f"plan-{env}"
        assert apply["with"] == {
            "env": env,
            "region": load(env).region,
            "reviewed_sha256": f"${{{{ needs.plan-{env}.outputs.changes_sha256 }}}}",
        }
        previous = f"apply-{env}"

    job = workflow("apply.yml")["jobs"]["apply"]
    assert job["environment"] == "${{ inputs.env }}"  # protection rules (required reviewers) gate it
    assert job["concurrency"]["cancel-in-progress"] is False
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    names = [s.get("name", "") for s in job["steps"]]
    compare = names.index("Re-plan and compare with the reviewed plan")
    apply = names.index("terraform apply (the reviewed plan, nothing else)")
    assert compare < apply
    assert '--expect-hash "$REVIEWED"' in job["steps"][compare]["run"]
    assert job["steps"][apply]["run"].rstrip().endswith("apply.plan")  # the compared plan, not a new one
    assert "scripts/verify_deployment.py" in steps_running(job)


def test_prod_runs_only_in_protected_environments() -> None:
    """Every job that touches prod does so in a GitHub environment (prod, prod-plan) with its protection rules."""
    for _file, _name, job in all_jobs():
        reusable = job.get("uses", "")
        if (
            reusable in ("./.github/workflows/plan.yml", "./.github/workflows/apply.yml")
            and job["with"]["env"] == "prod"
        ):
            called = workflow(Path(reusable).name)["jobs"]
            assert all("environment" in j and "${{ inputs.env }}" in j["environment"] for j in called.values())
    drift = workflow("drift.yml")["jobs"]["drift"]
    assert drift["environment"] == "${{ matrix.env }}-plan"


@pytest.mark.parametrize("name", ["deploy.yml", "drift.yml"])
def test_manual_dispatch_runs_only_from_main(name: str) -> None:
    document = workflow(name)
    assert "workflow_dispatch" in document["on"]
    for job_name, job in document["jobs"].items():
        assert job.get("if") == MAIN_ONLY, f"{name}:{job_name} can run from any branch"


def test_drift_is_detected_nightly_per_environment_with_the_plan_role_and_reported_in_one_issue() -> None:
    drift = workflow("drift.yml")
    assert drift["on"]["schedule"][0]["cron"]
    job = drift["jobs"]["drift"]
    matrix = {item["env"]: item["region"] for item in job["strategy"]["matrix"]["include"]}
    assert matrix == {env: load(env).region for env in DEPLOYED}
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    role = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert role["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    runs = steps_running(job)
    assert "-detailed-exitcode" in runs
    assert "gh issue comment" in runs
    assert "gh issue create" in runs
    steps = {s.get("name"): s for s in job["steps"]}
    assert steps["Fail the run on drift"]["if"] == "steps.plan.outputs.exitcode == '2'"
    assert "exit 1" in steps["Fail the run on drift"]["run"]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_stored_aws_keys_and_no_inline_expressions_in_scripts(path: Path) -> None:
    text = path.read_text()
    assert "AWS_ACCESS_KEY_ID" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    assert "secrets: inherit" not in text  # no workflow needs a stored secret
    # Inputs reach scripts through env:, never spliced into the shell text (script injection).
    if path.parent == WORKFLOWS:
        for job in workflow(path.name)["jobs"].values():
            for step in job.get("steps", []):
                assert "${{ inputs." not in step.get("run", ""), f"{path.name}: {step.get('name')}"
