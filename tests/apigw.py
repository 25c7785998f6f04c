"""A small model of API Gateway's REST request path for the front door, used by the handler tests.

It follows the documented order: identity source check -> REQUEST authorizer ->
policy -> usage-plan key check -> Lambda proxy integration, and answers with
the *same* gateway-response table that ``modules.front_door.front_door`` deploys. It is not an
emulator of API Gateway (moto does not run authorizers); it composes the real
handler code with the deployed status/header contract. Every behaviour it assumes is listed, with
its AWS documentation, in docs/AWS-BEHAVIOUR.md (the ledger); the ``[Bn]`` marks below refer to it.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from environments.config.auth import UsagePlanConfig
from modules.front_door.front_door import API_KEY_HEADER, gateway_responses
from modules.functions import authorizer

API_ID = "a1b2c3d4e5"
ACCOUNT = "123456789012"
STAGE = "v1"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


def _headers(headers: dict[str, str] | None) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if headers is None:
        return None, None
    return dict(headers), {k: [v] for k, v in headers.items()}


def authorizer_event(method: str, path: str, headers: dict[str, str] | None) -> dict[str, Any]:
    """A REQUEST authorizer event as API Gateway sends it (payload of a REST API REQUEST authorizer)."""
    single, multi = _headers(headers)
    return {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/{method}{path}",
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "accountId": ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.10", "userAgent": "pytest"},
            "apiId": API_ID,
        },
    }


def proxy_event(
    method: str,
    path: str,
    headers: dict[str, str] | None,
    body: str | None,
    authorizer_context: dict | None = None,
    *,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Lambda proxy integration event (REST API, payload 1.0): ``resource`` is the matched resource template
    (``/api/projects/{id}``; default: the path), ``path_parameters`` its values, ``query`` the query string.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
    """
    single, multi = _headers(headers)
    resource = resource or path
    context = {
        "resourcePath": resource,
        "httpMethod": method,
        "path": f"/{STAGE}{path}",
        "accountId": ACCOUNT,
        "stage": STAGE,
        "requestId": str(uuid.uuid4()),
        "identity": {"sourceIp": "203.0.113.10", "userAgent": "pytest"},
        "apiId": API_ID,
    }
    if authorizer_context is not None:
        context["authorizer"] = authorizer_context
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


def _matches(resource: Any, arn: str) -> bool:
    """[B4] IAM-style match of a policy Resource (a string or a list; ``*`` wildcards) against the method ARN."""
    resources = resource if isinstance(resource, list) else [resource]
    return any(isinstance(r, str) and fnmatch.fnmatchcase(arn, r) for r in resources)


def match_resource(path: str, resources: Iterable[str]) -> tuple[str, dict[str, str]] | None:
    """The resource template a path matches and its path parameters (``{name}`` matches one segment), or None.
    A literal segment wins over a parameter, as API Gateway prefers the more specific resource."""
    parts = path.strip("/").split("/")
    candidates = []
    for resource in resources:
        template = resource.strip("/").split("/")
        if len(template) != len(parts):
            continue
        params = {}
        for want, got in zip(template, parts, strict=True):
            if want.startswith("{") and want.endswith("}"):
                params[want[1:-1]] = got
            elif want != got:
                break
        else:
            candidates.append((len(params), resource, params))
    if not candidates:
        return None
    _, resource, params = min(candidates)
    return resource, params


@dataclass
class Gateway:
    """Routes requests through the authorizer to a backend, as the deployed stage would."""

    backend: Callable[[dict, Any], dict]
    plan_keys: set[str] = field(default_factory=set)
    usage_plan: UsagePlanConfig = field(default_factory=UsagePlanConfig)
    #: [B3] The type a throwing authorizer produces: AUTHORIZER_CONFIGURATION_ERROR as observed (the docs
    #: describe both; the front door answers 503 for either, and tests run both).
    failing_authorizer_response_type: str = "AUTHORIZER_CONFIGURATION_ERROR"
    #: Rewrites the authorizer event (tests of malformed events).
    event_hook: Callable[[dict[str, Any]], Any] = field(default=lambda event: event)
    failures: list[str] = field(default_factory=list)
    #: Resource templates (``/api/projects/{id}``) the proxy event's ``resource``/``pathParameters`` come from.
    resources: tuple[str, ...] = ()

    def _gateway_response(
        self, response_type: str, default_status: int, authorizer_context: dict[str, Any] | None = None
    ) -> Response:
        spec = next(s for s in gateway_responses(self.usage_plan) if s.response_type == response_type)
        template = spec.template().replace("$context.requestId", "req-1")
        # [B6] $context.authorizer.<key> in a gateway response template: the authorizer's context value.
        for name, value in (authorizer_context or {}).items():
            template = template.replace(f"$context.authorizer.{name}", str(value))
        template = re.sub(r"\$context\.authorizer\.[A-Za-z]+", "", template)
        body = json.loads(template)
        headers = {"Content-Type": "application/json", **dict(spec.headers)}
        return Response(spec.status_code or default_status, headers, body)

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: str | None = None
    ) -> Response:
        path, _, raw_query = path.partition("?")
        # 1. [B1] Identity source: a missing or empty X-API-Key header is a 401 without calling the authorizer.
        present = any(k.lower() == API_KEY_HEADER.lower() and v for k, v in (headers or {}).items())
        if not present:
            return self._gateway_response("UNAUTHORIZED", 401)
        # 2. The authorizer Lambda.
        try:
            result = authorizer.handler(self.event_hook(authorizer_event(method, path, headers)), None)
        except authorizer.Unauthorized:  # [B2] exactly "Unauthorized" -> 401
            return self._gateway_response("UNAUTHORIZED", 401)
        except Exception:  # noqa: BLE001 - [B3] any other error: AUTHORIZER_CONFIGURATION_ERROR (503 here)
            self.failures.append(self.failing_authorizer_response_type)
            return self._gateway_response(self.failing_authorizer_response_type, 500)
        statements: Iterable[dict] = result["policyDocument"]["Statement"]
        arn = authorizer_event(method, path, headers)["methodArn"]
        matching = [st for st in statements if _matches(st.get("Resource"), arn)]
        # [B4] an explicit Deny, or no Allow matching the method's ARN, is ACCESS_DENIED.
        if not any(st["Effect"] == "Allow" for st in matching) or any(st["Effect"] == "Deny" for st in matching):
            return self._gateway_response("ACCESS_DENIED", 403, result.get("context"))
        # 3. [B5] api_key_source = AUTHORIZER: the usage plan must know the returned usageIdentifierKey.
        if result.get("usageIdentifierKey") not in self.plan_keys:
            return self._gateway_response("INVALID_API_KEY", 403)
        # 4. Lambda proxy integration; [B7] API Gateway stringifies the context values.
        context = {k: str(v) for k, v in result.get("context", {}).items()}
        context["principalId"] = result["principalId"]
        query = dict(urllib.parse.parse_qsl(raw_query)) or None
        resource, params = match_resource(path, self.resources) or (path, {})
        event = proxy_event(
            method, path, headers, body, copy.deepcopy(context), resource=resource, path_parameters=params, query=query
        )
        raw = self.backend(event, None)
        return Response(raw["statusCode"], raw.get("headers", {}), json.loads(raw["body"]) if raw.get("body") else {})
