"""Measure what GradientMonitor costs: the same training with and without it.

Usage: python tools/monitor_overhead.py   (run by `make benchmark`)
A GRU on the adding problem (T = 60, 3,000 sequences, batch 64, EPOCHS epochs), trained
once without and once with the monitor at its default sampling, from the same seed,
each after a warm-up fit. It reports the steady cost per epoch (epochs 2 onwards, which
the default sampling keeps under 20%) and the one-off cost of the first epoch (the
monitor compiles its probe functions there).
"""

from __future__ import annotations

import time

import gradcourse as gc

EPOCHS = 6
BUDGET = 0.20  # the steady overhead the default sampling is chosen to stay under


def epoch_seconds(with_monitor: bool) -> list[float]:
    from gradcourse._tensorflow import keras
    from gradcourse.monitoring import GradientMonitor
    from gradcourse.tasks import adding_problem

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    train = adding_problem(3_000, 60, seed=1)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((60, 2)), keras.layers.GRU(32), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0), loss="mse")
    model.fit(train.x[:64], train.y[:64], epochs=1, batch_size=64, verbose=0)  # warm-up
    timer = EpochTimer()
    callbacks = [GradientMonitor(train.x[:64], train.y[:64])] if with_monitor else []
    model.fit(
        train.x, train.y, epochs=EPOCHS, batch_size=64, verbose=0, callbacks=[*callbacks, timer]
    )
    return timer.seconds


def main() -> int:
    gc.setup_notebook(verbose=False)
    plain, monitored = epoch_seconds(False), epoch_seconds(True)
    steady = sum(monitored[1:]) / sum(plain[1:]) - 1
    one_off = monitored[0] - plain[0]
    verdict = "within" if steady < BUDGET else "OVER"
    print(
        f"GradientMonitor, default sampling (GRU, T = 60, 47 steps per epoch): steady overhead "
        f"{steady:+.0%} per epoch ({verdict} the {BUDGET:.0%} budget); first epoch "
        f"{one_off:+.1f} s (compiling its probe functions)"
    )
    return 0 if steady < BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
