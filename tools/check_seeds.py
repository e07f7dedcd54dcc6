"""Run a notebook with other seeds: its asserts must hold for each, not for one lucky seed.

Usage: python tools/check_seeds.py [notebooks/04_simplernn_vs_lstm.py ...] [--seeds 0 1 2]
                                   [--rounding SSE41]
Without scripts: every notebook of the course (notebooks/NN_*.py): each draws random numbers
(01-03 matrices, inputs and weights; 04 onwards also trains), and each has one ``SEED = 0``
line that every draw follows.
Prints one line per seed (passed, or the failing assert) and exits non-zero on a failure.

``--rounding ISA`` runs the kernels with oneDNN limited to that instruction set
(``ONEDNN_MAX_CPU_ISA``): its matrix products round differently, as on another CPU. A
training run amplifies such differences, so an assert that holds only for this machine's
rounding fails here, not first on a learner's machine.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from nbclient.exceptions import CellExecutionError
from notebook_exec import execute_alone, notebook_with_seed

ROOT = Path(__file__).resolve().parent.parent
COURSE_NOTEBOOKS = "notebooks/[0-9][0-9]_*.py"  # every lesson draws random numbers


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", type=Path)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--rounding", metavar="ISA", help="e.g. SSE41 or AVX2 (x86 CPUs)")
    args = parser.parse_args(argv)
    args.scripts = args.scripts or sorted(ROOT.glob(COURSE_NOTEBOOKS))
    label = ""
    if args.rounding:
        os.environ["ONEDNN_MAX_CPU_ISA"] = args.rounding  # the kernels inherit it
        label = f" ({args.rounding} rounding)"
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
            seconds = time.perf_counter() - start
            print(f"{script.stem} seed {seed}{label}: {outcome} ({seconds:.0f} s)", flush=True)
    runs = len(args.scripts) * len(args.seeds)
    print(f"{runs - failures} passed, {failures} failed")  # the closing line CI reads
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
