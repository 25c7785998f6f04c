#!/usr/bin/env python3
"""Authorizer benchmark: DynamoDB requests per 1,000 requests, warm latency, cold-start import time.

* DynamoDB requests on the wire: the real authorizer with its real
  ``DynamoStore`` against the atomic moto emulator (``scripts/emulator/atomic.py``); every
  HTTP request its DynamoDB client sends (retries included) is counted at botocore's
  ``before-send`` hook. One warm container, ``KEY_CACHE_SECONDS`` = 5, three scenarios of
  1,000 requests: one key under its limit; one abusive key sending 10x its limit; 100 keys
  at once (10 requests each). Targets: <= 1 request per allowed request, 0 per refused
  over-limit request after the first in a window. Also warm p50/p95 per request *including*
  the emulator round trips (scenario 1).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    from functions import authorizer, key_record, keys  # type: ignore[import-not-found]  # modules/ on sys.path

    pepper = b"bench-pepper-0123456789abcdef0123456789"
    _, key = keys.generate_key()
    record = key_record.APIKey(
        key_id=keys.key_id_of(key),
        key_hash=keys.hash_key(key, pepper),
        enabled=True,
        rate_limit=10**9,
        expires_at=None,
    )
    peppers = keys.PepperSet(1, (keys.Pepper(1, pepper),))

    class StubStore:
        def __init__(self) -> None:
            self.count = 0

        def peppers(self):
            return peppers

        def rehash(self, key_id, key_hash, version, old_version) -> None:
            pass

        def admit(self, key_id, key_hashes, window_start, now):  # noqa: ARG002 - the key store's signature
            self.count += 1
            return authorizer.Admission(record.key_hash in key_hashes, record, self.count)

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


@dataclass(frozen=True)
class Scenario:
    label: str
    requests: int
    allowed: int
    refused: int
    dynamodb_requests: int
    #: DynamoDB requests made while handling allowed requests.
    for_allowed: int
    #: DynamoDB requests made by the first refusal (the one that finds the key over its limit).
    first_refusal: int
    #: DynamoDB requests made for refused requests after the first refusal in the window.
    refused_after_first: int
    latencies_ms: tuple[float, ...]


def dynamodb_scenarios(requests: int = 1000, server: Any = None) -> list[Scenario]:
    """The three scenarios against the atomic emulator (see the module docstring).

    server: a running ``AtomicMotoServer`` to use (left running). Default: one is started and stopped here.
    """
    import logging
    import os
    import tempfile

    import boto3

    from modules.functions import authorizer
    from scripts.emulator import front_door as front_door_aws  # the same resources the tests use
    from scripts.emulator.atomic import AtomicMotoServer
    from scripts.manage_keys import KeyManager

    logging.getLogger().setLevel(logging.WARNING)
    saved = dict(os.environ)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-auth-") as tmp:
        owned = server is None
        if owned:
            server = AtomicMotoServer(log_path=Path(tmp) / "moto.log")
            server.start()
        try:
            os.environ.update(server.env())
            resources = front_door_aws.create(pepper_value=False)
            os.environ.update(
                {
                    "API_KEYS_TABLE": resources.names.keys_table,
                    "PEPPER_SECRET_ID": resources.names.pepper_secret,
                    "KEY_CACHE_SECONDS": "5",
                    "OVER_LIMIT_ACTION": "integration",
                }
            )
            manager = KeyManager(names=resources.names, region="us-east-1")
            manager.init_pepper()
            boto3.setup_default_session()
            one = [manager.create(name="steady", rate_limit=10 * requests)[1]]
            abusive = [manager.create(name="abusive", rate_limit=requests // 10)[1]]
            many = [manager.create(name=f"k{i}", rate_limit=10 * requests)[1] for i in range(100)]
            for label, pool in (
                ("one key under its limit", one),
                ("one abusive key at 10x its limit", abusive),
                ("100 keys at once", many),
            ):
                results.append(_scenario(authorizer, label, pool, requests))
        finally:
            if owned:
                server.stop()
            os.environ.clear()
            os.environ.update(saved)
            authorizer.set_store(None)
            logging.getLogger().setLevel(logging.INFO)
    return results


def _scenario(authorizer, label: str, pool: list[str], requests: int) -> Scenario:
    authorizer.set_store(None)  # a fresh container
    store = authorizer._get_store()
    sent = {"dynamodb": 0}

    def count(**_kwargs) -> None:
        sent["dynamodb"] += 1

    store._dynamodb.meta.events.register("before-send.dynamodb", count)
    allowed = refused = for_allowed = first_refusal = refused_after_first = 0
    latencies = []
    for i in range(requests):
        key = pool[i % len(pool)]
        event = {
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/v1/GET/api/projects",
            "headers": {"x-api-key": key},
        }
        before = sent["dynamodb"]
        start = time.perf_counter()
        result = authorizer.handler(event, None)
        latencies.append((time.perf_counter() - start) * 1000)
        made = sent["dynamodb"] - before
        if result["context"]["rateLimited"] == "true":
            if refused:
                refused_after_first += made
            else:
                first_refusal += made
            refused += 1
        else:
            for_allowed += made
            allowed += 1
    return Scenario(
        label,
        requests,
        allowed,
        refused,
        sent["dynamodb"],
        for_allowed,
        first_refusal,
        refused_after_first,
        tuple(latencies),
    )


def run() -> list[tuple[str, str]]:
    """(label, value) rows for ``make bench``."""
    p50, p95 = warm_overhead_us()
    imported, client = cold_start_ms()
    rows = []
    for scenario in dynamodb_scenarios():
        per_allowed = scenario.for_allowed / max(scenario.allowed, 1)
        rows.append(
            (
                f"DynamoDB requests per 1,000 ({scenario.label})",
                f"{scenario.dynamodb_requests * 1000 / scenario.requests:.0f} "
                f"({scenario.allowed} allowed, {scenario.refused} refused; {per_allowed:.3f} per allowed; "
                f"{scenario.first_refusal} for the first refusal, "
                f"{scenario.refused_after_first} for refusals after it)",
            )
        )
        if scenario.label.startswith("one key under"):
            warm = sorted(scenario.latencies_ms[10:])  # the first requests create clients and read the pepper
            rows.append(("authorizer warm p50 incl. emulator round trips", f"{_percentile(warm, 0.50):.2f} ms"))
            rows.append(("authorizer warm p95 incl. emulator round trips", f"{_percentile(warm, 0.95):.2f} ms"))
    return rows + [
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
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
