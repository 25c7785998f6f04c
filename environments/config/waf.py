"""Edge protection (WAFv2) configuration."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from environments.config.base import require_enum


class RuleAction(enum.Enum):
    """What a WAF rule does with a match. COUNT stages a rule before it blocks."""

    COUNT = "count"
    BLOCK = "block"


@dataclass(frozen=True)
class WafConfig:
    """The regional web ACL in front of the API stage.

    enabled: create and associate the web ACL. Default: on.
    mode: the action of every protective rule. Default: BLOCK.
    """

    enabled: bool = True
    mode: RuleAction = RuleAction.BLOCK

    def __post_init__(self) -> None:
        require_enum("waf.mode", self.mode, RuleAction)
