"""The roads back through an LSTM: how much of the gradient rides the cell path, measured.

Keras' ``LSTM`` (gate order i, f, candidate, o in its weights) computes, at every step t,

    i_t = sigma(x_t W_i + h_(t-1) U_i + b_i)      f_t = sigma(x_t W_f + h_(t-1) U_f + b_f)
    o_t = sigma(x_t W_o + h_(t-1) U_o + b_o)      c~_t = tanh(x_t W_c + h_(t-1) U_c + b_c)
    c_t = f_t * c_(t-1) + i_t * c~_t              h_t = o_t * tanh(c_t)

The gradient of the loss with respect to an input x_t is a sum over every path from x_t
to the loss. The **cell path** is the additive carousel: x_t enters c_t, then travels
c_t -> c_(t+1) -> ... -> c_(T-1) (a factor diag(f) per step), and leaves through
h_(T-1) = o_(T-1) * tanh(c_(T-1)). Every other path goes through some hidden state h_s
and the gates (or candidate) it feeds. This module re-implements the layer in
TensorFlow from its own weights (in float64), once as Keras computes it and once with
``tf.stop_gradient`` on h_(t-1) wherever it enters a gate or the candidate: the forward
pass is unchanged, but the backward pass can only use the cell path. The difference of
the two gradients is the rest (gradients add over paths, so the split is exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_array, require_same_batch


@dataclass
class GradientPaths:
    """``||dL/dx_t||`` per step t (norm over the batch and the features), split by path."""

    total: np.ndarray  # through every path
    cell: np.ndarray  # through the cell path only (the additive carousel)
    rest: np.ndarray  # through the other paths (hidden state and gates): total - cell, per example

    def cell_share(self) -> np.ndarray:
        """``||cell|| / ||total||`` per step: 1 when the carousel carries all of the gradient."""
        return self.cell / self.total


def _require_lstm_layer(layer: object) -> keras.layers.LSTM:
    if not isinstance(layer, keras.layers.LSTM):
        raise TypeError(f"layer must be a keras.layers.LSTM, got {type(layer).__name__}")
    if not layer.built:
        raise ValueError(
            "the LSTM layer is not built yet: call it on an input (or build its model) first"
        )
    if (
        layer.activation is not keras.activations.tanh
        or layer.recurrent_activation is not keras.activations.sigmoid
    ):
        raise ValueError("only the default activations (tanh, recurrent sigmoid) are supported")
    if layer.go_backwards or layer.return_sequences is not False:
        raise ValueError("only a forward LSTM that returns its last state is supported")
    return layer


def _lstm_weights(
    layer: keras.layers.LSTM, dtype: tf.DType
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    kernel = tf.constant(np.asarray(layer.cell.kernel), dtype=dtype)
    recurrent = tf.constant(np.asarray(layer.cell.recurrent_kernel), dtype=dtype)
    if layer.cell.use_bias:
        bias = tf.constant(np.asarray(layer.cell.bias), dtype=dtype)
    else:
        bias = tf.zeros(4 * layer.units, dtype=dtype)
    return kernel, recurrent, bias


def _run_lstm(
    kernel: tf.Tensor, recurrent: tf.Tensor, bias: tf.Tensor, x: tf.Tensor, cell_path_only: bool
) -> tuple[tf.Tensor, tf.Tensor]:
    """h and c for every step, shape (batch, time, units); see the module docstring."""

    def step(state: tuple[tf.Tensor, tf.Tensor], x_t: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        h, c = state
        h_in = tf.stop_gradient(h) if cell_path_only else h  # the only change: no gradient into h
        z_i, z_f, z_c, z_o = tf.split(x_t @ kernel + h_in @ recurrent + bias, 4, axis=1)
        c = tf.sigmoid(z_f) * c + tf.sigmoid(z_i) * tf.tanh(z_c)
        return tf.sigmoid(z_o) * tf.tanh(c), c  # h_t, c_t

    zeros = tf.zeros((tf.shape(x)[0], tf.shape(recurrent)[0]), dtype=x.dtype)
    h, c = tf.scan(step, tf.transpose(x, (1, 0, 2)), initializer=(zeros, zeros))
    return tf.transpose(h, (1, 0, 2)), tf.transpose(c, (1, 0, 2))


@tf.function(reduce_retracing=True)
def _states(
    kernel: tf.Tensor, recurrent: tf.Tensor, bias: tf.Tensor, x: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    return _run_lstm(kernel, recurrent, bias, x, cell_path_only=False)


@tf.function(reduce_retracing=True)
def _input_gradient_of_loss(
    kernel: tf.Tensor,
    recurrent: tf.Tensor,
    bias: tf.Tensor,
    readout_kernel: tf.Tensor,
    readout_bias: tf.Tensor,
    x: tf.Tensor,
    y: tf.Tensor,
    cell_path_only: bool,
) -> tf.Tensor:
    with tf.GradientTape() as tape:
        tape.watch(x)
        h, _ = _run_lstm(kernel, recurrent, bias, x, cell_path_only)
        loss = tf.reduce_mean(tf.square(h[:, -1] @ readout_kernel + readout_bias - y))
    return tape.gradient(loss, x)


def lstm_states(layer: keras.layers.LSTM, x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Run a Keras ``LSTM`` layer's recurrence from its own weights, in float64: (h, c).

    Both arrays have shape (batch, time, units); ``h[:, -1]`` is what the layer returns.
    """
    layer = _require_lstm_layer(layer)
    x = require_array("x", x, ndim=3)
    features = layer.cell.kernel.shape[0]
    if x.shape[2] != features:
        raise ValueError(
            f"x must have shape (batch, time, {features}) for this layer, got {x.shape}"
        )
    h, c = _states(*_lstm_weights(layer, tf.float64), tf.constant(x))
    return h.numpy(), c.numpy()


def _lstm_and_readout(model: object) -> tuple[keras.layers.LSTM, keras.layers.Dense]:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if (
        len(layers) != 2
        or not isinstance(layers[0], keras.layers.LSTM)
        or not isinstance(layers[1], keras.layers.Dense)
    ):
        raise ValueError(
            "model must be keras.Input -> LSTM -> Dense (as build_recurrent_model('LSTM', ...) "
            f"makes), got layers {[type(layer).__name__ for layer in layers]}"
        )
    readout = layers[1]
    if readout.activation is not keras.activations.linear:
        raise ValueError("the Dense readout must be linear")
    return _require_lstm_layer(layers[0]), readout


def _input_gradient(
    model: keras.Model, x: ArrayLike, y: ArrayLike, cell_path_only: bool
) -> np.ndarray:
    layer, readout = _lstm_and_readout(model)
    x = require_array("x", x, ndim=3)
    y = require_array("y", y, ndim=2)
    require_same_batch(x, y)
    features, outputs = layer.cell.kernel.shape[0], readout.kernel.shape[1]
    if x.shape[2] != features or y.shape[1] != outputs:
        raise ValueError(
            f"x must have shape (batch, time, {features}) and y (batch, {outputs}), "
            f"got {x.shape} and {y.shape}"
        )
    readout_kernel = tf.constant(np.asarray(readout.kernel), dtype=tf.float64)
    readout_bias = tf.constant(
        np.asarray(readout.bias) if readout.use_bias else np.zeros(outputs), dtype=tf.float64
    )
    gradient = _input_gradient_of_loss(
        *_lstm_weights(layer, tf.float64),
        readout_kernel,
        readout_bias,
        tf.constant(x),
        tf.constant(y),
        bool(cell_path_only),
    )
    return gradient.numpy()


def lstm_input_gradient(
    model: keras.Model, x: ArrayLike, y: ArrayLike, cell_path_only: bool = False
) -> np.ndarray:
    """``dL/dx`` (the shape of ``x``) of an ``Input -> LSTM -> Dense`` model, in float64.

    With ``cell_path_only=True`` only the paths along the cell carousel count: h_(t-1)
    is wrapped in ``tf.stop_gradient`` where it enters the gates and the candidate (see
    the module docstring). At the last step there is no carousel left to travel: both
    versions give the same gradient there.
    """
    return _input_gradient(model, x, y, cell_path_only)


def _norm_per_step(gradient: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(gradient**2, axis=(0, 2)))


def lstm_gradient_paths(model: keras.Model, x: ArrayLike, y: ArrayLike) -> GradientPaths:
    """``||dL/dx_t||`` for every step t of an ``Input -> LSTM -> Dense`` model, through
    all paths, through the cell path only, and through the rest (float64)."""
    total = lstm_input_gradient(model, x, y)
    cell = lstm_input_gradient(model, x, y, cell_path_only=True)
    return GradientPaths(_norm_per_step(total), _norm_per_step(cell), _norm_per_step(total - cell))


def decay_per_step(norms: ArrayLike, first: int | None = None, last: int | None = None) -> float:
    """How much a gradient norm shrinks per step back, from ``norms`` indexed by time step:
    ``exp(-slope)`` of the least-squares line through ``log(norms[first:last])``.

    The ends are left out: near the last step the direct paths dominate, and near the
    first the readout of the initial state does. By default a tenth of the steps at each
    end (steps 10 to 89 of 100).
    """
    norms = require_array("norms", norms, ndim=1)
    first = len(norms) // 10 if first is None else first
    last = len(norms) - len(norms) // 10 if last is None else last
    if not 0 <= first < last - 1 < len(norms):
        raise ValueError(
            f"need 0 <= first < last - 1 < {len(norms)}, got first={first}, last={last}"
        )
    window = norms[first:last]
    if np.any(window <= 0) or not np.all(np.isfinite(window)):
        raise ValueError("norms must be positive and finite in the fitted window")
    steps = np.arange(first, last)
    return float(np.exp(-np.polyfit(steps, np.log(window), 1)[0]))
