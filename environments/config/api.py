"""The AgenticAI API itself (created by this project, or an existing one)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiConfig:
    """The API being hardened."""
