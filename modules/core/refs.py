"""Typed references to the API being hardened.

The hardening constructs (auth, WAF, alarms, dashboard, backups, canary) take a
:class:`ServiceRefs`, never names or ARNs assembled by hand. ``modules.api``
builds one either from the resources it creates (the demo AgenticAI API) or
from data sources that look up an existing API by name/id, so the same
hardening works in both modes.

Every attribute is a Terraform expression (a cdktf token) or a literal string
from config; metric dimensions use the ``*_name`` attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RestApiRef:
    """A REST API and the stage being hardened.

    rest_api_id: the API id. name: the API name (CloudWatch ``ApiName`` dimension).
    stage_name: the stage (``Stage`` dimension). stage_arn: the stage ARN (WAF association).
    execution_arn: the execute-api ARN prefix (Lambda invoke permissions).
    invoke_url: the stage's base URL (canary, verification).
    """

    rest_api_id: str
    name: str
    stage_name: str
    stage_arn: str
    execution_arn: str
    invoke_url: str


@dataclass(frozen=True)
class FunctionRef:
    """A Lambda function. role: a short logical role such as ``projects`` or ``authorizer``."""

    role: str
    function_name: str
    arn: str


@dataclass(frozen=True)
class TableRef:
    """A DynamoDB table."""

    role: str
    name: str
    arn: str


@dataclass(frozen=True)
class QueueRef:
    """An SQS queue. is_dead_letter marks a DLQ (alarmed on depth > 0)."""

    role: str
    name: str
    arn: str
    url: str
    is_dead_letter: bool = False


@dataclass(frozen=True)
class BucketRef:
    """An S3 bucket (name = bucket id)."""

    role: str
    name: str
    arn: str


@dataclass(frozen=True)
class ServiceRefs:
    """Everything the hardening constructs wire to."""

    api: RestApiRef
    functions: tuple[FunctionRef, ...] = ()
    tables: tuple[TableRef, ...] = ()
    queues: tuple[QueueRef, ...] = ()
    buckets: tuple[BucketRef, ...] = ()
    managed: bool = field(default=True)
    """True when this project created the resources (and so can set their properties directly)."""

    def function(self, role: str) -> FunctionRef:
        return _by_role(self.functions, role, "function")

    def table(self, role: str) -> TableRef:
        return _by_role(self.tables, role, "table")

    def queue(self, role: str) -> QueueRef:
        return _by_role(self.queues, role, "queue")

    def bucket(self, role: str) -> BucketRef:
        return _by_role(self.buckets, role, "bucket")


def _by_role(items, role: str, kind: str):
    for item in items:
        if item.role == role:
            return item
    roles = ", ".join(item.role for item in items) or "none"
    raise KeyError(f"no {kind} with role {role!r}; available: {roles}")
