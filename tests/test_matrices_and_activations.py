import numpy as np
import pytest
import tensorflow as tf

from gradcourse.activations import (
    DERIVATIVE_BOUND,
    activation,
    derivative,
    gaussian_expectation,
    mean_field_chi,
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
    "call, error, match",
    [
        (lambda: random_orthogonal(0), ValueError, "n must be >= 1"),
        (lambda: scaled_orthogonal(3, -1.0), ValueError, "gain must be >= 0\\.0"),
        (lambda: non_normal(5, 0.9, 1.0), ValueError, "n must be even"),
        (lambda: spectral_radius(np.zeros((2, 3))), ValueError, "matrix must be square"),
        (lambda: singular_values(np.zeros(3)), ValueError, "matrix must have 2 dimension\\(s\\)"),
        (lambda: gaussian_sigma_max(10, -1.0), ValueError, "stddev must be >= 0\\.0"),
        (lambda: gaussian_radius(0, 1.0), ValueError, "n must be >= 1"),
        (lambda: gaussian_radius(10, "1"), TypeError, "stddev must be a real number"),
    ],
)
def test_bad_matrix_input(call, error, match):
    with pytest.raises(error, match=match):
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


def test_gaussian_expectation_is_exact_where_it_should_be():
    # Moments of N(0, s^2): E[a^2] = s^2, E[a^4] = 3 s^4, odd moments 0.
    assert gaussian_expectation(lambda a: a**2, scale=1.7) == pytest.approx(1.7**2, rel=1e-12)
    assert gaussian_expectation(lambda a: a**4, scale=0.5) == pytest.approx(3 * 0.5**4, rel=1e-12)
    assert gaussian_expectation(lambda a: a**3, scale=2.0) == pytest.approx(0.0, abs=1e-12)
    # Kinked, but with a polynomial even part: exact (He et al.'s 1/2).
    relu_prime, relu = derivative("relu"), activation("relu")
    assert gaussian_expectation(lambda a: relu_prime(a) ** 2) == pytest.approx(0.5, rel=1e-12)
    assert gaussian_expectation(lambda a: relu(a) ** 2, 3.0) == pytest.approx(4.5, rel=1e-12)
    # Smooth: agrees with a large Monte Carlo sample (standard error about 3e-4).
    z = np.random.default_rng(0).standard_normal(2_000_000)
    assert gaussian_expectation(lambda a: np.tanh(a) ** 2) == pytest.approx(
        np.mean(np.tanh(z) ** 2), abs=2e-3
    )
    # Scale 0: the function's value at 0.
    assert gaussian_expectation(derivative("sigmoid"), scale=0.0) == pytest.approx(0.25)


def test_mean_field_chi():
    q = scaled_orthogonal(8, 1.5, seed=0)
    pre = np.random.default_rng(1).standard_normal((30, 8))
    # linear: chi is ||W||_F^2 / n = g^2 for W = g Q
    assert mean_field_chi(q, pre, "linear") == pytest.approx(1.5**2, rel=1e-12)
    # tanh near 0: f' = 1, so the same; sigmoid near 0: f' = 1/4, so g^2 / 16
    assert mean_field_chi(q, np.zeros((5, 8)), "tanh") == pytest.approx(2.25, rel=1e-12)
    assert mean_field_chi(q, np.zeros((5, 8)), "sigmoid") == pytest.approx(2.25 / 16, rel=1e-12)
    # ReLU: the fraction of active units
    signs = np.where(np.arange(8) % 4 == 0, 1.0, -1.0) * np.ones((3, 8))  # a quarter active
    assert mean_field_chi(np.eye(8), signs, "relu") == pytest.approx(0.25)
    # by hand, for one (batch, n) array of a 2-unit layer
    W = np.array([[1.0, 2.0], [0.0, 1.0]])
    a = np.array([[0.3, -1.2], [2.0, 0.1]])
    by_hand = (1 + 4 + 0 + 1) / 2 * np.mean((1 - np.tanh(a) ** 2) ** 2)
    assert mean_field_chi(W, a) == pytest.approx(by_hand, rel=1e-12)


def test_chi_predicts_the_growth_of_a_random_gaussian_product():
    # The mean-field claim itself: for a large random W and a fixed random mask of f',
    # a random direction's squared norm is multiplied by about chi per step.
    rng = np.random.default_rng(2)
    n = 400
    W = rng.normal(0.0, 1.2 / np.sqrt(n), (n, n))
    pre = rng.standard_normal((10, n))
    v = rng.standard_normal(n)
    start = np.linalg.norm(v)
    for a in pre:
        v = W.T @ (derivative("tanh")(a) * v)
    per_step = (np.linalg.norm(v) / start) ** (2 / len(pre))
    assert per_step == pytest.approx(mean_field_chi(W, pre, "tanh"), rel=0.05)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: gaussian_expectation("tanh"), TypeError, "fn must be callable"),
        (lambda: gaussian_expectation(np.tanh, points=5), ValueError, "points must be even"),
        (lambda: gaussian_expectation(np.tanh, scale=-1.0), ValueError, "scale must be >= 0\\.0"),
        (lambda: gaussian_expectation(lambda a: 1.0), ValueError, "fn must act element\\-wise"),
        (
            lambda: mean_field_chi(np.zeros((2, 3)), np.zeros((4, 2))),
            ValueError,
            "W must be square",
        ),
        (
            lambda: mean_field_chi(np.eye(3), np.zeros((4, 2))),
            ValueError,
            "pre must hold pre\\-activations of the 3 units on its last",
        ),
        (
            lambda: mean_field_chi(np.eye(3), np.zeros((0, 3))),
            ValueError,
            "pre must hold pre\\-activations of the 3 units on its last",
        ),
        (
            lambda: mean_field_chi(np.eye(3), np.zeros((4, 3)), "softplus"),
            ValueError,
            "activation must be one of",
        ),
        (lambda: activation("softmax"), ValueError, "activation must be one of"),
        (lambda: derivative(3), TypeError, "activation must be a string, one of"),
        (lambda: saturated_mask([0.1], "linear"), ValueError, "activation must be one of"),
        (lambda: saturation_stats([], "tanh"), ValueError, "outputs is empty"),
        (
            lambda: saturation_stats(["a"], "tanh"),
            TypeError,
            "outputs must be array\\-like of numbers",
        ),
        (lambda: predicted_regime(1.0, gamma=0.0), ValueError, "gamma must be > 0\\.0"),
        (lambda: predicted_regime(1.0, edge=2.0), ValueError, "edge must be <= 1\\.0"),
        (lambda: predicted_regime("1"), TypeError, "sigma_max must be a real number"),
    ],
)
def test_bad_activation_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("name", ["sigmoid", "relu", "linear"])
def test_activations_name_their_argument_when_it_is_not_numbers(name):
    from gradcourse.activations import activation, derivative

    with pytest.raises(TypeError, match="a must be array-like of numbers"):
        activation(name)("abc")
    if name != "sigmoid":
        with pytest.raises(TypeError, match="a must be array-like of numbers"):
            derivative(name)(["x"])
