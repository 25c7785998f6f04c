"""Quiet by design: the normal traffic each alarm must not fire on, and why it cannot.

Normal traffic, every day: keyless internet scans (401s), clients at their limit (429s, usage-plan
403s), a canary run, a quiet night (no traffic at all) and a deploy. Each built-in alarm key (or key
prefix, for per-resource alarms) states which of these it must stay quiet through and why it
cannot breach then. ``scripts/generate_runbook.py`` prints the table in docs/RUNBOOK.md;
``tests/test_quiet_by_design.py`` derives the claims from the synthesized JSON (no paging alarm
counts client errors or authorizer 401s, every work queue has a consumer, canary alarms exist only
with a canary, missing data matches each alarm's traffic).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QUIET_BY_DESIGN", "QuietNote", "quiet_note"]

NIGHT = "No data is no traffic: treated as not breaching."


@dataclass(frozen=True)
class QuietNote:
    """key: an alarm key, or a prefix ending in ``-`` for per-resource alarms."""

    key: str
    quiet_during: str
    why: str


QUIET_BY_DESIGN: tuple[QuietNote, ...] = (
    QuietNote(
        "api-5xx",
        "keyless scans, clients at their limit, a quiet night, a deploy",
        "Counts 5XX only (401/403/429 are 4XX); a deploy swaps Lambda code without failed requests. " + NIGHT,
    ),
    QuietNote(
        "api-4xx-rate",
        "a quiet night, a deploy",
        "Keyless scans and clients at their limit DO raise it: INFO (chat/ticket topic, never paged). " + NIGHT,
    ),
    QuietNote(
        "api-latency-p95",
        "keyless scans, a canary run, a quiet night, a deploy",
        "p95 over 5 minutes: one cold start after a deploy is far from 5 % of requests. " + NIGHT,
    ),
    QuietNote(
        "lambda-error-rate",
        "keyless scans, clients at their limit, a quiet night",
        "Handlers only: the authorizer (whose Errors count its 401s) is excluded; 429s are answered, not raised. "
        + NIGHT,
    ),
    QuietNote(
        "lambda-duration-p99",
        "a canary run, a quiet night, a deploy",
        "p99 over 5 minutes against a 10 s limit: cold starts after a deploy last well under a second. " + NIGHT,
    ),
    QuietNote(
        "lambda-throttles",
        "keyless scans, clients at their limit, a quiet night",
        "Per-key limits answer 429 from the handler and the usage plan throttles at API Gateway, before Lambda. "
        + NIGHT,
    ),
    QuietNote(
        "authorizer-fail-closed",
        "keyless scans, clients at their limit, a canary run, a quiet night, a deploy",
        "Counts fail_closed decisions only (the authorizer could not read its table or pepper), never "
        "unauthorized, deny or rate_limited. " + NIGHT,
    ),
    QuietNote(
        "dynamodb-throttles-",
        "keyless scans, a canary run, a quiet night",
        "Keyless requests never reach the tables; on-demand capacity absorbs the canary. " + NIGHT,
    ),
    QuietNote(
        "sqs-oldest-message-age-",
        "a quiet night, a deploy",
        "Every work queue has a consumer (event source mapping), so messages do not wait; an empty queue has no age. "
        + NIGHT,
    ),
    QuietNote(
        "sqs-dlq-depth-",
        "keyless scans, clients at their limit, a quiet night, a deploy",
        "Only messages that failed every retry land there. " + NIGHT,
    ),
    QuietNote(
        "waf-blocked-spike",
        "a quiet night, a deploy",
        "Scanners blocked by the WAF DO raise it: INFO (chat/ticket topic, never paged). " + NIGHT,
    ),
    QuietNote(
        "canary-success",
        "keyless scans, clients at their limit, a quiet night, a deploy",
        "Exists only with a canary; fires after consecutive failed runs. Missing data is breaching only for a "
        "canary that runs around the clock (then a stopped canary is itself an outage).",
    ),
    QuietNote(
        "slo-",
        "keyless scans, clients at their limit, a canary run, a quiet night, a deploy",
        "Burn rates over 5XX, slow requests and handler errors (never 4XX or the authorizer); a composite needs "
        "both windows, so one deploy blip is not enough. " + NIGHT,
    ),
    QuietNote(
        "billing-estimated-charges",
        "every kind of normal traffic",
        "Fires at a share of the monthly budget; the fixed part stays under it (make cost). Sparse metric: "
        "missing data keeps the last state.",
    ),
)


def quiet_note(key: str) -> QuietNote | None:
    """The note for an alarm key: an exact key, else the longest matching prefix; None for an extra alarm."""
    exact = [n for n in QUIET_BY_DESIGN if n.key == key]
    if exact:
        return exact[0]
    prefixes = [n for n in QUIET_BY_DESIGN if n.key.endswith("-") and key.startswith(n.key)]
    return max(prefixes, key=lambda n: len(n.key)) if prefixes else None
