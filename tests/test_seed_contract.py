"""The seed's testing strategy (authentication and rate limiting, docs/DESIGN's tests/test_authentication.py and
tests/test_rate_limiting.py) through the in-process API Gateway model with the real authorizer and handlers;
``tests/live/`` runs the same tests against a deployed stage."""

from __future__ import annotations

import json

import pytest

from modules.api.routes import ROUTES
from modules.functions import health, keys, projects
from tests import test_authorizer
from tests.apigw import Gateway
from tests.test_api_handlers import use_projects_backend
from tests.test_authorizer import MemoryStore, meters

RESOURCES = tuple(sorted({route.path for route in ROUTES}))
#: The authorizer's in-memory store, as tests/test_authorizer.py installs it.
store = test_authorizer.store


def _key(store: MemoryStore, rate_limit: int = 1000) -> str:
    _, value = keys.generate_key()
    store.add(value, rate_limit=rate_limit)
    return value


# --- tests/test_authentication.py ----------------------------------------------------------------------


@pytest.mark.usefixtures("store")
def test_missing_api_key() -> None:
    assert Gateway(backend=health.handler).request("GET", "/health").status == 401


def test_invalid_api_key(store) -> None:
    valid = _key(store)
    gateway = Gateway(backend=health.handler, plan_keys=meters(valid))
    assert gateway.request("GET", "/health", {"X-API-Key": "invalid-key"}).status == 403


def test_valid_api_key(store) -> None:
    valid = _key(store)
    result = Gateway(backend=health.handler, plan_keys=meters(valid)).request("GET", "/health", {"X-API-Key": valid})
    assert result.status == 200
    assert result.body["status"] == "healthy"


# --- tests/test_rate_limiting.py -----------------------------------------------------------------------


def test_rate_limit_enforcement(store) -> None:
    api_key = _key(store, rate_limit=10)
    gateway = Gateway(backend=health.handler, plan_keys=meters(api_key))
    for _ in range(10):
        assert gateway.request("GET", "/health", {"X-API-Key": api_key}).status == 200
    response = gateway.request("GET", "/health", {"X-API-Key": api_key})
    assert response.status == 429
    assert response.header("X-RateLimit-Remaining") == "0"


# --- tenants, through the gateway's path-parameter routing -----------------------------------------------


@pytest.fixture
def projects_backend(moto_server, monkeypatch):
    use_projects_backend(moto_server, monkeypatch)
    yield
    projects._clients.clear()


@pytest.mark.usefixtures("projects_backend")
def test_another_tenants_project_is_404_through_the_gateway(store) -> None:
    alice, bob = _key(store), _key(store)
    gateway = Gateway(backend=projects.handler, plan_keys=meters(alice, bob), resources=RESOURCES)
    body = json.dumps({"name": "mine", "type": "t", "description": "d"})
    headers = {"X-API-Key": alice, "Content-Type": "application/json"}
    created = gateway.request("POST", "/api/projects", headers, body)
    assert created.status == 201
    project = f"/api/projects/{created.body['id']}"
    assert gateway.request("GET", project, {"X-API-Key": alice}).status == 200
    assert gateway.request("GET", project, {"X-API-Key": bob}).status == 404
    assert gateway.request("DELETE", project, {"X-API-Key": bob}).status == 404
    assert gateway.request("GET", "/api/projects?limit=10", {"X-API-Key": bob}).body["projects"] == []
    assert gateway.request("GET", "/api/projects/not-a-uuid", {"X-API-Key": alice}).status == 400
    assert gateway.request("DELETE", project, {"X-API-Key": alice}).status == 200
