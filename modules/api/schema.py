"""What API Gateway checks and logs for the demo API: the JSON body models and the access-log format."""

from __future__ import annotations

from typing import Any

from modules.functions.projects import FIELDS as PROJECT_FIELDS
from modules.functions.projects import TTL_FIELD, TTL_RANGE


def create_project_schema() -> dict[str, Any]:
    """The JSON Schema (draft-04, what API Gateway models use) of a POST /api/projects body.

    Built from the handler's own field table, so the gateway never rejects a body the
    handler would accept: each field is a required string of 1 to its maximum length
    with a non-blank character; ``ttl_seconds`` is an optional integer in the handler's range
    (a temporary project, such as the canary's); other fields are allowed (the handler ignores them).
    The handler keeps its own checks (Content-Type, size, trimming): defense in depth.
    """
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "CreateProject",
        "type": "object",
        "required": list(PROJECT_FIELDS),
        "properties": {
            **{
                field: {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": "\\S"}
                for field, max_length in PROJECT_FIELDS.items()
            },
            TTL_FIELD: {"type": "integer", "minimum": TTL_RANGE[0], "maximum": TTL_RANGE[1]},
        },
    }


#: JSON body models by name (the names ``Route.body_model`` refers to).
BODY_MODELS: dict[str, dict[str, Any]] = {"CreateProject": create_project_schema()}

#: Access log fields: JSON key -> the ``$context`` variable API Gateway fills in. Identifiers only:
#: never the API key itself (``$context.identity.apiKey``) or any request header (X-API-Key,
#: Authorization). keyId is the key's id, which the authorizer returns as its principal.
ACCESS_LOG_FIELDS: tuple[tuple[str, str], ...] = (
    ("requestId", "$context.requestId"),
    ("extendedRequestId", "$context.extendedRequestId"),
    ("ip", "$context.identity.sourceIp"),
    ("caller", "$context.identity.caller"),
    ("userAgent", "$context.identity.userAgent"),
    ("requestTime", "$context.requestTime"),
    ("httpMethod", "$context.httpMethod"),
    ("resourcePath", "$context.resourcePath"),
    ("status", "$context.status"),
    ("protocol", "$context.protocol"),
    ("responseLength", "$context.responseLength"),
    ("responseLatency", "$context.responseLatency"),
    ("integrationLatency", "$context.integrationLatency"),
    ("integrationStatus", "$context.integration.status"),
    ("authorizerStatus", "$context.authorizer.status"),
    ("authorizerLatency", "$context.authorizer.latency"),
    ("authorizerError", "$context.authorizer.error"),
    ("keyId", "$context.authorizer.principalId"),
    ("apiKeyId", "$context.identity.apiKeyId"),
    ("errorType", "$context.error.responseType"),
    ("errorMessage", "$context.error.messageString"),
    ("wafResponseCode", "$context.wafResponseCode"),
    ("wafStatus", "$context.waf.status"),
    ("wafError", "$context.waf.error"),
)

#: Variables API Gateway writes already quoted (and escaped), so the format must not quote them again.
_SELF_QUOTED = frozenset({"$context.error.messageString"})


def access_log_format() -> str:
    """The stage's access log format: one JSON object per request, on one line."""
    pairs = (f'"{key}":{var if var in _SELF_QUOTED else chr(34) + var + chr(34)}' for key, var in ACCESS_LOG_FIELDS)
    return "{" + ",".join(pairs) + "}"
