"""tests/nbval_isolated.py: its settings reach every worker when notebooks run in parallel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _notebook(path: Path, source: str, stored_text: str) -> Path:
    """A one-cell notebook whose stored output is ``stored_text`` on stdout."""
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored_text)]
    cell.execution_count = 1
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "nbval_isolated.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_cell_that_writes_to_stderr_fails_in_every_worker(tmp_path, jobs):
    quiet = _notebook(tmp_path / "01_quiet.ipynb", "print('ok')", "ok\n")
    noisy = _notebook(
        tmp_path / "02_noisy.ipynb",
        "import sys\nprint('ok')\nsys.stderr.write('warning\\n')",
        "ok\n",
    )
    result = _run("--jobs", jobs, str(quiet), str(noisy))
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "1 failed, 1 passed" in report, report
    assert "the cell wrote to stderr" in report and "warning" in report, report


def test_a_changed_output_fails_and_an_unchanged_one_passes(tmp_path):
    same = _notebook(tmp_path / "01_same.ipynb", "print(6 * 7)", "42\n")
    changed = _notebook(tmp_path / "02_changed.ipynb", "print(6 * 7)", "41\n")
    result = _run("--jobs", "2", str(same), str(changed))
    report = result.stdout + result.stderr
    assert result.returncode == 1 and "1 failed, 1 passed" in report, report
    assert "02_changed.ipynb::Cell 0" in report, report


def test_jobs_must_be_positive():
    result = _run("--jobs", "0")
    assert result.returncode == 2 and "--jobs must be at least 1, got 0" in result.stderr
