"""Gradient clipping, written out in NumPy (no TensorFlow needed).

Keras' optimizers clip inside ``optimizer.apply``: ``clipvalue`` element-wise,
``clipnorm`` each variable's gradient on its own, ``global_clipnorm`` all of them
jointly (Pascanu et al. 2013, Algorithm 1). The NumPy versions here make each rule
visible; ``gradcourse.monitoring`` records the norms *before* Keras clips them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from gradcourse._validate import require_float

Gradients = Sequence[np.ndarray]


def _as_arrays(grads: object) -> list[np.ndarray]:
    if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)) or not grads:
        raise TypeError("grads must be a non-empty list of arrays (one per variable)")
    return [np.asarray(g, dtype=np.float64) for g in grads]


def global_norm(grads: Gradients) -> float:
    """The L2 norm of all gradients taken together, as if concatenated into one vector."""
    return float(math.sqrt(sum(float(np.sum(g**2)) for g in _as_arrays(grads))))


def clip_by_value(grads: Gradients, value: float) -> list[np.ndarray]:
    """Keras ``clipvalue``: clip every element to [-value, value] (changes the direction)."""
    value = require_float("value", value, minimum=0.0, strict_minimum=True)
    return [np.clip(g, -value, value) for g in _as_arrays(grads)]


def clip_each_by_norm(grads: Gradients, max_norm: float) -> list[np.ndarray]:
    """Keras ``clipnorm``: rescale *each variable's* gradient to norm at most ``max_norm``."""
    max_norm = require_float("max_norm", max_norm, minimum=0.0, strict_minimum=True)
    clipped = []
    for g in _as_arrays(grads):
        norm = float(np.linalg.norm(g))
        clipped.append(g * (max_norm / norm) if norm > max_norm else g)
    return clipped


def clip_by_global_norm(grads: Gradients, max_norm: float) -> list[np.ndarray]:
    """Pascanu et al.'s Algorithm 1 (Keras ``global_clipnorm``): if ||g|| > max_norm,
    rescale *all* gradients by max_norm / ||g||, which keeps the direction.

    The paper writes ``if ||g|| >= threshold``; at equality the scale is 1, so ``>`` and
    ``>=`` give the same gradients (and ``tf.clip_by_global_norm``'s scale,
    ``max_norm / max(||g||, max_norm)``, is the same too)."""
    max_norm = require_float("max_norm", max_norm, minimum=0.0, strict_minimum=True)
    grads = _as_arrays(grads)
    norm = global_norm(grads)
    scale = max_norm / norm if norm > max_norm else 1.0  # never scales up
    return [g * scale for g in grads]


def cosine_similarity(grads_a: Gradients, grads_b: Gradients) -> float:
    """Cosine of the angle between two gradients (lists of arrays, flattened together)."""
    a = np.concatenate([g.ravel() for g in _as_arrays(grads_a)])
    b = np.concatenate([g.ravel() for g in _as_arrays(grads_b)])
    if a.shape != b.shape:
        raise ValueError(f"the gradients have different sizes: {a.size} and {b.size}")
    denominator = np.linalg.norm(a) * np.linalg.norm(b)
    if denominator == 0:
        raise ValueError("cosine similarity is undefined for a zero gradient")
    return float(a @ b / denominator)
