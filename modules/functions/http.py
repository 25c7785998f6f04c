"""Proxy-integration responses, and the rate-limit contract with the authorizer.

The REQUEST authorizer cannot make API Gateway answer 429 itself, so when a key
is over its hourly limit it *allows* the request with ``rateLimited = "true"``
in its context; :func:`with_rate_limit` turns that into the 429 (before any
route logic runs) and adds ``X-RateLimit-*`` headers to every other response.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}

#: Authorizer context field -> response header.
RATE_LIMIT_HEADERS = {
    "rateLimitLimit": "X-RateLimit-Limit",
    "rateLimitRemaining": "X-RateLimit-Remaining",
    "rateLimitReset": "X-RateLimit-Reset",
}


def response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
    }


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return response(status, {"error": message}, headers)


def authorizer_context(event: Any) -> Mapping[str, Any]:
    context = event.get("requestContext") if isinstance(event, Mapping) else None
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    return authorizer if isinstance(authorizer, Mapping) else {}


def rate_limit_headers(context: Mapping[str, Any]) -> dict[str, str]:
    return {header: str(context[field]) for field, header in RATE_LIMIT_HEADERS.items() if field in context}


def with_rate_limit(handler: Callable[[Any, Any], dict[str, Any]]) -> Callable[[Any, Any], dict[str, Any]]:
    """Answer 429 for a rate-limited key; otherwise run ``handler`` and add the X-RateLimit headers."""

    def wrapped(event: Any, context: Any) -> dict[str, Any]:
        auth = authorizer_context(event)
        headers = rate_limit_headers(auth)
        if str(auth.get("rateLimited", "")).lower() == "true":
            retry_after = str(auth.get("retryAfter", "60"))
            return error(
                429, "rate limit exceeded", {**headers, "X-RateLimit-Remaining": "0", "Retry-After": retry_after}
            )
        result = handler(event, context)
        result["headers"] = {**result.get("headers", {}), **headers}
        return result

    wrapped.__name__ = getattr(handler, "__name__", "handler")
    wrapped.__doc__ = handler.__doc__
    return wrapped
