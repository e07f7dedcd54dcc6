"""Exercises of notebook 01 (the chain rule)."""

from __future__ import annotations

import math

import numpy as np

from gradcourse.exercises.core import Exercise, function_grader, number_grader, register

# 01.1: the local factor of the scalar tanh recurrence.
_W, _A = 2.0, 0.5
register(Exercise(
    key="01.1",
    question=(f"For h_t = tanh(w h_(t-1) + x_t) with w = {_W}, the pre-activation is "
              f"a_t = {_A}. What is the local factor dh_t/dh_(t-1)?"),
    grade=number_grader(
        _W * (1 - math.tanh(_A) ** 2),
        hints=[
            (lambda v: math.isclose(v, 1 - math.tanh(_A) ** 2, rel_tol=1e-3),
             "the chain rule also multiplies by d a_t / d h_(t-1) = w."),
            (lambda v: math.isclose(v, _W * (1 - _A**2), rel_tol=1e-3),
             "tanh'(a) = 1 - tanh(a)^2, not 1 - a^2."),
            (lambda v: math.isclose(v, _W * math.tanh(_A), rel_tol=1e-3),
             "that is w * tanh(a); you need w * tanh'(a)."),
        ],
    ),
    solution=_W * (1 - math.tanh(_A) ** 2),
    explanation=(
        "dh_t/dh_(t-1) = tanh'(a_t) * w = (1 - tanh(a_t)^2) * w\n"
        f"             = (1 - tanh({_A})^2) * {_W} = {_W * (1 - math.tanh(_A) ** 2):.4f}"
    ),
))

# 01.2: how many steps until a product of equal factors drops below a tolerance.
_FACTOR, _TOL = 0.9, 1e-3
_STEPS = math.ceil(math.log(_TOL) / math.log(_FACTOR))
register(Exercise(
    key="01.2",
    question=(f"Every local factor equals {_FACTOR}. After how many steps T is the "
              f"gradient dh_T/dh_0 = {_FACTOR}^T smaller than {_TOL:g} for the first time?"),
    grade=number_grader(
        _STEPS, rel_tol=0.0, abs_tol=1e-9,
        hints=[
            (lambda v: v == _STEPS - 1, f"{_FACTOR}^{_STEPS - 1} is still just above {_TOL:g}."),
            (lambda v: abs(v - math.log(_TOL) / math.log(_FACTOR)) < 0.01,
             "T counts steps, so it is a whole number: round up."),
        ],
    ),
    solution=_STEPS,
    explanation=(
        f"{_FACTOR}^T < {_TOL:g}  <=>  T > log({_TOL:g}) / log({_FACTOR}) = "
        f"{math.log(_TOL) / math.log(_FACTOR):.2f}, so T = {_STEPS}."
    ),
))


# 01.3: dh_T/dh_0 from a trajectory, as a product of local factors.
def gradient_through_time(w: float, states: np.ndarray) -> float:
    """dh_T/dh_0 for h_t = tanh(w h_(t-1) + x_t), given the states h_1..h_T."""
    states = np.asarray(states, dtype=np.float64)
    return float(np.prod(w * (1.0 - states**2)))


def _close(a, b) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=1e-6))


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
