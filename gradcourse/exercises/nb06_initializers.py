"""Exercises of notebook 06 (initializers)."""

from __future__ import annotations

import functools
import math

import numpy as np

from gradcourse.exercises.core import (
    Exercise,
    Measurement,
    Variants,
    choice_grader,
    measured_choice,
    number_grader,
    prediction_grader,
    register,
    register_variants,
    significant,
)
from gradcourse.rnn import gradient_norm_vs_lag

# 06.1: the Gaussian scale that puts the largest singular value at 1.
_REL = 0.05  # the question says "about"; see below
_KERAS_STD = 0.05  # Keras' RandomNormal default


def _about(target: float):
    return lambda value: math.isclose(value, target, rel_tol=_REL)


def _exercise_06_1(n: int) -> Exercise:
    std = 1 / (2 * math.sqrt(n))
    keras_sigma = 2 * _KERAS_STD * math.sqrt(n)
    return Exercise(
        key="06.1",
        question=(
            f"A {n}-unit recurrent matrix is drawn from RandomNormal(stddev=s). "
            "About which s puts its largest singular value at 1?"
        ),
        # "About": accept every s whose predicted sigma_max = 2 s sqrt(n) rounds to 1.0, i.e.
        # s within +-5%. One drawn 256 x 256 matrix scatters by about +-3% around the
        # prediction, so a learner who measures instead of using the formula gets 0.0306-0.0324.
        grade=number_grader(
            std,
            tolerance=_REL * std,
            hints=[
                (
                    _about(1 / math.sqrt(n)),
                    "s = 1/sqrt(n) puts the *spectral radius* at 1; "
                    "the largest singular value is about twice that.",
                ),
                (_about(1 / n), "the singular values grow with sqrt(n), not n."),
                (
                    _about(_KERAS_STD),
                    f"0.05 is Keras' default stddev; at n = {n} it gives sigma_max about "
                    f"{keras_sigma:.2g}.",
                ),
            ],
        ),
        solution=std,
        explanation=(
            "sigma_max is about 2 s sqrt(n) (Marchenko-Pastur "
            f"edge), so s = 1 / (2 sqrt({n})) = {std:.4f}.\n"
            f"Keras' RandomNormal default, stddev 0.05, gives about {keras_sigma:.2g} at this "
            "width."
        ),
    )


register_variants(
    Variants(
        base={"n": 256},
        # Widths of 64 and more: the Marchenko-Pastur edge is then within a few percent.
        draw=lambda rng: {"n": 32 * int(rng.integers(2, 33))},
        build=_exercise_06_1,
        mistakes=lambda n: [
            (significant(1 / math.sqrt(n)), "*spectral radius*"),
            (significant(1 / n), "grow with sqrt(n)"),
            (0.05, "Keras' default stddev"),
        ],
    )
)

# 06.2: explain a row of the summary table.
register(
    Exercise(
        key="06.2",
        question=(
            "glorot_uniform gives a recurrent matrix with largest singular value about 2, above "
            "1, yet the tanh gradient still vanished over 100 steps. Why? 'A': sigma_max > "
            "1/gamma only allows growth; on average a step multiplies the squared norm by "
            "chi = (||W||_F^2 / n) E[tanh'(a)^2], and the pre-activations' spread onto tanh's "
            "flat parts puts chi well below 1; 'B': Glorot's "
            "weights are all below one, so the gradient must vanish; 'C': most of its singular "
            "values are below one, so the product shrinks."
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
                    "counting singular values below one does not decide a product: glorot's "
                    "mean squared singular value ||W||_F^2 / n is about 1, and without tanh's "
                    "squashing (zero input) the same matrix makes the gradient grow."
                ),
            },
        ),
        solution="A",
        explanation=(
            "A. Pascanu et al.: sigma_max > 1/gamma allows explosion, it does not cause it.\n"
            "Section 2 measures glorot's ||W||_F^2 / n at about 1 (neutral on average) and\n"
            "chi below 0.6: the pre-activations spread onto tanh's flatter parts, so\n"
            "E[tanh'(a)^2] is well below 1 (tanh' < 1 alone would only give chi < 1) and the\n"
            "average step shrinks the gradient."
        ),
    )
)


# 06.3 (predict, then measure): the ReLU RNN with the identity shrunk to 0.95. Variants draw
# the gain from 0.85 to 0.95: the norm at lag 100 was exactly 0 for seeds 0-4 at every such
# gain (at 0.97 a unit of seed 2 stays active, and the answer would be 'A').
SHRUNK_GAIN, _WIDTH, _LAG = 0.95, 128, 100
#: Notebook 06's setting of this experiment: the width n and the lag of section 2's probe.
IDENTITY_WIDTH, IDENTITY_LAG = _WIDTH, _LAG
_BY_GAIN = SHRUNK_GAIN**_LAG  # 0.0059


def measure_shrunk_identity(seed: int = 0, gain: float = SHRUNK_GAIN) -> Measurement:
    """Exercise 06.3's experiment, as notebook 06 runs it: ||dh_100/dh_0|| of a ReLU RNN
    with W_hh = gain I (0.95 I, or a variant's), driven by N(0, 1) inputs."""
    norms = gradient_norm_vs_lag(gain * np.eye(_WIDTH), _LAG, "relu", seed=seed)
    return Measurement(float(norms[_LAG]), gain=gain)


def _regime(gain: float):
    by_gain = gain**_LAG

    def which_regime(norm: float) -> str | None:
        if norm == 0.0:
            return "B"
        if norm > 0.5:
            return "C"
        return "A" if by_gain / 3 < norm < 3 * by_gain else None

    return which_regime


_which_regime = _regime(SHRUNK_GAIN)


def _exercise_06_3(gain: float) -> Exercise:
    by_gain = gain**_LAG
    return Exercise(
        key="06.3",
        question=(
            f"Change section 2's IRNN: W_hh = {gain:g} I instead of I (ReLU, the same "
            f"inputs). Predict ||dh_{_LAG}/dh_0||: 'A' about {gain:g}^{_LAG} = "
            f"{by_gain:.1e}; 'B' exactly 0; 'C' above 0.5, like the identity. Then measure it."
        ),
        grade=prediction_grader(
            {"gain": gain},
            measured_choice(
                ("A", "B", "C"),
                _regime(gain),
                lambda norm: f"||dh_{_LAG}/dh_0|| = {norm:.3g}",
                hints={
                    "A": (
                        f"{gain:g}^{_LAG} is what a unit that stays active for all "
                        f"{_LAG} steps would pass; did any unit stay active? With gain "
                        f"{gain:g} the state forgets its past and every unit dips "
                        "below zero at some step."
                    ),
                    "C": (
                        "below 1 the product of the steps shrinks; and ReLU can only "
                        "multiply by 0 or 1 on top of that."
                    ),
                },
            ),
        ),
        solution="B",
        explanation=(
            "With W_hh = g I, dh_t/dh_(t-1) = g D_t, where D_t is diagonal: 1 for an active\n"
            "unit, 0 for an inactive one. Diagonal matrices commute with I, so\n"
            f"dh_{_LAG}/dh_0 = g^{_LAG} D_{_LAG} ... D_1: unit i passes g^{_LAG} if it was active "
            f"at all\n{_LAG} steps, and 0 otherwise. With g = 1 the state is a running sum of "
            "the inputs:\na unit that drifts positive stays active, and the gradient is exactly "
            f"1. With\ng = {gain:g} the state forgets its past within about 1 / (1 - {gain:g}) = "
            f"{1 / (1 - gain):.0f} steps, so it\nfollows the noisy inputs: each unit dips below "
            "zero at some step, and the\ngradient is exactly 0."
        ),
        measure=functools.partial(measure_shrunk_identity, gain=gain),
    )


register_variants(
    Variants(
        base={"gain": SHRUNK_GAIN},
        draw=lambda rng: {"gain": round(float(rng.uniform(0.85, 0.95)), 2)},
        build=_exercise_06_3,
        mistakes=lambda gain: [("A", "did any unit stay active"), ("C", "below 1 the product")],
        run=lambda gain: Measurement(0.0, gain=gain),
    )
)
