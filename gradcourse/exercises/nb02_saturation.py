"""Exercises of notebook 02 (saturation)."""

from __future__ import annotations

import math
from statistics import NormalDist

from gradcourse.activations import SATURATION_MARGIN
from gradcourse.exercises.core import (
    Exercise,
    Variants,
    near,
    number_grader,
    register_variants,
    significant,
)


# 02.1: the derivative bound of a scaled sigmoid.
def _exercise_02_1(k: float) -> Exercise:
    return Exercise(
        key="02.1",
        question=f"What is the largest value of the derivative of x -> sigmoid({k:g} x)?",
        grade=number_grader(  # no precision asked: 3 significant digits (0.750)
            k / 4,
            hints=[
                (
                    near(0.25),
                    f"the chain rule adds a factor {k:g} from the inner function {k:g}x.",
                ),
                (near(k), "sigmoid' itself is at most 1/4."),
                (
                    near(0.25 / k),
                    f"the chain rule multiplies by the inner derivative {k:g}; it does not divide.",
                ),
                (
                    near(0.5),
                    "sigmoid(0) = 0.5 is the function's value; "
                    "the question asks for its derivative.",
                ),
            ],
        ),
        solution=k / 4,
        explanation=(
            f"d/dx sigmoid({k:g}x) = {k:g} sigmoid'({k:g}x) <= {k:g} * 1/4 = "
            f"{k / 4:g}, reached at x = 0. Scaling the input scales the bound."
        ),
    )


register_variants(
    Variants(
        base={"k": 3.0},
        draw=lambda rng: {"k": round(float(rng.uniform(1.5, 8.0)), 1)},
        build=_exercise_02_1,
        mistakes=lambda k: [
            (0.25, "from the inner function"),
            (k, "at most 1/4"),
            (significant(0.25 / k), "it does not divide"),
            (0.5, "the function's value"),
        ],
    )
)

# 02.2: the largest pre-activation scale that keeps tanh units out of saturation.
_THRESHOLD = round(1 - SATURATION_MARGIN, 6)  # 0.97, the course's saturation threshold
_Z = math.atanh(_THRESHOLD)  # |tanh z| > 0.97  <=>  |z| > atanh(0.97)


def _exercise_02_2(fraction: float) -> Exercise:
    quantile = NormalDist().inv_cdf(1 - fraction / 2)
    scale = _Z / quantile
    return Exercise(
        key="02.2",
        question=(
            "Pre-activations are z ~ N(0, s^2). What is the largest s for which at most "
            f"{fraction:.0%} of tanh units are saturated (|tanh z| > {_THRESHOLD})?"
        ),
        grade=number_grader(  # no precision asked: 3 significant digits (1.07)
            scale,
            hints=[
                (
                    near(_Z),
                    f"atanh({_THRESHOLD}) = {_Z:.3f} is the threshold on "
                    "z; s must put it at the right quantile of N(0, s^2).",
                ),
                (
                    near(_Z / NormalDist().inv_cdf(1 - fraction)),
                    "saturation happens on both sides: use the two-sided quantile "
                    f"(1 - {fraction:g}/2).",
                ),
                (
                    near(_THRESHOLD / quantile),
                    f"{_THRESHOLD} bounds tanh(z), not z: the "
                    f"threshold on z is atanh({_THRESHOLD}).",
                ),
            ],
        ),
        solution=scale,
        explanation=(
            f"|tanh z| > {_THRESHOLD}  <=>  |z| > atanh({_THRESHOLD}) = {_Z:.4f}.\n"
            f"P(|z| > {_Z:.4f}) = {fraction}  <=>  {_Z:.4f} / s = "
            f"{quantile:.4f} (the {1 - fraction / 2:.1%} quantile of N(0, 1)),\n"
            f"so s = {scale:.4f}. Weights whose pre-activations "
            "have std about 1 keep tanh out of saturation."
        ),
    )


register_variants(
    Variants(
        base={"fraction": 0.05},
        # 2% to 10%: s stays between 0.90 and 1.27, "std about 1" stays right.
        draw=lambda rng: {"fraction": int(rng.integers(2, 11)) / 100},
        build=_exercise_02_2,
        mistakes=lambda fraction: [
            (significant(_Z), "the threshold on z"),
            (significant(_Z / NormalDist().inv_cdf(1 - fraction)), "two-sided quantile"),
            (
                significant(_THRESHOLD / NormalDist().inv_cdf(1 - fraction / 2)),
                "bounds tanh(z), not z",
            ),
        ],
    )
)
