"""moto patches that make the emulator keep what the real service keeps, where the stacks depend on it.

* WAFv2 ``DataProtectionConfig`` (the web ACL's redaction of ``x-api-key`` and ``authorization`` in every
  output, sampled requests included): moto accepts it in CreateWebACL/UpdateWebACL but drops it, so GetWebACL
  returns none and every later plan would try to add it again (the e2e's second plan must be empty). Here it
  is stored with the web ACL and returned by GetWebACL, as
  https://docs.aws.amazon.com/waf/latest/APIReference/API_WebACL.html documents. moto still does not apply it
  (it samples no requests at all).

Applied in the moto server process by :func:`apply` (``python -m scripts.emulator.fidelity``, the launcher of
:class:`scripts.emulator.moto_server.MotoServer`).
"""

from __future__ import annotations

import functools
import json
from typing import Any


def _keep_web_acl_data_protection() -> None:
    from moto.wafv2.models import FakeWebACL
    from moto.wafv2.responses import WAFV2Response

    def store(handler: Any, arn: str | None, name: str | None, config: Any) -> None:
        for acl in handler.wafv2_backend.wacls.values():
            if acl.arn == arn or (arn is None and acl.name == name):
                acl.data_protection_config = config

    create, update, to_dict = WAFV2Response.create_web_acl, WAFV2Response.update_web_acl, FakeWebACL.to_dict

    @functools.wraps(create)
    def create_web_acl(self: Any) -> Any:
        status, headers, body = create(self)
        summary = json.loads(body)["Summary"]
        store(self, summary["ARN"], None, json.loads(self.body).get("DataProtectionConfig"))
        return status, headers, body

    @functools.wraps(update)
    def update_web_acl(self: Any) -> Any:
        result = update(self)
        request = json.loads(self.body)
        for acl in self.wafv2_backend.wacls.values():
            if acl.id == request.get("Id") and acl.name == request.get("Name"):
                acl.data_protection_config = request.get("DataProtectionConfig")
        return result

    @functools.wraps(to_dict)
    def web_acl_to_dict(self: Any) -> dict[str, Any]:
        document = to_dict(self)
        if getattr(self, "data_protection_config", None):
            document["DataProtectionConfig"] = self.data_protection_config
        return document

    WAFV2Response.create_web_acl = create_web_acl  # type: ignore[method-assign]
    WAFV2Response.update_web_acl = update_web_acl  # type: ignore[method-assign]
    FakeWebACL.to_dict = web_acl_to_dict  # type: ignore[method-assign]


def apply() -> None:
    """Every patch of this module (idempotent enough for one server process)."""
    _keep_web_acl_data_protection()


if __name__ == "__main__":
    apply()
    from moto.server import main

    main()
