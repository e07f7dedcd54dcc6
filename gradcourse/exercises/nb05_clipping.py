"""Exercises of notebook 05 (exploding gradients and clipping)."""

from __future__ import annotations

import functools
import math

import numpy as np

from gradcourse._validate import require_float, require_int
from gradcourse.exercises.core import (
    Exercise,
    Measurement,
    Variants,
    choice_grader,
    function_grader,
    measured_choice,
    near,
    number_grader,
    prediction_grader,
    register,
    register_variants,
    significant,
)


# 05.1: what clipping bounds is the step, which momentum amplifies.
def _geometric(momentum: float, terms: int) -> float:
    """1 + momentum + ... + momentum^(terms - 1)."""
    return sum(momentum**j for j in range(terms))


def largest_step(learning_rate: float, max_norm: float, momentum: float, steps: int) -> float:
    """The largest norm of Keras' SGD update v after ``steps`` steps with global_clipnorm=max_norm.

    Keras: v <- momentum * v - learning_rate * g, w <- w + v, from v = 0. With ||g|| <= max_norm,
    ||v_k|| <= learning_rate * max_norm * (1 + momentum + ... + momentum^(k-1)), reached when
    every clipped gradient points the same way.
    """
    learning_rate = require_float("learning_rate", learning_rate, minimum=0.0, strict_minimum=True)
    max_norm = require_float("max_norm", max_norm, minimum=0.0, strict_minimum=True)
    momentum = require_float("momentum", momentum, minimum=0.0)
    steps = require_int("steps", steps, minimum=1)
    if momentum >= 1:
        raise ValueError(f"momentum must be below 1, got {momentum}")
    return learning_rate * max_norm * _geometric(momentum, steps)


_STEP_CASES = [(0.01, 1.0, 0.9, 30), (0.1, 2.0, 0.5, 3), (0.05, 0.5, 0.99, 200), (1.0, 1.0, 0.0, 5)]
register(
    Exercise(
        key="05.1",
        question=(
            "Keras' SGD(learning_rate, momentum) updates v <- momentum * v - learning_rate * "
            "grad and w <- w + v, starting from v = 0; with global_clipnorm=max_norm every grad "
            "has "
            "norm at most max_norm. Write largest_step(learning_rate, max_norm, momentum, "
            "steps) returning the largest possible norm of the update v after `steps` steps."
        ),
        grade=function_grader(
            largest_step,
            _STEP_CASES,
            hints=[
                (
                    lambda args, got: np.isclose(got, args[0] * args[1]),
                    "that is the first step; momentum keeps adding the earlier clipped gradients.",
                ),
                (
                    lambda args, got: np.isclose(got, args[0] * args[1] / (1 - args[2])),
                    "lr * max_norm / (1 - momentum) is the limit for "
                    "many steps; after `steps` steps the sum is finite.",
                ),
                (
                    lambda args, got: (
                        np.isclose(got, args[0] * args[1] * _geometric(args[2], args[3] + 1))
                        or np.isclose(got, args[0] * args[1] * _geometric(args[2], args[3] - 1))
                    ),
                    "after k steps v holds k gradients: momentum^0 ... momentum^(k-1).",
                ),
                (
                    lambda args, got: np.isclose(got, args[1] * _geometric(args[2], args[3])),
                    "every gradient enters v multiplied by the learning rate.",
                ),
            ],
        ),
        solution=largest_step,
        explanation=(
            "v_k = -lr (grad_k + momentum grad_(k-1) + ... + momentum^(k-1) "
            "grad_1), and each ||grad|| <= max_norm; the bound\n"
            "is reached when all clipped gradients point the same way:\n"
            "\n"
            "def largest_step(learning_rate, max_norm, momentum, steps):\n"
            "    return learning_rate * max_norm * (1 - momentum**steps) / (1 - momentum)\n"
            "\n"
            "With lr 0.01 and momentum 0.9 (notebook 05) a "
            "step can reach 10x lr * max_norm: choose the\n"
            "threshold together with the learning rate."
        ),
    )
)

# 05.2: which clipping keeps the direction.
register(
    Exercise(
        key="05.2",
        question=(
            "A model has several weight tensors. Which optimizer setting always keeps the "
            "direction of the full gradient: 'clipvalue', 'clipnorm' or 'global_clipnorm'?"
        ),
        grade=choice_grader(
            "global_clipnorm",
            ["clipvalue", "clipnorm", "global_clipnorm"],
            hints={
                "clipvalue": (
                    "clipping elements one by one changes their ratios, so the direction changes."
                ),
                "clipnorm": (
                    "Keras' clipnorm rescales each variable by its "
                    "own factor: the ratios between variables change."
                ),
            },
        ),
        solution="global_clipnorm",
        explanation=(
            "global_clipnorm multiplies every gradient by "
            "the same factor, so the full gradient keeps\n"
            "its direction. clipnorm uses one factor per variable, clipvalue clips element-wise."
        ),
    )
)


# 05.3: clip a 2-D gradient by norm.
def _exercise_05_3(g1: float, g2: float, c: float) -> Exercise:
    norm = math.hypot(g1, g2)
    first, second = g1 * c / norm, g2 * c / norm
    return Exercise(
        key="05.3",
        question=(
            f"The gradient is grad = {(g1, g2)} and global_clipnorm = "
            f"{c:g}. What is the first component after clipping?"
        ),
        grade=number_grader(  # no precision asked: 3 significant digits (0.600)
            first,
            hints=[
                (
                    near(c),
                    f"that is clipvalue = {c:g}; norm clipping rescales the whole vector.",
                ),
                (
                    near(g1),
                    f"the norm of grad is {norm:.4g}, above the threshold: it must be rescaled.",
                ),
                (
                    near(g1 * c / norm**2),
                    f"divide by the norm ({norm:.4g}), not by its square.",
                ),
                (
                    near(second),
                    "that is the second component; the question asks for the first.",
                ),
                (
                    near(c / norm),
                    f"that is the common scale {c:g}/{norm:.4g}; multiply the first component "
                    "by it.",
                ),
            ],
        ),
        solution=first,
        explanation=(
            f"||grad|| = {norm:.4g} > {c:g}, so grad <- {c:g}/{norm:.4g} * grad = "
            f"({first:.4g}, {second:.4g}): the first component is {first:.4g}."
        ),
    )


register_variants(
    Variants(
        base={"g1": 3.0, "g2": 4.0, "c": 1.0},
        draw=lambda rng: {
            "g1": float(rng.integers(1, 13)),
            "g2": float(rng.integers(1, 13)),
            "c": float(rng.choice([0.5, 1.0, 2.0, 3.0])),
        },
        build=_exercise_05_3,
        mistakes=lambda g1, g2, c: [
            (min(g1, c), "that is clipvalue"),  # keeps only draws with g1 > c
            (g1, "it must be rescaled"),
            (significant(g1 * c / (g1**2 + g2**2)), "not by its square"),
            (significant(g2 * c / math.hypot(g1, g2)), "the second component"),
            (significant(c / math.hypot(g1, g2)), "the common scale"),
        ],
    )
)


# 05.4 (predict, then measure): the unclipped IRNN exactly at the edge, gain 1. Variants draw
# the gain from gains whose outcome did not depend on the seed (seeds 0-4): 0.9 and 0.92 stay
# finite, 1.0, 1.01 and 1.02 reach NaN. Between them the outcome is the seed's (at 0.93 seed
# 4 reached NaN; at 0.98 and 0.99 seed 0 stayed finite, seeds 1-4 did not).
EDGE_GAIN = 1.0
_OUTCOMES = ("NaN", "finite")
_OUTCOME_BY_GAIN = {0.9: "finite", 0.92: "finite", 1.0: "NaN", 1.01: "NaN", 1.02: "NaN"}

#: Notebook 05's section 1 setting, which 05.4 changes (the notebook's ``T, N_TRAIN, EPOCHS,
#: BATCH``, its ``irnn`` and its SGD; a test compares them with the notebook's source).
IRNN_LENGTH, IRNN_TRAIN, IRNN_EPOCHS, IRNN_BATCH, IRNN_UNITS = 30, 2_000, 15, 50, 32
IRNN_LEARNING_RATE, IRNN_MOMENTUM = 0.01, 0.9


def irnn_train_seed(seed: int) -> int:
    """The data seed of notebook 05's training set (``adding_problem(..., seed=10 * SEED + 1)``)."""
    return 10 * seed + 1


def measure_unclipped_run(seed: int = 0, gain: float = EDGE_GAIN) -> Measurement:
    """Exercise 05.4's experiment, as notebook 05 runs it: the IRNN of section 1 with the
    recurrent gain changed, trained unclipped; measured: the first non-finite step or None."""
    from gradcourse._tensorflow import keras
    from gradcourse.models import build_recurrent_model
    from gradcourse.tasks import adding_problem
    from gradcourse.training import fit_logged

    train = adding_problem(IRNN_TRAIN, IRNN_LENGTH, seed=irnn_train_seed(seed))
    keras.utils.set_random_seed(seed)
    model = build_recurrent_model(
        "SimpleRNN",
        IRNN_LENGTH,
        2,
        units=IRNN_UNITS,
        activation="relu",
        recurrent_initializer=keras.initializers.Identity(gain=gain),
    )
    optimizer = keras.optimizers.SGD(learning_rate=IRNN_LEARNING_RATE, momentum=IRNN_MOMENTUM)
    log = fit_logged(model, train, IRNN_EPOCHS, IRNN_BATCH, optimizer)
    return Measurement(log.first_nan_step, gain=gain)


def _outcome(first_nan_step: object) -> str | None:
    if first_nan_step is None:
        return "finite"
    return "NaN" if isinstance(first_nan_step, int) and first_nan_step >= 0 else None


def _describe_run(first_nan_step: int | None) -> str:
    if first_nan_step is None:
        return "no NaN in the whole run"
    return f"a non-finite loss or gradient at step {first_nan_step}"


def _exercise_05_4(gain: float) -> Exercise:
    if gain == EDGE_GAIN:
        where = " (exactly at the edge)"
        bound = "lambda_1 = 1 does not bound anything either"
    elif gain < EDGE_GAIN:
        where = " (below the edge)"
        bound = f"lambda_1 = {gain:g} < 1 does not keep it finite either"
    else:
        where = " (just past the edge)"
        bound = f"lambda_1 = {gain:g} > 1 allows growth, and more"
    if gain == EDGE_GAIN:
        explanation = (
            "It still diverges. With W_hh = I a ReLU unit whose input drive is positive sums\n"
            "it over all 30 steps, so the output and the loss grow with T, and the first\n"
            "gradient norm is large (88 to 1,459 for seeds 0-2, against 10 to 51 at gain\n"
            "0.9). SGD with lr 0.01 and momentum 0.9\n"
            "then takes a step of several units, and the next forward pass overflows.\n"
            "The gain of 1.05 was not what made section 1 explode: the unbounded forward\n"
            "sums and the unclipped step were. (Try GAIN = 0.9 in the cell to see that run.)"
        )
    elif _OUTCOME_BY_GAIN[gain] == "NaN":
        explanation = (
            f"It diverges. With W_hh = {gain:g} I a ReLU unit whose input drive is positive "
            "sums it over\nthe 30 steps (forgetting little of it), so the output, the loss "
            "and the first gradient\nnorm are large; SGD with lr 0.01 and momentum 0.9 then "
            "takes a step of several units,\nand a later forward pass overflows. The gain "
            "near 1 does not decide it: the\nunbounded forward sums and the unclipped step do."
        )
    else:
        explanation = (
            f"It stays finite. With W_hh = {gain:g} I the state forgets its past within about "
            f"1 / (1 - {gain:g})\n= {1 / (1 - gain):.0f} steps, so a ReLU unit sums only the "
            "last few inputs: the output, the loss and\nthe first gradient norm stay moderate "
            "(10 to 51 at gain 0.9, seeds 0-2, against 88\nto 1,459 at gain 1), and SGD's "
            "steps do not overshoot. Between this gain and 1 the\noutcome depends on the seed."
        )
    return Exercise(
        key="05.4",
        question=(
            f"Change section 1's IRNN: recurrent gain {gain:g}{where} instead "
            "of 1.05, and train it without clipping. Predict whether the run reaches 'NaN' "
            "or stays 'finite', then run it."
        ),
        grade=prediction_grader(
            {"gain": gain},
            measured_choice(
                _OUTCOMES,
                _outcome,
                _describe_run,
                hints={
                    "finite": (
                        f"{bound}: ReLU units add up "
                        "their inputs over 30 steps, the first gradient is large, "
                        "and one SGD step of 0.01 times that (with momentum) overshoots."
                    ),
                    "nan": (
                        "here the run stayed finite: look at the first gradient norm of this "
                        "setting and the step it allows."
                    ),
                },
            ),
        ),
        solution=_OUTCOME_BY_GAIN[gain],
        explanation=explanation,
        measure=functools.partial(measure_unclipped_run, gain=gain),
    )


def _expected_run(gain: float) -> Measurement:
    # The run the table expects: NaN at some step (1 for seed 0 at gain 1), or none.
    return Measurement(1 if _OUTCOME_BY_GAIN[gain] == "NaN" else None, gain=gain)


register_variants(
    Variants(
        base={"gain": EDGE_GAIN},
        draw=lambda rng: {"gain": float(rng.choice(sorted(_OUTCOME_BY_GAIN)))},
        build=_exercise_05_4,
        mistakes=lambda gain: [
            ("finite", "ReLU units add up")
            if _OUTCOME_BY_GAIN[gain] == "NaN"
            else ("NaN", "stayed finite")
        ],
        run=_expected_run,
    )
)
