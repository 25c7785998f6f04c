"""Run AWS SAM CLI with its Lambda containers in the host's network namespace.

    .venv-sam/bin/python scripts/sam/launch.py local start-api ... --docker-network host

Runs in the SAM CLI venv (.venv-sam), so it imports nothing from this project.

Why a launcher: SAM CLI 1.170.0 accepts ``--docker-network host`` but does not apply it. Its
``Container.create`` (samcli/local/docker/container.py) publishes the Runtime Interface Emulator's
port 8080 to a free host port and connects the container to the named network *unless* it is
``host``, so the container stays on Docker's default bridge. This launcher makes ``host`` mean
the host's namespace: each Lambda container gets ``network_mode=host``, no published ports, and
its emulator listens on 127.0.0.1 at the port SAM already chose for it (the emulator's
``--runtime-interface-emulator-address``), with its Runtime API on another free loopback port
(``--runtime-api-address``), so several warm containers never share a port. Everything,
moto included, is then on 127.0.0.1 (docs/LOCAL-API.md).
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

#: The Runtime Interface Emulator SAM CLI adds to every Lambda image (samcli/local/docker/lambda_container.py).
RIE = "/var/rapid/aws-lambda-rie"
#: The emulator's port inside the container (samcli Container.RAPID_PORT_CONTAINER).
RIE_PORT = "8080"
#: Where the emulator's CA is mounted (scripts/local_api.py CONTAINER_CA_BUNDLE).
CONTAINER_CA_BUNDLE = "/etc/agenticai/emulator-ca.pem"


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def on_host_network(kwargs: dict[str, Any], runtime_api_port: int, ca_bundle: str | None = None) -> dict[str, Any]:
    """The ``containers.create`` arguments of a Lambda container, moved to the host's network namespace.

    Other containers' arguments are returned unchanged.
    """
    entrypoint = list(kwargs.get("entrypoint") or [])
    if not entrypoint or entrypoint[0] != RIE:
        return kwargs
    ports = dict(kwargs.get("ports") or {})
    published = ports.pop(RIE_PORT, None)
    if published is None:
        raise RuntimeError(f"SAM CLI published no port for the emulator's {RIE_PORT}: {kwargs.get('ports')}")
    host_port = published[1] if isinstance(published, tuple) else published
    if ports:  # debugger ports: they would need the same treatment; not used here
        raise RuntimeError(f"unexpected extra published ports on a Lambda container: {sorted(ports)}")
    changed = {k: v for k, v in kwargs.items() if k != "ports"}
    changed["network_mode"] = "host"
    changed["entrypoint"] = [
        *entrypoint,
        "--runtime-interface-emulator-address",
        f"127.0.0.1:{host_port}",
        "--runtime-api-address",
        f"127.0.0.1:{runtime_api_port}",
    ]
    if ca_bundle:
        changed["volumes"] = {**(kwargs.get("volumes") or {}), ca_bundle: {"bind": CONTAINER_CA_BUNDLE, "mode": "ro"}}
    return changed


def install() -> None:
    """Patch docker-py's ``ContainerCollection.create`` (the one call SAM CLI creates containers with)."""
    from docker.models.containers import ContainerCollection  # type: ignore[import-untyped]  # in .venv-sam only

    original = ContainerCollection.create

    def create(self: Any, image: str, command: Any = None, **kwargs: Any) -> Any:
        ca_bundle = os.environ.get("AGENTICAI_SAM_CA_BUNDLE")
        return original(self, image, command, **on_host_network(kwargs, free_loopback_port(), ca_bundle))

    ContainerCollection.create = create


def main() -> None:
    install()
    from samcli.cli.main import cli  # type: ignore[import-not-found]  # in .venv-sam only

    sys.argv[0] = "sam"
    cli()


if __name__ == "__main__":
    main()
