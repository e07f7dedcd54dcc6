"""What a Keras initializer puts in a recurrent matrix: draw one, summarise its spectrum.

The predictions these spectra are compared with live elsewhere: random-matrix theory's in
``gradcourse.matrices``, Pascanu et al.'s regime in ``gradcourse.activations``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._tensorflow import keras
from gradcourse._validate import require_int
from gradcourse.matrices import singular_values, spectral_radius


def recurrent_matrix(initializer: str | keras.initializers.Initializer, n: int) -> np.ndarray:
    """Draw an n x n matrix from a Keras initializer (an object or a name like "orthogonal")."""
    n = require_int("n", n, minimum=1)
    try:
        initializer = keras.initializers.get(initializer)
    except ValueError as error:
        raise ValueError(f"unknown initializer {initializer!r}: {error}") from None
    return np.asarray(initializer((n, n)), dtype=np.float64)


def spectrum_summary(matrix: ArrayLike) -> dict[str, float]:
    """Largest and smallest singular value and spectral radius of a square matrix."""
    values = singular_values(matrix)
    return {
        "sigma_max": float(values[0]),
        "sigma_min": float(values[-1]),
        "radius": spectral_radius(matrix),
    }
