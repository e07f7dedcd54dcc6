"""Exercises of notebook 02 (saturation)."""

from __future__ import annotations

import math
from statistics import NormalDist

from gradcourse.activations import SATURATION_MARGIN
from gradcourse.exercises.core import Exercise, near, number_grader, register

# 02.1: the derivative bound of a scaled sigmoid.
_K = 3.0
register(
    Exercise(
        key="02.1",
        question=f"What is the largest value of the derivative of x -> sigmoid({_K:g} x)?",
        grade=number_grader(  # no precision asked: 3 significant digits (0.750)
            _K / 4,
            hints=[
                (
                    near(0.25),
                    f"the chain rule adds a factor {_K:g} from the inner function {_K:g}x.",
                ),
                (near(_K), "sigmoid' itself is at most 1/4."),
                (
                    near(0.25 / _K),
                    "the chain rule multiplies by the inner "
                    f"derivative {_K:g}; it does not divide.",
                ),
                (
                    near(0.5),
                    "sigmoid(0) = 0.5 is the function's value; "
                    "the question asks for its derivative.",
                ),
            ],
        ),
        solution=_K / 4,
        explanation=(
            f"d/dx sigmoid({_K:g}x) = {_K:g} sigmoid'({_K:g}x) <= {_K:g} * 1/4 = "
            f"{_K / 4:g}, reached at x = 0. Scaling the input scales the bound."
        ),
    )
)

# 02.2: the largest pre-activation scale that keeps tanh units out of saturation.
_THRESHOLD = round(1 - SATURATION_MARGIN, 6)  # 0.97, the course's saturation threshold
_FRACTION = 0.05
_Z = math.atanh(_THRESHOLD)  # |tanh z| > 0.97  <=>  |z| > atanh(0.97)
_QUANTILE = NormalDist().inv_cdf(1 - _FRACTION / 2)
_SCALE = _Z / _QUANTILE
register(
    Exercise(
        key="02.2",
        question=(
            "Pre-activations are z ~ N(0, s^2). What is the largest s for which at most "
            f"{_FRACTION:.0%} of tanh units are saturated (|tanh z| > {_THRESHOLD})?"
        ),
        grade=number_grader(  # no precision asked: 3 significant digits (1.07)
            _SCALE,
            hints=[
                (
                    near(_Z),
                    f"atanh({_THRESHOLD}) = {_Z:.3f} is the threshold on "
                    "z; s must put it at the right quantile of N(0, s^2).",
                ),
                (
                    near(_Z / NormalDist().inv_cdf(1 - _FRACTION)),
                    "saturation happens on both sides: use the two-sided quantile (1 - 0.05/2).",
                ),
                (
                    near(_THRESHOLD / _QUANTILE),
                    f"{_THRESHOLD} bounds tanh(z), not z: the "
                    f"threshold on z is atanh({_THRESHOLD}).",
                ),
            ],
        ),
        solution=_SCALE,
        explanation=(
            f"|tanh z| > {_THRESHOLD}  <=>  |z| > atanh({_THRESHOLD}) = {_Z:.4f}.\n"
            f"P(|z| > {_Z:.4f}) = {_FRACTION}  <=>  {_Z:.4f} / s = "
            f"{_QUANTILE:.4f} (the 97.5% quantile of N(0, 1)),\n"
            f"so s = {_SCALE:.4f}. Weights whose pre-activations "
            "have std about 1 keep tanh out of saturation."
        ),
    )
)
