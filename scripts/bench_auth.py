#!/usr/bin/env python3
"""Authorizer benchmark: warm per-request overhead and cold-start import time.

* Warm overhead: the real ``functions.authorizer.handler`` called in-process on a
  realistic REQUEST event, with DynamoDB and Secrets Manager replaced by an
  in-memory store, so the figure is our code only (header lookup, key parsing,
  HMAC, constant-time compare, policy and context). p50/p95 over many calls.
* Cold start: a fresh interpreter imports ``functions.authorizer`` the way
  Lambda does (``modules/`` as the code root); boto3 is imported on the first
  request that needs DynamoDB and is reported separately.

    python scripts/bench_auth.py [--json]

``--help`` prints this and exits before anything is measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE_ROOT = ROOT / "modules"  # the zip's root: functions/... lives here
WARM_CALLS = 5000
COLD_RUNS = 5


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def warm_overhead_us(calls: int = WARM_CALLS) -> tuple[float, float]:
    """(p50, p95) microseconds per authorizer call, dependencies stubbed out."""
    if str(CODE_ROOT) not in sys.path:
        sys.path.insert(0, str(CODE_ROOT))
    from functions import authorizer, keys  # type: ignore[import-not-found]  # modules/ is put on sys.path above

    pepper = b"bench-pepper-0123456789abcdef"
    _, key = keys.generate_key()
    record = authorizer.KeyRecord(
        key_id=keys.key_id_of(key),
        key_hash=keys.hash_key(key, pepper),
        enabled=True,
        rate_limit=10**9,
        expires_at=None,
        last_used_epoch=2**40,  # recent: no last_used write, like most warm requests
    )

    class StubStore:
        def __init__(self) -> None:
            self.count = 0

        def pepper(self) -> bytes:
            return pepper

        def get_key(self, key_id: str):  # noqa: ARG002 - the key store's signature
            return record

        def count_request(self, key_id, window_start, limit, now):  # noqa: ARG002 - the key store's signature
            self.count += 1
            return self.count

        def touch(self, key_id, now) -> None:
            pass

    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/v1/GET/api/projects",
        "resource": "/api/projects",
        "path": "/api/projects",
        "httpMethod": "GET",
        "headers": {"Host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", "User-Agent": "bench", "x-api-key": key},
        "multiValueHeaders": {"x-api-key": [key]},
        "requestContext": {"stage": "v1", "requestId": "bench", "apiId": "a1b2c3d4e5"},
    }
    import logging

    logging.getLogger().setLevel(logging.WARNING)  # Lambda ships INFO lines to CloudWatch asynchronously
    authorizer.set_store(StubStore())
    try:
        for _ in range(200):  # warm-up
            authorizer.handler(event, None)
        samples = []
        clock = time.perf_counter_ns
        for _ in range(calls):
            start = clock()
            authorizer.handler(event, None)
            samples.append((clock() - start) / 1000)
    finally:
        authorizer.set_store(None)
        logging.getLogger().setLevel(logging.INFO)
    return _percentile(samples, 0.50), _percentile(samples, 0.95)


_IMPORT_SNIPPET = """
import sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
import functions.authorizer
t1 = time.perf_counter()
import boto3, botocore.config
boto3.client("dynamodb", region_name="us-east-1")
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def cold_start_ms(runs: int = COLD_RUNS) -> tuple[float, float]:
    """(authorizer import, boto3 import + first client) in ms, medians over fresh interpreters."""
    imports, clients = [], []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", _IMPORT_SNIPPET.format(root=str(CODE_ROOT))],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
        )
        first, second = (float(v) for v in result.stdout.split())
        imports.append(first * 1000)
        clients.append(second * 1000)
    return statistics.median(imports), statistics.median(clients)


def run() -> list[tuple[str, str]]:
    """(label, value) rows for ``make bench``."""
    p50, p95 = warm_overhead_us()
    imported, client = cold_start_ms()
    return [
        ("authorizer warm overhead p50 (DynamoDB stubbed)", f"{p50:.1f} us"),
        ("authorizer warm overhead p95 (DynamoDB stubbed)", f"{p95:.1f} us"),
        ("authorizer cold-start import", f"{imported:.1f} ms"),
        ("authorizer first-request boto3 import + client", f"{client:.1f} ms"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print {label: value} as JSON")
    args = parser.parse_args(argv)
    rows = run()
    if args.json:
        print(json.dumps(dict(rows), indent=2))
        return 0
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
