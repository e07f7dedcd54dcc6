"""Training helpers shared by the notebooks: the course's optimizer, a compiled training
loop, evaluation, and one routine that builds, probes, trains and evaluates a model."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from gradcourse._environment import gpu_in_use
from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_array, require_choice, require_float, require_int
from gradcourse.datasets import LabelledSequences
from gradcourse.models import build_recurrent_model
from gradcourse.probes import input_gradient_norms
from gradcourse.tasks import LEARNED_BELOW, SequenceData

# The defaults of a run of train_and_probe (and of each setting of the side-by-side version).
RUN_DEFAULTS = {"batch_size": 64, "learning_rate": 1e-2, "units": 32, "seed": 0}


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
    optimizer was built with clipping). XLA is used for speed on a CPU (the course does
    not assert the gain; Keras disables XLA for its RNN layers because of the cuDNN path,
    which a GPU uses instead; there this loop runs without XLA).
    Batches are reshuffled every epoch with ``seed``; a non-finite loss stops training.
    """

    _check_training_arguments(model, train, batch_size)
    epochs = require_int("epochs", epochs, minimum=1)
    optimizer = optimizer or default_optimizer()
    optimizer.build(model.trainable_variables)
    use_xla = not gpu_in_use()

    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return (loss,)

    train_epoch = tf.function(_epoch_loop(train_step, outputs=1), jit_compile=use_xla)
    rng = np.random.default_rng(require_int("seed", seed, minimum=0))
    losses: list[float] = []
    for _ in range(epochs):
        order = rng.permutation(len(train.x))
        (step_losses,), steps = train_epoch(*_batches(train, order, batch_size))
        losses.append(float(np.mean(step_losses.numpy()[: int(steps)].astype(np.float64))))
        if not math.isfinite(losses[-1]):
            break
    return losses


def _epoch_loop(train_step: Callable, outputs: int) -> Callable:
    """A whole epoch as one loop for ``tf.function``: ``train_step`` (which returns a tuple
    of ``outputs`` scalars) on each of the stacked batches ``xs``, ``ys`` in turn, stopping
    after the first step with a non-finite output. Returns each output's values, one per
    batch (zero after a stop), and the number of steps taken.

    One call an epoch instead of one a step saves about a millisecond a step on a small
    model, and two models training side by side no longer wait on Python between steps."""

    def run_epoch(xs, ys):
        count = tf.shape(xs)[0]
        logs = [tf.TensorArray(tf.float32, size=count) for _ in range(outputs)]
        steps, finite = tf.constant(0), tf.constant(True)
        while finite and steps < count:
            values = train_step(xs[steps], ys[steps])
            logs = [
                log.write(steps, tf.cast(value, tf.float32))
                for log, value in zip(logs, values, strict=True)
            ]
            steps, finite = steps + 1, _all_finite(values)
        return [log.stack() for log in logs], steps

    return run_epoch


def _all_finite(tensors) -> tf.Tensor:
    return tf.reduce_all([tf.reduce_all(tf.math.is_finite(t)) for t in tensors])


def _batches(train: SequenceData, order: np.ndarray, batch_size: int) -> tuple:
    """The examples of ``train`` in ``order``, stacked as ``(batches, batch_size, ...)``
    tensors for ``_epoch_loop`` (the last, incomplete batch left out)."""
    count = len(order) // batch_size
    usable = order[: count * batch_size]
    x = tf.gather(tf.constant(train.x), usable)
    y = tf.gather(tf.constant(train.y), usable)
    return (
        tf.reshape(x, (count, batch_size, *train.x.shape[1:])),
        tf.reshape(y, (count, batch_size, *train.y.shape[1:])),
    )


@dataclass
class StepLog:
    """Every training step of ``fit_logged``: the batch loss and the global gradient norm
    before clipping; ``first_nan_step`` is the step whose loss or gradient was not finite."""

    losses: np.ndarray
    global_norms: np.ndarray
    first_nan_step: int | None

    def final_loss(self, last: int = 50) -> float:
        """Mean batch loss over the last ``last`` steps (infinite if the run diverged)."""
        last = require_int("last", last, minimum=1)
        if self.first_nan_step is not None:
            return float("inf")
        return float(np.mean(self.losses[-last:]))

    def typical_norm(self, skip: int = 50) -> float:
        """The median gradient norm after the first ``skip`` steps (the start-up transient,
        whose norms can be a hundred times larger, would dominate a mean)."""
        skip = require_int("skip", skip, minimum=0)
        if skip >= len(self.global_norms):
            raise ValueError(f"skip ({skip}) leaves no step of {len(self.global_norms)}")
        return float(np.median(self.global_norms[skip:]))


GradientTransform = Callable[[list], list]


def fit_logged(
    model: keras.Model,
    train: SequenceData,
    epochs: int,
    batch_size: int,
    optimizer: keras.optimizers.Optimizer,
    *,
    shuffle: bool = False,
    seed: int = 0,
    transform: GradientTransform | None = None,
    jit_compile: bool = False,
) -> StepLog:
    """Train ``model`` on ``train`` with MSE and log every step (``StepLog``).

    The loop of ``fit_compiled``; the norm is taken before ``transform`` (a function of the
    list of gradients, in TensorFlow) and before the optimizer's own clipping. Batches are
    taken in order unless ``shuffle``. Training stops at the first non-finite loss or
    gradient. ``jit_compile`` compiles with XLA, which itself takes seconds: worth it for
    long runs only (a rule of thumb, not measured by the course).
    """
    _check_training_arguments(model, train, batch_size)
    epochs = require_int("epochs", epochs, minimum=1)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(f"optimizer must be a keras optimizer, got {type(optimizer).__name__}")
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be a function of the gradients, got {transform!r}")
    optimizer.build(model.trainable_variables)

    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        gradients = tape.gradient(loss, model.trainable_variables)
        norm = tf.linalg.global_norm(gradients)
        if transform is not None:
            gradients = transform(gradients)
        optimizer.apply(gradients, model.trainable_variables)
        return loss, norm

    train_epoch = tf.function(_epoch_loop(train_step, outputs=2), jit_compile=bool(jit_compile))
    rng = np.random.default_rng(require_int("seed", seed, minimum=0))
    losses: list[np.ndarray] = []
    norms: list[np.ndarray] = []
    for _ in range(epochs):
        order = rng.permutation(len(train.x)) if shuffle else np.arange(len(train.x))
        (epoch_losses, epoch_norms), steps = train_epoch(*_batches(train, order, batch_size))
        losses.append(epoch_losses.numpy()[: int(steps)].astype(np.float64))
        norms.append(epoch_norms.numpy()[: int(steps)].astype(np.float64))
        if not (np.all(np.isfinite(losses[-1])) and np.all(np.isfinite(norms[-1]))):
            losses, norms = np.concatenate(losses), np.concatenate(norms)
            return StepLog(losses, norms, len(losses) - 1)
    return StepLog(np.concatenate(losses), np.concatenate(norms), None)


CLIPPING_RULES = ("clipvalue", "clipnorm", "global_clipnorm")


def with_global_clipping_step_norm(rule: str, threshold: float) -> GradientTransform:
    """A gradient transform for ``fit_logged``: clip with Keras' ``rule`` at ``threshold``,
    then rescale to the norm that ``global_clipnorm=threshold`` gives, min(threshold, ||g||).

    The result has the *direction* of ``rule`` and the *length* of global norm clipping:
    a control that compares clipping rules at equal clipped-gradient lengths (with an
    optimizer that has momentum the steps themselves still differ in length).
    """
    rule = require_choice("rule", rule, CLIPPING_RULES)
    threshold = require_float("threshold", threshold, minimum=0.0, strict_minimum=True)

    def transform(gradients: list) -> list:
        norm = tf.linalg.global_norm(gradients)
        if rule == "clipvalue":
            clipped = [tf.clip_by_value(g, -threshold, threshold) for g in gradients]
        elif rule == "clipnorm":
            clipped = [tf.clip_by_norm(g, threshold) for g in gradients]
        else:
            clipped = list(gradients)
        scale = tf.minimum(norm, threshold) / tf.maximum(tf.linalg.global_norm(clipped), 1e-30)
        return [g * scale for g in clipped]

    return transform


def _check_training_arguments(model, train, batch_size) -> None:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not isinstance(train, SequenceData):
        raise TypeError(f"train must be SequenceData, got {type(train).__name__}")
    batch_size = require_int("batch_size", batch_size, minimum=1)
    if batch_size > len(train.x):
        raise ValueError(
            f"batch_size ({batch_size}) exceeds the number of examples ({len(train.x)})"
        )


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
    if not isinstance(test, LabelledSequences):
        raise TypeError(f"test must be LabelledSequences, got {type(test).__name__}")
    prediction = model.predict(test.x, batch_size=len(test.x), verbose=0)
    if prediction.ndim != 2 or prediction.shape[1] != test.classes:
        raise ValueError(
            f"the model must output {test.classes} scores per example, got {prediction.shape}"
        )
    return float(np.mean(np.argmax(prediction, axis=1) == test.labels))


def epochs_on_baseline(losses, baseline_mse: float) -> int:
    """Epochs before the per-epoch training loss first drops below ``LEARNED_BELOW`` (half)
    of ``baseline_mse`` (all epochs if it never does): how long a model sat on the trivial
    solution."""
    losses = require_array("losses", losses, ndim=1)
    baseline_mse = require_float("baseline_mse", baseline_mse, minimum=0.0, strict_minimum=True)
    below = np.flatnonzero(losses < LEARNED_BELOW * baseline_mse)
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
    batch_size: int = RUN_DEFAULTS["batch_size"],
    learning_rate: float = RUN_DEFAULTS["learning_rate"],
    units: int = RUN_DEFAULTS["units"],
    seed: int = RUN_DEFAULTS["seed"],
    **layer_kwargs,
) -> TrainedRun:
    """Build a one-layer ``cell`` model, record its recurrent kernel and measure ||dL/dx_t||
    on ``probe`` at initialisation, train it with the course's optimizer
    (``default_optimizer``) and evaluate it on ``test``.

    The seed is set before the model is built, so the same arguments give the same run.
    Extra keyword arguments go to the recurrent layer (e.g. ``activation="relu"``).
    """
    _check_data(train, test, probe)
    learning_rate = require_float("learning_rate", learning_rate, minimum=0.0, strict_minimum=True)
    return _train_prepared(
        _prepare(cell, train, probe, units, seed, layer_kwargs),
        train,
        test,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
    )


def train_and_probe_side_by_side(
    settings: dict[str, dict],
    train: SequenceData,
    test: SequenceData,
    probe: SequenceData,
    *,
    workers: int = 2,
    **common,
) -> dict[str, TrainedRun]:
    """``train_and_probe`` for every setting, ``workers`` models training at a time.

    ``settings`` maps a name to that run's keyword arguments (``cell`` and any of
    ``train_and_probe``'s), which override ``common`` (e.g. ``epochs``, ``seed``). The models
    are built and probed one after the other, each after setting its seed, so each starts
    exactly as it would alone; then they train in threads (TensorFlow releases the GIL).
    A small recurrent model keeps about one core busy: on 2 cores, two at a time.
    """
    if not isinstance(settings, dict) or not settings:
        raise TypeError("settings must be a non-empty dict: name -> keyword arguments")
    workers = require_int("workers", workers, minimum=1)
    _check_data(train, test, probe)
    runs = {name: {**common, **options} for name, options in settings.items()}
    for name, run in runs.items():
        if "cell" not in run:
            raise ValueError(f"setting {name!r} names no cell")
    runs = {name: {**RUN_DEFAULTS, **run} for name, run in runs.items()}
    prepared = {}
    for name, run in runs.items():  # in order: each model's weights come from its own seed
        layer_kwargs = {k: v for k, v in run.items() if k not in _RUN_ARGUMENTS}
        prepared[name] = _prepare(
            run["cell"], train, probe, run["units"], run["seed"], layer_kwargs
        )

    def finish(name: str) -> TrainedRun:
        run = runs[name]
        return _train_prepared(
            prepared[name], train, test, epochs=run["epochs"], batch_size=run["batch_size"],
            learning_rate=run["learning_rate"], seed=run["seed"],
        )  # fmt: skip

    return side_by_side({name: partial(finish, name) for name in runs}, workers=workers)


def side_by_side(jobs: dict[str, Callable[[], Any]], workers: int = 2) -> dict[str, Any]:
    """Run each job (a function of no argument), ``workers`` at a time in threads, and return
    their results by name, in the order given.

    For training runs whose models are already built: build them first, in order, with
    their seeds, so that each starts as it would alone. TensorFlow releases the GIL while it
    computes, and a small recurrent model keeps about one core busy.
    """
    if not isinstance(jobs, dict) or not all(callable(job) for job in jobs.values()):
        raise TypeError("jobs must be a dict: name -> function of no argument")
    workers = require_int("workers", workers, minimum=1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


_RUN_ARGUMENTS = ("cell", "epochs", "batch_size", "learning_rate", "units", "seed")


def _check_data(train, test, probe) -> None:
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


def _prepare(cell, train, probe, units, seed, layer_kwargs):
    """Build the model with its seed; keep its recurrent kernel and gradient at init."""
    keras.utils.set_random_seed(require_int("seed", seed, minimum=0))
    steps, features = train.x.shape[1:]
    model = build_recurrent_model(cell, steps, features, units=units, **layer_kwargs)
    (recurrent,) = (layer for layer in model.layers if isinstance(layer, keras.layers.RNN))
    kernel_at_init = np.array(recurrent.cell.recurrent_kernel.numpy(), dtype=np.float64)  # a copy
    return model, kernel_at_init, input_gradient_norms(model, probe.x, probe.y)


def _train_prepared(prepared, train, test, *, epochs, batch_size, learning_rate, seed):
    model, kernel_at_init, gradient_at_init = prepared
    learning_rate = require_float("learning_rate", learning_rate, minimum=0.0, strict_minimum=True)
    start = time.perf_counter()
    losses = fit_compiled(
        model, train, epochs, batch_size, optimizer=default_optimizer(learning_rate), seed=seed
    )
    seconds = time.perf_counter() - start
    return TrainedRun(
        model, losses, evaluate_mse(model, test), seconds, gradient_at_init, kernel_at_init
    )
