"""Exercises of notebook 07 (diagnose your own RNN)."""

from __future__ import annotations

import math
from typing import Any

from gradcourse.exercises.core import NOT_ATTEMPTED, Exercise, Feedback, choice_grader, register
from gradcourse.tasks import LEARNED_BELOW

CAUSES = ("vanishing", "exploding", "saturation", "dead units", "steps too small")
# 07.2: the fixed model must have learned the task by the course's criterion (tasks.learned)
FIX_TARGET = LEARNED_BELOW

# 07.1: name what the monitor shows for the mystery model.
register(
    Exercise(
        key="07.1",
        question=(
            "Run the monitor on mystery_model(). Which failure does it show? One of: "
            + ", ".join(repr(c) for c in CAUSES)
        ),
        grade=choice_grader(
            "exploding",
            CAUSES,
            hints={
                "vanishing": "a vanishing gradient cannot make the loss NaN.",
                "saturation": "ReLU units do not saturate; read the first verdict.",
                "dead units": "dead units would freeze the loss, not make it NaN.",
                "steps too small": "tiny steps slow training down; they do not make the loss NaN.",
            },
        ),
        solution="exploding",
        explanation=(
            "The loss became NaN within a few steps: the gradient exploded. The recurrent matrix "
            "is the identity times 1.5 with ReLU units: in the forward pass a positive state is "
            "multiplied by up to 1.5 at every step, so the states, the loss and its gradient "
            "grow with the sequence (notebook 05 shows the forward pass setting the gradient's "
            "size), and nothing clips the step."
        ),
    )
)


def _grade_fix(answer: Any) -> Feedback:
    """Train the learner's model on the mystery task and grade what it measured."""
    if answer is None or answer is Ellipsis:
        return NOT_ATTEMPTED
    if not callable(answer):
        return Feedback(
            "hint",
            f"Expected a function that returns a compiled model, got {type(answer).__name__}.",
        )
    try:
        model = answer()
    except NotImplementedError:
        return NOT_ATTEMPTED
    except Exception as error:  # the learner's own bug
        return Feedback("hint", f"Your function raised {type(error).__name__}: {error}")
    from gradcourse.mystery import train_on_mystery_task  # TensorFlow only when grading

    try:
        measured = train_on_mystery_task(model)
    except (TypeError, ValueError) as error:
        return Feedback("hint", f"Not yet: {error}")
    mse, baseline = measured["test_mse"], measured["baseline"]
    if not math.isfinite(mse):
        return Feedback(
            "hint",
            "Not yet: the loss still became NaN. Bound the growth (the recurrent "
            "gain) or the step (global_clipnorm).",
        )
    if mse >= FIX_TARGET * baseline:
        return Feedback(
            "hint",
            f"Close: training is stable now (test MSE {mse:.3f}), but it does not "
            f"beat {FIX_TARGET:g} x the baseline {baseline:.3f} yet. Try a gated cell "
            "or the course's recipe, Adam(1e-2) with global_clipnorm=1.",
        )
    return Feedback(
        "correct",
        f"Correct! Test MSE {mse:.3f}, below {FIX_TARGET:g} x the baseline {baseline:.3f}.",
    )


def _reference_fixed_model():
    from gradcourse.mystery import reference_fixed_model  # TensorFlow only when called

    return reference_fixed_model()


register(
    Exercise(
        key="07.2",
        question=(
            "Write fixed_model(): a compiled model for mystery_task() that trains without NaN and "
            f"ends below {FIX_TARGET:g} x the baseline (the grader trains it for you, ~10 s)."
        ),
        grade=_grade_fix,
        solution=_reference_fixed_model,
        explanation=(
            "Any fix that bounds the explosion and can learn works. The reference: an LSTM "
            "compiled with Adam(1e-2, global_clipnorm=1.0) and loss='mse' "
            "(gradcourse.mystery.reference_fixed_model). The same ReLU RNN with gain 1 (an IRNN) "
            "and Adam(1e-2, global_clipnorm=1.0) learned too, while the mystery model clipped "
            "with global_clipnorm=1.0 and its SGD kept stayed finite without learning "
            "(notebook 07, 'The mystery model, measured', asserted)."
        ),
    )
)
