"""Exercises of notebook 09 (shortcuts through time, and the curse of memory)."""

from __future__ import annotations

from gradcourse.exercises.core import (
    Exercise,
    Variants,
    choice_grader,
    number_grader,
    register,
    register_variants,
    significant,
)


# 09.1: the variance of a linear recurrence's state (the curse of memory, first half).
def _exercise_09_1(alpha: float) -> Exercise:
    variance = 1 / (1 - alpha**2)
    return Exercise(
        key="09.1",
        question=(
            "h_t = alpha * h_(t-1) + x_t with independent inputs of mean 0 and variance 1, "
            f"alpha = {alpha}, run for a very long time. What is the variance of h_t? "
            "(3 significant digits)"
        ),
        grade=number_grader(
            variance,
            digits=3,
            hints=[
                (
                    lambda v: abs(v - 1 / (1 - alpha)) < 0.05,
                    "that is 1/(1 - alpha), the sum of alpha^k; "
                    "the variance sums the squares, alpha^(2k).",
                ),
                (
                    lambda v: abs(v - 1.0) < 0.05,
                    "the state adds up many past inputs, each "
                    "weighted by alpha^k: its variance is larger than one input's.",
                ),
            ],
        ),
        solution=round(variance, 2),
        explanation=(
            f"{variance:.3g}. h_t = sum_k alpha^k x_(t-k), and independent terms add their "
            "variances:\n"
            f"sum_k alpha^(2k) = 1 / (1 - alpha^2) = 1 / {1 - alpha**2:.4g}. The notebook checks "
            "this law by\n"
            "simulation at several alpha; the LRU's beta = sqrt(1 - alpha^2) divides it out."
        ),
    )


register_variants(
    Variants(
        base={"alpha": 0.9},
        draw=lambda rng: {"alpha": round(float(rng.uniform(0.5, 0.98)), 2)},
        build=_exercise_09_1,
        mistakes=lambda alpha: [
            (significant(1 / (1 - alpha)), "the sum of alpha^k"),
            (1.0, "larger than one input's"),
        ],
    )
)

# 09.2: the gradient through one mode of a linear recurrence.
register(
    Exercise(
        key="09.2",
        question=(
            "One eigenvalue of an LRU has |alpha| = 0.99. Over a lag of 100 steps, the gradient "
            "through that mode is multiplied by (in modulus): 'about 0.37', 'about 1e-44' or "
            "'exactly 1'?"
        ),
        grade=choice_grader(
            "about 0.37",
            ["about 0.37", "about 1e-44", "exactly 1"],
            hints={
                "about 1e-44": "that is what a factor of about 0.36 per step would give (a "
                "vanishing SimpleRNN); here the factor per step is alpha itself.",
                "exactly 1": "|alpha| < 1: each step multiplies by 0.99, and 100 such factors "
                "make 0.99^100, not 1.",
            },
        ),
        solution="about 0.37",
        explanation=(
            "about 0.37. The recurrence is linear and diagonal, so ds_t/ds_(t-k) = alpha^k\n"
            "exactly, with no activation's derivative in between: 0.99^100 = 0.366. An\n"
            "eigenvalue close to 1 keeps a long lag reachable; the notebook compares Keras'\n"
            "gradient with this formula."
        ),
    )
)
