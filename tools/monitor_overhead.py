"""Measure what GradientMonitor costs: the same training with and without it.

Usage: python tools/monitor_overhead.py   (run by `make benchmark`)
For each model (notebook 07's SimpleRNN and GRU on the adding problem, T = 60, 3,000
sequences, batch 64; a stacked two-layer LSTM on the same data; 07's LSTM on the digits),
trained without and with the monitor at its default sampling, from the same seed, each
after a warm-up fit: three pairs of runs in the order plain-monitored, monitored-plain,
plain-monitored, so that a change of the machine's load during the measurement cancels
out rather than lands on one side. It reports the steady cost per epoch (the median of
epochs 2 onwards over the three runs, which the default sampling keeps under 20%) and,
apart, the one-off cost of the first epoch (the monitor compiles its probe functions there).
"""

from __future__ import annotations

import statistics
import time

import gradcourse as gc

EPOCHS = 4
ORDERS = ((False, True), (True, False), (False, True))  # without / with the monitor
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


def epoch_seconds(kind: str, with_monitor: bool) -> tuple[list[float], float]:
    """Seconds of each epoch, and the monitor's compile seconds (0 without it)."""
    from gradcourse._tensorflow import keras
    from gradcourse.monitoring import GradientMonitor

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    x, y = _data(kind)
    model = _model(kind)
    model.fit(x[:64], y[:64], epochs=1, batch_size=64, verbose=0)  # warm-up
    timer = EpochTimer()
    monitor = GradientMonitor(x[:64], y[:64]) if with_monitor else None
    callbacks = [monitor] if monitor else []
    model.fit(x, y, epochs=EPOCHS, batch_size=64, verbose=0, callbacks=[*callbacks, timer])
    return timer.seconds, monitor.history.compile_seconds if monitor else 0.0


def main() -> int:
    gc.setup_notebook(verbose=False)
    worst = 0.0
    for kind in ("SimpleRNN (07)", "GRU (07)", "stacked 2-layer LSTM", "LSTM on digits (07)"):
        steady, first = {False: [], True: []}, {False: [], True: []}
        compiled = []
        for order in ORDERS:
            for with_monitor in order:
                seconds, compile_seconds = epoch_seconds(kind, with_monitor)
                steady[with_monitor] += seconds[1:]
                first[with_monitor].append(seconds[0])
                if with_monitor:
                    compiled.append(compile_seconds)
        median = statistics.median
        overhead = median(steady[True]) / median(steady[False]) - 1
        worst = max(worst, overhead)
        print(
            f"GradientMonitor, default sampling, {kind}: steady overhead {overhead:+.0%} per "
            f"epoch ({median(steady[False]):.2f} s -> {median(steady[True]):.2f} s; "
            f"{'within' if overhead < BUDGET else 'OVER'} the {BUDGET:.0%} budget); first epoch "
            f"{median(first[True]) - median(first[False]):+.1f} s, of which "
            f"{median(compiled):.1f} s compiling its probe functions",
            flush=True,
        )
    return 0 if worst < BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
