"""A layer-normalised simple recurrent cell (Ba, Kiros & Hinton 2016), for ``keras.layers.RNN``.

Keras 3 has no layer-normalised recurrent cell. This one is the vanilla RNN of the course
with layer normalisation inside the recurrence, as in Ba et al.'s section on recurrent
networks: at every step t and for every example separately,

    a_t = W_xh x_t + W_hh h_(t-1)                          (no bias: the mean is removed next)
    mu_t = mean_i a_t,i,    v_t = mean_i (a_t,i - mu_t)^2   (over the n units, not the batch)
    h_t = f( scale * (a_t - mu_t) / sqrt(v_t + epsilon) + bias )

``scale`` and ``bias`` are learned vectors of n entries (Ba et al. write them g and b; in
the course g is only an initializer's gain). The statistics come from one example at one
step, so nothing depends on the batch, on other time steps, or on training vs inference:
the contrast with batch normalisation, whose statistics are taken over the batch.

In Keras' weight layout (as ``SimpleRNNCell``): ``kernel`` is W_xh transposed, shape
(features, units), and ``recurrent_kernel`` is W_hh transposed, (units, units).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gradcourse._recurrent import (
    ConfigFromAttributes,
    InitializerLike,
    recurrent_model,
    step_features,
)
from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_float, require_int

__all__ = ["LayerNormSimpleRNNCell", "build_layer_norm_rnn_model", "DEFAULT_EPSILON"]

# Keras' LayerNormalization default; it also keeps 1/sqrt(v_t + epsilon) finite when all
# pre-activations of a step are equal (e.g. at h_0 = 0 with an all-zero input).
DEFAULT_EPSILON = 1e-3


def _require_activation(activation: str | Callable) -> Callable:
    if isinstance(activation, str) or callable(activation):
        try:
            return keras.activations.get(activation)
        except ValueError as error:
            raise ValueError(f"unknown activation {activation!r} ({error})") from None
    raise TypeError(
        f"activation must be a name like 'tanh' or a function, got {type(activation).__name__}"
    )


@keras.saving.register_keras_serializable(package="gradcourse")
class LayerNormSimpleRNNCell(ConfigFromAttributes, keras.layers.Layer):
    """One step of a layer-normalised vanilla RNN; wrap it in ``keras.layers.RNN``.

    ``h_t = activation(scale * normalise(x_t @ kernel + h_(t-1) @ recurrent_kernel) + bias)``,
    where ``normalise`` subtracts the mean over the units and divides by the standard
    deviation over the units (plus ``epsilon`` in the variance), per example.

    Args:
        units: the number of hidden units n (at least 2: one unit has no spread to normalise).
        activation: name or function; ``"tanh"`` by default, as ``SimpleRNNCell``.
        kernel_initializer, recurrent_initializer: as in ``SimpleRNNCell`` (Keras' defaults:
            ``"glorot_uniform"`` and ``"orthogonal"``).
        scale_initializer, bias_initializer: for the normalisation's scale (ones) and bias (zeros).
        epsilon: added to the variance, > 0.

    Example::

        layer = keras.layers.RNN(LayerNormSimpleRNNCell(32))
        states = layer(np.zeros((8, 100, 2), "float32"))   # (8, 32)
    """

    config_attributes = (
        "units",
        "activation",
        "kernel_initializer",
        "recurrent_initializer",
        "scale_initializer",
        "bias_initializer",
        "epsilon",
    )

    def __init__(
        self,
        units: int,
        activation: str | Callable = "tanh",
        kernel_initializer: InitializerLike = "glorot_uniform",
        recurrent_initializer: InitializerLike = "orthogonal",
        scale_initializer: InitializerLike = "ones",
        bias_initializer: InitializerLike = "zeros",
        epsilon: float = DEFAULT_EPSILON,
        **kwargs: Any,
    ) -> None:
        units = require_int("units", units, minimum=2)
        epsilon = require_float("epsilon", epsilon, minimum=0.0, strict_minimum=True)
        activation = _require_activation(activation)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activation
        self.epsilon = epsilon
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.scale_initializer = keras.initializers.get(scale_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        features = step_features(input_shape)
        self.kernel = self.add_weight(
            shape=(features, self.units), name="kernel", initializer=self.kernel_initializer
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
        )
        self.scale = self.add_weight(
            shape=(self.units,), name="scale", initializer=self.scale_initializer
        )
        self.bias = self.add_weight(
            shape=(self.units,), name="bias", initializer=self.bias_initializer
        )
        super().build(input_shape)

    def normalise(self, pre_activation: tf.Tensor) -> tf.Tensor:
        """``(a - mean) / sqrt(variance + epsilon)`` over the last axis (the units), per example."""
        ops = keras.ops
        mean = ops.mean(pre_activation, axis=-1, keepdims=True)
        centred = pre_activation - mean
        variance = ops.mean(ops.square(centred), axis=-1, keepdims=True)
        return centred * ops.rsqrt(variance + ops.cast(self.epsilon, centred.dtype))

    def call(
        self, inputs: tf.Tensor, states: tf.Tensor | list[tf.Tensor], training: bool = False
    ) -> tuple[tf.Tensor, tf.Tensor | list[tf.Tensor]]:
        ops = keras.ops
        previous = states[0] if isinstance(states, (list, tuple)) else states
        pre_activation = ops.matmul(inputs, self.kernel) + ops.matmul(
            previous, self.recurrent_kernel
        )
        output = self.activation(self.scale * self.normalise(pre_activation) + self.bias)
        return output, ([output] if isinstance(states, (list, tuple)) else output)

    def get_initial_state(self, batch_size: int | None = None) -> list[tf.Tensor]:
        return [keras.ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]


def build_layer_norm_rnn_model(
    length: int,
    features: int,
    units: int = 32,
    outputs: int = 1,
    name: str = "LayerNormRNN",
    unroll: bool = False,
    **cell_kwargs: Any,
) -> keras.Model:
    """The course's one-layer model (as ``gradcourse.models.build_recurrent_model``) with a
    ``LayerNormSimpleRNNCell``: ``keras.Input`` -> ``RNN(cell)`` (last state) -> ``Dense(outputs)``.

    ``unroll`` goes to ``keras.layers.RNN`` (faster for short sequences, slower to build);
    extra keyword arguments go to the cell (e.g. ``recurrent_initializer=...``). Not compiled.
    """
    if not isinstance(unroll, bool):
        raise TypeError(f"unroll must be True or False, got {type(unroll).__name__}")

    def block(inputs: keras.KerasTensor) -> keras.KerasTensor:
        cell = LayerNormSimpleRNNCell(units, **cell_kwargs)
        return keras.layers.RNN(cell, unroll=unroll, name="layer_norm_rnn")(inputs)

    return recurrent_model(block, length, features, outputs, name)
