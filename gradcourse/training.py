"""The course's training loops: its optimizer, one training step, a compiled loop (per-epoch
losses) and a logging loop (every step's loss and gradient norm), the clipping control
transform, and evaluation. The experiments built on them (build, probe, train, evaluate;
several runs side by side) are in ``gradcourse.experiments``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._environment import gpu_in_use
from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_array, require_choice, require_float, require_int
from gradcourse.datasets import LabelledSequences
from gradcourse.tasks import LEARNED_BELOW, SequenceData


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
    train_step = _train_step(model, optimizer)
    train_epoch = tf.function(_epoch_loop(train_step, outputs=1), jit_compile=not gpu_in_use())
    (step_losses,), _ = _run_epochs(train_epoch, train, epochs, batch_size, shuffle=True, seed=seed)
    return [float(np.mean(losses)) for losses in step_losses]


def _train_step(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    transform: GradientTransform | None = None,
    log_norm: bool = False,
) -> Callable:
    """One step of the course's loops: MSE, ``GradientTape``, ``optimizer.apply`` (which
    clips, if the optimizer was built with clipping). Returns ``(loss,)``, or with
    ``log_norm`` ``(loss, global gradient norm)``, the norm taken before ``transform`` (a
    function of the list of gradients, in TensorFlow) and before the optimizer's clipping."""
    optimizer.build(model.trainable_variables)

    def train_step(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, ...]:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        gradients = tape.gradient(loss, model.trainable_variables)
        norm = tf.linalg.global_norm(gradients) if log_norm else None
        if transform is not None:
            gradients = transform(gradients)
        optimizer.apply(gradients, model.trainable_variables)
        return (loss,) if norm is None else (loss, norm)

    return train_step


def _run_epochs(
    train_epoch: Callable,
    train: SequenceData,
    epochs: int,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int,
) -> tuple[list[list[np.ndarray]], bool]:
    """Call ``train_epoch`` (a compiled ``_epoch_loop``) ``epochs`` times, on batches
    reshuffled each epoch with ``seed`` (or in order), and stop after an epoch in which a
    value went non-finite: the one place where the course's loops stop on NaN.

    Returns, for each of the step's outputs, one float64 array of per-step values per
    epoch run, and whether training stopped early."""
    rng = np.random.default_rng(require_int("seed", seed, minimum=0))
    logs: list[list[np.ndarray]] | None = None
    for _ in range(epochs):
        order = rng.permutation(len(train.x)) if shuffle else np.arange(len(train.x))
        values, steps = train_epoch(*_batches(train, order, batch_size))
        values = [v.numpy()[: int(steps)].astype(np.float64) for v in values]
        logs = [[] for _ in values] if logs is None else logs
        for log, value in zip(logs, values, strict=True):
            log.append(value)
        if not all(np.all(np.isfinite(value)) for value in values):
            return logs, True
    return logs, False


def _epoch_loop(train_step: Callable, outputs: int) -> Callable:
    """A whole epoch as one loop for ``tf.function``: ``train_step`` (which returns a tuple
    of ``outputs`` scalars) on each of the stacked batches ``xs``, ``ys`` in turn, stopping
    after the first step with a non-finite output. Returns each output's values, one per
    batch (zero after a stop), and the number of steps taken.

    One call an epoch instead of one a step saves about a millisecond a step on a small
    model, and two models training side by side no longer wait on Python between steps."""

    def run_epoch(xs: tf.Tensor, ys: tf.Tensor) -> tuple[list[tf.Tensor], tf.Tensor]:
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


def _all_finite(tensors: Sequence[tf.Tensor]) -> tf.Tensor:
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
    train_step = _train_step(model, optimizer, transform, log_norm=True)
    train_epoch = tf.function(_epoch_loop(train_step, outputs=2), jit_compile=bool(jit_compile))
    (losses, norms), stopped = _run_epochs(
        train_epoch, train, epochs, batch_size, shuffle=shuffle, seed=seed
    )
    losses, norms = np.concatenate(losses), np.concatenate(norms)
    return StepLog(losses, norms, len(losses) - 1 if stopped else None)


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


def _check_training_arguments(model: object, train: object, batch_size: object) -> None:
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


def evaluate_accuracy(model: keras.Model, test: LabelledSequences) -> float:
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


def epochs_on_baseline(losses: ArrayLike, baseline_mse: float) -> int:
    """Epochs before the per-epoch training loss first drops below ``LEARNED_BELOW`` (half)
    of ``baseline_mse`` (all epochs if it never does): how long a model sat on the trivial
    solution."""
    losses = require_array("losses", losses, ndim=1)
    baseline_mse = require_float("baseline_mse", baseline_mse, minimum=0.0, strict_minimum=True)
    below = np.flatnonzero(losses < LEARNED_BELOW * baseline_mse)
    return int(below[0]) if below.size else len(losses)
