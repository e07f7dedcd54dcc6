"""Give every cell of the course notebooks its slide type, for RISE and reveal.js decks.

Usage:
    python tools/slide_metadata.py notebooks/02_saturation.py ...   (default: every notebook)
    python tools/slide_metadata.py --check [scripts]   exit 1 if a script or its .ipynb lacks it

The slide type lives in the jupytext script, in each cell's header line
(``# %% [markdown] slideshow={"slide_type": "slide"}``), so ``make notebooks`` carries it
into the .ipynb. The tool also writes it into the existing .ipynb, cell by cell, without
executing anything: outputs and every other byte stay as they are.

The rule, deterministic from the script's source (``slide_type``):

- the title cell, and a markdown cell that opens a section (``## ``): a new slide;
- a markdown cell that opens a subsection (``### ``): a sub-slide (below its section);
- a code cell that draws a figure (it calls ``plt.show()``, as every figure cell of the
  course does): a sub-slide of its own, so the figure has the whole screen;
- a markdown cell after a code cell (the prose that reads the last result), and any cell
  right after a figure: a sub-slide, so each slide holds one "explain, then run" step;
- the Colab install cell (``%pip`` only on Colab): skipped, it does nothing in a lecture;
- every other cell: ``-``, it continues the current slide.

Long text outputs are not split: the decks scroll (``make slides`` turns reveal.js'
scrolling on; in RISE, turn on "scroll" in its settings if a slide overflows).

Running the tool twice changes nothing the second time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
HEADER = re.compile(r"^# %%(?P<rest>.*)$")
SLIDESHOW = re.compile(r'\s*slideshow=\{"slide_type": "[^"]*"\}')
SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")


def split_cells(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lines before the first cell, and each cell as (header line, body lines)."""
    preamble: list[str] = []
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if HEADER.match(line):
            cells.append((line, []))
        elif cells:
            cells[-1][1].append(line)
        else:
            preamble.append(line)
    return preamble, cells


def _markdown_text(body: list[str]) -> str:
    return "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body)


def slide_type(kind: str, source: str, previous: tuple[str, str] | None) -> str:
    """The slide type of a cell of kind "markdown" or "code", given the cell before it.

    ``source`` is the cell's text as the notebook shows it; ``previous`` is the
    (kind, source) of the cell before, None for the first cell.
    """
    first_line = source.lstrip("\n").split("\n", 1)[0]
    if kind == "markdown":
        if previous is None or first_line.startswith(("# ", "## ")):
            return "slide"
        if first_line.startswith("### "):
            return "subslide"
        if previous[0] == "code":
            return "subslide"
        return "-"
    if "%pip install" in source and "google.colab" in source:
        return "skip"
    if "plt.show()" in source:
        return "subslide"
    if previous is not None and previous[0] == "code" and "plt.show()" in previous[1]:
        return "subslide"
    return "-"


def _cell_kind(header: str) -> str:
    return "markdown" if "[markdown]" in header else "code"


def _cell_source(kind: str, body: list[str]) -> str:
    text = _markdown_text(body) if kind == "markdown" else "\n".join(body)
    return text.strip("\n")


def slide_types(text: str) -> list[str]:
    """The slide type of each cell of a percent script's text, by the rule above."""
    _, cells = split_cells(text)
    types, previous = [], None
    for header, body in cells:
        kind = _cell_kind(header)
        source = _cell_source(kind, body)
        types.append(slide_type(kind, source, previous))
        previous = (kind, source)
    return types


def with_slide_metadata(text: str) -> str:
    """The script's text with each cell header carrying its slide type (idempotent)."""
    preamble, cells = split_cells(text)
    lines = list(preamble)
    for (header, body), kind in zip(cells, slide_types(text), strict=True):
        rest = SLIDESHOW.sub("", HEADER.match(header).group("rest")).rstrip()
        metadata = json.dumps({"slide_type": kind})
        lines.append(f"# %%{rest} slideshow={metadata}")
        lines.extend(body)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def _notebook_types(notebook: nbformat.NotebookNode) -> list[str | None]:
    return [cell.metadata.get("slideshow", {}).get("slide_type") for cell in notebook.cells]


def sync_notebook(script: Path) -> bool:
    """Copy the script's slide types into its .ipynb (no execution); True if it changed."""
    import jupytext  # the test extra has it; imported here so --help works without it

    path = script.with_suffix(".ipynb")
    notebook = nbformat.read(path, as_version=4)
    source = jupytext.read(script)
    mine = [(c.cell_type, c.source.strip()) for c in notebook.cells]
    theirs = [(c.cell_type, c.source.strip()) for c in source.cells]
    if mine != theirs:
        raise SystemExit(
            f"{path.name} does not match its script: rebuild it first "
            f"(make notebooks NB={script.relative_to(ROOT)})"
        )
    wanted = _notebook_types(source)
    if _notebook_types(notebook) == wanted:
        return False
    for cell, kind in zip(notebook.cells, wanted, strict=True):
        cell.metadata["slideshow"] = {"slide_type": kind}
    nbformat.write(notebook, path)
    return True


def problems(script: Path) -> list[str]:
    """What is missing or stale in a script and its .ipynb (empty when all is well)."""
    import jupytext

    text = script.read_text()
    found = []
    if with_slide_metadata(text) != text:
        found.append(f"{script.name}: cell headers lack their slide types")
    expected = slide_types(text)
    in_script = _notebook_types(jupytext.read(script))
    if in_script != expected:
        found.append(f"{script.name}: jupytext reads other slide types than the rule gives")
    in_notebook = _notebook_types(nbformat.read(script.with_suffix(".ipynb"), as_version=4))
    if in_notebook != expected:
        found.append(f"{script.with_suffix('.ipynb').name}: slide types differ from the script's")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scripts", nargs="*", type=Path, help="notebooks/NN_name.py (default: all)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 on a gap")
    args = parser.parse_args(argv)
    scripts = [p.with_suffix(".py") for p in args.scripts] or sorted(
        NOTEBOOKS.glob("[0-9][0-9]_*.py")
    )
    if args.check:
        found = [line for script in scripts for line in problems(script)]
        print("\n".join(found) or f"slide metadata: {len(scripts)} notebooks in order")
        return 1 if found else 0
    for script in scripts:
        text = script.read_text()
        updated = with_slide_metadata(text)
        if updated != text:
            script.write_text(updated)
        notebook_changed = sync_notebook(script)
        state = "updated" if updated != text or notebook_changed else "already in order"
        print(f"{script.name}: {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
