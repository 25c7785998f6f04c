#!/usr/bin/env python3
"""Synthesize the AgenticAI stacks into Terraform JSON.

    python main.py                      # every environment
    python main.py --env dev --env prod # a subset; other stacks in cdktf.out/ are kept

Each environment gives two stacks: ``<env>`` (the hardened API, S3 state) and
``bootstrap-<env>`` (its state bucket, local state), plus ``ci-<env>`` (its CI roles, S3 state) when the
environment has ``ci`` settings (docs/PIPELINE.md). Every stack directory gets a copy of the committed
provider lock file ``.terraform.lock.hcl``. Output goes to
``$CDKTF_OUTDIR`` (set by ``cdktf synth``) or ``cdktf.out/``. The synth writes
to a temporary directory and swaps it in only when every stack succeeded, so a
failure leaves the previous output exactly as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from environments import ENVIRONMENTS, EnvironmentConfigError, UnknownEnvironmentError, load
from modules.core import runtime

#: Terraform working files that survive a re-synth, so `terraform init` need not be rerun.
_KEPT_WORKING_FILES = (".terraform",)
#: The committed provider lock file (docs/PIPELINE.md, supply chain), copied into every stack directory.
LOCK_FILE = Path(__file__).resolve().parent / ".terraform.lock.hcl"
#: S3-native state locking (``use_lockfile``) needs Terraform 1.10 or later. Written as ``versions.tf`` next to
#: ``cdk.tf.json`` (Terraform merges every ``terraform`` block of a directory): checkov's Terraform-JSON parser
#: cannot read a string attribute of the ``terraform`` block and would skip the whole stack unscanned.
REQUIRED_TERRAFORM = ">= 1.10"
VERSIONS_FILE = "versions.tf"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--env",
        action="append",
        dest="envs",
        metavar="NAME",
        help=f"environment to synthesize (repeatable; default: all of {', '.join(ENVIRONMENTS)})",
    )
    parser.add_argument(
        "--outdir", type=Path, default=None, help="output directory (default: $CDKTF_OUTDIR or cdktf.out)"
    )
    return parser.parse_args(argv)


def stack_names(env: str) -> tuple[str, str]:
    return env, f"bootstrap-{env}"


def build_app(configs, outdir: Path):
    """Build the cdktf App with one environment stack and one bootstrap stack per config."""
    runtime.prepare()  # the project's Node.js and the lazy provider, before cdktf loads
    from cdktf import App, Aspects

    from modules.ci import CiRolesStack, PermissionsBoundary, ci_stack_name, policies
    from modules.stack import AgenticAiStack, BootstrapStack

    app = App(outdir=str(outdir), stack_traces=False)
    for config in configs:
        env_stack, bootstrap_stack = stack_names(config.name)
        environment = AgenticAiStack(app, env_stack, config=config)
        BootstrapStack(app, bootstrap_stack, config=config)
        if config.ci is not None:
            # Every role the CI apply role creates must carry its boundary (modules/ci/policies.py).
            Aspects.of(environment).add(PermissionsBoundary(policies.names(config).boundary_arn))
            CiRolesStack(app, ci_stack_name(config.name), config=config)
    return app


def all_stack_names(config) -> list[str]:
    """Every stack synthesized for one environment config."""
    from modules.ci import ci_stack_name

    return [*stack_names(config.name), *([ci_stack_name(config.name)] if config.ci is not None else [])]


def synth(envs: Sequence[str], outdir: Path) -> list[str]:
    """Validate, synthesize into a temporary directory, then swap it into ``outdir``."""
    configs = [load(name) for name in envs]  # every config error surfaces before any output is touched
    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.synth-", dir=outdir.parent))
    try:
        app = build_app(configs, staging)
        app.synth()
        _add_terraform_files(staging, app)
        _keep_other_stacks(outdir, staging)
        _keep_working_files(outdir, staging)
        _swap(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [name for config in configs for name in all_stack_names(config)]


def _add_terraform_files(new: Path, app) -> None:
    """In every freshly synthesized stack: the committed provider hashes (``terraform init`` checks them),
    the required Terraform version, and the ``removed`` blocks of resources it retired (``retired.tf``)."""
    from modules.core import retired

    versions = f'terraform {{\n  required_version = "{REQUIRED_TERRAFORM}"\n}}\n'
    for stack_dir in (new / "stacks").iterdir() if (new / "stacks").is_dir() else ():
        shutil.copyfile(LOCK_FILE, stack_dir / LOCK_FILE.name)
        (stack_dir / VERSIONS_FILE).write_text(versions)
    for stack in app.node.children:
        addresses = retired.removed_addresses(stack)
        if addresses:
            (new / "stacks" / stack.node.id / retired.RETIRED_FILE).write_text(retired.render(addresses))


def _keep_other_stacks(old: Path, new: Path) -> None:
    """Carry stacks that this run did not synthesize over from the previous output."""
    old_manifest_path = old / "manifest.json"
    if not old_manifest_path.is_file():
        return
    old_manifest = json.loads(old_manifest_path.read_text())
    new_manifest = json.loads((new / "manifest.json").read_text())
    kept = [
        name
        for name in old_manifest.get("stacks", {})
        if name not in new_manifest["stacks"] and (old / "stacks" / name).is_dir()
    ]
    for name in kept:
        shutil.copytree(old / "stacks" / name, new / "stacks" / name, symlinks=True)
        new_manifest["stacks"][name] = old_manifest["stacks"][name]
    if kept:
        (new / "manifest.json").write_text(json.dumps(new_manifest, indent=2) + "\n")


def _keep_working_files(old: Path, new: Path) -> None:
    """Move `terraform init` results from the previous output into the new stack directories."""
    for new_stack in (new / "stacks").iterdir() if (new / "stacks").is_dir() else ():
        for name in _KEPT_WORKING_FILES:
            source, target = old / "stacks" / new_stack.name / name, new_stack / name
            if source.exists() and not target.exists():
                os.replace(source, target)


def _swap(staging: Path, outdir: Path) -> None:
    if not outdir.exists():
        os.replace(staging, outdir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.old-", dir=outdir.parent))
    os.replace(outdir, retired / outdir.name)
    try:
        os.replace(staging, outdir)
    except OSError:
        os.replace(retired / outdir.name, outdir)
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    envs = list(dict.fromkeys(args.envs or ENVIRONMENTS))
    outdir = args.outdir or Path(os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    try:
        stacks = synth(envs, outdir)
    except (UnknownEnvironmentError, EnvironmentConfigError) as error:
        # One line (path, value, allowed values). Environments load before anything is built, so the
        # previous output was not touched.
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - report any failure, keep the previous output
        traceback.print_exc()
        print(f"error: synth failed; {outdir}/ was left unchanged.", file=sys.stderr)
        return 1
    print(f"Synthesized {len(stacks)} stacks into {outdir}/stacks/: {', '.join(stacks)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
