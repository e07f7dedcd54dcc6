import numpy as np
import pytest
import tensorflow as tf

from gradcourse.activations import (
    DERIVATIVE_BOUND,
    activation,
    derivative,
    predicted_regime,
    saturated_mask,
    saturation_stats,
    sigmoid,
)
from gradcourse.matrices import (
    gaussian_radius,
    gaussian_sigma_max,
    non_normal,
    random_orthogonal,
    scaled_orthogonal,
    singular_values,
    spectral_radius,
)


def test_orthogonal_and_scaled_orthogonal():
    q = random_orthogonal(20, seed=1)
    np.testing.assert_allclose(q @ q.T, np.eye(20), atol=1e-12)
    np.testing.assert_allclose(singular_values(scaled_orthogonal(20, 1.7)), 1.7, rtol=1e-12)


def test_gaussian_predictions_match_a_drawn_matrix():
    matrix = np.random.default_rng(3).normal(0.0, 0.1, (400, 400))
    assert singular_values(matrix)[0] == pytest.approx(gaussian_sigma_max(400, 0.1), rel=0.05)
    assert spectral_radius(matrix) == pytest.approx(gaussian_radius(400, 0.1), rel=0.1)
    assert gaussian_sigma_max(100, 0.5) == pytest.approx(10.0)  # 2 * 0.5 * sqrt(100)
    assert gaussian_radius(100, 0.5) == pytest.approx(5.0)


def test_non_normal_has_small_eigenvalues_and_large_singular_value():
    matrix = non_normal(16, radius=0.9, coupling=1.0, seed=0)
    assert spectral_radius(matrix) == pytest.approx(0.9, rel=1e-6)
    assert singular_values(matrix)[0] > 1.4
    powers = [np.linalg.norm(np.linalg.matrix_power(matrix, k), 2) for k in (1, 9, 80)]
    assert powers[1] > powers[0] > 1 > powers[2]


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: random_orthogonal(0), ValueError),
        (lambda: scaled_orthogonal(3, -1.0), ValueError),
        (lambda: non_normal(5, 0.9, 1.0), ValueError),
        (lambda: spectral_radius(np.zeros((2, 3))), ValueError),
        (lambda: singular_values(np.zeros(3)), ValueError),
        (lambda: gaussian_sigma_max(10, -1.0), ValueError),
        (lambda: gaussian_radius(0, 1.0), ValueError),
        (lambda: gaussian_radius(10, "1"), TypeError),
    ],
)
def test_bad_matrix_input(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "linear"])
def test_derivatives_match_tensorflow(name):
    a = np.linspace(-6, 6, 101) + 0.013  # avoid the ReLU kink at exactly 0
    tf_fn = {"tanh": tf.tanh, "sigmoid": tf.sigmoid, "relu": tf.nn.relu, "linear": tf.identity}[
        name
    ]
    a_tf = tf.constant(a)
    with tf.GradientTape() as tape:
        tape.watch(a_tf)
        out = tf_fn(a_tf)
    np.testing.assert_allclose(activation(name)(a), out.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        derivative(name)(a), tape.gradient(out, a_tf).numpy(), rtol=1e-10, atol=1e-15
    )
    assert np.max(np.abs(derivative(name)(a))) <= DERIVATIVE_BOUND[name]


def test_predicted_regime():
    assert predicted_regime(0.5) == "vanishes"
    assert predicted_regime(1.0) == "edge"
    assert predicted_regime(2.0) == "may explode"
    assert predicted_regime(3.0, gamma=DERIVATIVE_BOUND["sigmoid"]) == "vanishes"
    assert predicted_regime(5.0, gamma=DERIVATIVE_BOUND["sigmoid"]) == "may explode"


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise"):
        values = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(values, [0.0, 0.5, 1.0])


def test_saturation_statistics():
    outputs = np.array([0.99, -0.98, 0.5, 0.0])
    np.testing.assert_array_equal(saturated_mask(outputs, "tanh"), [True, True, False, False])
    np.testing.assert_array_equal(
        saturated_mask(np.array([0.01, 0.5, 0.98]), "sigmoid"), [True, False, True]
    )
    stats = saturation_stats(np.array([0.0, 0.0, 1.0, 2.0]), "relu")
    assert stats == {"mean": 0.75, "std": pytest.approx(np.std([0, 0, 1, 2])), "saturated": 0.5}


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: activation("softmax"), ValueError),
        (lambda: derivative(3), TypeError),
        (lambda: saturated_mask([0.1], "linear"), ValueError),
        (lambda: saturation_stats([], "tanh"), ValueError),
        (lambda: saturation_stats(["a"], "tanh"), TypeError),
        (lambda: predicted_regime(1.0, gamma=0.0), ValueError),
        (lambda: predicted_regime(1.0, edge=2.0), ValueError),
        (lambda: predicted_regime("1"), TypeError),
    ],
)
def test_bad_activation_input(call, error):
    with pytest.raises(error):
        call()
