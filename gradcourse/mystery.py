"""The mystery model of notebook 07: a recurrent model that fails for a reason the course taught.

Diagnose it with ``gradcourse.monitoring.GradientMonitor`` before you read on: the cause
is in ``mystery_model`` below.
"""

from __future__ import annotations

import math

import numpy as np

from gradcourse._tensorflow import keras
from gradcourse._validate import require_int
from gradcourse.tasks import SequenceData, adding_problem
from gradcourse.training import default_optimizer

MYSTERY_STEPS = 20
MYSTERY_EPOCHS = 6
MYSTERY_BATCH = 50


def mystery_task(seed: int = 0) -> tuple[SequenceData, SequenceData, SequenceData]:
    """Train, test and probe sets of the adding problem with ``MYSTERY_STEPS`` steps."""
    seed = require_int("seed", seed, minimum=0)
    return (
        adding_problem(2_000, MYSTERY_STEPS, seed=100 + seed),
        adding_problem(500, MYSTERY_STEPS, seed=200 + seed),
        adding_problem(64, MYSTERY_STEPS, seed=300 + seed),
    )


def mystery_model(seed: int = 0) -> keras.Model:
    """A compiled model that fails on ``mystery_task``. (The cause: ReLU units with a
    recurrent matrix of gain 1.5, trained with SGD and momentum without clipping: the
    forward pass multiplies a positive state by up to 1.5 a step, the loss and its
    gradient grow with it, and an unclipped step blows up: an explosion, notebook 05.
    ``gradcourse.zoo``'s exploding pair is this model on a shorter lag.)"""
    keras.utils.set_random_seed(require_int("seed", seed, minimum=0))
    model = keras.Sequential(
        [
            keras.Input((MYSTERY_STEPS, 2)),
            keras.layers.SimpleRNN(
                32, activation="relu", recurrent_initializer=keras.initializers.Identity(gain=1.5)
            ),
            keras.layers.Dense(1),
        ],
        name="mystery",
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mse")
    return model


def reference_fixed_model(seed: int = 0) -> keras.Model:
    """One fix (exercise 07.2): a gated cell with the course's recipe, Adam(1e-2) and
    global_clipnorm=1 (notebooks 04 and 05)."""
    keras.utils.set_random_seed(require_int("seed", seed, minimum=0))
    model = keras.Sequential(
        [keras.Input((MYSTERY_STEPS, 2)), keras.layers.LSTM(32), keras.layers.Dense(1)],
        name="fixed",
    )
    model.compile(optimizer=default_optimizer(), loss="mse")
    return model


def train_on_mystery_task(model: keras.Model, seed: int = 0) -> dict[str, float]:
    """Fit a compiled model on the mystery task; return its test MSE (NaN if it diverged)
    and the task's baseline. What the grader of exercise 07.2 measures."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a compiled keras.Model, got {type(model).__name__}")
    if model.optimizer is None or model.loss is None:
        raise ValueError("compile the model (optimizer and loss) before training it")
    train, test, _ = mystery_task(seed)
    history = model.fit(
        train.x,
        train.y,
        epochs=MYSTERY_EPOCHS,
        batch_size=MYSTERY_BATCH,
        verbose=0,
        callbacks=[keras.callbacks.TerminateOnNaN()],  # says at which batch it stopped
    )
    losses = history.history["loss"]
    diverged = not all(math.isfinite(v) for v in losses)
    prediction = model.predict(test.x, verbose=0)
    mse = float(np.mean((prediction - test.y) ** 2)) if not diverged else float("nan")
    return {"test_mse": mse, "baseline": train.baseline_mse}
