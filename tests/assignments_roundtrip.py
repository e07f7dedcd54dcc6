"""The nbgrader round trip of the course's assignments (make test-assignments; issue 29).

Notebook 01 as an nbgrader assignment: generate it from the course directory that
tools/build_assignments.py writes, release it, make three submissions (all correct; all
wrong; a crash, a blank and a function returning None), autograde them with nbgrader
itself and assert the scores and the feedback: full marks; zero with each mistake's hint;
zero with the reason said in words, not hidden in a traceback. Also: the released
notebook holds no solution and no variant's answer. Needs the assignments extra (nbgrader);
not collected by ``pytest tests`` (its name does not start with test_).
"""

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gradcourse.exercises import get_exercise, variant_for

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_assignments  # noqa: E402

NAME = "01_chain_rule"
STUDENTS = {"alice": "correct", "bob": "wrong", "carol": "crash"}
NBGRADER = [sys.executable, "-m", "nbgrader"]


def exercises_of_01(tmp: Path) -> Path:
    """Notebook 01 cut to its exercises, with a setup that does not start TensorFlow: the
    round trip runs it four times (nbgrader's own steps take most of the 2 minutes)."""
    import jupytext

    notebook = jupytext.read(ROOT / "notebooks" / f"{NAME}.py")
    start = next(i for i, c in enumerate(notebook.cells) if c.source.startswith("## Exercises"))
    setup = nbformat.v4.new_code_cell("import numpy as np\n\nimport gradcourse as gc")
    notebook.cells = [notebook.cells[0], setup, *notebook.cells[start:]]
    script = tmp / f"{NAME}.py"
    jupytext.write(notebook, script, fmt="py:percent")
    return script


def nbgrader(course: Path, *args: str) -> str:
    result = subprocess.run(
        [*NBGRADER, *args],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=300,
        # nbgrader runs `alembic` from PATH: the venv's bin first, as if it were activated
        env={
            **os.environ,
            "JUPYTERHUB_USER": "",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def answers(student: str) -> dict[str, str]:
    """The code each student writes in place of the released stub, by answer cell."""
    variant = variant_for(student)
    w, a = (get_exercise("01.1", variant).params[k] for k in ("w", "a"))
    factor, tol = (get_exercise("01.2", variant).params[k] for k in ("factor", "tol"))
    steps, product = 0, 1.0  # counted here, not read from the grader
    while product >= tol:
        product, steps = product * factor, steps + 1
    kind = STUDENTS[student]
    if kind == "correct":
        return {
            "answer_01_1": f"answer_01_1 = {w * (1 - math.tanh(a) ** 2):.4f}",
            "answer_01_2": f"answer_01_2 = {steps}",
            "answer_01_3": (
                "def gradient_to_input(w, states, t):\n"
                "    states = np.asarray(states, dtype=float)\n"
                "    return float((1 - states[t - 1] ** 2) * np.prod(w * (1 - states[t:] ** 2)))"
            ),
        }
    if kind == "wrong":
        return {
            "answer_01_1": f"answer_01_1 = {1 - math.tanh(a) ** 2:.4f}  # forgot w",
            "answer_01_2": f"answer_01_2 = {steps - 1}",
            "answer_01_3": (  # dh_T/dh_t: one link short
                "def gradient_to_input(w, states, t):\n"
                "    return float(np.prod(w * (1 - np.asarray(states)[t:] ** 2)))"
            ),
        }
    return {
        "answer_01_1": "answer_01_1 = 1.0 / 0  # crashes",
        "answer_01_2": "",  # left blank
        "answer_01_3": (
            "def gradient_to_input(w, states, t):\n"
            "    value = (1 - states[t - 1] ** 2) * np.prod(w * (1 - states[t:] ** 2))"
        ),
    }


def submit(course: Path, released: Path, student: str) -> None:
    notebook = nbformat.read(released, as_version=4)
    written = answers(student)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id in written and written[grade_id]:
            stub = "# YOUR ANSWER HERE (replace the placeholder above)"
            assert stub in cell.source, cell.source
            if cell.source.startswith("def "):  # a function: the learner rewrites the stub def
                body = cell.source.split(stub, 1)[1]
                cell.source = written[grade_id] + "\n" + body
            else:
                cell.source = cell.source.replace(stub, written[grade_id])
        if grade_id == "variant" and STUDENTS[student] != "crash":
            # what the cell printed while the student worked (carol never ran it)
            text = f"Assignment variant {variant_for(student)} (student {student}).\n"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    target = course / "submitted" / student / NAME / f"{NAME}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(notebook, target)


def graded_outputs(course: Path, student: str) -> dict[str, str]:
    notebook = nbformat.read(course / "autograded" / student / NAME / f"{NAME}.ipynb", 4)
    found = {}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith("graded_") or grade_id == "variant":
            found[grade_id] = "\n".join(
                output.get("text", "")
                + output.get("evalue", "")
                + "".join(output.get("traceback", []))
                for output in cell.get("outputs", [])
            )
    return found


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.rmtree(course)
    build_assignments.build([exercises_of_01(course.parent)], course)
    exchange = course.parent / "exchange"
    exchange.mkdir()
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"c.Exchange.root = {str(exchange)!r}\n")
    nbgrader(course, "generate_assignment", NAME, "--force")
    nbgrader(course, "release_assignment", NAME, "--force")
    released = exchange / "gradcourse" / "outbound" / NAME / f"{NAME}.ipynb"
    for student in STUDENTS:
        submit(course, released, student)
    nbgrader(course, "autograde", NAME, "--create", "--force")
    nbgrader(course, "generate_feedback", NAME, "--force")
    return course


def test_the_released_notebook_holds_no_solution(course):
    released = (course / "release" / NAME / f"{NAME}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in released and "get_exercise" not in released
    assert "VARIANT = gc.assignment_variant()" in released
    assert released.count("gc.assert_correct(") == 3


def test_scores(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "gradcourse") as gradebook:
        scores = {s: gradebook.find_submission(NAME, s).score for s in STUDENTS}
        total = gradebook.find_assignment(NAME).max_score
    assert total == 4  # 1 + 1 + 2 (a function counts twice)
    assert scores == {"alice": 4, "bob": 0, "carol": 0}


def test_feedback_names_each_mistake(course):
    outputs = graded_outputs(course, "bob")
    assert "d a_t / d h_(t-1) = w" in outputs["graded_01_1"]
    assert "is still just above" in outputs["graded_01_2"]
    assert "the chain starts one link earlier" in outputs["graded_01_3"]
    assert f"variant {variant_for('bob')}" in outputs["variant"]
    assert "worked on with this key" in outputs["variant"]
    feedback = (course / "feedback" / "bob" / NAME / f"{NAME}.html").read_text()
    assert "is still just above" in feedback


def test_a_crash_and_a_none_are_told_in_words(course):
    outputs = graded_outputs(course, "carol")
    assert "ZeroDivisionError: float division by zero" in outputs["graded_01_1"]
    assert "Not attempted" in outputs["graded_01_2"]
    assert "returned None. Did you forget `return`?" in outputs["graded_01_3"]
    assert "holds no variant key" in outputs["variant"]
    for text in outputs.values():
        assert "NameError" not in text


def test_the_correct_submission_is_graded_for_its_own_variant(course):
    outputs = graded_outputs(course, "alice")
    assert all("Correct!" in outputs[f"graded_01_{i}"] for i in (1, 2, 3))
    assert f"[01.1, variant {variant_for('alice')}]" in outputs["graded_01_1"]
