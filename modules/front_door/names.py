"""Names of the front door's resources, shared by ``modules.front_door.front_door`` and ``scripts/manage_keys.py``.

No cdktf import here, so the key CLI starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuthNames:
    prefix: str

    @classmethod
    def for_prefix(cls, prefix: str) -> AuthNames:
        return cls(prefix)

    @property
    def keys_table(self) -> str:
        return f"{self.prefix}-api-keys"

    @property
    def pepper_secret(self) -> str:
        return f"{self.prefix}/auth/pepper"

    @property
    def usage_plan(self) -> str:
        return f"{self.prefix}-default"

    @property
    def authorizer_function(self) -> str:
        return f"{self.prefix}-authorizer"

    @property
    def data_key_alias(self) -> str:
        """The environment's data key (``modules.core.kms.DataKey``: ``alias/<prefix>-data``)."""
        return f"alias/{self.prefix}-data"

    def key_secret(self, key_name: str) -> str:
        """Where ``manage_keys.py create`` stores a key's value (``canary`` is read by the canary)."""
        return f"{self.prefix}/api-keys/{key_name}"
