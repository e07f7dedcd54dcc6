"""Small input checks shared by the public functions (clear errors for learners)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def require_int(name: str, value: Any, minimum: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def require_float(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """Return ``value`` as a finite float within the given range, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
        if not strict_minimum and value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def require_array(name: str, value: Any, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a float64 array with ``ndim`` dimensions, or raise."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be array-like of numbers ({error})") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")
    return array


def require_same_batch(x: Any, y: Any) -> None:
    """ValueError unless inputs ``x`` and targets ``y`` (arrays or tensors) have as many
    examples (first dimension) as each other."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"x and y must have the same batch size, got {x.shape[0]} and {y.shape[0]}"
        )


def require_str(name: str, value: Any) -> str:
    """Return ``value`` if it is a string, or raise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    return value


def require_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, or raise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {choices}; got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value
