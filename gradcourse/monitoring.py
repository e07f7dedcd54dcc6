"""Training-time instrumentation for ``model.fit``: gradient norms before clipping, NaN stop.

Kept apart from ``gradcourse.clipping`` (pure NumPy) because it needs TensorFlow.
"""

from __future__ import annotations

import math

import numpy as np

from gradcourse._tensorflow import keras, tf


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
