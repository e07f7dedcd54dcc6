"""The benchmark's per-cell timing: seconds read from nbclient's execution metadata."""

import sys
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from notebook_exec import cell_seconds, last_cell_end  # noqa: E402


def _cell(start, end):
    cell = nbformat.v4.new_code_cell("pass")
    cell.metadata["execution"] = {"iopub.status.busy": start, "shell.execute_reply": end}
    return cell


def test_cell_seconds_reads_each_code_cell():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        _cell("2026-11-23T10:00:00.000000Z", "2026-11-23T10:00:01.500000Z"),
        nbformat.v4.new_markdown_cell("text"),
        _cell("2026-11-23T10:00:02.000000Z", "2026-11-23T10:00:14.250000Z"),
    ]
    assert cell_seconds(notebook) == [1.5, 12.25]


def test_cell_seconds_needs_the_timestamps():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("pass")]
    with pytest.raises(ValueError, match="keep_timing"):
        cell_seconds(notebook)


def test_last_cell_end_is_the_last_code_cells_reply():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        _cell("2026-11-23T10:00:00.000000Z", "2026-11-23T10:00:01.500000Z"),
        _cell("2026-11-23T10:00:02.000000Z", "2026-11-23T10:00:14.250000Z"),
        nbformat.v4.new_markdown_cell("text"),
    ]
    first_start = datetime(2026, 11, 23, 10, tzinfo=timezone.utc).timestamp()
    assert last_cell_end(notebook) - first_start == 14.25
