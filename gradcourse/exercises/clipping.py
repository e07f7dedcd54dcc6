"""Exercises of notebook 05 (exploding gradients and clipping)."""

from __future__ import annotations

import math

import numpy as np

from gradcourse.clipping import clip_by_global_norm as _reference_clip
from gradcourse.exercises.core import Exercise, choice_grader, function_grader, number_grader, register


# 05.1: implement Pascanu's clipping.
def clip_by_global_norm(grads, max_norm):
    """Rescale the list of arrays ``grads`` jointly so that their global norm is at most max_norm."""
    norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [np.asarray(g) * scale for g in grads]


_rng = np.random.default_rng(5)
_CASES = [
    ([_rng.normal(size=(3, 2)), _rng.normal(size=4)], 1.0),  # clipped
    ([np.array([3.0, 4.0]), np.array([12.0])], 6.5),  # norm 13 -> clipped to 6.5
    ([0.01 * _rng.normal(size=5)], 1.0),  # small gradient: unchanged
]


def _clips_each_variable(args, got) -> bool:
    grads, max_norm = args
    each = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
    return all(np.allclose(a, b) for a, b in zip(got, each))


def _scales_up(args, got) -> bool:
    grads, max_norm = args
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return norm < max_norm and all(np.allclose(a, g * max_norm / norm) for a, g in zip(got, grads))


register(Exercise(
    key="05.1",
    question="Write clip_by_global_norm(grads, max_norm) for a list of NumPy arrays (Pascanu et al.'s Algorithm 1).",
    grade=function_grader(
        lambda grads, max_norm: _reference_clip(grads, max_norm), _CASES,
        hints=[
            (_clips_each_variable, "that clips each array on its own (Keras' clipnorm); use one norm over all arrays."),
            (_scales_up, "a gradient already below the threshold must stay unchanged: clipping only scales down."),
        ],
    ),
    solution=clip_by_global_norm,
    explanation=(
        "One norm over all arrays, one common scale, applied only when the norm is too large:\n\n"
        "def clip_by_global_norm(grads, max_norm):\n"
        "    norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads))\n"
        "    scale = max_norm / norm if norm > max_norm else 1.0\n"
        "    return [np.asarray(g) * scale for g in grads]"
    ),
))

# 05.2: which clipping keeps the direction.
register(Exercise(
    key="05.2",
    question=("A model has several weight tensors. Which optimizer setting always keeps the direction "
              "of the full gradient: 'clipvalue', 'clipnorm' or 'global_clipnorm'?"),
    grade=choice_grader(
        "global_clipnorm", ["clipvalue", "clipnorm", "global_clipnorm"],
        hints={
            "clipvalue": "clipping elements one by one changes their ratios, so the direction changes.",
            "clipnorm": "Keras' clipnorm rescales each variable by its own factor: the ratios between variables change.",
        },
    ),
    solution="global_clipnorm",
    explanation=("global_clipnorm multiplies every gradient by the same factor, so the full gradient keeps\n"
                 "its direction. clipnorm uses one factor per variable, clipvalue clips element-wise."),
))

# 05.3: clip a 2-D gradient by norm.
_G, _C = (3.0, 4.0), 1.0
register(Exercise(
    key="05.3",
    question=f"The gradient is g = {_G} and global_clipnorm = {_C:g}. What is the first component after clipping?",
    grade=number_grader(
        _G[0] * _C / math.hypot(*_G),
        hints=[
            (lambda v: math.isclose(v, 1.0), "that is clipvalue = 1; norm clipping rescales the whole vector."),
            (lambda v: math.isclose(v, _G[0]), "the norm of g is 5, above the threshold: it must be rescaled."),
            (lambda v: math.isclose(v, _G[0] / math.hypot(*_G) ** 2), "divide by the norm (5), not by its square."),
        ],
    ),
    solution=_G[0] * _C / math.hypot(*_G),
    explanation=f"||g|| = 5 > {_C:g}, so g <- {_C:g}/5 * g = (0.6, 0.8): the first component is 0.6.",
))
