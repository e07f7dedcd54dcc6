"""nbgrader's side of the course's assignments (imported by the course's nbgrader_config.py).

``StudentVariant`` runs first when ``nbgrader autograde`` sanitizes a submission: it passes
the student's id to the kernel that will run the notebook (``GRADCOURSE_STUDENT_ID``) and
the variant key the submission printed while the student worked (``GRADCOURSE_STORED_VARIANT``),
before nbgrader clears the outputs. Needs nbconvert (a dependency of nbgrader).
"""

from __future__ import annotations

import os
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

from gradcourse.exercises.assignment import STORED_VARIANT, STUDENT_ID, stored_variant


def _text(output: Any) -> str:
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    return str(output.get("data", {}).get("text/plain", ""))


class StudentVariant(Preprocessor):
    """Set the student id and the stored variant key for the grading kernel."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        student = resources.get("nbgrader", {}).get("student")
        if student:
            os.environ[STUDENT_ID] = str(student)
        stored = None
        for cell in nb.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "variant":
                for output in cell.get("outputs", []):
                    stored = stored_variant(_text(output)) or stored
        if stored is None:
            os.environ.pop(STORED_VARIANT, None)
        else:
            os.environ[STORED_VARIANT] = str(stored)
        return nb, resources
