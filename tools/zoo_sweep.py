"""Train the whole failure zoo (gradcourse.zoo) for several seeds; print its confusion matrix.

Usage: python tools/zoo_sweep.py [--seeds 0 1 2] [--rounding SSE41]   (make zoo)
Each of the zoo's pairs (a model with one planted fault and its healthy twin) is trained
with a GradientMonitor and report's primary cause is compared with the planted one. Exit
status 1 unless the matrix is diagonal (every fault named, every twin flagging nothing).
``--rounding ISA`` limits oneDNN's kernels to that instruction set (another CPU's rounding).
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rounding", metavar="ISA", help="e.g. SSE41 or AVX2 (x86 CPUs)")
    args = parser.parse_args()
    if args.rounding:
        os.environ["ONEDNN_MAX_CPU_ISA"] = args.rounding  # before TensorFlow starts
    import gradcourse as gc

    gc.setup_notebook(verbose=False)
    from gradcourse.diagnosis import primary_cause
    from gradcourse.zoo import ZOO, format_matrix, run_zoo_model

    named, start = {}, time.perf_counter()
    for seed in args.seeds:
        for cause in ZOO:
            for twin in (False, True):
                history = run_zoo_model(cause, twin, seed)
                found = primary_cause(history)
                named[cause, twin, seed] = found
                expected = None if twin else cause
                share = history.probe_losses[-1] / history.constant_loss
                print(
                    f"seed {seed} {cause:>22} {'twin ' if twin else 'fault'} -> {found!s:22} "
                    f"probe loss {share:.2f} x constant {'' if found == expected else 'WRONG'}",
                    flush=True,
                )
    label = f", {args.rounding} rounding" if args.rounding else ""
    print(
        f"\nseeds {args.seeds}{label} ({time.perf_counter() - start:.0f} s): planted (rows) "
        "against named (columns)"
    )
    print(format_matrix(named))
    wrong = [key for key, found in named.items() if found != (None if key[1] else key[0])]
    print("diagonal" if not wrong else f"NOT diagonal: {wrong}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
