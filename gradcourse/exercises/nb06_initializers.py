"""Exercises of notebook 06 (initializers)."""

from __future__ import annotations

import math

from gradcourse.exercises.core import Exercise, choice_grader, number_grader, register

# 06.1: the Gaussian scale that puts the largest singular value at 1.
_N = 256
_STD = 1 / (2 * math.sqrt(_N))
_REL = 0.05  # the question says "about"; see below


def _about(target: float):
    return lambda value: math.isclose(value, target, rel_tol=_REL)


register(
    Exercise(
        key="06.1",
        question=(
            f"A {_N}-unit recurrent matrix is drawn from RandomNormal(stddev=s). "
            "About which s puts its largest singular value at 1?"
        ),
        # "About": accept every s whose predicted sigma_max = 2 s sqrt(n) rounds to 1.0, i.e.
        # s within +-5%. One drawn 256 x 256 matrix scatters by about +-3% around the
        # prediction, so a learner who measures instead of using the formula gets 0.0306-0.0324.
        grade=number_grader(
            _STD,
            tolerance=_REL * _STD,
            hints=[
                (
                    _about(1 / math.sqrt(_N)),
                    "s = 1/sqrt(n) puts the *spectral radius* at 1; "
                    "the largest singular value is about twice that.",
                ),
                (_about(1 / _N), "the singular values grow with sqrt(n), not n."),
                (
                    _about(0.05),
                    f"0.05 is Keras' default stddev; at n = {_N} it gives sigma_max about 1.6.",
                ),
            ],
        ),
        solution=_STD,
        explanation=(
            "sigma_max is about 2 s sqrt(n) (Marchenko-Pastur "
            f"edge), so s = 1 / (2 sqrt({_N})) = {_STD:.4f}.\n"
            "Keras' RandomNormal default, stddev 0.05, gives about 1.6 at this width."
        ),
    )
)

# 06.2: explain a row of the summary table.
register(
    Exercise(
        key="06.2",
        question=(
            "glorot_uniform gives a recurrent matrix with largest singular value about 2, above "
            "1, yet the tanh gradient still vanished over 100 steps. Why? 'A': sigma_max > "
            "1/gamma is necessary for explosion, not sufficient; 'B': Glorot's weights are all "
            "below one, so the gradient must vanish; 'C': the singular value was computed "
            "wrongly."
        ),
        grade=choice_grader(
            "A",
            ["A", "B", "C"],
            hints={
                "b": (
                    "small weights are the scalar intuition; a matrix "
                    "with entries below one can still have sigma_max = 2."
                ),
                "c": (
                    "the random-matrix prediction 2 s sqrt(n) matches "
                    "the measured value: the number is right."
                ),
            },
        ),
        solution="A",
        explanation=(
            "A. Pascanu et al.: sigma_max > 1/gamma allows "
            "explosion, it does not cause it. Most of\n"
            "glorot's singular values are below 1 and tanh' "
            "< 1 on saturated units, so the product shrinks."
        ),
    )
)
