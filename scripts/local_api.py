#!/usr/bin/env python3
"""Serve the ``local`` environment's stack on 127.0.0.1 with AWS SAM CLI (``make local-api``).

    python scripts/local_api.py [--port 3000] [--workdir DIR] [--check-workaround] [--run-live-tests [-- PYTEST_ARGS]]
    python scripts/local_api.py --prepare-only

Installs what is missing (Debian's docker.io and debootstrap, the pinned SAM CLI venv .venv-sam, the
local Lambda image), starts dockerd with forwarding off, a moto server on loopback, applies the
``local`` stack to it from a temporary copy, prepares the plan file SAM reads, and runs
``sam local start-api`` with the Lambda containers in the host's network namespace. When ready it
prints ``API_URL=...`` and ``AWS_ENDPOINT_URL=...`` and serves until interrupted; with
``--run-live-tests`` it runs the live suite against it instead (tests/live, tests/test_model_vs_sam.py), then
stops. ``--prepare-only`` installs what is missing and stops (``make test`` runs it in the background);
:func:`e2e_phase` is the same judge on the stack that scripts/e2e.py has applied.

On any exit it stops what it started: SAM (its process group), the Lambda containers, moto, and
dockerd if it started it. Bad set-up (not root, no Docker possible, port in use, SAM failing to link)
is one ``error:`` line and exit 2. docs/LOCAL-API.md explains each step and what it costs.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.emulator.moto_server import MotoServer  # noqa: E402
from scripts.emulator.terraform import StepFailed, Terraform, tail  # noqa: E402
from scripts.sam import image, launch  # noqa: E402
from scripts.sam.moto import LocalApiMotoServer  # noqa: E402

ENV = "local"
SAM_VENV = ROOT / ".venv-sam"
SAM_REQUIREMENTS = ROOT / "requirements-sam.txt"
SAM_LAUNCHER = ROOT / "scripts" / "sam" / "launch.py"
#: Containers reach only the host: no NAT, no forwarding, no iptables rules of Docker's own
#: (https://docs.docker.com/engine/network/packet-filtering-firewalls/).
DOCKERD_FLAGS = ("--iptables=false", "--ip-masq=false", "--ip-forward=false")
DOCKER_NETWORK = "host"
#: The dockerd this project starts listens here, not on Docker's default socket: only this run's processes
#: (docker CLI, SAM CLI; ``DOCKER_HOST``) find it. moto's own Lambda runner would otherwise find it too and try
#: to pull images from a registry when the worker's queue gets a message (scripts/sam/moto.py).
DOCKER_HOST = "unix:///run/agenticai-docker.sock"
DOCKERD_PIDFILE = "/run/agenticai-docker.pid"
#: Debian package of each command the run needs.
APT_PACKAGES = {"dockerd": "docker.io", "debootstrap": "debootstrap"}
#: What SAM prints when the JSON-syntax plan is not prepared (docs/LOCAL-API.md, "the JSON-syntax workaround").
LINK_FAILURE = "is missing the 'RestApiId' property"
DEFAULT_PORT = 3000
#: Held while installing (packages, image, venv): the background preparation of ``make test`` and the e2e share it.
PREPARE_LOCK = ROOT / "build" / "local-api" / "prepare.lock"
#: Where a Lambda container finds the emulator's CA when moto speaks HTTPS (the e2e's server): scripts/sam/launch.py.
CONTAINER_CA_BUNDLE = launch.CONTAINER_CA_BUNDLE


class SetupError(Exception):
    """Bad set-up: printed as one ``error:`` line naming the cause and the fix; exit 2."""


# --------------------------------------------------------------------------- checks


def check_root(euid: int | None = None) -> None:
    euid = os.geteuid() if euid is None else euid
    if euid != 0:
        raise SetupError(f"local-api must run as root (uid 0), got uid {euid}: it installs packages and starts dockerd")


def check_port_free(port: int, host: str = "127.0.0.1") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            raise SetupError(f"port: {host}:{port} is in use; stop what listens there or pass --port N") from None


def missing_packages(which: Callable[[str], str | None] = shutil.which) -> list[str]:
    return sorted({package for command, package in APT_PACKAGES.items() if which(command) is None})


def install_packages(packages: Sequence[str], log: Path) -> None:
    """``apt-get install`` of Debian packages; one ``apt-get update`` first."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        with open(log, "ab") as sink:
            done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, env=env, check=False)
        if done.returncode != 0:
            raise SetupError(f"{' '.join(command[:2])} exited {done.returncode} installing {', '.join(packages)} "
                             f"(log: {log}); install them by hand")  # fmt: skip


# --------------------------------------------------------------------------- dockerd


def dockerd_command(dockerd: str = "dockerd") -> list[str]:
    return [dockerd, *DOCKERD_FLAGS, f"--host={DOCKER_HOST}", f"--pidfile={DOCKERD_PIDFILE}"]


def docker_answers(timeout: float = 10, host: str | None = None) -> bool:
    """Whether a daemon answers on ``host`` (default: ``DOCKER_HOST`` or Docker's default socket)."""
    command = ["docker", *(["--host", host] if host else []), "info"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@dataclass
class Dockerd:
    """A dockerd this run started (stopped again by :meth:`stop`), or None when one already answered.

    While it runs, ``DOCKER_HOST`` in this process's environment points at it (restored by :meth:`stop`), so the
    docker CLI and SAM CLI started from here use it.
    """

    log: Path
    process: subprocess.Popen[bytes] | None = None
    previous_host: str | None = None
    #: net.ipv4.ip_forward before the start, restored by :meth:`stop` (None: not read).
    previous_forward: str | None = None

    def start(self, timeout: float = 60) -> bool:
        """True if this call started dockerd; False if one already answered (``DOCKER_HOST`` or the default)."""
        if docker_answers():
            return False
        if docker_answers(host=DOCKER_HOST):
            raise SetupError(f"another local-api run's dockerd answers on {DOCKER_HOST}: wait for that run to end "
                             "(one run at a time)")  # fmt: skip
        self.previous_forward = read_ip_forward()
        if self.previous_forward != "0":
            subprocess.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"], capture_output=True, check=False)
        self.previous_host = os.environ.get("DOCKER_HOST")
        os.environ["DOCKER_HOST"] = DOCKER_HOST
        with open(self.log, "ab") as sink:
            self.process = subprocess.Popen(
                dockerd_command(), stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                last = tail(self.log.read_text(errors="replace"), 1)
                self.stop()
                raise SetupError(f"dockerd exited during start-up: {last} (no Docker possible here; log: {self.log})")
            if docker_answers(timeout=2):
                return True
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.5)  # wakes at once if dockerd dies
        self.stop()
        raise SetupError(f"dockerd did not answer within {timeout:.0f} s (log: {self.log})")

    def stop(self) -> None:
        if self.process is None:
            return
        stop_group(self.process, grace=30)
        self.process = None
        if self.previous_host is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = self.previous_host
        if self.previous_forward not in (None, "0"):
            subprocess.run(["sysctl", "-q", "-w", f"net.ipv4.ip_forward={self.previous_forward}"],
                           capture_output=True, check=False)  # fmt: skip


def read_ip_forward(path: Path = Path("/proc/sys/net/ipv4/ip_forward")) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def stop_group(process: subprocess.Popen[bytes] | None, grace: float = 15) -> None:
    """SIGTERM a process group started with ``start_new_session``, SIGKILL after ``grace`` seconds."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def remove_lambda_containers(tag: str) -> int:
    """Remove every container of the Lambda image ``tag`` (SAM's warm containers, if SAM left any)."""
    listed = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"ancestor={tag}"], capture_output=True, text=True, check=False
    )
    ids = listed.stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, check=False)
    return len(ids)


# --------------------------------------------------------------------------- SAM CLI venv


def requirements_hash(path: Path = SAM_REQUIREMENTS) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_sam_venv(log: Path, venv: Path = SAM_VENV) -> tuple[Path, bool]:
    """The SAM CLI venv's python, and whether it was (re)installed now (its stamp holds the requirements' hash)."""
    stamp = venv / ".installed"
    python = venv / "bin" / "python"
    wanted = requirements_hash()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python, False
    with open(log, "ab") as sink:
        for command in ([sys.executable, "-m", "venv", str(venv)],
                        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                         "-r", str(SAM_REQUIREMENTS)]):  # fmt: skip
            if subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, check=False).returncode != 0:
                raise SetupError(f"installing the SAM CLI venv failed: {' '.join(command[:3])} (log: {log})")
    stamp.write_text(wanted + "\n")
    return python, True


# --------------------------------------------------------------------------- the stack and the plan file


def function_env_overrides(
    document: dict[str, Any], endpoint: str, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """An override file's content: each function's environment plus ``AWS_ENDPOINT_URL``.

    SAM passes a container only the variables its function declares, so boto3 in the container
    would otherwise call AWS. An override replaces the whole ``environment`` block, so it repeats the
    function's variables.
    """
    functions = document.get("resource", {}).get("aws_lambda_function", {})
    overridden = {}
    for name, function in functions.items():
        blocks = function.get("environment") or {}
        variables = dict(blocks.get("variables") or {})
        variables["AWS_ENDPOINT_URL"] = endpoint
        variables.update(extra or {})
        overridden[name] = {"environment": {"variables": variables}}
    return {"resource": {"aws_lambda_function": overridden}}


def prepare_stack(stack_dir: Path, target: Path, endpoint: str) -> Path:
    """A temporary copy of the synthesized stack with a local backend and the functions' endpoint.

    The synthesized JSON (cdktf.out, goldens) is never changed: only override files in the copy.
    """
    shutil.copytree(stack_dir, target, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    document = json.loads((target / "cdk.tf.json").read_text())
    (target / "backend_override.tf.json").write_text(
        json.dumps({"terraform": {"backend": {"local": {"path": str(target / "terraform.tfstate")}}}}, indent=2)
    )
    (target / "sam_override.tf.json").write_text(json.dumps(function_env_overrides(document, endpoint), indent=2))
    return target


def drop_referencing_constants(node: Any) -> int:
    """Remove, in place, every ``constant_value`` that sits next to ``references``; returns how many.

    ``terraform show -json`` reports a JSON-syntax (``.tf.json``) interpolation such as
    ``"${aws_api_gateway_rest_api.x.id}"`` as a ``constant_value`` string *with* ``references``.
    SAM CLI's Terraform hook prefers the constant, so it links no method, integration or authorizer
    to the REST API. Without the constant it follows the references (docs/LOCAL-API.md).
    """
    removed = 0
    if isinstance(node, dict):
        if "constant_value" in node and node.get("references"):
            del node["constant_value"]
            removed += 1
        for value in node.values():
            removed += drop_referencing_constants(value)
    elif isinstance(node, list):
        for value in node:
            removed += drop_referencing_constants(value)
    return removed


def show_plan(tf: Terraform, stack: Path, saved: str, name: str) -> tuple[Path, Path, int]:
    """``show -json`` of a saved plan: (raw JSON file, prepared JSON file, constants dropped)."""
    raw_text = tf.run(stack, "show", "-json", "-no-color", saved).stdout
    raw = stack / f"{name}.raw.json"
    raw.write_text(raw_text)
    plan = json.loads(raw_text)
    removed = drop_referencing_constants(plan.get("configuration", {}))
    prepared = stack / f"{name}.sam.json"
    prepared.write_text(json.dumps(plan))
    return raw, prepared, removed


def apply_and_plan(tf: Terraform, stack: Path) -> tuple[tuple[Path, Path, int], tuple[Path, Path, int]]:
    """init, ``plan -out``, apply of that plan, then a second plan: the plan files of (before, after) the apply.

    SAM serves the second: every value is known in it (the queue's URL in the projects function's environment).
    The first has unknown values, which is where SAM needs the JSON-syntax workaround (docs/LOCAL-API.md).
    The second plan runs with ``-refresh=false``: the apply has just written the state, and the buckets'
    TLS-only policies refuse the plain-HTTP reads of a refresh (the functions' code comes from the local asset).
    """
    tf.run(stack, "init", "-input=false", "-no-color")
    tf.run(stack, "plan", "-input=false", "-no-color", "-out=apply.tfplan", "-parallelism=10")
    before = show_plan(tf, stack, "apply.tfplan", "plan-before-apply")
    tf.run(stack, "apply", "-input=false", "-no-color", "-parallelism=10", "apply.tfplan")
    tf.run(stack, "plan", "-input=false", "-no-color", "-refresh=false", "-out=sam.tfplan")
    return before, show_plan(tf, stack, "sam.tfplan", "plan")


# --------------------------------------------------------------------------- SAM


def sam_command(python: Path, plan_file: Path, invoke_image: str, port: int) -> list[str]:
    return [
        str(python), str(SAM_LAUNCHER), "local", "start-api",
        "--hook-name", "terraform", "--terraform-plan-file", str(plan_file),
        "--skip-pull-image", "--invoke-image", invoke_image,
        "--docker-network", DOCKER_NETWORK, "--warm-containers", "LAZY",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip


def declared_variables(plan_file: Path) -> set[str]:
    """Every environment variable name a function declares in the plan file SAM reads."""
    plan = json.loads(plan_file.read_text())
    names: set[str] = set()
    for resource in plan.get("planned_values", {}).get("root_module", {}).get("resources", []):
        if resource.get("type") == "aws_lambda_function":
            for block in resource.get("values", {}).get("environment") or []:
                names.update((block.get("variables") or {}).keys())
    return names


def sam_env(ca_bundle: str | None = None, declared: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """SAM CLI's environment: telemetry off; no ``AWS_*`` variable and none that a function declares.

    SAM gives a container's declared variables the value of the same name in *its own* environment, when there
    is one (samcli/local/lambdafn/env_vars.py: "Shell environment values, second priority"): a machine-wide
    ``AWS_CA_BUNDLE`` would replace the emulator's CA, an ``AWS_ENDPOINT_URL`` the emulator. SAM needs neither
    (it reads the plan file). The launcher mounts ``ca_bundle`` (a host file) into each container.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in declared}
    env.pop("AGENTICAI_SAM_CA_BUNDLE", None)
    env["SAM_CLI_TELEMETRY"] = "0"
    if ca_bundle:
        env["AGENTICAI_SAM_CA_BUNDLE"] = ca_bundle
    return env


def start_sam(command: list[str], cwd: Path, log: Path, ca_bundle: str | None = None) -> subprocess.Popen[bytes]:
    plan_file = Path(command[command.index("--terraform-plan-file") + 1])
    env = sam_env(ca_bundle, declared_variables(cwd / plan_file))
    with open(log, "ab") as sink:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip


def wait_for_api(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    """Return once ``url`` answers HTTP (any status); SetupError if SAM exits first (linking failed...)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(sam_failure(log.read_text(errors="replace"), process.returncode, log))
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - http://127.0.0.1 only
            return
        except urllib.error.HTTPError:
            return  # an answer (401: /health is behind the key)
        except OSError:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.3)  # wakes at once if SAM exits
    raise SetupError(f"SAM CLI did not serve {url} within {timeout:.0f} s (log: {log})")


def sam_failure(output: str, status: int | None, log: Path) -> str:
    if LINK_FAILURE in output:
        line = next(ln for ln in output.splitlines() if LINK_FAILURE in ln).strip()
        return (f"SAM CLI failed to link the Terraform plan ({line}); the plan file needs the JSON-syntax "
                f"workaround (docs/LOCAL-API.md; log: {log})")  # fmt: skip
    last = tail(output, 1) or "no output"
    return f"SAM CLI exited {status}: {last} (log: {log})"


def check_workaround(python: Path, before: tuple[Path, Path, int], cwd: Path, tag: str, log_dir: Path) -> str:
    """On the plan made before the apply: SAM must fail to link the raw one and serve the prepared one.

    Fails (StepFailed) if the workaround is no longer needed (the raw plan links) or no longer works.
    """
    raw, prepared, _ = before
    log = log_dir / "sam-raw-plan.log"
    raw_run = start_sam(sam_command(python, raw, tag, free_port()), cwd, log)
    try:
        status = raw_run.wait(timeout=300)
    except subprocess.TimeoutExpired:
        status = None
    finally:
        stop_group(raw_run)
    output = log.read_text(errors="replace")
    if status is None or LINK_FAILURE not in output:
        raise StepFailed(f"SAM CLI linked the raw `terraform show -json` plan (exit {status}): the JSON-syntax "
                         f"workaround may no longer be needed; update docs/LOCAL-API.md (log: {log})")  # fmt: skip
    port = free_port()
    log = log_dir / "sam-prepared-plan.log"
    prepared_run = start_sam(sam_command(python, prepared, tag, port), cwd, log)
    try:
        wait_for_api(f"http://127.0.0.1:{port}/health", prepared_run, log)
    except SetupError as error:
        raise StepFailed(f"the JSON-syntax workaround no longer works: {error}") from None
    finally:
        stop_group(prepared_run)
    return "before the apply: the raw plan fails to link, the prepared one serves"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- the run


@dataclass
class Phases:
    """Each phase's duration, printed on stderr (stdout carries only the API_URL=/AWS_ENDPOINT_URL= lines)."""

    done: list[tuple[str, float]] = field(default_factory=list)

    @contextlib.contextmanager
    def phase(self, title: str) -> Iterator[list[str]]:
        notes: list[str] = []
        start = time.monotonic()
        print(f"[local-api] {title} ...", file=sys.stderr, flush=True)
        yield notes
        elapsed = time.monotonic() - start
        self.done.append((title, elapsed))
        detail = f" ({'; '.join(notes)})" if notes else ""
        print(f"[local-api] {title}: {elapsed:.1f} s{detail}", file=sys.stderr, flush=True)


class Interrupted(Exception):
    """SIGTERM or SIGINT: stop serving and clean up."""


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def prepare_lock() -> Iterator[None]:
    """One installer at a time: ``make test`` prepares in the background while the e2e may already need it."""
    PREPARE_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(PREPARE_LOCK, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prerequisites(phases: Phases, logs: Path, dockerd: Dockerd, *, only: bool = False) -> tuple[str, Path]:
    """Debian packages, dockerd, the Lambda image, the SAM CLI venv: (the image's tag, the venv's python).

    ``only`` (``--prepare-only``): a dockerd started here is stopped before the lock is released, so that a
    run waiting for the lock never reuses a dockerd that is about to stop.
    """
    with prepare_lock():
        with phases.phase("Debian packages (docker.io, debootstrap)") as notes:
            missing = missing_packages()
            if missing:
                install_packages(missing, logs / "apt.log")
            notes.append(f"installed {', '.join(missing)}" if missing else "present")
        with phases.phase("dockerd") as notes:
            started = dockerd.start()
            notes.append(f"started with {' '.join(DOCKERD_FLAGS)}" if started else "already running: reused")
        with phases.phase("Lambda image") as notes:
            tag, built = image.ensure(logs / "image.log")
            notes.append(f"{tag} {'built' if built else 'present'}")
        with phases.phase("SAM CLI venv") as notes:
            sam_python, installed = ensure_sam_venv(logs / "sam-venv.log")
            notes.append("installed" if installed else "present")
        if only:
            dockerd.stop()
    return tag, sam_python


def serve_sam(phases: Phases, python: Path, plan_file: Path, tag: str, port: int, stack: Path, logs: Path,
              ca_bundle: str | None = None) -> subprocess.Popen[bytes]:  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with phases.phase("SAM CLI start-api") as notes:
        sam = start_sam(sam_command(python, plan_file, tag, port), stack, logs / "sam.log", ca_bundle)
        try:
            wait_for_api(f"{url}/health", sam, logs / "sam.log")
        except BaseException:
            stop_group(sam)
            raise
        notes.append(url)
    return sam


def stop_all(sam: subprocess.Popen[bytes] | None, tag: str, server: MotoServer | None, dockerd: Dockerd) -> None:
    """Stop SAM (its process group), the Lambda containers, moto and dockerd if this run started it."""
    with contextlib.suppress(Interrupted):
        stop_group(sam)
        if tag and docker_answers():
            remove_lambda_containers(tag)
        if server is not None:
            server.stop()
        dockerd.stop()


def serve(args: argparse.Namespace) -> int:
    workdir: Path = args.workdir
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    phases = Phases()
    check_root()
    if not args.prepare_only:
        check_port_free(args.port)
    dockerd = Dockerd(logs / "dockerd.log")
    server = LocalApiMotoServer(log_path=logs / "moto.log")
    sam: subprocess.Popen[bytes] | None = None
    tag = ""
    try:
        tag, sam_python = prerequisites(phases, logs, dockerd, only=args.prepare_only)
        if args.prepare_only:
            return 0
        with phases.phase("moto server") as notes:
            server.start()
            notes.append(server.url)
        with phases.phase("synthesize, apply the local stack, plan file") as notes:
            synthesize(workdir / "cdktf.out")
            stack = prepare_stack(workdir / "cdktf.out" / "stacks" / ENV, workdir / "stack", server.url)
            env = {**server.env(), "AWS_EC2_METADATA_DISABLED": "true"}
            tf = Terraform(env, log_dir=logs)
            before, (_, plan_file, removed) = apply_and_plan(tf, stack)
            init_pepper(env)
            notes.append(f"{removed} referencing constant_value entries dropped")
        if args.check_workaround:
            with phases.phase("the JSON-syntax workaround is still needed") as notes:
                notes.append(check_workaround(sam_python, before, stack, tag, logs))
        sam = serve_sam(phases, sam_python, plan_file, tag, args.port, stack, logs)
        url = f"http://127.0.0.1:{args.port}"
        print(f"API_URL={url}", flush=True)
        print(f"AWS_ENDPOINT_URL={server.url}", flush=True)
        if args.run_live_tests:
            with phases.phase("pytest -m live against SAM") as notes:
                status = run_live_tests(url, server, args.pytest_args)
                notes.append(f"pytest exit {status}")
            return status
        print("[local-api] serving; Ctrl-C stops SAM, the containers, moto and dockerd", file=sys.stderr, flush=True)
        sam.wait()
        raise SetupError(sam_failure((logs / "sam.log").read_text(errors="replace"), sam.returncode, logs / "sam.log"))
    finally:
        stop_all(sam, tag, server, dockerd)
        summary = ", ".join(f"{title}: {seconds:.1f} s" for title, seconds in phases.done)
        print(f"[local-api] stopped everything it started. {summary}", file=sys.stderr, flush=True)


def synthesize(outdir: Path) -> None:
    """``main.py --env local`` in its own session: Ctrl-C reaches this script, which stops it (and its jsii node
    process) itself, instead of killing node under a live jsii kernel."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--env", ENV, "--outdir", str(outdir)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False, start_new_session=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise StepFailed(f"main.py --env {ENV} exited {done.returncode}: {tail(done.stderr, 5)}")


def init_pepper(env: dict[str, str]) -> None:
    """``manage_keys.py init-pepper``: Terraform creates the pepper secret without a value."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "manage_keys.py"), "--env", ENV, "init-pepper"],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise StepFailed(f"manage_keys.py init-pepper exited {done.returncode}: {done.stderr.strip()}")


def e2e_phase(stack: Path, tf: Terraform, server: MotoServer, workdir: Path, saved_plan: str) -> str:
    """The SAM phase of ``make e2e`` (scripts/e2e.py, ``E2E_SAM=1``): on the stack the e2e has just applied,
    its pepper initialized, and ``saved_plan`` the plan it applied. Serves it through SAM, checks the
    JSON-syntax workaround, runs the live suite; stops SAM, the containers and dockerd (if started here).

    The functions' endpoint (and the emulator's CA, the e2e server speaks HTTPS) go into a plan only, through
    an override file that exists while that plan is made: nothing is applied with it.
    """
    logs = workdir / "logs" / "sam"
    logs.mkdir(parents=True, exist_ok=True)
    check_root()
    phases = Phases()
    dockerd = Dockerd(logs / "dockerd.log")
    sam: subprocess.Popen[bytes] | None = None
    tag = ""
    ca_bundle = server.env().get("AWS_CA_BUNDLE")
    try:
        tag, sam_python = prerequisites(phases, logs, dockerd)
        with phases.phase("plan files") as notes:
            before = show_plan(tf, stack, saved_plan, "plan-before-apply")
            document = json.loads((stack / "cdk.tf.json").read_text())
            override = stack / "sam_override.tf.json"
            extra = {"AWS_CA_BUNDLE": CONTAINER_CA_BUNDLE} if ca_bundle else {}
            override.write_text(json.dumps(function_env_overrides(document, server.url, extra), indent=2))
            try:
                tf.run(stack, "plan", "-input=false", "-no-color", "-refresh=false", "-out=sam.tfplan",
                       ok_codes=(0, 2))  # fmt: skip
            finally:
                override.unlink()
            _, plan_file, removed = show_plan(tf, stack, "sam.tfplan", "plan")
            notes.append(f"{removed} referencing constant_value entries dropped")
        with phases.phase("the JSON-syntax workaround is still needed") as notes:
            notes.append(check_workaround(sam_python, before, stack, tag, logs))
        port = free_port()
        sam = serve_sam(phases, sam_python, plan_file, tag, port, stack, logs, ca_bundle)
        with phases.phase("pytest -m live against SAM") as notes:
            status = run_live_tests(f"http://127.0.0.1:{port}", server, ())
            notes.append(f"pytest exit {status}")
        if status != 0:
            raise StepFailed(f"the live suite against SAM CLI failed (pytest exit {status}; output above)")
    except SetupError as error:
        raise StepFailed(str(error)) from None
    finally:
        stop_all(sam, tag, None, dockerd)
    return "; ".join(f"{title} {seconds:.0f} s" for title, seconds in phases.done)


def live_test_env(url: str, server: MotoServer) -> dict[str, str]:
    """What tests/live reads for the SAM target (tests/live/conftest.py)."""
    pid = str(server.process.pid) if server.process else ""
    return {**os.environ, **server.env(), "LIVE_ENV": ENV, "LIVE_API_URL": url, "LIVE_MOTO_PID": pid,
            "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip


def run_live_tests(url: str, server: MotoServer, extra: Sequence[str]) -> int:
    # In this order: the model comparison before the fail-closed test pauses moto (pytest keeps the files' order).
    files = ["tests/live/test_live_contract.py", "tests/test_model_vs_sam.py", "tests/live/test_sam_backend.py"]
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-m", "live", *files, *extra]
    return subprocess.run(command, cwd=ROOT, env=live_test_env(url, server), check=False).returncode


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"API port on 127.0.0.1 ({DEFAULT_PORT})")
    parser.add_argument("--workdir", type=Path, help="working directory (default: a new temporary one)")
    parser.add_argument("--run-live-tests", action="store_true", help="run pytest -m live against it, then stop")
    parser.add_argument("--check-workaround", action="store_true",
                        help="first prove SAM fails to link the unprepared plan (docs/LOCAL-API.md)")  # fmt: skip
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="install what is missing (packages, image, SAM venv), then stop (make test's background)",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments with --run-live-tests")
    args = parser.parse_args(argv)
    if not 1024 <= args.port <= 65535:
        parser.error(f"--port: got {args.port}; allowed: 1024-65535")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    keep = args.workdir is not None
    args.workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="agenticai-local-api-"))).resolve()
    previous = {sig: signal.signal(sig, _raise_interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 1
    try:
        status = serve(args)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        status = 2
    except StepFailed as error:
        print(f"error: {error}", file=sys.stderr)
        status = 1
    except Interrupted as why:
        print(f"[local-api] {why}: stopped", file=sys.stderr)
        status = 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if keep or (status != 0 and any(args.workdir.rglob("*.log"))):  # logs to read
            print(f"[local-api] working directory kept: {args.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(args.workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
