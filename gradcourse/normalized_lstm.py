"""An LSTM and a tanh SimpleRNN with batch or layer normalisation inside, to put "batch norm
fixes RNNs" on trial.

Keras 3 has no normalised LSTM. ``NormalizedLSTM`` is one layer that reads a whole
sequence, in Keras' LSTM weight layout (gates in the order i, f, c, o; ``kernel`` is
(features, 4 units), ``recurrent_kernel`` (units, 4 units), forget-gate bias started at
1), with one of four settings of ``normalization``:

- ``None``: the plain LSTM; the same numbers as ``keras.layers.LSTM`` with these weights.
- ``"batch_per_step"``: recurrent batch normalisation (Cooijmans et al. 2016, eq. 6-8)::

      z_t = BN_t(W_h h_(t-1); scale_h) + BN_t(W_x x_t; scale_x) + b
      c_t = sigma(f_t) * c_(t-1) + sigma(i_t) * tanh(g_t)
      h_t = sigma(o_t) * tanh(BN_t(c_t; scale_c, shift_c))

  Each ``BN_t`` standardises every feature over the batch, at step t; for inference each
  step keeps its *own* moving mean and variance (steps past the trained length reuse the
  last step's). The scales start at 0.1, as Cooijmans et al. recommend.
- ``"batch_shared"``: the naive port, with statistics shared over the steps: only the
  input term is normalised, ``BN(W_x x_t)``, with one mean and variance per feature
  taken over the batch *and all steps* (sequence-wise normalisation, Laurent et al. 2016),
  during training and inference alike; the recurrent term and the cell are not
  normalised (their statistics would depend on the normalisation itself).
- ``"layer"``: layer normalisation at the same three places (Ba, Kiros & Hinton 2016,
  LN-LSTM): statistics over the features of one example at one step; scales start at 1.

The normalised terms get a scale and no shift of their own (the gate bias ``b`` is the
shift), except the cell, which gets both. ``epsilon`` is added to every variance.

``NormalizedSimpleRNN`` is the same machinery on Keras' tanh ``SimpleRNN`` (Keras' weight
layout: ``kernel`` (features, units), ``recurrent_kernel`` (units, units), ``bias`` started
at 0), with the same four settings::

      h_t = tanh(N_t(W_h h_(t-1); scale_h) + N_t(W_x x_t; scale_x) + b)

where ``N_t`` is per-step batch normalisation (``"batch_per_step"``: own moving statistics
per step, scales started at 0.1), layer normalisation of each term (``"layer"``), or, with
``"batch_shared"``, the input term only with one set of statistics over batch and steps. A
SimpleRNN has no cell state, so there is no third normalised term.
"""

from __future__ import annotations

from typing import Any

from gradcourse._recurrent import ConfigFromAttributes, InitializerLike, recurrent_model
from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_float, require_int

__all__ = [
    "NORMALIZATIONS",
    "NormalizedLSTM",
    "NormalizedSimpleRNN",
    "build_normalized_lstm_model",
    "build_normalized_simple_rnn_model",
]

NORMALIZATIONS = (None, "batch_per_step", "batch_shared", "layer")
# Cooijmans et al. (2016), section 4: "we initialize the batch normalization parameters
# gamma to 0.1", so that tanh and the sigmoids start away from saturation.
BATCH_NORM_SCALE = 0.1
# The batch statistics a training call collects, per normalised term, step by step.
_NewStats = dict[str, list[tuple[tf.Tensor, tf.Tensor]]]


def _require_normalization(normalization: str | None) -> str | None:
    if normalization is not None and not isinstance(normalization, str):
        raise TypeError(
            f"normalization must be None or a string, got {type(normalization).__name__}"
        )
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    return normalization


class _NormalizedRecurrent(ConfigFromAttributes, keras.layers.Layer):
    """What ``NormalizedLSTM`` and ``NormalizedSimpleRNN`` share: arguments, weights of the
    pre-activation ``z_t = N(W_h h_(t-1)) + N(W_x x_t) + b`` (``GATES`` blocks of units),
    the normalisations and the moving statistics. Subclasses set ``GATES``, the bias's
    start, the extra weights of their state (``_build_state``, ``_state_terms``) and one
    step (``_step``)."""

    GATES = 1

    config_attributes = (
        "units",
        "normalization",
        "scale",
        "momentum",
        "epsilon",
        "kernel_initializer",
        "recurrent_initializer",
    )

    def __init__(
        self,
        units: int,
        normalization: str | None = None,
        scale: float | None = None,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        kernel_initializer: InitializerLike = "glorot_uniform",
        recurrent_initializer: InitializerLike = "orthogonal",
        **kwargs: Any,
    ) -> None:
        units = require_int("units", units, minimum=1)
        normalization = _require_normalization(normalization)
        if normalization == "layer" and units < 2:
            raise ValueError("layer normalisation needs at least 2 units to take a spread over")
        if scale is None:
            scale = 1.0 if normalization == "layer" else BATCH_NORM_SCALE
        scale = require_float("scale", scale)
        momentum = require_float("momentum", momentum, minimum=0.0, maximum=1.0)
        epsilon = require_float("epsilon", epsilon, minimum=0.0, strict_minimum=True)
        super().__init__(**kwargs)
        self.units, self.normalization, self.scale = units, normalization, scale
        self.momentum, self.epsilon = momentum, epsilon
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)

    def _bias_start(self) -> list[float]:
        return [0.0] * (self.GATES * self.units)

    def _build_state(self) -> None:
        """Weights beyond the pre-activation's (none by default)."""

    def _state_terms(self) -> tuple[tuple[str, int], ...]:
        """(name, width) of the state's terms with per-step batch statistics (none)."""
        return ()

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 3 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(
                f"{type(self).__name__} reads (batch, steps, features) with known steps and "
                f"features; got {tuple(input_shape)}"
            )
        self.steps, features = int(input_shape[1]), int(input_shape[2])
        size = self.GATES * self.units
        self.kernel = self.add_weight(
            shape=(features, size), name="kernel", initializer=self.kernel_initializer
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, size),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
        )
        self.bias = self.add_weight(
            shape=(size,), name="bias", initializer=keras.initializers.Constant(self._bias_start())
        )
        norm = self.normalization
        self._moving = {}
        if norm is not None:
            start = keras.initializers.Constant(self.scale)
            self.scale_x = self.add_weight(shape=(size,), name="scale_x", initializer=start)
        if norm in ("batch_per_step", "layer"):
            self.scale_h = self.add_weight(shape=(size,), name="scale_h", initializer=start)
        self._build_state()
        if norm == "batch_per_step":
            for term, width in (("x", size), ("h", size), *self._state_terms()):
                self._add_moving(term, (self.steps, width))
        elif norm == "batch_shared":
            self._add_moving("x", (size,))
        super().build(input_shape)

    def _add_moving(self, term: str, shape: tuple[int, ...]) -> None:
        self._moving[term] = (
            self.add_weight(
                shape=shape, name=f"moving_mean_{term}", initializer="zeros", trainable=False
            ),
            self.add_weight(
                shape=shape, name=f"moving_variance_{term}", initializer="ones", trainable=False
            ),
        )

    def _standardise(self, value: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor) -> tf.Tensor:
        return (value - mean) * keras.ops.rsqrt(variance + self.epsilon)

    def _layer_norm(self, value: tf.Tensor) -> tf.Tensor:
        ops = keras.ops
        mean = ops.mean(value, axis=-1, keepdims=True)
        variance = ops.mean(ops.square(value - mean), axis=-1, keepdims=True)
        return self._standardise(value, mean, variance)

    def _batch_norm(
        self,
        value: tf.Tensor,
        term: str,
        step: int,
        training: bool,
        new_stats: _NewStats,
    ) -> tf.Tensor:
        """Per-step batch normalisation of ``value`` (batch, size) at ``step``."""
        ops = keras.ops
        if training:
            mean = ops.mean(value, axis=0)
            variance = ops.mean(ops.square(value - mean), axis=0)
            new_stats.setdefault(term, []).append((mean, variance))
        else:
            moving_mean, moving_variance = self._moving[term]
            index = min(step, self.steps - 1)  # longer sequences reuse the last step's
            mean, variance = moving_mean[index], moving_variance[index]
        return self._standardise(value, mean, variance)

    def _normalise(
        self, value: tf.Tensor, term: str, step: int, training: bool, new_stats: _NewStats
    ) -> tf.Tensor:
        """``value`` times its scale, normalised as set (layer or per-step batch)."""
        scale = getattr(self, f"scale_{term}")
        if self.normalization == "layer":
            return scale * self._layer_norm(value)
        return scale * self._batch_norm(value, term, step, training, new_stats)

    def _update(self, term: str, mean: tf.Tensor, variance: tf.Tensor) -> None:
        moving_mean, moving_variance = self._moving[term]
        m = self.momentum
        moving_mean.assign(m * moving_mean + (1 - m) * mean)
        moving_variance.assign(m * moving_variance + (1 - m) * variance)

    def _step(
        self, z: tf.Tensor, state: Any, t: int, training: bool, new_stats: _NewStats
    ) -> tuple[tf.Tensor, Any]:
        """One step from the pre-activation ``z``: returns ``(h, state)``."""
        raise NotImplementedError

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        ops, norm = keras.ops, self.normalization
        training = bool(training)
        steps = inputs.shape[1]
        x_terms = ops.einsum("btf,fg->btg", inputs, self.kernel)  # W_x x_t for every step
        if norm == "batch_shared":
            if training:
                mean = ops.mean(x_terms, axis=(0, 1))
                variance = ops.mean(ops.square(x_terms - mean), axis=(0, 1))
                self._update("x", mean, variance)
            else:
                mean, variance = self._moving["x"]
            x_terms = self.scale_x * self._standardise(x_terms, mean, variance)
        batch = ops.shape(inputs)[0]
        h = ops.zeros((batch, self.units), dtype=inputs.dtype)
        state = h
        new_stats = {}
        for t in range(steps):
            x_term, h_term = x_terms[:, t], ops.matmul(h, self.recurrent_kernel)
            if norm in ("layer", "batch_per_step"):
                x_term = self._normalise(x_term, "x", t, training, new_stats)
                h_term = self._normalise(h_term, "h", t, training, new_stats)
            h, state = self._step(x_term + h_term + self.bias, state, t, training, new_stats)
        if norm == "batch_per_step" and training:
            if steps != self.steps:
                raise ValueError(
                    f"train on sequences of the built length {self.steps}, got {steps} steps"
                )
            for term, stats in new_stats.items():
                means = ops.stack([mean for mean, _ in stats])
                variances = ops.stack([variance for _, variance in stats])
                self._update(term, means, variances)
        return h

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, int]:
        return (input_shape[0], self.units)


@keras.saving.register_keras_serializable(package="gradcourse")
class NormalizedLSTM(_NormalizedRecurrent):
    """An LSTM over a whole sequence, (batch, steps, features) -> last state (batch, units).

    Args:
        units: the number of cells.
        normalization: ``None``, ``"batch_per_step"``, ``"batch_shared"`` or ``"layer"``
            (module docstring).
        scale: the normalisation scales' initial value; ``None`` means 0.1 for batch
            normalisation (Cooijmans et al.) and 1 for layer normalisation.
        momentum: of the moving statistics kept for inference (batch normalisation).
        epsilon: added to every variance, > 0.
        kernel_initializer, recurrent_initializer: Keras' LSTM defaults.

    Example::

        layer = NormalizedLSTM(32, "batch_per_step")
        last = layer(np.zeros((8, 30, 2), "float32"), training=True)   # (8, 32)
    """

    GATES = 4

    def _bias_start(self) -> list[float]:
        u = self.units
        return [0.0] * u + [1.0] * u + [0.0] * (2 * u)  # unit_forget_bias

    def _build_state(self) -> None:
        u, norm = self.units, self.normalization
        if norm in ("batch_per_step", "layer"):
            start = keras.initializers.Constant(self.scale)
            self.scale_c = self.add_weight(shape=(u,), name="scale_c", initializer=start)
            self.shift_c = self.add_weight(shape=(u,), name="shift_c", initializer="zeros")

    def _state_terms(self) -> tuple[tuple[str, int], ...]:
        return (("c", self.units),)

    def _step(
        self, z: tf.Tensor, state: Any, t: int, training: bool, new_stats: _NewStats
    ) -> tuple[tf.Tensor, Any]:
        ops, u, norm = keras.ops, self.units, self.normalization
        c = state
        i, f, g, o = (z[:, k * u : (k + 1) * u] for k in range(4))
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        c_out = c
        if norm in ("layer", "batch_per_step"):
            c_out = self._normalise(c, "c", t, training, new_stats) + self.shift_c
        return ops.sigmoid(o) * ops.tanh(c_out), c


@keras.saving.register_keras_serializable(package="gradcourse")
class NormalizedSimpleRNN(_NormalizedRecurrent):
    """A tanh SimpleRNN over a whole sequence, (batch, steps, features) -> last state
    (batch, units), with ``h_t = tanh(N(W_h h_(t-1)) + N(W_x x_t) + b)`` (module docstring).

    Args: as ``NormalizedLSTM`` (``units`` is the number of hidden units); the bias starts
    at 0 and ``normalization=None`` computes the same numbers as ``keras.layers.SimpleRNN``
    with these weights.

    Example::

        layer = NormalizedSimpleRNN(32, "batch_per_step")
        last = layer(np.zeros((8, 30, 2), "float32"), training=True)   # (8, 32)
    """

    GATES = 1

    def _step(
        self, z: tf.Tensor, state: Any, t: int, training: bool, new_stats: _NewStats
    ) -> tuple[tf.Tensor, Any]:
        h = keras.ops.tanh(z)
        return h, h


def _build_model(
    layer_class: type[_NormalizedRecurrent],
    layer_name: str,
    length: int,
    features: int,
    normalization: str | None,
    units: int,
    outputs: int,
    name: str | None,
    layer_kwargs: dict[str, Any],
) -> keras.Model:
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string or None, got {type(name).__name__}")

    def block(inputs: keras.KerasTensor) -> keras.KerasTensor:
        return layer_class(units, normalization, name=layer_name, **layer_kwargs)(inputs)

    kind = "LSTM" if layer_class is NormalizedLSTM else "SimpleRNN"
    return recurrent_model(
        block, length, features, outputs, name or f"{kind}_{normalization or 'plain'}"
    )


def build_normalized_lstm_model(
    length: int,
    features: int,
    normalization: str | None = None,
    units: int = 32,
    outputs: int = 1,
    name: str | None = None,
    **layer_kwargs: Any,
) -> keras.Model:
    """The course's one-layer model (as ``gradcourse.models.build_recurrent_model``) with a
    ``NormalizedLSTM``: ``keras.Input`` -> ``NormalizedLSTM`` (last state) -> ``Dense(outputs)``.
    Extra keyword arguments go to the layer. Not compiled."""
    return _build_model(
        NormalizedLSTM, "lstm", length, features, normalization, units, outputs, name, layer_kwargs
    )


def build_normalized_simple_rnn_model(
    length: int,
    features: int,
    normalization: str | None = None,
    units: int = 32,
    outputs: int = 1,
    name: str | None = None,
    **layer_kwargs: Any,
) -> keras.Model:
    """As ``build_normalized_lstm_model``, with a ``NormalizedSimpleRNN`` (layer name
    ``"rnn"``) in place of the LSTM. Not compiled."""
    return _build_model(
        NormalizedSimpleRNN,
        "rnn",
        length,
        features,
        normalization,
        units,
        outputs,
        name,
        layer_kwargs,
    )
