"""Write an nbgrader course directory, build/assignments/ (``make assignments``).

For each notebook (or those named), ``source/<notebook>/<notebook>.ipynb`` is the notebook
with, in every exercise cell, the reference answer between nbgrader's solution markers
(kept after the learner's placeholder, so the released stub still runs; for a prediction
exercise, after the cell's setting, which the region sets to the variant's) and its
``gc.check`` bound to the student's variant; after it an autograded, locked cell that
grades the answer with the course's grader for that variant (``gc.assert_correct``),
worth ``POINTS`` points. A locked cell after the setup draws the student's variant key
(``gc.assignment_variant()``), and each exercise that varies prints its question for that
key. ``nbgrader_config.py`` passes nbgrader's student id to the grading kernel.

The reference answers are read from the package when the source notebook runs (never
written into a file), and nbgrader strips them from the released version.

    python tools/build_assignments.py [notebooks/01_chain_rule.py ...] [--out build/assignments]
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent

# Points per exercise: a function to write or a run to predict counts twice.
POINTS = {"function": 2, "prediction": 2, "value": 1}

CONFIG = '''\
"""nbgrader configuration of the gradcourse assignments (written by make assignments)."""

from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds
from nbgrader.preprocessors import OverwriteCells, OverwriteKernelspec

from gradcourse.nbgrader_support import StudentVariant

c = get_config()  # noqa: F821 (nbgrader's configuration object)
c.CourseDirectory.course_id = "gradcourse"
# The student's id reaches the grading kernel (their exercises' variant) and the key their
# notebook printed is read before nbgrader clears the outputs.
c.Autograde.sanitize_preprocessors = [
    StudentVariant,
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]
# The released stub of an answer is a comment: the learner's placeholder above it stays.
c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER HERE (replace the placeholder above)"}
# Training notebooks run for up to a minute; a cell for up to 10 s on a lecturer's laptop.
c.Execute.timeout = 120
'''

INTRO = (
    "## Assignment\n"
    "\n"
    "This notebook is a graded assignment. The cell below draws **your own variant** of the "
    "exercises from your user name and prints its key: the numbers in the exercises' text "
    "are the course's (variant 0); the cell above each of your answers prints the question "
    "with **your** numbers. Answer in the cells marked for it; `gc.check` gives feedback "
    "as you go, and the graded cells after them are what counts. Solutions of variants are "
    "withheld until the deadline."
)


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=0) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def _check_call(tree: ast.Module) -> ast.Call | None:
    for node in tree.body:
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "check"
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == "gc"
        ):
            return node.value
    return None


def _assigned_names(node: ast.Assign) -> set[str]:
    names = set()
    for target in node.targets:
        elements = target.elts if isinstance(target, ast.Tuple) else [target]
        names |= {element.id for element in elements if isinstance(element, ast.Name)}
    return names


def _knobs(key: str, tree: ast.Module, measured: ast.keyword, exercise) -> list[tuple[str, str]]:
    """(variable, knob) for each of the varying prediction's knobs that the cell passes to
    ``gc.Measurement`` as a variable (e.g. ``gain=GAIN``)."""
    call = measured.value
    knobs = [
        (keyword.value.id, keyword.arg)
        for keyword in getattr(call, "keywords", [])
        if keyword.arg in exercise.params and isinstance(keyword.value, ast.Name)
    ]
    missing = set(exercise.params) - {knob for _, knob in knobs}
    if missing:
        raise ValueError(
            f"exercise {key}: its variants change {sorted(missing)}, which its cell does not "
            "pass to gc.Measurement as a variable"
        )
    return knobs


def _last_assignment(key: str, tree: ast.Module, variable: str, before: int) -> ast.Assign:
    assignments = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and variable in _assigned_names(node)
        and node.lineno < before
    ]
    if not assignments:
        raise ValueError(f"exercise {key}: its cell does not assign {variable} before the check")
    return assignments[-1]


def _exercise_cell(cell, exercises) -> list | None:
    """The cells that replace an exercise cell (answer, graded check), or None."""
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return None
    call = _check_call(tree)
    if call is None:
        return None
    source = cell.source
    key = ast.literal_eval(call.args[0])
    cell_id = key.replace(".", "_")  # nbgrader's grade ids: letters, digits, _ and -
    answer = ast.get_source_segment(source, call.args[1])
    measured = next((k for k in call.keywords if k.arg == "measured"), None)
    measured_text = ast.get_source_segment(source, measured.value) if measured else None
    exercise = exercises.get_exercise(key)
    kind = (
        "prediction"
        if exercise.measure is not None
        else "function"
        if callable(exercise.solution)
        else "value"
    )

    lines = source.splitlines()
    # The learner's placeholder: `name = None ...` or the stub `def name(...)` block.
    defining = next(
        (
            node
            for node in tree.body
            if (isinstance(node, ast.FunctionDef) and node.name == answer)
            or (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == answer for t in node.targets)
            )
        ),
        None,
    )
    if defining is None:
        raise ValueError(f"exercise {key}: no placeholder for {answer!r} in its cell")
    end = defining.end_lineno
    # A prediction that varies: the student's variant changes the experiment's setting, so
    # the solution region also sets the cell's knobs (those passed to gc.Measurement) to the
    # variant's, after the cell's own assignment of them and before the experiment runs.
    knobs = _knobs(key, tree, measured, exercise) if exercise.varies and measured else []
    for variable, _ in knobs:
        end = max(end, _last_assignment(key, tree, variable, before=call.lineno).end_lineno)
    solution = [
        "### BEGIN SOLUTION",
        f'{answer} = gc.get_exercise("{key}", VARIANT).solution',
        *(
            f'{variable} = gc.get_exercise("{key}", VARIANT).params["{knob}"]'
            for variable, knob in knobs
        ),
        "### END SOLUTION",
    ]
    check_text = f'gc.check("{key}", {answer}'
    check_text += f", measured={measured_text}" if measured_text else ""
    check_text += ", variant=VARIANT)"
    new_lines = lines[:end] + solution + lines[end : call.lineno - 1] + [check_text]
    new_lines += lines[call.end_lineno :]
    answer_cell = nbformat.v4.new_code_cell(
        "\n".join(new_lines).rstrip() + "\n",
        metadata={"nbgrader": _nbgrader(f"answer_{cell_id}", solution=True)},
    )
    graded = f'gc.assert_correct("{key}", lambda: {answer}, variant=VARIANT'
    graded += f", measured=lambda: {measured_text})" if measured_text else ")"
    graded_cell = nbformat.v4.new_code_cell(
        f"# Graded: exercise {key} ({POINTS[kind]} point{'s' * (POINTS[kind] > 1)})\n{graded}",
        metadata={
            "nbgrader": _nbgrader(f"graded_{cell_id}", grade=True, locked=True, points=POINTS[kind])
        },
    )
    cells = [answer_cell, graded_cell]
    if exercise.varies:
        question = nbformat.v4.new_code_cell(
            f'gc.show_question("{key}", variant=VARIANT)  # your numbers',
            metadata={"nbgrader": _nbgrader(f"question_{cell_id}", locked=True)},
        )
        cells.insert(0, question)
    return cells


def source_notebook(script: Path):
    """The nbgrader source version of one notebook script."""
    import gradcourse.exercises as exercises

    notebook = jupytext.read(script)
    cells, seen_setup, keys = [], False, []
    for cell in notebook.cells:
        cell.metadata.pop("slideshow", None)
        replaced = _exercise_cell(cell, exercises) if cell.cell_type == "code" else None
        if replaced is not None:
            cells.extend(replaced)
            keys.append(replaced[-1].metadata["nbgrader"]["grade_id"])
            continue
        cells.append(cell)
        if cell.cell_type == "code" and "import gradcourse as gc" in cell.source and not seen_setup:
            seen_setup = True
            cells.append(
                nbformat.v4.new_markdown_cell(
                    INTRO, metadata={"nbgrader": _nbgrader("assignment_intro", locked=True)}
                )
            )
            cells.append(
                nbformat.v4.new_code_cell(
                    "VARIANT = gc.assignment_variant()  # your exercises' key: do not change",
                    metadata={"nbgrader": _nbgrader("variant", locked=True)},
                )
            )
    if not seen_setup:
        raise ValueError(f"{script.name}: no setup cell (import gradcourse as gc) found")
    if not keys:
        raise ValueError(f"{script.name}: no exercise cells (gc.check) found")
    notebook.cells = cells
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    return notebook


def build(scripts: list[Path], out: Path) -> list[Path]:
    if out.exists():
        shutil.rmtree(out)
    (out / "source").mkdir(parents=True)
    (out / "nbgrader_config.py").write_text(CONFIG)
    written = []
    for script in scripts:
        target = out / "source" / script.stem / f"{script.stem}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(source_notebook(script), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scripts", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "assignments")
    args = parser.parse_args(argv)
    scripts = args.scripts or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    for path in build(scripts, args.out):
        print(f"wrote {path.relative_to(args.out)}")
    print(f"nbgrader course directory: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
