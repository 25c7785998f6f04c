"""Helpers to synthesize stacks and query the resulting Terraform JSON by type and name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modules.core import runtime

runtime.prepare()  # the project's Node.js and the lazy provider, before any test imports cdktf


class Synthesized:
    """One stack's Terraform JSON with lookups by resource type and name (never by generated key)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @classmethod
    def from_dir(cls, stack_dir: Path) -> Synthesized:
        return cls(json.loads((stack_dir / "cdk.tf.json").read_text()))

    def resources(self, type_: str) -> list[dict[str, Any]]:
        return list(self.document.get("resource", {}).get(type_, {}).values())

    def data_sources(self, type_: str) -> list[dict[str, Any]]:
        return list(self.document.get("data", {}).get(type_, {}).values())

    def resource(self, type_: str, **match: Any) -> dict[str, Any]:
        """The single resource of ``type_`` whose attributes equal ``match``."""
        found = [r for r in self.resources(type_) if all(r.get(k) == v for k, v in match.items())]
        if len(found) != 1:
            raise AssertionError(f"expected one {type_} matching {match}, found {len(found)}")
        return found[0]

    def count(self, type_: str) -> int:
        return len(self.resources(type_))

    @property
    def outputs(self) -> dict[str, Any]:
        return self.document.get("output", {})


def synth_scope(build: Callable[[Any], None], *, stack_id: str = "test") -> Synthesized:
    """Build constructs into a fresh stack with ``build(stack)`` and return its synthesized JSON."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    app = Testing.app()
    stack = TerraformStack(app, stack_id)
    AwsProvider(stack, "aws", region="us-east-1")
    build(stack)
    return Synthesized(json.loads(Testing.synth(stack)))


def existing_api_config():
    """An existing (not created here) AgenticAI API, referenced by name: the hardening-only mode.

    The same content as the demo API (two functions, a table, a queue and its dead-letter queue).
    """
    from environments.config import ExistingApiConfig, ExistingFunction, ExistingQueue, ExistingTable

    return ExistingApiConfig(
        rest_api_name="legacy-agenticai",
        stage_name="prod",
        artifacts_bucket_name="legacy-agenticai-artifacts",
        functions=(
            ExistingFunction(role="projects", function_name="legacy-projects"),
            ExistingFunction(role="health", function_name="legacy-health"),
        ),
        tables=(ExistingTable(role="projects", table_name="legacy-projects"),),
        queues=(
            ExistingQueue(role="projects", queue_name="legacy-projects"),
            ExistingQueue(role="projects-dlq", queue_name="legacy-projects-dlq", is_dead_letter=True),
        ),
    )


def existing_api_stack(env: str, existing=None):
    """A whole environment stack (every construct) pointed at an existing API: (stack, synthesized JSON).

    existing: the ExistingApiConfig. Default: :func:`existing_api_config`.
    """
    from cdktf import Testing

    from environments import load
    from environments.config import ApiConfig
    from modules.stack import AgenticAiStack

    config = load(env).replace(api=ApiConfig(existing=existing or existing_api_config()))
    stack = AgenticAiStack(Testing.app(), "existing", config=config)
    return stack, Synthesized(json.loads(Testing.synth(stack)))
