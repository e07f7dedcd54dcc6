"""Synthetic long-lag sequence tasks, generated in code (no downloads), with baselines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._validate import require_array, require_float, require_int

UNIFORM_VARIANCE = 1.0 / 12.0  # Var(U[0, 1])


@dataclass(frozen=True)
class SequenceData:
    """Inputs ``x`` (n, length, features), targets ``y`` (n, 1), and the task's baseline."""

    x: np.ndarray
    y: np.ndarray
    baseline_mse: float
    baseline: str

    def __post_init__(self) -> None:
        x, y = np.shape(self.x), np.shape(self.y)
        if len(x) != 3:
            raise ValueError(f"x must have shape (examples, steps, features), got shape {x}")
        if len(y) < 1 or y[0] != x[0]:
            raise ValueError(
                f"x and y must hold the same number of examples: x has {x[0]}, y has shape {y}"
            )


def adding_problem(n: int, length: int, seed: int = 0) -> SequenceData:
    """The adding problem (Hochreiter & Schmidhuber 1997; the variant of Le et al. 2015).

    Each step holds a pair (value, marker): values are U[0, 1]; exactly two markers are
    1, one in the first half of the sequence and one in the second. The target is the
    sum of the two marked values. To solve it, a model must carry the first marked
    value across at least ``length / 2`` steps.

    The baseline is the best constant prediction (the mean, 1): its mean squared error
    is Var(X1 + X2) = 2 Var(U[0, 1]), computed here from the distribution.
    """
    n = require_int("n", n, minimum=1)
    length = require_int("length", length, minimum=2)
    rng = np.random.default_rng(require_int("seed", seed, minimum=0))
    values = rng.uniform(0.0, 1.0, size=(n, length))
    half = length // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second])[:, None].astype(np.float32)
    return SequenceData(
        x=x, y=y, baseline_mse=2 * UNIFORM_VARIANCE, baseline="always predict the mean sum, 1"
    )


def constant_prediction_mse(y: ArrayLike) -> float:
    """MSE of predicting the mean of ``y`` for every example (the empirical baseline)."""
    y = require_array("y", y)
    if y.size == 0:
        raise ValueError("y is empty")
    return float(np.mean((y - y.mean()) ** 2))


# The course's one success criterion, from notebook 04 on: a model *learned* a task when
# its test error ends below half the baseline (the error of the best constant prediction),
# and *failed* otherwise. A claim that needs more ("solved: under 6% of the baseline")
# states its own number next to this one.
LEARNED_BELOW = 0.5


def learned(test_mse: float, baseline_mse: float) -> bool:
    """True if ``test_mse`` is below ``LEARNED_BELOW`` times ``baseline_mse`` (NaN: False)."""
    # Unlike require_float, a NaN or inf is allowed: a diverged run did not learn.
    if isinstance(test_mse, (bool, str, bytes)) or np.size(test_mse) != 1:
        raise TypeError(f"test_mse must be a number, got {type(test_mse).__name__}")
    try:
        test_mse = float(np.asarray(test_mse).reshape(()))
    except (TypeError, ValueError):
        raise TypeError(f"test_mse must be a number, got {type(test_mse).__name__}") from None
    baseline_mse = require_float("baseline_mse", baseline_mse, minimum=0.0, strict_minimum=True)
    return bool(test_mse < LEARNED_BELOW * baseline_mse)  # a NaN compares False
