"""The NumPy RNN: BPTT against TensorFlow and finite differences, Jacobians, bad input."""

import numpy as np
import pytest
import tensorflow as tf

from gradcourse.gradcheck import numerical_gradient, relative_error
from gradcourse.matrices import scaled_orthogonal
from gradcourse.rnn import (
    RNNParams,
    driven_pre_activations,
    gradient_norm_vs_lag,
    init_rnn,
    jacobian_norms,
    rnn_forward,
    rnn_loss_and_grads,
    state_jacobians,
)

ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]


def _problem(seed=0, batch=4, steps=6, n_in=3, n_hidden=5, n_out=2):
    rng = np.random.default_rng(seed)
    params = init_rnn(n_in, n_hidden, n_out, recurrent_gain=1.1, seed=seed)
    params.b = 0.1 * rng.standard_normal(n_hidden)  # keep ReLU units away from the kink
    return params, rng.standard_normal((batch, steps, n_in)), rng.standard_normal((batch, n_out))


def _tf_loss_and_grads(params, x, y, activation):
    f = {"tanh": tf.tanh, "sigmoid": tf.sigmoid, "relu": tf.nn.relu, "linear": tf.identity}[
        activation
    ]
    weights = {name: tf.Variable(value) for name, value in params.as_dict().items()}
    with tf.GradientTape() as tape:
        h = tf.zeros((x.shape[0], params.hidden_size), dtype=tf.float64)
        for t in range(x.shape[1]):
            h = f(
                x[:, t] @ tf.transpose(weights["W_xh"])
                + h @ tf.transpose(weights["W_hh"])
                + weights["b"]
            )
        y_hat = h @ tf.transpose(weights["W_hy"]) + weights["b_y"]
        loss = 0.5 * tf.reduce_sum((y_hat - y) ** 2) / x.shape[0]
    return float(loss), tape.gradient(loss, weights)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_bptt_matches_tensorflow(activation):
    params, x, y = _problem()
    loss, grads = rnn_loss_and_grads(params, x, y, activation)
    tf_loss, tf_grads = _tf_loss_and_grads(params, x, y, activation)
    assert abs(loss - tf_loss) < 1e-12
    for name, value in tf_grads.items():
        assert relative_error(getattr(grads, name), value.numpy()) < 1e-10, name


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_bptt_matches_finite_differences(activation):
    params, x, y = _problem(seed=1)
    _, grads = rnn_loss_and_grads(params, x, y, activation)
    for name in ("W_hh", "W_xh", "b"):

        def loss_of(value, name=name):
            return rnn_loss_and_grads(
                RNNParams(**(params.as_dict() | {name: value})), x, y, activation
            )[0]

        assert (
            relative_error(getattr(grads, name), numerical_gradient(loss_of, getattr(params, name)))
            < 1e-7
        )


def test_truncation_keeps_only_recent_steps():
    params, x, y = _problem(steps=8)
    _, full = rnn_loss_and_grads(params, x, y)
    _, same = rnn_loss_and_grads(params, x, y, truncate=8)
    _, one = rnn_loss_and_grads(params, x, y, truncate=1)
    assert relative_error(same.W_hh, full.W_hh) == 0.0
    assert relative_error(one.W_hh, full.W_hh) > 1e-3
    # With one step kept, dL/dW_xh only sees the last input.
    _, pre_states, y_hat = rnn_forward(params, x)
    d_a = ((y_hat - y) / x.shape[0]) @ params.W_hy * (1 - pre_states[:, -1] ** 2)
    assert relative_error(one.W_xh, d_a.T @ x[:, -1]) < 1e-12


def test_state_jacobian_matches_tensorflow():
    params, x, _ = _problem(batch=1, steps=5)
    pre, _, _ = rnn_forward(params, x)
    jacobians = state_jacobians(params.W_hh, pre[0])
    h0 = tf.Variable(np.zeros((1, params.hidden_size)))
    with tf.GradientTape() as tape:
        h = h0
        for t in range(5):
            h = tf.tanh(
                tf.constant(x[:, t] @ params.W_xh.T + params.b)
                + tf.matmul(h, tf.constant(params.W_hh.T))
            )
    jacobian_tf = tape.jacobian(h, h0).numpy()[0, :, 0, :]
    assert relative_error(jacobians[5], jacobian_tf) < 1e-12
    np.testing.assert_allclose(jacobian_norms(params.W_hh, pre[0])[0], 1.0)


def test_linear_orthogonal_gain_gives_exact_powers():
    norms = gradient_norm_vs_lag(scaled_orthogonal(16, 1.3, seed=0), 20, "linear")
    np.testing.assert_allclose(norms, 1.3 ** np.arange(21), rtol=1e-10)


def test_driven_pre_activations_are_what_gradient_norm_vs_lag_uses():
    W = scaled_orthogonal(12, 1.4, seed=2)
    pre = driven_pre_activations(W, 15, "tanh", input_scale=0.7, seed=4)
    assert pre.shape == (15, 12)
    # By hand: h_0 = 0, a_t = x_t + W h_(t-1), x ~ N(0, 0.7^2) from the seed.
    x = 0.7 * np.random.default_rng(4).standard_normal((1, 15, 12))[0]
    h = np.zeros(12)
    for t in range(15):
        np.testing.assert_allclose(pre[t], x[t] + W @ h, rtol=1e-12, atol=1e-14)
        h = np.tanh(pre[t])
    np.testing.assert_array_equal(
        gradient_norm_vs_lag(W, 15, "tanh", input_scale=0.7, seed=4),
        jacobian_norms(W, pre, "tanh"),
    )


@pytest.mark.parametrize("activation, gamma", [("tanh", 1.0), ("sigmoid", 0.25)])
def test_pascanu_bound_holds(activation, gamma):
    for gain in (0.5, 0.9, 2.0, 3.5):
        norms = gradient_norm_vs_lag(scaled_orthogonal(16, gain, seed=3), 40, activation)
        assert np.all(norms <= (gamma * gain) ** np.arange(41) * (1 + 1e-9))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: init_rnn(0, 4), ValueError, "input_size must be >= 1"),
        (lambda: init_rnn(2, 4, recurrent_gain=-1.0), ValueError, "gain must be >= 0\\.0"),
        (lambda: init_rnn(2.5, 4), TypeError, "input_size must be an integer"),
        (lambda: rnn_forward("params", np.zeros((1, 2, 3))), TypeError, "params must be RNNParams"),
        (
            lambda: rnn_forward(init_rnn(3, 4), np.zeros((2, 3))),
            ValueError,
            "x must have 3 dimension\\(s\\)",
        ),
        (lambda: rnn_forward(init_rnn(3, 4), np.zeros((1, 2, 5))), ValueError, "x must have shape"),
        (
            lambda: rnn_forward(init_rnn(3, 4), np.zeros((1, 2, 3)), activation="softplus"),
            ValueError,
            "activation must be one of",
        ),
        (
            lambda: rnn_loss_and_grads(init_rnn(3, 4), np.zeros((1, 2, 3)), np.zeros((2, 1))),
            ValueError,
            "y must have shape",
        ),
        (
            lambda: rnn_loss_and_grads(
                init_rnn(3, 4), np.zeros((1, 2, 3)), np.zeros((1, 1)), truncate=0
            ),
            ValueError,
            "truncate must be >= 1",
        ),
        (
            lambda: RNNParams(
                np.zeros((4, 3)), np.zeros((4, 5)), np.zeros(4), np.zeros((1, 4)), np.zeros(1)
            ),
            ValueError,
            "W_hh must have shape",
        ),
        (
            lambda: state_jacobians(np.zeros((3, 3)), np.zeros((5, 4))),
            ValueError,
            "need square W_hh",
        ),
        (lambda: gradient_norm_vs_lag(np.eye(3), 0), ValueError, "steps must be >= 1"),
        (lambda: driven_pre_activations(np.zeros((3, 4)), 5), ValueError, "W_hh must have shape"),
        (
            lambda: driven_pre_activations(np.eye(3), 5, input_scale=-1.0),
            ValueError,
            "input_scale must be >= 0\\.0",
        ),
    ],
)
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
