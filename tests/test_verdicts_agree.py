"""The README's Myths table and the notebooks' verdict tables give each claim one label.

Each verdict is written twice: in the table a notebook builds from its measurements
(08, 08b, 09) and in the README's Myths table. Reviews found the two drifting apart;
this test reads both (the notebooks' ``verdicts`` lists from their scripts, the README's
rows from its Markdown) and compares them, and checks that every label is one of the
scale's five (docs/evidence.md).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest
from notebook_code import code_cells

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SCALE = {
    "false",
    "false as written, true in its precise form",
    "true in part",
    "true",
    "not settled here",
}
# README claim -> (notebook script, the start of that claim in the notebook's table)
WHERE = {
    "Gradient clipping stops gradients from getting too small": ("08", "Clipping stops"),
    "Weights below 1 make gradients vanish, above 1 make them explode": ("08", "Weights < 1"),
    "Sigmoid and tanh don't saturate": ("08", "Sigmoid and tanh"),
    "ReLU fixes vanishing gradients in RNNs": ("08", "ReLU fixes"),
    "The LSTM solves the vanishing gradient problem": ("08", "The LSTM solves"),
    "Batch normalisation is the remedy for RNNs": ("08b", "5. Batch normalisation"),
    "With Adam, clipping keeps the update small": ("08", "With Adam"),
    "Larger initial weights prevent vanishing gradients": ("08b", "8. Larger"),
    "Small initial weights prevent exploding gradients": ("08b", "9. Small"),
    "L2 regularisation prevents exploding gradients": ("08b", "9. L2"),
    "Dropout keeps gradients from vanishing": ("08b", "10. Dropout"),
    "Early stopping keeps gradients from vanishing": ("08b", "10. Early stopping"),
    "A smaller learning rate prevents exploding gradients": ("08b", "11. A smaller"),
    "Vanishing gradients are caused by floating-point precision": ("08b", "12. Vanishing"),
    "Exploding gradients are caused by floating-point precision": ("08b", "12. Exploding"),
    "Skip connections let gradients go around (in time)": ("09", "13. Skip"),
    "Echo state networks overcome vanishing gradients": ("09", "14a. Echo state"),
    "Orthogonal random matrices overcome vanishing gradients": ("09", "14b. Orthogonal"),
}
SCRIPTS = {
    "08": NOTEBOOKS / "08_myths_on_trial.py",
    "08b": NOTEBOOKS / "08_myths_on_trial_2.py",
    "09": NOTEBOOKS / "09_shortcuts_through_time.py",
}


@functools.cache
def notebook_verdicts(script: Path) -> dict[str, str]:
    """{claim: label} from the ``verdicts = [(claim, label, ...), ...]`` list of a script."""
    tables = [
        node
        for cell in code_cells(script)
        for node in cell.body
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "verdicts" for target in node.targets)
    ]
    assert len(tables) == 1, f"{script.name}: {len(tables)} cells build `verdicts`"
    rows = {}
    for row in tables[0].value.elts:
        claim, label = row.elts[0], row.elts[1]
        assert isinstance(claim, ast.Constant) and isinstance(label, ast.Constant), (
            f"{script.name}: a verdict's claim and label must be plain strings"
        )
        rows[claim.value] = label.value
    return rows


@functools.cache
def readme_verdicts(readme: Path = ROOT / "README.md") -> dict[str, str]:
    """{claim: label} from the README's Myths table (the rows after its header row)."""
    rows, inside = {}, False
    for line in readme.read_text().splitlines():
        if line.startswith("| claim | verdict |"):
            inside = True
        elif inside and line.startswith("|") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1]
        elif inside and not line.startswith("|"):
            break
    return rows


def test_every_readme_claim_is_mapped_to_a_notebook_row():
    assert set(readme_verdicts()) == set(WHERE)


@pytest.mark.parametrize("number", sorted(SCRIPTS))
def test_every_notebook_label_is_on_the_scale(number):
    labels = notebook_verdicts(SCRIPTS[number])
    assert labels and set(labels.values()) <= SCALE, labels


def test_every_readme_label_is_on_the_scale():
    assert set(readme_verdicts().values()) <= SCALE


@pytest.mark.parametrize("claim", sorted(WHERE))
def test_the_readme_and_the_notebook_give_one_label(claim):
    number, start = WHERE[claim]
    matches = {c: v for c, v in notebook_verdicts(SCRIPTS[number]).items() if c.startswith(start)}
    assert len(matches) == 1, f"{number}: rows starting with {start!r}: {sorted(matches)}"
    (label,) = matches.values()
    assert readme_verdicts()[claim] == label, f"README: {claim!r}; notebook {number}: {label!r}"


def test_batch_normalisation_has_one_label_in_08_and_08b():
    first = notebook_verdicts(SCRIPTS["08"])["Batch normalisation is the remedy for RNNs"]
    second = notebook_verdicts(SCRIPTS["08b"])["5. Batch normalisation is the remedy for RNNs"]
    assert first == second
