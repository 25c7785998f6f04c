"""Run ``moto.server`` with DynamoDB ``UpdateItem`` made atomic, as the real service is.

moto evaluates a conditional UpdateItem as read-check-write without a lock, so
under concurrent requests two callers can both pass ``request_count < :limit``
(we measured 101 allowed of 400 with a limit of 100). DynamoDB serializes writes
to an item, so the concurrency test runs against this launcher: still the real
HTTP server and moto's own expression evaluation, with writes serialized.

    python -m tests.atomic_moto -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import functools
import threading

from tests.emulator import MotoServer


def _make_update_item_atomic() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()
    original = DynamoDBBackend.update_item

    @functools.wraps(original)
    def update_item(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    DynamoDBBackend.update_item = update_item


class AtomicMotoServer(MotoServer):
    """A MotoServer whose process is this launcher."""

    module = "tests.atomic_moto"

    def start(self, timeout: float = 60) -> AtomicMotoServer:
        import os
        import subprocess
        import sys
        import time
        import urllib.request
        from pathlib import Path

        from tests.emulator import TEST_CREDENTIALS

        root = Path(__file__).resolve().parent.parent
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
            env={**os.environ, **TEST_CREDENTIALS, "PYTHONPATH": str(root)},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"atomic moto server exited with {self.process.returncode} during start-up")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=2):  # noqa: S310
                    return self
            except OSError:
                time.sleep(0.1)  # polling readiness, not synchronizing on time
        self.stop()
        raise RuntimeError(f"atomic moto server on port {self.port} did not answer within {timeout} s")


if __name__ == "__main__":
    _make_update_item_atomic()
    from moto.server import main

    main()
