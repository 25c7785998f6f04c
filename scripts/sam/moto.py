"""The moto server behind ``make local-api``: on 127.0.0.1, with AWS's managed IAM policies, the fidelity
patches (scripts/emulator/fidelity.py) and serialized DynamoDB writes (scripts/emulator/atomic.py), because the
Lambda containers SAM runs call it concurrently as the real services would be called.

    python -m scripts.sam.moto -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import sys

from scripts.emulator.moto_server import MotoServer

#: A Docker socket nothing listens on.
NO_DOCKER = "unix:///run/agenticai-moto-has-no-docker.sock"


class LocalApiMotoServer(MotoServer):
    """A MotoServer whose process is this launcher."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "scripts.sam.moto", "-H", "127.0.0.1", "-p", str(self.port)]

    def process_env(self) -> dict[str, str]:
        # The stack attaches AmazonAPIGatewayPushToCloudWatchLogs; moto loads AWS's managed policies only when asked.
        # moto runs no Lambda itself: with a Docker daemon in reach it would pull a runtime image from a registry
        # when the worker's queue gets a message. SAM CLI runs the functions; nothing listens on this socket.
        return {**super().process_env(), "MOTO_IAM_LOAD_MANAGED_POLICIES": "true", "DOCKER_HOST": NO_DOCKER}


if __name__ == "__main__":
    from scripts.emulator import atomic, fidelity

    fidelity.apply()
    atomic._make_update_item_atomic()
    from moto.server import main

    main(sys.argv[1:])
