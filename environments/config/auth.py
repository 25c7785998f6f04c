"""Front-door configuration: API keys, usage plans and the authorizer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuthConfig:
    """API keys, usage plan limits and the REQUEST authorizer."""
