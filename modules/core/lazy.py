"""Values produced at synthesis time, for a reference to a resource that is created later.

The aws-cdk idiom (its UsagePlan renders its API stages this way): a construct built early can
hold a reference that only resolves once the referenced resource exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsii
from cdktf import IStringProducer, Lazy


@jsii.implements(IStringProducer)
class _StringProducer:
    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self, context: Any) -> str:  # noqa: ARG002 (cdktf passes a resolve context)
        return self._produce()


def lazy_string(produce: Callable[[], str]) -> str:
    """A string token whose value is ``produce()``, called when the stack is synthesized."""
    return Lazy.string_value(_StringProducer(produce))
