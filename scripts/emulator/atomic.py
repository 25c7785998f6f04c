"""Run ``moto.server`` with DynamoDB ``UpdateItem`` made atomic, as the real service is.

moto evaluates a conditional UpdateItem as read-check-write without a lock, so
under concurrent requests two callers can both pass ``request_count < :limit``
(we measured 101 allowed of 400 with a limit of 100). DynamoDB serializes writes
to an item, so the concurrency test runs against this launcher: still the real
HTTP server and moto's own expression evaluation, with writes serialized.

    python -m scripts.emulator.atomic -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import functools
import sys
import threading

from scripts.emulator.moto_server import ROOT, MotoServer


def _make_update_item_atomic() -> None:
    # The whole request handler, not only the backend call: moto's handler reads the item before the
    # update and builds ReturnValues (UPDATED_NEW) around it, so locking the backend alone still let two
    # concurrent requests report the same new count under load.
    from moto.dynamodb.responses import DynamoHandler

    # TransactWriteItems too: DynamoDB transactions are serializable
    # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation),
    # moto's check-then-write is not (the idempotent POST relies on it).
    lock = threading.Lock()
    for name in ("update_item", "transact_write_items"):
        original = getattr(DynamoHandler, name)

        def serialized(self, *args, __original=original, **kwargs):
            with lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoHandler, name, functools.wraps(original)(serialized))


class AtomicMotoServer(MotoServer):
    """A MotoServer whose process is this launcher."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "scripts.emulator.atomic", "-H", "127.0.0.1", "-p", str(self.port)]

    def process_env(self) -> dict[str, str]:
        return {**super().process_env(), "PYTHONPATH": str(ROOT)}


if __name__ == "__main__":
    _make_update_item_atomic()
    from moto.server import main

    main()
