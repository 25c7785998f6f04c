#!/usr/bin/env python3
"""List the example values an environment still carries, before its first real apply.

    python scripts/placeholders.py                   # every environment but the emulator
    python scripts/placeholders.py --env prod --json
    python scripts/placeholders.py --gate --env prod # what `make plan` runs first

The environment files ship with example values: account ids such as
``111111111111``, state buckets named after them, ``@example.com`` alert
addresses, and the default ``monitoring.runbook_url`` (a guess at where this
repository is published). Each one found is printed as one line naming the file
and the field. The emulator tier (``local``) is exempt: moto's account id and
example addresses are what it needs.

Exit status: 0 none left, 1 some left (listing mode), 2 bad input, or ``--gate``
refusing a production-tier environment. With ``--gate`` a non-production
environment only gets a warning on stderr and exit 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from environments import ENVIRONMENTS, EnvironmentConfigError, UnknownEnvironmentError, load  # noqa: E402
from environments.config import MonitoringConfig, Tier  # noqa: E402

#: Account ids used as examples: twelve times the same digit, and the documentation/moto id.
_EXAMPLE_ACCOUNT = re.compile(r"(\d)\1{11}|123456789012")
#: RFC 2606 reserved domains (``example.com``, ``.org``, ``.net``) and the ``.example`` TLD.
_EXAMPLE_EMAIL = re.compile(r"@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|[\w-]+\.example)$", re.IGNORECASE)
#: GitHub owners used as examples (``example-org``, ``example``): the CI roles would trust nobody's repository.
_EXAMPLE_OWNER = re.compile(r"example(?:-[\w-]+)?", re.IGNORECASE)
_EXAMPLE_ACCOUNT_IN_TEXT = re.compile(r"(?<!\d)(?:(\d)\1{11}|123456789012)(?!\d)")


def _default(model: type, name: str) -> object:
    """A field's declared default, for a pydantic model or a dataclass."""
    fields = getattr(model, "model_fields", None)
    if fields is not None:
        return fields[name].default
    return next(f.default for f in dataclasses.fields(model) if f.name == name)


#: The runbook URL every environment gets unless it says where the runbook is really published.
DEFAULT_RUNBOOK_URL = _default(MonitoringConfig, "runbook_url")


@dataclasses.dataclass(frozen=True)
class Placeholder:
    """One example value still in an environment's configuration."""

    environment: str
    file: str
    line: int | None
    field: str
    value: str
    why: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.value!r} is {self.why}"


def find(config, *, file: str, source: str = "") -> list[Placeholder]:
    """Every placeholder in ``config`` (an EnvironmentConfig); the emulator tier has none by definition.

    ``source`` is the environment file's text, used only to point at the line that holds a value.
    """
    if config.tier is Tier.EMULATOR:
        return []
    found: list[tuple[str, str, str]] = []
    if _EXAMPLE_ACCOUNT.fullmatch(config.account_id):
        found.append(("account_id", config.account_id, "an example account id; use the environment's AWS account"))
    if _EXAMPLE_ACCOUNT_IN_TEXT.search(config.state.bucket):
        found.append(
            ("state.bucket", config.state.bucket, "named after an example account id; use the bootstrap's real bucket")
        )
    for name in ("alert_emails", "page_emails"):
        for index, email in enumerate(getattr(config.monitoring, name)):
            if _EXAMPLE_EMAIL.search(email):
                found.append((f"monitoring.{name}[{index}]", email, "an example address; nobody receives it"))
    if config.monitoring.runbook_url == DEFAULT_RUNBOOK_URL:
        found.append(
            (
                "monitoring.runbook_url",
                config.monitoring.runbook_url,
                "the default guess; set it to where docs/RUNBOOK.md is published",
            )
        )
    ci = getattr(config, "ci", None)
    if ci is not None and _EXAMPLE_OWNER.fullmatch(ci.github_owner):
        found.append(
            ("ci.github_owner", ci.github_owner, "an example GitHub owner; the CI roles trust only this repository")
        )
    lines = source.splitlines()
    return [Placeholder(config.name, file, _line_of(lines, value), field, value, why) for field, value, why in found]


def _line_of(lines: Sequence[str], value: str) -> int | None:
    return next((number for number, text in enumerate(lines, 1) if f'"{value}"' in text), None)


def collect(envs: Sequence[str]) -> dict[str, list[Placeholder]]:
    """Environment name -> its placeholders, loading each environment's real config and file."""
    result = {}
    for name in envs:
        config = load(name)
        path = ROOT / "environments" / f"{name}.py"
        source = path.read_text() if path.is_file() else ""
        result[name] = find(config, file=f"environments/{name}.py", source=source)
    return result


def list_command(envs: Sequence[str]) -> str:
    return "python scripts/placeholders.py " + " ".join(f"--env {name}" for name in envs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", action="append", dest="envs", metavar="NAME", help="environment (repeatable)")
    parser.add_argument("--json", action="store_true", help="print a JSON object: environment -> placeholders")
    parser.add_argument(
        "--gate",
        action="store_true",
        help="before a plan: refuse (exit 2) a production-tier environment with placeholders, warn for others",
    )
    args = parser.parse_args(argv)
    envs = list(dict.fromkeys(args.envs or [name for name in ENVIRONMENTS if name != "local"]))
    try:
        found = collect(envs)
    except (UnknownEnvironmentError, EnvironmentConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.gate:
        return _gate(found)
    if args.json:
        print(json.dumps({env: [dataclasses.asdict(p) for p in items] for env, items in found.items()}, indent=2))
    else:
        for env, items in found.items():
            for placeholder in items:
                print(placeholder)
            if not items:
                print(f"{env}: no placeholders left")
    return 1 if any(found.values()) else 0


def _gate(found: dict[str, list[Placeholder]]) -> int:
    status = 0
    for env, items in found.items():
        if not items:
            continue
        message = (
            f"environment {env!r} still has {len(items)} placeholder value(s); "
            f"list them with `{list_command([env])}` (docs: README.md, 'Adopt it')"
        )
        if load(env).tier is Tier.PRODUCTION:
            print(f"error: refusing to plan: {message}", file=sys.stderr)
            status = 2
        else:
            print(f"warning: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
