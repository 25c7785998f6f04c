#!/usr/bin/env python3
"""`make bench`: synth speed and memory, measured side by side in one run.

(a) a bare stock import of the AWS provider bindings (``import cdktf_cdktf_provider_aws``),
(b) a full ``python main.py`` of every environment (lazy provider loading),
each run ``--runs`` times (default 3); the medians, their ratio and the peak RSS of
each process tree (Python + the jsii Node.js kernel, sampled from /proc) are printed.
Other ``scripts/bench_*.py`` modules with a ``run()`` function add their own rows.

Targets: (b) < one third of (a), and peak RSS of (b) <= 650 MiB.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATIO_TARGET = 1 / 3
RSS_TARGET_MIB = 650


def _tree_rss_kib(root_pid: int) -> int:
    """Sum of VmRSS over root_pid and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def measure(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak process-tree RSS (KiB) of one run."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} exited {process.returncode}:\n{stderr.decode()}")
    return elapsed, peak


@dataclass(frozen=True)
class Row:
    """One measured command: medians and extremes over the runs, and the peak RSS of its process tree."""

    label: str
    median_s: float
    min_s: float
    max_s: float
    peak_rss_mib: float


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3, minimum 3)")
    parser.add_argument("--json", action="store_true", help="print the measurements as one JSON document")
    args = parser.parse_args(argv)
    if args.runs < 3:
        parser.error(f"--runs: got {args.runs}; allowed: an integer >= 3")

    env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "AGENTICAI_EAGER_PROVIDER")}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        cases = {
            "stock import": [sys.executable, "-c", "import cdktf_cdktf_provider_aws"],
            "full synth": [sys.executable, "main.py", "--outdir", str(Path(tmp) / "cdktf.out")],
        }
        measure(cases["full synth"], env)  # warm the jsii package cache and .pyc files; not counted
        results: dict[str, list[tuple[float, int]]] = {name: [] for name in cases}
        for _ in range(args.runs):  # interleaved, so both see the same machine conditions
            for name, command in cases.items():
                results[name].append(measure(command, env))

    labels = {"stock import": "(a) import cdktf_cdktf_provider_aws", "full synth": "(b) python main.py (all stacks)"}
    rows = {
        name: Row(
            label=labels[name],
            median_s=statistics.median(t for t, _ in runs),
            min_s=min(t for t, _ in runs),
            max_s=max(t for t, _ in runs),
            peak_rss_mib=max(r for _, r in runs) / 1024,
        )
        for name, runs in results.items()
    }
    ratio = rows["full synth"].median_s / rows["stock import"].median_s
    rss = rows["full synth"].peak_rss_mib
    extras = {
        (module.__doc__ or path.stem).strip().splitlines()[0]: list(module.run())
        for path in sorted((ROOT / "scripts").glob("bench_*.py"))
        for module in [importlib.import_module(f"scripts.{path.stem}")]
    }
    met = ratio < RATIO_TARGET and rss <= RSS_TARGET_MIB
    if args.json:
        document = {
            "runs": args.runs,
            "synth": {name: asdict(row) for name, row in rows.items()},
            "ratio": ratio,
            "ratio_target": RATIO_TARGET,
            "peak_rss_target_mib": RSS_TARGET_MIB,
            "targets_met": met,
            "extra": {title: dict(pairs) for title, pairs in extras.items()},
        }
        print(json.dumps(document, indent=2))
        return 0 if met else 1
    print(f"Synth benchmark ({args.runs} runs each, interleaved; medians)")
    print(f"{'':<34}{'median s':>10}{'min s':>8}{'max s':>8}{'peak RSS MiB':>14}")
    for row in rows.values():
        print(f"{row.label:<34}{row.median_s:>10.2f}{row.min_s:>8.2f}{row.max_s:>8.2f}{row.peak_rss_mib:>14.0f}")
    print(f"ratio (b)/(a): {ratio:.3f}  (target < {RATIO_TARGET:.3f}: {'met' if ratio < RATIO_TARGET else 'MISSED'})")
    print(
        f"peak RSS (b): {rss:.0f} MiB  (target <= {RSS_TARGET_MIB} MiB: {'met' if rss <= RSS_TARGET_MIB else 'MISSED'})"
    )
    for title, pairs in extras.items():
        print(f"\n{title}")
        for label, value in pairs:
            print(f"  {label:<48}{value}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
