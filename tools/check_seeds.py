"""Run a notebook with other seeds: its asserts must hold for each, not for one lucky seed.

Usage: python tools/check_seeds.py notebooks/04_simplernn_vs_lstm.py [--seeds 0 1 2]
Prints one line per seed (passed, or the failing assert) and exits non-zero on a failure.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from nbclient.exceptions import CellExecutionError
from notebook_exec import execute_alone, notebook_with_seed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="+", type=Path)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args(argv)
    failures = 0
    for script in args.scripts:
        for seed in args.seeds:
            start = time.perf_counter()
            try:
                execute_alone(notebook_with_seed(script.with_suffix(".py"), seed))
                outcome = "passed"
            except CellExecutionError as error:
                failures += 1
                text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # drop terminal colours
                failing = [
                    line.strip() for line in text.splitlines() if re.match(r"\s*-+>\s*\d+", line)
                ]
                outcome = "FAILED at: " + (failing[-1] if failing else text.splitlines()[-1])
            print(
                f"{script.stem} seed {seed}: {outcome} ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    runs = len(args.scripts) * len(args.seeds)
    print(f"{runs - failures} passed, {failures} failed")  # the closing line CI reads
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
