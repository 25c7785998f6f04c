"""The in-process model of API Gateway (tests/apigw.py) against AWS's own emulator (SAM CLI, ``make local-api``).

For every request both serve, the same sequence goes to the model (the real authorizer and health handler, an
in-memory key store) and to SAM (the synthesized ``local`` stack, keys made with scripts/manage_keys.py on moto).
Status, ``X-RateLimit-*`` and the presence of ``Retry-After`` must agree (``X-RateLimit-Reset`` too: both sides
use the same hourly window, and each pair is sent within milliseconds), except for the differences listed in
:data:`KNOWN_DIFFERENCES` (also the table in docs/LOCAL-API.md, with AWS's documentation). What SAM does not
emulate (usage plans, gateway response bodies, WAF) stays covered by the model alone.

Runs under SAM only (``scripts/local_api.py --run-live-tests``); elsewhere it is skipped with a one-line reason.
:func:`disagreements` is pure and has its own tests in tests/test_local_api.py (the negative control).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from modules.functions import health, keys
from tests import test_authorizer
from tests.apigw import Gateway
from tests.test_authorizer import meters

pytestmark = pytest.mark.live

#: The authorizer's in-memory store, as tests/test_authorizer.py installs it.
store = test_authorizer.store

#: Headers compared (by value), and headers whose presence is compared.
COMPARED_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
PRESENCE_HEADERS = ("Retry-After",)


@dataclass(frozen=True)
class Seen:
    """What one side answered to one request: the status and the compared headers."""

    status: int
    headers: tuple[tuple[str, str | None], ...]


#: (scenario, model's status, SAM's status) -> why they differ, with AWS's documentation. Only that exact pair is
#: excused: any other disagreement in the scenario still fails.
KNOWN_DIFFERENCES: dict[tuple[str, int, int], str] = {
    ("authorizer fails (data services down)", 503, 502): (
        "SAM CLI answers 502 when the authorizer Lambda fails; API Gateway answers with the "
        "AUTHORIZER_CONFIGURATION_ERROR or AUTHORIZER_FAILURE gateway response (500 by default), which the front "
        "door configures as 503 with Retry-After: "
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html"
    ),
}


def seen(status: int, header: Callable[[str], str | None]) -> Seen:
    values = [(name, header(name)) for name in COMPARED_HEADERS]
    values += [(name, "present" if header(name) is not None else None) for name in PRESENCE_HEADERS]
    return Seen(status, tuple(values))


def disagreements(
    pairs: list[tuple[str, Seen, Seen]], known: dict[tuple[str, int, int], str] = KNOWN_DIFFERENCES
) -> list[str]:
    """One line per (scenario, model, SAM) pair that differs and is not a known difference."""
    found = []
    for index, (scenario, model, sam) in enumerate(pairs):
        if model == sam:
            continue
        excused = (scenario, model.status, sam.status) in known
        if excused and model.status != sam.status:
            continue
        found.append(f"#{index} {scenario}: model {model.status} {dict(model.headers)} != SAM {sam.status} "
                     f"{dict(sam.headers)}")  # fmt: skip
    return found


@pytest.fixture(scope="module")
def sam():
    if os.environ.get("LIVE_ENV") != "local":
        pytest.skip("compares the model with SAM CLI: run by scripts/local_api.py --run-live-tests (make local-api)")
    from tests.live.conftest import LOCAL_ENV, LiveApi, base_url, local_target_problem

    problem = local_target_problem(dict(os.environ))
    if problem:
        pytest.fail(problem)
    from environments import load

    env = load(LOCAL_ENV)
    return LiveApi(base_url(os.environ["LIVE_API_URL"], env.api.stage_name, "sam")), env


@pytest.fixture(scope="module")
def sam_keys(sam) -> Iterator[Callable[..., str]]:
    from modules.front_door.names import AuthNames
    from scripts.manage_keys import KeyManager

    _, env = sam
    manager = KeyManager(names=AuthNames.for_prefix(env.name_prefix), region=env.region)
    created: list[str] = []

    def make(rate_limit: int = 1000, *, enabled: bool = True) -> str:
        key_id, value = manager.create(name="model-vs-sam", rate_limit=rate_limit)
        created.append(key_id)
        if not enabled:
            manager.disable(key_id)
        return value

    yield make
    for key_id in created:
        manager.delete(key_id)


@contextmanager
def moto_paused() -> Iterator[None]:
    pid = int(os.environ["LIVE_MOTO_PID"])
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_the_model_agrees_with_sam(sam, sam_keys, store) -> None:
    api, _ = sam
    pairs: list[tuple[str, Seen, Seen]] = []
    gateway = Gateway(backend=health.handler)

    def both(scenario: str, model_key: str | None, sam_key: str | None) -> None:
        headers = None if model_key is None else {"X-API-Key": model_key}
        model = gateway.request("GET", "/health", headers)
        answer = api.request("GET", "/health", key=sam_key)
        pairs.append((scenario, seen(model.status, model.header), seen(answer.status, answer.header)))

    both("no key", None, None)
    both("empty key", "", "")
    both("malformed key", "invalid-key", "invalid-key")
    _, unknown = keys.generate_key()
    both("unknown key", unknown, unknown)
    disabled = keys.generate_key()[1]
    store.add(disabled, enabled=False)
    gateway.plan_keys |= meters(disabled)
    both("disabled key", disabled, sam_keys(enabled=False))
    model_key, sam_key = keys.generate_key()[1], sam_keys(10)
    store.add(model_key, rate_limit=10)
    gateway.plan_keys |= meters(model_key)
    for _ in range(12):
        both("key limited to 10", model_key, sam_key)
    limited = [sam_seen.status for scenario, _, sam_seen in pairs if scenario == "key limited to 10"]
    assert limited == [200] * 10 + [429] * 2, limited  # SAM did what was meant; the model must agree (below)
    if os.environ.get("LIVE_MOTO_PID"):
        fresh = keys.generate_key()[1]
        store.add(fresh)
        gateway.plan_keys |= meters(fresh)
        store.fail = ConnectionError("the key store is unreachable")  # the model's data services down
        sam_fresh = sam_keys(1000)  # never seen by SAM's warm authorizer: it must read DynamoDB
        with moto_paused():
            both("authorizer fails (data services down)", fresh, sam_fresh)
    assert disagreements(pairs) == [], "\n".join(disagreements(pairs))
    # Negative control on the real observations: one injected disagreement (the model's first 200 claims one
    # request fewer remaining) is reported, and only it.
    index = next(i for i, (scenario, _, _) in enumerate(pairs) if scenario == "key limited to 10")
    scenario, model, answer = pairs[index]
    headers = tuple((k, "8" if k == "X-RateLimit-Remaining" else v) for k, v in model.headers)
    injected = [*pairs[:index], (scenario, Seen(model.status, headers), answer), *pairs[index + 1 :]]
    assert len(disagreements(injected)) == 1, disagreements(injected)
