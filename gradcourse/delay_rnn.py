"""A tanh RNN with a skip connection in time (a delay), for ``keras.layers.RNN``.

NARX networks (Lin, Horne, Tino & Giles 1996) add delayed connections to the ordinary
recurrent one; here one delay d, as notebook 09 trains it:

    h_t = tanh(W x_t + U h_(t-1) + V h_(t-d) + b)      (h_t = 0 for t < 0)

so from step t the gradient can go back d steps through one factor (via V) instead of d
factors (via U): the shortest path from h_T to h_0 has about T/d factors. With d = 1 the
cell is a SimpleRNN with recurrent matrix U + V.

The state holds the last d hidden states side by side, ``[h_(t-d), ..., h_(t-1)]``
(d * units numbers): what the delay costs in memory. Weight layout (Keras' convention, as
``SimpleRNNCell``): ``kernel`` W^T (features, units), ``recurrent_kernel`` U^T (units,
units), ``delayed_kernel`` V^T (units, units), ``bias`` b (units,). Initialisers default to
Keras' for a SimpleRNN (``glorot_uniform`` for W, ``orthogonal`` for U) and ``orthogonal``
for V.
"""

from __future__ import annotations

from typing import Any

from gradcourse._recurrent import (
    ConfigFromAttributes,
    InitializerLike,
    recurrent_model,
    step_features,
)
from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_int

__all__ = ["DelayRNNCell", "build_delay_rnn_model"]


@keras.saving.register_keras_serializable(package="gradcourse")
class DelayRNNCell(ConfigFromAttributes, keras.layers.Layer):
    """One step of h_t = tanh(W x_t + U h_(t-1) + V h_(t-d) + b); wrap it in ``keras.layers.RNN``.

    Args:
        units: the number of hidden units.
        delay: d >= 1, the lag of the skip connection.
        kernel_initializer, recurrent_initializer, delayed_initializer, bias_initializer:
            for W, U, V and b.

    The output at each step is h_t; the state is the last ``delay`` hidden states.

    Example::

        layer = keras.layers.RNN(DelayRNNCell(16, delay=10))
        last = layer(np.zeros((4, 60, 2), "float32"))   # (4, 16)
    """

    config_attributes = (
        "units",
        "delay",
        "kernel_initializer",
        "recurrent_initializer",
        "delayed_initializer",
        "bias_initializer",
    )

    def __init__(
        self,
        units: int,
        delay: int,
        kernel_initializer: InitializerLike = "glorot_uniform",
        recurrent_initializer: InitializerLike = "orthogonal",
        delayed_initializer: InitializerLike = "orthogonal",
        bias_initializer: InitializerLike = "zeros",
        **kwargs: Any,
    ) -> None:
        units = require_int("units", units, minimum=1)
        delay = require_int("delay", delay, minimum=1)
        super().__init__(**kwargs)
        self.units, self.delay = units, delay
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.delayed_initializer = keras.initializers.get(delayed_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = units * delay
        self.output_size = units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        n = self.units
        self.kernel = self.add_weight(
            shape=(step_features(input_shape), n),
            name="kernel",
            initializer=self.kernel_initializer,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(n, n), name="recurrent_kernel", initializer=self.recurrent_initializer
        )
        self.delayed_kernel = self.add_weight(
            shape=(n, n), name="delayed_kernel", initializer=self.delayed_initializer
        )
        self.bias = self.add_weight(shape=(n,), name="bias", initializer=self.bias_initializer)
        super().build(input_shape)

    def call(
        self, inputs: tf.Tensor, states: tf.Tensor | list[tf.Tensor], training: bool = False
    ) -> tuple[tf.Tensor, tf.Tensor | list[tf.Tensor]]:
        ops = keras.ops
        past = states[0] if isinstance(states, (list, tuple)) else states
        n = self.units
        oldest, newest = past[:, :n], past[:, -n:]  # h_(t-d), h_(t-1)
        h = ops.tanh(
            ops.matmul(inputs, self.kernel)
            + ops.matmul(newest, self.recurrent_kernel)
            + ops.matmul(oldest, self.delayed_kernel)
            + self.bias
        )
        state = ops.concatenate([past[:, n:], h], axis=-1)
        return h, ([state] if isinstance(states, (list, tuple)) else state)

    def get_initial_state(self, batch_size: int | None = None) -> list[tf.Tensor]:
        return [keras.ops.zeros((batch_size, self.units * self.delay), dtype=self.compute_dtype)]


def build_delay_rnn_model(
    length: int,
    features: int,
    units: int = 32,
    delay: int = 10,
    outputs: int = 1,
    name: str = "DelayRNN",
    **cell_kwargs: Any,
) -> keras.Model:
    """The course's one-layer model with a ``DelayRNNCell``: ``keras.Input`` ->
    ``RNN(cell)`` (last hidden state, layer ``delay_rnn``) -> ``Dense(outputs)`` (``readout``).

    Extra keyword arguments go to the cell (initialisers). Not compiled.
    """

    def block(inputs: keras.KerasTensor) -> keras.KerasTensor:
        cell = DelayRNNCell(units, delay, **cell_kwargs)
        return keras.layers.RNN(cell, name="delay_rnn")(inputs)

    return recurrent_model(block, length, features, outputs, name)
