#!/usr/bin/env python3
"""Generate every per-environment figure in docs/ from the code, into marked blocks of the pages.

    python scripts/generate_docs.py                        # rewrite the blocks (``make docs``)
    python scripts/generate_docs.py --check                # exit 1 if a block is stale
    python scripts/generate_docs.py --stacks-dir cdktf.out/stacks   # reuse a synth (else one is made)

A page holds a generated block between two markers::

    <!-- BEGIN GENERATED: budgets -->
    ...
    <!-- END GENERATED: budgets -->

Everything between them is replaced; everything outside is prose and is left alone. The figures
come from the environments' configs (``environments/<env>.py``), the synthesized Terraform JSON
(what actually deploys: the budget, the billing alarm, the usage plan, the canary schedule, the web
ACL's rules), the alarm catalogue (through ``scripts/generate_runbook.py``) and the cost estimate
(``scripts/estimate_costs.py``). The output is deterministic, so ``tests/test_docs.py`` fails when
a committed page is stale. A marker with no generator, or a generator whose block is on no page,
is an error.

Exit status: 0 written or up to date, 1 stale (``--check``), 2 bad configuration or markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from environments import ENVIRONMENTS, EnvironmentConfigError, load  # noqa: E402
from environments.config import EnvironmentConfig, Tier  # noqa: E402

DOCS = ROOT / "docs"

_BLOCK = re.compile(
    r"^(?P<begin><!-- BEGIN GENERATED: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)"
    r"^(?P<end><!-- END GENERATED: (?P=name) -->)$",
    re.DOTALL | re.MULTILINE,
)
# A marker is a line of its own; one quoted in prose (`<!-- ... -->` inside a sentence) is not.
_MARKER = re.compile(r"^<!-- (?:BEGIN|END) GENERATED: ([a-z0-9-]+) -->$", re.MULTILINE)


class DocsError(Exception):
    """A page's markers do not match the generators (unknown, unclosed or missing block)."""


@dataclass(frozen=True)
class Facts:
    """What the blocks are generated from: each environment's config and synthesized stacks."""

    configs: dict[str, EnvironmentConfig]
    stacks_dir: Path
    #: Rendered blocks and parsed stacks, so one Facts renders each block once however often it is asked.
    cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def stack(self, env: str) -> dict:
        key = f"stack:{env}"
        if key not in self.cache:
            self.cache[key] = json.loads((self.stacks_dir / env / "cdk.tf.json").read_text())
        return self.cache[key]  # type: ignore[return-value]

    def block(self, name: str) -> str:
        key = f"block:{name}"
        if key not in self.cache:
            self.cache[key] = GENERATORS[name](self)
        return self.cache[key]  # type: ignore[return-value]

    def resources(self, env: str, type_: str) -> list[dict]:
        return list(self.stack(env).get("resource", {}).get(type_, {}).values())

    @property
    def envs(self) -> list[str]:
        return list(self.configs)


# --------------------------------------------------------------------------- formatting


def usd(value: float) -> str:
    return f"${value:,.0f}" if float(value).is_integer() else f"${value:,.2f}"


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def env_table(facts: Facts, rows: Sequence[tuple[str, Callable[[str], str]]]) -> str:
    """One row per figure, one column per environment."""
    return table(["", *facts.envs], [[label, *(cell(env) for env in facts.envs)] for label, cell in rows])


def _percent_or_off(value: float | None) -> str:
    return "off (opt-in)" if value is None else f"{value:g} %"


def duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


# --------------------------------------------------------------------------- blocks


def environments_block(facts: Facts) -> str:
    c = facts.configs

    def concurrency(value: int | None) -> str:
        return "unreserved" if value is None else number(value)

    return env_table(
        facts,
        [
            ("tier", lambda e: c[e].tier.value),
            ("account id", lambda e: f"`{c[e].account_id}`"),
            ("region", lambda e: c[e].region),
            ("name prefix", lambda e: f"`{c[e].name_prefix}`"),
            ("state bucket", lambda e: f"`{c[e].state.bucket}`"),
            ("state versions kept", lambda e: f"{c[e].state.noncurrent_version_retention_days} d"),
            ("log retention", lambda e: f"{c[e].log_retention_days} d"),
            ("WAF", lambda e: c[e].waf.mode.value.lower() if c[e].waf.enabled else "off"),
            ("monthly budget", lambda e: usd(c[e].monitoring.monthly_budget_usd)),
            ("canary", lambda e: f"every {c[e].canary.schedule_minutes} min" if c[e].canary.enabled else "off"),
            ("function reserved concurrency", lambda e: concurrency(c[e].api.reserved_concurrency)),
            ("authorizer reserved concurrency", lambda e: concurrency(c[e].auth.authorizer_reserved_concurrency)),
            ("DynamoDB deletion protection", lambda e: "on" if c[e].backups.deletion_protection else "off"),
        ],
    )


def alarm_thresholds_block(facts: Facts) -> str:
    """The alarm table of the generated runbook, with its links pointing into docs/RUNBOOK.md."""
    from scripts import generate_runbook

    runbook = generate_runbook.render(generate_runbook.collect(facts.envs))
    section = runbook.split("\n## Alarms\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    lines = [re.sub(r"\]\(#([a-z0-9-]+)\)", r"](RUNBOOK.md#\1)", line) for line in section.strip().splitlines()]
    rows = [line for line in lines if line.startswith("|")]
    notes = [line for line in lines if line.strip() and not line.startswith("|")]
    return "\n".join(rows) + ("\n\n" + "\n".join(notes) if notes else "")


def slo_block(facts: Facts) -> str:
    c = facts.configs
    objectives = env_table(
        facts,
        [
            ("availability (not 5XX)", lambda e: f"{c[e].monitoring.slo.availability_target_percent:g} %"),
            (
                "latency",
                lambda e: (
                    f"{c[e].monitoring.slo.latency_target_percent:g} % within "
                    f"{number(c[e].monitoring.slo.latency_threshold_ms)} ms"
                ),
            ),
            ("Lambda success rate", lambda e: _percent_or_off(c[e].monitoring.slo.error_rate_target_percent)),
        ],
    )
    names = list(dict.fromkeys(w.name for e in facts.envs for w in c[e].monitoring.slo.windows))

    def window(env: str, name: str) -> str:
        slo = c[env].monitoring.slo
        found = next((w for w in slo.windows if w.name == name), None)
        if found is None:
            return "n/a"
        budget = 100 - slo.availability_target_percent
        return (
            f"{duration(found.long_window_seconds)} / {duration(found.short_window_seconds)}, "
            f"{found.burn_rate:g}x, {found.severity.value} (availability: > {found.burn_rate * budget:.3g} % 5XX)"
        )

    windows = env_table(facts, [(f"`{name}` window", functools.partial(_window_cell, window, name)) for name in names])
    return objectives + "\n\n" + windows


def _window_cell(window: Callable[[str, str], str], name: str, env: str) -> str:
    return window(env, name)


def budgets_block(facts: Facts) -> str:
    def budget(env: str) -> str:
        found = facts.resources(env, "aws_budgets_budget")
        if not found:
            return "none"
        b = found[0]
        return f"`{b['name']}`: {usd(float(b['limit_amount']))}"

    def notifications(env: str) -> str:
        found = facts.resources(env, "aws_budgets_budget")
        if not found:
            return "n/a"
        return ", ".join(
            f"{n['notification_type'].lower()} {n['threshold']:g} %" for n in found[0].get("notification", [])
        )

    def billing(env: str) -> str:
        alarms = [
            a for a in facts.resources(env, "aws_cloudwatch_metric_alarm") if a.get("metric_name") == "EstimatedCharges"
        ]
        if not alarms:
            return "none"
        percent = facts.configs[env].monitoring.thresholds.billing_percent_of_budget
        return f"> {usd(float(alarms[0]['threshold']))} ({percent:g} % of the budget)"

    def anomaly(env: str) -> str:
        found = facts.resources(env, "aws_ce_anomaly_subscription")
        if not found:
            return "off"
        return f">= {usd(float(found[0]['threshold_expression']['dimension']['values'][0]))} impact"

    return env_table(
        facts,
        [
            ("monthly budget", budget),
            ("budget notifications", notifications),
            ("billing alarm (`EstimatedCharges`)", billing),
            ("cost anomaly alert", anomaly),
        ],
    )


def usage_plans_block(facts: Facts) -> str:
    def plan(env: str) -> dict:
        return facts.resources(env, "aws_api_gateway_usage_plan")[0]

    c = facts.configs
    return env_table(
        facts,
        [
            ("usage plan", lambda e: f"`{plan(e)['name']}`"),
            (
                "throttle rate / burst (per key)",
                lambda e: (
                    f"{number(plan(e)['throttle_settings']['rate_limit'])} rps / "
                    f"{number(plan(e)['throttle_settings']['burst_limit'])}"
                ),
            ),
            (
                "quota (per key)",
                lambda e: (
                    f"{number(plan(e)['quota_settings']['limit'])} / {plan(e)['quota_settings']['period']}"
                    if "quota_settings" in plan(e)
                    else "none"
                ),
            ),
            ("new key's hourly limit (authorizer)", lambda e: number(c[e].auth.default_key_rate_limit_per_hour)),
            ("rotation grace period", lambda e: f"{c[e].auth.rotation_grace_hours} h"),
            ("refused-key memory (re-enable delay)", lambda e: f"{c[e].auth.key_cache_seconds:g} s"),
            ("pepper rotation grace period", lambda e: f"{c[e].auth.pepper_grace_hours} h"),
        ],
    )


def waf_block(facts: Facts) -> str:
    c = facts.configs

    def acl(env: str) -> dict | None:
        found = facts.resources(env, "aws_wafv2_web_acl")
        return found[0] if found else None

    def action(rule: dict) -> str:
        if "action" in rule:
            return next(iter(rule["action"]))
        return "count" if "count" in rule.get("override_action", {}) else "group's own"

    def rules(env: str) -> str:
        found = acl(env)
        if found is None:
            return "no web ACL"
        ordered = sorted(found.get("rule", []), key=lambda rule: rule["priority"])
        return "<br>".join(f"{r['priority']} `{r['name']}`: {action(r)}" for r in ordered)

    def rate(env: str) -> str:
        limit = c[env].waf.rate_limit
        return f"{number(limit.limit)} per {limit.window_seconds} s per IP" if limit is not None else "none"

    return env_table(
        facts,
        [
            ("mode", lambda e: c[e].waf.mode.value.lower() if acl(e) else "off"),
            ("rate limit", rate),
            ("capacity used / budget", lambda e: f"{c[e].waf.capacity_wcu:,} / {c[e].waf.capacity_budget_wcu:,} WCU"),
            ("rules (priority, name: action)", rules),
            ("log filter", lambda e: c[e].waf.log_filter.name.lower().replace("_", " ")),
        ],
    )


def canary_block(facts: Facts) -> str:
    from scripts.estimate_costs import canary_line

    def canary(env: str) -> dict | None:
        found = facts.resources(env, "aws_synthetics_canary")
        return found[0] if found else None

    def schedule(env: str) -> str:
        found = canary(env)
        return f"`{found['schedule']['expression']}`" if found else "no canary"

    def cost(env: str) -> str:
        found = canary(env)
        if found is None:
            return "-"
        line = canary_line(found["name"], found["schedule"]["expression"])
        return f"{line.quantity:,.0f} runs, {usd(round(line.monthly_usd, 2))}/month"

    c = facts.configs
    return env_table(
        facts,
        [
            ("schedule", schedule),
            ("runs and cost per month", cost),
            ("started at apply", lambda e: ("yes" if c[e].canary.start_canary else "no") if canary(e) else "-"),
            ("artifacts kept", lambda e: f"{c[e].canary.artifact_retention_days} d" if canary(e) else "-"),
        ],
    )


def backups_block(facts: Facts) -> str:
    c = facts.configs
    return env_table(
        facts,
        [
            ("DynamoDB deletion protection", lambda e: "on" if c[e].backups.deletion_protection else "off"),
            ("S3 noncurrent versions kept", lambda e: f"{c[e].backups.noncurrent_version_expiration_days} d"),
            (
                "incomplete multipart uploads aborted after",
                lambda e: f"{c[e].backups.abort_incomplete_multipart_upload_days} d",
            ),
            ("dead-letter queue keeps messages", lambda e: f"{c[e].api.dlq_retention_days} d"),
            ("deliveries before the dead-letter queue", lambda e: str(c[e].api.queue_max_receive_count)),
            ("Terraform state versions kept", lambda e: f"{c[e].state.noncurrent_version_retention_days} d"),
        ],
    )


def cost_estimate_block(facts: Facts) -> str:
    from scripts.estimate_costs import Estimate, estimate_lines, load_documents
    from scripts.prices import DEFAULT_MAX_FIXED_SHARE, PRICES_AS_OF, Assumptions

    assumptions = Assumptions()
    rows = []
    for env in facts.envs:
        config = facts.configs[env]
        estimate = Estimate(
            environment=env,
            budget_usd=config.monitoring.monthly_budget_usd,
            max_fixed_share=DEFAULT_MAX_FIXED_SHARE,
            lines=tuple(estimate_lines(load_documents(facts.stacks_dir, env), assumptions)),
            gated=config.tier is not Tier.EMULATOR,
        )
        if not estimate.gated:
            verdict = "not gated (emulator)"
        elif estimate.within_limit:
            verdict = f"OK ({estimate.fixed_share * 100:.1f} % of the budget)"
        else:
            verdict = f"over the {DEFAULT_MAX_FIXED_SHARE * 100:.0f} % limit ({estimate.fixed_share * 100:.1f} %)"
        rows.append(
            [
                env,
                f"${estimate.fixed_usd:,.2f}",
                f"${estimate.total_usd:,.2f}",
                usd(estimate.budget_usd),
                verdict,
            ]
        )
    note = (
        f"Prices as of {PRICES_AS_OF}; {assumptions.requests_per_month:,} requests per month assumed; "
        f"the gate fails when the fixed part exceeds {DEFAULT_MAX_FIXED_SHARE * 100:.0f} % of the budget."
    )
    return table(["", "fixed part", "total", "budget", "gate"], rows) + "\n\n" + note


def cost_report_sample_block(facts: Facts) -> str:
    """What ``monitor_costs.py --env prod`` prints, rendered by the script itself with illustrative spending."""
    from scripts.monitor_costs import Period, Report, render_text

    env = "prod" if "prod" in facts.configs else facts.envs[0]
    config = facts.configs[env]
    found = facts.resources(env, "aws_budgets_budget")
    budget = float(found[0]["limit_amount"]) if found else config.monitoring.monthly_budget_usd
    source = f"AWS Budgets ({found[0]['name']})" if found else f"environments/{env}.py"
    period = Period(month_start=dt.date(2026, 11, 1), as_of=dt.date(2026, 11, 15))
    services = {"Lambda": 5.20, "API Gateway": 3.10, "DynamoDB": 2.05, "CloudWatch": 1.40, "S3": 0.70}
    spent = round(sum(services.values()), 2)
    daily = [round(spent * (i + 1) / sum(range(1, 16)), 2) for i in range(15)]
    projected = round(spent + spent / period.days_elapsed * period.days_remaining, 2)
    report = Report(
        environment=env,
        month="2026-11",
        as_of=period.as_of.isoformat(),
        spent=spent,
        budget=budget,
        budget_source=source,
        percent_of_budget=round(spent / budget * 100, 1),
        days_remaining=period.days_remaining,
        services=[
            {"service": name, "amount": amount, "percent": round(amount / spent * 100, 1)}
            for name, amount in services.items()
        ],
        daily=[{"date": f"2026-11-{day:02d}", "amount": amount} for day, amount in enumerate(daily, 1)],
        projected=projected,
        status="over_budget" if projected > budget else "within_budget",
    )
    return "```text\n" + render_text(report, period) + "\n```"


#: Block name -> generator. Each block appears on exactly one page.
GENERATORS: dict[str, Callable[[Facts], str]] = {
    "environments": environments_block,
    "alarm-thresholds": alarm_thresholds_block,
    "slo": slo_block,
    "budgets": budgets_block,
    "usage-plans": usage_plans_block,
    "waf": waf_block,
    "canary": canary_block,
    "backups": backups_block,
    "cost-estimate": cost_estimate_block,
    "cost-report-sample": cost_report_sample_block,
}


# --------------------------------------------------------------------------- pages


def block_names(text: str) -> list[str]:
    return [match.group("name") for match in _BLOCK.finditer(text)]


def render_page(text: str, blocks: dict[str, str], *, page: str) -> str:
    """``text`` with every generated block replaced; unknown or unclosed markers are errors."""
    opened = _MARKER.findall(text)
    closed = block_names(text)
    if sorted(opened) != sorted(closed * 2):
        raise DocsError(f"{page}: unbalanced GENERATED markers (found {opened}); each BEGIN needs its END")
    for name in closed:
        if name not in blocks:
            raise DocsError(f"{page}: block {name!r} has no generator; allowed: {', '.join(GENERATORS)}")
    return _BLOCK.sub(lambda m: m.group("begin") + blocks[m.group("name")].rstrip("\n") + "\n" + m.group("end"), text)


def generate(pages: dict[Path, str], facts: Facts) -> dict[Path, str]:
    """Every page with its blocks regenerated. Each generator's block must be on exactly one page."""
    where: dict[str, list[str]] = {name: [] for name in GENERATORS}
    for path, text in pages.items():
        for name in block_names(text):
            where.setdefault(name, []).append(path.name)
    for name, found in where.items():
        if name in GENERATORS and len(found) != 1:
            raise DocsError(f"block {name!r}: on {sorted(found) or 'no page'}; allowed: exactly one page in docs/")
    needed = {name for name, found in where.items() if found and name in GENERATORS}
    blocks = {name: facts.block(name) for name in sorted(needed)}
    return {path: render_page(text, blocks, page=path.name) for path, text in pages.items()}


def collect_facts(stacks_dir: Path, envs: Sequence[str] = ENVIRONMENTS) -> Facts:
    return Facts(configs={name: load(name) for name in envs}, stacks_dir=stacks_dir)


def read_pages(docs_dir: Path) -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(docs_dir.glob("*.md"))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated block is stale")
    parser.add_argument("--stacks-dir", type=Path, help="synthesized stacks to read (default: synthesize now)")
    parser.add_argument("--docs-dir", type=Path, default=DOCS, help="the pages to update (default: docs/)")
    args = parser.parse_args(argv)
    pages = read_pages(args.docs_dir)
    try:
        if args.stacks_dir is not None:
            updated = generate(pages, collect_facts(args.stacks_dir))
        else:
            import main as entry

            with tempfile.TemporaryDirectory(prefix="docs-") as tmp:
                outdir = Path(tmp) / "cdktf.out"
                entry.synth(ENVIRONMENTS, outdir)
                updated = generate(pages, collect_facts(outdir / "stacks"))
    except (EnvironmentConfigError, DocsError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stale = [path for path, text in updated.items() if text != pages[path]]
    if args.check:
        for path in stale:
            print(f"{_shown(path)} is stale: run `make docs` and commit it", file=sys.stderr)
        if not stale:
            print(f"{len(pages)} pages up to date")
        return 1 if stale else 0
    for path in stale:
        path.write_text(updated[path])
        print(f"wrote {_shown(path)}")
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
