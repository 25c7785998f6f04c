"""Point boto3 (and the code under test) at a moto server for one test."""

from __future__ import annotations

from typing import Any

import pytest


def use_emulator(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the server's endpoint and test credentials (``server.env()``) in the environment, undone after the test."""
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
