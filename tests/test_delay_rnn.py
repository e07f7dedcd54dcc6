"""The delayed tanh RNN: shapes, a NumPy loop of h_t = tanh(W x_t + U h_(t-1) + V h_(t-d) + b),
the short path the delay opens, save/load and bad input."""

import numpy as np
import pytest

from gradcourse._tensorflow import keras, tf
from gradcourse.delay_rnn import DelayRNNCell, build_delay_rnn_model

RNG = np.random.default_rng(11)


def numpy_states(x, W, U, V, b, delay):
    """Every h_t of h_t = tanh(W x_t + U h_(t-1) + V h_(t-delay) + b), h = 0 before step 0.

    W, U, V in Keras' layout (transposed): x @ W, h @ U, h @ V."""
    batch, steps, _ = x.shape
    history = [np.zeros((batch, len(b)))] * delay  # h_(t-delay), ..., h_(t-1)
    states = []
    for t in range(steps):
        h = np.tanh(x[:, t] @ W + history[-1] @ U + history[0] @ V + b)
        history = history[1:] + [h]
        states.append(h)
    return np.stack(states, axis=1)


def random_weights(cell):
    values = [0.5 * RNG.normal(size=w.shape) for w in cell.weights]
    cell.set_weights(values)
    return [np.asarray(w, dtype=np.float64) for w in cell.get_weights()]


def test_shapes_and_weight_names():
    cell = DelayRNNCell(5, delay=3)
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    outputs, state = layer(np.zeros((2, 7, 4), np.float32))
    assert tuple(outputs.shape) == (2, 7, 5) and tuple(state.shape) == (2, 15)
    names = ["kernel", "recurrent_kernel", "delayed_kernel", "bias"]
    assert [w.name for w in cell.weights] == names
    assert [tuple(w.shape) for w in cell.weights] == [(4, 5), (5, 5), (5, 5), (5,)]


@pytest.mark.parametrize("delay", [1, 2, 5])
def test_every_state_equals_the_numpy_loop(delay):
    cell = DelayRNNCell(4, delay=delay)
    layer = keras.layers.RNN(cell, return_sequences=True)
    x = RNG.normal(size=(3, 12, 2))
    layer(x.astype(np.float32))
    W, U, V, b = random_weights(cell)
    expected = numpy_states(x, W, U, V, b, delay)
    assert np.allclose(layer(x.astype(np.float32)).numpy(), expected, atol=1e-5)


def test_delay_one_is_a_simple_rnn_with_u_plus_v():
    cell = DelayRNNCell(3, delay=1)
    layer = keras.layers.RNN(cell)
    x = RNG.normal(size=(2, 8, 2)).astype(np.float32)
    layer(x)
    W, U, V, b = random_weights(cell)
    simple = keras.layers.SimpleRNN(3)
    simple(x)
    simple.set_weights([W, U + V, b])
    assert np.allclose(layer(x).numpy(), simple(x).numpy(), atol=1e-5)


def test_the_delay_opens_a_path_of_one_factor_per_delay():
    # With U = 0 only every d-th step reaches the end: dh_(T-1)/dx_t is zero unless
    # T-1-t is a multiple of d, and the nonzero ones are T/d factors, not T.
    delay, steps = 4, 12
    cell = DelayRNNCell(3, delay=delay, recurrent_initializer="zeros")
    layer = keras.layers.RNN(cell)
    x = tf.constant(RNG.normal(size=(1, steps, 2)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(layer(x))
    norms = np.linalg.norm(tape.gradient(total, x).numpy()[0], axis=-1)
    reached = [(steps - 1 - t) % delay == 0 for t in range(steps)]
    assert np.all(norms[np.logical_not(reached)] == 0) and np.all(norms[reached] > 0)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras
def test_model_output_shape_and_save_load(tmp_path):
    model = build_delay_rnn_model(9, 2, units=4, delay=3)
    x = RNG.normal(size=(5, 9, 2)).astype(np.float32)
    assert tuple(model(x).shape) == (5, 1)
    assert [layer.name for layer in model.layers[1:]] == ["delay_rnn", "readout"]
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert np.allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)
    assert loaded.get_layer("delay_rnn").cell.delay == 3


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"units": 0, "delay": 2}, ValueError, "units must be >= 1"),
        ({"units": 2, "delay": 0}, ValueError, "delay must be >= 1"),
        ({"units": 2, "delay": 1.5}, TypeError, "delay must be an integer"),
        ({"units": 2.0, "delay": 2}, TypeError, "units must be an integer"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, error, message):
    with pytest.raises(error, match=message):
        DelayRNNCell(**kwargs)


def test_bad_input_shape_is_refused_clearly():
    with pytest.raises(ValueError, match=r"\(batch, features\)"):
        DelayRNNCell(2, 2).build((None, 5, 3))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"length": 0, "features": 2}, ValueError, "length must be >= 1"),
        ({"length": 4, "features": 2.5}, TypeError, "features must be an integer"),
        ({"length": 4, "features": 2, "delay": 0}, ValueError, "delay must be >= 1"),
        ({"length": 4, "features": 2, "name": 3}, TypeError, "name must be a string"),
    ],
)
def test_model_builder_refuses_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        build_delay_rnn_model(**kwargs)
