"""Faults in the Terraform workflow, against a real moto server and the real terraform binary.

* two concurrent applies on one state: the second fails on the S3 lock and the state is untouched;
* a stale lock (the process holding it was SIGKILLed): shown by the next command, cleared with
  ``terraform force-unlock``;
* the emulator killed in the middle of an apply: after a restart the rerun converges with no
  duplicate resources.

The stack here is a small hand-written Terraform JSON (cheap, name-keyed resources), not the
product's stack: these tests are about the state backend and the workflow, and must not depend on
which resources the emulator implements. The S3 backend is configured exactly as the synthesized
stacks configure it (``encrypt``, ``use_lockfile``), and pointed at the emulator the same way
``make e2e`` does it (a ``-backend-config`` file at init time).

How "the emulator killed mid-apply" is made honest: moto keeps everything in memory, so a plain
restart would forget every resource and every state object, and a rerun would "converge" trivially
on an empty account. Real AWS does not forget, so the server here records every request
(``MOTO_ENABLE_RECORDING``) and, after the SIGKILL, a new server on the same port replays the
recording (``/moto-api/recorder/replay-recording``): the resources created before the crash exist
again, exactly as they would on AWS. The kill happens at a deterministic point: a
``terraform_data`` barrier whose ``local-exec`` blocks reading a FIFO, after the first half of the
resources and before the second half. Because the state backend is on the same (dead) emulator,
Terraform cannot save the final state or release its lock; it writes ``errored.tfstate``, which is
the documented recovery path: restart, ``force-unlock``, ``state push errored.tfstate``, apply.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from scripts.e2e import (
    APPROVAL_PROMPT,
    EMULATOR_ACCOUNT_ID,
    Terraform,
    boto3_client,
    emulator_env,
    lock_key,
    object_exists,
    write_backend_config,
)
from scripts.emulator.moto_server import MotoServer

pytestmark = pytest.mark.terraform

BUCKET = "agenticai-tfstate-faults"
REGION = "us-east-1"
LOCK_ERROR = "Error acquiring the state lock"


def write_stack(
    directory: Path, *, key: str, topics: tuple[str, ...] = (), log_groups: tuple[str, ...] = (), barrier=None
) -> Path:
    """A small stack with the same S3 backend settings as the synthesized ones.

    ``barrier``: a FIFO path. Topics are created before a ``terraform_data`` whose local-exec blocks
    until a line is written to the FIFO; log groups are created after it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    resources: dict = {"aws_sns_topic": {n.replace("-", "_"): {"name": n} for n in topics}}
    groups = {n.replace("-", "_"): {"name": n, "retention_in_days": 1} for n in log_groups}
    if barrier is not None:
        resources["terraform_data"] = {
            "barrier": {
                "depends_on": [f"aws_sns_topic.{n.replace('-', '_')}" for n in topics],
                "provisioner": [{"local-exec": {"command": f"read line < '{barrier}'"}}],
            }
        }
        for group in groups.values():
            group["depends_on"] = ["terraform_data.barrier"]
    if groups:
        resources["aws_cloudwatch_log_group"] = groups
    document = {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}},
            "backend": {
                "s3": {
                    "bucket": BUCKET,
                    "key": key,
                    "region": REGION,
                    "encrypt": True,
                    "use_lockfile": True,
                    "max_retries": 1,
                }
            },
        },
        # One attempt per call: a dead endpoint fails in seconds instead of the default 25 retries.
        "provider": {"aws": [{"region": REGION, "allowed_account_ids": [EMULATOR_ACCOUNT_ID], "max_retries": 1}]},
        "resource": resources,
    }
    (directory / "main.tf.json").write_text(json.dumps(document, indent=2))
    return directory


@pytest.fixture
def emulator(tmp_path: Path):
    """A moto server of this test's own (the crash test kills it), recording every request."""
    recording = tmp_path / "moto.recording"
    os.environ["MOTO_ENABLE_RECORDING"] = "True"
    os.environ["MOTO_RECORDER_FILEPATH"] = str(recording)
    server = MotoServer(log_path=tmp_path / "moto.log")
    try:
        server.start()
    finally:
        del os.environ["MOTO_ENABLE_RECORDING"], os.environ["MOTO_RECORDER_FILEPATH"]
    server.recording = recording
    boto3_client("s3", server, REGION).create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


@pytest.fixture
def tf(emulator: MotoServer, terraform: Terraform) -> Terraform:
    """The session runner with this test's emulator (the ``terraform`` fixture skips where terraform is absent)."""
    return Terraform(emulator_env(emulator, REGION), binary=terraform.binary)


def init(tf: Terraform, stack: Path, server: MotoServer) -> Path:
    tf.init_s3(stack, write_backend_config(stack / "emulator.s3.tfbackend", endpoint=server.url))
    return stack


def state_object(server: MotoServer, key: str) -> tuple[bytes, dict]:
    body = boto3_client("s3", server, REGION).get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body, json.loads(body)


def lock_info(server: MotoServer, key: str) -> dict:
    body = boto3_client("s3", server, REGION).get_object(Bucket=BUCKET, Key=lock_key(key))["Body"].read()
    return json.loads(body)


def test_concurrent_apply_fails_on_the_lock_and_leaves_state_intact(tf, emulator, tmp_path) -> None:
    key = "concurrent/terraform.tfstate"
    s3 = boto3_client("s3", emulator, REGION)
    first = init(tf, write_stack(tmp_path / "runner-a", key=key, topics=("fx-base",)), emulator)
    tf.run(first, "apply", "-auto-approve", "-input=false", "-no-color")
    before_bytes, before = state_object(emulator, key)

    # Two CI runners change the same environment at once.
    write_stack(first, key=key, topics=("fx-base", "fx-from-a"))
    second = init(tf, write_stack(tmp_path / "runner-b", key=key, topics=("fx-base", "fx-from-b")), emulator)
    holder = tf.start(first, "apply", "-no-color")
    try:
        holder.wait_for(APPROVAL_PROMPT)  # runner A holds the lock while it waits for approval
        held = lock_info(emulator, key)

        loser = tf.run(second, "apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s", check=False)
        assert loser.returncode == 1
        assert LOCK_ERROR in loser.stderr
        assert held["ID"] in loser.stderr  # the error names the lock holder's ID
        assert state_object(emulator, key)[0] == before_bytes  # state untouched...
        assert lock_info(emulator, key) == held  # ...and the lock still A's

        holder.answer("yes")
        assert holder.finish() == 0, holder.output
    finally:
        holder.kill()

    _, after = state_object(emulator, key)
    assert after["lineage"] == before["lineage"]
    assert after["serial"] > before["serial"]
    names = {r["name"] for r in after["resources"]}
    assert names == {"fx_base", "fx_from_a"}
    topics = {t["TopicArn"].rsplit(":", 1)[1] for t in boto3_client("sns", emulator, REGION).list_topics()["Topics"]}
    assert topics == {"fx-base", "fx-from-a"}  # runner B created nothing
    assert not object_exists(s3, BUCKET, lock_key(key))


def test_stale_lock_is_reported_and_cleared_with_force_unlock(tf, emulator, tmp_path) -> None:
    key = "stale/terraform.tfstate"
    s3 = boto3_client("s3", emulator, REGION)
    stack = init(tf, write_stack(tmp_path / "stack", key=key, topics=("fx-stale",)), emulator)
    crashed = tf.start(stack, "apply", "-no-color")
    crashed.wait_for(APPROVAL_PROMPT)
    crashed.kill()  # a CI runner dies while holding the lock: nothing releases it
    assert object_exists(s3, BUCKET, lock_key(key))
    stale = lock_info(emulator, key)

    blocked = tf.run(stack, "plan", "-input=false", "-no-color", "-lock-timeout=0s", check=False)
    assert blocked.returncode == 1
    assert LOCK_ERROR in blocked.stderr
    shown_id = re.search(r"^\s*ID:\s+(\S+)", blocked.stderr, re.MULTILINE)
    assert shown_id is not None
    assert shown_id.group(1) == stale["ID"]
    assert stale["Operation"] == "OperationTypeApply"

    tf.run(stack, "force-unlock", "-force", shown_id.group(1))
    assert not object_exists(s3, BUCKET, lock_key(key))
    result = tf.run(stack, "apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s")
    assert "1 added" in result.stdout


def _restart_and_replay(server: MotoServer) -> None:
    """A new server on the same port, with every recorded request replayed (AWS does not forget)."""
    os.environ["MOTO_ENABLE_RECORDING"] = "True"
    os.environ["MOTO_RECORDER_FILEPATH"] = str(server.recording)
    try:
        server.start()
    finally:
        del os.environ["MOTO_ENABLE_RECORDING"], os.environ["MOTO_RECORDER_FILEPATH"]
    request = urllib.request.Request(f"{server.url}/moto-api/recorder/replay-recording", method="POST")  # noqa: S310
    urllib.request.urlopen(request, timeout=120).close()  # noqa: S310 - loopback emulator


def test_emulator_killed_mid_apply_then_rerun_converges_without_duplicates(tf, emulator, tmp_path) -> None:
    key = "crash/terraform.tfstate"
    topics, groups = ("fx-crash-1", "fx-crash-2"), ("fx-crash-3", "fx-crash-4")
    fifo = tmp_path / "barrier.fifo"
    os.mkfifo(fifo)
    stack = init(tf, write_stack(tmp_path / "stack", key=key, topics=topics, log_groups=groups, barrier=fifo), emulator)

    apply = tf.start(stack, "apply", "-auto-approve", "-input=false", "-no-color")
    try:
        apply.wait_for("terraform_data.barrier: Provisioning with 'local-exec'")
        emulator.kill()  # SIGKILL: the API and the state backend vanish mid-apply
        with open(fifo, "w") as barrier:
            barrier.write("go\n")
        assert apply.finish() == 1
    finally:
        apply.kill()
    assert "Failed to save state" in apply.output or "Failed to persist state" in apply.output, apply.output
    errored = stack / "errored.tfstate"
    assert errored.is_file(), apply.output
    saved = {r["name"] for r in json.loads(errored.read_text())["resources"]}
    assert saved == {"fx_crash_1", "fx_crash_2", "barrier"}

    _restart_and_replay(emulator)
    sns, logs = boto3_client("sns", emulator, REGION), boto3_client("logs", emulator, REGION)
    assert {t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]} == set(topics)  # survived

    # The recovery runbook: clear the lock the crashed apply could not release, push the saved state.
    stale = lock_info(emulator, key)
    tf.run(stack, "force-unlock", "-force", stale["ID"])
    tf.run(stack, "state", "push", "errored.tfstate")
    rerun = tf.run(stack, "apply", "-auto-approve", "-input=false", "-no-color")
    assert "Resources: 2 added, 0 changed, 0 destroyed" in rerun.stdout
    tf.run(stack, "plan", "-input=false", "-no-color", "-detailed-exitcode")  # exit 0: converged

    topic_names = [t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]]
    group_names = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="fx-crash")["logGroups"]]
    assert sorted(topic_names) == sorted(topics)  # no duplicates
    assert sorted(group_names) == sorted(groups)
    _, state = state_object(emulator, key)
    assert sorted(r["name"] for r in state["resources"]) == sorted(
        ["barrier", *(n.replace("-", "_") for n in topics + groups)]
    )
    shutil.rmtree(stack / ".terraform", ignore_errors=True)
