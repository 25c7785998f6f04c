"""A real moto server process on a free loopback port, for end-to-end and integration tests."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Credentials moto accepts; never real ones.
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: A Docker socket nothing listens on, for every moto server: moto runs Lambda functions (an event source
#: mapping's queue message, for example) in Docker when a daemon is in reach, pulling runtime images from
#: registries. Nothing here needs moto to run a function (SAM CLI runs them for the local API).
NO_DOCKER = "unix:///run/agenticai-moto-has-no-docker.sock"


class MotoServer:
    """Start, stop, kill and restart ``moto.server``. State is in memory and lost on restart."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, region: str = "us-east-1") -> dict[str, str]:
        """Environment variables that point boto3 and the Terraform AWS provider at this server."""
        return {**TEST_CREDENTIALS, "AWS_ENDPOINT_URL": self.url, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}

    # Hooks for variants (a patched launcher, TLS): what to run, with which environment, how to connect.
    def command(self) -> list[str]:
        # moto.server with the fidelity patches (scripts/emulator/fidelity.py).
        return [sys.executable, "-m", "scripts.emulator.fidelity", "-H", "127.0.0.1", "-p", str(self.port)]

    def process_env(self) -> dict[str, str]:
        return {**os.environ, **TEST_CREDENTIALS, "PYTHONPATH": str(ROOT), "DOCKER_HOST": NO_DOCKER}

    def ssl_context(self) -> ssl.SSLContext | None:
        return None

    def start(self, timeout: float = 60) -> MotoServer:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.process_env(), cwd=ROOT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{type(self).__name__} exited with {self.process.returncode} during start-up")
            try:
                with urllib.request.urlopen(  # noqa: S310
                    f"{self.url}/moto-api/data.json", timeout=2, context=self.ssl_context()
                ):
                    return self
            except OSError:
                time.sleep(0.1)  # polling readiness, not synchronizing on time
        self.stop()
        raise RuntimeError(f"{type(self).__name__} on port {self.port} did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Simulate a crash: SIGKILL, no clean shutdown."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(req, timeout=10, context=self.ssl_context()).close()  # noqa: S310

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
