"""GET /health: a dependency-free liveness check (used by the canary and load balancers)."""

from __future__ import annotations

import os
import time
from typing import Any

from . import sampling
from .http import response, with_rate_limit


@with_rate_limit
def handler(event: Any, context: Any) -> dict[str, Any]:
    sampling.start(context)  # INFO for a sample of invocations, WARNING and above always
    return response(
        200,
        {
            "status": "healthy",
            "service": "agenticai",
            "version": os.environ.get("API_VERSION", "v1"),
            "timestamp": int(time.time()),
        },
    )
