import keras
import numpy as np
import pytest
import tensorflow as tf

from gradcourse.models import build_recurrent_model
from gradcourse.probes import input_gradient_norms, layer_table, lstm_gate_activations, probe_layers
from gradcourse.recurrent_states import gates_from_states


def _mlp(depth=3, width=6):
    inputs = keras.Input(shape=(4,))
    h = inputs
    for _ in range(depth):
        h = keras.layers.Dense(width, activation="tanh")(h)
    return keras.Model(inputs, keras.layers.Dense(1)(h))


def test_probe_layers_matches_a_hand_tape():
    keras.utils.set_random_seed(0)
    model = _mlp()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))
    probe = probe_layers(model, x, y)
    assert len(probe.names) == 4 and len(probe.activations) == 4
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x.astype(np.float32)) - y.astype(np.float32)) ** 2)
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    expected = [float(tf.norm(g)) for g in tape.gradient(loss, kernels)]
    np.testing.assert_allclose(probe.kernel_gradient_norms, expected, rtol=1e-5)
    assert probe.activation_gradients[0].shape == (16, 6)
    assert len(layer_table(probe, "tanh")) == 4


def test_input_gradient_norms_match_a_hand_tape():
    keras.utils.set_random_seed(0)
    model = build_recurrent_model("SimpleRNN", 6, 2, units=4)
    x = np.random.default_rng(1).random((5, 6, 2)).astype(np.float32)
    y = np.ones((5, 1), np.float32)
    norms = input_gradient_norms(model, x, y)
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        loss = tf.reduce_mean((model(x_tf) - y) ** 2)
    grad = tape.gradient(loss, x_tf).numpy()
    np.testing.assert_allclose(
        norms,
        np.linalg.norm(grad.reshape(5, 6, 2).transpose(1, 0, 2).reshape(6, -1), axis=1),
        rtol=1e-5,
    )


def test_lstm_gates_reproduce_the_layer_output():
    keras.utils.set_random_seed(0)
    model = build_recurrent_model("LSTM", 9, 2, units=5)
    x = np.random.default_rng(2).random((4, 9, 2)).astype(np.float32)
    gates = lstm_gate_activations(model.get_layer("lstm"), x)
    layer_output = keras.Model(model.input, model.get_layer("lstm").output)(x).numpy()
    np.testing.assert_allclose(gates["h"][:, -1], layer_output, atol=1e-5)
    assert np.all((gates["f"] > 0) & (gates["f"] < 1))
    # Keras' equations, step by step in NumPy (gate order i, f, candidate, o)
    kernel, recurrent, bias = (w.astype(np.float64) for w in model.get_layer("lstm").get_weights())
    h, c = np.zeros((4, 5)), np.zeros((4, 5))
    for t in range(9):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=1)
        i, f, o = (1 / (1 + np.exp(-v)) for v in (i, f, o))
        c = f * c + i * np.tanh(g)
        h = o * np.tanh(c)
        for name, value in (("i", i), ("f", f), ("o", o), ("c", c), ("h", h)):
            np.testing.assert_allclose(gates[name][:, t], value, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: probe_layers("model", np.zeros((2, 4)), np.zeros((2, 1))),
            TypeError,
            "model must be a keras\\.Model",
        ),
        (
            lambda: probe_layers(_mlp(), np.zeros((2, 4)), np.zeros((3, 1))),
            ValueError,
            "x and y must have the same batch size",
        ),
        (
            lambda: input_gradient_norms(
                build_recurrent_model("GRU", 3, 2, 2), np.zeros((2, 2)), np.zeros((2, 1))
            ),
            ValueError,
            "x must have 3 dimension\\(s\\)",
        ),
        (
            lambda: lstm_gate_activations(keras.layers.Dense(3), np.zeros((1, 2, 2))),
            TypeError,
            "layer must be a keras\\.layers\\.LSTM",
        ),
        (
            lambda: lstm_gate_activations(
                build_recurrent_model("LSTM", 3, 2, 2).get_layer("lstm"), np.zeros((1, 3, 5))
            ),
            ValueError,
            "x must have shape \\(batch, time, 2\\)",
        ),
        (
            lambda: gates_from_states(
                keras.layers.SimpleRNNCell(3), np.zeros((1, 2, 2)), np.zeros((1, 2, 3))
            ),
            TypeError,
            "cell must be a Keras LSTMCell or GRUCell",
        ),
        (
            lambda: gates_from_states(
                keras.layers.LSTMCell(3), np.zeros((1, 2, 2)), np.zeros((1, 4, 3))
            ),
            ValueError,
            "x and h need the same \\(batch, time\\)",
        ),
        (lambda: layer_table("probe", "tanh"), TypeError, "probe must be a LayerProbe"),
    ],
)
def test_probes_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
