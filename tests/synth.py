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
    """An existing (not created here) AgenticAI API, referenced by name: the hardening-only mode."""
    from environments.config import ExistingApiConfig

    return ExistingApiConfig(
        rest_api_name="legacy-agenticai",
        stage_name="prod",
        projects_function_name="legacy-projects",
        health_function_name="legacy-health",
        projects_table_name="legacy-projects",
        projects_queue_name="legacy-projects",
        projects_dlq_name="legacy-projects-dlq",
        artifacts_bucket_name="legacy-agenticai-artifacts",
    )


def existing_api_stack(env: str):
    """A whole environment stack (every construct) pointed at the existing API: (stack, synthesized JSON)."""
    import dataclasses

    from cdktf import Testing

    from environments import load
    from environments.config import ApiConfig
    from modules.stack import AgenticAiStack

    config = dataclasses.replace(load(env), api=ApiConfig(existing=existing_api_config()))
    stack = AgenticAiStack(Testing.app(), "existing", config=config)
    return stack, Synthesized(json.loads(Testing.synth(stack)))
