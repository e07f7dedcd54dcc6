"""Each notebook is built from its jupytext script: they must not drift apart."""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SCRIPTS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
REPOSITORY = PROJECT["urls"]["Repository"]
GITHUB_PATH = REPOSITORY.removeprefix("https://github.com/")


def _cells(notebook) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_there_are_notebooks_and_no_orphans():
    assert SCRIPTS, "no notebook scripts found"
    built = {
        p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")
    }  # lessons; Untitled.ipynb is not one
    assert built == {p.stem for p in SCRIPTS}, "every script needs its .ipynb and vice versa"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_matches_its_script(script):
    stored = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    expected = jupytext.read(script)
    assert _cells(stored) == _cells(expected), (
        f"{script.name} and its .ipynb differ: rebuild with `make notebooks "
        f"NB={script.relative_to(ROOT)}`"
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_outputs_come_from_one_clean_run(script):
    stored = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    code_cells = [cell for cell in stored.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code_cells] == list(range(1, len(code_cells) + 1))
    for cell in code_cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:80]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_colab_badge_and_install_point_at_the_repository(script):
    text = script.read_text()
    badge = f"https://colab.research.google.com/github/{GITHUB_PATH}/blob/main/notebooks/{script.stem}.ipynb"
    assert badge in text, f"missing or wrong Colab badge; expected {badge}"
    # The version of the package this notebook was written for, not a moving branch.
    assert f'%pip install -q "gradcourse @ git+{REPOSITORY}@v{PROJECT["version"]}"' in text
    assert text.count("%pip install") == 1
    assert re.search(r'if "google\.colab" in sys\.modules:\n\s+%pip install', text)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_no_stored_stderr(script):
    # Readers see stderr in red on the web and in class: silence it at its source.
    stored = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    for number, cell in enumerate(c for c in stored.cells if c.cell_type == "code"):
        streams = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert not streams, f"code cell {number} stores stderr: {streams[0].text[:200]!r}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_skeleton(script):
    text = script.read_text()
    for heading in ("## Setup", "## Summary", "## Exercises"):
        assert heading in text, f"{script.name} lacks '{heading}'"
    assert "gc.setup_notebook(" in text
    assert len(re.findall(r"gc\.check\(", text)) >= 2, "2-4 exercises with checkers"
    assert len(re.findall(r"^\s*assert ", text, flags=re.M)) >= 5, "claims must be asserted"
    code = "\n".join(
        cell.source for cell in jupytext.read(script).cells if cell.cell_type == "code"
    )
    assert "input_shape=" not in code and "tensorflow.keras" not in code  # Keras 3 idioms


def test_notebooks_link_to_the_next_one():
    for current, following in itertools.pairwise(SCRIPTS):
        assert f"({following.stem}.ipynb)" in current.read_text(), (
            f"{current.name} should link to {following.name}"
        )


def test_readme_lists_every_notebook_with_a_badge():
    readme = (ROOT / "README.md").read_text()
    for script in SCRIPTS:
        assert f"notebooks/{script.stem}.ipynb" in readme, f"README lacks a row for {script.stem}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_nbval_markers_are_recognised(script):
    # nbval only honours a comment that is exactly the marker: "# NBVAL_IGNORE_OUTPUT  (why)"
    # is silently ignored, and the cell's output is then compared after all.
    for number, line in enumerate(script.read_text().splitlines(), start=1):
        if "NBVAL_" in line:
            assert re.fullmatch(r"\s*# NBVAL_[A-Z_]+", line), (
                f"{script.name}:{number}: put the reason on its own line"
            )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_markdown_lines_are_commented(script):
    # In a percent script every line of a markdown cell starts with "#"; a bare line
    # is a slip that jupytext would quietly carry into the notebook.
    in_markdown = False
    for number, line in enumerate(script.read_text().splitlines(), start=1):
        if line.startswith("# %%"):
            in_markdown = line.startswith("# %% [markdown]")
        elif in_markdown and line.strip():
            assert line.startswith("#"), f"{script.name}:{number}: markdown line without '# '"
