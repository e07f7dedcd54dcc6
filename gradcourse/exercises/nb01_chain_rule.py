"""Exercises of notebook 01 (the chain rule)."""

from __future__ import annotations

import math

import numpy as np

from gradcourse._validate import require_array, require_float, require_int
from gradcourse.exercises.core import Exercise, function_grader, near, number_grader, register

# 01.1: the local factor of the scalar tanh recurrence.
_W, _A = 2.0, 0.5
_FACTOR_01_1 = _W * (1 - math.tanh(_A) ** 2)
register(Exercise(
    key="01.1",
    question=(f"For h_t = tanh(w h_(t-1) + x_t) with w = {_W}, the pre-activation is "
              f"a_t = {_A}. What is the local factor dh_t/dh_(t-1)?"),
    grade=number_grader(  # no precision asked: 3 significant digits (1.57)
        _FACTOR_01_1,
        hints=[
            (near(1 - math.tanh(_A) ** 2), "the chain rule also multiplies by d a_t / d h_(t-1) = w."),
            (near(_W * (1 - _A**2)), "tanh'(a) = 1 - tanh(a)^2, not 1 - a^2."),
            (near(_W * math.tanh(_A)), "that is w * tanh(a); you need w * tanh'(a)."),
        ],
    ),
    solution=_FACTOR_01_1,
    explanation=(
        "dh_t/dh_(t-1) = tanh'(a_t) * w = (1 - tanh(a_t)^2) * w\n"
        f"             = (1 - tanh({_A})^2) * {_W} = {_FACTOR_01_1:.4f}"
    ),
))

# 01.2: how many steps until a product of equal factors drops below a tolerance.
_FACTOR, _TOL = 0.9, 1e-3
_RATIO = math.log(_TOL) / math.log(_FACTOR)  # 65.56: T must exceed it
_STEPS = math.ceil(_RATIO)
register(Exercise(
    key="01.2",
    question=(f"Every local factor equals {_FACTOR}. After how many steps T is the "
              f"gradient dh_T/dh_0 = {_FACTOR}^T smaller than {_TOL:g} for the first time?"),
    grade=number_grader(  # a count: exactly
        _STEPS, whole=True,
        hints=[
            (lambda v: v == _STEPS - 1, f"{_FACTOR}^{_STEPS - 1} is still just above {_TOL:g}."),
            (lambda v: v == _STEPS + 1, f"{_FACTOR}^{_STEPS} is already below {_TOL:g}: that is the first time."),
            (near(_RATIO), "T counts steps, so it is a whole number: round up."),
        ],
    ),
    solution=_STEPS,
    explanation=(
        f"{_FACTOR}^T < {_TOL:g}  <=>  T > log({_TOL:g}) / log({_FACTOR}) = "
        f"{_RATIO:.2f}, so T = {_STEPS}."
    ),
))


def _close(a, b) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=1e-6))


# 01.3: dh_T/dh_0 from a trajectory, as a product of local factors.
def gradient_through_time(w: float, states: np.ndarray) -> float:
    """dh_T/dh_0 for h_t = tanh(w h_(t-1) + x_t), given the states h_1..h_T."""
    w = require_float("w", w)
    states = require_array("states", states, ndim=1)
    return float(np.prod(w * (1.0 - states**2)))


def _factors(args) -> np.ndarray:
    w, states = args
    return w * (1.0 - states**2)


_rng = np.random.default_rng(1)
_CASES = [(w, np.tanh(_rng.normal(size=n))) for w, n in [(0.8, 5), (1.5, 12), (-1.2, 7)]]
register(Exercise(
    key="01.3",
    question=("Write gradient_through_time(w, states) returning dh_T/dh_0 for "
              "h_t = tanh(w h_(t-1) + x_t), where states holds h_1, ..., h_T."),
    grade=function_grader(
        gradient_through_time, _CASES,
        hints=[
            (lambda args, got: _close(got, np.prod(1.0 - args[1] ** 2)),
             "each factor also carries the recurrent weight w."),
            (lambda args, got: _close(got, args[0] ** len(args[1])),
             "each factor also carries tanh'(a_t) = 1 - h_t^2."),
            (lambda args, got: _close(got, np.prod(args[0] * (1.0 - np.tanh(args[1]) ** 2))),
             "states already holds h_t = tanh(a_t), so tanh'(a_t) = 1 - h_t^2: no second tanh."),
            (lambda args, got: _close(got, np.prod(_factors(args)[1:])) or _close(got, np.prod(_factors(args)[:-1])),
             "T states give T factors, one per step 1..T: one is missing."),
            (lambda args, got: _close(got, np.sum(_factors(args))),
             "the chain rule multiplies the factors; it does not add them."),
        ],
    ),
    solution=gradient_through_time,
    explanation=(
        "Each step contributes its local factor w * (1 - h_t^2), because tanh'(a_t) = 1 - h_t^2:\n\n"
        "def gradient_through_time(w, states):\n"
        "    states = np.asarray(states, dtype=float)\n"
        "    return float(np.prod(w * (1.0 - states**2)))"
    ),
))


# 01.3b (replacement proposed for 01.3, whose answer is on screen): the gradient that reaches an input.
def gradient_to_input(w: float, states: np.ndarray, k: int) -> float:
    """dh_T/dx_k for h_t = tanh(w h_(t-1) + x_t), given the states h_1..h_T and 1 <= k <= T."""
    w = require_float("w", w)
    states = require_array("states", states, ndim=1)
    k = require_int("k", k, minimum=1)
    if k > len(states):
        raise ValueError(f"k must be at most T = {len(states)}, got {k}")
    # x_k enters a_k directly (factor 1 - h_k^2, no w); each later step adds w (1 - h_t^2).
    return float((1.0 - states[k - 1] ** 2) * np.prod(w * (1.0 - states[k:] ** 2)))


_rng_b = np.random.default_rng(11)
_CASES_B = [(0.9, np.tanh(_rng_b.normal(size=10)), 4), (1.6, np.tanh(_rng_b.normal(size=8)), 1),
            (-1.1, np.tanh(_rng_b.normal(size=6)), 6)]
register(Exercise(
    key="01.3b",
    question=("Write gradient_to_input(w, states, k) returning dh_T/dx_k for h_t = tanh(w h_(t-1) + x_t), "
              "where states holds h_1, ..., h_T (states[0] is h_1) and 1 <= k <= T."),
    grade=function_grader(
        gradient_to_input, _CASES_B,
        hints=[
            (lambda args, got: _close(got, args[0] * gradient_to_input(*args)),
             "x_k enters a_k directly: dh_k/dx_k = 1 - h_k^2 has no factor w."),
            (lambda args, got: _close(got, np.prod(args[0] * (1.0 - args[1][args[2]:] ** 2))),
             "that is dh_T/dh_k; the chain starts one link earlier, with dh_k/dx_k = 1 - h_k^2."),
            (lambda args, got: _close(got, gradient_to_input(args[0], args[1][1:], args[2])),  # h_k read as states[k]
             "states[0] is h_1, so h_k is states[k - 1]."),
            (lambda args, got: _close(got, np.prod(args[0] * (1.0 - args[1] ** 2))),
             "that is dh_T/dh_0 (exercise 01.3); x_k only passes through steps k..T."),
        ],
    ),
    solution=gradient_to_input,
    explanation=(
        "x_k enters a_k directly, so dh_k/dx_k = 1 - h_k^2; each later step t = k+1..T adds w (1 - h_t^2):\n\n"
        "def gradient_to_input(w, states, k):\n"
        "    states = np.asarray(states, dtype=float)\n"
        "    return float((1 - states[k - 1] ** 2) * np.prod(w * (1 - states[k:] ** 2)))"
    ),
))
