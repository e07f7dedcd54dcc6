"""Exercises of notebook 08b (more myths on trial)."""

from __future__ import annotations

from gradcourse.exercises.core import Exercise, choice_grader, register

# 08b.1: what a smaller learning rate does to the gradient.
register(
    Exercise(
        key="08b.1",
        question=(
            "With plain SGD, a model's gradient norm at its first step is 1e10. You divide the "
            "learning rate by 100 and start again from the same weights and batch. What happens "
            "to the gradient norm of that first step: 'larger', 'smaller' or 'unchanged'?"
        ),
        grade=choice_grader(
            "unchanged",
            ["larger", "smaller", "unchanged"],
            hints={
                "smaller": "the learning rate multiplies the step, eta * gradient; it is not "
                "part of the backward pass that computes the gradient.",
                "larger": "nothing in the backward pass depends on the learning rate.",
            },
        ),
        solution="unchanged",
        explanation=(
            "unchanged. Backpropagation computes the gradient from the weights and the batch;\n"
            "the learning rate only scales the step taken with it. The notebook's runs start\n"
            "with the same first gradient norm at every learning rate (asserted), and the step\n"
            "eta * ||grad L|| was still far too long at eta = 1e-6."
        ),
    )
)

# 08b.2: float32 against float64 for a vanishing gradient.
register(
    Exercise(
        key="08b.2",
        question=(
            "A tanh RNN's ||dh_100/dh_0|| is 1e-19 when computed in float64. Computed in "
            "float32 (smallest normal number about 1e-38), it is: 'about 1e-19', 'exactly 0' or "
            "'about 1'?"
        ),
        grade=choice_grader(
            "about 1e-19",
            ["about 1e-19", "exactly 0", "about 1"],
            hints={
                "exactly 0": "1e-19 is far above float32's smallest number, about 1e-38: "
                "nothing underflows yet.",
                "about 1": "the product of Jacobians shrinks in exact arithmetic; the number "
                "format only rounds each factor.",
            },
        ),
        solution="about 1e-19",
        explanation=(
            "about 1e-19. Each factor diag(tanh'(a)) W is rounded to float32's 7 digits, and\n"
            "the product keeps about that relative accuracy: the notebook measured float32 and\n"
            "float64 within 1e-4 of each other (relative) at lag 100. The gradient vanishes in\n"
            "exact arithmetic; precision only decides when a negligible number becomes 0\n"
            "(float32 reached 0 by lag 400, where float64 was below 1e-70)."
        ),
    )
)
