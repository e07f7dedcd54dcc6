"""Measure what GradientMonitor costs: the same training with and without it.

Usage: python tools/monitor_overhead.py [--pairs N] [--epochs E] [--kinds NAME ...]
(run by `make benchmark` with the defaults).

Models: notebook 07's SimpleRNN and GRU on the adding problem (T = 60, 3,000 sequences,
batch 64), a stacked two-layer LSTM on the same data, 07's LSTM on the digits. For each,
one model is compiled and warmed up, and one monitor (default sampling) is warmed up by a
first monitored fit of one epoch: the one-off cost of compiling its probe functions,
reported apart. Then N pairs of fits of E epochs each, alternately without and with the
monitor, in the order AB BA AB ..., on the same model (it keeps training), so that a
change of the machine's load or of the model's speed during the measurement falls on both
sides rather than on one.

Each epoch is timed twice: wall time, and the CPU time of the whole process
(``time.process_time``: every thread, TensorFlow's included). On a machine shared with
other work, wall time mostly measures the others (a pair's wall overhead moved by +-50
points on 2026-12-07 under a load average of 5-12 on 2 cores); CPU time counts only this
process's own work and moves far less. For each pair the overhead is (time per epoch
with the monitor) / (time per epoch without) - 1, epochs pooled; the tool prints the
median over the pairs and their range, for both clocks, and, as a check on both, what the
records themselves took (their CPU and wall seconds, summed inside the monitor, as a
fraction of an epoch without it). "Overhead" is the steady cost per epoch: compilation
apart, and the gradient over time that the monitor records at the end of each ``fit``
(once a fit, not an epoch) left out. The CPU median decides the exit status (1 if over
the budget); a wall median over it is printed as such, to be re-measured on a quiet
machine.

TensorFlow's known-harmless C++ error line (tf.data's "NodeDef mentions attribute
use_unbounded_threadpool", at every partial last batch under op determinism) is filtered
out of the native stderr as the notebooks filter it (``gradcourse._stderr``); any other
line is written out after each model's measurement.
"""

from __future__ import annotations

import argparse
import statistics
import time

import gradcourse as gc
from gradcourse._stderr import filter_runtime_log, filtered_native_stderr

KINDS = ("SimpleRNN (07)", "GRU (07)", "stacked 2-layer LSTM", "LSTM on digits (07)")
PAIRS = 6  # interleaved pairs of fits, without and with the monitor
EPOCHS = 2  # epochs per fit, every one of them steady
BUDGET = 0.20  # the steady overhead the default sampling is chosen to stay under


def _model(kind: str):
    from gradcourse._tensorflow import keras

    keras.utils.set_random_seed(0)
    if kind == "LSTM on digits (07)":
        layers = [keras.Input((64, 1)), keras.layers.LSTM(32), keras.layers.Dense(10)]
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        optimizer = keras.optimizers.Adam(1e-3, global_clipnorm=1.0)
    else:
        recurrent = {
            "SimpleRNN (07)": [keras.layers.SimpleRNN(32)],
            "GRU (07)": [keras.layers.GRU(32)],
            "stacked 2-layer LSTM": [
                keras.layers.LSTM(32, return_sequences=True),
                keras.layers.LSTM(32),
            ],
        }[kind]
        layers = [keras.Input((60, 2)), *recurrent, keras.layers.Dense(1)]
        loss, optimizer = "mse", keras.optimizers.Adam(1e-2, global_clipnorm=1.0)
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer, loss=loss)
    return model


def _data(kind: str):
    from gradcourse.datasets import digits_pixel_by_pixel
    from gradcourse.tasks import adding_problem

    if kind == "LSTM on digits (07)":
        train, _ = digits_pixel_by_pixel(seed=0)
        return train.x, train.labels
    train = adding_problem(3_000, 60, seed=1)
    return train.x, train.y


def _timer():
    from gradcourse._tensorflow import keras

    class EpochTimer(keras.callbacks.Callback):
        """Wall and process CPU seconds of each epoch."""

        def __init__(self):
            super().__init__()
            self.wall: list[float] = []
            self.cpu: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._wall, self._cpu = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.wall.append(time.perf_counter() - self._wall)
            self.cpu.append(time.process_time() - self._cpu)

    return EpochTimer()


def _timed_monitor(probe_x, probe_y):
    """A GradientMonitor that also adds up the wall and CPU seconds of its records (and of
    the weight snapshots they start with), the gradient over time at a fit's end left out."""
    from gradcourse.monitoring import GradientMonitor

    class TimedMonitor(GradientMonitor):
        record_seconds = {"wall": 0.0, "cpu": 0.0}

        def _timed(self, record, *args):
            wall, cpu = time.perf_counter(), time.process_time()
            super()._timed(record, *args)
            if record.__name__ in ("_record", "_take_snapshot"):
                self.record_seconds = {
                    "wall": self.record_seconds["wall"] + time.perf_counter() - wall,
                    "cpu": self.record_seconds["cpu"] + time.process_time() - cpu,
                }

    return TimedMonitor(probe_x, probe_y)


def measure(kind: str, pairs: int = PAIRS, epochs: int = EPOCHS) -> dict:
    """Per-pair overheads (wall, CPU), the plain epoch's seconds, the records taken, the
    seconds one record takes and the monitor's one-off compile seconds, for one model."""
    x, y = _data(kind)
    model = _model(kind)
    model.fit(x[:64], y[:64], epochs=1, batch_size=64, verbose=0)  # compiles the step
    monitor = _timed_monitor(x[:64], y[:64])
    model.fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[monitor])  # and the probe
    compile_seconds = monitor.history.compile_seconds
    records_before = len(monitor.history.steps)
    monitor.record_seconds = {"wall": 0.0, "cpu": 0.0}
    overhead = {"wall": [], "cpu": []}
    plain_epoch = {"wall": [], "cpu": []}
    for pair in range(pairs):
        timed = {}
        for with_monitor in (False, True) if pair % 2 == 0 else (True, False):
            timer = _timer()
            callbacks = [monitor, timer] if with_monitor else [timer]
            model.fit(x, y, epochs=epochs, batch_size=64, verbose=0, callbacks=callbacks)
            timed[with_monitor] = timer
        for clock in ("wall", "cpu"):
            plain = statistics.fmean(getattr(timed[False], clock))
            monitored = statistics.fmean(getattr(timed[True], clock))
            overhead[clock].append(monitored / plain - 1)
            plain_epoch[clock].append(plain)
    records = len(monitor.history.steps) - records_before
    return {
        "record": {k: v / max(records, 1) for k, v in monitor.record_seconds.items()},
        "overhead": overhead,
        "plain_epoch": {k: statistics.median(v) for k, v in plain_epoch.items()},
        "records_per_epoch": records / (pairs * epochs),
        "compile_seconds": compile_seconds,
    }


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):+.0%} (range {min(values):+.0%} to {max(values):+.0%})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=PAIRS)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.epochs < 1:
        parser.error("--pairs and --epochs must be at least 1")
    gc.setup_notebook(verbose=False)
    over = False
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    for kind in args.kinds:
        with filtered_native_stderr(filter_runtime_log):
            result = measure(kind, args.pairs, args.epochs)
        medians = {k: statistics.median(v) for k, v in result["overhead"].items()}
        direct = {
            k: result["records_per_epoch"] * result["record"][k] / result["plain_epoch"][k]
            for k in ("wall", "cpu")
        }
        verdict = {k: "within" if m < BUDGET else "OVER" for k, m in medians.items()}
        over |= medians["cpu"] >= BUDGET
        print(
            f"GradientMonitor, default sampling, {kind}, steady overhead per epoch over "
            f"{args.pairs} pairs: CPU {_summary(result['overhead']['cpu'])}, "
            f"{verdict['cpu']} the {BUDGET:.0%} budget; wall "
            f"{_summary(result['overhead']['wall'])}, {verdict['wall']} it. Epoch without "
            f"it: {result['plain_epoch']['cpu']:.2f} s CPU, {result['plain_epoch']['wall']:.2f} s "
            f"wall; {result['records_per_epoch']:.2f} records an epoch, "
            f"{1e3 * result['record']['cpu']:.0f} ms CPU ({1e3 * result['record']['wall']:.0f} ms "
            f"wall) each: {direct['cpu']:.0%} of a plain epoch's CPU time "
            f"({direct['wall']:.0%} of its wall time); compiling its probe functions "
            f"{result['compile_seconds']:.1f} s once, apart",
            flush=True,
        )
    print(
        f"(took {time.perf_counter() - start_wall:.0f} s wall, "
        f"{time.process_time() - start_cpu:.0f} s CPU)"
    )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
