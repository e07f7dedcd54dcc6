"""Exercises of every notebook, with graders and reference solutions.

One module per notebook, named after it (``nb01_chain_rule`` holds the exercises 01.x):
importing a module registers its exercises.
"""

# Imported for their side effect, registering the exercises of each notebook.
from gradcourse.exercises import (  # noqa: F401
    nb01_chain_rule,
    nb02_saturation,
    nb03_bptt,
    nb04_lstm,
    nb05_clipping,
    nb06_initializers,
    nb07_diagnose,
    nb08_myths,
    nb08b_more_myths,
    nb09_shortcuts,
)
from gradcourse.exercises.assignment import assert_correct, assignment_variant
from gradcourse.exercises.core import (
    Exercise,
    Feedback,
    Measurement,
    all_exercises,
    check,
    get_exercise,
    grade,
    show_question,
    show_solution,
    variant_for,
)

__all__ = [
    "Exercise",
    "assert_correct",
    "assignment_variant",
    "Feedback",
    "Measurement",
    "all_exercises",
    "check",
    "get_exercise",
    "grade",
    "show_question",
    "show_solution",
    "variant_for",
]
