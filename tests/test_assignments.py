"""The assignment side of the exercises without nbgrader (issue 29): the student's variant
key, the graded cells' check and the source notebooks that make assignments writes.
(The nbgrader round trip itself: tests/assignments_roundtrip.py, make test-assignments.)"""

import ast
import re
import sys
from pathlib import Path

import nbformat
import pytest

import gradcourse as gc
from gradcourse.exercises import all_exercises, get_exercise
from gradcourse.exercises.assignment import STORED_VARIANT, STUDENT_ID, stored_variant

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_assignments  # noqa: E402


@pytest.fixture
def no_ids(monkeypatch):
    for name in ("JUPYTERHUB_USER", STUDENT_ID, STORED_VARIANT, "NBGRADER_EXECUTION"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_variant_comes_from_the_hub_user_and_is_printed(no_ids, capsys):
    no_ids.setenv("JUPYTERHUB_USER", "alice")
    assert gc.assignment_variant() == gc.variant_for("alice")
    printed = capsys.readouterr().out
    assert stored_variant(printed) == gc.variant_for("alice")


def test_grading_uses_nbgraders_student_and_compares_the_stored_key(no_ids, capsys):
    no_ids.setenv("NBGRADER_EXECUTION", "autograde")
    no_ids.setenv("JUPYTERHUB_USER", "the-grader")  # never the grader's own name
    no_ids.setenv(STUDENT_ID, "bob")
    no_ids.setenv(STORED_VARIANT, str(gc.variant_for("alice")))
    assert gc.assignment_variant() == gc.variant_for("bob")
    assert f"worked on as variant {gc.variant_for('alice')}" in capsys.readouterr().out


def test_no_student_id_is_a_clear_error(no_ids):
    with pytest.raises(RuntimeError, match="JUPYTERHUB_USER"):
        gc.assignment_variant()
    no_ids.setenv("NBGRADER_EXECUTION", "autograde")
    no_ids.setenv("JUPYTERHUB_USER", "the-grader")
    with pytest.raises(RuntimeError, match="nbgrader_config.py"):
        gc.assignment_variant()


def test_assert_correct_passes_and_fails_with_the_hint(capsys):
    exercise = get_exercise("01.1", 42)
    gc.assert_correct("01.1", lambda: exercise.solution, variant=42)
    assert "Correct!" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="d a_t / d h_\\(t-1\\) = w"):
        wrong = 1 - __import__("math").tanh(exercise.params["a"]) ** 2
        gc.assert_correct("01.1", lambda: wrong, variant=42)


def test_assert_correct_says_when_the_answer_cell_did_not_run():
    def undefined():
        return answer_that_was_never_defined  # noqa: F821

    with pytest.raises(AssertionError, match="did not run to its end"):
        gc.assert_correct("01.1", undefined, variant=3)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments") / "course"
    scripts = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    return {path.stem: nbformat.read(path, 4) for path in build_assignments.build(scripts, out)}


def test_every_exercise_has_a_solution_cell_and_a_graded_cell(sources):
    graded = {}
    for notebook in sources.values():
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                assert meta["locked"] and meta["points"] >= 1
                graded[meta["grade_id"]] = cell.source
            if meta.get("solution"):
                assert "### BEGIN SOLUTION" in cell.source and "variant=VARIANT)" in cell.source
    assert sorted(graded) == sorted(f"graded_{e.key.replace('.', '_')}" for e in all_exercises())
    for source in graded.values():
        ast.parse(source)


def test_the_variant_is_drawn_once_after_the_setup(sources):
    for notebook in sources.values():
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells]
        assert ids.count("variant") == 1
        first_graded = min(i for i, g in enumerate(ids) if g and g.startswith("graded_"))
        assert ids.index("variant") < first_graded


def test_no_answer_is_written_into_a_source_notebook(sources):
    # each solution region reads the student's answer from the package when it runs
    regions = 0
    for notebook in sources.values():
        for cell in notebook.cells:
            if "### BEGIN SOLUTION" in cell.source:
                region = cell.source.split("### BEGIN SOLUTION\n")[1].split("### END SOLUTION")[0]
                assert re.fullmatch(
                    r"\w+ = gc\.get_exercise\(\"[\w.]+\", VARIANT\)\.solution\n"
                    r"(\w+ = gc\.get_exercise\(\"[\w.]+\", VARIANT\)\.params\[\"\w+\"\]\n)*",
                    region,
                )
                regions += 1
    assert regions == len(all_exercises())


def _cells_of(sources, notebook, key):
    cell_id = key.replace(".", "_")
    by_id = {
        c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in sources[notebook].cells
    }
    return by_id[f"answer_{cell_id}"], by_id[f"graded_{cell_id}"]


def _without_solution(source):
    before, rest = source.split("### BEGIN SOLUTION\n")
    return before + rest.split("### END SOLUTION\n")[1]


@pytest.mark.parametrize(
    ("notebook", "key", "context"),
    [
        ("03_backprop_through_time", "03.4", "width = 32"),
        ("06_initializers", "06.3", "n = 128"),
    ],
)
def test_a_varying_predictions_solution_sets_the_variants_setting(sources, notebook, key, context):
    # The source cell, run for a variant whose setting differs from the notebook's: its solution
    # region sets the knobs, so the experiment runs the variant's setting and the graded cell
    # passes; the released cell (no solution region) runs the notebook's and is sent back.
    import numpy as np

    from gradcourse.matrices import scaled_orthogonal
    from gradcourse.rnn import first_lag_below, gradient_norm_vs_lag

    answer, graded = _cells_of(sources, notebook, key)
    variant = next(
        v for v in range(1, 100) if get_exercise(key, v).params != get_exercise(key).params
    )
    setup = {
        "gc": gc,
        "np": np,
        "SEED": 0,
        "VARIANT": variant,
        "scaled_orthogonal": scaled_orthogonal,
        "gradient_norm_vs_lag": gradient_norm_vs_lag,
        "first_lag_below": first_lag_below,
    }
    exec(context, setup)
    namespace = dict(setup)
    exec(answer, namespace)
    exec(graded, namespace)  # raises AssertionError unless correct
    released = dict(setup)
    exec(
        _without_solution(answer).replace(
            "= None", f"= {get_exercise(key, variant).solution!r}", 1
        ),
        released,
    )
    with pytest.raises(AssertionError, match="Change the experiment first"):
        exec(graded, released)
