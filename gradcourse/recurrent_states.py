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


_ACTIVATIONS = {"tanh": np.tanh, "sigmoid": _sigmoid, "relu": lambda v: np.maximum(v, 0.0), "linear": lambda v: v}


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
        raise ValueError(f"x must have shape (batch, time, {features}) for this layer, got {x.shape}")
    return x


def recurrent_states(layer, x) -> dict[str, np.ndarray]:
    """The states (and gates) of ``layer`` at every step for inputs ``x`` (batch, time, features).

    Returns arrays of shape (batch, time, units): ``h`` for a SimpleRNN; ``i``, ``f``,
    ``o`` (gates), ``c`` and ``h`` for an LSTM; ``z``, ``r`` (gates) and ``h`` for a GRU.
    """
    if not isinstance(layer, SUPPORTED_LAYERS):
        raise TypeError(f"layer must be a Keras SimpleRNN, LSTM or GRU, got {type(layer).__name__}")
    if not layer.built:
        raise ValueError("the layer is not built yet: call the model once (or build it) first")
    x = _inputs(layer, x)
    if isinstance(layer, keras.layers.LSTM):
        from gradcourse.probes import lstm_gate_activations  # Keras' LSTM equations, tested there

        states = lstm_gate_activations(layer, x)
        return {name: states[name] for name in ("i", "f", "o", "c", "h")}
    if isinstance(layer, keras.layers.GRU):
        return _gru_states(layer, x)
    return _simple_rnn_states(layer, x)


def _simple_rnn_states(layer, x: np.ndarray) -> dict[str, np.ndarray]:
    weights = [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]
    kernel, recurrent = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else 0.0
    act = _ACTIVATIONS[activation_name(layer.activation)]
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    out = np.zeros((x.shape[0], x.shape[1], recurrent.shape[0]))
    for t in range(x.shape[1]):
        h = act(x[:, t] @ kernel + h @ recurrent + bias)
        out[:, t] = h
    return {"h": out}


def _gru_states(layer, x: np.ndarray) -> dict[str, np.ndarray]:
    """Keras' GRU (reset_after=True, the default): gate order z, r, candidate; h = z*h + (1-z)*candidate."""
    if not layer.cell.reset_after or not layer.use_bias:
        raise ValueError("only Keras' default GRU (reset_after=True, use_bias=True) is supported")
    if activation_name(layer.activation) != "tanh" or activation_name(layer.recurrent_activation) != "sigmoid":
        raise ValueError("only the default GRU activations (tanh, recurrent sigmoid) are supported")
    kernel, recurrent, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units))
    out = {name: np.zeros((x.shape[0], x.shape[1], units)) for name in ("z", "r", "h")}
    for t in range(x.shape[1]):
        from_input = x[:, t] @ kernel + bias[0]
        from_state = h @ recurrent + bias[1]
        z = _sigmoid(from_input[:, :units] + from_state[:, :units])
        r = _sigmoid(from_input[:, units : 2 * units] + from_state[:, units : 2 * units])
        candidate = np.tanh(from_input[:, 2 * units :] + r * from_state[:, 2 * units :])
        h = z * h + (1.0 - z) * candidate
        for name, value in (("z", z), ("r", r), ("h", h)):
            out[name][:, t] = value
    return out
