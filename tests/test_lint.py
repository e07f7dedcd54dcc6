"""The code is linted and formatted by ruff, with the settings in pyproject.toml.

The notebooks' jupytext scripts (notebooks/NN_name.py, the source of truth) cannot be
linted as they are: their Colab cell holds an IPython line, ``%pip install ...``, that
ruff does not parse in a .py file. Ruff reads IPython syntax in notebooks, so each script
is converted, in memory, to the notebook that ``make notebooks`` would build from it, and
ruff checks that notebook. This lints the script as it is now, not a built .ipynb that
may be older. (``ruff format`` is not applied to the notebooks.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ["gradcourse", "tests", "tools"]
SCRIPTS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


def _ruff() -> list[str]:
    """The ruff of this environment (the ``test`` extra installs it), else one on PATH."""
    beside_python = Path(sys.executable).with_name("ruff")
    found = str(beside_python) if beside_python.exists() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed: pip install -e '.[test]' (or pip install ruff)")
    return [found]


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_ruff(), *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=300
    )


def test_ruff_check_finds_nothing():
    result = _run("check", "--no-cache", *CODE)
    assert result.returncode == 0, f"ruff check {' '.join(CODE)}:\n{result.stdout}{result.stderr}"


def test_ruff_format_changes_nothing():
    result = _run("format", "--check", "--no-cache", *CODE)
    assert result.returncode == 0, (
        f"run `ruff format {' '.join(CODE)}`:\n{result.stdout}{result.stderr}"
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_ruff_check_finds_nothing_in_the_notebook(script):
    notebook = jupytext.writes(jupytext.read(script), fmt="ipynb")
    # Named as the built notebook, so pyproject's per-file-ignores for notebooks apply and
    # the findings say "cell N" as in the notebook a reader opens.
    name = script.with_suffix(".ipynb").relative_to(ROOT).as_posix()
    result = _run("check", "--no-cache", "--stdin-filename", name, "-", stdin=notebook)
    assert result.returncode == 0, (
        f"ruff check {script.relative_to(ROOT)} (as {name}):\n{result.stdout}{result.stderr}"
    )
