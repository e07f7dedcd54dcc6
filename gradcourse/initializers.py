"""What an initializer does to a recurrent matrix: its spectrum and the regime it implies."""

from __future__ import annotations

import math

from gradcourse._tensorflow import keras
import numpy as np

from gradcourse._validate import require_float, require_int
from gradcourse.matrices import singular_values, spectral_radius


def recurrent_matrix(initializer, n: int) -> np.ndarray:
    """Draw an n x n matrix from a Keras initializer (an object or a name like "orthogonal")."""
    n = require_int("n", n, minimum=1)
    try:
        initializer = keras.initializers.get(initializer)
    except ValueError as error:
        raise ValueError(f"unknown initializer {initializer!r}: {error}") from None
    return np.asarray(initializer((n, n)), dtype=np.float64)


def spectrum_summary(matrix) -> dict[str, float]:
    """Largest and smallest singular value and spectral radius of a square matrix."""
    values = singular_values(matrix)
    return {"sigma_max": float(values[0]), "sigma_min": float(values[-1]), "radius": spectral_radius(matrix)}


def gaussian_sigma_max(n: int, stddev: float) -> float:
    """Largest singular value of an n x n matrix with i.i.d. N(0, stddev^2) entries, for
    large n: about ``2 stddev sqrt(n)`` (the edge of the Marchenko-Pastur law)."""
    n = require_int("n", n, minimum=1)
    return 2.0 * require_float("stddev", stddev, minimum=0.0) * math.sqrt(n)


def gaussian_radius(n: int, stddev: float) -> float:
    """Spectral radius of the same matrix: about ``stddev sqrt(n)`` (the circular law)."""
    n = require_int("n", n, minimum=1)
    return require_float("stddev", stddev, minimum=0.0) * math.sqrt(n)


def predicted_regime(sigma_max: float, gamma: float = 1.0, edge: float = 0.05) -> str:
    """Pascanu et al.'s prediction from the largest singular value and the derivative bound.

    ``"vanishes"`` when ``gamma * sigma_max < 1 - edge`` (guaranteed), ``"edge"`` within
    ``edge`` of 1, and ``"may explode"`` above (necessary, not sufficient).
    """
    sigma_max = require_float("sigma_max", sigma_max, minimum=0.0)
    gamma = require_float("gamma", gamma, minimum=0.0, strict_minimum=True)
    edge = require_float("edge", edge, minimum=0.0, maximum=1.0)
    product = gamma * sigma_max
    if product < 1 - edge:
        return "vanishes"
    if product <= 1 + edge:
        return "edge"
    return "may explode"
