"""Resources a release stops defining but whose data must not be destroyed by the next apply.

A ``removed`` block with ``destroy = false`` makes Terraform drop the resource from state and leave it in
AWS ("forget" in the plan), where an operator deletes it once they choose to
(https://developer.hashicorp.com/terraform/language/resources/syntax#removing-resources, Terraform >= 1.7).
It also gets past deletion protection, which would make a destroy fail.

The blocks are written as ``retired.tf`` next to the stack's ``cdk.tf.json`` (``main.py``), not into it:
checkov's Terraform-JSON parser cannot read a ``removed`` block and would skip the whole stack unscanned.
A construct declares what it retired with :func:`forget_retired`; the address is recorded as metadata on
its stack, which ``main.py`` reads after synth.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from cdktf import TerraformStack
from constructs import Construct

#: The construct metadata type under which a stack records the addresses its ``removed`` blocks name.
METADATA_TYPE = "agenticai:removed"
RETIRED_FILE = "retired.tf"
_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def logical_id(*path: str) -> str:
    """The Terraform name cdktf gives a resource at ``path`` (construct ids below the stack): the ids joined
    by ``_``, then the first 8 hex digits of the MD5 of the ids joined by ``/`` (cdktf's ``makeUniqueId``)."""
    digest = hashlib.md5("/".join(path).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    return "_".join(_ALLOWED.sub("", part) for part in path) + f"_{digest}"


def forget_retired(scope: Construct, retired: tuple[tuple[str, str], ...]) -> None:
    """Record one ``removed { lifecycle { destroy = false } }`` block per (resource type, construct id) that
    ``scope`` no longer defines, on ``scope``'s stack."""
    stack = TerraformStack.of(scope)
    below = scope.node.path[len(stack.node.path) :].strip("/").split("/")
    for type_, child in retired:
        stack.node.add_metadata(METADATA_TYPE, f"{type_}.{logical_id(*below, child)}")


def removed_addresses(stack: Any) -> tuple[str, ...]:
    """The addresses ``stack`` forgets, in the order they were recorded."""
    return tuple(str(entry.data) for entry in stack.node.metadata if entry.type == METADATA_TYPE)


def render(addresses: tuple[str, ...]) -> str:
    """The ``retired.tf`` text for ``addresses``."""
    block = "removed {{\n  from = {}\n  lifecycle {{\n    destroy = false\n  }}\n}}\n"
    blocks = (block.format(address) for address in addresses)
    header = "# Written by main.py (modules/core/retired.py): resources this release no longer defines.\n"
    return header + "\n".join(blocks)
