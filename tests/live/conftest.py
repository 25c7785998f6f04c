"""Fixtures of the live suite: a deployed stage's URL and temporary API keys, deleted at the end.

Run with ``make test-live ENV=dev`` (it sets ``LIVE_ENV`` and ``LIVE_API_URL`` from ``terraform output``).
Without ``LIVE_ENV`` or without AWS credentials every live test is skipped with a one-line reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class LiveApi:
    """The deployed stage's base URL, and a plain HTTP client for it (the public contract only)."""

    base_url: str

    def request(
        self, method: str, path: str, *, key: str | None = None, body: bytes | None = None, headers: dict | None = None
    ) -> Reply:
        sent = {"Accept": "application/json", **(headers or {})}
        if key is not None:
            sent["X-API-Key"] = key
        if body is not None:
            sent.setdefault("Content-Type", "application/json")
        url = self.base_url.rstrip("/") + path  # https only: checked by the api fixture
        request = urllib.request.Request(url, data=body, method=method, headers=sent)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - https URL
                status, raw, got = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), dict(error.headers)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return Reply(status, got, parsed)


def _skip_reason() -> str | None:
    env = os.environ.get("LIVE_ENV")
    if not env:
        return "live tests run against a deployed stage: make test-live ENV=<env>"
    import boto3

    if boto3.Session().get_credentials() is None:
        return f"no AWS credentials: live tests need access to the deployed {env} stage"
    return None


@pytest.fixture(scope="session")
def live_env():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from environments import load

    return load(os.environ["LIVE_ENV"])


@pytest.fixture(scope="session")
def api(live_env) -> LiveApi:
    url = os.environ.get("LIVE_API_URL") or _terraform_output(live_env.name, "invoke_url")
    if not url.startswith("https://"):
        pytest.skip(f"no invoke_url output for {live_env.name}: deploy it first (make plan/apply ENV={live_env.name})")
    return LiveApi(url)


def _terraform_output(env: str, name: str) -> str:
    stack = ROOT / "cdktf.out" / "stacks" / env
    done = subprocess.run(
        ["terraform", f"-chdir={stack}", "output", "-raw", name], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else ""


@pytest.fixture(scope="session")
def make_key(live_env) -> Iterator[Callable[[int], str]]:
    """Creates temporary keys with scripts/manage_keys.py's KeyManager (never stored in Secrets Manager);
    every key is deleted at the end of the session, whatever the tests did."""
    from modules.front_door.names import AuthNames
    from scripts.manage_keys import KeyManager

    manager = KeyManager(names=AuthNames.for_prefix(live_env.name_prefix), region=live_env.region)
    created: list[str] = []

    def make(rate_limit: int = 1000) -> str:
        key_id, key = manager.create(name="live-test", rate_limit=rate_limit)
        created.append(key_id)
        return key

    yield make
    for key_id in created:
        manager.delete(key_id)


@pytest.fixture(scope="session")
def key(make_key) -> str:
    return make_key(1000)
