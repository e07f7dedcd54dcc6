"""Central finite differences: the independent check of every hand-written gradient."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._validate import require_array, require_float


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: ArrayLike, eps: float = 1e-6
) -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x`` by central differences.

    Each entry is ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, whose error is
    O(eps^2); use float64 and ``eps`` around 1e-6. ``x`` may have any shape; the
    result has the same shape.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    eps = require_float("eps", eps, minimum=0.0, strict_minimum=True)
    x = require_array("x", x).copy()
    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)  # views into x and grad
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + eps
        f_plus = _scalar(f(x))
        flat_x[i] = original - eps
        f_minus = _scalar(f(x))
        flat_x[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a: ArrayLike, b: ArrayLike, floor: float = 1e-12) -> float:
    """``max|a - b| / max(max|a|, max|b|, floor)``: one number for 'how close'."""
    a, b = require_array("a", a), require_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    floor = require_float("floor", floor, minimum=0.0, strict_minimum=True)
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)), floor)
    return float(np.max(np.abs(a - b), initial=0.0) / scale)


def _scalar(value: object) -> float:
    array = np.asarray(value, dtype=np.float64)
    if array.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {array.shape}")
    return float(array.reshape(()))
