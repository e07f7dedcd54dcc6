import keras
import numpy as np
import pytest

from gradcourse.gradcheck import numerical_gradient, relative_error
from gradcourse.lstm_paths import (
    GradientPaths,
    lstm_gradient_paths,
    lstm_input_gradient,
    lstm_states,
)
from gradcourse.models import build_recurrent_model


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _numpy_loss(model, x, y) -> float:
    """The MSE of an Input -> LSTM -> Dense model, by Keras' LSTM equations in NumPy float64
    (gate order i, f, candidate, o): the reference the package's TensorFlow code is held to."""
    lstm, readout = model.get_layer("lstm"), model.layers[-1]
    kernel, recurrent, *bias = (np.asarray(w, np.float64) for w in lstm.get_weights())
    bias = bias[0] if bias else 0.0
    units = recurrent.shape[0]
    h = c = np.zeros((x.shape[0], units))
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f = _sigmoid(z[:, :units]), _sigmoid(z[:, units : 2 * units])
        candidate, o = np.tanh(z[:, 2 * units : 3 * units]), _sigmoid(z[:, 3 * units :])
        c = f * c + i * candidate
        h = o * np.tanh(c)
    w_out, b_out = (np.asarray(w, np.float64) for w in readout.get_weights())
    return float(np.mean((h @ w_out + b_out - y) ** 2))


def _lstm_model(steps=7, features=2, units=3, seed=0, scale=None, **layer_kwargs):
    """An Input -> LSTM -> Dense model; ``scale`` replaces every weight by N(0, scale^2)
    draws, so that gates and cells are far from their initial values."""
    keras.utils.set_random_seed(seed)
    model = build_recurrent_model("LSTM", steps, features, units=units, **layer_kwargs)
    if scale is not None:
        rng = np.random.default_rng(seed)
        model.set_weights([scale * rng.standard_normal(w.shape) for w in model.get_weights()])
    return model


def _batch(model, n=4, seed=1):
    rng = np.random.default_rng(seed)
    steps, features = model.inputs[0].shape[1:]
    return rng.uniform(-1, 1, (n, steps, features)), rng.uniform(0, 2, (n, 1))


def test_shapes():
    model = _lstm_model(steps=7, features=2, units=3)
    x, y = _batch(model, n=4)
    h, c = lstm_states(model.get_layer("lstm"), x)
    assert h.shape == c.shape == (4, 7, 3)
    assert lstm_input_gradient(model, x, y).shape == x.shape
    paths = lstm_gradient_paths(model, x, y)
    assert isinstance(paths, GradientPaths)
    assert (
        paths.total.shape
        == paths.cell.shape
        == paths.rest.shape
        == paths.cell_share().shape
        == (7,)
    )


@pytest.mark.parametrize("scale, use_bias", [(None, True), (0.8, True), (0.8, False)])
def test_reimplementation_matches_the_keras_layer(scale, use_bias):
    model = _lstm_model(steps=12, features=2, units=5, scale=scale, use_bias=use_bias)
    x, y = _batch(model, n=6)
    h, c = lstm_states(model.get_layer("lstm"), x)
    layer_output = keras.Model(model.input, model.get_layer("lstm").output)(x.astype(np.float32))
    np.testing.assert_allclose(h[:, -1], np.asarray(layer_output), atol=1e-5)
    prediction = np.asarray(model(x.astype(np.float32)), dtype=np.float64)
    assert _numpy_loss(model, x, y) == pytest.approx(np.mean((prediction - y) ** 2), rel=1e-5)
    # the cell recursion itself, with Keras' gates recomputed from the states
    kernel, recurrent, *bias = (
        np.asarray(w, np.float64) for w in model.get_layer("lstm").get_weights()
    )
    bias = bias[0] if use_bias else 0.0
    z = x[:, 5] @ kernel + h[:, 4] @ recurrent + bias
    i, f, candidate = _sigmoid(z[:, :5]), _sigmoid(z[:, 5:10]), np.tanh(z[:, 10:15])
    np.testing.assert_allclose(c[:, 5], f * c[:, 4] + i * candidate, rtol=1e-12)


def test_full_gradient_matches_finite_differences():
    model = _lstm_model(steps=4, features=2, units=2, scale=0.7)
    x, y = _batch(model, n=3)
    analytic = lstm_input_gradient(model, x, y)
    numeric = numerical_gradient(lambda v: _numpy_loss(model, v, y), x, eps=1e-6)
    assert relative_error(analytic, numeric) < 1e-7


def test_cell_path_is_the_product_of_forget_gates_times_local_terms():
    # One unit, one feature, three steps, hand-picked weights: the gradient reaching x_0
    # along the carousel is dL/dh_2 * o_2 tanh'(c_2) * f_2 * f_1 * dc_0/dx_0.
    model = _lstm_model(steps=3, features=1, units=1)
    w = np.array([[0.5, -0.3, 0.8, 0.2]])  # input weights of i, f, candidate, o
    u = np.array([[0.4, 0.6, -0.7, 0.3]])  # recurrent weights
    b = np.array([0.1, 1.0, -0.2, 0.05])
    w_out, b_out = np.array([[1.5]]), np.array([0.1])
    model.set_weights([w, u, b, w_out, b_out])
    # the layer holds them in float32: compute by hand with exactly those values
    w, u, b, w_out, b_out = (np.asarray(v, np.float64) for v in model.get_weights())
    x, y = np.array([[[0.9], [-0.4], [0.7]]]), np.array([[0.3]])

    h, c = 0.0, 0.0
    gates = []
    for t in range(3):
        z = x[0, t, 0] * w[0] + h * u[0] + b
        i, f, candidate, o = _sigmoid(z[0]), _sigmoid(z[1]), np.tanh(z[2]), _sigmoid(z[3])
        c = f * c + i * candidate
        h = o * np.tanh(c)
        gates.append({"i": i, "f": f, "candidate": candidate, "o": o, "c": c})
    prediction = h * w_out[0, 0] + b_out[0]
    dloss_dh2 = 2 * (prediction - y[0, 0]) * w_out[0, 0]
    g0, g1, g2 = gates
    # c_0 = i_0 * candidate_0 (c_(-1) = 0): both depend on x_0
    dc0_dx0 = (
        g0["i"] * (1 - g0["i"]) * w[0, 0] * g0["candidate"]
        + g0["i"] * (1 - g0["candidate"] ** 2) * w[0, 2]
    )
    expected = dloss_dh2 * g2["o"] * (1 - np.tanh(g2["c"]) ** 2) * g2["f"] * g1["f"] * dc0_dx0

    cell_only = lstm_input_gradient(model, x, y, cell_path_only=True)
    assert cell_only[0, 0, 0] == pytest.approx(expected, rel=1e-10)
    assert _numpy_loss(model, x, y) == pytest.approx((prediction - y[0, 0]) ** 2, rel=1e-10)
    total = lstm_input_gradient(model, x, y)
    assert abs(total[0, 0, 0] - expected) > 1e-3 * abs(
        expected
    )  # the other paths are not zero here
    np.testing.assert_allclose(
        total[0, -1], cell_only[0, -1], rtol=1e-12
    )  # no carousel at the last step


def test_without_recurrent_weights_the_cell_path_is_everything():
    model = _lstm_model(steps=6, features=2, units=3, scale=0.9)
    weights = model.get_weights()
    weights[1] = np.zeros_like(weights[1])  # U = 0: h_(t-1) feeds nothing
    model.set_weights(weights)
    x, y = _batch(model)
    paths = lstm_gradient_paths(model, x, y)
    np.testing.assert_allclose(paths.cell, paths.total, rtol=1e-12)
    np.testing.assert_allclose(paths.rest, 0.0, atol=1e-15)
    np.testing.assert_allclose(paths.cell_share(), 1.0)


def test_paths_add_up():
    model = _lstm_model(steps=9, features=2, units=4, scale=0.6)
    x, y = _batch(model)
    total = lstm_input_gradient(model, x, y)
    cell = lstm_input_gradient(model, x, y, cell_path_only=True)
    paths = lstm_gradient_paths(model, x, y)
    np.testing.assert_allclose(
        paths.total, np.linalg.norm(total.transpose(1, 0, 2).reshape(9, -1), axis=1)
    )
    np.testing.assert_allclose(
        paths.rest, np.linalg.norm((total - cell).transpose(1, 0, 2).reshape(9, -1), axis=1)
    )
    assert paths.rest[-1] == 0.0 and np.all(paths.rest[:-1] > 0)
    # the triangle inequality, since total = cell + rest example by example
    assert np.all(paths.total <= paths.cell + paths.rest + 1e-15)


def _sequence_returning_lstm_model():
    inputs = keras.Input(shape=(3, 2))
    return keras.Model(
        inputs, keras.layers.Dense(1)(keras.layers.LSTM(2, return_sequences=True)(inputs)[:, -1])
    )


def _paths(model, x_shape, y_shape):
    return lambda: lstm_gradient_paths(model(), np.zeros(x_shape), np.zeros(y_shape))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (_paths(lambda: "model", (1, 3, 2), (1, 1)), TypeError, "model must be a keras.Model"),
        (
            _paths(lambda: build_recurrent_model("GRU", 3, 2, 2), (1, 3, 2), (1, 1)),
            ValueError,
            "model must be keras.Input -> LSTM -> Dense .* got layers \\['GRU', 'Dense'\\]",
        ),
        (
            _paths(_sequence_returning_lstm_model, (1, 3, 2), (1, 1)),
            ValueError,
            "only a forward LSTM that returns its last state",
        ),
        (
            _paths(lambda: _lstm_model(3, 2, 2), (3, 2), (1, 1)),
            ValueError,
            "x must have 3 dimension",
        ),
        (
            _paths(lambda: _lstm_model(3, 2, 2), (1, 3, 5), (1, 1)),
            ValueError,
            "x must have shape \\(batch, time, 2\\) and y \\(batch, 1\\)",
        ),
        (
            _paths(lambda: _lstm_model(3, 2, 2), (2, 3, 2), (3, 1)),
            ValueError,
            "the same batch size, got 2 and 3",
        ),
        (
            _paths(lambda: _lstm_model(3, 2, 2), (2, 3, 2), (2, 4)),
            ValueError,
            "y \\(batch, 1\\), got \\(2, 3, 2\\) and \\(2, 4\\)",
        ),
        (
            lambda: lstm_input_gradient(
                _lstm_model(3, 2, 2, activation="relu"), np.zeros((1, 3, 2)), np.zeros((1, 1))
            ),
            ValueError,
            "only the default activations",
        ),
        (
            lambda: lstm_states(keras.layers.Dense(3), np.zeros((1, 3, 2))),
            TypeError,
            "layer must be a keras.layers.LSTM, got Dense",
        ),
        (
            lambda: lstm_states(keras.layers.LSTM(3), np.zeros((1, 3, 2))),
            ValueError,
            "not built yet",
        ),
        (
            lambda: lstm_states(_lstm_model(3, 2, 2).get_layer("lstm"), np.zeros((1, 3, 4))),
            ValueError,
            "x must have shape \\(batch, time, 2\\) for this layer, got \\(1, 3, 4\\)",
        ),
        (
            lambda: lstm_input_gradient(_lstm_model(3, 2, 2), [["a"]], np.zeros((1, 1))),
            TypeError,
            "x must be array-like of numbers",
        ),
    ],
)
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_nonlinear_readout_is_rejected():
    inputs = keras.Input(shape=(3, 2))
    model = keras.Model(
        inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.LSTM(2)(inputs))
    )
    with pytest.raises(ValueError, match="linear"):
        lstm_input_gradient(model, np.zeros((1, 3, 2)), np.zeros((1, 1)))
