"""The one helper every validation test uses: build something, expect one ConfigError line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from environments.config import ConfigError


def rejects(match: str, build: Callable[[], Any]) -> ConfigError:
    """Assert that ``build()`` raises a ConfigError whose message matches ``match``; return the error."""
    with pytest.raises(ConfigError, match=match) as info:
        build()
    return info.value
