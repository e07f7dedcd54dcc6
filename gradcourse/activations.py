"""Activation functions, their derivatives and the bounds on them, saturation statistics,
and Pascanu et al.'s condition that turns a derivative bound into a predicted regime."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradcourse._validate import require_array, require_choice, require_float

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")

# gamma: the largest value of |f'(a)|, the constant in Pascanu et al.'s conditions.
DERIVATIVE_BOUND: dict[str, float] = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}

# How close to the flat part counts as "saturated" (|tanh| > 0.97; sigmoid within
# 0.03 of 0 or 1, the same distance from its asymptotes); a ReLU unit at 0 is "dead".
SATURATION_MARGIN = 0.03


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-a)), computed without overflow."""
    a = np.asarray(a, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -a))


def activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Return the activation function called ``name`` (one of ``ACTIVATIONS``)."""
    name = require_choice("activation", name, ACTIVATIONS)
    return {
        "tanh": np.tanh,
        "sigmoid": sigmoid,
        "relu": lambda a: np.maximum(np.asarray(a, dtype=np.float64), 0.0),
        "linear": lambda a: np.asarray(a, dtype=np.float64).copy(),
    }[name]


def derivative(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Return ``f'`` as a function of the pre-activation ``a`` for activation ``name``."""
    name = require_choice("activation", name, ACTIVATIONS)

    def tanh_prime(a):
        return 1.0 - np.tanh(a) ** 2

    def sigmoid_prime(a):
        s = sigmoid(a)
        return s * (1.0 - s)

    def relu_prime(a):
        return (np.asarray(a, dtype=np.float64) > 0).astype(np.float64)

    def linear_prime(a):
        return np.ones_like(np.asarray(a, dtype=np.float64))

    return {
        "tanh": tanh_prime,
        "sigmoid": sigmoid_prime,
        "relu": relu_prime,
        "linear": linear_prime,
    }[name]


def saturated_mask(outputs, name: str) -> np.ndarray:
    """Boolean mask of saturated units, given the *outputs* of activation ``name``."""
    name = require_choice("activation", name, ("tanh", "sigmoid", "relu"))
    outputs = require_array("outputs", outputs)
    if name == "tanh":
        return np.abs(outputs) > 1.0 - SATURATION_MARGIN
    if name == "sigmoid":
        return (outputs < SATURATION_MARGIN) | (outputs > 1.0 - SATURATION_MARGIN)
    return outputs <= 0.0  # dead ReLU units pass no gradient


def saturation_stats(outputs, name: str) -> dict[str, float]:
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
