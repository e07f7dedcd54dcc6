"""Probes: what a Keras model's activations and gradients look like, layer by layer
and time step by time step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_array, require_same_batch
from gradcourse.activations import saturation_stats
from gradcourse.lstm_paths import lstm_states
from gradcourse.recurrent_states import gates_from_states


@dataclass
class LayerProbe:
    """Per-layer outputs, gradients of the loss with respect to them, and weight-gradient norms."""

    names: list[str]
    activations: list[np.ndarray]
    activation_gradients: list[np.ndarray]
    kernel_gradient_norms: np.ndarray


def _require_model(model: object) -> keras.Model:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built or not model.inputs:
        raise ValueError("model must be built from keras.Input (a Sequential or functional model)")
    return model


def _mse(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.square(tf.cast(y_true, y_pred.dtype) - y_pred))


def probe_layers(
    model: keras.Model,
    x: ArrayLike,
    y: ArrayLike,
    loss: Callable[[tf.Tensor, tf.Tensor], tf.Tensor] = _mse,
) -> LayerProbe:
    """One forward and backward pass of ``model`` on the batch ``(x, y)``.

    Probes every layer that has a ``kernel`` (Dense, Conv, ...): its output, the
    gradient of the loss with respect to that output, and the norm of the gradient
    with respect to its kernel. ``loss(y_true, y_pred)`` defaults to the mean squared
    error.
    """
    model = _require_model(model)
    x = require_array("x", x)
    y = require_array("y", y)
    require_same_batch(x, y)
    layers = [layer for layer in model.layers if hasattr(layer, "kernel")]
    if not layers:
        raise ValueError("model has no layer with a kernel to probe")
    tapped = keras.Model(model.input, [layer.output for layer in layers] + list(model.outputs))
    kernels = [layer.kernel for layer in layers]
    with tf.GradientTape() as tape:
        *outputs, prediction = tapped(x.astype(np.float32), training=False)
        value = loss(y, prediction)
    output_grads, kernel_grads = tape.gradient(value, [outputs, kernels])
    return LayerProbe(
        names=[layer.name for layer in layers],
        activations=[o.numpy() for o in outputs],
        activation_gradients=[g.numpy() for g in output_grads],
        kernel_gradient_norms=np.array([float(tf.norm(g)) for g in kernel_grads]),
    )


def layer_table(probe: LayerProbe, activation: str) -> list[dict[str, float]]:
    """Per-layer mean, std and fraction saturated of the probed hidden activations.

    Only layers whose outputs went through ``activation`` make sense here; pass the
    hidden layers (e.g. drop a linear output layer before calling).
    """
    if not isinstance(probe, LayerProbe):
        raise TypeError(f"probe must be a LayerProbe, got {type(probe).__name__}")
    return [saturation_stats(outputs, activation) for outputs in probe.activations]


def _as_float32_batch(name: str, x: ArrayLike) -> tf.Tensor:
    array = require_array(name, x, ndim=3)
    return tf.convert_to_tensor(array.astype(np.float32))


def input_gradient_norms(
    model: keras.Model,
    x: ArrayLike,
    y: ArrayLike,
    loss: Callable[[tf.Tensor, tf.Tensor], tf.Tensor] = _mse,
) -> np.ndarray:
    """``||dL/dx_t||`` for every time step t of a sequence model, in one backward pass.

    ``x`` has shape (batch, time, features); the norm at step t is taken over the batch
    and the features, so the result has one entry per time step. It measures how much
    the loss can still "feel" the input at step t: the gradient that reached it.
    """
    model = _require_model(model)
    x_tf = _as_float32_batch("x", x)
    y = require_array("y", y)
    require_same_batch(x_tf, y)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        value = loss(y, model(x_tf, training=False))
    grad = tape.gradient(value, x_tf).numpy().astype(np.float64)
    return np.sqrt(np.sum(grad**2, axis=(0, 2)))


def lstm_gate_activations(layer: keras.layers.LSTM, x: ArrayLike) -> dict[str, np.ndarray]:
    """A Keras ``LSTM`` layer's gates and states at every step, in float64.

    Returns arrays of shape (batch, time, units) for the input gate ``i``, forget gate
    ``f``, output gate ``o``, cell state ``c`` and hidden state ``h``, following Keras'
    equations (written once each: the states by ``lstm_paths.lstm_states``, the gates from
    the previous states by ``recurrent_states.gates_from_states``):

        c_t = f_t * c_(t-1) + i_t * tanh(z_c),   h_t = o_t * tanh(c_t)
    """
    h, c = lstm_states(layer, x)  # validates the layer and x
    return {**gates_from_states(layer.cell, x, h), "c": c, "h": h}
