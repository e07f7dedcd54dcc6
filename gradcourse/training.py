"""Training helpers shared by the notebooks: the course's optimizer, a compiled training
loop, evaluation, and one routine that builds, probes, trains and evaluates a model."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_float, require_int
from gradcourse.models import build_recurrent_model
from gradcourse.probes import input_gradient_norms
from gradcourse.tasks import SequenceData


def default_optimizer(
    learning_rate: float = 1e-2, global_clipnorm: float | None = 1.0
) -> keras.optimizers.Optimizer:
    """Adam with Pascanu-style global norm clipping, the course's default recipe."""
    return keras.optimizers.Adam(learning_rate=learning_rate, global_clipnorm=global_clipnorm)


def fit_compiled(
    model: keras.Model,
    train: SequenceData,
    epochs: int,
    batch_size: int = 64,
    optimizer: keras.optimizers.Optimizer | None = None,
    seed: int = 0,
) -> list[float]:
    """Train ``model`` on ``train`` with MSE, in a loop compiled by XLA; return per-epoch losses.

    The same computation as ``model.compile(loss="mse"); model.fit(...)``, written out:
    forward pass, loss, ``GradientTape``, ``optimizer.apply`` (which clips, if the
    optimizer was built with clipping). On a CPU, XLA runs small recurrent models two to
    three times faster than ``model.fit`` (Keras disables XLA for its RNN layers because
    of the cuDNN path, which a GPU uses instead; there this loop runs without XLA).
    Batches are reshuffled every epoch with ``seed``; a non-finite loss stops training.
    """

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not isinstance(train, SequenceData):
        raise TypeError(f"train must be SequenceData, got {type(train).__name__}")
    epochs = require_int("epochs", epochs, minimum=1)
    batch_size = require_int("batch_size", batch_size, minimum=1)
    if batch_size > len(train.x):
        raise ValueError(
            f"batch_size ({batch_size}) exceeds the number of examples ({len(train.x)})"
        )
    optimizer = optimizer or default_optimizer()
    optimizer.build(model.trainable_variables)
    use_xla = not tf.config.list_physical_devices("GPU")

    @tf.function(jit_compile=use_xla)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    rng = np.random.default_rng(require_int("seed", seed, minimum=0))
    losses: list[float] = []
    for _ in range(epochs):
        order = rng.permutation(len(train.x))
        batch_losses = [
            float(train_step(train.x[batch], train.y[batch]))
            for batch in np.split(
                order[: len(order) - len(order) % batch_size], len(order) // batch_size
            )
        ]
        losses.append(float(np.mean(batch_losses)))
        if not math.isfinite(losses[-1]):
            break
    return losses


def evaluate_mse(model: keras.Model, test: SequenceData) -> float:
    """Mean squared error of ``model`` on ``test`` (NaN if the model diverged)."""
    if not isinstance(test, SequenceData):
        raise TypeError(f"test must be SequenceData, got {type(test).__name__}")
    prediction = model.predict(test.x, batch_size=len(test.x), verbose=0)
    return float(np.mean((prediction - test.y) ** 2))


def evaluate_accuracy(model: keras.Model, test) -> float:
    """Fraction of ``test`` (``gradcourse.datasets.LabelledSequences``) whose largest output is
    the right label. Like ``evaluate_mse`` it uses ``predict``: under op determinism,
    ``model.evaluate`` makes TensorFlow 2.21 log a harmless tf.data error line."""
    from gradcourse.datasets import LabelledSequences

    if not isinstance(test, LabelledSequences):
        raise TypeError(f"test must be LabelledSequences, got {type(test).__name__}")
    prediction = model.predict(test.x, batch_size=len(test.x), verbose=0)
    if prediction.ndim != 2 or prediction.shape[1] != test.classes:
        raise ValueError(
            f"the model must output {test.classes} scores per example, got {prediction.shape}"
        )
    return float(np.mean(np.argmax(prediction, axis=1) == test.labels))


def epochs_on_baseline(losses, baseline_mse: float) -> int:
    """Epochs before the per-epoch training loss first drops below half of ``baseline_mse``
    (all epochs if it never does): how long a model sat on the trivial solution."""
    from gradcourse._validate import require_array

    losses = require_array("losses", losses, ndim=1)
    baseline_mse = require_float("baseline_mse", baseline_mse, minimum=0.0, strict_minimum=True)
    below = np.flatnonzero(losses < baseline_mse / 2)
    return int(below[0]) if below.size else len(losses)


@dataclass
class TrainedRun:
    """One model built, probed at initialisation, trained and evaluated (``train_and_probe``)."""

    model: keras.Model
    losses: list[float]  # training loss per epoch
    test_mse: float
    seconds: float  # training time only
    gradient_at_init: np.ndarray  # ||dL/dx_t|| for every step t on the probe batch, before training
    # The recurrent layer's W_hh before training ((units, units) for SimpleRNN; the gates'
    # blocks side by side for LSTM and GRU): the model above holds the trained one.
    recurrent_kernel_at_init: np.ndarray


def train_and_probe(
    cell: str,
    train: SequenceData,
    test: SequenceData,
    probe: SequenceData,
    *,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-2,
    units: int = 32,
    seed: int = 0,
    **layer_kwargs,
) -> TrainedRun:
    """Build a one-layer ``cell`` model, record its recurrent kernel and measure ||dL/dx_t||
    on ``probe`` at initialisation, train it with the course's optimizer
    (``default_optimizer``) and evaluate it on ``test``.

    The seed is set before the model is built, so the same arguments give the same run.
    Extra keyword arguments go to the recurrent layer (e.g. ``activation="relu"``).
    """
    for name, data in (("train", train), ("test", test), ("probe", probe)):
        if not isinstance(data, SequenceData):
            raise TypeError(
                f"{name} must be SequenceData (e.g. from gradcourse.tasks), got "
                f"{type(data).__name__}"
            )
    if not (train.x.shape[1:] == test.x.shape[1:] == probe.x.shape[1:]):
        raise ValueError(
            f"train, test and probe need the same (steps, features); got "
            f"{train.x.shape[1:]}, {test.x.shape[1:]} and {probe.x.shape[1:]}"
        )
    learning_rate = require_float("learning_rate", learning_rate, minimum=0.0, strict_minimum=True)
    keras.utils.set_random_seed(require_int("seed", seed, minimum=0))
    steps, features = train.x.shape[1:]
    model = build_recurrent_model(cell, steps, features, units=units, **layer_kwargs)
    (recurrent,) = (layer for layer in model.layers if isinstance(layer, keras.layers.RNN))
    kernel_at_init = np.array(recurrent.cell.recurrent_kernel.numpy(), dtype=np.float64)  # a copy
    gradient_at_init = input_gradient_norms(model, probe.x, probe.y)
    start = time.perf_counter()
    losses = fit_compiled(
        model, train, epochs, batch_size, optimizer=default_optimizer(learning_rate), seed=seed
    )
    seconds = time.perf_counter() - start
    return TrainedRun(
        model, losses, evaluate_mse(model, test), seconds, gradient_at_init, kernel_at_init
    )
