"""The front door's AWS resources on a moto server, for integration tests (scripts.emulator.front_door)."""

from __future__ import annotations

from scripts.emulator.front_door import FrontDoorResources, create

__all__ = ["FrontDoorResources", "create"]
