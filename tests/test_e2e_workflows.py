"""The CI/CD workflows: what a reviewer would check by hand, asserted (``make lint`` checks the schema)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from environments import ENVIRONMENTS, load

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
DEPLOYED = tuple(env for env in ENVIRONMENTS if env != "local")  # local exists only on the emulator


def workflow(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps_running(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_pull_request_runs_the_gates_then_plans_every_environment_with_oidc() -> None:
    pr = workflow("pull-request.yml")
    assert "pull_request" in pr["on"]
    assert pr["permissions"] == {"contents": "read"}  # least privilege by default
    gates = steps_running(pr["jobs"]["test"])
    for command in ("make synth", "make test", "make lint"):
        assert command in gates

    plan = pr["jobs"]["plan"]
    assert plan["needs"] == "test"
    assert plan["permissions"]["id-token"] == "write"
    matrix = {item["env"]: item for item in plan["strategy"]["matrix"]["include"]}
    assert set(matrix) == set(DEPLOYED)
    for env, item in matrix.items():
        assert item["region"] == load(env).region
    uses = [step.get("uses", "") for step in plan["steps"]]
    assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    commands = steps_running(plan)
    assert "plan -input=false -lock=false" in commands
    assert "-out=" in commands
    assert "apply" not in commands  # a pull request never applies


def test_main_applies_in_order_behind_github_environments() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert [jobs[env]["needs"] for env in DEPLOYED] == ["test", *DEPLOYED[:-1]]
    for env in DEPLOYED:
        assert jobs[env]["uses"] == "./.github/workflows/apply.yml"
        assert jobs[env]["with"] == {"env": env, "region": load(env).region}

    apply = workflow("apply.yml")["jobs"]["apply"]
    assert apply["environment"] == "${{ inputs.env }}"  # protection rules (prod approval) apply
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert apply["permissions"]["id-token"] == "write"
    commands = steps_running(apply)
    assert 'apply -input=false "${{ inputs.env }}.tfplan"' in commands  # exactly the reviewed plan
    assert "scripts/verify_deployment.py" in commands


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_no_stored_aws_keys(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    assert "AWS_ACCESS_KEY_ID" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
