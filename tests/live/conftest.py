"""Fixtures of the live suite: the API's URL and temporary API keys, deleted at the end.

Two targets:

* a deployed stage: ``make test-live ENV=dev`` sets ``LIVE_ENV`` and ``LIVE_API_URL`` (``terraform output``);
  the URL must be https;
* the ``local`` stack served by AWS SAM CLI (``make local-api``, ``scripts/local_api.py --run-live-tests``):
  ``LIVE_ENV=local``, ``LIVE_API_URL=http://127.0.0.1:<port>`` and ``AWS_ENDPOINT_URL`` pointing at the moto
  server on 127.0.0.1 with moto's test credentials. SAM serves the routes without the stage prefix: the
  ``api`` fixture strips it, so tests use the same paths for both. Tests of what SAM does not emulate
  (usage plans, gateway responses, WAF) carry ``@pytest.mark.aws_only("reason")`` and skip there.

Without ``LIVE_ENV`` or without AWS credentials every live test is skipped with a one-line reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 15
#: The environment whose stack ``make local-api`` serves through SAM CLI.
LOCAL_ENV = "local"
#: The only host a local target may use: SAM and moto listen on loopback (docs/LOCAL-API.md).
LOOPBACK = "127.0.0.1"
#: moto's credentials (scripts/emulator/moto_server.py); never real ones.
MOTO_ACCESS_KEY_ID = "testing"


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
        url = self.base_url.rstrip("/") + path  # https, or http://127.0.0.1 for local: checked by the api fixture
        request = urllib.request.Request(url, data=body, method=method, headers=sent)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - checked URL
                status, raw, got = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), dict(error.headers)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return Reply(status, got, parsed)


def _is_loopback(url: str, schemes: tuple[str, ...] = ("http",)) -> bool:
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme in schemes and parsed.hostname == LOOPBACK and parsed.port is not None


def local_target_problem(environ: dict[str, str]) -> str | None:
    """Why the environment is not a valid SAM target (one line), or None. Only loopback, only moto's credentials."""
    url = environ.get("LIVE_API_URL", "")
    endpoint = environ.get("AWS_ENDPOINT_URL", "")
    if not _is_loopback(url):
        return f"LIVE_API_URL: got {url!r}; allowed for {LOCAL_ENV}: http://{LOOPBACK}:<port> (make local-api)"
    if not _is_loopback(endpoint, ("http", "https")):
        return f"AWS_ENDPOINT_URL: got {endpoint!r}; allowed for {LOCAL_ENV}: moto on http(s)://{LOOPBACK}:<port>"
    if environ.get("AWS_ACCESS_KEY_ID") != MOTO_ACCESS_KEY_ID:
        return f"AWS_ACCESS_KEY_ID: {LOCAL_ENV} takes moto's test credentials ({MOTO_ACCESS_KEY_ID!r}) only"
    return None


def _skip_reason() -> str | None:
    env = os.environ.get("LIVE_ENV")
    if not env:
        return "live tests run against a deployed stage (make test-live ENV=<env>) or SAM (make local-api)"
    if env == LOCAL_ENV:
        return None  # checked by the target fixture: a wrong local set-up fails, it is not skipped
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
def target(live_env) -> str:
    """``sam`` for the local stack served by SAM CLI, ``aws`` for a deployed stage."""
    if live_env.name != LOCAL_ENV:
        return "aws"
    problem = local_target_problem(dict(os.environ))
    if problem:
        pytest.fail(problem)
    return "sam"


@pytest.fixture(autouse=True)
def _aws_only(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("aws_only")
    if marker is not None and request.getfixturevalue("target") == "sam":
        pytest.skip(f"SAM CLI does not emulate {marker.args[0]} (docs/LOCAL-API.md)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "aws_only(reason): needs a deployed stage; skipped under SAM CLI")


def base_url(url: str, stage: str, target: str) -> str:
    """The URL the tests' paths are appended to: SAM serves the routes without the stage prefix."""
    url = url.rstrip("/")
    if target == "sam" and url.endswith(f"/{stage}"):
        return url[: -len(stage) - 1]
    return url


@pytest.fixture(scope="session")
def api(live_env, target) -> LiveApi:
    url = os.environ.get("LIVE_API_URL") or _terraform_output(live_env.name, "invoke_url")
    if target == "aws" and not url.startswith("https://"):
        pytest.skip(f"no invoke_url output for {live_env.name}: deploy it first (make plan/apply ENV={live_env.name})")
    return LiveApi(base_url(url, live_env.api.stage_name, target))


def _terraform_output(env: str, name: str) -> str:
    stack = ROOT / "cdktf.out" / "stacks" / env
    done = subprocess.run(
        ["terraform", f"-chdir={stack}", "output", "-raw", name], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else ""


@pytest.fixture(scope="session")
def key_manager(live_env):
    """scripts/manage_keys.py's KeyManager for the target's environment (the key tool, never table writes)."""
    from modules.front_door.names import AuthNames
    from scripts.manage_keys import KeyManager

    return KeyManager(names=AuthNames.for_prefix(live_env.name_prefix), region=live_env.region)


@pytest.fixture(scope="session")
def make_key_with_id(key_manager) -> Iterator[Callable[[int], tuple[str, str]]]:
    """Creates temporary keys with the KeyManager (never stored in Secrets Manager): (key id, key). Every key
    is deleted at the end of the session, whatever the tests did; ``created`` lists the ids (rotations add)."""
    created: list[str] = []

    def make(rate_limit: int = 1000) -> tuple[str, str]:
        key_id, key = key_manager.create(name="live-test", rate_limit=rate_limit)
        created.append(key_id)
        return key_id, key

    make.created = created  # type: ignore[attr-defined]
    yield make
    for key_id in created:
        key_manager.delete(key_id)


@pytest.fixture(scope="session")
def make_key(make_key_with_id) -> Callable[[int], str]:
    def make(rate_limit: int = 1000) -> str:
        return make_key_with_id(rate_limit)[1]

    return make


@pytest.fixture(scope="session")
def key(make_key) -> str:
    return make_key(1000)
