"""Random matrices and their spectra: orthogonal and non-normal matrices with a chosen
largest singular value or spectral radius, and random-matrix theory's predictions for
matrices with i.i.d. entries (what Gaussian, Glorot and He initializers draw)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._validate import require_array, require_float, require_int


def random_orthogonal(n: int, seed: int = 0) -> np.ndarray:
    """A random n x n orthogonal matrix (Haar distributed), so all singular values are 1."""
    n = require_int("n", n, minimum=1)
    rng = np.random.default_rng(require_int("seed", seed, minimum=0))
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))  # sign fix makes the distribution uniform


def scaled_orthogonal(n: int, gain: float, seed: int = 0) -> np.ndarray:
    """``gain * Q`` with Q orthogonal: every singular value (and |eigenvalue|) is ``gain``."""
    gain = require_float("gain", gain, minimum=0.0)
    return gain * random_orthogonal(n, seed)


def non_normal(n: int, radius: float, coupling: float, seed: int = 0) -> np.ndarray:
    """``Q B Q^T``, Q orthogonal and B block-diagonal with 2 x 2 blocks [[r, c], [0, r]].

    Every eigenvalue equals ``radius`` (r), but the largest singular value grows with
    the ``coupling`` (c): the k-th power has norm about ``k c r^(k-1)``, so it grows
    before it decays even when r < 1. ``n`` must be even.
    """
    n = require_int("n", n, minimum=2)
    if n % 2:
        raise ValueError(f"n must be even (2 x 2 blocks), got {n}")
    radius = require_float("radius", radius, minimum=0.0)
    coupling = require_float("coupling", coupling, minimum=0.0)
    block = np.array([[radius, coupling], [0.0, radius]])
    core = np.kron(np.eye(n // 2), block)
    q = random_orthogonal(n, seed)
    return q @ core @ q.T


def singular_values(matrix: ArrayLike) -> np.ndarray:
    """Singular values of a 2-D matrix, largest first."""
    return np.linalg.svd(require_array("matrix", matrix, ndim=2), compute_uv=False)


def spectral_radius(matrix: ArrayLike) -> float:
    """The largest |eigenvalue| of a square matrix."""
    matrix = require_array("matrix", matrix, ndim=2)
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, got shape {matrix.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def gaussian_sigma_max(n: int, stddev: float) -> float:
    """Largest singular value of an n x n matrix with i.i.d. N(0, stddev^2) entries, for
    large n: about ``2 stddev sqrt(n)`` (the edge of the Marchenko-Pastur law)."""
    n = require_int("n", n, minimum=1)
    return 2.0 * require_float("stddev", stddev, minimum=0.0) * math.sqrt(n)


def gaussian_radius(n: int, stddev: float) -> float:
    """Spectral radius of the same matrix: about ``stddev sqrt(n)`` (the circular law)."""
    n = require_int("n", n, minimum=1)
    return require_float("stddev", stddev, minimum=0.0) * math.sqrt(n)
