"""Benchmark: wall seconds and peak memory of each notebook, run alone as a user would.

Usage: python tools/benchmark.py [notebooks/NN_name.ipynb ...]  (default: all)
Each notebook runs in its own process, so the kernel's peak resident memory can be read
from the operating system once the kernel has exited.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from notebook_exec import execute_alone

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
BUDGET_SECONDS = 60


def measure_one(path: Path) -> dict:
    """Run one notebook in this process; report its wall time and the kernel's peak RSS."""
    start = time.perf_counter()
    execute_alone(nbformat.read(path, as_version=4))
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the exited kernel
    return {"notebook": path.name, "seconds": seconds, "peak_mib": peak_kib / 1024}


def main(paths: list[str]) -> int:
    if paths[:1] == ["--one"]:
        print(json.dumps(measure_one(Path(paths[1]))))
        return 0
    notebooks = [Path(p) for p in paths] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print(
        f"{'notebook':<34} {'seconds':>8} {'peak MiB':>9}  (budget {BUDGET_SECONDS} s, "
        f"{os.cpu_count()} CPUs)"
    )
    total, over_budget = 0.0, []
    for notebook in notebooks:
        result = subprocess.run(
            [sys.executable, __file__, "--one", str(notebook)],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(result.stdout.strip().splitlines()[-1])
        total += row["seconds"]
        flag = "  OVER BUDGET" if row["seconds"] > BUDGET_SECONDS else ""
        if flag:
            over_budget.append(row["notebook"])
        print(
            f"{row['notebook']:<34} {row['seconds']:>8.1f} {row['peak_mib']:>9.0f}{flag}",
            flush=True,
        )
    print(f"{'total':<34} {total:>8.1f}")
    return 1 if over_budget else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
