"""What only the SAM target can show: a 201 stored and enqueued (read back from the moto server on loopback), and
the front door failing closed when the data services are down. Skipped against a deployed stage, where the live
suite keeps to the public HTTP contract (tests/live/test_live_contract.py).

The fail-closed test pauses the moto server (SIGSTOP: connections are accepted, nothing answers, as with an
unreachable service) and resumes it afterwards, so the session's keys can still be deleted;
``scripts/local_api.py --run-live-tests`` passes the server's process id in ``LIVE_MOTO_PID``.
"""

from __future__ import annotations

import json
import os
import signal
import uuid

import pytest

pytestmark = pytest.mark.live

PROJECT = {"name": "sam-test", "type": "sam", "description": "created by tests/live under SAM CLI"}


@pytest.fixture(scope="module")
def emulator(target, live_env):
    if target != "sam":
        pytest.skip("reads the emulator's table and queue: only under SAM CLI (make local-api)")
    import boto3

    return {name: boto3.client(name, region_name=live_env.region) for name in ("dynamodb", "sqs", "lambda")}


def _function_env(emulator, live_env, function: str) -> dict[str, str]:
    config = emulator["lambda"].get_function_configuration(FunctionName=f"{live_env.name_prefix}-{function}")
    return config["Environment"]["Variables"]


def test_post_is_stored_and_enqueued_once_per_idempotency_key(api, key, emulator, live_env) -> None:
    variables = _function_env(emulator, live_env, "projects")
    idempotency_key = f"sam-{uuid.uuid4()}"
    body = json.dumps(PROJECT).encode()
    first = api.request("POST", "/api/projects", key=key, body=body, headers={"Idempotency-Key": idempotency_key})
    assert first.status == 201, first
    again = api.request("POST", "/api/projects", key=key, body=body, headers={"Idempotency-Key": idempotency_key})
    assert again.status == 201, again
    assert again.body["id"] == first.body["id"], again
    project_id = first.body["id"]
    item = (
        emulator["dynamodb"]
        .get_item(TableName=variables["PROJECTS_TABLE"], Key={"id": {"S": project_id}}, ConsistentRead=True)
        .get("Item")
    )
    assert item is not None
    assert item["name"]["S"] == PROJECT["name"], item
    events = []
    while True:
        received = (
            emulator["sqs"]
            .receive_message(QueueUrl=variables["PROJECTS_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=0)
            .get("Messages", [])
        )
        if not received:
            break
        events += [json.loads(m["Body"]) for m in received]
    mine = [e for e in events if e.get("id") == project_id]
    assert [e["event"] for e in mine] == ["project.created"], events


@pytest.mark.usefixtures("emulator")  # SAM only
def test_fails_closed_when_the_data_services_are_down(api, make_key) -> None:
    pid = os.environ.get("LIVE_MOTO_PID")
    if not pid:
        pytest.skip("stops the moto server: run by scripts/local_api.py --run-live-tests (LIVE_MOTO_PID)")
    fresh = make_key(1000)  # never seen by a warm authorizer: it must read DynamoDB
    os.kill(int(pid), signal.SIGSTOP)
    try:
        # /health with the data services down: tests/test_model_vs_sam.py (each such request waits out the
        # authorizer's DynamoDB timeouts, about 6 s).
        listing = api.request("GET", "/api/projects", key=fresh)
    finally:
        os.kill(int(pid), signal.SIGCONT)
    # SAM CLI answers 502 for an authorizer that fails; AWS answers with the AUTHORIZER_CONFIGURATION_ERROR (or
    # AUTHORIZER_FAILURE) gateway response, which the front door configures as 503 (docs/LOCAL-API.md, differences).
    assert listing.status == 502, listing


@pytest.mark.usefixtures("emulator")  # SAM only: the CLI against the moto server make local-api prints
def test_the_key_cli_creates_a_key_the_api_accepts(api) -> None:
    """``scripts/manage_keys.py --env local`` with the API_URL/AWS_ENDPOINT_URL lines' environment (make local-api)."""
    import subprocess
    import sys

    from tests.live.conftest import ROOT

    def cli(*args: str) -> dict:
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "manage_keys.py"), "--env", "local", "--json", *args],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    created = cli("create", "--name", "cli-test", "--rate-limit", "5")
    try:
        assert api.request("GET", "/health", key=created["api_key"]).status == 200
    finally:
        assert cli("delete", "--key-id", created["key_id"], "--yes")["key_id"] == created["key_id"]
