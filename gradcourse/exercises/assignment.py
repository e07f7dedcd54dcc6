"""Graded assignments (nbgrader): the student's variant key and the graded cells' check.

A notebook of ``make assignments`` starts with ``VARIANT = gc.assignment_variant()``: the
key derived from the student's id, ``JUPYTERHUB_USER`` while the student works, nbgrader's
student id when ``nbgrader autograde`` runs it (``GRADCOURSE_STUDENT_ID``, set by
``gradcourse.nbgrader_support``). The key is printed, so it is stored in the submitted
notebook's output; at grading the key stored there is compared with the student's own.
Each graded cell calls ``assert_correct``, which prints the exercise's feedback and raises
``AssertionError`` with it unless the answer is correct, so nbgrader scores it and the
feedback file shows the hint as the error's message.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from typing import Any

from gradcourse.exercises.core import Measurement, Prediction, _label, grade, variant_for

#: Environment variables read by ``assignment_variant`` (see the module's docstring).
STUDENT_ID = "GRADCOURSE_STUDENT_ID"
STORED_VARIANT = "GRADCOURSE_STORED_VARIANT"
ANNOUNCEMENT = "Assignment variant {variant} (student {student})."
_STORED = re.compile(r"Assignment variant (\d+) \(student ")


def stored_variant(text: str) -> int | None:
    """The variant key that ``assignment_variant`` printed into ``text``, or None."""
    found = _STORED.search(text)
    return int(found.group(1)) if found else None


def assignment_variant() -> int:
    """The variant key of the student running this notebook; prints it (and, when grading,
    whether the submission was worked on with the same key)."""
    grading = os.environ.get("NBGRADER_EXECUTION") == "autograde"
    student = os.environ.get(STUDENT_ID) or ("" if grading else os.environ.get("JUPYTERHUB_USER"))
    if not student:
        raise RuntimeError(
            "No student id: this assignment draws your exercises from your user name, which "
            "JupyterHub sets (JUPYTERHUB_USER). Elsewhere set GRADCOURSE_STUDENT_ID to your "
            "student id before starting Jupyter"
            + (
                "; when grading, run nbgrader in the course directory that make assignments "
                "wrote (its nbgrader_config.py passes the student id)."
                if grading
                else "."
            )
        )
    variant = variant_for(student)
    print(ANNOUNCEMENT.format(variant=variant, student=student))
    if grading:
        stored = os.environ.get(STORED_VARIANT)
        if not stored:
            print("The submission holds no variant key (its first cells were not run).")
        elif int(stored) != variant:
            print(
                f"The submission was worked on as variant {stored}, not the student's own "
                f"{variant}: it is graded as variant {variant}."
            )
        else:
            print("The submission was worked on with this key.")
    return variant


def assert_correct(
    key: str,
    answer: Callable[[], Any],
    *,
    variant: int,
    measured: Callable[[], Measurement] | None = None,
) -> None:
    """Grade exercise ``key``'s answer for a graded cell: print the feedback, and raise
    ``AssertionError`` with it unless the answer is correct.

    ``answer`` (and ``measured``) are functions returning the answer, so that an answer
    cell that crashed before defining it is reported as such rather than as a NameError.
    """
    label = _label(key, variant)
    try:
        value = answer()
    except NameError as error:
        raise AssertionError(
            f"[{label}] Not attempted: your answer cell did not run to its end ({error}). "
            "Run it, fix the error it shows, then run this cell."
        ) from None
    if measured is not None:
        try:
            value = Prediction(value, measured())
        except NameError as error:
            raise AssertionError(
                f"[{label}] The experiment in your answer cell did not run to its end "
                f"({error}): run it, then this cell."
            ) from None
    feedback = grade(key, value, variant=variant)  # the same grading as gc.check
    message = f"[{label}] {feedback.message}"
    if feedback.status == "not attempted":
        message += " If your answer cell raised an error, it stopped before your answer"
        last = getattr(sys, "last_value", None)  # IPython keeps the last uncaught error
        message += (
            f" (the last error in this notebook: {type(last).__name__}: {last})." if last else "."
        )
    print(message)
    if feedback.status != "correct":
        raise AssertionError(message)
