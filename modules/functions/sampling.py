"""INFO logs for a sample of invocations; WARNING and above always.

A handler calls :func:`start` once, first thing in each invocation::

    from functions import sampling

    def handler(event, context):
        sampling.start(context)
        ...

``LOG_SAMPLE_RATE`` (0.0-1.0, set per function from ``monitoring.function_logging.info_sample_rate``
by ``modules/api/function.py``) is the share of invocations that log at the level Lambda was
configured with (``AWS_LAMBDA_LOG_LEVEL``, from the function's ``application_log_level``); every
other invocation raises the root logger to WARNING, so its INFO and DEBUG lines are never written
(and never ingested). WARNING, ERROR and CRITICAL lines pass in every invocation: the authorizer's
``fail_closed`` decisions (WARNING) and the handlers' ``server_error`` lines (ERROR), which the
metric filters count, are never sampled away.

Lambda sets ``AWS_LAMBDA_LOG_LEVEL`` and configures the root logger from the logging configuration:
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html#python-logging-advanced

A missing or invalid ``LOG_SAMPLE_RATE`` logs everything (rate 1.0) and says so once at WARNING:
losing logs silently is worse than paying for them.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable
from typing import Any

__all__ = ["ENV_VAR", "sample_rate", "start"]

ENV_VAR = "LOG_SAMPLE_RATE"
_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
}
_warned: set[str] = set()


def sample_rate(environ: dict[str, str] | None = None) -> float:
    """The configured share of invocations that log INFO: ``LOG_SAMPLE_RATE``, else 1.0."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_VAR)
    if raw is None:
        return 1.0
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        if raw not in _warned:
            _warned.add(raw)
            logging.getLogger(__name__).warning(
                "%s: got %r; allowed: a number from 0.0 to 1.0; logging every invocation", ENV_VAR, raw
            )
        return 1.0
    return rate


def _configured_level(environ: dict[str, str] | None = None) -> int:
    """The level Lambda's logging configuration asked for (``AWS_LAMBDA_LOG_LEVEL``); INFO without one."""
    env = os.environ if environ is None else environ
    return _LEVELS.get(env.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper(), logging.INFO)


def start(
    context: Any = None,
    *,
    environ: dict[str, str] | None = None,
    draw: Callable[[], float] = random.random,
    logger: logging.Logger | None = None,
) -> bool:
    """Decide whether this invocation logs INFO, and set the root logger's level for it.

    context: the Lambda context (unused today; taken so the call line never changes).
    environ, draw, logger: for tests. Default: ``os.environ``, ``random.random``, the root logger.
    Returns True when the invocation is sampled (logs at the configured level).
    """
    del context
    target = logging.getLogger() if logger is None else logger
    configured = _configured_level(environ)
    sampled = draw() < sample_rate(environ)
    target.setLevel(configured if sampled else max(configured, logging.WARNING))
    return sampled
