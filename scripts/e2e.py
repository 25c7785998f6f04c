#!/usr/bin/env python3
"""The real Terraform workflow, offline, against a moto server on loopback (``make e2e``).

    python scripts/e2e.py [--workdir DIR] [--keep]

Steps (each printed with its duration):

 1. synthesize ``local`` and ``prod`` (and their bootstrap stacks) into a temporary directory;
 2. start a moto server on a free loopback port (stopped at the end, even on failure);
 3. apply ``bootstrap-local`` (local state in the temporary directory) -> the state bucket;
 4. ``terraform init`` the ``local`` stack with its S3 backend pointed at the emulator through a
    ``-backend-config`` file written at init time; the provider reaches the emulator through
    ``AWS_ENDPOINT_URL`` and test credentials. Nothing about the emulator is synthesized;
 5. ``plan -out`` (changes expected), apply of that saved plan (the ``.tflock`` object must appear
    in the bucket while it runs and be gone afterwards), then a second plan with
    ``-detailed-exitcode`` = 0;
 6. ``terraform state list`` and ``terraform show -json`` parsed, outputs included; the state
    object read straight from the emulator's bucket must match ``terraform state pull``;
 7. ``scripts/verify_deployment.py`` on the stack outputs;
 8. destroy (``-refresh=false``: the empty second plan proved state and emulator agree), then the
    state must hold no resources;
 9. ``terraform plan`` of the full ``prod`` stack against the emulator with a local backend (a
    copy of the stack with override files; see :func:`prepare_offline_plan`).

With ``E2E_SAM=1`` (``make test`` sets it), between 7 and 8 the applied stack is also served through AWS
SAM CLI and the live suite runs against it (``scripts.local_api.e2e_phase``, docs/LOCAL-API.md).

Exit status 0 when every step passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.emulator.moto_server import MotoServer  # noqa: E402
from scripts.emulator.terraform import StepFailed, Terraform, tail  # noqa: E402
from scripts.emulator.tls import TlsMotoServer  # noqa: E402

#: moto's fixed account id: every resource the emulator creates lives in it.
EMULATOR_ACCOUNT_ID = "123456789012"
#: Terraform's graph walk width. The emulator is one process on a 2-core machine; the default 10 is fine.
PARALLELISM = 10
#: Outputs every environment stack exports (scripts/verify_deployment.py reads them).
EXPECTED_OUTPUTS = ("rest_api_id", "stage_name", "invoke_url", "table_names", "bucket_names", "usage_plan_ids",
                    "alert_topic_arns")  # fmt: skip
#: What Terraform prints when it waits for "yes".
APPROVAL_PROMPT = "Enter a value:"


# --------------------------------------------------------------------------- emulator wiring


def emulator_env(server: MotoServer, region: str) -> dict[str, str]:
    """Provider and boto3 settings for the emulator. Test credentials only, never real ones."""
    return {**server.env(region), "AWS_EC2_METADATA_DISABLED": "true"}


def write_backend_config(path: Path, *, endpoint: str) -> Path:
    """A ``-backend-config`` file that points the synthesized S3 backend at the emulator.

    Only the connection is overridden; bucket, key, region, encryption and ``use_lockfile``
    come from the synthesized stack, exactly as against real AWS.
    """
    path.write_text(
        f'endpoints = {{\n  s3  = "{endpoint}"\n  sts = "{endpoint}"\n}}\n'
        "use_path_style              = true\n"
        "skip_credentials_validation = true\n"
        "skip_requesting_account_id  = true\n"
        "skip_metadata_api_check     = true\n"
        "skip_region_validation      = true\n"
    )
    return path


def prepare_offline_plan(stack_dir: Path, target: Path, *, account_id: str = EMULATOR_ACCOUNT_ID) -> Path:
    """Copy a synthesized stack for a plan against the emulator, with override files.

    * ``backend_override.tf.json``: a local backend (a plan creates nothing, so no state bucket).
    * ``provider_override.tf.json``: ``allowed_account_ids`` of every AWS provider block set to the
      emulator's account. The real stack pins its own account (prod: 333333333333) so that it can
      never touch another; the emulator has exactly one account, 123456789012. The override lives
      only in this temporary copy.
    """
    shutil.copytree(stack_dir, target, ignore=shutil.ignore_patterns(".terraform"))
    document = json.loads((target / "cdk.tf.json").read_text())
    (target / "backend_override.tf.json").write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": str(target / "terraform.tfstate")}}}}, indent=2)
    )
    providers = document.get("provider", {}).get("aws", [])
    overrides = [
        {**({"alias": block["alias"]} if "alias" in block else {}), "allowed_account_ids": [account_id]}
        for block in providers
    ]
    if overrides:
        (target / "provider_override.tf.json").write_text(json.dumps({"provider": {"aws": overrides}}, indent=2))
    return target


def check_tls_only_policy(s3, bucket: str) -> str:
    """The state bucket's policy must deny non-TLS requests (the emulator honours it: see scripts.emulator.tls)."""
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    denies = [
        statement
        for statement in policy.get("Statement", [])
        if statement.get("Effect") == "Deny" and "aws:SecureTransport" in json.dumps(statement.get("Condition", {}))
    ]
    if not denies:
        raise StepFailed(f"s3://{bucket} has no TLS-only Deny statement: {policy}")
    return "TLS-only bucket policy in place"


def lock_key(state_key: str) -> str:
    """The object S3-native locking (``use_lockfile``) writes next to the state while a lock is held."""
    return f"{state_key}.tflock"


def object_exists(s3, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def wait_for_object(s3, bucket: str, key: str, process: subprocess.Popen[bytes], timeout: float = 600) -> bool:
    """True once ``key`` exists, False if ``process`` ends first (the object was never seen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if object_exists(s3, bucket, key):
            return True
        try:
            process.wait(timeout=0.1)  # wakes at once when the process ends
            return object_exists(s3, bucket, key)
        except subprocess.TimeoutExpired:
            continue
    raise StepFailed(f"neither s3://{bucket}/{key} nor the end of terraform within {timeout:.0f} s")


def wait_for_state_bucket(s3, bucket: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    """Return once ``bucket`` exists, versioned, with default encryption and a policy; fail if ``process`` fails."""
    from botocore.exceptions import ClientError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            versioned = s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
            if versioned and s3.get_bucket_encryption(Bucket=bucket) and s3.get_bucket_policy(Bucket=bucket):
                return
        except ClientError:
            pass  # not created yet
        try:
            status = process.wait(timeout=0.2)  # wakes at once if the apply ends
        except subprocess.TimeoutExpired:
            continue
        if status != 0:
            raise StepFailed(f"bootstrap apply exited {status} before the state bucket was ready")
    raise StepFailed(f"s3://{bucket} was not ready within {timeout:.0f} s")


def boto3_client(service: str, server: MotoServer, region: str):
    import boto3

    env = server.env(region)
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=server.url,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
        verify=env.get("AWS_CA_BUNDLE", True),
    )


# --------------------------------------------------------------------------- progress


@dataclass
class Progress:
    """Numbered progress lines with timings, and a summary at the end."""

    total: int
    stream = sys.stdout
    done: list[tuple[str, str, float]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @contextmanager
    def step(self, title: str) -> Iterator[list[str]]:
        number = len(self.done) + 1
        print(f"[e2e {number:>2}/{self.total}] {title} ...", file=self.stream, flush=True)
        notes: list[str] = []
        start = time.monotonic()
        try:
            yield notes
        except BaseException:
            elapsed = time.monotonic() - start
            self.done.append((title, "FAIL", elapsed))
            print(f"[e2e {number:>2}/{self.total}] {title}: FAILED after {elapsed:.1f} s", file=self.stream, flush=True)
            raise
        elapsed = time.monotonic() - start
        self.done.append((title, "ok", elapsed))
        detail = f" ({'; '.join(notes)})" if notes else ""
        print(f"[e2e {number:>2}/{self.total}] {title}: ok in {elapsed:.1f} s{detail}", file=self.stream, flush=True)

    def summary(self) -> str:
        width = max((len(t) for t, _, _ in self.done), default=10)
        lines = [f"{'step'.ljust(width)}  result  seconds"]
        lines += [f"{t.ljust(width)}  {r.ljust(6)}  {s:7.1f}" for t, r, s in self.done]
        lines.append(f"{'total'.ljust(width)}          {time.monotonic() - self.started:7.1f}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- the pipeline


def _resource_addresses(module: dict) -> list[str]:
    addresses = [r["address"] for r in module.get("resources", [])]
    for child in module.get("child_modules", []):
        addresses += _resource_addresses(child)
    return addresses


def run(workdir: Path, *, stream=sys.stdout) -> int:
    import main as synth_main
    from environments import load

    local = load("local")
    sam_phase = os.environ.get("E2E_SAM") == "1"
    progress = Progress(total=16 if sam_phase else 15)
    progress.stream = stream
    outdir = workdir / "cdktf.out"
    background: list[subprocess.Popen[bytes]] = []  # killed at the end if still running
    # HTTPS, so the stacks' TLS-only bucket policies behave as on AWS (see scripts/emulator/tls.py).
    server = TlsMotoServer(workdir / "tls", log_path=workdir / "moto.log")
    try:
        with progress.step("synthesize local and prod") as notes:
            synth_main.synth(["local", "prod"], outdir)
            notes.append(f"into {outdir}")
        stacks = outdir / "stacks"
        with progress.step("start the moto server") as notes:
            server.start()
            notes.append(server.url)
        tf = Terraform(emulator_env(server, local.region), log_dir=workdir / "logs")
        s3 = boto3_client("s3", server, local.state.region or local.region)

        bootstrap = stacks / "bootstrap-local"
        with progress.step("bootstrap: init + apply (local state) until the state bucket is ready") as notes:
            state_path = workdir / "bootstrap.tfstate"
            tf.run(bootstrap, "init", "-input=false", "-no-color", f"-backend-config=path={state_path}")
            # The bucket is usable once it exists, versioned, encrypted and TLS-only; the provider then
            # spends about a minute confirming the lifecycle configuration (ten consistent reads), so
            # the apply finishes in the background and is checked before the second plan.
            bootstrap_apply = tf.start_logged(
                bootstrap, workdir / "logs" / "bootstrap-apply.log",
                "apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={PARALLELISM}",
            )  # fmt: skip
            background.append(bootstrap_apply)
            wait_for_state_bucket(s3, local.state.bucket, bootstrap_apply)
            notes.append(f"s3://{local.state.bucket}: versioned, default encryption")
            notes.append(check_tls_only_policy(s3, local.state.bucket))

        stack = stacks / "local"
        with progress.step("init local with the S3 backend on the emulator"):
            tf.init_s3(stack, write_backend_config(workdir / "emulator.s3.tfbackend", endpoint=server.url))

        with progress.step("plan -out") as notes:
            result = tf.run(
                stack, "plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=local.tfplan",
                f"-parallelism={PARALLELISM}", ok_codes=(0, 2),
            )  # fmt: skip
            if result.returncode != 2:
                raise StepFailed("the first plan reported no changes: the local stack creates nothing")
            notes.append(next((ln for ln in result.stdout.splitlines() if ln.startswith("Plan:")), "changes"))

        lock = lock_key(local.state.key)
        with progress.step("apply the saved plan (lock object held while it runs)") as notes:
            log = workdir / "logs" / "local-apply.log"
            apply = tf.start_logged(stack, log, "apply", "-input=false", "-no-color", f"-parallelism={PARALLELISM}",
                                    "local.tfplan")  # fmt: skip
            try:
                seen = wait_for_object(s3, local.state.bucket, lock, apply)
                status = apply.wait(timeout=900)
            finally:
                if apply.poll() is None:
                    os.killpg(apply.pid, signal.SIGKILL)
            output = log.read_text()
            if status != 0:
                raise StepFailed(f"apply exited {status}:\n{tail(output)}")
            if not seen:
                raise StepFailed(f"s3://{local.state.bucket}/{lock} never appeared while the apply ran")
            notes.append(f"{lock} present during apply")
            if object_exists(s3, local.state.bucket, lock):
                raise StepFailed(f"s3://{local.state.bucket}/{lock} still exists after the apply")
            notes.append("gone after")
            notes.append(next((ln for ln in output.splitlines() if ln.startswith("Apply complete!")), ""))

        with progress.step("init-pepper out of band: the pepper is in no state and no saved plan") as notes:
            # Terraform creates the pepper secret without a value; manage_keys.py writes it.
            result = subprocess.run(
                [sys.executable, str(ROOT / "scripts" / "manage_keys.py"), "--env", "local", "init-pepper"],
                env={**os.environ, **emulator_env(server, local.region)},
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                raise StepFailed(f"manage_keys.py init-pepper exited {result.returncode}:\n{result.stderr}")
            secrets = boto3_client("secretsmanager", server, local.region)
            from modules.functions import keys as key_format

            text = secrets.get_secret_value(SecretId=f"{local.name_prefix}/auth/pepper")["SecretString"]
            peppers = [p.value.decode() for p in key_format.parse_pepper_secret(text).versions]
            state_text = tf.run(stack, "state", "pull").stdout
            with zipfile.ZipFile(stack / "local.tfplan") as plan_zip:
                plan_text = b"".join(plan_zip.read(name) for name in plan_zip.namelist()).decode("utf-8", "replace")
            if any(p in state_text or p in plan_text or p in result.stdout for p in peppers):
                raise StepFailed("a pepper value is in the Terraform state, the saved plan or the command output")
            notes.append(f"{len(peppers)} pepper version(s); absent from state, plan and output")

        with progress.step("bootstrap apply finished (exit 0)") as notes:
            status = bootstrap_apply.wait(timeout=600)
            output = (workdir / "logs" / "bootstrap-apply.log").read_text()
            if status != 0:
                raise StepFailed(f"bootstrap apply exited {status}:\n{tail(output)}")
            notes.append(next((ln for ln in output.splitlines() if ln.startswith("Apply complete!")), ""))

        with progress.step("second plan: no changes (-detailed-exitcode 0)"):
            result = tf.run(stack, "plan", "-input=false", "-no-color", "-detailed-exitcode", ok_codes=(0, 2))
            if result.returncode != 0:
                raise StepFailed(f"the second plan is not empty (exit {result.returncode}):\n{tail(result.stdout)}")

        with progress.step("inspect state: state list, show -json, the bucket object") as notes:
            listed = tf.state_list(stack)
            shown = tf.show_json(stack)
            values = shown.get("values") or {}
            addresses = _resource_addresses(values.get("root_module", {}))
            if sorted(listed) != sorted(addresses) or not listed:
                raise StepFailed(f"state list {listed} and show -json {addresses} disagree")
            outputs = values.get("outputs", {})
            missing = sorted(set(EXPECTED_OUTPUTS) - set(outputs))
            if missing:
                raise StepFailed(f"terraform show -json has no output {', '.join(missing)}")
            empty = sorted(k for k in EXPECTED_OUTPUTS if outputs[k].get("value") in (None, "", []))
            if empty:
                raise StepFailed(f"empty outputs after apply: {', '.join(empty)}")
            pulled = json.loads(tf.run(stack, "state", "pull").stdout)
            stored = json.loads(s3.get_object(Bucket=local.state.bucket, Key=local.state.key)["Body"].read())
            if (stored["lineage"], stored["serial"]) != (pulled["lineage"], pulled["serial"]):
                raise StepFailed("the state object in the emulator's bucket is not the state Terraform uses")
            notes.append(f"{len(listed)} resources, {len(outputs)} outputs, serial {stored['serial']}")

        with progress.step("verify_deployment.py on the stack outputs") as notes:
            outputs_file = workdir / "outputs.json"
            outputs_file.write_text(tf.run(stack, "output", "-json").stdout)
            result = subprocess.run(
                [sys.executable, str(ROOT / "scripts" / "verify_deployment.py"), "--env", "local",
                 "--outputs", str(outputs_file)],
                env={**os.environ, **emulator_env(server, local.region)},
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            print(result.stdout.rstrip(), file=stream)
            if result.returncode != 0:
                raise StepFailed(f"verify_deployment.py exited {result.returncode}:\n{result.stderr}")
            notes.append(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "")

        if sam_phase:
            with progress.step("SAM CLI serves the applied stack; the live suite against it") as notes:
                from scripts import local_api

                notes.append(local_api.e2e_phase(stack, tf, server, workdir, "local.tfplan"))

        with progress.step("destroy"):
            # -refresh=false: the empty second plan has just proven state and emulator agree.
            tf.run(stack, "destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false",
                   f"-parallelism={PARALLELISM}")  # fmt: skip

        with progress.step("state is empty after destroy") as notes:
            listed = tf.state_list(stack)
            stored = json.loads(s3.get_object(Bucket=local.state.bucket, Key=local.state.key)["Body"].read())
            if listed or stored.get("resources"):
                raise StepFailed(f"resources left in state after destroy: {listed or stored['resources']}")
            notes.append(f"0 resources, serial {stored['serial']}")

        with progress.step("prod: full plan against the emulator (local backend)") as notes:
            prod = load("prod")
            prod_tf = Terraform(emulator_env(server, prod.region), log_dir=workdir / "logs")
            copy = prepare_offline_plan(stacks / "prod", workdir / "prod-plan")
            prod_tf.run(copy, "init", "-input=false", "-no-color")
            result = prod_tf.run(
                copy, "plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=prod.tfplan",
                f"-parallelism={PARALLELISM}", ok_codes=(0, 2),
            )  # fmt: skip
            if result.returncode != 2:
                raise StepFailed("the prod plan reported no changes against an empty emulator")
            planned = json.loads(prod_tf.run(copy, "show", "-json", "prod.tfplan").stdout)
            creates = [c for c in planned.get("resource_changes", []) if c["change"]["actions"] == ["create"]]
            types = {c["type"] for c in creates}
            synthesized = set(json.loads((stacks / "prod" / "cdk.tf.json").read_text()).get("resource", {}))
            if synthesized - types:
                raise StepFailed(f"resource types of prod missing from its plan: {sorted(synthesized - types)}")
            applied = set(json.loads((stacks / "local" / "cdk.tf.json").read_text()).get("resource", {}))
            notes.append(f"{len(creates)} to create, all {len(types)} resource types")
            notes.append(f"only planned, not applied on the emulator: {', '.join(sorted(types - applied)) or 'none'}")

        with progress.step("stop the moto server"):
            server.stop()
    except StepFailed as error:
        print(f"\nerror: {error}", file=sys.stderr)
        print(f"moto log: {server.log_path}", file=sys.stderr)
        return 1
    finally:
        for process in background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        server.stop()
        print("\n" + progress.summary(), file=stream, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, help="working directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory afterwards")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="agenticai-e2e-"))
    workdir.mkdir(parents=True, exist_ok=True)
    status = 1
    try:
        status = run(workdir.resolve())
        return status
    finally:
        if args.keep or args.workdir or status != 0:  # a failure keeps the logs for the post-mortem
            print(f"working directory kept: {workdir} (Terraform output in logs/, moto's in moto.log)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
