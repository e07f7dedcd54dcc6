"""Re-run a Keras recurrent layer step by step in NumPy, to read what Keras keeps hidden.

Keras returns the last state (or the state sequence); the gates of an LSTM or GRU are
never returned. These functions recompute them from the layer's own weights with
Keras' equations, so that saturation can be measured on any trained model.
"""

from __future__ import annotations

import numpy as np

from gradcourse._tensorflow import keras
from gradcourse._validate import require_array

SUPPORTED_LAYERS = (keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


_ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda v: np.maximum(v, 0.0),
    "linear": lambda v: v,
}


def activation_name(function) -> str:
    """The name of a Keras activation among tanh, sigmoid, relu, linear (else ValueError)."""
    for name in _ACTIVATIONS:
        if function is keras.activations.get(name):
            return name
    raise ValueError(f"unsupported activation {function!r}: use one of {tuple(_ACTIVATIONS)}")


def _inputs(layer, x) -> np.ndarray:
    x = require_array("x", x, ndim=3)
    features = layer.get_weights()[0].shape[0]  # the input kernel: (features, ...)
    if x.shape[2] != features:
        raise ValueError(
            f"x must have shape (batch, time, {features}) for this layer, got {x.shape}"
        )
    return x


_SEQUENCE_RUNNERS: dict[int, object] = {}  # layer id -> compiled twin returning every state


def _state_sequence(layer, x: np.ndarray) -> np.ndarray:
    """h_1 ... h_T from Keras itself: the layer's own cell in an RNN that returns every state."""
    from gradcourse._tensorflow import tf

    runner = _SEQUENCE_RUNNERS.get(id(layer))
    if runner is None:
        twin = keras.layers.RNN(layer.cell, return_sequences=True)
        runner = tf.function(lambda inputs: twin(inputs), reduce_retracing=True)
        _SEQUENCE_RUNNERS[id(layer)] = runner
    return np.asarray(runner(x.astype(np.float32)), dtype=np.float64)


def recurrent_states(layer, x) -> dict[str, np.ndarray]:
    """The states (and gates) of ``layer`` at every step for inputs ``x`` (batch, time, features).

    Returns arrays of shape (batch, time, units): ``h`` for a SimpleRNN; ``i``, ``f``,
    ``o`` (gates) and ``h`` for an LSTM; ``z``, ``r`` (gates) and ``h`` for a GRU. Keras
    computes the states; the gates, which it never returns, are recomputed from the
    layer's weights and the previous states, all steps at once.
    """
    if not isinstance(layer, SUPPORTED_LAYERS):
        raise TypeError(f"layer must be a Keras SimpleRNN, LSTM or GRU, got {type(layer).__name__}")
    if not layer.built:
        raise ValueError("the layer is not built yet: call the model once (or build it) first")
    x = _inputs(layer, x).astype(np.float64)
    h = _state_sequence(layer, x)
    if isinstance(layer, keras.layers.SimpleRNN):
        return {"h": h}
    h_previous = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    kernel, recurrent, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    units = recurrent.shape[0]
    if isinstance(layer, keras.layers.LSTM):  # gate order i, f, candidate, o
        if activation_name(layer.recurrent_activation) != "sigmoid":
            raise ValueError("only the default recurrent activation (sigmoid) is supported")
        z = x @ kernel + h_previous @ recurrent + bias
        i, f, o = (_sigmoid(z[..., k * units : (k + 1) * units]) for k in (0, 1, 3))
        return {"i": i, "f": f, "o": o, "h": h}
    # GRU, Keras' default reset_after=True: gate order z, r, candidate; two bias rows
    if not layer.cell.reset_after or not layer.use_bias:
        raise ValueError("only Keras' default GRU (reset_after=True, use_bias=True) is supported")
    if activation_name(layer.recurrent_activation) != "sigmoid":
        raise ValueError("only the default recurrent activation (sigmoid) is supported")
    from_input = x @ kernel + bias[0]
    from_state = h_previous @ recurrent + bias[1]
    z = _sigmoid(from_input[..., :units] + from_state[..., :units])
    r = _sigmoid(from_input[..., units : 2 * units] + from_state[..., units : 2 * units])
    return {"z": z, "r": r, "h": h}


def state_jacobian_norms(layer, x) -> np.ndarray:
    """``||dh_T / dh_(T-k)||_2`` for k = 0..T-1 and every sequence of ``x``, for a Keras
    ``SimpleRNN``: shape (batch, T), index = lag.

    The states come from Keras; the Jacobians are the products of
    ``diag(f'(a_t)) W_hh`` that notebook 03 writes out (``gradcourse.rnn.jacobian_norms``),
    with Keras' ``recurrent_kernel`` transposed into the course's ``W_hh``.
    """
    from gradcourse.rnn import jacobian_norms

    pre = simple_rnn_pre_activations(layer, x)
    recurrent = np.asarray(layer.cell.recurrent_kernel, dtype=np.float64)
    activation = activation_name(layer.activation)
    # jacobian_norms counts lags back from the state after its last pre-activation: h_T.
    return np.stack([jacobian_norms(recurrent.T, a, activation)[:-1] for a in pre])


def simple_rnn_pre_activations(layer, x) -> np.ndarray:
    """The pre-activations ``a_t = x_t W_xh + h_(t-1) W_hh + b`` of a Keras ``SimpleRNN`` at
    every step, shape (batch, T, units), from Keras' own states (in the course's notation
    ``W_hh`` is Keras' ``recurrent_kernel`` transposed)."""
    if not isinstance(layer, keras.layers.SimpleRNN):
        raise TypeError(f"layer must be a Keras SimpleRNN, got {type(layer).__name__}")
    if not layer.built:
        raise ValueError("the layer is not built yet: call the model once (or build it) first")
    x = _inputs(layer, x).astype(np.float64)
    h = _state_sequence(layer, x)
    kernel, recurrent = (np.asarray(w, dtype=np.float64) for w in layer.get_weights()[:2])
    bias = np.asarray(layer.cell.bias, dtype=np.float64) if layer.use_bias else 0.0
    h_previous = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    return x @ kernel + h_previous @ recurrent + bias  # a_t, which made h_t
