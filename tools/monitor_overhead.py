"""Measure what GradientMonitor costs: the same training with and without it.

Usage: python tools/monitor_overhead.py   (run by `make benchmark`)
A GRU on the adding problem (T = 60, 3,000 sequences, batch 64, 10 epochs), trained once
without and once with the monitor at its default sampling; both runs start from the same
seed and are preceded by a warm-up fit, so that one-off graph tracing counts in neither.
"""

from __future__ import annotations

import time

import gradcourse as gc

EPOCHS = 10


def fit_seconds(monitor_factory) -> float:
    from gradcourse._tensorflow import keras
    from gradcourse.tasks import adding_problem

    train = adding_problem(3_000, 60, seed=1)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((60, 2)), keras.layers.GRU(32), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0), loss="mse")
    model.fit(train.x[:64], train.y[:64], epochs=1, batch_size=64, verbose=0)  # warm-up
    callbacks = [monitor_factory(train)] if monitor_factory else []
    start = time.perf_counter()
    model.fit(train.x, train.y, epochs=EPOCHS, batch_size=64, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start


def main() -> int:
    from gradcourse.monitoring import GradientMonitor

    gc.setup_notebook(verbose=False)
    plain = fit_seconds(None)
    monitored = fit_seconds(lambda data: GradientMonitor(data.x[:64], data.y[:64]))
    steps = EPOCHS * -(-3_000 // 64)
    print(
        f"GradientMonitor overhead (GRU, T = 60, {steps} steps, default sampling): "
        f"{plain:.1f} s without, {monitored:.1f} s with: +{monitored / plain - 1:.0%}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
