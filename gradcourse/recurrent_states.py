"""Re-run a Keras recurrent layer step by step in NumPy, to read what Keras keeps hidden.

Keras returns the last state (or the state sequence); the gates of an LSTM or GRU are
never returned. These functions recompute them from the layer's own weights with
Keras' equations, so that saturation can be measured on any trained model.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_array
from gradcourse.activations import ACTIVATIONS
from gradcourse.layer_norm_rnn import LayerNormSimpleRNNCell
from gradcourse.rnn import jacobian_norms

SUPPORTED_LAYERS = (keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU)
SUPPORTED_CELL_NAMES = ("SimpleRNNCell", "LSTMCell", "GRUCell", "LayerNormSimpleRNNCell")


def activation_name(function: Callable) -> str:
    """The name of a Keras activation among tanh, sigmoid, relu, linear (else ValueError)."""
    for name in ACTIVATIONS:
        if function is keras.activations.get(name):
            return name
    raise ValueError(f"unsupported activation {function!r}: use one of {ACTIVATIONS}")


def _supported_cells() -> tuple:
    return (
        keras.layers.SimpleRNNCell,
        keras.layers.LSTMCell,
        keras.layers.GRUCell,
        LayerNormSimpleRNNCell,
    )


def is_supported_recurrent_layer(layer: object) -> bool:
    """True for a ``keras.layers.RNN`` (SimpleRNN, LSTM, GRU, or ``RNN(cell)``) whose cell is
    one of ``SUPPORTED_CELL_NAMES``; False for any other layer."""
    return isinstance(layer, keras.layers.RNN) and isinstance(layer.cell, _supported_cells())


def _inputs(layer: keras.layers.RNN, x: ArrayLike) -> np.ndarray:
    x = require_array("x", x, ndim=3)
    features = int(layer.cell.kernel.shape[0])  # the input kernel: (features, ...)
    if x.shape[2] != features:
        raise ValueError(
            f"x must have shape (batch, time, {features}) for this layer, got {x.shape}"
        )
    return x


def _mask(mask: ArrayLike | None, x: np.ndarray) -> np.ndarray | None:
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.shape != x.shape[:2]:
        raise ValueError(f"mask must have shape (batch, time) = {x.shape[:2]}, got {mask.shape}")
    return mask.astype(bool)


# layer -> compiled twin returning every state (and every gate of an LSTM or GRU). Weak
# keys: a deleted layer's entry goes with it, and a new layer never finds an old layer's
# runner (an id() can be reused).
_SEQUENCE_RUNNERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _check_gates(cell: keras.layers.LSTMCell | keras.layers.GRUCell) -> None:
    """ValueError for an LSTM or GRU cell whose gates ``_gates`` cannot recompute."""
    if activation_name(cell.recurrent_activation) != "sigmoid":
        raise ValueError("only the default recurrent activation (sigmoid) is supported")
    if isinstance(cell, keras.layers.GRUCell) and (not cell.reset_after or not cell.use_bias):
        raise ValueError("only Keras' default GRU (reset_after=True, use_bias=True) is supported")


def _gates(
    cell: keras.layers.LSTMCell | keras.layers.GRUCell, x: tf.Tensor, h_previous: tf.Tensor
) -> dict:
    """The gates of an LSTM or GRU cell at every step, from its current weights (Keras'
    equations), in float64: traced inside the compiled runner, so the weights are read at
    each call and nothing leaves TensorFlow until the results do."""
    kernel = tf.cast(cell.kernel, tf.float64)
    recurrent = tf.cast(cell.recurrent_kernel, tf.float64)
    units = int(recurrent.shape[0])
    if isinstance(cell, keras.layers.LSTMCell):  # gate order i, f, candidate, o
        z = tf.matmul(x, kernel) + tf.matmul(h_previous, recurrent)
        if cell.use_bias:
            z = z + tf.cast(cell.bias, tf.float64)
        i, f, o = (tf.sigmoid(z[..., k * units : (k + 1) * units]) for k in (0, 1, 3))
        return {"i": i, "f": f, "o": o}
    # GRU, Keras' default reset_after=True: gate order z, r, candidate; two bias rows
    bias = tf.cast(cell.bias, tf.float64)
    from_input = tf.matmul(x, kernel[:, : 2 * units]) + bias[0, : 2 * units]
    from_state = tf.matmul(h_previous, recurrent[:, : 2 * units]) + bias[1, : 2 * units]
    z = tf.sigmoid(from_input[..., :units] + from_state[..., :units])
    r = tf.sigmoid(from_input[..., units:] + from_state[..., units:])
    return {"z": z, "r": r}


def _runner(layer: keras.layers.RNN) -> Callable[..., dict]:
    runner = _SEQUENCE_RUNNERS.get(layer)
    if runner is None:
        cell = layer.cell
        twin = keras.layers.RNN(cell, return_sequences=True)
        gated = isinstance(cell, keras.layers.LSTMCell | keras.layers.GRUCell)

        def run(
            inputs: tf.Tensor,
            inputs64: tf.Tensor,
            mask: tf.Tensor | None = None,
            initial_state: list[tf.Tensor] | None = None,
        ) -> dict:
            h = twin(inputs, mask=mask, initial_state=initial_state)
            if not gated:
                return {"h": h}
            h = tf.cast(h, tf.float64)
            first = (
                tf.zeros_like(h[:, :1])
                if initial_state is None
                else tf.cast(initial_state[0], tf.float64)[:, None]
            )
            h_previous = tf.concat([first, h[:, :-1]], axis=1)
            return {**_gates(cell, inputs64, h_previous), "h": h}

        runner = tf.function(run, reduce_retracing=True)
        _SEQUENCE_RUNNERS[layer] = runner
    return runner


def _run(
    layer: keras.layers.RNN,
    x: np.ndarray,
    mask: ArrayLike | None = None,
    initial_state: Sequence[ArrayLike] | None = None,
) -> dict[str, np.ndarray]:
    """h_1 ... h_T from Keras itself (the layer's own cell in an RNN that returns every
    state, stepping forwards through ``x``; a masked step keeps the previous state, as in
    Keras) and, for an LSTM or GRU, its gates recomputed from the states and ``x``: one
    compiled call, float64 arrays out."""
    mask = None if mask is None else tf.constant(np.asarray(mask, dtype=bool))
    if initial_state is not None:
        initial_state = [tf.constant(np.asarray(s, dtype=np.float32)) for s in initial_state]
    x = np.asarray(x, dtype=np.float64)
    result = _runner(layer)(
        tf.constant(x.astype(np.float32)),
        tf.constant(x),
        mask=mask,
        initial_state=initial_state,
    )
    return {k: np.asarray(v, dtype=np.float64) for k, v in result.items()}


def _state_sequence(
    layer: keras.layers.RNN,
    x: np.ndarray,
    mask: ArrayLike | None = None,
    initial_state: Sequence[ArrayLike] | None = None,
) -> np.ndarray:
    """h_1 ... h_T from Keras itself: the layer's own cell in an RNN that returns every state,
    stepping forwards through ``x`` (a masked step keeps the previous state, as in Keras)."""
    return _run(layer, x, mask, initial_state)["h"]


def gates_from_states(
    cell: keras.layers.LSTMCell | keras.layers.GRUCell, x: ArrayLike, h: ArrayLike
) -> dict[str, np.ndarray]:
    """The gates of an LSTM or GRU ``cell`` at every step, from its weights, its inputs ``x``
    (batch, time, features) and its states ``h`` (batch, time, units), starting from zeros:
    ``i``, ``f``, ``o`` for an LSTM, ``z``, ``r`` for a GRU (Keras' equations, float64)."""
    if not isinstance(cell, (keras.layers.LSTMCell, keras.layers.GRUCell)):
        raise TypeError(f"cell must be a Keras LSTMCell or GRUCell, got {type(cell).__name__}")
    x = require_array("x", x, ndim=3).astype(np.float64)
    h = require_array("h", h, ndim=3).astype(np.float64)
    if h.shape[:2] != x.shape[:2]:
        raise ValueError(f"x and h need the same (batch, time); got {x.shape} and {h.shape}")
    _check_gates(cell)
    h_previous = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    gates = _gates(cell, tf.constant(x), tf.constant(h_previous))
    return {name: np.asarray(value, dtype=np.float64) for name, value in gates.items()}


def recurrent_states(
    layer: keras.layers.RNN,
    x: ArrayLike,
    mask: ArrayLike | None = None,
    initial_state: Sequence[ArrayLike] | None = None,
) -> dict[str, np.ndarray]:
    """The states (and gates) of ``layer`` at every step for inputs ``x`` (batch, time, features).

    ``layer`` is a Keras SimpleRNN, LSTM or GRU, or ``keras.layers.RNN(cell)`` with one of
    their cells or the course's ``LayerNormSimpleRNNCell``. Returns arrays of shape
    (batch, time, units) in the order of ``x``'s steps: ``h`` for a simple cell; ``i``,
    ``f``, ``o`` (gates) and ``h`` for an LSTM; ``z``, ``r`` (gates) and ``h`` for a GRU.
    Keras computes the states; the gates, which it never returns, are recomputed from the
    cell's weights and the previous states, all steps at once. ``mask`` (batch, time) of
    booleans marks the real steps (a masked step keeps the previous state, as in Keras;
    its gates are computed but mean nothing); ``initial_state`` is the list of states the
    layer starts from (zeros if None). A layer with ``go_backwards`` reads ``x`` backwards.
    """
    if not is_supported_recurrent_layer(layer):
        cell = getattr(layer, "cell", None)
        what = type(layer).__name__ + (f" with a {type(cell).__name__}" if cell else "")
        raise TypeError(
            f"layer must be a Keras SimpleRNN, LSTM or GRU, or RNN(cell) with a cell among "
            f"{SUPPORTED_CELL_NAMES}; got {what}"
        )
    if not layer.built:
        raise ValueError("the layer is not built yet: call the model once (or build it) first")
    x = _inputs(layer, x).astype(np.float64)
    mask = _mask(mask, x)
    backwards = bool(getattr(layer, "go_backwards", False))
    if backwards:  # step in the layer's own order, give the results back in x's order
        x = x[:, ::-1]
        mask = None if mask is None else mask[:, ::-1]
    if isinstance(layer.cell, keras.layers.LSTMCell | keras.layers.GRUCell):
        _check_gates(layer.cell)
    states = _run(layer, x, mask, initial_state)
    return {k: v[:, ::-1] for k, v in states.items()} if backwards else states


def state_jacobian_norms(layer: keras.layers.SimpleRNN, x: ArrayLike) -> np.ndarray:
    """``||dh_T / dh_(T-k)||_2`` for k = 0..T-1 and every sequence of ``x``, for a Keras
    ``SimpleRNN``: shape (batch, T), index = lag.

    The states come from Keras; the Jacobians are the products of
    ``diag(f'(a_t)) W_hh`` that notebook 03 writes out (``gradcourse.rnn.jacobian_norms``),
    with Keras' ``recurrent_kernel`` transposed into the course's ``W_hh``.
    """
    pre = simple_rnn_pre_activations(layer, x)
    recurrent = np.asarray(layer.cell.recurrent_kernel, dtype=np.float64)
    activation = activation_name(layer.activation)
    # jacobian_norms counts lags back from the state after its last pre-activation: h_T.
    return np.stack([jacobian_norms(recurrent.T, a, activation)[:-1] for a in pre])


def simple_rnn_pre_activations(layer: keras.layers.SimpleRNN, x: ArrayLike) -> np.ndarray:
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
