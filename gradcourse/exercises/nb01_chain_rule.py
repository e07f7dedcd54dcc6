"""Exercises of notebook 01 (the chain rule)."""

from __future__ import annotations

import math

import numpy as np

from gradcourse._validate import require_array, require_float, require_int
from gradcourse.exercises.core import (
    Exercise,
    Variants,
    function_grader,
    near,
    number_grader,
    register,
    register_variants,
    significant,
)


# 01.1: the local factor of the scalar tanh recurrence.
def _exercise_01_1(w: float, a: float) -> Exercise:
    factor = w * (1 - math.tanh(a) ** 2)
    return Exercise(
        key="01.1",
        question=(
            f"For h_t = tanh(w h_(t-1) + x_t) with w = {w}, the pre-activation "
            f"is a_t = {a}. What is the local factor dh_t/dh_(t-1)?"
        ),
        grade=number_grader(  # no precision asked: 3 significant digits (1.57)
            factor,
            hints=[
                (
                    near(1 - math.tanh(a) ** 2),
                    "the chain rule also multiplies by d a_t / d h_(t-1) = w.",
                ),
                (near(w * (1 - a**2)), "tanh'(a) = 1 - tanh(a)^2, not 1 - a^2."),
                (near(w * math.tanh(a)), "that is w * tanh(a); you need w * tanh'(a)."),
            ],
        ),
        solution=factor,
        explanation=(
            "dh_t/dh_(t-1) = tanh'(a_t) * w = (1 - tanh(a_t)^2) * w\n"
            f"             = (1 - tanh({a})^2) * {w} = {factor:.4f}"
        ),
    )


register_variants(
    Variants(
        base={"w": 2.0, "a": 0.5},
        draw=lambda rng: {
            "w": round(float(rng.uniform(1.2, 3.0)), 1),
            "a": round(float(rng.uniform(0.2, 0.95)), 2),
        },
        build=_exercise_01_1,
        mistakes=lambda w, a: [
            (significant(1 - math.tanh(a) ** 2), "d a_t / d h_(t-1) = w"),
            (significant(w * (1 - a**2)), "not 1 - a^2"),
            (significant(w * math.tanh(a)), "you need w * tanh'(a)"),
        ],
    )
)


# 01.2: how many steps until a product of equal factors drops below a tolerance.
def _exercise_01_2(factor: float, tol: float) -> Exercise:
    ratio = math.log(tol) / math.log(factor)  # 65.56 for 0.9 and 1e-3: T must exceed it
    steps = math.ceil(ratio)
    return Exercise(
        key="01.2",
        question=(
            f"Every local factor equals {factor}. After how many steps T is the "
            f"gradient dh_T/dh_0 = {factor}^T smaller than {tol:g} for the first time?"
        ),
        grade=number_grader(  # a count: exactly
            steps,
            whole=True,
            hints=[
                (
                    lambda v: v == steps - 1,
                    f"{factor}^{steps - 1} is still just above {tol:g}.",
                ),
                (
                    lambda v: v == steps + 1,
                    f"{factor}^{steps} is already below {tol:g}: that is the first time.",
                ),
                (near(ratio), "T counts steps, so it is a whole number: round up."),
            ],
        ),
        solution=steps,
        explanation=(
            f"{factor}^T < {tol:g}  <=>  T > log({tol:g}) / "
            f"log({factor}) = {ratio:.2f}, so T = {steps}."
        ),
    )


def _mistakes_01_2(factor: float, tol: float) -> list[tuple[float, str]]:
    ratio = math.log(tol) / math.log(factor)
    return [
        (math.ceil(ratio) - 1, "is still just above"),
        (math.ceil(ratio) + 1, "that is the first time"),
        (significant(ratio), "round up"),
    ]


register_variants(
    Variants(
        base={"factor": 0.9, "tol": 1e-3},
        draw=lambda rng: {
            "factor": round(float(rng.uniform(0.8, 0.97)), 2),
            "tol": float(rng.choice([1e-2, 1e-3, 1e-4])),
        },
        build=_exercise_01_2,
        mistakes=_mistakes_01_2,
    )
)


def _close(a: float, b: float) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=1e-6))


# 01.3: the gradient that reaches an input x_t (the notebook shows dh_T/dh_0 on screen).
def gradient_to_input(w: float, states: np.ndarray, t: int) -> float:
    """dh_T/dx_t for h_t = tanh(w h_(t-1) + x_t), given the states h_1..h_T and 1 <= t <= T."""
    w = require_float("w", w)
    states = require_array("states", states, ndim=1)
    t = require_int("t", t, minimum=1)
    if t > len(states):
        raise ValueError(f"t must be at most T = {len(states)}, got {t}")
    # x_t enters a_t directly (factor 1 - h_t^2, no w); each later step adds w (1 - h_j^2).
    return float((1.0 - states[t - 1] ** 2) * np.prod(w * (1.0 - states[t:] ** 2)))


_rng = np.random.default_rng(11)
_CASES = [
    (0.9, np.tanh(_rng.normal(size=10)), 4),
    (1.6, np.tanh(_rng.normal(size=8)), 1),
    (-1.1, np.tanh(_rng.normal(size=6)), 6),
]
register(
    Exercise(
        key="01.3",
        question=(
            "Write gradient_to_input(w, states, t) returning dh_T/dx_t for h_t = tanh(w h_(t-1) "
            "+ x_t), where states holds h_1, ..., h_T (states[0] is h_1) and 1 <= t <= T."
        ),
        grade=function_grader(
            gradient_to_input,
            _CASES,
            hints=[
                (
                    lambda args, got: _close(got, args[0] * gradient_to_input(*args)),
                    "x_t enters a_t directly: dh_t/dx_t = 1 - h_t^2 has no factor w.",
                ),
                (
                    lambda args, got: _close(
                        got, np.prod(args[0] * (1.0 - args[1][args[2] :] ** 2))
                    ),
                    "that is dh_T/dh_t; the chain starts one "
                    "link earlier, with dh_t/dx_t = 1 - h_t^2.",
                ),
                (
                    lambda args, got: _close(
                        got, gradient_to_input(args[0], args[1][1:], args[2])
                    ),  # h_t read as states[t]
                    "states[0] is h_1, so h_t is states[t - 1].",
                ),
                (
                    lambda args, got: _close(got, np.prod(args[0] * (1.0 - args[1] ** 2))),
                    "that is dh_T/dh_0 (section 2); x_t only passes through steps t..T.",
                ),
            ],
        ),
        solution=gradient_to_input,
        explanation=(
            "x_t enters a_t directly, so dh_t/dx_t = 1 - h_t^2; "
            "each later step j = t+1..T adds w (1 - h_j^2):\n"
            "\n"
            "def gradient_to_input(w, states, t):\n"
            "    states = np.asarray(states, dtype=float)\n"
            "    return float((1 - states[t - 1] ** 2) * np.prod(w * (1 - states[t:] ** 2)))"
        ),
    )
)
