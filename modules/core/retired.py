"""Resources a release stops defining but whose data must not be destroyed by the next apply.

A ``removed`` block with ``destroy = false`` makes Terraform drop the resource from state and leave it in
AWS ("forget" in the plan), where an operator deletes it once they choose to
(https://developer.hashicorp.com/terraform/language/resources/syntax#removing-resources, Terraform >= 1.7).
It also gets past deletion protection, which would make a destroy fail.
"""

from __future__ import annotations

import hashlib
import re

from cdktf import TerraformStack
from constructs import Construct

_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def logical_id(*path: str) -> str:
    """The Terraform name cdktf gives a resource at ``path`` (construct ids below the stack): the ids joined
    by ``_``, then the first 8 hex digits of the MD5 of the ids joined by ``/`` (cdktf's ``makeUniqueId``)."""
    digest = hashlib.md5("/".join(path).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    return "_".join(_ALLOWED.sub("", part) for part in path) + f"_{digest}"


def forget_retired(scope: Construct, retired: tuple[tuple[str, str], ...]) -> None:
    """One ``removed { lifecycle { destroy = false } }`` block per (resource type, construct id) that ``scope``
    no longer defines. Call it once per stack."""
    stack = TerraformStack.of(scope)
    below = scope.node.path[len(stack.node.path) :].strip("/").split("/")
    blocks = [
        {"from": f"{type_}.{logical_id(*below, child)}", "lifecycle": {"destroy": False}} for type_, child in retired
    ]
    stack.add_override("removed", blocks)
