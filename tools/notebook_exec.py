"""Execute a notebook in an empty directory, as Colab would (shared by the tools)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
CELL_TIMEOUT_SECONDS = 120


def notebook_from_script(script: Path) -> nbformat.NotebookNode:
    """Read a jupytext percent script as a notebook with the course's kernelspec."""
    notebook = jupytext.read(script)
    notebook.metadata.pop("jupytext", None)  # the .ipynb is built, not paired
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    return notebook


def execute_alone(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run every cell in order inside a fresh empty directory; raise on any error."""
    with tempfile.TemporaryDirectory(prefix="gradcourse-run-") as workdir:
        client = NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT_SECONDS,
            kernel_name=KERNELSPEC["name"],
            resources={"metadata": {"path": workdir}},
        )
        client.execute()
    return notebook
