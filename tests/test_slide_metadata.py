"""Every course notebook carries its slide types (RISE, reveal.js), in its script and .ipynb."""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import slide_metadata  # noqa: E402

SCRIPTS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))

SAMPLE = """\
# %% [markdown]
# # 99 · A title
#
# A promise.

# %% [markdown]
# ## Setup

# %%
import sys

if "google.colab" in sys.modules:
    %pip install -q "gradcourse"

# %%
import gradcourse as gc

# %% [markdown]
# ## 1. A section
# Prose.

# %% [markdown]
# More prose on the same slide.

# %%
x = 1

# %% [markdown]
# What x shows.

# %%
plt.plot([1, 2])
plt.show()

# %%
print("after the figure")

# %% [markdown]
# ### A subsection

# %%
y = 2
"""

SAMPLE_TYPES = [
    "slide",  # title
    "slide",  # ## Setup
    "skip",  # the Colab cell
    "-",
    "slide",  # ## 1.
    "-",  # markdown after markdown
    "-",  # code after markdown
    "subslide",  # markdown after code
    "subslide",  # a figure
    "subslide",  # the cell after a figure
    "subslide",  # ###
    "-",
]


def test_the_rule_on_a_sample():
    assert slide_metadata.slide_types(SAMPLE) == SAMPLE_TYPES


def test_the_metadata_is_what_jupytext_reads_and_the_cells_are_unchanged():
    marked = slide_metadata.with_slide_metadata(SAMPLE)
    before = jupytext.reads(SAMPLE, fmt="py:percent")
    after = jupytext.reads(marked, fmt="py:percent")
    assert [(c.cell_type, c.source) for c in after.cells] == [
        (c.cell_type, c.source) for c in before.cells
    ]
    assert [c.metadata["slideshow"]["slide_type"] for c in after.cells] == SAMPLE_TYPES
    assert marked.splitlines()[0] == '# %% [markdown] slideshow={"slide_type": "slide"}'


def test_idempotent_and_replaces_a_stale_type():
    marked = slide_metadata.with_slide_metadata(SAMPLE)
    assert slide_metadata.with_slide_metadata(marked) == marked
    stale = marked.replace('# %% slideshow={"slide_type": "-"}\ny = 2', "# %%\ny = 2", 1)
    stale = stale.replace('"slide_type": "skip"', '"slide_type": "slide"', 1)
    assert slide_metadata.with_slide_metadata(stale) == marked


def test_every_type_is_one_reveal_knows():
    assert set(SAMPLE_TYPES) <= set(slide_metadata.SLIDE_TYPES)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_carries_its_slide_metadata(script):
    found = slide_metadata.problems(script)
    assert not found, "\n".join(found) + (
        f"\nrun: python tools/slide_metadata.py {script.relative_to(ROOT)}"
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_figure_has_a_slide_of_its_own(script):
    # The rule reads plt.show() in the source; the stored outputs must agree with it.
    import nbformat

    notebook = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    for cell in notebook.cells:
        draws = any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if draws:
            assert "plt.show()" in cell.source, cell.source[:120]
