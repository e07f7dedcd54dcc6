"""Gradient clipping, written out, and gradient-norm logging for ``model.fit``.

Keras' optimizers clip inside ``optimizer.apply``: ``clipvalue`` element-wise,
``clipnorm`` each variable's gradient on its own, ``global_clipnorm`` all of them
jointly (Pascanu et al. 2013, Algorithm 1). The NumPy versions here make each rule
visible; ``GradientLog`` records the norms *before* clipping, step by step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from gradcourse._validate import require_float

Gradients = Sequence[np.ndarray]


def _as_arrays(grads) -> list[np.ndarray]:
    if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)) or not grads:
        raise TypeError("grads must be a non-empty list of arrays (one per variable)")
    return [np.asarray(g, dtype=np.float64) for g in grads]


def global_norm(grads: Gradients) -> float:
    """The L2 norm of all gradients taken together, as if concatenated into one vector."""
    return float(math.sqrt(sum(float(np.sum(g**2)) for g in _as_arrays(grads))))


def clip_by_value(grads: Gradients, value: float) -> list[np.ndarray]:
    """Keras ``clipvalue``: clip every element to [-value, value] (changes the direction)."""
    value = require_float("value", value, minimum=0.0, strict_minimum=True)
    return [np.clip(g, -value, value) for g in _as_arrays(grads)]


def clip_each_by_norm(grads: Gradients, max_norm: float) -> list[np.ndarray]:
    """Keras ``clipnorm``: rescale *each variable's* gradient to norm at most ``max_norm``."""
    max_norm = require_float("max_norm", max_norm, minimum=0.0, strict_minimum=True)
    clipped = []
    for g in _as_arrays(grads):
        norm = float(np.linalg.norm(g))
        clipped.append(g * (max_norm / norm) if norm > max_norm else g)
    return clipped


def clip_by_global_norm(grads: Gradients, max_norm: float) -> list[np.ndarray]:
    """Pascanu et al.'s Algorithm 1 (Keras ``global_clipnorm``): if ||g|| > max_norm,
    rescale *all* gradients by max_norm / ||g||, which keeps the direction."""
    max_norm = require_float("max_norm", max_norm, minimum=0.0, strict_minimum=True)
    grads = _as_arrays(grads)
    norm = global_norm(grads)
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads]


def cosine_similarity(grads_a: Gradients, grads_b: Gradients) -> float:
    """Cosine of the angle between two gradients (lists of arrays, flattened together)."""
    a = np.concatenate([g.ravel() for g in _as_arrays(grads_a)])
    b = np.concatenate([g.ravel() for g in _as_arrays(grads_b)])
    if a.shape != b.shape:
        raise ValueError(f"the gradients have different sizes: {a.size} and {b.size}")
    denominator = np.linalg.norm(a) * np.linalg.norm(b)
    if denominator == 0:
        raise ValueError("cosine similarity is undefined for a zero gradient")
    return float(a @ b / denominator)


class GradientLoggingModel(keras.Model):
    """A functional model whose ``train_step`` records every variable's gradient norm
    *before* the optimizer clips it. Use ``with_gradient_logging`` to wrap a model."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.last_gradient_norms = tf.Variable(
            tf.zeros(len(self.trainable_variables)), trainable=False, name="last_gradient_norms"
        )

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.last_gradient_norms.assign(tf.stack([tf.norm(g) for g in gradients]))
        self.optimizer.apply(gradients, self.trainable_variables)  # clipping happens in here
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {"loss": loss}


def with_gradient_logging(model: keras.Model) -> GradientLoggingModel:
    """The same layers and weights as ``model``, in a model that logs gradient norms."""
    if not isinstance(model, keras.Model) or not model.inputs:
        raise TypeError("model must be a keras.Model built from keras.Input")
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs  # keep the call structure
    outputs = model.outputs[0] if len(model.outputs) == 1 else model.outputs
    return GradientLoggingModel(inputs, outputs, name=f"{model.name}_logged")


class GradientLog(keras.callbacks.Callback):
    """Record, at every training step, the loss and the gradient norms before clipping.

    After ``fit``: ``losses`` and ``global_norms`` (one per step), ``variable_norms``
    (steps x variables), and ``first_nan_step`` (the step whose loss or gradient was
    not finite, or None). Training stops at that step instead of filling the log with NaN.
    """

    def __init__(self, stop_on_nan: bool = True):
        super().__init__()
        self.stop_on_nan = bool(stop_on_nan)
        self.losses: list[float] = []
        self.global_norms: list[float] = []
        self.variable_norms: list[np.ndarray] = []
        self.first_nan_step: int | None = None

    def on_train_batch_end(self, batch, logs=None):
        if not isinstance(self.model, GradientLoggingModel):
            raise TypeError("GradientLog needs a model from with_gradient_logging(model)")
        norms = self.model.last_gradient_norms.numpy().astype(np.float64)
        loss = float((logs or {}).get("loss", np.nan))
        self.losses.append(loss)
        self.variable_norms.append(norms)
        self.global_norms.append(float(np.sqrt(np.sum(norms**2))))
        if self.first_nan_step is None and not (math.isfinite(loss) and math.isfinite(self.global_norms[-1])):
            self.first_nan_step = len(self.losses) - 1
            if self.stop_on_nan:
                self.model.stop_training = True
