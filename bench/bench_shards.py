"""Scenarios per machine-minute, for the machine count of a sharded run (docs/ci.md).

One script, one target kind, one machine: a whole run of the suite (the baseline), then the same
suite as N shards run side by side and merged, balanced by count and by the baseline's durations.
On this machine the shards share its two cores, so the figures say what a shard costs, not what N
machines would gain; the CPU seconds say how much of a machine each shard kept busy.

    python bench/bench_shards.py [--shards 2] [-k EXPR]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PORTALCHECK = [sys.executable, "-m", "portalcheck.cli"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(commands: list[list[str]], cwd: Path) -> tuple[float, float]:
    """Run the commands side by side; (wall seconds, CPU seconds of them all)."""
    cpu, started = children_cpu(), time.monotonic()
    processes = [subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for command in commands]
    codes = [process.wait() for process in processes]
    if any(code not in (0,) for code in codes):
        raise SystemExit(f"a run failed ({codes}): {commands}")
    return time.monotonic() - started, children_cpu() - cpu


def only_run(folder: Path) -> Path:
    (run,) = [path for path in folder.iterdir() if path.is_dir() and not path.is_symlink()]
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("-k", default="", help="narrow the suite (pytest -k)")
    args = parser.parse_args()
    narrowed = ["--", "-q", *(["-k", args.k] if args.k else [])]
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        wall, cpu = timed([[*PORTALCHECK, "run", "--reports", "whole", *narrowed]], work)
        whole = only_run(work / "whole")
        scenarios = len(json.loads((whole / "results.json").read_text()))
        rows = [("1 (baseline)", "-", wall, cpu, 1)]
        for balance in ("count", "durations"):
            extra = ["--shard-durations", str(whole / "results.json")] if balance == "durations" else []
            commands = [[*PORTALCHECK, "run", "--reports", f"{balance}{k}", "--shard", f"{k}/{args.shards}", *extra, *narrowed]
                        for k in range(1, args.shards + 1)]
            shard_wall, shard_cpu = timed(commands, work)
            merged = subprocess.run([*PORTALCHECK, "merge", *(str(only_run(work / f"{balance}{k}")) for k in range(1, args.shards + 1)),
                                     "--out", f"merged-{balance}"], cwd=work, capture_output=True, text=True)
            if merged.returncode != 0:
                raise SystemExit(merged.stderr)
            rows.append((f"{args.shards}", balance, shard_wall, shard_cpu, args.shards))
    print(f"{scenarios} scenarios")
    print(f"{'shards':>12} {'balanced by':>11} {'wall s':>7} {'CPU s':>7} {'vs baseline':>11} {'scen/machine-min':>17}")
    for shards, balance, wall_s, cpu_s, machines in rows:
        rate = scenarios / (wall_s / 60 * machines)
        print(f"{shards:>12} {balance:>11} {wall_s:7.1f} {cpu_s:7.1f} {rows[0][2] / wall_s:10.2f}x {rate:17.1f}")
    rate = scenarios / (rows[0][2] / 60)
    print(f"a suite of 1,000 scenarios in 5 minutes of wall time: {math.ceil(1000 / (rate * 5))} machines like this one"
          f" at {rate:.0f} scenarios per machine-minute (one shard a machine, before merge)")


if __name__ == "__main__":
    main()
