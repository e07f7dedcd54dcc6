"""Run a notebook with other seeds: its asserts must hold for each, not for one lucky seed.

Usage: python tools/check_seeds.py [notebooks/04_simplernn_vs_lstm.py ...] [--seeds 0 1 2]
                                   [--rounding SSE41] [--jobs 2]
Without scripts: every notebook of the course (notebooks/NN_*.py): each draws random numbers
(01-03 matrices, inputs and weights; 04 onwards also trains), and each has one ``SEED = 0``
line that every draw follows.
Prints one line per seed (passed, or the failing assert) and exits non-zero on a failure.

``--jobs N`` runs N notebooks at once (default 2). A course kernel keeps about 1.1 cores
busy (TensorFlow's small recurrent ops leave the second core mostly idle), so two at once
on 2 cores finished the seed check in about 0.6 of the time (measured 2026-12-07: two runs of
04 in 34 s against 29 s for one). Each run has its own kernel and empty directory, and the
course's results do not depend on the machine's load, so the verdicts are the same.

``--rounding ISA`` runs the kernels with oneDNN limited to that instruction set
(``ONEDNN_MAX_CPU_ISA``): its matrix products round differently, as on another CPU. A
training run amplifies such differences, so an assert that holds only for this machine's
rounding fails here, not first on a learner's machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from nbclient.exceptions import CellExecutionError
from notebook_exec import execute_alone, notebook_with_seed

ROOT = Path(__file__).resolve().parent.parent
COURSE_NOTEBOOKS = "notebooks/[0-9][0-9]_*.py"  # every lesson draws random numbers


def _run_one(script: Path, seed: int) -> tuple[str, float]:
    """Run one notebook with one seed alone; return "passed" or the failing line, and seconds."""
    start = time.perf_counter()
    try:
        execute_alone(notebook_with_seed(script, seed))
        outcome = "passed"
    except CellExecutionError as error:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # drop terminal colours
        failing = [line.strip() for line in text.splitlines() if re.match(r"\s*-+>\s*\d+", line)]
        outcome = "FAILED at: " + (failing[-1] if failing else text.splitlines()[-1])
    return outcome, time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", type=Path)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--rounding", metavar="ISA", help="e.g. SSE41 or AVX2 (x86 CPUs)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    args.scripts = args.scripts or sorted(ROOT.glob(COURSE_NOTEBOOKS))
    label = ""
    if args.rounding:
        os.environ["ONEDNN_MAX_CPU_ISA"] = args.rounding  # the kernels inherit it
        label = f" ({args.rounding} rounding)"
    runs = [(script.with_suffix(".py"), seed) for script in args.scripts for seed in args.seeds]
    # spawn, not fork: each worker starts clean (fork copies the parent's threads' locks)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
        outcomes = [pool.submit(_run_one, script, seed) for script, seed in runs]
        failures = 0
        for (script, seed), future in zip(runs, outcomes, strict=True):  # in order
            outcome, seconds = future.result()
            failures += outcome != "passed"
            print(f"{script.stem} seed {seed}{label}: {outcome} ({seconds:.0f} s)", flush=True)
    print(f"{len(runs) - failures} passed, {failures} failed")  # the closing line CI reads
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
