"""``make local-api`` (scripts/local_api.py, scripts/sam/): the safety flags, the plan preparation, bad set-up as one
line and exit 2, the live suite's SAM target checks, and the model-vs-SAM comparison's negative control.

All pure or local processes only: the SAM run itself is ``scripts/local_api.py --run-live-tests`` (docs/LOCAL-API.md).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import local_api
from scripts.sam import image, launch
from tests.live.conftest import base_url, local_target_problem
from tests.test_model_vs_sam import KNOWN_DIFFERENCES, Seen, disagreements

# --- safety: dockerd's flags and the containers' network ---------------------------------------------------


def test_dockerd_runs_without_forwarding_masquerading_or_iptables_rules() -> None:
    command = local_api.dockerd_command("/usr/sbin/dockerd")
    assert command[0] == "/usr/sbin/dockerd"
    assert {"--iptables=false", "--ip-masq=false", "--ip-forward=false"} <= set(command[1:])
    # Its own socket: not Docker's default, which moto's Lambda runner would find (and pull images with).
    assert "--host=unix:///run/agenticai-docker.sock" in command
    assert not [arg for arg in command if arg.startswith("--host=") and arg.endswith("/var/run/docker.sock")]


def test_the_local_api_moto_server_runs_no_lambda_in_docker() -> None:
    from scripts.emulator.moto_server import NO_DOCKER
    from scripts.sam.moto import LocalApiMotoServer

    env = LocalApiMotoServer().process_env()
    assert env["DOCKER_HOST"] == NO_DOCKER
    assert not Path(NO_DOCKER.removeprefix("unix://")).exists()
    assert env["MOTO_IAM_LOAD_MANAGED_POLICIES"] == "true"


def test_sam_runs_on_the_host_network_on_loopback_without_pulling() -> None:
    command = local_api.sam_command(Path("/venv/bin/python"), Path("plan.json"), "img:tag", 3000)
    pairs = dict(zip(command, command[1:], strict=False))
    assert pairs["--docker-network"] == "host"
    assert pairs["--host"] == "127.0.0.1"
    assert pairs["--invoke-image"] == "img:tag"
    assert "--skip-pull-image" in command
    assert command[1] == str(local_api.SAM_LAUNCHER)


LAMBDA_CREATE = {
    "command": [],
    "entrypoint": ["/var/rapid/aws-lambda-rie", "--log-level", "error"],
    "ports": {"8080": ("127.0.0.1", 41234)},
    "environment": {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"},
}


def test_the_launcher_puts_lambda_containers_in_the_host_network_namespace() -> None:
    changed = launch.on_host_network(dict(LAMBDA_CREATE), runtime_api_port=45678)
    assert changed["network_mode"] == "host"
    assert "ports" not in changed
    assert changed["entrypoint"] == [
        "/var/rapid/aws-lambda-rie", "--log-level", "error",
        "--runtime-interface-emulator-address", "127.0.0.1:41234",
        "--runtime-api-address", "127.0.0.1:45678",
    ]  # fmt: skip
    assert changed["environment"] == LAMBDA_CREATE["environment"]


def test_the_launcher_leaves_other_containers_alone_and_refuses_extra_ports() -> None:
    other = {"entrypoint": ["/bin/sh"], "ports": {"80": 8080}}
    assert launch.on_host_network(dict(other), 1) == other
    with pytest.raises(RuntimeError, match="extra published ports"):
        launch.on_host_network({**LAMBDA_CREATE, "ports": {"8080": ("127.0.0.1", 1), "5858": ("127.0.0.1", 2)}}, 3)


def test_the_launcher_patches_docker_py_before_sam_runs() -> None:
    """install() replaces ContainerCollection.create in the SAM venv's docker-py (run there: it has docker)."""
    sam_python = local_api.SAM_VENV / "bin" / "python"
    stamp = local_api.SAM_VENV / ".installed"
    if not stamp.exists() or stamp.read_text().strip() != local_api.requirements_hash():
        pytest.skip("no complete SAM CLI venv (.venv-sam) yet: make local-api-prepare creates it")
    code = (
        "import sys; sys.path.insert(0, 'scripts/sam'); import launch;"
        "from docker.models.containers import ContainerCollection as C; before = C.create; launch.install();"
        "print(C.create is not before and C.create.__name__ == 'create')"
    )
    done = subprocess.run([str(sam_python), "-c", code], cwd=local_api.ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "True", done.stderr


# --- the plan file: the JSON-syntax workaround, the functions' endpoint, the synthesized JSON untouched -----


def test_only_constants_that_carry_references_are_dropped() -> None:
    configuration = {
        "root_module": {
            "resources": [
                {
                    "expressions": {
                        "rest_api_id": {"constant_value": "${aws_api_gateway_rest_api.a.id}",
                                        "references": ["aws_api_gateway_rest_api.a.id", "aws_api_gateway_rest_api.a"]},
                        "name": {"constant_value": "plain"},
                        "nested": [{"x": {"constant_value": "${a.b}", "references": ["a.b"]}}],
                        "empty_refs": {"constant_value": "kept", "references": []},
                    }
                }
            ]
        }
    }  # fmt: skip
    assert local_api.drop_referencing_constants(configuration) == 2
    expressions = configuration["root_module"]["resources"][0]["expressions"]
    assert expressions["rest_api_id"] == {"references": ["aws_api_gateway_rest_api.a.id", "aws_api_gateway_rest_api.a"]}
    assert expressions["name"] == {"constant_value": "plain"}
    assert expressions["nested"][0]["x"] == {"references": ["a.b"]}
    assert expressions["empty_refs"]["constant_value"] == "kept"


def _stack(tmp_path: Path) -> Path:
    stack = tmp_path / "synth" / "local"
    stack.mkdir(parents=True)
    document = {
        "resource": {
            "aws_lambda_function": {
                "health": {"handler": "h", "environment": {"variables": {"API_VERSION": "v1"}}},
                "bare": {"handler": "b"},
            }
        }
    }
    (stack / "cdk.tf.json").write_text(json.dumps(document))
    (stack / ".terraform").mkdir()
    return stack


def test_the_temporary_copy_gets_overrides_and_the_synthesized_stack_is_untouched(tmp_path) -> None:
    stack = _stack(tmp_path)
    before = {p.name: p.read_bytes() for p in stack.iterdir() if p.is_file()}
    copy = local_api.prepare_stack(stack, tmp_path / "copy", "http://127.0.0.1:5000")
    assert {p.name: p.read_bytes() for p in stack.iterdir() if p.is_file()} == before
    assert not (copy / ".terraform").exists()
    backend = json.loads((copy / "backend_override.tf.json").read_text())
    assert backend["terraform"]["backend"] == {"local": {"path": str(copy / "terraform.tfstate")}}
    functions = json.loads((copy / "sam_override.tf.json").read_text())["resource"]["aws_lambda_function"]
    assert functions["health"]["environment"]["variables"] == {
        "API_VERSION": "v1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
    }
    assert functions["bare"]["environment"]["variables"] == {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}


# --- the Lambda image and the SAM venv are rebuilt only when their pinned inputs change ------------------------


def test_the_image_tag_is_a_hash_of_its_pinned_inputs(tmp_path, monkeypatch) -> None:
    for name in ("requirements.txt", "bootstrap"):
        (tmp_path / name).write_text((image.HERE / name).read_text())
    monkeypatch.setattr(image, "HERE", tmp_path)
    first = image.image_tag()
    assert first == image.image_tag()
    assert first.startswith(f"{image.REPOSITORY}:")
    (tmp_path / "requirements.txt").write_text((tmp_path / "requirements.txt").read_text() + "extra==1.0\n")
    assert image.image_tag() != first
    monkeypatch.setattr(image, "SUITE", "forky")
    assert image.image_tag() not in (first,)


def test_every_distribution_of_the_image_is_pinned() -> None:
    lines = [ln for ln in (image.HERE / "requirements.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines
    assert all("==" in line for line in lines), lines
    assert {"awslambdaric", "boto3"} <= {line.split("==")[0] for line in lines}


def test_the_sam_venv_is_reused_while_its_requirements_are_unchanged(tmp_path, monkeypatch) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / ".installed").write_text(local_api.requirements_hash() + "\n")
    monkeypatch.setattr(subprocess, "run", lambda *a, **_: pytest.fail(f"reinstalled: {a}"))
    assert local_api.ensure_sam_venv(tmp_path / "log", venv) == (venv / "bin" / "python", False)


def test_requirements_sam_pins_sam_cli() -> None:
    lines = [ln for ln in local_api.SAM_REQUIREMENTS.read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines == ["aws-sam-cli==1.170.0"]


# --- bad set-up: one line, exit 2, nothing left running ---------------------------------------------------------


def test_not_root_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(local_api.os, "geteuid", lambda: 1000)
    assert local_api.main(["--workdir", str(tmp_path)]) == 2
    error = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("error:")]
    assert error == ["error: local-api must run as root (uid 0), got uid 1000: it installs packages and starts dockerd"]


def test_a_port_in_use_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(local_api.SetupError, match=rf"port: 127.0.0.1:{port} is in use; .*--port N"):
            local_api.check_port_free(port)


def test_missing_commands_map_to_debian_packages() -> None:
    assert local_api.missing_packages(lambda _command: None) == ["debootstrap", "docker.io"]
    assert local_api.missing_packages(lambda command: f"/usr/bin/{command}") == []


def test_sam_failing_to_link_is_a_setup_error_naming_the_workaround(tmp_path) -> None:
    log = tmp_path / "sam.log"
    line = f"Error: Authorizer 'AwsApiGatewayAuthorizerX' {local_api.LINK_FAILURE}, this must be defined."
    with open(log, "wb") as sink:
        failing = subprocess.Popen([sys.executable, "-c", f"print({line!r}); raise SystemExit(1)"], stdout=sink)
    with pytest.raises(local_api.SetupError) as caught:
        local_api.wait_for_api("http://127.0.0.1:9/health", failing, log, timeout=30)
    message = str(caught.value)
    assert "\n" not in message
    assert "failed to link" in message
    assert "JSON-syntax workaround" in message


def test_stop_group_ends_the_whole_process_group() -> None:
    code = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    local_api.stop_group(parent, grace=10)
    assert parent.poll() is not None
    left = subprocess.run(["pgrep", "-g", str(parent.pid)], capture_output=True, text=True)
    assert left.stdout.split() == []


def test_the_port_must_be_unprivileged(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        local_api.parse_args(["--port", "80"])
    assert exited.value.code == 2
    assert "--port: got 80; allowed: 1024-65535" in capsys.readouterr().err


# --- the live suite's SAM target ---------------------------------------------------------------------------------

GOOD = {"LIVE_API_URL": "http://127.0.0.1:3000", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "AWS_ACCESS_KEY_ID": "testing"}  # fmt: skip


def test_a_local_target_is_loopback_with_moto_credentials_only() -> None:
    assert local_target_problem(GOOD) is None
    assert "LIVE_API_URL" in local_target_problem({**GOOD, "LIVE_API_URL": "https://abc.execute-api.aws/v1"})
    assert "LIVE_API_URL" in local_target_problem({**GOOD, "LIVE_API_URL": "http://10.0.0.5:3000"})
    assert local_target_problem({**GOOD, "AWS_ENDPOINT_URL": "https://127.0.0.1:5000"}) is None
    assert "AWS_ENDPOINT_URL" in local_target_problem({**GOOD, "AWS_ENDPOINT_URL": ""})
    assert "AWS_ENDPOINT_URL" in local_target_problem({**GOOD, "AWS_ENDPOINT_URL": "https://dynamodb.amazonaws.com"})
    assert "AWS_ACCESS_KEY_ID" in local_target_problem({**GOOD, "AWS_ACCESS_KEY_ID": "AKIAREALKEY"})


def test_sam_serves_without_the_stage_prefix() -> None:
    assert base_url("http://127.0.0.1:3000/v1/", "v1", "sam") == "http://127.0.0.1:3000"
    assert base_url("http://127.0.0.1:3000", "v1", "sam") == "http://127.0.0.1:3000"
    assert base_url("https://x.execute-api.us-east-1.amazonaws.com/v1", "v1", "aws").endswith("/v1")


# --- model vs SAM: the comparison and its negative control -----------------------------------------------------


def _seen(status: int, remaining: str | None = None, retry: bool = False) -> Seen:
    return Seen(status, (("X-RateLimit-Limit", "10" if remaining else None), ("X-RateLimit-Remaining", remaining),
                         ("X-RateLimit-Reset", "1796292000" if remaining else None),
                         ("Retry-After", "present" if retry else None)))  # fmt: skip


def test_agreement_is_no_disagreement() -> None:
    pairs = [("no key", _seen(401), _seen(401)), ("limited", _seen(200, "9"), _seen(200, "9"))]
    assert disagreements(pairs) == []


def test_negative_control_an_injected_disagreement_is_caught() -> None:
    pairs = [("limited", _seen(200, "9"), _seen(200, "9")), ("limited", _seen(429, "0", True), _seen(429, "0", True))]
    wrong_remaining = [pairs[0], ("limited", _seen(200, "8"), _seen(200, "9"))]
    wrong_status = [pairs[0], ("limited", _seen(200, "0"), _seen(429, "0", True))]
    no_retry_after = [("limited", _seen(429, "0", False), _seen(429, "0", True))]
    for injected in (wrong_remaining, wrong_status, no_retry_after):
        found = disagreements(injected)
        assert len(found) == 1, found
        assert found[0].startswith("#")


def test_a_known_difference_excuses_only_its_exact_statuses() -> None:
    ((scenario, model, sam),) = list(KNOWN_DIFFERENCES)
    assert disagreements([(scenario, _seen(model), _seen(sam))]) == []
    assert len(disagreements([(scenario, _seen(500), _seen(sam))])) == 1
    assert len(disagreements([("another scenario", _seen(model), _seen(sam))])) == 1
    assert all("https://docs.aws.amazon.com/" in why for why in KNOWN_DIFFERENCES.values())


def test_sam_gets_no_aws_variable_and_none_a_function_declares(monkeypatch) -> None:
    """SAM would give a container the shell's value of a declared variable (a machine-wide AWS_CA_BUNDLE broke TLS)."""
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://example.com")
    monkeypatch.setenv("PROJECTS_TABLE", "someone-elses")
    monkeypatch.setenv("PATH", "/usr/bin")
    env = local_api.sam_env("/tmp/ca.pem", {"PROJECTS_TABLE"})
    assert not [name for name in env if name.startswith("AWS_")]
    assert "PROJECTS_TABLE" not in env
    assert env["PATH"] == "/usr/bin"
    assert env["SAM_CLI_TELEMETRY"] == "0"
    assert env["AGENTICAI_SAM_CA_BUNDLE"] == "/tmp/ca.pem"
    assert "AGENTICAI_SAM_CA_BUNDLE" not in local_api.sam_env()


def test_declared_variables_come_from_the_plan_file(tmp_path) -> None:
    plan = {"planned_values": {"root_module": {"resources": [
        {"type": "aws_lambda_function", "values": {"environment": [{"variables": {"A": "1", "B": "2"}}]}},
        {"type": "aws_lambda_function", "values": {"environment": []}},
        {"type": "aws_sqs_queue", "values": {"environment": [{"variables": {"C": "3"}}]}},
    ]}}}  # fmt: skip
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    assert local_api.declared_variables(tmp_path / "plan.json") == {"A", "B"}


def test_prepare_only_stops_its_dockerd_before_releasing_the_lock(tmp_path, monkeypatch) -> None:
    """Else the e2e, waiting for the lock, could reuse a dockerd that the background preparation then stops."""
    import fcntl

    monkeypatch.setattr(local_api, "PREPARE_LOCK", tmp_path / "prepare.lock")
    monkeypatch.setattr(local_api, "missing_packages", list)
    monkeypatch.setattr(local_api.image, "ensure", lambda _log: ("img:tag", False))
    monkeypatch.setattr(local_api, "ensure_sam_venv", lambda _log: (tmp_path / "python", False))
    held_at_stop: list[bool] = []

    class FakeDockerd:
        def start(self) -> bool:
            return True

        def stop(self) -> None:
            with open(tmp_path / "prepare.lock") as other:
                try:
                    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    held_at_stop.append(True)
                else:
                    held_at_stop.append(False)

    phases = local_api.Phases()
    assert local_api.prerequisites(phases, tmp_path, FakeDockerd(), only=True) == ("img:tag", tmp_path / "python")
    assert held_at_stop == [True]
    held_at_stop.clear()
    local_api.prerequisites(phases, tmp_path, FakeDockerd())
    assert held_at_stop == []  # a serving run keeps its dockerd


def test_no_docker_possible_is_one_line_with_dockerd_s_last_words(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(local_api, "docker_answers", lambda **_: False)
    monkeypatch.setattr(local_api.subprocess, "run", lambda *a, **_: subprocess.CompletedProcess(a, 0))
    failing = [sys.executable, "-c", "print('failed to start daemon: Devices cgroup isn\\'t mounted'); exit(1)"]
    monkeypatch.setattr(local_api, "dockerd_command", lambda *_: failing)
    dockerd = local_api.Dockerd(tmp_path / "dockerd.log")
    with pytest.raises(local_api.SetupError) as caught:
        dockerd.start(timeout=30)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("dockerd exited during start-up: failed to start daemon: Devices cgroup")
    assert "no Docker possible here" in message
    assert dockerd.process is None
    assert "DOCKER_HOST" not in local_api.os.environ  # restored


def test_a_started_dockerd_gets_forwarding_off_and_the_machine_gets_it_back(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    calls: list[list[str]] = []
    monkeypatch.setattr(local_api.subprocess, "run", lambda cmd, **_: calls.append(cmd))
    answers = iter([False, False, True])  # not on the default socket, not on ours, then the started one
    monkeypatch.setattr(local_api, "docker_answers", lambda **_: next(answers))
    monkeypatch.setattr(local_api, "dockerd_command", lambda *_: [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(local_api, "read_ip_forward", lambda *_: "1")
    dockerd = local_api.Dockerd(tmp_path / "dockerd.log")
    assert dockerd.start(timeout=30) is True
    assert local_api.os.environ["DOCKER_HOST"] == local_api.DOCKER_HOST
    assert calls == [["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"]]
    process = dockerd.process
    dockerd.stop()
    assert process is not None
    assert process.poll() is not None
    assert calls[1:] == [["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]]
    assert "DOCKER_HOST" not in local_api.os.environ


def test_a_second_run_while_one_runs_is_refused_in_one_line(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(local_api, "docker_answers", lambda host=None, **_: host == local_api.DOCKER_HOST)
    with pytest.raises(local_api.SetupError, match=r"^another local-api run's dockerd answers on unix://"):
        local_api.Dockerd(tmp_path / "dockerd.log").start()
