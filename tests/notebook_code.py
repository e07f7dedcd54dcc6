"""The code cells of a notebook's jupytext script, parsed: for tests that read what a
notebook does (its settings, its verdict table) without running it."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext


def code_cells(script: Path) -> list[ast.Module]:
    """The script's code cells, parsed (IPython magics, such as the Colab %pip, left out)."""
    cells = []
    for cell in jupytext.read(script).cells:
        if cell.cell_type == "code":
            source = "\n".join(  # a magic line becomes `pass`, at its indentation
                line[: len(line) - len(line.lstrip())] + "pass"
                if line.lstrip().startswith(("%", "!"))
                else line
                for line in cell.source.splitlines()
            )
            cells.append(ast.parse(source))
    return cells
