"""Resource names: one prefix per environment, checked against AWS length limits at synth time."""

from __future__ import annotations

from dataclasses import dataclass

# Tightest common limits, so a too-long name fails at synth rather than at apply.
MAX_LENGTHS = {
    "default": 255,
    "s3_bucket": 63,
    "iam_role": 64,
    "lambda_function": 64,
    "alarm": 255,
    "waf": 128,
    "canary": 255,  # canary names are limited to 21 separately (see Naming.canary)
}


@dataclass(frozen=True)
class Naming:
    """Builds ``<prefix>-<part>-<part>`` names for one environment."""

    prefix: str

    def name(self, *parts: str, kind: str = "default") -> str:
        value = "-".join((self.prefix, *parts))
        limit = MAX_LENGTHS[kind]
        if len(value) > limit:
            raise ValueError(f"{kind} name {value!r} is {len(value)} characters; the limit is {limit}")
        return value
