"""Exercises of notebook 08 (the myths on trial)."""

from __future__ import annotations

import math

import numpy as np

from gradcourse._validate import require_float, require_int
from gradcourse.exercises.core import (
    Exercise,
    Variants,
    choice_grader,
    function_grader,
    near,
    number_grader,
    register,
    register_variants,
    significant,
)


# 08.1: the mean-field growth factor chi of a ReLU RNN with W = g Q (variants: another share of
# active units, e.g. with the biases shifted).
def _exercise_08_1(active: float) -> Exercise:
    edge = math.sqrt(1 / active)  # chi = g^2 * E[relu'(a)^2] = g^2 * active = 1
    if active == 0.5:
        share = "half of its units are active"
        hints = [
            "with g = 1 half the units pass no gradient: chi = 1 * 1/2. "
            "The ReLU's mask costs a factor.",
            "chi grows with g squared: ||g Q||_F^2 / n = g^2, times E[f'^2] = 1/2.",
            "that puts chi at 1/4: the mask halves chi, so g^2 must double it.",
            "E[f'(a)^2] = 1/2 is the mask's share; the question asks for the gain g.",
        ]
        explanation = (
            "||g Q||_F^2 / n = g^2 (every singular value of g Q is g), and relu'(a)^2 is 1 on\n"
            "the active half, 0 on the other: E[f'(a)^2] = 1/2. chi = g^2 / 2 = 1 gives\n"
            "g = sqrt(2) = 1.414. At Keras' default (orthogonal, g = 1) chi = 1/2: a random\n"
            "direction shrinks by sqrt(1/2) per step. The identity escapes this average: its "
            "mask\ncommutes with I, so a unit that stays active keeps a gain of exactly 1."
        )
    else:
        share = f"a share {active:g} of its units are active"
        hints = [
            f"with g = 1 only a share {active:g} of the units pass the gradient: chi = 1 * "
            f"{active:g}. The ReLU's mask costs a factor.",
            f"chi grows with g squared: ||g Q||_F^2 / n = g^2, times E[f'^2] = {active:g}.",
            f"that puts chi at {active**2:g}: the mask multiplies chi by {active:g}, so g^2 "
            "must divide it out.",
            f"E[f'(a)^2] = {active:g} is the mask's share; the question asks for the gain g.",
        ]
        explanation = (
            "||g Q||_F^2 / n = g^2 (every singular value of g Q is g), and relu'(a)^2 is 1 on\n"
            f"the active units, 0 on the others: E[f'(a)^2] = {active:g}. chi = g^2 * "
            f"{active:g} = 1 gives\ng = 1 / sqrt({active:g}) = {edge:.3f}."
        )
    return Exercise(
        key="08.1",
        question=(
            "A ReLU RNN has the recurrent matrix W = g Q (Q orthogonal, n units), and at every "
            f"step {share}. With chi = (||W||_F^2 / n) E[f'(a)^2], which "
            "gain g puts chi at 1?"
        ),
        grade=number_grader(  # no precision asked: 3 significant digits (1.41)
            edge,
            hints=[
                (near(1.0), hints[0]),
                (near(1 / active), hints[1]),
                (near(math.sqrt(active)), hints[2]),
                (near(active), hints[3]),
            ],
        ),
        solution=edge,
        explanation=explanation,
    )


register_variants(
    Variants(
        base={"active": 0.5},
        draw=lambda rng: {"active": float(rng.choice([0.2, 0.3, 0.4, 0.6, 0.7, 0.8]))},
        build=_exercise_08_1,
        mistakes=lambda active: [
            (1.0, "The ReLU's mask costs a factor"),
            (significant(1 / active), "chi grows with g squared"),
            (significant(math.sqrt(active)), "that puts chi at"),
            (active, "is the mask's share"),
        ],
    )
)

# 08.2: what clipping does to the share of the gradient that comes from early steps.
register(
    Exercise(
        key="08.2",
        question=(
            "Global norm clipping rescales the gradient before the update. What does it do to "
            "the share of the update that comes from the first steps of a sequence, compared "
            "with the share of the last steps: 'larger', 'smaller' or 'unchanged'?"
        ),
        grade=choice_grader(
            "unchanged",
            ["larger", "smaller", "unchanged"],
            hints={
                "larger": "clipping multiplies the gradient by min(1, tau / ||grad||), "
                "never by more than 1.",
                "smaller": "the factor min(1, tau / ||grad||) is one number for the whole "
                "gradient: early and late contributions are scaled alike.",
            },
        ),
        solution="unchanged",
        explanation=(
            "unchanged. Pascanu et al.'s Algorithm 1 multiplies the whole gradient by one\n"
            "factor, min(1, tau / ||grad||) <= 1. Early and late contributions are scaled alike,\n"
            "so their ratio is what backpropagation made it: clipping cannot undo vanishing."
        ),
    )
)


# 08.3: transient growth of a non-normal matrix.
def peak_gain(radius: float, coupling: float, max_power: int) -> float:
    """The largest spectral norm ||W^k||_2 over k = 1..max_power, for the 2 x 2 matrix
    W = [[radius, coupling], [0, radius]] (both eigenvalues equal ``radius``)."""
    radius = require_float("radius", radius, minimum=0.0)
    coupling = require_float("coupling", coupling)
    max_power = require_int("max_power", max_power, minimum=1)
    W = np.array([[radius, coupling], [0.0, radius]])
    power, best = np.eye(2), 0.0
    for _ in range(max_power):
        power = power @ W
        best = max(best, float(np.linalg.norm(power, 2)))
    return best


def _matrix(args: tuple[float, float, int]) -> np.ndarray:
    radius, coupling, _ = args
    return np.array([[radius, coupling], [0.0, radius]])


def _off_diagonal_peak(args: tuple[float, float, int]) -> float:
    radius, coupling, max_power = args
    return max(abs(k * coupling * radius ** (k - 1)) for k in range(1, max_power + 1))


_PEAK_CASES = [(0.9, 3.0, 100), (0.5, 1.0, 10), (0.99, 0.5, 300), (0.8, 0.0, 20), (0.95, 2.0, 5)]
register(
    Exercise(
        key="08.3",
        question=(
            "W = [[r, c], [0, r]] has both eigenvalues equal to r. Write peak_gain(r, c, "
            "max_power) returning the largest spectral norm ||W^k||_2 over the powers "
            "k = 1, ..., max_power."
        ),
        grade=function_grader(
            peak_gain,
            _PEAK_CASES,
            hints=[
                (
                    lambda args, got: np.isclose(got, args[0]),
                    "r is the spectral radius; it says how W^k ends, not how large it gets on "
                    "the way: take the norms of the powers.",
                ),
                (
                    lambda args, got: np.isclose(got, np.linalg.norm(_matrix(args), 2)),
                    "that is ||W|| (k = 1); the off-diagonal entry of W^k is k c r^(k-1): the "
                    "peak comes later.",
                ),
                (
                    lambda args, got: np.isclose(got, _off_diagonal_peak(args)),
                    "that is the largest off-diagonal entry k c r^(k-1); the spectral norm of "
                    "W^k also counts the diagonal r^k.",
                ),
                (
                    lambda args, got: np.isclose(
                        got, np.linalg.norm(np.linalg.matrix_power(_matrix(args), args[2]), 2)
                    ),
                    "that is the norm of the last power only; the question asks for the "
                    "largest over k = 1..max_power.",
                ),
            ],
        ),
        solution=peak_gain,
        explanation=(
            "W^k = [[r^k, k c r^(k-1)], [0, r^k]]: the eigenvalues decay as r^k, the off-diagonal\n"
            "grows like k before r^(k-1) wins. Take the norm of every power:\n\n"
            "def peak_gain(r, c, max_power):\n"
            "    W = np.array([[r, c], [0.0, r]])\n"
            "    powers = (np.linalg.matrix_power(W, k) for k in range(1, max_power + 1))\n"
            "    return max(np.linalg.norm(P, 2) for P in powers)\n\n"
            "For r = 0.9, c = 3 the peak is about 11.6 at k = 9, although both eigenvalues are 0.9."
        ),
    )
)
