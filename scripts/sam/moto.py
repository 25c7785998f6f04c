"""The moto server behind ``make local-api``: on 127.0.0.1, with AWS's managed IAM policies, the fidelity
patches (scripts/emulator/fidelity.py) and serialized DynamoDB writes (scripts/emulator/atomic.py), because the
Lambda containers SAM runs call it concurrently as the real services would be called.

    python -m scripts.sam.moto -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import sys

from scripts.emulator.moto_server import MotoServer


class LocalApiMotoServer(MotoServer):
    """A MotoServer whose process is this launcher."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "scripts.sam.moto", "-H", "127.0.0.1", "-p", str(self.port)]

    def process_env(self) -> dict[str, str]:
        # The stack attaches AmazonAPIGatewayPushToCloudWatchLogs; moto loads AWS's managed policies only when asked.
        # (Like every MotoServer, it gets no Docker socket: SAM CLI runs the functions.)
        return {**super().process_env(), "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


if __name__ == "__main__":
    from scripts.emulator import atomic, fidelity

    fidelity.apply()
    atomic._make_update_item_atomic()
    from moto.server import main

    main(sys.argv[1:])
