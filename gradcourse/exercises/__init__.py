"""Exercises of every notebook, with graders and reference solutions."""

from gradcourse.exercises.core import (
    Exercise,
    Feedback,
    all_exercises,
    check,
    get_exercise,
    grade,
    show_solution,
)

# Importing each notebook's module registers its exercises.
from gradcourse.exercises import chain_rule  # noqa: E402,F401  (01)
from gradcourse.exercises import saturation  # noqa: E402,F401  (02)
from gradcourse.exercises import bptt  # noqa: E402,F401  (03)
from gradcourse.exercises import lstm  # noqa: E402,F401  (04)
from gradcourse.exercises import clipping  # noqa: E402,F401  (05)
from gradcourse.exercises import initializers  # noqa: E402,F401  (06)

__all__ = ["Exercise", "Feedback", "all_exercises", "check", "get_exercise", "grade", "show_solution"]
