"""Benchmark: wall seconds and peak memory of each notebook, run alone as a user would.

Usage: python tools/benchmark.py [notebooks/NN_name.ipynb ...]  (default: all)
Each notebook runs in its own process, so the kernel's peak resident memory can be read
from the operating system once the kernel has exited.

The first line measures the machine: the steady time of one training step of the course's
LSTM (32 units, batch 64, compiled with XLA as ``fit_compiled`` does) on the adding
problem at T = 100. The notebooks' long lag is 60 since 2026-12-03; the reference stays at
100 so that its readings compare with the earlier ones. Notebook times scale with it:
compare the table of a slower or a faster machine by this number, not by its name.
``--reference`` prints it alone.
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
from notebook_exec import cell_seconds, execute_alone, last_cell_end

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
BUDGET_SECONDS = 60
LIVE_CELL_SECONDS = 10  # a cell a lecturer runs in front of a class


REFERENCE_STEPS = 150


def reference_step_ms() -> float:
    """Milliseconds per training step of the reference model, after compilation (median)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf

    from gradcourse.models import build_recurrent_model
    from gradcourse.notebook import seed_everything
    from gradcourse.tasks import adding_problem
    from gradcourse.training import default_optimizer

    seed_everything(0)
    model = build_recurrent_model("LSTM", 100, 2, units=32)
    optimizer = default_optimizer()
    optimizer.build(model.trainable_variables)
    data = adding_problem(64, 100, seed=1)
    x, y = tf.constant(data.x), tf.constant(data.y)

    @tf.function(jit_compile=True)
    def train_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    float(train_step())  # compiles
    seconds = []
    for _ in range(REFERENCE_STEPS):
        start = time.perf_counter()
        float(train_step())
        seconds.append(time.perf_counter() - start)
    return 1000 * float(np.median(seconds))


def measure_one(path: Path) -> dict:
    """Run one notebook in this process; report its wall time and the kernel's peak RSS.

    The time runs from the kernel's start to the last cell's reply: what a user waits for
    after "Run all". Shutting the kernel down afterwards (about 3 s once TensorFlow is
    loaded, 0.2 s without) is reported apart, as ``shutdown_seconds``.
    """
    start = time.time()  # wall clock: the kernel stamps its replies with it
    executed = execute_alone(nbformat.read(path, as_version=4), keep_timing=True)
    end = time.time()
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the exited kernel
    cells = cell_seconds(executed)
    slowest = max(range(len(cells)), key=cells.__getitem__)
    last_reply = last_cell_end(executed)
    return {
        "notebook": path.name,
        "seconds": last_reply - start,
        "shutdown_seconds": end - last_reply,
        "peak_mib": peak_kib / 1024,
        "slowest_cell": slowest + 1,  # numbered among code cells, from 1
        "slowest_seconds": cells[slowest],
        "cells_over_live_limit": sum(c > LIVE_CELL_SECONDS for c in cells),
    }


def main(paths: list[str]) -> int:
    if paths[:1] == ["--one"]:
        print(json.dumps(measure_one(Path(paths[1]))))
        return 0
    if paths[:1] == ["--reference-one"]:
        print(json.dumps(reference_step_ms()))
        return 0
    reference = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--reference-one"],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    print(
        f"machine: {reference:.1f} ms per reference step (LSTM, 32 units, T = 100, batch 64, "
        f"XLA; median of {REFERENCE_STEPS})"
    )
    if paths[:1] == ["--reference"]:
        return 0
    notebooks = [Path(p) for p in paths] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print(
        f"{'notebook':<34} {'seconds':>8} {'shutdown':>9} {'peak MiB':>9} {'slowest cell':>14}"
        f"  (budget "
        f"{BUDGET_SECONDS} s a notebook, {LIVE_CELL_SECONDS} s a cell, {os.cpu_count()} CPUs)"
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
        if row["cells_over_live_limit"]:
            flag += f"  {row['cells_over_live_limit']} cell(s) over {LIVE_CELL_SECONDS} s"
        if flag:
            over_budget.append(row["notebook"])
        slowest = f"#{row['slowest_cell']} {row['slowest_seconds']:.1f} s"
        print(
            f"{row['notebook']:<34} {row['seconds']:>8.1f} {row['shutdown_seconds']:>9.1f} "
            f"{row['peak_mib']:>9.0f} "
            f"{slowest:>14}{flag}",
            flush=True,
        )
    print(f"{'total':<34} {total:>8.1f}")
    return 1 if over_budget else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
