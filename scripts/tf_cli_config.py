#!/usr/bin/env python3
"""Write a Terraform CLI config that installs hashicorp/aws from a local filesystem mirror.

On a machine with internet access none of this is needed: plain ``terraform
init`` downloads the provider. On an offline machine with a mirror (a
directory in registry layout: ``registry.terraform.io/hashicorp/aws/<version>/<os_arch>/``)
this finds it, from ``$TF_PROVIDER_MIRROR`` or by looking in the usual places,
and writes a CLI config that uses it, plus a shared plugin cache so each stack
directory links the ~700 MB provider instead of copying it.

    python scripts/tf_cli_config.py [OUTDIR]   # prints the config path, or nothing if no mirror

Use it as ``TF_CLI_CONFIG_FILE=$(python scripts/tf_cli_config.py) terraform init``.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path

#: The provider version the pinned bindings (cdktf-cdktf-provider-aws 20.1.0) were generated for.
AWS_PROVIDER_VERSION = "5.100.0"
MIRROR_ENV = "TF_PROVIDER_MIRROR"
_BINARY = f"terraform-provider-aws_v{AWS_PROVIDER_VERSION}_x5"
_LAYOUT = f"registry.terraform.io/hashicorp/aws/{AWS_PROVIDER_VERSION}/*/{_BINARY}"
_SEARCH_ROOTS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt",
    "/opt/*",
    "/opt/*/*",
)


def find_provider_mirror() -> Path | None:
    """The root of a filesystem mirror holding the pinned AWS provider, or None."""
    configured = os.environ.get(MIRROR_ENV)
    roots = [configured] if configured else [os.path.expanduser(r) for r in _SEARCH_ROOTS]
    for pattern in roots:
        for root in sorted(glob.glob(pattern)):
            if glob.glob(os.path.join(root, _LAYOUT)):
                return Path(root).resolve()
    return None


def write_cli_config(directory: Path, mirror: Path) -> Path:
    """Write ``terraform.rc`` (and a plugin cache directory) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    cache = directory / "plugin-cache"
    cache.mkdir(exist_ok=True)
    config = directory / "terraform.rc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        "}\n"
        f'plugin_cache_dir = "{cache}"\n'
        # Stacks carry the committed .terraform.lock.hcl; scratch directories (tests) have none, and the
        # cache may still serve them instead of copying the provider.
        "plugin_cache_may_break_dependency_lock_file = true\n"
    )
    return config


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "outdir", nargs="?", type=Path, default=Path("build/terraform"), help="where to write terraform.rc"
    )
    args = parser.parse_args(argv)  # --help exits here, before any directory is created
    mirror = find_provider_mirror()
    if mirror is None:
        if os.environ.get(MIRROR_ENV):
            print(f"error: {MIRROR_ENV}={os.environ[MIRROR_ENV]} holds no {_LAYOUT}", file=sys.stderr)
            return 2
        return 0  # no mirror: terraform uses its normal configuration (the public registry)
    print(write_cli_config(args.outdir.resolve(), mirror))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
