import numpy as np
import pytest

from gradcourse.gradcheck import numerical_gradient, relative_error


def test_numerical_gradient_matches_analytic_on_a_vector():
    x = np.array([0.3, -1.2, 2.0])
    grad = numerical_gradient(lambda v: np.sum(np.sin(v) * v**2), x)
    exact = np.cos(x) * x**2 + 2 * x * np.sin(x)
    assert relative_error(grad, exact) < 1e-8


def test_numerical_gradient_keeps_shape_and_does_not_modify_input():
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    grad = numerical_gradient(lambda m: float(np.sum(m**2)), x)
    assert grad.shape == (2, 3)
    np.testing.assert_allclose(grad, 2 * before, rtol=1e-7)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_of_scalar_input():
    assert abs(float(numerical_gradient(lambda v: float(v) ** 3, 2.0)) - 12.0) < 1e-6


def test_relative_error_is_zero_for_equal_and_scale_free():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1e-9, 2e-9], [1.1e-9, 2e-9]) == pytest.approx(0.05)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: numerical_gradient("not a function", 1.0), TypeError, "f must be callable"),
        (lambda: numerical_gradient(lambda v: v, 1.0, eps=0.0), ValueError, "eps must be > 0\\.0"),
        (
            lambda: numerical_gradient(lambda v: np.ones(2), np.zeros(2)),
            ValueError,
            "f must return a scalar",
        ),
        (
            lambda: numerical_gradient(lambda v: 0.0, ["a", "b"]),
            TypeError,
            "x must be array\\-like of numbers",
        ),
        (lambda: relative_error([1.0, 2.0], [1.0]), ValueError, "a and b must have the same shape"),
    ],
)
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
