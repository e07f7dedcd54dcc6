"""Activation functions, their derivatives and the bounds on them, saturation statistics,
Pascanu et al.'s condition that turns a derivative bound into a predicted regime (the worst
case), and the mean-field growth factor chi (the average case)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._validate import require_array, require_choice, require_float, require_int

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")

# gamma: the largest value of |f'(a)|, the constant in Pascanu et al.'s conditions.
DERIVATIVE_BOUND: dict[str, float] = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}

# How close to the flat part counts as "saturated" (|tanh| > 0.97; sigmoid within
# 0.03 of 0 or 1, the same distance from its asymptotes); a ReLU unit at 0 is "dead".
SATURATION_MARGIN = 0.03


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-a)), computed without overflow."""
    return np.exp(-np.logaddexp(0.0, -require_array("a", a)))


def activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Return the activation function called ``name`` (one of ``ACTIVATIONS``)."""
    name = require_choice("activation", name, ACTIVATIONS)
    return {
        "tanh": np.tanh,
        "sigmoid": sigmoid,
        "relu": lambda a: np.maximum(require_array("a", a), 0.0),
        "linear": lambda a: require_array("a", a).copy(),
    }[name]


def derivative(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Return ``f'`` as a function of the pre-activation ``a`` for activation ``name``."""
    name = require_choice("activation", name, ACTIVATIONS)

    def tanh_prime(a: ArrayLike) -> np.ndarray:
        return 1.0 - np.tanh(a) ** 2

    def sigmoid_prime(a: ArrayLike) -> np.ndarray:
        s = sigmoid(a)
        return s * (1.0 - s)

    def relu_prime(a: ArrayLike) -> np.ndarray:
        return (require_array("a", a) > 0).astype(np.float64)

    def linear_prime(a: ArrayLike) -> np.ndarray:
        return np.ones_like(require_array("a", a))

    return {
        "tanh": tanh_prime,
        "sigmoid": sigmoid_prime,
        "relu": relu_prime,
        "linear": linear_prime,
    }[name]


def saturated_mask(outputs: ArrayLike, name: str) -> np.ndarray:
    """Boolean mask of saturated units, given the *outputs* of activation ``name``."""
    name = require_choice("activation", name, ("tanh", "sigmoid", "relu"))
    outputs = require_array("outputs", outputs)
    if name == "tanh":
        return np.abs(outputs) > 1.0 - SATURATION_MARGIN
    if name == "sigmoid":
        return (outputs < SATURATION_MARGIN) | (outputs > 1.0 - SATURATION_MARGIN)
    return outputs <= 0.0  # dead ReLU units pass no gradient


def saturation_stats(outputs: ArrayLike, name: str) -> dict[str, float]:
    """Mean, standard deviation and fraction saturated of a layer's outputs."""
    outputs = require_array("outputs", outputs)
    if outputs.size == 0:
        raise ValueError("outputs is empty")
    return {
        "mean": float(outputs.mean()),
        "std": float(outputs.std()),
        "saturated": float(saturated_mask(outputs, name).mean()),
    }


def predicted_regime(sigma_max: float, gamma: float = 1.0, edge: float = 0.05) -> str:
    """Pascanu et al.'s prediction from the largest singular value of W_hh and the derivative
    bound ``gamma`` (``DERIVATIVE_BOUND[activation]``; 1 for tanh and ReLU).

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


@lru_cache(maxsize=8)
def _hermite_nodes(points: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and normalised weights for the weight exp(-a^2 / 2)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(points)
    nodes.flags.writeable = weights.flags.writeable = False
    return nodes, weights / np.sum(weights)


def gaussian_expectation(
    fn: Callable[[np.ndarray], np.ndarray], scale: float = 1.0, points: int = 100
) -> float:
    """``E[fn(a)]`` for ``a ~ N(0, scale^2)``, by Gauss-Hermite quadrature (deterministic).

    Exact for polynomials of degree below ``2 * points``; for smooth functions such as
    tanh, sigmoid and their derivatives, accurate to about 1e-12 with the default 100
    points. The nodes come in pairs +-a (never 0, ``points`` is even), so a function
    whose even part ``(fn(a) + fn(-a)) / 2`` is a polynomial is exact too, kink or not:
    ``relu'(a)^2`` (even part 1/2) and ``relu(a)^2`` (even part a^2/2). A kink in the
    even part (``relu`` itself: |a|/2) converges slowly.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    scale = require_float("scale", scale, minimum=0.0)
    points = require_int("points", points, minimum=2)
    if points % 2:
        raise ValueError(f"points must be even (no node at a = 0), got {points}")
    nodes, weights = _hermite_nodes(points)
    values = np.asarray(fn(scale * nodes), dtype=np.float64)
    if values.shape != nodes.shape:
        raise ValueError(f"fn must act element-wise: got shape {values.shape} for {nodes.shape}")
    return float(np.sum(weights * values))


def mean_field_chi(W: ArrayLike, pre: ArrayLike, activation: str = "tanh") -> float:
    """The mean-field growth factor per step, ``chi = (||W||_F^2 / n) * E[f'(a)^2]``.

    ``W`` is the n x n matrix a step multiplies by (``W_hh``, or a square layer's kernel)
    and ``pre`` the pre-activations seen at that step, any shape whose last axis holds
    the n units (e.g. (T, n) over a sequence, (batch, n) for a layer); the mean runs over
    all of them. A random direction's squared norm is multiplied by about ``chi`` per
    step: ``chi < 1`` vanishes, ``chi > 1`` grows (Poole et al. 2016; Chen, Pennington &
    Schoenholz 2018). It is an average: structured matrices (the identity, non-normal
    matrices) can behave otherwise.
    """
    W = require_array("W", W, ndim=2)
    pre = require_array("pre", pre)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got shape {W.shape}")
    if pre.ndim < 1 or pre.shape[-1] != W.shape[0] or pre.size == 0:
        raise ValueError(
            f"pre must hold pre-activations of the {W.shape[0]} units on its last axis, "
            f"got shape {pre.shape}"
        )
    f_prime = derivative(require_choice("activation", activation, ACTIVATIONS))
    return float(np.sum(W**2) / W.shape[0] * np.mean(f_prime(pre) ** 2))
