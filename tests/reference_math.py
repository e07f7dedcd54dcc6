"""Small independent references the exercise tests recompute answers with (NumPy only,
nothing from gradcourse): the sigmoid, central finite differences, bisection and rounding
to significant digits. Imported by the test modules (tests/ is on the path under pytest)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def slope(f: Callable, x, eps: float = 1e-6):
    """f'(x) by central differences, element by element for an elementwise f."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def central_difference(f: Callable, x, eps: float = 1e-6):
    """The gradient of a scalar-valued f at a scalar or vector x, by central differences."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        return slope(f, x, eps)
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def bisect(f: Callable, low: float, high: float, iterations: int = 200) -> float:
    """The root of an increasing-or-decreasing f on [low, high]."""
    f_low = f(low)
    for _ in range(iterations):
        middle = (low + high) / 2
        if (f(middle) > 0) == (f_low > 0):
            low, f_low = middle, f(middle)
        else:
            high = middle
    return (low + high) / 2


def round_sig(x: float, digits: int = 3) -> float:
    """x rounded to ``digits`` significant digits."""
    return float(f"{x:.{digits - 1}e}")
